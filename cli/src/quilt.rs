//! Quilts on the command line: `floe store-quilt FILE...` stores many files as one blob,
//! `floe read-quilt QUILT_ID` reads some of them (by identifier, tag, or all), `floe
//! list-patches QUILT_ID` lists them with their quilt patch ids (`floe read PATCH_ID` reads one).

use std::{
    collections::BTreeMap,
    fmt,
    path::{Component, Path, PathBuf},
};

use anyhow::Context as _;
use floe_client::{QuiltSelector, StoreAnswer};
use floe_encoder::{
    BlobId,
    quilt::{QuiltFile, QuiltIndex, QuiltPatchId},
};
use serde::Serialize;

use crate::{Output, account::AccountArgs, progress_bars::Bars, store::StorageArgs};

/// A `KEY=VALUE` pair from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

impl std::str::FromStr for Tag {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (key, value) = text.split_once('=').ok_or_else(|| format!("{text:?} is not KEY=VALUE"))?;
        Ok(Self { key: key.to_owned(), value: value.to_owned() })
    }
}

/// The files named on the command line, as quilt files: identifiers are the file names unless
/// given (one per file, in order), and every file gets the tags.
pub fn quilt_files(paths: &[PathBuf], identifiers: &[String], tags: &[Tag]) -> anyhow::Result<Vec<QuiltFile>> {
    if !identifiers.is_empty() && identifiers.len() != paths.len() {
        anyhow::bail!(
            "{} --identifier for {} files: give one per file, in the same order, or none to use the file names",
            identifiers.len(),
            paths.len()
        );
    }
    let tags: BTreeMap<String, String> = tags.iter().map(|tag| (tag.key.clone(), tag.value.clone())).collect();
    paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let identifier = match identifiers.get(i) {
                Some(identifier) => identifier.clone(),
                None => path
                    .file_name()
                    .with_context(|| format!("{} has no file name; pass --identifier", path.display()))?
                    .to_string_lossy()
                    .into_owned(),
            };
            let data =
                std::fs::read(path).with_context(|| format!("cannot read {}; check the path", path.display()))?;
            Ok(QuiltFile::new(identifier, data)?.with_tags(tags.clone()))
        })
        .collect()
}

/// Arguments of `floe store-quilt`.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreQuiltArgs {
    /// The files, stored together as one quilt (one blob).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Identifiers, one per file in order (default: each file's name).
    #[arg(long = "identifier")]
    pub identifiers: Vec<String>,
    /// A tag given to every file, as KEY=VALUE (repeatable).
    #[arg(long = "tag")]
    pub tags: Vec<Tag>,
    /// Epochs, deletable or not, and who keeps the quilt's Blob object.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The chain and key.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// A file's entry in a report: identifier, patch id, tags.
#[derive(Debug, Clone, Serialize)]
pub struct PatchReport {
    /// The identifier.
    pub identifier: String,
    /// The quilt patch id (for `floe read` and `/v1/blobs/by-quilt-patch-id/`).
    pub patch_id: String,
    /// The tags.
    pub tags: BTreeMap<String, String>,
    /// The columns (secondary slivers) holding it, `[start, end)`.
    pub columns: [u16; 2],
}

impl PatchReport {
    /// The entries of `index`, whose quilt is `quilt_id`.
    pub fn of_index(quilt_id: BlobId, index: &QuiltIndex) -> Vec<Self> {
        index
            .patches()
            .iter()
            .map(|patch| Self {
                identifier: patch.identifier().to_owned(),
                patch_id: QuiltPatchId { quilt_id, patch: patch.internal_id() }.to_string(),
                tags: patch.tags().clone(),
                columns: [patch.start(), patch.end()],
            })
            .collect()
    }
}

fn write_patches(f: &mut fmt::Formatter<'_>, patches: &[PatchReport]) -> fmt::Result {
    for patch in patches {
        write!(f, "\n  {}  {}", patch.patch_id, patch.identifier)?;
        if !patch.tags.is_empty() {
            let tags: Vec<String> = patch.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            write!(f, "  [{}]", tags.join(", "))?;
        }
    }
    Ok(())
}

