//! `floe store FILE...`: pays for, uploads and certifies each file (sealed first with
//! `--encrypt`); prints its blob id.

use std::{fmt, path::PathBuf};

use anyhow::Context as _;
use floe_client::{StoreOptions, StoreOutcome};
use serde::Serialize;
use sui_sdk_types::Address;

use crate::private_blob::{SealArgs, SealedReport, Sealer};
use crate::{Output, account::AccountArgs, progress_bars::Bars};

/// Arguments of `floe store`.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// The files to store, one blob each.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Epochs to pay for, from the current one.
    #[arg(long, default_value_t = 1)]
    pub epochs: u32,
    /// Let the owner delete the blob before it expires.
    #[arg(long)]
    pub deletable: bool,
    /// Store and pay again even if the blob is already certified for long enough.
    #[arg(long)]
    pub force: bool,
    /// Send the Blob object to this address instead of keeping it.
    #[arg(long)]
    pub send_object_to: Option<Address>,
    /// Private blobs: seal each file for an access policy before storing it.
    #[command(flatten)]
    pub seal: SealArgs,
    /// The chain and key.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// What `floe store` reports per file.
#[derive(Debug, Clone, Serialize)]
pub struct StoreReport {
    /// The file, as given.
    pub file: String,
    /// The blob id.
    pub blob_id: String,
    /// The outcome in the publisher's JSON shape (`newlyCreated` / `alreadyCertified`).
    pub outcome: serde_json::Value,
    /// How the file was sealed (`--encrypt` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sealed: Option<SealedReport>,
}

impl fmt::Display for StoreReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.file)?;
        writeln!(f, "  blob id:     {}", self.blob_id)?;
        if let Some(sealed) = &self.sealed {
            writeln!(f, "{sealed}")?;
        }
        if let Some(created) = self.outcome.get("newlyCreated") {
            let blob = &created["blobObject"];
            writeln!(f, "  object:      {}", blob["id"].as_str().unwrap_or("?"))?;
            writeln!(
                f,
                "  stored until epoch {} ({})",
                blob["storage"]["endEpoch"],
                if blob["deletable"] == true { "deletable" } else { "permanent" }
            )?;
            write!(f, "  cost:        {} FROST", created["cost"])
        } else {
            write!(f, "  already certified until epoch {}; nothing paid", self.outcome["alreadyCertified"]["endEpoch"])
        }
    }
}

/// Stores every file in turn.
pub async fn run(args: &StoreArgs, output: Output) -> anyhow::Result<()> {
    let signer = args.account.required_signer()?;
    let sealer = match args.seal.encrypt {
        true => Some(Sealer::new(&args.seal, &args.account.deployment()?, &args.account.deployment, &signer).await?),
        false => None,
    };
    let client = args.account.client(Some(signer)).await?;
    let options = StoreOptions {
        epochs: args.epochs,
        deletable: args.deletable,
        send_object_to: args.send_object_to,
        force: args.force,
    };
    for file in &args.files {
        let data = std::fs::read(file).with_context(|| format!("cannot read {}; check the path", file.display()))?;
        let (data, sealed) = match &sealer {
            Some(sealer) => {
                let (bytes, report) = sealer.seal(&data).with_context(|| format!("sealing {}", file.display()))?;
                (bytes, Some(report))
            }
            None => (data, None),
        };
        let bars = Bars::new(&file.display().to_string(), output == Output::Text);
        let outcome = client.store(data, &options, &bars).await;
        bars.finish();
        let outcome: StoreOutcome = outcome.with_context(|| format!("storing {}", file.display()))?;
        output.emit(&StoreReport {
            file: file.display().to_string(),
            blob_id: outcome.blob_id().to_string(),
            outcome: outcome.to_json(),
            sealed,
        })?;
    }
    Ok(())
}
