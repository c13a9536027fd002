//! `floe read ID [-o FILE]`: fetches and verifies a blob and writes it out as it arrives, or one file of a quilt named by
//! its quilt patch id (from only the slivers holding it), and opens it when it is a sealed
//! private blob and the reader's key is given.

use std::{
    fmt,
    io::Write as _,
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::Context as _;
use floe_client::{FloeClient, QuiltReadError, ReadBudget, ReadError, ReadPlan};
use floe_encoder::{
    BlobId,
    blob_id::BlobIdParseError,
    quilt::{QuiltError, QuiltPatchId},
};
use futures::StreamExt as _;
use serde::Serialize;

use crate::private_blob::{PolicySpec, Read, open_if_sealed};
use crate::{Output, account::AccountArgs, progress_bars::Bars};

/// Arguments of `floe read`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadArgs {
    /// The blob id (43 characters, base64url), or a quilt patch id (50 characters).
    // Base64url ids may start with '-': take them as the value, not as a flag.
    #[arg(allow_hyphen_values = true)]
    pub blob_id: ReadId,
    /// Write the blob to this file instead of stdout.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Write a sealed blob as stored, without opening it.
    #[arg(long, conflicts_with = "policy")]
    pub raw: bool,
    /// The policy a sealed blob is opened under (as for `floe store --policy`); default: found
    /// from the sealed identity.
    #[arg(long)]
    pub policy: Option<PolicySpec>,
    /// The chain, and for sealed blobs the reader's key (plain blobs need none).
    #[command(flatten)]
    pub account: AccountArgs,
}

/// What `floe read` reads: a blob, or one file of a quilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadId {
    /// A blob id.
    Blob(BlobId),
    /// A quilt patch id.
    Patch(QuiltPatchId),
}

/// Why a text is neither a blob id nor a quilt patch id.
#[derive(Debug, thiserror::Error)]
pub enum ReadIdError {
    /// It has a patch id's length but is not one.
    #[error(transparent)]
    Patch(#[from] QuiltError),
    /// It is no blob id.
    #[error("{0} (or 50 for a quilt patch id)")]
    Blob(#[source] BlobIdParseError),
}

impl std::str::FromStr for ReadId {
    type Err = ReadIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() == QuiltPatchId::TEXT_LEN {
            return Ok(Self::Patch(text.parse()?));
        }
        text.parse().map(Self::Blob).map_err(ReadIdError::Blob)
    }
}

impl fmt::Display for ReadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Blob(id) => fmt::Display::fmt(id, f),
            Self::Patch(id) => fmt::Display::fmt(id, f),
        }
    }
}

/// What `floe read -o FILE` reports.
#[derive(Debug, Clone, Serialize)]
pub struct ReadReport {
    /// The blob id.
    pub blob_id: String,
    /// Bytes written.
    pub size: u64,
    /// Where.
    pub file: String,
    /// The policy a sealed blob was opened under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_under: Option<String>,
}

impl fmt::Display for ReadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wrote {} bytes of blob {} to {}", self.size, self.blob_id, self.file)?;
        if let Some(policy) = &self.opened_under {
            write!(f, " (opened under the {policy})")?;
        }
        Ok(())
    }
}

/// Reads the blob.
pub async fn run(args: &ReadArgs, output: Output) -> anyhow::Result<()> {
    let client = args.account.client(None).await?;
    match read(&client, args, output).await {
        Err(error) => match expiry(&client, args, &error).await {
            Some(expired) => Err(error.context(expired)),
            None => Err(error),
        },
        done => done,
    }
}

/// Why the nodes do not know a blob the reader's wallet holds: its storage ended. Nodes drop an
/// expired blob and answer for it as for one never stored, so only the `Blob` object, which
/// outlives its storage, can tell the two apart. `None` unless the read failed for want of the
/// blob and the wallet (`--key`, `--keystore`) holds an object of it whose storage has ended and
/// none whose storage has not.
async fn expiry(client: &FloeClient, args: &ReadArgs, error: &anyhow::Error) -> Option<String> {
    let blob_id = error.chain().find_map(|cause| {
        // A quilt's read error shows the blob's through (`transparent`): it is the cause itself.
        let read = cause.downcast_ref::<ReadError>().or_else(|| match cause.downcast_ref::<QuiltReadError>() {
            Some(QuiltReadError::Read(read)) => Some(read),
            _ => None,
        })?;
        match read {
            ReadError::NotFound(blob_id) => Some(*blob_id),
            _ => None,
        }
    })?;
    let owner = args.account.signer().ok()??.address();
    let chain = client.chain()?;
    let (system, owned) = futures::join!(chain.system(), chain.owned_blobs(owner, &blob_id));
    let (epoch, owned) = (system.ok()?.epoch(), owned.ok()?);
    let ended = owned.iter().max_by_key(|blob| blob.end_epoch()).filter(|blob| blob.end_epoch() <= epoch)?;
    Some(format!(
        "blob {blob_id} has expired: the storage of its Blob object {} in this wallet ended at epoch {}, and the network is at epoch {epoch}",
        ended.id,
        ended.end_epoch(),
    ))
}

/// Reads the blob and writes it out.
async fn read(client: &FloeClient, args: &ReadArgs, output: Output) -> anyhow::Result<()> {
    let data = match &args.blob_id {
        ReadId::Blob(blob_id) => match stream_plain(client, args, blob_id, output).await? {
            Streamed::Done => return Ok(()),
            Streamed::Sealed(data) => data,
        },
        ReadId::Patch(id) => {
            client.read_quilt_patch(id).await.with_context(|| format!("reading quilt patch {id}"))?.into_data()
        }
    };
    let (data, opened_under) = match args.raw {
        true => (data, None),
        false => {
            let signer = args.account.signer()?;
            match open_if_sealed(&args.account.deployment()?, signer.as_ref(), args.policy.as_ref(), data).await? {
                Read::Plain(data) => (data, None),
                Read::Opened { data, policy } => (data, Some(policy)),
            }
        }
    };
    let mut sink = Sink::open(args.out.as_deref())?;
    sink.write(&data)?;
    sink.finish(args, data.len() as u64, opened_under, output)
}

