//! A storage node's staking pool (`floe::staking_pool`): its identity, votes, commission and
//! share accounting, with the share arithmetic of `staking_pool.move` (what a stake is worth)
//! defined once for the devnet, which executes it, and for clients, which predict it.

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::framework::{DynamicField, Table, VecMap};
use super::move_type::move_types;

/// Commission is in basis points: 10,000 = 100% (`staking_pool::MAX_COMMISSION_RATE`).
pub const MAX_COMMISSION_RATE: u16 = 10_000;
/// The longest node name, in bytes.
pub const MAX_NAME_LENGTH: usize = 100;
/// The longest network address, in bytes.
pub const MAX_NETWORK_ADDRESS_LENGTH: usize = 259;
/// The length of a node's BLS public key (compressed G1).
pub const PUBLIC_KEY_LENGTH: usize = 48;
/// Length of a network (TLS) public key: Ed25519.
pub const NETWORK_PUBLIC_KEY_LENGTH: usize = 32;

/// `floe::staking_pool::VotingParams`: a node's votes for the next epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VotingParams {
    /// FROST per 1 MiB unit per epoch.
    pub storage_price: u64,
    /// FROST per 1 MiB unit, once.
    pub write_price: u64,
    /// The capacity the node offers, in encoded bytes.
    pub node_capacity: u64,
}

/// `floe::staking_pool::ExchangeRate`: WAL per share at an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeRate {
    /// The pool's WAL.
    pub wal_amount: u64,
    /// The pool's shares.
    pub share_amount: u64,
}

impl ExchangeRate {
    /// Shares bought by `wal_amount` at this rate (`staking_pool::to_shares`: one to one while
    /// the pool is empty, rounded down).
    pub fn to_shares(&self, wal_amount: u64) -> u64 {
        if self.wal_amount == 0 || self.share_amount == 0 {
            return wal_amount;
        }
        // Shares never outgrow the WAL backing them (rewards only add WAL), so the quotient fits.
        (u128::from(wal_amount) * u128::from(self.share_amount) / u128::from(self.wal_amount)) as u64
    }

    /// WAL that `shares` are worth at this rate (`staking_pool::to_wal`, rounded down).
    pub fn to_wal(&self, shares: u64) -> u64 {
        if self.wal_amount == 0 || self.share_amount == 0 {
            return shares;
        }
        (u128::from(shares) * u128::from(self.wal_amount) / u128::from(self.share_amount)) as u64
    }
}

/// The rewards `withdraw_stake` pays on top of `principal` (`staking_pool::withdraw_rewards`):
/// the shares bought at the activation epoch's rate, valued at the withdrawal epoch's rate,
/// less the principal, and never more than the pool's rewards balance holds.
pub fn stake_rewards(principal: u64, activation: &ExchangeRate, withdrawal: &ExchangeRate, rewards_pool: u64) -> u64 {
    let total = withdrawal.to_wal(activation.to_shares(principal));
    total.saturating_sub(principal).min(rewards_pool)
}

/// What `withdraw_stake` pays for `principal`: the principal plus [`stake_rewards`].
pub fn stake_value(principal: u64, activation: &ExchangeRate, withdrawal: &ExchangeRate, rewards_pool: u64) -> u64 {
    principal.saturating_add(stake_rewards(principal, activation, withdrawal, rewards_pool))
}

/// `floe::staking_pool::CommissionChange`: a commission rate that takes effect at an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommissionChange {
    /// The new rate in basis points.
    pub rate: u16,
    /// The epoch it takes effect.
    pub epoch: u32,
}

/// `floe::staking_pool::PendingWithdrawal`: stake leaving the pool at an epoch change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingWithdrawal {
    /// The epoch the stake leaves.
    pub withdraw_epoch: u32,
    /// The epoch the stake had activated.
    pub activation_epoch: u32,
    /// The staked principal.
    pub principal: u64,
}

/// `floe::staking_pool::StakingPool`: one storage node; its object id is the node id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakingPool {
    /// The pool's UID, which is the node id.
    pub id: Address,
    /// The node's name.
    pub name: String,
    /// Where the node serves (host:port or URL).
    pub network_address: String,
    /// The node's BLS public key (48 bytes).
    pub public_key: Vec<u8>,
    /// The Ed25519 key of the node's TLS certificate (32 bytes), which clients pin.
    pub network_public_key: Vec<u8>,
    /// The node's votes.
    pub voting_params: VotingParams,
    /// The commission rate in basis points.
    pub commission_rate: u16,
    /// A rate change not yet in effect.
    pub next_commission: Option<CommissionChange>,
    /// The last epoch the pool was advanced to.
    pub latest_epoch: u32,
    /// WAL backing the active shares.
    pub wal_balance: u64,
    /// Active shares.
    pub share_amount: u64,
    /// Stake activating, by activation epoch.
    pub pending_stake: VecMap<u32, u64>,
    /// Withdrawals due at coming epoch changes.
    pub pending_withdrawals: Vec<PendingWithdrawal>,
    /// `Table<u32, ExchangeRate>`: the rate recorded at each epoch change.
    pub exchange_rates: Table,
    /// `Balance<WAL>`: rewards held for stakers.
    pub rewards_pool: u64,
    /// `Balance<WAL>`: commission the operator can collect.
    pub commission: u64,
}

move_types!(Floe;
    "staking_pool" => VotingParams,
    "staking_pool" => ExchangeRate,
    "staking_pool" => CommissionChange,
    "staking_pool" => PendingWithdrawal,
    "staking_pool" => StakingPool,
);

