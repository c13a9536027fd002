//! The blob owner's commands: `floe status`, `floe delete`, `floe extend` (also of a shared
//! blob, from its funds), `floe burn`, `floe set-attribute`, `floe remove-attribute`,
//! `floe attributes`; and sharing: `floe share`, `floe fund-shared-blob`.

use std::fmt;

use anyhow::Context as _;
use floe_chain::ClockTime;
use floe_client::node_api::BlobStatus;
use floe_encoder::BlobId;
use serde::Serialize;
use sui_sdk_types::Address;

use crate::explorer::BlobObjectRow;
use crate::stake::WalAmount;
use crate::{Output, account::AccountArgs, epochs::Epochs};

/// Arguments of `floe status`.
#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    /// The blob id.
    // Base64url ids may start with '-': take them as the value, not as a flag.
    #[arg(allow_hyphen_values = true)]
    pub blob_id: BlobId,
    /// An indexer's explorer URL to name the blob's owners (the chain alone cannot list the
    /// Blob objects of a blob id); `floe localnet` prints it as `explorer:`.
    #[arg(long)]
    pub indexer: Option<String>,
    /// The chain (no key needed).
    #[command(flatten)]
    pub account: AccountArgs,
}

/// Arguments of the commands on one `Blob` object.
#[derive(Debug, Clone, clap::Args)]
pub struct ObjectArgs {
    /// The `Blob` object id (0x...).
    pub object_id: Address,
    /// The chain and key.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// Arguments of `floe extend`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExtendArgs {
    /// The blob and the chain.
    #[command(flatten)]
    pub blob: ObjectArgs,
    /// Epochs to add, or `max` (up to the chain's max_epochs_ahead).
    #[arg(long)]
    pub epochs: Epochs,
}

/// Arguments of `floe burn`.
#[derive(Debug, Clone, clap::Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["object_ids", "all_expired"]))]
pub struct BurnArgs {
    /// The `Blob` objects to burn (0x...), expired or not.
    pub object_ids: Vec<Address>,
    /// Burn every Blob you own whose end epoch has come.
    #[arg(long, conflicts_with = "object_ids")]
    pub all_expired: bool,
    /// The chain and key.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// Arguments of `floe remove-attribute`.
#[derive(Debug, Clone, clap::Args)]
pub struct RemoveAttributeArgs {
    /// The blob and the chain.
    #[command(flatten)]
    pub blob: ObjectArgs,
    /// The attribute's key.
    #[arg(value_name = "KEY")]
    pub attribute: String,
}

/// Arguments of `floe set-attribute`.
#[derive(Debug, Clone, clap::Args)]
pub struct SetAttributeArgs {
    /// The blob and the chain.
    #[command(flatten)]
    pub blob: ObjectArgs,
    /// The attribute's key, e.g. content-type (`key` is taken by `--key`).
    #[arg(value_name = "KEY")]
    pub attribute: String,
    /// Its value, e.g. image/png.
    pub value: String,
}

/// What `floe status` reports.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// The blob id.
    pub blob_id: String,
    /// The status nodes holding at least f+1 shards agree on (Walrus' shape), if any.
    pub status: Option<serde_json::Value>,
    /// Shards behind that status.
    pub weight: u64,
    /// Shards that answered.
    pub answered: u64,
    /// Shards in the committee.
    pub n_shards: u16,
    /// The epoch until which the blob is certified permanently, if it is.
    pub certified_until: Option<u32>,
    /// The current epoch.
    pub epoch: u32,
    /// When `certified_until` begins, at the earliest (the chain's clock, ms).
    pub certified_until_ms: Option<u64>,
    /// The Blob objects of this blob id and their owners, when an indexer was asked.
    pub objects: Option<Vec<BlobObjectRow>>,
    /// The shared blobs holding this blob id, with their funds, when an indexer was asked.
    pub shared: Option<Vec<SharedBlobRow>>,
    /// The agreed status, typed, for the text.
    #[serde(skip)]
    pub agreed: Option<BlobStatus>,
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "blob {}", self.blob_id)?;
        let until = |epoch: u32| match self.certified_until_ms {
            Some(ms) => format!("epoch {epoch} (from {})", ClockTime(ms)),
            None => format!("epoch {epoch}"),
        };
        let state = match self.agreed {
            None => "unknown: the nodes that answered disagree, or too few answered".to_owned(),
            Some(BlobStatus::Nonexistent) => "not stored: no live registration of this blob id".to_owned(),
            Some(BlobStatus::Invalid) => "invalid: proven inconsistently encoded, it cannot be read".to_owned(),
            Some(BlobStatus::Permanent { end_epoch, is_certified: true, .. }) => {
                format!("certified, permanent, until {}", until(self.certified_until.unwrap_or(end_epoch)))
            }
            Some(BlobStatus::Permanent { end_epoch, is_certified: false, .. }) => {
                format!("registered until epoch {end_epoch} but not certified: not available")
            }
            Some(BlobStatus::Deletable { initial_certified_epoch: Some(epoch), .. }) => {
                format!("certified since epoch {epoch}, deletable (its owner may delete it at any time)")
            }
            Some(BlobStatus::Deletable { initial_certified_epoch: None, .. }) => {
                "registered as deletable but not certified: not available".to_owned()
            }
        };
        writeln!(f, "  {state}; now epoch {}", self.epoch)?;
        write!(
            f,
            "  {} of {} shards answered; nodes holding {} shards agree",
            self.answered, self.n_shards, self.weight
        )?;
        match &self.objects {
            None => write!(f, "\n  owner: not looked up (--indexer URL names the owners)"),
            Some(objects) if objects.iter().all(|object| object.deleted) => {
                write!(f, "\n  owner: none known to the indexer (no live Blob object)")
            }
            Some(objects) => {
                let shared = self.shared.as_deref().unwrap_or_default();
                for object in objects.iter().filter(|object| !object.deleted) {
                    if let Some(row) = shared.iter().find(|row| row.blob_object_id == object.object_id) {
                        write!(f, "\n  {row}")?;
                        continue;
                    }
                    write!(
                        f,
                        "\n  owner: {} (Blob object {}, {}, {} until epoch {})",
                        object.owner.as_deref().unwrap_or("none (wrapped)"),
                        object.object_id,
                        if object.deletable { "deletable" } else { "permanent" },
                        if object.certified_epoch.is_some() { "certified" } else { "not certified" },
                        object.end_epoch
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// A `SharedBlob` of a blob id, as `floe status` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct SharedBlobRow {
    /// The SharedBlob object (what `floe fund-shared-blob` and `floe extend` take).
    pub object_id: String,
    /// The Blob object it wraps.
    pub blob_object_id: String,
    /// Its funds for extensions, in FROST.
    pub funds_frost: u64,
    /// The blob's end epoch.
    pub end_epoch: u32,
}

impl fmt::Display for SharedBlobRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shared: SharedBlob {} (Blob object {}) holds {} for extensions, until epoch {}; anyone can fund it \
             (`floe fund-shared-blob {} AMOUNT`) and extend it (`floe extend {} --epochs N`)",
            self.object_id,
            self.blob_object_id,
            crate::stake::format_wal(self.funds_frost),
            self.end_epoch,
            self.object_id,
            self.object_id
        )
    }
}

