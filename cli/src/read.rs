//! `floe read BLOB_ID [-o FILE]`: fetches, verifies and decodes a blob.

use std::{fmt, io::Write as _, path::PathBuf};

use anyhow::Context as _;
use floe_encoder::BlobId;
use serde::Serialize;

use crate::{Output, account::AccountArgs, progress_bars::Bars};

/// Arguments of `floe read`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadArgs {
    /// The blob id (43 characters, base64url).
    pub blob_id: BlobId,
    /// Write the blob to this file instead of stdout.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// The chain (no key needed).
    #[command(flatten)]
    pub account: AccountArgs,
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
}

impl fmt::Display for ReadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wrote {} bytes of blob {} to {}", self.size, self.blob_id, self.file)
    }
}

/// Reads the blob.
pub async fn run(args: &ReadArgs, output: Output) -> anyhow::Result<()> {
    let client = args.account.client(None).await?;
    let bars = Bars::new("read", output == Output::Text);
    let data = client.read(&args.blob_id, &bars).await;
    bars.finish();
    let data = data.with_context(|| format!("reading blob {}", args.blob_id))?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, &data).with_context(|| format!("cannot write {}", path.display()))?;
            output.emit(&ReadReport {
                blob_id: args.blob_id.to_string(),
                size: data.len(),
                file: path.display().to_string(),
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