/// An entry of a pool's exchange-rate table (`Field<u32, ExchangeRate>`, named by the epoch).
pub type ExchangeRateField = DynamicField<u32, ExchangeRate>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floe::move_type::assert_bcs_round_trip;

    pub(crate) fn pool() -> StakingPool {
        StakingPool {
            id: Address::new([0x90; 32]),
            name: "n0".into(),
            network_address: "127.0.0.1:9100".into(),
            public_key: vec![0x95; 48],
            network_public_key: vec![0x96; 32],
            voting_params: VotingParams { storage_price: 5, write_price: 1, node_capacity: 1 << 30 },
            commission_rate: 500,
            next_commission: Some(CommissionChange { rate: 100, epoch: 4 }),
            latest_epoch: 2,
            wal_balance: 1_000,
            share_amount: 900,
            pending_stake: [(3u32, 50u64)].into_iter().collect(),
            pending_withdrawals: vec![PendingWithdrawal { withdraw_epoch: 3, activation_epoch: 1, principal: 20 }],
            exchange_rates: Table { id: Address::new([0x91; 32]), size: 3 },
            rewards_pool: 7,
            commission: 2,
        }
    }

    #[test]
    fn an_empty_pool_trades_one_to_one_and_rounds_down_after_rewards() {
        let empty = ExchangeRate { wal_amount: 0, share_amount: 0 };
        assert_eq!(empty.to_shares(7), 7);
        assert_eq!(empty.to_wal(7), 7);
        // 1,000 shares backed by 1,100 WAL after 100 WAL of rewards.
        let grown = ExchangeRate { wal_amount: 1_100, share_amount: 1_000 };
        assert_eq!(grown.to_shares(1_100), 1_000);
        assert_eq!(grown.to_wal(1_000), 1_100);
        assert_eq!(grown.to_shares(10), 9);
        assert_eq!(grown.to_wal(9), 9);
    }

    #[test]
    fn stake_is_worth_its_shares_at_the_later_rate() {
        let at_activation = ExchangeRate { wal_amount: 1_000, share_amount: 1_000 };
        let later = ExchangeRate { wal_amount: 1_300, share_amount: 1_000 };
        // 400 WAL bought 400 shares, now worth 520.
        assert_eq!(stake_rewards(400, &at_activation, &later, 1_000), 120);
        assert_eq!(stake_value(400, &at_activation, &later, 1_000), 520);
        // Staked after a first reward: 260 WAL bought 200 shares, worth 260 at the same rate.
        assert_eq!(stake_value(260, &later, &later, 1_000), 260);
        let even_later = ExchangeRate { wal_amount: 1_560, share_amount: 1_000 };
        assert_eq!(stake_rewards(260, &later, &even_later, 1_000), 52);
    }

    #[test]
    fn stake_rewards_are_capped_by_the_rewards_pool_and_never_negative() {
        let at_activation = ExchangeRate { wal_amount: 1_000, share_amount: 1_000 };
        let later = ExchangeRate { wal_amount: 1_300, share_amount: 1_000 };
        assert_eq!(stake_value(400, &at_activation, &later, 50), 450);
        // Rounding can make the shares worth one FROST less than the principal: no loss is paid.
        let odd = ExchangeRate { wal_amount: 3, share_amount: 2 };
        assert_eq!(odd.to_wal(odd.to_shares(1)), 0);
        assert_eq!(stake_value(1, &odd, &odd, 10), 1);
    }

    #[test]
    fn pool_round_trips_and_starts_with_id_name_address_and_keys() {
        let bytes = assert_bcs_round_trip(&pool());
        assert_eq!(&bytes[..32], &[0x90; 32]);
        assert_eq!(&bytes[32..35], b"\x02n0");
        assert_eq!(bytes[35], 14);
        // The BLS key (48 bytes), then the network key (32 bytes), each with its length.
        assert_eq!((bytes[50], bytes[99]), (48, 32));
        assert_eq!(&bytes[100..132], &[0x96; 32]);
        // ... and ends with the exchange-rate table, then the two balances.
        let tail = &bytes[bytes.len() - 56..];
        assert_eq!(&tail[..32], &[0x91; 32]);
        assert_eq!(&tail[32..40], &3u64.to_le_bytes());
        assert_eq!(&tail[40..48], &7u64.to_le_bytes());
        assert_eq!(&tail[48..], &2u64.to_le_bytes());
    }

    #[test]
    fn exchange_rate_entry_is_id_epoch_rate() {
        let entry = ExchangeRateField {
            id: Address::new([1; 32]),
            name: 4,
            value: ExchangeRate { wal_amount: 10, share_amount: 8 },
        };
        let bytes = assert_bcs_round_trip(&entry);
        assert_eq!(&bytes[32..36], &[4, 0, 0, 0]);
        assert_eq!(bytes.len(), 32 + 4 + 16);
    }

    #[test]
    fn small_pool_records_have_their_move_layouts() {
        let votes = VotingParams { storage_price: 1, write_price: 2, node_capacity: 3 };
        assert_eq!(assert_bcs_round_trip(&votes).len(), 24);
        let rate = ExchangeRate { wal_amount: 10, share_amount: 8 };
        assert_eq!(assert_bcs_round_trip(&rate)[8], 8);
        let change = CommissionChange { rate: 0x0102, epoch: 5 };
        assert_eq!(assert_bcs_round_trip(&change), vec![2, 1, 5, 0, 0, 0]);
        let withdrawal = PendingWithdrawal { withdraw_epoch: 3, activation_epoch: 1, principal: 9 };
        assert_eq!(assert_bcs_round_trip(&withdrawal), vec![3, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
    }
}
