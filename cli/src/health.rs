//! `floe health`: every committee node's `GET /v1/health` in one table (node, address, shards,
//! status, latency, the disk its store takes). A node that does not answer is a row saying so,
//! not a failed command.

use std::{fmt, time::Duration};

use floe_client::{StorageMember, node_api::NodeApiError};
use serde::Serialize;

use crate::{Output, account::AccountArgs};

/// Arguments of `floe health`.
#[derive(Debug, Clone, clap::Args)]
pub struct HealthArgs {
    /// Seconds to wait for each node.
    #[arg(long, default_value_t = 5)]
    pub timeout_secs: u64,
    /// The chain (no key needed).
    #[command(flatten)]
    pub account: AccountArgs,
}

/// One node's row.
#[derive(Debug, Clone, Serialize)]
pub struct NodeHealth {
    /// The node's name.
    pub name: String,
    /// Its node id.
    pub node_id: String,
    /// Its API address.
    pub url: String,
    /// Shards the chain assigns it this epoch.
    pub shards: usize,
    /// `ok`, `lagging` (it reports another epoch or other shards than the chain), `refused` (its
    /// TLS certificate carries another key than the one on chain), or `unreachable`.
    pub status: String,
    /// What is wrong, when something is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The epoch it reports.
    pub epoch: Option<u32>,
    /// Seconds since it started.
    pub uptime_secs: Option<u64>,
    /// Damaged slivers it holds aside, awaiting repair.
    pub awaiting_repair: Option<u64>,
    /// Bytes of disk its store takes (database and sliver file), when it reports them.
    pub disk_bytes: Option<u64>,
    /// How long the answer took, in milliseconds (also for a refusal).
    pub latency_ms: u64,
}

/// What `floe health` reports.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    /// The chain's epoch.
    pub epoch: u32,
    /// Nodes that answered `ok`.
    pub healthy: usize,
    /// One row per committee member.
    pub nodes: Vec<NodeHealth>,
}

impl fmt::Display for HealthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "epoch {}: {} of {} nodes healthy", self.epoch, self.healthy, self.nodes.len())?;
        let name_width = self.nodes.iter().map(|node| node.name.len()).max().unwrap_or(4).max(4);
        let url_width = self.nodes.iter().map(|node| node.url.len()).max().unwrap_or(7).max(7);
        write!(
            f,
            "\n{:<name_width$}  {:<url_width$}  {:>6}  {:<11}  {:>8}  {:>10}",
            "node", "address", "shards", "status", "latency", "disk"
        )?;
        for node in &self.nodes {
            let disk =
                node.disk_bytes.map_or_else(|| "-".to_owned(), |bytes| format!("{:.1} MiB", bytes as f64 / 1048576.0));
            write!(
                f,
                "\n{:<name_width$}  {:<url_width$}  {:>6}  {:<11}  {:>5} ms  {disk:>10}",
                node.name, node.url, node.shards, node.status, node.latency_ms
            )?;
            if let Some(problem) = &node.problem {
                write!(f, "  {problem}")?;
            }
        }
        Ok(())
    }
}

/// Asks one member, comparing its answer with what the chain says about it.
async fn check(http: reqwest::Client, member: &StorageMember, epoch: u32, timeout: Duration) -> NodeHealth {
    let started = std::time::Instant::now();
    let answer = member.client(&http).health(timeout).await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut row = NodeHealth {
        name: member.name.clone(),
        node_id: sui_sdk_types::Address::new(member.node_id).to_string(),
        url: member.url.clone(),
        shards: member.shards.len(),
        status: "ok".to_owned(),
        problem: None,
        epoch: None,
        uptime_secs: None,
        awaiting_repair: None,
        disk_bytes: None,
        latency_ms,
    };
    match answer {
        // Whatever answers at its address is not the node the chain names.
        Err(error @ NodeApiError::WrongTlsKey { .. }) => {
            row.status = "refused".to_owned();
            row.problem = Some(error.to_string());
        }
        Err(error) => {
            row.status = "unreachable".to_owned();
            row.problem = Some(error.to_string());
        }
        Ok(health) => {
            let mut chain_shards: Vec<u16> = member.shards.iter().map(|shard| shard.0).collect();
            chain_shards.sort_unstable();
            let mut reported = health.owned_shards.clone();
            reported.sort_unstable();
            row.problem = if health.epoch != epoch {
                Some(format!("it is at epoch {}, the chain at {epoch}", health.epoch))
            } else if reported != chain_shards {
                Some(format!("it holds {} shards, the chain assigns it {}", reported.len(), chain_shards.len()))
            } else {
                None
            };
            if row.problem.is_some() {
                row.status = "lagging".to_owned();
            }
            row.epoch = Some(health.epoch);
            row.uptime_secs = Some(health.uptime_secs);
            row.awaiting_repair = Some(health.integrity.awaiting_repair);
            row.disk_bytes = health.storage.map(|storage| storage.database_bytes + storage.sliver_file_bytes);
        }
    }
    row
}

/// `floe health`.
pub async fn run(args: &HealthArgs, output: Output) -> anyhow::Result<()> {
    let client = args.account.client(None).await?;
    let committee = client.committee();
    let timeout = Duration::from_secs(args.timeout_secs.max(1));
    let http = reqwest::Client::new();
    let nodes = futures::future::join_all(
        committee.members().iter().map(|member| check(http.clone(), member, committee.epoch(), timeout)),
    )
    .await;
    output.emit(&HealthReport {
        epoch: committee.epoch(),
        healthy: nodes.iter().filter(|node| node.status == "ok").count(),
        nodes,
    })
}
