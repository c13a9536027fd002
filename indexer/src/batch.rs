//! The rows one batch of checkpoints writes. Rows the batch touches are loaded first (inside the
//! ingest transaction), every change is applied in chain order in memory, and the result is
//! written with a few multi-row statements: fast on both backends and, because nothing is
//! written before the batch is complete, trivially all-or-nothing together with the watermark.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;
use floe_chain::Packages;
use sui_sdk_types::Address;

use crate::checkpoint::{IndexedCheckpoint, ObjectState, owner_text};
use crate::db::{DbConnection, DbError, with_connection};
use crate::ingest::{IngestError, PIPELINE};
use crate::mapping::{Change, map_event};
use crate::rows::{BlobRow, CommitteeMemberRow, CommitteeShardRow, EpochRow, EventRow, PoolRow, StakeRow, TotalsRow};
use crate::schema::{blobs, committee_members, committee_shards, epochs, events, pools, stakes, totals};

/// Rows per multi-row INSERT; stays under SQLite's 32,766 and PostgreSQL's 65,535 bind
/// parameters with the widest table (15 columns).
const INSERT_CHUNK: usize = 1_000;
/// Keys per `IN (...)` lookup.
const LOOKUP_CHUNK: usize = 500;

/// `state` of a stake.
const STAKED: &str = "staked";
const WITHDRAWING: &str = "withdrawing";
const WITHDRAWN: &str = "withdrawn";

