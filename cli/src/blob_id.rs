//! `floe blob-id`: a file's blob id, computed offline exactly as the store path computes it;
//! with `--quilt`, the blob id of the quilt of the files and each file's quilt patch id.

use std::fmt;
use std::path::{Path, PathBuf};

use floe_encoder::EncodingConfig;
use floe_encoder::config::MIN_N_SHARDS;
use floe_encoder::encode::{BlobBuffer, compute_metadata};
use floe_encoder::error::EncodeError;
use floe_encoder::metadata::VerifiedBlobMetadata;
use floe_encoder::quilt::{Quilt, QuiltFile};
use serde::Serialize;

use crate::Output;
use crate::quilt::{PatchReport, Tag, quilt_files};

/// The shard count used when `--n-shards` is not given (the size of Walrus's mainnet committee).
pub const DEFAULT_N_SHARDS: u16 = 1000;

/// Arguments of `floe blob-id`.
#[derive(Debug, Clone, clap::Args)]
pub struct BlobIdArgs {
    /// The file whose blob id to compute (with --quilt: the files of the quilt).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Compute the id of the quilt of the files, as `floe store-quilt` would store it.
    #[arg(long)]
    pub quilt: bool,
    /// With --quilt: identifiers, one per file in order (default: each file's name).
    #[arg(long = "identifier", requires = "quilt")]
    pub identifiers: Vec<String>,
    /// With --quilt: a tag given to every file, as KEY=VALUE (repeatable).
    #[arg(long = "tag", requires = "quilt")]
    pub tags: Vec<Tag>,
    /// Shards of the committee the blob is encoded for (at least 4; default 1000, Walrus
    /// mainnet's).
    #[arg(long, conflicts_with = "deployment")]
    pub n_shards: Option<u16>,
    /// Use the shard count of this network (its deployment.json; the chain is asked).
    #[arg(long)]
    pub deployment: Option<PathBuf>,
}

/// Runs `floe blob-id`.
pub fn run(args: &BlobIdArgs, output: Output) -> anyhow::Result<()> {
    let (n_shards, shards_from) = shard_count(args)?;
    if args.quilt {
        let files = quilt_files(&args.files, &args.identifiers, &args.tags)?;
        let mut report = QuiltIdReport::compute(&files, n_shards)?;
        report.shards_from = shards_from;
        return output.emit(&report);
    }
    let [file] = args.files.as_slice() else {
        anyhow::bail!(
            "{} files given: a blob id is of one file (pass --quilt for the id of their quilt)",
            args.files.len()
        );
    };
    let mut report = BlobIdReport::of_file(file, n_shards)?;
    report.shards_from = shards_from;
    output.emit(&report)
}

/// The shard count to encode for and where it came from, in words.
fn shard_count(args: &BlobIdArgs) -> anyhow::Result<(u16, String)> {
    if let Some(n_shards) = args.n_shards {
        return Ok((n_shards, "--n-shards".to_owned()));
    }
    let Some(path) = &args.deployment else {
        return Ok((DEFAULT_N_SHARDS, "the default (Walrus mainnet's); --deployment FILE uses a network's".to_owned()));
    };
    let account = crate::account::AccountArgs { deployment: path.clone(), key: None, keystore: None, address: None };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let system = runtime.block_on(async { anyhow::Ok(account.chain(None).await?.system().await?) })?;
    Ok((system.committee.n_shards, format!("the network of {} (epoch {})", path.display(), system.epoch())))
}

/// What `floe blob-id --quilt` reports.
#[derive(Debug, Clone, Serialize)]
pub struct QuiltIdReport {
    /// The quilt's blob id, base64url.
    pub blob_id: String,
    /// The quilt's blob id as a decimal `u256`.
    pub blob_id_u256: String,
    /// The quilt's size in bytes (the whole message matrix).
    pub size: u64,
    /// The encoded size in bytes the chain charges storage for.
    pub encoded_size: u64,
    /// The shard count the id was computed for.
    pub n_shards: u16,
    /// Where the shard count came from.
    pub shards_from: String,
    /// The files, in the quilt's order, with their patch ids.
    pub patches: Vec<PatchReport>,
}

