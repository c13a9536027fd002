//! `floe info`: the epoch and its schedule, prices, capacity, the committee (and the next one once
//! selected), and every registered candidate with its stake and commission.

use std::fmt;

use floe_chain::floe::committee::Committee;
use floe_chain::floe::staking::EpochState;
use serde::Serialize;
use sui_sdk_types::Address;

use crate::stake::format_wal;
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
    /// The key its TLS certificate carries (hex), pinned by clients.
    pub network_public_key: Option<String>,
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
    /// How many epochs ahead storage is sold (`--epochs max`).
    pub max_epochs_ahead: u32,
    /// Members.
    pub committee: Vec<MemberReport>,
    /// When the epoch started and when its next steps are due.
    pub schedule: Schedule,
    /// The next committee, once `voting_end` selected it: node id and shards.
    pub next_committee: Option<Vec<NextMember>>,
    /// Every registered node, in registration order.
    pub candidates: Vec<CandidateReport>,
}

/// The epoch's timeline (times in ms since the Unix epoch).
#[derive(Debug, Clone, Serialize)]
pub struct Schedule {
    /// `sync` (nodes receiving their shards), `done` (change finished), `next_selected`.
    pub state: &'static str,
    /// When the epoch started.
    pub epoch_start_ms: u64,
    /// The epoch length.
    pub epoch_duration_ms: u64,
    /// From when `voting_end` may select the next committee.
    pub voting_ends_ms: u64,
    /// From when the next epoch may start.
    pub next_change_ms: u64,
}

/// A member of the next committee.
#[derive(Debug, Clone, Serialize)]
pub struct NextMember {
    /// Its node id.
    pub node_id: Address,
    /// Shards it will hold.
    pub shards: usize,
}

/// A registered node (candidate or member).
#[derive(Debug, Clone, Serialize)]
pub struct CandidateReport {
    /// Its node id.
    pub node_id: Address,
    /// Its name.
    pub name: String,
    /// Its registered network address.
    pub address: String,
    /// Active stake, rewards included (FROST).
    pub active_stake: u64,
    /// Stake activating at coming epochs (FROST).
    pub pending_stake: u64,
    /// Shards held this epoch.
    pub shards: usize,
    /// Shards in the selected next committee, once selected.
    pub next_shards: Option<usize>,
    /// Commission in basis points.
    pub commission_bps: u16,
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
        writeln!(f, "storage sold: up to {} epochs ahead (--epochs max)", self.max_epochs_ahead)?;
        write!(f, "committee of {}:", self.committee.len())?;
        for member in &self.committee {
            write!(f, "\n  {:<16} {:>5} shards  {}  {}", member.name, member.shards, member.url, member.node_id)?;
            if let Some(key) = &member.network_public_key {
                write!(f, "\n  {:<16}       TLS key {key}", "")?;
            }
        }
        let schedule = &self.schedule;
        write!(
            f,
            "\nepoch state: {}; started {}, lasts {}; voting ends {}, next change from {}",
            schedule.state,
            time(schedule.epoch_start_ms),
            floe_chain::Span(schedule.epoch_duration_ms),
            time(schedule.voting_ends_ms),
            time(schedule.next_change_ms)
        )?;
        if let Some(next) = &self.next_committee {
            write!(f, "\nnext committee selected: {} nodes", next.len())?;
        }
        write!(f, "\n{} registered nodes:", self.candidates.len())?;
        for node in &self.candidates {
            let next = node.next_shards.map(|n| format!(" -> {n}")).unwrap_or_default();
            write!(
                f,
                "\n  {:<16} stake {} (+{} pending)  shards {}{}  commission {} bps  {}\n    {}",
                node.name,
                format_wal(node.active_stake),
                format_wal(node.pending_stake),
                node.shards,
                next,
                node.commission_bps,
                node.address,
                node.node_id
            )?;
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
    let staking = chain.staking().await?;
    let pools = chain.pools().await?;
    let shards = |committee: &Committee, id: &Address| committee.shards.get(id).map_or(0, Vec::len);
    let candidates = pools
        .iter()
        .map(|pool| CandidateReport {
            node_id: pool.id,
            name: pool.name.clone(),
            address: pool.network_address.clone(),
            active_stake: pool.wal_balance,
            pending_stake: pool.pending_stake.contents.iter().map(|entry| entry.value).sum(),
            shards: shards(&staking.committee, &pool.id),
            next_shards: staking.next_committee.as_ref().map(|next| shards(next, &pool.id)),
            commission_bps: pool.commission_rate,
        })
        .collect();
    let next_committee = staking.next_committee.as_ref().map(|next| {
        next.shards.contents.iter().map(|entry| NextMember { node_id: entry.key, shards: entry.value.len() }).collect()
    });
    let schedule = Schedule {
        state: match staking.epoch_state {
            EpochState::EpochChangeSync(_) => "sync",
            EpochState::EpochChangeDone(_) => "done",
            EpochState::NextParamsSelected => "next_selected",
        },
        epoch_start_ms: staking.epoch_start_ms,
        epoch_duration_ms: staking.epoch_duration_ms,
        voting_ends_ms: staking.epoch_start_ms.saturating_add(staking.epoch_duration_ms / 2),
        next_change_ms: staking.epoch_start_ms.saturating_add(staking.epoch_duration_ms),
    };
    output.emit(&InfoReport {
        epoch: system.epoch(),
        n_shards: committee.n_shards(),
        max_faulty: config.max_faulty(),
        storage_price_per_unit: system.storage_price_per_unit_size,
        write_price_per_unit: system.write_price_per_unit_size,
        total_capacity: system.total_capacity_size,
        used_capacity: system.used_capacity_size,
        max_blob_size: config.max_blob_size(),
        max_epochs_ahead: system.max_epochs_ahead,
        committee: committee
            .members()
            .iter()
            .map(|member| MemberReport {
                name: member.name.clone(),
                node_id: format!("0x{}", hex_string(&member.node_id)),
                shards: member.shards.len(),
                url: member.url.clone(),
                network_public_key: member.network_key.map(|key| key.to_string()),
            })
            .collect(),
        schedule,
        next_committee,
        candidates,
    })
}

fn time(ms: u64) -> floe_chain::ClockTime {
    floe_chain::ClockTime(ms)
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