/// Inserts many rows: binary `COPY` on PostgreSQL (several times faster than multi-row
/// INSERTs there), multi-row INSERTs of [`INSERT_CHUNK`] rows on SQLite.
macro_rules! bulk_insert {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            DbConnection::Postgres(c) => {
                if !$rows.is_empty() {
                    diesel::copy_from($table).from_insertable($rows).execute(c)?;
                }
            }
            DbConnection::Sqlite(c) => {
                for chunk in $rows.chunks(INSERT_CHUNK) {
                    diesel::insert_into($table).values(chunk).execute(c)?;
                }
            }
        }
    };
}

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
                        event_index: i32::try_from(index).map_err(|_| IngestError::OutOfRange {
                            field: "event_index",
                            value: index as u64,
                        })?,
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
                Change::EpochStarted { epoch } | Change::EpochDone { epoch } | Change::EpochParameters { epoch, .. } => {
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
                Change::BlobRegistered { .. } | Change::BlobIdInvalid { .. } | Change::ShardsReceived { .. } => {}
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

    fn epoch(&mut self, epoch: u32) -> &mut EpochRow {
        let epoch = i64::from(epoch);
        self.epochs
            .entry(epoch)
            .or_insert_with(|| Tracked::created(EpochRow { epoch, ..EpochRow::default() }))
            .edit()
    }

    /// The pool of `node_id`, created with defaults if events reach it before its registration
    /// (e.g. indexing started mid-history).
    fn pool(&mut self, node_id: &Address) -> &mut PoolRow {
        self.pools
            .entry(node_id.to_string())
            .or_insert_with(|| {
                Tracked::created(PoolRow {
                    node_id: node_id.to_string(),
                    commission_rate: 0,
                    registered_epoch: 0,
                    staked: 0,
                    rewards: 0,
                    commission_earned: 0,
                    commission_collected: 0,
                })
            })
            .edit()
    }

    fn blob(&mut self, object_id: &Address) -> Option<&mut BlobRow> {
        self.blobs.get_mut(&object_id.to_string()).map(Tracked::edit)
    }

    fn stake(&mut self, staked_wal_id: &Address) -> Option<&mut StakeRow> {
        self.stakes.get_mut(&staked_wal_id.to_string()).map(Tracked::edit)
    }

    fn apply(&mut self, at: Position, change: Change) -> Result<(), IngestError> {
        match change {
            Change::BlobRegistered { object_id, blob_id, size, encoding_type, epoch, end_epoch, deletable } => {
                let row = BlobRow {
                    object_id: object_id.to_string(),
                    blob_id,
                    owner: None,
                    size: int("size", size)?,
                    encoding_type: encoding_type.into(),
                    registered_epoch: epoch.into(),
                    certified_epoch: None,
                    end_epoch: end_epoch.into(),
                    deletable,
                    deleted: false,
                    invalid: false,
                    attributes: None,
                    registered_event: at.event_id,
                    registered_checkpoint: at.checkpoint,
                    updated_checkpoint: at.checkpoint,
                };
                // An object id is registered once; a second registration would be a chain bug,
                // and the latest event wins rather than halting the indexer.
                self.blobs.insert(row.object_id.clone(), Tracked::created(row));
            }
            Change::BlobCertified { object_id, epoch, end_epoch, is_extension } => {
                if let Some(blob) = self.blob(&object_id) {
                    if !is_extension || blob.certified_epoch.is_none() {
                        blob.certified_epoch = Some(epoch.into());
                    }
                    blob.end_epoch = end_epoch.into();
                    blob.updated_checkpoint = at.checkpoint;
                } else {
                    tracing::warn!(%object_id, "BlobCertified for a blob registered before the indexed history");
                }
            }
            Change::BlobDeleted { object_id } => {
                if let Some(blob) = self.blob(&object_id) {
                    blob.deleted = true;
                    blob.owner = None;
                    blob.updated_checkpoint = at.checkpoint;
                }
            }
            Change::BlobIdInvalid { blob_id } => {
                for tracked in self.blobs.values_mut().filter(|t| t.row.blob_id == blob_id) {
                    tracked.edit().invalid = true;
                }
                self.invalid_blob_ids.insert(blob_id);
            }
            Change::EpochStarted { epoch } => {
                let row = self.epoch(epoch);
                row.start_checkpoint = Some(at.checkpoint);
                row.start_timestamp_ms = Some(at.timestamp_ms);
            }
            Change::EpochDone { epoch } => self.epoch(epoch).done_checkpoint = Some(at.checkpoint),
            Change::EpochParameters {
                epoch,
                total_capacity_size,
                storage_price_per_unit_size,
                write_price_per_unit_size,
            } => {
                let (capacity, storage, write) = (
                    int("total_capacity_size", total_capacity_size)?,
                    int("storage_price_per_unit_size", storage_price_per_unit_size)?,
                    int("write_price_per_unit_size", write_price_per_unit_size)?,
                );
                let row = self.epoch(epoch);
                row.total_capacity_size = Some(capacity);
                row.storage_price_per_unit_size = Some(storage);
                row.write_price_per_unit_size = Some(write);
            }
            Change::ShardsReceived { epoch, node_id, shards } => {
                let (epoch, node) = (i64::from(epoch), node_id.to_string());
                let shard_count = i32::try_from(shards.len()).unwrap_or(i32::MAX);
                self.members.insert((epoch, node.clone()), CommitteeMemberRow { epoch, node_id: node.clone(), shard_count });
                for shard in shards {
                    let shard = i32::from(shard);
                    self.shards.insert((epoch, shard), CommitteeShardRow { epoch, shard, node_id: node.clone() });
                }
            }
            Change::PoolRegistered { epoch, node_id, commission_rate } => {
                let pool = self.pool(&node_id);
                pool.commission_rate = commission_rate.into();
                pool.registered_epoch = epoch.into();
            }
            Change::Staked { node_id, staked_wal_id, amount, activation_epoch } => {
                let amount = int("amount", amount)?;
                let pool = self.pool(&node_id);
                pool.staked = pool.staked.saturating_add(amount);
                let row = StakeRow {
                    staked_wal_id: staked_wal_id.to_string(),
                    node_id: node_id.to_string(),
                    owner: None,
                    principal: amount,
                    activation_epoch: activation_epoch.into(),
                    state: STAKED.to_owned(),
                    withdraw_epoch: None,
                    withdrawn_amount: None,
                    staked_event: at.event_id,
                };
                self.stakes.insert(row.staked_wal_id.clone(), Tracked::created(row));
            }
            Change::WithdrawalRequested { staked_wal_id, withdraw_epoch } => {
                if let Some(stake) = self.stake(&staked_wal_id) {
                    stake.state = WITHDRAWING.to_owned();
                    stake.withdraw_epoch = Some(withdraw_epoch.into());
                }
            }
            Change::Withdrawn { node_id, staked_wal_id, principal, amount } => {
                let (principal, amount) = (int("principal", principal)?, int("amount", amount)?);
                let pool = self.pool(&node_id);
                pool.staked = pool.staked.saturating_sub(principal);
                if let Some(stake) = self.stake(&staked_wal_id) {
                    stake.state = WITHDRAWN.to_owned();
                    stake.withdrawn_amount = Some(amount);
                    stake.owner = None;
                }
            }
            Change::CommissionCollected { node_id, amount } => {
                let amount = int("amount", amount)?;
                let pool = self.pool(&node_id);
                pool.commission_collected = pool.commission_collected.saturating_add(amount);
            }
            Change::RewardsDistributed { node_id, amount, commission } => {
                let (amount, commission) = (int("amount", amount)?, int("commission", commission)?);
                let pool = self.pool(&node_id);
                pool.rewards = pool.rewards.saturating_add(amount);
                pool.commission_earned = pool.commission_earned.saturating_add(commission);
            }
        }
        Ok(())
    }

    /// Follows ownership: only objects known as blobs or stakes are looked at.
    fn apply_object(&mut self, checkpoint: i64, object_id: &Address, state: ObjectState) {
        let owner = match state {
            ObjectState::Written(owner) => Some(owner_text(&owner)),
            ObjectState::Deleted | ObjectState::Wrapped => None,
        };
        if let Some(blob) = self.blob_if_changed(object_id, &owner, state) {
            blob.owner = owner.clone();
            if state == ObjectState::Deleted {
                // Burnt expired blobs leave no event: the deletion is the only trace.
                blob.deleted = true;
            }
            blob.updated_checkpoint = checkpoint;
        }
        if let Some(stake) = self.stakes.get_mut(&object_id.to_string()) {
            if stake.row.owner != owner {
                stake.edit().owner = owner;
            }
        }
    }

    fn blob_if_changed(&mut self, object_id: &Address, owner: &Option<String>, state: ObjectState) -> Option<&mut BlobRow> {
        let tracked = self.blobs.get_mut(&object_id.to_string())?;
        let unchanged = tracked.row.owner == *owner && (state != ObjectState::Deleted || tracked.row.deleted);
        if unchanged { None } else { Some(tracked.edit()) }
    }

    /// Writes every staged row.
    pub(crate) fn write(self, conn: &mut DbConnection) -> Result<(), DbError> {
        bulk_insert!(conn, events::table, &self.events);
        let mut delta = [0i64; 3];
        for tracked in self.blobs.values().filter(|t| t.dirty) {
            let (after, before) = (counted(Some(&tracked.row)), counted(tracked.original.as_ref()));
            for k in 0..3 {
                delta[k] += after[k] - before[k];
            }
        }
        add_to_totals(conn, delta)?;
        let (new_blobs, changed_blobs) = split(self.blobs.into_values());
        bulk_insert!(conn, blobs::table, &new_blobs);
        for row in &changed_blobs {
            with_connection!(conn, c => diesel::update(blobs::table.find(&row.object_id)).set(row).execute(c))?;
        }
        for blob_id in &self.invalid_blob_ids {
            with_connection!(conn, c => diesel::update(blobs::table.filter(blobs::blob_id.eq(blob_id)))
                .set(blobs::invalid.eq(true))
                .execute(c))?;
        }
        let (new_stakes, changed_stakes) = split(self.stakes.into_values());
        for chunk in new_stakes.chunks(INSERT_CHUNK) {
            with_connection!(conn, c => diesel::insert_into(stakes::table).values(chunk).execute(c))?;
        }
        for row in &changed_stakes {
            with_connection!(conn, c => diesel::update(stakes::table.find(&row.staked_wal_id)).set(row).execute(c))?;
        }
        let (new_pools, changed_pools) = split(self.pools.into_values());
        for chunk in new_pools.chunks(INSERT_CHUNK) {
            with_connection!(conn, c => diesel::insert_into(pools::table).values(chunk).execute(c))?;
        }
        for row in &changed_pools {
            with_connection!(conn, c => diesel::update(pools::table.find(&row.node_id)).set(row).execute(c))?;
        }
        let (new_epochs, changed_epochs) = split(self.epochs.into_values());
        for chunk in new_epochs.chunks(INSERT_CHUNK) {
            with_connection!(conn, c => diesel::insert_into(epochs::table).values(chunk).execute(c))?;
        }
        for row in &changed_epochs {
            with_connection!(conn, c => diesel::update(epochs::table.find(row.epoch)).set(row).execute(c))?;
        }
        // A node may report its shards again; the latest report wins.
        for row in self.members.values() {
            with_connection!(conn, c => diesel::insert_into(committee_members::table)
                .values(row)
                .on_conflict((committee_members::epoch, committee_members::node_id))
                .do_update()
                .set(committee_members::shard_count.eq(row.shard_count))
                .execute(c))?;
        }
        for row in self.shards.values() {
            with_connection!(conn, c => diesel::insert_into(committee_shards::table)
                .values(row)
                .on_conflict((committee_shards::epoch, committee_shards::shard))
                .do_update()
                .set(committee_shards::node_id.eq(&row.node_id))
                .execute(c))?;
        }
        Ok(())
    }
}

