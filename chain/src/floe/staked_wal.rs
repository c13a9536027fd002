//! Staked WAL (`floe::staked_wal`): a stake with one node, from its activation epoch until it
//! is withdrawn.

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::move_type::move_types;

/// `floe::staked_wal::StakedWalState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StakedWalState {
    /// Counting toward the node's stake.
    Staked,
    /// Leaving at `withdraw_epoch`.
    Withdrawing {
        /// The epoch the stake can be withdrawn.
        withdraw_epoch: u32,
    },
}

/// `floe::staked_wal::StakedWal`: a stake object owned by the staker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakedWal {
    /// The object's UID.
    pub id: Address,
    /// The node staked with.
    pub node_id: Address,
    /// `Balance<WAL>`: the staked principal in FROST.
    pub principal: u64,
    /// The first epoch the stake counts in.
    pub activation_epoch: u32,
    /// Staked or withdrawing.
    pub state: StakedWalState,
}

move_types!(Floe;
    "staked_wal" => StakedWalState,
    "staked_wal" => StakedWal,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floe::move_type::assert_bcs_round_trip;

    #[test]
    fn staked_wal_bytes_end_with_the_state_variant() {
        let mut stake = StakedWal {
            id: Address::new([1; 32]),
            node_id: Address::new([2; 32]),
            principal: 500,
            activation_epoch: 3,
            state: StakedWalState::Staked,
        };
        let bytes = assert_bcs_round_trip(&stake);
        let mut expected = vec![1; 32];
        expected.extend([2; 32]);
        expected.extend(500u64.to_le_bytes());
        expected.extend(3u32.to_le_bytes());
        expected.push(0);
        assert_eq!(bytes, expected);

        stake.state = StakedWalState::Withdrawing { withdraw_epoch: 6 };
        let bytes = assert_bcs_round_trip(&stake);
        assert_eq!(&bytes[76..], &[1, 6, 0, 0, 0]);
    }

    #[test]
    fn unknown_state_variant_is_refused() {
        assert!(bcs::from_bytes::<StakedWalState>(&[2]).is_err());
        assert_bcs_round_trip(&StakedWalState::Withdrawing { withdraw_epoch: 1 });
    }
}
