//! The shared Staking object and its inner state (`floe::staking`, `floe::staking_inner`), and
//! the capability a storage node operates with (`floe::storage_node`).

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::challenges::ChallengeState;
use super::committee::{Committee, EpochParams};
use super::framework::{DynamicField, Table};
use super::move_type::move_types;
use super::staked_wal::{StakedWal, StakedWalState};

/// `floe::staking::Staking`: a thin facade; the state is the [`StakingInnerV1`] in the dynamic
/// field named by `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staking {
    /// The shared object's UID.
    pub id: Address,
    /// The inner state's version (1), also its dynamic-field name.
    pub version: u64,
}

/// `floe::staking_inner::EpochState`: where the epoch change stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EpochState {
    /// Nodes are receiving their shards; the value is the weight that reported done so far.
    EpochChangeSync(u16),
    /// The change completed at this time (ms).
    EpochChangeDone(u64),
    /// `voting_end` selected the next committee and parameters.
    NextParamsSelected,
}

/// `floe::staking_inner::StakingInnerV1`: pools, committees and the epoch state machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakingInnerV1 {
    /// The number of shards.
    pub n_shards: u16,
    /// Epoch duration in ms.
    pub epoch_duration_ms: u64,
    /// The largest committee `voting_end` selects.
    pub max_committee_size: u16,
    /// The current epoch.
    pub epoch: u32,
    /// When the current epoch started (ms).
    pub epoch_start_ms: u64,
    /// `ObjectTable<ID, StakingPool>`: every registered pool.
    pub pools: Table,
    /// Pool ids in registration order.
    pub pool_ids: Vec<Address>,
    /// The current committee.
    pub committee: Committee,
    /// The committee of the previous epoch.
    pub previous_committee: Committee,
    /// The selected next committee, between `voting_end` and the epoch change.
    pub next_committee: Option<Committee>,
    /// The selected next parameters, likewise.
    pub next_epoch_params: Option<EpochParams>,
    /// The epoch state.
    pub epoch_state: EpochState,
    /// The nodes the next committee is selected from (at most `max_committee_size`).
    pub active_set: ActiveSet,
    /// The storage challenges of the current epoch (window seed and attested outcomes).
    pub challenges: ChallengeState,
}

/// `floe::active_set::ActiveSetEntry`: a node and its stake for the next committee selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveSetEntry {
    /// The node (pool) id.
    pub node_id: Address,
    /// Its stake counted by the next selection, as last recorded.
    pub staked_amount: u64,
}

/// `floe::active_set::ActiveSet`: the at most `max_size` nodes `voting_end` selects from, in the
/// order they entered (the tie-break of the selection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveSet {
    /// The most members it holds (the init's `max_committee_size`).
    pub max_size: u16,
    /// The members, in entry order.
    pub entries: Vec<ActiveSetEntry>,
}

impl ActiveSet {
    /// Whether `node_id` is a member.
    pub fn contains(&self, node_id: &Address) -> bool {
        self.entries.iter().any(|e| e.node_id == *node_id)
    }
}

impl StakingInnerV1 {
    /// Whether `staked` was never counted by a committee selection, so `withdraw_stake` pays
    /// its principal at once (`staking_inner::can_withdraw_early`): it is staked, activates
    /// after this epoch, and is not in the next committee's stake already selected.
    pub fn can_withdraw_early(&self, staked: &StakedWal) -> bool {
        let activation = staked.activation_epoch;
        staked.state == StakedWalState::Staked
            && activation > self.epoch
            && !(activation == self.epoch + 1 && self.epoch_state == EpochState::NextParamsSelected)
    }
}

/// `floe::storage_node::StorageNodeCap`: what a node operator holds to act for its pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageNodeCap {
    /// The capability's UID.
    pub id: Address,
    /// The node (pool) it acts for.
    pub node_id: Address,
    /// The last epoch the node reported `epoch_sync_done` for.
    pub last_epoch_sync_done: u32,
}

move_types!(Floe;
    "staking" => Staking,
    "staking_inner" => EpochState,
    "staking_inner" => StakingInnerV1,
    "active_set" => ActiveSet,
    "active_set" => ActiveSetEntry,
    "storage_node" => StorageNodeCap,
);