/// What `floe store-quilt` reports.
#[derive(Debug, Clone, Serialize)]
pub struct StoreQuiltReport {
    /// The quilt's blob id.
    pub quilt_id: String,
    /// The outcome in the publisher's JSON shape (`newlyCreated` / `alreadyCertified`).
    pub outcome: StoreAnswer,
    /// The files.
    pub patches: Vec<PatchReport>,
}

impl fmt::Display for StoreQuiltReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "quilt id: {} ({} files)", self.quilt_id, self.patches.len())?;
        match &self.outcome {
            StoreAnswer::NewlyCreated(created) => {
                write!(f, "\n  object: {}, cost {} FROST", created.blob_object.id, created.cost)?
            }
            StoreAnswer::AlreadyCertified(_) => write!(f, "\n  already certified; nothing paid")?,
        }
        write_patches(f, &self.patches)
    }
}

/// Stores the files as one quilt.
pub async fn store(args: &StoreQuiltArgs, output: Output) -> anyhow::Result<()> {
    let files = quilt_files(&args.files, &args.identifiers, &args.tags)?;
    let client = args.account.client(Some(args.account.required_signer()?)).await?;
    let chain = client.chain().context("the client has no chain connection")?;
    let max_epochs_ahead = chain.system().await.context("reading the system's epoch limit")?.max_epochs_ahead;
    let options = args.storage.options(max_epochs_ahead)?;
    let bars = Bars::new("quilt", output == Output::Text);
    let stored = client.store_quilt(&files, &options, &bars).await;
    bars.finish();
    let stored = stored.context("storing the quilt")?;
    output.emit(&StoreQuiltReport {
        quilt_id: stored.quilt_id().to_string(),
        outcome: stored.outcome.answer(),
        patches: PatchReport::of_index(stored.quilt_id(), &stored.index),
    })
}

/// Arguments of `floe read-quilt`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["identifiers", "tag", "all"])))]
pub struct ReadQuiltArgs {
    /// The quilt's blob id.
    #[arg(allow_hyphen_values = true)]
    pub quilt_id: BlobId,
    /// Read the files with these identifiers (repeatable).
    #[arg(long = "identifier")]
    pub identifiers: Vec<String>,
    /// Read the files with this tag, as KEY=VALUE.
    #[arg(long)]
    pub tag: Option<Tag>,
    /// Read every file.
    #[arg(long)]
    pub all: bool,
    /// Write the files into this directory, each named by its identifier (default: stdout,
    /// for exactly one file).
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// The chain.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// A file `floe read-quilt` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct WrittenFile {
    /// The identifier.
    pub identifier: String,
    /// Bytes written.
    pub size: usize,
    /// Where.
    pub file: String,
    /// The tags.
    pub tags: BTreeMap<String, String>,
}

/// What `floe read-quilt -o DIR` reports.
#[derive(Debug, Clone, Serialize)]
pub struct ReadQuiltReport {
    /// The quilt.
    pub quilt_id: String,
    /// The files written.
    pub files: Vec<WrittenFile>,
}

impl fmt::Display for ReadQuiltReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wrote {} files of quilt {}", self.files.len(), self.quilt_id)?;
        for file in &self.files {
            write!(f, "\n  {} ({} bytes)", file.file, file.size)?;
        }
        Ok(())
    }
}

/// Where `identifier` is written under `dir`: identifiers are relative paths that stay inside
/// it (no root, no `..`), since a quilt's identifiers are chosen by whoever stored it.
pub fn output_path(dir: &Path, identifier: &str) -> anyhow::Result<PathBuf> {
    let relative = Path::new(identifier);
    if !relative.components().all(|part| matches!(part, Component::Normal(_))) {
        anyhow::bail!(
            "identifier {identifier:?} is not a plain relative path; it cannot be written under {}",
            dir.display()
        );
    }
    Ok(dir.join(relative))
}