/// What [`stream_plain`] did.
enum Streamed {
    /// The blob was written out as its rows arrived.
    Done,
    /// The blob may be sealed (or `--policy` was given): its whole bytes, to be opened.
    Sealed(Vec<u8>),
}

/// Writes a blob out as its rows arrive and are verified, so a read holds at most a window of
/// slivers however large the blob (the client's [`ReadBudget`]) instead of the whole blob and its
/// slivers. A blob that starts as a Seal object of this deployment's Seal package (or any blob
/// when `--policy` is given) is collected whole instead: it is opened in memory.
async fn stream_plain(
    client: &FloeClient,
    args: &ReadArgs,
    blob_id: &BlobId,
    output: Output,
) -> anyhow::Result<Streamed> {
    let context = || format!("reading blob {blob_id}");
    let reader =
        client.open_blob(blob_id, Arc::new(ReadBudget::default()), ReadPlan::Whole).await.with_context(context)?;
    let mut chunks = reader.stream(0..reader.len());
    // Enough leading bytes to tell a sealed object by its version and package (or the whole blob).
    let mut head = Vec::new();
    while head.len() < SEALED_PREFIX_LEN {
        match chunks.next().await {
            Some(chunk) => head.extend_from_slice(&chunk.with_context(context)?),
            None => break,
        }
    }
    let seal_package = args.account.deployment()?.packages.seal;
    if args.policy.is_some() || (!args.raw && may_be_sealed(&head, seal_package.into_inner())) {
        let mut data = head;
        data.reserve((reader.len() as usize).saturating_sub(data.len()));
        while let Some(chunk) = chunks.next().await {
            data.extend_from_slice(&chunk.with_context(context)?);
        }
        return Ok(Streamed::Sealed(data));
    }
    let bars = Bars::new("read", output == Output::Text && args.out.is_some());
    bars.bytes(head.len() as u64, reader.len());
    let mut sink = Sink::open(args.out.as_deref())?;
    let mut written = head.len() as u64;
    sink.write(&head)?;
    drop(head);
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.with_context(context)?;
        sink.write(&chunk)?;
        written += chunk.len() as u64;
        bars.bytes(written, reader.len());
    }
    bars.finish();
    sink.finish(args, written, None, output)?;
    Ok(Streamed::Done)
}

/// A Seal object's BCS starts with its version (0) and its policy package's id.
const SEALED_PREFIX_LEN: usize = 1 + 32;

/// Whether `head` starts as a Seal object of `package` would ([`open_if_sealed`] decides for
/// sure, on the whole bytes).
fn may_be_sealed(head: &[u8], package: [u8; 32]) -> bool {
    head.len() >= SEALED_PREFIX_LEN && head[0] == 0 && head[1..SEALED_PREFIX_LEN] == package
}

/// Where the bytes go: stdout, or a file written under a temporary name beside it and renamed
/// once the read succeeded, so a failed read never leaves a truncated file under the asked name.
enum Sink {
    Stdout(std::io::StdoutLock<'static>),
    File { file: std::io::BufWriter<std::fs::File>, partial: Partial, path: PathBuf },
}

/// A file being written under a temporary name: removed when dropped unless it was kept.
struct Partial {
    path: PathBuf,
    kept: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Sink {
    fn open(out: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = out else {
            return Ok(Self::Stdout(std::io::stdout().lock()));
        };
        let mut name = path.file_name().map(|name| name.to_os_string()).unwrap_or_default();
        name.push(".floe-partial");
        let partial = Partial { path: path.with_file_name(name), kept: false };
        let file =
            std::fs::File::create(&partial.path).with_context(|| format!("cannot write {}", partial.path.display()))?;
        Ok(Self::File { file: std::io::BufWriter::new(file), partial, path: path.to_owned() })
    }

    fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        match self {
            Self::Stdout(stdout) => stdout.write_all(bytes).context("cannot write to stdout"),
            Self::File { file, partial, .. } => {
                file.write_all(bytes).with_context(|| format!("cannot write {}", partial.path.display()))
            }
        }
    }

    /// Completes the output: flushes stdout, or moves the file to its name and reports it.
    fn finish(self, args: &ReadArgs, size: u64, opened_under: Option<String>, output: Output) -> anyhow::Result<()> {
        match self {
            Self::Stdout(mut stdout) => Ok(stdout.flush()?),
            Self::File { file, mut partial, path } => {
                let written = || format!("cannot write {}", partial.path.display());
                // Not synced to disk, as `cp` and `curl -o` do not: the rename is what keeps a
                // failed read from leaving a truncated file under the name. A sync made the read
                // wait for the disk to take the whole file (0.1-0.6 s for 128 MiB here, more while
                // the nodes' own writes are being flushed).
                file.into_inner().map_err(|error| error.into_error()).with_context(written)?;
                std::fs::rename(&partial.path, &path)
                    .with_context(|| format!("cannot move {} to {}", partial.path.display(), path.display()))?;
                partial.kept = true;
                output.emit(&ReadReport {
                    blob_id: args.blob_id.to_string(),
                    size,
                    file: path.display().to_string(),
                    opened_under,
                })
            }
        }
    }
}
