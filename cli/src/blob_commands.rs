//! The blob owner's commands: `floe status`, `floe delete`, `floe extend`, `floe burn-expired`,
//! `floe set-attribute`, `floe attributes`.

use std::fmt;

use anyhow::Context as _;
use floe_encoder::BlobId;
use serde::Serialize;
use sui_sdk_types::Address;

use crate::{Output, account::AccountArgs};

/// Arguments of `floe status`.
#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    /// The blob id.
    // Base64url ids may start with '-': take them as the value, not as a flag.
    #[arg(allow_hyphen_values = true)]
    pub blob_id: BlobId,
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
    /// Epochs to add.
    #[arg(long)]
    pub epochs: u32,
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
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "blob {}", self.blob_id)?;
        match &self.status {
            Some(status) => {
                writeln!(f, "  status:  {status} (nodes holding {} of {} shards)", self.weight, self.n_shards)?
            }
            None => writeln!(
                f,
                "  status:  unknown: too few nodes agree ({} of {} shards answered)",
                self.answered, self.n_shards
            )?,
        }
        match self.certified_until {
            Some(epoch) => write!(f, "  certified permanently until epoch {epoch}"),
            None => write!(f, "  not certified as a permanent blob"),
        }
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
    let report = client.status(&args.blob_id).await;
    output.emit(&StatusReport {
        blob_id: args.blob_id.to_string(),
        status: report.status.map(serde_json::to_value).transpose()?,
        weight: report.weight,
        answered: report.answered,
        n_shards: client.committee().n_shards(),
        certified_until: report.certified_until,
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

/// `floe extend`.
pub async fn extend(args: &ExtendArgs, output: Output) -> anyhow::Result<()> {
    let cost = chain(&args.blob).await?.extend(args.blob.object_id, args.epochs).await.with_context(|| {
        format!("extending {}: only certified, unexpired blobs you own can be extended", args.blob.object_id)
    })?;
    output.emit(&Done {
        action: format!("extended by {} epochs", args.epochs),
        object_id: args.blob.object_id.to_string(),
        details: serde_json::json!({ "costFrost": cost }),
    })
}

/// `floe burn-expired`.
pub async fn burn_expired(args: &ObjectArgs, output: Output) -> anyhow::Result<()> {
    chain(args)
        .await?
        .burn_expired(args.object_id)
        .await
        .with_context(|| format!("burning {}: only expired blobs can be burnt", args.object_id))?;
    output.emit(&Done {
        action: "burnt".into(),
        object_id: args.object_id.to_string(),
        details: serde_json::Value::Null,
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