impl QuiltIdReport {
    /// Lays out `files` as a quilt for `n_shards` shards and computes its ids.
    pub fn compute(files: &[QuiltFile], n_shards: u16) -> anyhow::Result<Self> {
        let config = config_for(n_shards)?;
        let quilt = Quilt::encode(&config, files)?;
        let size = quilt.bytes().len() as u64;
        let id = *compute_metadata(&config, quilt.bytes())?.blob_id();
        Ok(Self {
            blob_id: id.to_string(),
            blob_id_u256: id.to_u256_decimal(),
            size,
            encoded_size: config.encoded_blob_length(size)?,
            n_shards,
            shards_from: String::new(),
            patches: PatchReport::of_index(id, quilt.index()),
        })
    }
}

impl fmt::Display for QuiltIdReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "quilt blob id:  {}", self.blob_id)?;
        writeln!(f, "blob id (u256): {}", self.blob_id_u256)?;
        writeln!(f, "size:           {} bytes", self.size)?;
        write!(f, "encoded size:   {} bytes ({} shards)", self.encoded_size, self.n_shards)?;
        write_shards_from(f, &self.shards_from)?;
        for patch in &self.patches {
            write!(f, "\n  {}  {}", patch.patch_id, patch.identifier)?;
        }
        Ok(())
    }
}

/// Why a blob id could not be computed; each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum BlobIdError {
    /// The file could not be read.
    #[error("cannot read {path}: {reason}; check that the path names a readable file")]
    Unreadable {
        /// The path given.
        path: PathBuf,
        /// What the OS said (kept in the message, not as a source, so it is printed once).
        reason: std::io::Error,
    },
    /// The path is a directory.
    #[error("{path} is a directory; give the path of a file")]
    Directory {
        /// The path given.
        path: PathBuf,
    },
    /// Fewer shards than the code needs.
    #[error("--n-shards {n_shards} is too small: the code needs at least {min} shards; pass --n-shards {min} or more")]
    TooFewShards {
        /// The shard count asked for.
        n_shards: u16,
        /// [`MIN_N_SHARDS`].
        min: u16,
    },
    /// The codec cannot serve the shard count for another reason.
    #[error("--n-shards {n_shards}: {source}; pick another shard count")]
    UnsupportedShards {
        /// The shard count asked for.
        n_shards: u16,
        /// The encoder's reason.
        #[source]
        source: EncodeError,
    },
    /// The file is larger than the shard count can encode.
    #[error(
        "{file} has {size} bytes, more than the {max_blob_size} bytes {n_shards} shards can encode; \
         pass a larger --n-shards (the limit grows with the square of the shard count)"
    )]
    TooLarge {
        /// The file's label.
        file: String,
        /// Its size.
        size: u64,
        /// The shard count asked for.
        n_shards: u16,
        /// The largest blob for that shard count.
        max_blob_size: u64,
    },
}

/// What `floe blob-id` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlobIdReport {
    /// The file, as named on the command line.
    pub file: String,
    /// The blob id, base64url without padding (as URLs and the HTTP API show it).
    pub blob_id: String,
    /// The blob id as a decimal `u256` (as Move and explorers show it).
    pub blob_id_u256: String,
    /// The file's size in bytes.
    pub size: u64,
    /// The encoded size in bytes the chain charges storage for.
    pub encoded_size: u64,
    /// The shard count the id was computed for.
    pub n_shards: u16,
    /// Where the shard count came from.
    pub shards_from: String,
}

/// `shard count from: ...`, when known.
fn write_shards_from(f: &mut fmt::Formatter<'_>, shards_from: &str) -> fmt::Result {
    if shards_from.is_empty() { Ok(()) } else { write!(f, "\nshard count:    from {shards_from}") }
}

fn config_for(n_shards: u16) -> Result<EncodingConfig, BlobIdError> {
    if n_shards < MIN_N_SHARDS {
        return Err(BlobIdError::TooFewShards { n_shards, min: MIN_N_SHARDS });
    }
    EncodingConfig::new(n_shards).map_err(|source| BlobIdError::UnsupportedShards { n_shards, source })
}

fn too_large(file: &str, size: u64, config: &EncodingConfig) -> BlobIdError {
    BlobIdError::TooLarge {
        file: file.to_owned(),
        size,
        n_shards: config.n_shards(),
        max_blob_size: config.max_blob_size(),
    }
}

