//! Applying one change or object write to the staged rows, in chain order.

use sui_sdk_types::Address;

use super::{Batch, Position, STAKED, Tracked, WITHDRAWING, WITHDRAWN, int};
use crate::checkpoint::{ObjectState, owner_text};
use crate::ingest::IngestError;
use crate::mapping::Change;
use crate::rows::{
    BlobRow, ChallengeOutcomeRow, ChallengeWindowRow, CommitteeMemberRow, CommitteeShardRow, EpochRow, PoolRow,
    RewardsWithheldRow, StakeRow,
};

impl Batch {
    fn epoch(&mut self, epoch: u32) -> &mut EpochRow {
        let epoch = i64::from(epoch);
        self.epochs.entry(epoch).or_insert_with(|| Tracked::created(EpochRow { epoch, ..EpochRow::default() })).edit()
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

    /// The digest of the transaction that emitted the batch's event `event_id` (every event row
    /// of the batch is staged, in id order, before any change is applied).
    fn tx_digest(&self, event_id: i64) -> String {
        let first = self.events.first().map_or(event_id, |e| e.id);
        usize::try_from(event_id - first)
            .ok()
            .and_then(|index| self.events.get(index))
            .map(|e| e.tx_digest.clone())
            .unwrap_or_default()
    }

    pub(super) fn apply(&mut self, at: Position, change: Change) -> Result<(), IngestError> {
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
                self.members
                    .insert((epoch, node.clone()), CommitteeMemberRow { epoch, node_id: node.clone(), shard_count });
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
            // The chain allows one window per epoch and one outcome or withholding per node and
            // epoch; should a second ever come, the latest wins rather than halting the indexer.
            Change::ChallengeWindowOpened { epoch, seed, opened_at_ms } => {
                let row = ChallengeWindowRow {
                    epoch: epoch.into(),
                    seed,
                    opened_at_ms: int("opened_at_ms", opened_at_ms)?,
                    checkpoint: at.checkpoint,
                    tx_digest: self.tx_digest(at.event_id),
                };
                self.challenge_windows.insert(row.epoch, row);
            }
            Change::ChallengeOutcome { epoch, node_id, passed, stake_support } => {
                let row = ChallengeOutcomeRow {
                    event_id: at.event_id,
                    epoch: epoch.into(),
                    node_id: node_id.to_string(),
                    passed,
                    stake_support: stake_support.into(),
                    checkpoint: at.checkpoint,
                    tx_digest: self.tx_digest(at.event_id),
                };
                self.challenge_outcomes.insert((row.epoch, row.node_id.clone()), row);
            }
            Change::RewardsWithheld { epoch, node_id, amount } => {
                let row = RewardsWithheldRow {
                    epoch: epoch.into(),
                    node_id: node_id.to_string(),
                    amount: int("amount", amount)?,
                    checkpoint: at.checkpoint,
                    tx_digest: self.tx_digest(at.event_id),
                };
                self.rewards_withheld.insert((row.epoch, row.node_id.clone()), row);
            }
        }
        Ok(())
    }

    /// Follows ownership: only objects known as blobs or stakes are looked at.
    pub(super) fn apply_object(&mut self, checkpoint: i64, object_id: &Address, state: ObjectState) {
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
        if let Some(stake) = self.stakes.get_mut(&object_id.to_string())
            && stake.row.owner != owner
        {
            stake.edit().owner = owner;
        }
    }

    fn blob_if_changed(
        &mut self,
        object_id: &Address,
        owner: &Option<String>,
        state: ObjectState,
    ) -> Option<&mut BlobRow> {
        let tracked = self.blobs.get_mut(&object_id.to_string())?;
        let unchanged = tracked.row.owner == *owner && (state != ObjectState::Deleted || tracked.row.deleted);
        if unchanged { None } else { Some(tracked.edit()) }
    }
}