/// What the object commands report.
#[derive(Debug, Clone, Serialize)]
pub struct Done {
    /// What was done.
    pub action: String,
    /// The object.
    pub object_id: String,
    /// Extra figures (cost, attributes, ...).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

impl fmt::Display for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.action, self.object_id)?;
        if !self.details.is_null() {
            write!(f, ": {}", self.details)?;
        }
        Ok(())
    }
}

/// `floe status`.
pub async fn status(args: &StatusArgs, output: Output) -> anyhow::Result<()> {
    let client = args.account.client(None).await?;
    let chain = client.chain().context("the client has no chain connection")?;
    let (report, staking) = tokio::join!(client.status(&args.blob_id), chain.staking());
    let staking = staking.context("reading the epoch schedule")?;
    let (objects, shared) = match &args.indexer {
        Some(url) => {
            let explorer = crate::explorer::Explorer::new(url);
            let objects = explorer.blob_objects(&args.blob_id).await?;
            let mut shared = Vec::new();
            for id in explorer.shared_blobs(&args.blob_id).await? {
                let object_id: Address =
                    id.parse().with_context(|| format!("the indexer named shared blob {id:?}, not an object id"))?;
                let state = chain.shared_blob(object_id).await.with_context(|| format!("reading shared blob {id}"))?;
                shared.push(SharedBlobRow {
                    object_id: id,
                    blob_object_id: state.shared.blob.id.to_string(),
                    funds_frost: state.shared.funds,
                    end_epoch: state.shared.blob.end_epoch(),
                });
            }
            (Some(objects), Some(shared))
        }
        None => (None, None),
    };
    let certified_until_ms = report.certified_until.map(|end| {
        let ahead = u64::from(end.saturating_sub(staking.epoch));
        staking.epoch_start_ms.saturating_add(ahead.saturating_mul(staking.epoch_duration_ms))
    });
    output.emit(&StatusReport {
        blob_id: args.blob_id.to_string(),
        status: report.status.map(serde_json::to_value).transpose()?,
        weight: report.weight,
        answered: report.answered,
        n_shards: client.committee().n_shards(),
        certified_until: report.certified_until,
        epoch: staking.epoch,
        certified_until_ms,
        objects,
        shared,
        agreed: report.status,
    })
}

