//! `floe store FILE...`: pays for, uploads and certifies each file (sealed first with
//! `--encrypt`); prints its blob id. Files from `--spill-above-mib` on are encoded to a spill
//! file rather than in memory.

use std::{fmt, path::PathBuf};

use anyhow::Context as _;
use floe_client::{DEFAULT_SPILL_THRESHOLD, Price, SpillOptions, StoreAnswer, StoreOptions, StoreOutcome};
use serde::Serialize;
use sui_sdk_types::Address;

use crate::blob_id::BlobIdReport;
use crate::epochs::Epochs;
use crate::private_blob::{SealArgs, SealedReport, Sealer};
use crate::stake::format_wal;
use crate::{Output, account::AccountArgs, progress_bars::Bars};

/// Arguments of `floe store`.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// The files to store, one blob each.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Epochs, deletable or not, and who keeps the Blob object.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Show each file's blob id, encoded size and price in WAL without storing or paying (no
    /// key needed).
    #[arg(long)]
    pub dry_run: bool,
    /// Files of at least this many MiB are encoded to a spill file in --spill-dir instead of
    /// memory: the file is read a few rows at a time and its slivers (about 4.5x the file at
    /// 1000 shards) are written to disk and read back as they are uploaded, so the store's
    /// memory stays bounded whatever the file's size. 0: every file. (Not with --encrypt: a
    /// file is sealed in memory.)
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_SPILL_THRESHOLD >> 20)]
    pub spill_above_mib: u64,
    /// Where spill files are made (default: the system's temporary directory; where that is a
    /// tmpfs, the spill file takes RAM: name a directory on disk). They are anonymous and gone
    /// when the store ends, whether it succeeds or not.
    #[arg(long, value_name = "DIR")]
    pub spill_dir: Option<PathBuf>,
    /// Private blobs: seal each file for an access policy before storing it.
    #[command(flatten)]
    pub seal: SealArgs,
    /// The chain and key.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// How a new blob is stored and paid for: what `floe store` and `floe store-quilt` share.
#[derive(Debug, Clone, clap::Args)]
pub struct StorageArgs {
    /// Epochs to pay for, from the current one, or `max` (as far ahead as the chain sells).
    #[arg(long, default_value = "1")]
    pub epochs: Epochs,
    /// Let the owner delete the blob before it expires.
    #[arg(long)]
    pub deletable: bool,
    /// Store and pay again even if the blob is already certified for long enough.
    #[arg(long)]
    pub force: bool,
    /// Send the Blob object to this address instead of keeping it.
    #[arg(long)]
    pub send_object_to: Option<Address>,
}

impl StorageArgs {
    /// The client's store options, the epochs checked against the chain's `max_epochs_ahead`.
    pub fn options(&self, max_epochs_ahead: u32) -> anyhow::Result<StoreOptions> {
        Ok(StoreOptions {
            epochs: self.epochs.for_new_blob(max_epochs_ahead)?,
            deletable: self.deletable,
            send_object_to: self.send_object_to,
            force: self.force,
        })
    }
}

/// What `floe store` reports per file.
#[derive(Debug, Clone, Serialize)]
pub struct StoreReport {
    /// The file, as given.
    pub file: String,
    /// The blob id.
    pub blob_id: String,
    /// The outcome in the publisher's JSON shape (`newlyCreated` / `alreadyCertified`).
    pub outcome: StoreAnswer,
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
        match &self.outcome {
            StoreAnswer::NewlyCreated(created) => {
                let blob = &created.blob_object;
                writeln!(f, "  object:      {}", blob.id)?;
                let permanence = if blob.deletable { "deletable" } else { "permanent" };
                writeln!(f, "  stored until epoch {} ({permanence})", blob.storage.end_epoch)?;
                write!(f, "  cost:        {} FROST", created.cost)
            }
            StoreAnswer::AlreadyCertified(found) => {
                write!(f, "  already certified until epoch {}; nothing paid", found.end_epoch)
            }
        }
    }
}