/// Reads the selected files of the quilt.
pub async fn read(args: &ReadQuiltArgs, output: Output) -> anyhow::Result<()> {
    let selector = match (&args.tag, args.all) {
        (Some(tag), _) => QuiltSelector::Tag(tag.key.clone(), tag.value.clone()),
        (None, true) => QuiltSelector::All,
        (None, false) => QuiltSelector::Identifiers(args.identifiers.clone()),
    };
    let client = args.account.client(None).await?;
    let files = client
        .read_quilt_files(&args.quilt_id, &selector)
        .await
        .with_context(|| format!("reading quilt {}", args.quilt_id))?;
    let Some(dir) = &args.out else {
        let [file] = files.as_slice() else {
            anyhow::bail!("{} files match; pass -o DIR to write them, or select exactly one for stdout", files.len());
        };
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(file.data())?;
        return Ok(stdout.flush()?);
    };
    let mut written = Vec::with_capacity(files.len());
    for file in files {
        let path = output_path(dir, file.identifier())?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, file.data()).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(WrittenFile {
            identifier: file.identifier().to_owned(),
            size: file.data().len(),
            file: path.display().to_string(),
            tags: file.tags().clone(),
        });
    }
    output.emit(&ReadQuiltReport { quilt_id: args.quilt_id.to_string(), files: written })
}

/// Arguments of `floe list-patches`.
#[derive(Debug, Clone, clap::Args)]
pub struct ListPatchesArgs {
    /// The quilt's blob id.
    #[arg(allow_hyphen_values = true)]
    pub quilt_id: BlobId,
    /// The chain.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// What `floe list-patches` reports.
#[derive(Debug, Clone, Serialize)]
pub struct ListPatchesReport {
    /// The quilt.
    pub quilt_id: String,
    /// Its files.
    pub patches: Vec<PatchReport>,
}

impl fmt::Display for ListPatchesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "quilt {} ({} files)", self.quilt_id, self.patches.len())?;
        write_patches(f, &self.patches)
    }
}

/// Lists the quilt's files from its index.
pub async fn list_patches(args: &ListPatchesArgs, output: Output) -> anyhow::Result<()> {
    let client = args.account.client(None).await?;
    let index = client
        .quilt_index(&args.quilt_id)
        .await
        .with_context(|| format!("reading the index of quilt {}", args.quilt_id))?;
    output.emit(&ListPatchesReport {
        quilt_id: args.quilt_id.to_string(),
        patches: PatchReport::of_index(args.quilt_id, &index),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_at_the_first_equals_sign() {
        assert_eq!("a=b=c".parse::<Tag>().unwrap(), Tag { key: "a".into(), value: "b=c".into() });
        assert_eq!("k=".parse::<Tag>().unwrap(), Tag { key: "k".into(), value: String::new() });
        assert!("novalue".parse::<Tag>().unwrap_err().contains("KEY=VALUE"));
    }

    #[test]
    fn identifiers_cannot_escape_the_output_directory() {
        let dir = Path::new("/tmp/out");
        assert_eq!(output_path(dir, "a/b.txt").unwrap(), Path::new("/tmp/out/a/b.txt"));
        for bad in ["../x", "/etc/passwd", "a/../../x", "."] {
            assert!(output_path(dir, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn identifiers_default_to_file_names_and_must_match_the_file_count() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.bin"));
        std::fs::write(&a, b"A").unwrap();
        std::fs::write(&b, b"").unwrap();
        let tag = Tag { key: "k".into(), value: "v".into() };
        let files = quilt_files(&[a.clone(), b.clone()], &[], std::slice::from_ref(&tag)).unwrap();
        assert_eq!(files.iter().map(QuiltFile::identifier).collect::<Vec<_>>(), ["a.txt", "b.bin"]);
        assert!(files.iter().all(|file| file.tags()["k"] == "v"));
        let named = quilt_files(&[a.clone(), b.clone()], &["x".into(), "y".into()], &[]).unwrap();
        assert_eq!(named[1].identifier(), "y");
        let error = quilt_files(&[a, b], &["x".into()], &[]).unwrap_err().to_string();
        assert!(error.contains("1 --identifier for 2 files"), "{error}");
    }
}