/// What an encoding error means for `floe blob-id` of `size` bytes named `file`.
fn encode_error(file: &str, size: u64, config: &EncodingConfig, source: EncodeError) -> BlobIdError {
    match source {
        EncodeError::BlobTooLarge { .. } => too_large(file, size, config),
        EncodeError::UnsupportedShardCount { .. } => {
            BlobIdError::UnsupportedShards { n_shards: config.n_shards(), source }
        }
    }
}

impl BlobIdReport {
    /// Computes the report for `bytes`, labelled `file`, at `n_shards` shards.
    pub fn compute(file: impl Into<String>, bytes: &[u8], n_shards: u16) -> Result<Self, BlobIdError> {
        let file = file.into();
        let config = config_for(n_shards)?;
        let size = bytes.len() as u64;
        let metadata = compute_metadata(&config, bytes).map_err(|source| encode_error(&file, size, &config, source))?;
        Self::of_metadata(file, size, &config, &metadata)
    }

    /// Reads `path` and computes its report. The size is checked before reading, so a file too
    /// large for the shard count is refused without loading it; the file is read straight into
    /// the encoder's memory ([`BlobBuffer`]), not into a buffer of its own that is then copied.
    pub fn of_file(path: &Path, n_shards: u16) -> Result<Self, BlobIdError> {
        let config = config_for(n_shards)?;
        let unreadable = |reason| BlobIdError::Unreadable { path: path.to_owned(), reason };
        let meta = std::fs::metadata(path).map_err(unreadable)?;
        if meta.is_dir() {
            return Err(BlobIdError::Directory { path: path.to_owned() });
        }
        let (label, size) = (path.display().to_string(), meta.len());
        if size > config.max_blob_size() {
            return Err(too_large(&label, size, &config));
        }
        let mut buffer =
            BlobBuffer::new(&config, size).map_err(|source| encode_error(&label, size, &config, source))?;
        std::fs::File::open(path).and_then(|file| buffer.read_exactly(file)).map_err(unreadable)?;
        Self::of_metadata(label, size, &config, &buffer.encode().metadata)
    }

    fn of_metadata(
        file: String,
        size: u64,
        config: &EncodingConfig,
        metadata: &VerifiedBlobMetadata,
    ) -> Result<Self, BlobIdError> {
        let encoded_size =
            config.encoded_blob_length(size).map_err(|source| encode_error(&file, size, config, source))?;
        let id = metadata.blob_id();
        Ok(Self {
            blob_id: id.to_string(),
            blob_id_u256: id.to_u256_decimal(),
            size,
            encoded_size,
            n_shards: config.n_shards(),
            shards_from: String::new(),
            file,
        })
    }
}

impl fmt::Display for BlobIdReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "file:           {}", self.file)?;
        writeln!(f, "blob id:        {}", self.blob_id)?;
        writeln!(f, "blob id (u256): {}", self.blob_id_u256)?;
        writeln!(f, "size:           {} bytes", self.size)?;
        write!(f, "encoded size:   {} bytes ({} shards)", self.encoded_size, self.n_shards)?;
        write_shards_from(f, &self.shards_from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_matches_the_encoder() {
        let bytes = b"some bytes".repeat(50);
        let report = BlobIdReport::compute("x", &bytes, 10).unwrap();
        let config = EncodingConfig::new(10).unwrap();
        let metadata = compute_metadata(&config, &bytes).unwrap();
        assert_eq!(report.blob_id, metadata.blob_id().to_string());
        assert_eq!(report.blob_id_u256, metadata.blob_id().to_u256_decimal());
        assert_eq!(report.encoded_size, config.encoded_blob_length(500).unwrap());
    }

    #[test]
    fn three_shards_are_refused_with_the_minimum() {
        let error = BlobIdReport::compute("x", b"abc", 3).unwrap_err();
        assert!(matches!(error, BlobIdError::TooFewShards { n_shards: 3, min: 4 }), "{error}");
        assert!(error.to_string().contains("--n-shards 4"), "{error}");
    }

    #[test]
    fn blob_above_the_shard_limit_is_refused_with_both_sizes() {
        let config = EncodingConfig::new(4).unwrap();
        let size = config.max_blob_size() + 1;
        let error = BlobIdReport::compute("big.bin", &vec![0; usize::try_from(size).unwrap()], 4).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(&size.to_string()) && text.contains(&config.max_blob_size().to_string()), "{text}");
    }
}
