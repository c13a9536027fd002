//! The on-chain state of storage challenges (`floe::challenges`): the current epoch's window
//! seed and the outcomes a quorum of the committee attested. It is the last field of the staking
//! state ([`super::staking::StakingInnerV1::challenges`]).

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::move_type::move_types;

/// `floe::challenges::ChallengeState`: one epoch's storage challenges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeState {
    /// The epoch this state is about.
    pub epoch: u32,
    /// The 32-byte seed drawn from Sui's randomness, once the window opened this epoch.
    pub seed: Option<Vec<u8>>,
    /// The clock time (ms) the window opened; 0 before.
    pub opened_at_ms: u64,
    /// Nodes with a quorum-attested pass this epoch, in recording order.
    pub passed: Vec<Address>,
    /// Nodes with a quorum-attested failure this epoch (their rewards for it are withheld).
    pub failed: Vec<Address>,
}

impl ChallengeState {
    /// The state of `epoch` before its window opens (`challenges::new`).
    pub fn new(epoch: u32) -> Self {
        Self { epoch, seed: None, opened_at_ms: 0, passed: Vec::new(), failed: Vec::new() }
    }

    /// Whether the window opened (`challenges::is_open`).
    pub fn is_open(&self) -> bool {
        self.seed.is_some()
    }

    /// Whether `node_id` has a recorded outcome (`challenges::is_recorded`).
    pub fn is_recorded(&self, node_id: &Address) -> bool {
        self.passed.contains(node_id) || self.failed.contains(node_id)
    }

    /// Whether `node_id` has a recorded failure (`challenges::has_failed`).
    pub fn has_failed(&self, node_id: &Address) -> bool {
        self.failed.contains(node_id)
    }
}

move_types!(Floe;
    "challenges" => ChallengeState,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floe::move_type::assert_bcs_round_trip;

    #[test]
    fn a_fresh_state_is_epoch_none_zero_and_two_empty_lists() {
        let bytes = assert_bcs_round_trip(&ChallengeState::new(3));
        assert_eq!(bytes, vec![3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn an_open_state_lists_its_outcomes() {
        let state = ChallengeState {
            epoch: 2,
            seed: Some(vec![9; 32]),
            opened_at_ms: 7,
            passed: vec![Address::new([1; 32])],
            failed: vec![Address::new([2; 32])],
        };
        let bytes = assert_bcs_round_trip(&state);
        assert_eq!(bytes.len(), 4 + 1 + 1 + 32 + 8 + 1 + 32 + 1 + 32);
        assert!(state.is_open() && state.is_recorded(&Address::new([1; 32])));
        assert!(state.has_failed(&Address::new([2; 32])) && !state.has_failed(&Address::new([1; 32])));
    }
}
