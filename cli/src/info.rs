//! `floe info`: the current epoch, prices, capacity and committee.

use std::fmt;

use serde::Serialize;

use crate::{Output, account::AccountArgs};

/// Arguments of `floe info`.
#[derive(Debug, Clone, clap::Args)]
pub struct InfoArgs {
    /// The chain (no key needed).
    #[command(flatten)]
    pub account: AccountArgs,
}

/// One committee member.
#[derive(Debug, Clone, Serialize)]
pub struct MemberReport {
    /// Its name.
    pub name: String,
    /// Its node id.
    pub node_id: String,
    /// Shards held.
    pub shards: usize,
    /// Its API URL.
    pub url: String,
}

/// What `floe info` reports.
#[derive(Debug, Clone, Serialize)]
pub struct InfoReport {
    /// The current epoch.
    pub epoch: u32,
    /// Shards.
    pub n_shards: u16,
    /// Tolerated faulty shards.
    pub max_faulty: u16,
    /// FROST per MiB of encoded size per epoch.
    pub storage_price_per_unit: u64,
    /// FROST per MiB of encoded size, once.
    pub write_price_per_unit: u64,
    /// Encoded bytes the committee sells per epoch.
    pub total_capacity: u64,
    /// Encoded bytes sold for this epoch.
    pub used_capacity: u64,
    /// The largest blob the committee can encode.
    pub max_blob_size: u64,
    /// Members.
    pub committee: Vec<MemberReport>,
}

impl fmt::Display for InfoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "epoch {}: {} shards (tolerates {} faulty)", self.epoch, self.n_shards, self.max_faulty)?;
        writeln!(
            f,
            "price:    {} FROST per MiB (encoded) per epoch + {} FROST per MiB once",
            self.storage_price_per_unit, self.write_price_per_unit
        )?;
        writeln!(f, "capacity: {} of {} bytes used", self.used_capacity, self.total_capacity)?;
        writeln!(f, "largest blob: {} bytes", self.max_blob_size)?;
        write!(f, "committee of {}:", self.committee.len())?;
        for member in &self.committee {
            write!(f, "\n  {:<16} {:>5} shards  {}  {}", member.name, member.shards, member.url, member.node_id)?;
        }
        Ok(())
    }
}

/// Prints the report.
pub async fn run(args: &InfoArgs, output: Output) -> anyhow::Result<()> {
    let client = args.account.client(None).await?;
    let chain = client.chain().expect("connected clients have a chain");
    let system = chain.system().await?;
    let committee = client.refresh_committee(Some(system.epoch())).await?;
    let config = committee.config();
    output.emit(&InfoReport {
        epoch: system.epoch(),
        n_shards: committee.n_shards(),
        max_faulty: config.max_faulty(),
        storage_price_per_unit: system.storage_price_per_unit_size,
        write_price_per_unit: system.write_price_per_unit_size,
        total_capacity: system.total_capacity_size,
        used_capacity: system.used_capacity_size,
        max_blob_size: config.max_blob_size(),
        committee: committee
            .members()
            .iter()
            .map(|member| MemberReport {
                name: member.name.clone(),
                node_id: format!("0x{}", hex_string(&member.node_id)),
                shards: member.shards.len(),
                url: member.url.clone(),
            })
            .collect(),
    })
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