async fn chain(args: &ObjectArgs) -> anyhow::Result<floe_client::ChainAccess> {
    args.account.chain(Some(args.account.required_signer()?)).await
}

/// `floe delete`.
pub async fn delete(args: &ObjectArgs, output: Output) -> anyhow::Result<()> {
    chain(args).await?.delete(args.object_id).await.with_context(|| {
        format!("deleting {}: only deletable, unexpired blobs you own can be deleted", args.object_id)
    })?;
    output.emit(&Done {
        action: "deleted".into(),
        object_id: args.object_id.to_string(),
        details: serde_json::Value::Null,
    })
}

/// `floe extend`: checks the blob can be extended that far before paying. A `SharedBlob` id
/// extends that shared blob from its own funds (the signer pays only gas).
pub async fn extend(args: &ExtendArgs, output: Output) -> anyhow::Result<()> {
    let id = args.blob.object_id;
    let chain = chain(&args.blob).await?;
    let blob = match chain.blob(id).await {
        Ok((blob, _)) => blob,
        Err(error) => {
            if matches!(error, floe_client::ChainError::NotABlob { .. }) && chain.shared_blob(id).await.is_ok() {
                return extend_shared(&chain, args, output).await;
            }
            return Err(error).with_context(|| format!("reading blob {id}"));
        }
    };
    let system = chain.system().await.context("reading the system's epoch")?;
    let epoch = system.epoch();
    if blob.storage.end_epoch <= epoch {
        anyhow::bail!(
            "blob {id} expired at epoch {} (now {epoch}): an expired blob cannot be extended",
            blob.storage.end_epoch
        );
    }
    if !blob.is_certified() {
        anyhow::bail!(
            "blob {id} is not certified: only certified blobs can be extended (finish it with `floe store` first)"
        );
    }
    let epochs = args.epochs.for_extension(blob.storage.end_epoch - epoch, system.max_epochs_ahead)?;
    let cost = chain.extend(id, epochs).await.with_context(|| format!("extending {id}"))?;
    output.emit(&Done {
        action: format!("extended by {epochs} epochs, until epoch {},", blob.storage.end_epoch + epochs),
        object_id: id.to_string(),
        details: serde_json::json!({ "costFrost": cost, "endEpoch": blob.storage.end_epoch + epochs }),
    })
}

/// `floe extend SHARED_BLOB_ID`: paid from the shared blob's funds.
async fn extend_shared(chain: &floe_client::ChainAccess, args: &ExtendArgs, output: Output) -> anyhow::Result<()> {
    let id = args.blob.object_id;
    let state = chain.shared_blob(id).await.with_context(|| format!("reading shared blob {id}"))?;
    let system = chain.system().await.context("reading the system's epoch")?;
    let (end, epoch) = (state.shared.blob.end_epoch(), system.epoch());
    if end <= epoch {
        anyhow::bail!("shared blob {id} expired at epoch {end} (now {epoch}): an expired blob cannot be extended");
    }
    let epochs = args.epochs.for_extension(end - epoch, system.max_epochs_ahead)?;
    let extension =
        chain.extend_shared_blob(id, epochs).await.with_context(|| format!("extending shared blob {id}"))?;
    output.emit(&Done {
        action: format!(
            "extended shared blob by {epochs} epochs from its funds ({} left), until epoch {},",
            crate::stake::format_wal(extension.funds_left),
            extension.end_epoch
        ),
        object_id: id.to_string(),
        details: serde_json::json!({
            "costFrost": extension.cost,
            "endEpoch": extension.end_epoch,
            "fundsFrost": extension.funds_left,
            "shared": true,
        }),
    })
}

/// What `floe burn --all-expired` reports.
#[derive(Debug, Clone, Serialize)]
pub struct BurntReport {
    /// The burnt Blob objects.
    pub burnt: Vec<String>,
    /// Transactions it took.
    pub transactions: usize,
    /// The current epoch (blobs ending at or before it were expired).
    pub epoch: u32,
}

impl fmt::Display for BurntReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.burnt.len() {
            0 => return write!(f, "no expired blobs to burn at epoch {}", self.epoch),
            1 => write!(f, "burnt 1 expired blob")?,
            n => write!(f, "burnt {n} expired blobs")?,
        }
        write!(f, " in {} transaction{}:", self.transactions, if self.transactions == 1 { "" } else { "s" })?;
        for id in &self.burnt {
            write!(f, "\n  {id}")?;
        }
        Ok(())
    }
}