/// The dynamic-field object holding the Staking state (`Field<u64, StakingInnerV1>`).
pub type StakingStateField = DynamicField<u64, StakingInnerV1>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floe::move_type::assert_bcs_round_trip;

    pub(crate) fn inner() -> StakingInnerV1 {
        let committee = Committee { shards: [(Address::new([7; 32]), vec![0u16, 1, 2])].into_iter().collect() };
        StakingInnerV1 {
            n_shards: 3,
            epoch_duration_ms: 60_000,
            max_committee_size: 10,
            epoch: 1,
            epoch_start_ms: 1_000,
            pools: Table { id: Address::new([8; 32]), size: 1 },
            pool_ids: vec![Address::new([7; 32])],
            committee: committee.clone(),
            previous_committee: Committee { shards: Default::default() },
            next_committee: Some(committee),
            next_epoch_params: Some(EpochParams {
                total_capacity_size: 1 << 30,
                storage_price_per_unit_size: 5,
                write_price_per_unit_size: 1,
            }),
            epoch_state: EpochState::NextParamsSelected,
            active_set: ActiveSet {
                max_size: 10,
                entries: vec![ActiveSetEntry { node_id: Address::new([7; 32]), staked_amount: 0x0102 }],
            },
            challenges: ChallengeState {
                epoch: 1,
                seed: Some(vec![0x5e; 32]),
                opened_at_ms: 0x0304,
                passed: vec![],
                failed: vec![Address::new([7; 32])],
            },
        }
    }

    #[test]
    fn only_stake_no_selection_counted_can_be_withdrawn_early() {
        let mut staking = inner();
        let stake = |activation_epoch, state| StakedWal {
            id: Address::ZERO,
            node_id: Address::ZERO,
            principal: 1,
            activation_epoch,
            state,
        };
        // Epoch 1, next committee already selected: stake for epoch 2 was counted by it.
        assert!(!staking.can_withdraw_early(&stake(2, StakedWalState::Staked)));
        assert!(staking.can_withdraw_early(&stake(3, StakedWalState::Staked)));
        assert!(!staking.can_withdraw_early(&stake(1, StakedWalState::Staked)));
        assert!(!staking.can_withdraw_early(&stake(3, StakedWalState::Withdrawing { withdraw_epoch: 3 })));
        staking.epoch_state = EpochState::EpochChangeDone(5);
        assert!(staking.can_withdraw_early(&stake(2, StakedWalState::Staked)));
    }

    #[test]
    fn epoch_state_variants_are_indexed_in_declaration_order() {
        assert_eq!(assert_bcs_round_trip(&EpochState::EpochChangeSync(0x0203)), vec![0, 3, 2]);
        assert_eq!(assert_bcs_round_trip(&EpochState::EpochChangeDone(9)), vec![1, 9, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(assert_bcs_round_trip(&EpochState::NextParamsSelected), vec![2]);
    }

    #[test]
    fn staking_inner_round_trips_and_starts_with_its_parameters() {
        let bytes = assert_bcs_round_trip(&inner());
        let mut head = vec![3, 0];
        head.extend(60_000u64.to_le_bytes());
        head.extend([10, 0, 1, 0, 0, 0]);
        head.extend(1_000u64.to_le_bytes());
        head.extend([8; 32]);
        head.extend(1u64.to_le_bytes());
        assert_eq!(&bytes[..head.len()], &head);
        // The epoch state, then the active set: max size, one entry (node id, stake), then the
        // challenge state: epoch, some(32-byte seed), opened at, no passes, one failure.
        let mut tail = vec![2, 10, 0, 1];
        tail.extend([7; 32]);
        tail.extend(0x0102u64.to_le_bytes());
        tail.extend([1, 0, 0, 0, 1, 32]);
        tail.extend([0x5e; 32]);
        tail.extend(0x0304u64.to_le_bytes());
        tail.extend([0, 1]);
        tail.extend([7; 32]);
        assert_eq!(&bytes[bytes.len() - tail.len()..], &tail);
    }

    #[test]
    fn facade_cap_and_field_layouts() {
        let staking = Staking { id: Address::new([4; 32]), version: 1 };
        let bytes = assert_bcs_round_trip(&staking);
        assert_eq!(&bytes[32..], &1u64.to_le_bytes());

        let cap = StorageNodeCap { id: Address::new([1; 32]), node_id: Address::new([2; 32]), last_epoch_sync_done: 5 };
        let bytes = assert_bcs_round_trip(&cap);
        assert_eq!(bytes.len(), 68);
        assert_eq!(&bytes[64..], &[5, 0, 0, 0]);

        let field = StakingStateField { id: Address::new([3; 32]), name: 1, value: inner() };
        let bytes = assert_bcs_round_trip(&field);
        assert_eq!(&bytes[32..40], &1u64.to_le_bytes());
    }
}
