//! The rows one batch of checkpoints writes. Rows the batch touches are loaded first (inside the
//! ingest transaction), every change is applied in chain order in memory, and the result is
//! written with a few bulk statements (`write`; the changes themselves are in `apply`): fast
//! on both backends and, because nothing is written before the batch is complete, trivially all-or-nothing together with the watermark.

mod apply;
mod write;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;
use floe_chain::Packages;

use crate::checkpoint::IndexedCheckpoint;
use crate::db::{DbConnection, DbError, with_connection};
use crate::ingest::IngestError;
use crate::mapping::{Change, map_event};
use crate::rows::{
    BlobRow, ChallengeOutcomeRow, ChallengeWindowRow, CommitteeMemberRow, CommitteeShardRow, EpochRow, EventRow,
    PoolRow, RewardsWithheldRow, StakeRow,
};
use crate::schema::{blobs, epochs, pools, stakes};

/// Keys per `IN (...)` lookup.
const LOOKUP_CHUNK: usize = 500;

/// `state` of a stake.
const STAKED: &str = "staked";
const WITHDRAWING: &str = "withdrawing";
const WITHDRAWN: &str = "withdrawn";

/// A row loaded or created by the batch: its state before the batch (if it existed) decides
/// between insert and update, and gives the running totals their delta.
#[derive(Debug)]
struct Tracked<T> {
    row: T,
    original: Option<T>,
    dirty: bool,
}

impl<T: Clone> Tracked<T> {
    fn loaded(row: T) -> Self {
        Self { original: Some(row.clone()), row, dirty: false }
    }
}

impl<T> Tracked<T> {
    fn created(row: T) -> Self {
        Self { row, original: None, dirty: true }
    }
    fn edit(&mut self) -> &mut T {
        self.dirty = true;
        &mut self.row
    }
}

/// Converts a chain integer to a column value.
fn int(field: &'static str, value: u64) -> Result<i64, IngestError> {
    i64::try_from(value).map_err(|_| IngestError::OutOfRange { field, value })
}

/// Where in the chain the change being applied happened.
#[derive(Debug, Clone, Copy)]
struct Position {
    checkpoint: i64,
    timestamp_ms: i64,
    event_id: i64,
}

/// Everything one batch writes.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub events: Vec<EventRow>,
    blobs: HashMap<String, Tracked<BlobRow>>,
    stakes: HashMap<String, Tracked<StakeRow>>,
    pools: HashMap<String, Tracked<PoolRow>>,
    epochs: BTreeMap<i64, Tracked<EpochRow>>,
    members: BTreeMap<(i64, String), CommitteeMemberRow>,
    shards: BTreeMap<(i64, i32), CommitteeShardRow>,
    invalid_blob_ids: BTreeSet<String>,
    challenge_windows: BTreeMap<i64, ChallengeWindowRow>,
    challenge_outcomes: BTreeMap<(i64, String), ChallengeOutcomeRow>,
    rewards_withheld: BTreeMap<(i64, String), RewardsWithheldRow>,
}

impl Batch {
    /// Stages `checkpoints` (consecutive, none applied yet); event ids start at `next_event_id`.
    pub(crate) fn stage(
        conn: &mut DbConnection,
        packages: &Packages,
        checkpoints: &[IndexedCheckpoint],
        next_event_id: i64,
    ) -> Result<Self, IngestError> {
        // Map every event first: it names the rows to load.
        let mut mapped = Vec::new();
        let mut batch = Batch::default();
        let mut event_id = next_event_id;
        for checkpoint in checkpoints {
            let checkpoint_number = int("checkpoint", checkpoint.sequence_number)?;
            let timestamp_ms = int("timestamp_ms", checkpoint.timestamp_ms)?;
            for tx in checkpoint.transactions.iter().filter(|tx| tx.succeeded) {
                for (index, event) in tx.events.iter().enumerate() {
                    let m = map_event(packages, event);
                    batch.events.push(EventRow {
                        id: event_id,
                        checkpoint: checkpoint_number,
                        timestamp_ms,
                        tx_digest: tx.digest.clone(),
                        event_index: i32::try_from(index)
                            .map_err(|_| IngestError::OutOfRange { field: "event_index", value: index as u64 })?,
                        sender: tx.sender.to_string(),
                        kind: m.kind,
                        type_tag: event.type_.to_string(),
                        epoch: m.epoch.map(|e| int("epoch", e)).transpose()?,
                        blob_id: m.blob_id,
                        object_id: m.object_id.map(|a| a.to_string()),
                        node_id: m.node_id.map(|a| a.to_string()),
                        fields: m.fields.to_string(),
                    });
                    if let Some(change) = m.change {
                        mapped.push((Position { checkpoint: checkpoint_number, timestamp_ms, event_id }, change));
                    }
                    event_id += 1;
                }
            }
        }
        batch.load_touched(conn, checkpoints, &mapped)?;

        // Apply in chain order: a transaction's events, then its object changes.
        let mut changes = mapped.into_iter().peekable();
        let mut first_event = next_event_id;
        for checkpoint in checkpoints {
            let checkpoint_number = int("checkpoint", checkpoint.sequence_number)?;
            for tx in checkpoint.transactions.iter().filter(|tx| tx.succeeded) {
                let end = first_event + tx.events.len() as i64;
                while let Some((position, change)) = changes.next_if(|(p, _)| p.event_id < end) {
                    batch.apply(position, change)?;
                }
                first_event = end;
                for change in &tx.object_changes {
                    batch.apply_object(checkpoint_number, &change.object_id, change.state);
                }
            }
        }
        Ok(batch)
    }

