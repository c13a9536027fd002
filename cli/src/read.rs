//! `floe read ID [-o FILE]`: fetches, verifies and decodes a blob, or one file of a quilt named by
//! its quilt patch id (from only the slivers holding it), and opens it when it is a sealed
//! private blob and the reader's key is given.

use std::{fmt, io::Write as _, path::PathBuf};

use anyhow::Context as _;
use floe_encoder::{BlobId, quilt::QuiltPatchId};
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

impl std::str::FromStr for ReadId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() == QuiltPatchId::TEXT_LEN {
            return text.parse().map(Self::Patch).map_err(|error| error.to_string());
        }
        text.parse().map(Self::Blob).map_err(|error| format!("{error} (or 50 for a quilt patch id)"))
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
    pub size: usize,
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
    let data = match &args.blob_id {
        ReadId::Blob(blob_id) => {
            let bars = Bars::new("read", output == Output::Text);
            let data = client.read(blob_id, &bars).await;
            bars.finish();
            data.with_context(|| format!("reading blob {blob_id}"))?
        }
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
    match &args.out {
        Some(path) => {
            std::fs::write(path, &data).with_context(|| format!("cannot write {}", path.display()))?;
            output.emit(&ReadReport {
                blob_id: args.blob_id.to_string(),
                size: data.len(),
                file: path.display().to_string(),
                opened_under,
            })
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&data)?;
            stdout.flush()?;
            Ok(())
        }
    }
}