/// What `floe store --dry-run` reports per file.
#[derive(Debug, Clone, Serialize)]
pub struct DryRunReport {
    /// The file, as given.
    pub file: String,
    /// The blob id it would have.
    pub blob_id: String,
    /// Its size in bytes (sealed, with --encrypt).
    pub size: u64,
    /// What would be paid, in FROST, with the encoded size it is charged for.
    pub price: Price,
    /// The total in FROST.
    pub total_frost: u64,
    /// The shard count of the committee it was encoded for.
    pub n_shards: u16,
}

impl fmt::Display for DryRunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} (dry run: nothing stored or paid)", self.file)?;
        writeln!(f, "  blob id:      {}", self.blob_id)?;
        writeln!(f, "  size:         {} bytes", self.size)?;
        writeln!(
            f,
            "  encoded size: {} bytes for {} shards ({} MiB units)",
            self.price.encoded_length, self.n_shards, self.price.units
        )?;
        write!(
            f,
            "  cost:         {} ({} for {} epochs of storage + {} to write)",
            format_wal(self.total_frost),
            format_wal(self.price.storage_cost),
            self.price.epochs,
            format_wal(self.price.write_cost)
        )
    }
}

/// Stores every file in turn (with --dry-run, prices them).
pub async fn run(args: &StoreArgs, output: Output) -> anyhow::Result<()> {
    let signer =
        if args.dry_run && !args.seal.encrypt { args.account.signer()? } else { Some(args.account.required_signer()?) };
    let sealer = match (&signer, args.seal.encrypt) {
        (Some(signer), true) => {
            Some(Sealer::new(&args.seal, &args.account.deployment()?, &args.account.deployment, signer).await?)
        }
        _ => None,
    };
    let client = args.account.client(signer).await?;
    let chain = client.chain().context("the client has no chain connection")?;
    let system = chain.system().await.context("reading the system's epoch and prices")?;
    let options = args.storage.options(system.max_epochs_ahead)?;
    if args.dry_run {
        let config = *client.committee().config();
        for file in &args.files {
            let data = read_file(file)?;
            let data = match &sealer {
                Some(sealer) => sealer.seal(&data).with_context(|| format!("sealing {}", file.display()))?.0,
                None => data,
            };
            let size = data.len() as u64;
            let price = Price::of(&system, &config, size, options.epochs)
                .with_context(|| format!("pricing {}", file.display()))?;
            let blob_id = BlobIdReport::compute(file.display().to_string(), &data, config.n_shards())?.blob_id;
            output.emit(&DryRunReport {
                file: file.display().to_string(),
                blob_id,
                size,
                total_frost: price.total(),
                price,
                n_shards: config.n_shards(),
            })?;
        }
        return Ok(());
    }
    let spill = SpillOptions {
        threshold: args.spill_above_mib.saturating_mul(1 << 20),
        dir: args.spill_dir.clone().unwrap_or_else(std::env::temp_dir),
    };
    for file in &args.files {
        let bars = Bars::new(&file.display().to_string(), output == Output::Text);
        let (outcome, sealed) = match &sealer {
            Some(sealer) => {
                let data = read_file(file)?;
                let (bytes, report) = sealer.seal(&data).with_context(|| format!("sealing {}", file.display()))?;
                (client.store(bytes, &options, &bars).await, Some(report))
            }
            None => (client.store_file(file, &spill, &options, &bars).await, None),
        };
        bars.finish();
        let outcome: StoreOutcome = outcome.with_context(|| format!("storing {}", file.display()))?;
        output.emit(&StoreReport {
            file: file.display().to_string(),
            blob_id: outcome.blob_id().to_string(),
            outcome: outcome.answer(),
            sealed,
        })?;
    }
    Ok(())
}

fn read_file(file: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("cannot read {}; check the path", file.display()))
}