/// What a blob adds to the totals: stored bytes, count, certified count.
fn counted(row: Option<&BlobRow>) -> [i64; 3] {
    match row {
        Some(blob) if !blob.deleted => [blob.size, 1, i64::from(blob.certified_epoch.is_some())],
        _ => [0; 3],
    }
}

fn add_to_totals(conn: &mut DbConnection, [bytes, count, certified]: [i64; 3]) -> Result<(), DbError> {
    if bytes == 0 && count == 0 && certified == 0 {
        return Ok(());
    }
    let current: Option<TotalsRow> = with_connection!(conn, c => totals::table
        .find(PIPELINE)
        .select(TotalsRow::as_select())
        .first(c)
        .optional())?;
    let exists = current.is_some();
    let mut row = current.unwrap_or_else(|| TotalsRow { pipeline: PIPELINE.to_owned(), ..TotalsRow::default() });
    row.stored_bytes += bytes;
    row.blob_count += count;
    row.certified_count += certified;
    if exists {
        with_connection!(conn, c => diesel::update(totals::table.find(PIPELINE)).set(&row).execute(c))?;
    } else {
        with_connection!(conn, c => diesel::insert_into(totals::table).values(&row).execute(c))?;
    }
    Ok(())
}

/// Splits dirty rows into those to insert and those to update.
fn split<T>(tracked: impl Iterator<Item = Tracked<T>>) -> (Vec<T>, Vec<T>) {
    let mut inserts = Vec::new();
    let mut updates = Vec::new();
    for t in tracked.filter(|t| t.dirty) {
        if t.original.is_some() { updates.push(t.row) } else { inserts.push(t.row) }
    }
    (inserts, updates)
}