/// `floe burn`: the blobs named, one transaction each, or every expired one.
pub async fn burn(args: &BurnArgs, output: Output) -> anyhow::Result<()> {
    let chain = args.account.chain(Some(args.account.required_signer()?)).await?;
    if args.all_expired {
        let burnt = chain.burn_all_expired().await.context("burning the expired blobs")?;
        return output.emit(&BurntReport {
            burnt: burnt.object_ids.iter().map(ToString::to_string).collect(),
            transactions: burnt.transactions,
            epoch: burnt.epoch,
        });
    }
    for id in &args.object_ids {
        chain.burn(*id).await.with_context(|| format!("burning {id}"))?;
        output.emit(&Done {
            action: "burnt (its storage is not refunded)".into(),
            object_id: id.to_string(),
            details: serde_json::Value::Null,
        })?;
    }
    Ok(())
}

/// `floe remove-attribute`.
pub async fn remove_attribute(args: &RemoveAttributeArgs, output: Output) -> anyhow::Result<()> {
    let value = chain(&args.blob)
        .await?
        .remove_attribute(args.blob.object_id, &args.attribute)
        .await
        .with_context(|| format!("removing attribute {} of {}", args.attribute, args.blob.object_id))?;
    output.emit(&Done {
        action: format!("removed {}={} from", args.attribute, value),
        object_id: args.blob.object_id.to_string(),
        details: serde_json::json!({ "key": args.attribute, "value": value }),
    })
}

/// `floe set-attribute`.
pub async fn set_attribute(args: &SetAttributeArgs, output: Output) -> anyhow::Result<()> {
    chain(&args.blob).await?.set_attribute(args.blob.object_id, &args.attribute, &args.value).await.with_context(
        || format!("setting attribute {} of {}: is it a Blob object you own?", args.attribute, args.blob.object_id),
    )?;
    output.emit(&Done {
        action: format!("set {}={} on", args.attribute, args.value),
        object_id: args.blob.object_id.to_string(),
        details: serde_json::Value::Null,
    })
}

/// `floe attributes`.
pub async fn attributes(args: &ObjectArgs, output: Output) -> anyhow::Result<()> {
    let chain = args.account.chain(None).await?;
    let attributes = chain.attributes(args.object_id).await?;
    let details = attributes.into_iter().map(|(key, value)| (key, serde_json::Value::String(value))).collect();
    output.emit(&Done {
        action: "attributes of".into(),
        object_id: args.object_id.to_string(),
        details: serde_json::Value::Object(details),
    })
}

/// Arguments of `floe share`.
#[derive(Debug, Clone, clap::Args)]
pub struct ShareArgs {
    /// The blob and the chain.
    #[command(flatten)]
    pub blob: ObjectArgs,
    /// WAL to put in the shared blob's funds now (e.g. 1.5); anyone can add more later.
    #[arg(long, value_name = "AMOUNT")]
    pub fund: Option<WalAmount>,
}

/// Arguments of `floe fund-shared-blob`.
#[derive(Debug, Clone, clap::Args)]
pub struct FundSharedArgs {
    /// The `SharedBlob` object id (0x...), as `floe share` or `floe status --indexer` prints it.
    pub shared_blob_id: Address,
    /// WAL to add (e.g. 1.5).
    pub amount: WalAmount,
    /// The chain and key.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// `floe share`: the owner gives a certified blob up into a shared blob.
pub async fn share(args: &ShareArgs, output: Output) -> anyhow::Result<()> {
    let id = args.blob.object_id;
    let funds = args.fund.map_or(0, |WalAmount(frost)| frost);
    let shared = chain(&args.blob).await?.share_blob(id, funds).await.with_context(|| format!("sharing blob {id}"))?;
    output.emit(&Done {
        action: format!(
            "shared as SharedBlob {shared} with {} of funds (anyone can fund and extend it; nobody can delete it): blob",
            crate::stake::format_wal(funds)
        ),
        object_id: id.to_string(),
        details: serde_json::json!({ "sharedBlobId": shared.to_string(), "fundsFrost": funds }),
    })
}

/// `floe fund-shared-blob`: anyone adds WAL to a shared blob's funds.
pub async fn fund_shared_blob(args: &FundSharedArgs, output: Output) -> anyhow::Result<()> {
    let id = args.shared_blob_id;
    let WalAmount(amount) = args.amount;
    let chain = args.account.chain(Some(args.account.required_signer()?)).await?;
    let funds = chain.fund_shared_blob(id, amount).await.with_context(|| format!("funding shared blob {id}"))?;
    output.emit(&Done {
        action: format!(
            "added {} to the funds of shared blob (now {})",
            crate::stake::format_wal(amount),
            crate::stake::format_wal(funds)
        ),
        object_id: id.to_string(),
        details: serde_json::json!({ "addedFrost": amount, "fundsFrost": funds }),
    })
}