    /// Loads the existing rows the batch's changes and object writes may touch.
    fn load_touched(
        &mut self,
        conn: &mut DbConnection,
        checkpoints: &[IndexedCheckpoint],
        changes: &[(Position, Change)],
    ) -> Result<(), DbError> {
        let mut objects = BTreeSet::new();
        let mut nodes = BTreeSet::new();
        let mut epoch_numbers = BTreeSet::new();
        for (_, change) in changes {
            match change {
                Change::BlobCertified { object_id, .. } | Change::BlobDeleted { object_id } => {
                    objects.insert(object_id.to_string());
                }
                Change::EpochStarted { epoch }
                | Change::EpochDone { epoch }
                | Change::EpochParameters { epoch, .. } => {
                    epoch_numbers.insert(i64::from(*epoch));
                }
                Change::PoolRegistered { node_id, .. }
                | Change::CommissionCollected { node_id, .. }
                | Change::RewardsDistributed { node_id, .. } => {
                    nodes.insert(node_id.to_string());
                }
                Change::Staked { node_id, .. } => {
                    nodes.insert(node_id.to_string());
                }
                Change::Withdrawn { node_id, staked_wal_id, .. } => {
                    nodes.insert(node_id.to_string());
                    objects.insert(staked_wal_id.to_string());
                }
                Change::WithdrawalRequested { staked_wal_id, .. } => {
                    objects.insert(staked_wal_id.to_string());
                }
                // Written by upsert: nothing to load.
                Change::BlobRegistered { .. }
                | Change::BlobIdInvalid { .. }
                | Change::ShardsReceived { .. }
                | Change::ChallengeWindowOpened { .. }
                | Change::ChallengeOutcome { .. }
                | Change::RewardsWithheld { .. } => {}
            }
        }
        // Any written object may be a blob or stake created earlier (a transfer by a wallet).
        for tx in checkpoints.iter().flat_map(|c| &c.transactions).filter(|tx| tx.succeeded) {
            objects.extend(tx.object_changes.iter().map(|c| c.object_id.to_string()));
        }
        let objects: Vec<String> = objects.into_iter().collect();
        for chunk in objects.chunks(LOOKUP_CHUNK) {
            let found: Vec<BlobRow> = with_connection!(conn, c => blobs::table
                .filter(blobs::object_id.eq_any(chunk))
                .select(BlobRow::as_select())
                .load(c))?;
            self.blobs.extend(found.into_iter().map(|r| (r.object_id.clone(), Tracked::loaded(r))));
            let found: Vec<StakeRow> = with_connection!(conn, c => stakes::table
                .filter(stakes::staked_wal_id.eq_any(chunk))
                .select(StakeRow::as_select())
                .load(c))?;
            self.stakes.extend(found.into_iter().map(|r| (r.staked_wal_id.clone(), Tracked::loaded(r))));
        }
        let nodes: Vec<String> = nodes.into_iter().collect();
        for chunk in nodes.chunks(LOOKUP_CHUNK) {
            let found: Vec<PoolRow> = with_connection!(conn, c => pools::table
                .filter(pools::node_id.eq_any(chunk))
                .select(PoolRow::as_select())
                .load(c))?;
            self.pools.extend(found.into_iter().map(|r| (r.node_id.clone(), Tracked::loaded(r))));
        }
        let epoch_numbers: Vec<i64> = epoch_numbers.into_iter().collect();
        for chunk in epoch_numbers.chunks(LOOKUP_CHUNK) {
            let found: Vec<EpochRow> = with_connection!(conn, c => epochs::table
                .filter(epochs::epoch.eq_any(chunk))
                .select(EpochRow::as_select())
                .load(c))?;
            self.epochs.extend(found.into_iter().map(|r| (r.epoch, Tracked::loaded(r))));
        }
        Ok(())
    }
}
