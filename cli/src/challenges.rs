//! `floe challenges`: the storage challenge outcomes the chain recorded, as the indexer keeps
//! them, and `floe audit`: challenging a storage node now, as any user can.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use anyhow::Context as _;
use floe_client::audit::{self, AuditReport};
use floe_encoder::BlobId;
use floe_encoder::challenge::{EligibleBlobs, SAMPLES_PER_NODE};
use serde::Serialize;
use sui_sdk_types::Address;

use crate::Output;
use crate::account::AccountArgs;
use crate::explorer::{ChallengeRow, Explorer, IndexerArg};
use crate::stake::format_wal;

/// Arguments of `floe challenges`.
#[derive(Debug, Clone, clap::Args)]
pub struct ChallengesArgs {
    /// Only the outcomes about this epoch.
    #[arg(long)]
    pub epoch: Option<u32>,
    /// Only the outcomes of this storage node (its node id, 0x...).
    #[arg(long)]
    pub node: Option<Address>,
    /// Where the outcomes are read.
    #[command(flatten)]
    pub indexer: IndexerArg,
    /// A deployment description (`deployment.json`): when given, nodes are shown by their
    /// names on chain.
    #[arg(long)]
    pub deployment: Option<std::path::PathBuf>,
}

/// One outcome with the node's name, when known.
#[derive(Debug, Clone, Serialize)]
pub struct ChallengeOutcomeReport {
    /// The recorded outcome.
    #[serde(flatten)]
    pub outcome: ChallengeRow,
    /// The node's name on chain, if `--deployment` was given and it has a pool.
    pub name: Option<String>,
}

/// What `floe challenges` reports: the outcomes, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct ChallengesReport {
    /// The outcomes.
    pub outcomes: Vec<ChallengeOutcomeReport>,
}

impl fmt::Display for ChallengesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.outcomes.is_empty() {
            return write!(f, "no challenge outcome recorded");
        }
        write!(f, "{:>6}  {:<24} {:<7} {:>8}  {:>16}", "epoch", "node", "outcome", "support", "withheld WAL")?;
        for row in &self.outcomes {
            let node = match &row.name {
                Some(name) => format!("{name} ({})", short(&row.outcome.node_id)),
                None => short(&row.outcome.node_id),
            };
            write!(
                f,
                "\n{:>6}  {:<24} {:<7} {:>8}  {:>16}",
                row.outcome.epoch,
                node,
                if row.outcome.passed { "passed" } else { "FAILED" },
                row.outcome.stake_support,
                row.outcome.rewards_withheld.map_or_else(|| "-".to_owned(), format_wal)
            )?;
        }
        Ok(())
    }
}

/// `0x1234…abcd`.
fn short(id: &str) -> String {
    if id.len() > 14 { format!("{}…{}", &id[..8], &id[id.len() - 4..]) } else { id.to_owned() }
}

/// Prints the recorded outcomes.
pub async fn challenges(args: &ChallengesArgs, output: Output) -> anyhow::Result<()> {
    let explorer = Explorer::new(&args.indexer.url);
    let node = args.node.map(|n| n.to_string());
    let rows = explorer.challenges(node.as_deref(), args.epoch).await?;
    let names = match &args.deployment {
        Some(path) => node_names(path).await?,
        None => HashMap::new(),
    };
    let outcomes = rows
        .into_iter()
        .map(|outcome| ChallengeOutcomeReport { name: names.get(&outcome.node_id).cloned(), outcome })
        .collect();
    output.emit(&ChallengesReport { outcomes })
}

/// Every registered node's name by its node id (as the indexer prints it).
async fn node_names(deployment: &std::path::Path) -> anyhow::Result<HashMap<String, String>> {
    let account = AccountArgs { deployment: deployment.to_owned(), key: None, keystore: None, address: None };
    let chain = account.chain(None).await?;
    let pools = chain.pools().await.context("reading the staking pools for the node names")?;
    Ok(pools.into_iter().map(|pool| (pool.id.to_string(), pool.name)).collect())
}

/// Arguments of `floe audit`.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {
    /// The storage node to challenge (its node id, 0x...; `floe info` lists them).
    pub node_id: Address,
    /// How many samples to draw (the committee's own challenges draw 66).
    #[arg(long, default_value_t = SAMPLES_PER_NODE)]
    pub samples: usize,
    /// A blob to draw samples from (repeatable); without it, every certified live blob the
    /// indexer lists.
    #[arg(long = "blob")]
    pub blobs: Vec<BlobId>,
    /// Where the blob list is read when no --blob is given.
    #[command(flatten)]
    pub indexer: IndexerArg,
    /// Seconds the node may take to answer each batch of samples.
    #[arg(long, default_value_t = audit::DEFAULT_BATCH_TIMEOUT.as_secs())]
    pub timeout_secs: u64,
    /// The chain (no key needed).
    #[command(flatten)]
    pub account: AccountArgs,
}

/// Challenges the node, prints what it found, and fails unless every sample was valid.
pub async fn audit(args: &AuditArgs, output: Output) -> anyhow::Result<()> {
    let client = args.account.client(None).await?;
    let committee = client.committee();
    let blobs = if args.blobs.is_empty() {
        Explorer::new(&args.indexer.url)
            .live_blobs(committee.epoch())
            .await
            .context("listing the certified live blobs to sample (or give them with --blob)")?
    } else {
        args.blobs.clone()
    };
    let report: AuditReport = audit::audit(
        &reqwest::Client::new(),
        &committee,
        args.node_id.inner(),
        &EligibleBlobs::new(blobs),
        args.samples,
        Duration::from_secs(args.timeout_secs),
    )
    .await?;
    output.emit(&report)?;
    anyhow::ensure!(
        report.passed(),
        "node {} failed the audit: {} of {} samples not valid ({} missing, {} invalid, {} unreachable)",
        report.node_id,
        report.samples - report.valid,
        report.samples,
        report.missing,
        report.invalid,
        report.unreachable
    );
    Ok(())
}
