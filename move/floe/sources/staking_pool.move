/// `StakingPool`: one node's pool. It holds the node's registration (name, address, BLS key,
/// network key),
/// its votes, its commission, and the share accounting that makes rewards accrue to stakers:
/// each epoch has an exchange rate (WAL in the pool : shares), stake enters and leaves at the
/// rate of the epoch it activates or is withdrawn in.
module floe::staking_pool;

use std::string::String;
use sui::balance::{Self, Balance};
use sui::table::{Self, Table};
use sui::vec_map::{Self, VecMap};
use wal::wal::WAL;

/// Commission is in basis points: 10,000 = 100%.
const MAX_COMMISSION_RATE: u16 = 10_000;
/// Longest node name, in bytes.
const MAX_NAME_LENGTH: u64 = 100;
/// Longest network address, in bytes.
const MAX_NETWORK_ADDRESS_LENGTH: u64 = 259;
/// Length of a compressed BLS12-381 G1 public key.
const PUBLIC_KEY_LENGTH: u64 = 48;
/// Length of an Ed25519 public key: the node's network (TLS) key.
const NETWORK_PUBLIC_KEY_LENGTH: u64 = 32;

/// The commission rate is above 10,000 basis points.
const EInvalidCommissionRate: u64 = 0;
/// The node name is longer than 100 bytes.
const ENameTooLong: u64 = 1;
/// The network address is longer than 259 bytes.
const ENetworkAddressTooLong: u64 = 2;
/// The public key is not 48 bytes.
const EInvalidPublicKey: u64 = 3;
/// The pool was already advanced to this epoch or a later one.
const EEpochAlreadyProcessed: u64 = 4;
/// The network public key is not 32 bytes.
const EInvalidNetworkPublicKey: u64 = 5;

/// The node's votes for the next epochs' parameters.
public struct VotingParams has copy, drop, store {
    storage_price: u64,
    write_price: u64,
    node_capacity: u64,
}

/// WAL and shares of a pool at the start of an epoch.
public struct ExchangeRate has copy, drop, store {
    wal_amount: u64,
    share_amount: u64,
}

/// A commission change taking effect at `epoch`.
public struct CommissionChange has copy, drop, store {
    rate: u16,
    epoch: u32,
}

/// Stake requested for withdrawal at `withdraw_epoch`, activated at `activation_epoch`.
public struct PendingWithdrawal has copy, drop, store {
    withdraw_epoch: u32,
    activation_epoch: u32,
    principal: u64,
}

/// A node's staking pool; its object id is the node id.
public struct StakingPool has key, store {
    id: UID,
    name: String,
    network_address: String,
    public_key: vector<u8>,
    /// The Ed25519 key of the node's TLS certificate: clients and peers pin it.
    network_public_key: vector<u8>,
    voting_params: VotingParams,
    commission_rate: u16,
    next_commission: Option<CommissionChange>,
    latest_epoch: u32,
    wal_balance: u64,
    share_amount: u64,
    pending_stake: VecMap<u32, u64>,
    pending_withdrawals: vector<PendingWithdrawal>,
    exchange_rates: Table<u32, ExchangeRate>,
    rewards_pool: Balance<WAL>,
    commission: Balance<WAL>,
}

/// A new pool in `epoch`, after validating the registration fields.
public(package) fun new(
    name: String,
    network_address: String,
    public_key: vector<u8>,
    network_public_key: vector<u8>,
    commission_rate: u16,
    storage_price: u64,
    write_price: u64,
    node_capacity: u64,
    epoch: u32,
    ctx: &mut TxContext,
): StakingPool {
    assert!(name.length() <= MAX_NAME_LENGTH, ENameTooLong);
    assert!(network_address.length() <= MAX_NETWORK_ADDRESS_LENGTH, ENetworkAddressTooLong);
    assert!(public_key.length() == PUBLIC_KEY_LENGTH, EInvalidPublicKey);
    assert!(network_public_key.length() == NETWORK_PUBLIC_KEY_LENGTH, EInvalidNetworkPublicKey);
    assert!(commission_rate <= MAX_COMMISSION_RATE, EInvalidCommissionRate);
    let mut exchange_rates = table::new(ctx);
    exchange_rates.add(epoch, ExchangeRate { wal_amount: 0, share_amount: 0 });
    StakingPool {
        id: object::new(ctx),
        name,
        network_address,
        public_key,
        network_public_key,
        voting_params: VotingParams { storage_price, write_price, node_capacity },
        commission_rate,
        next_commission: option::none(),
        latest_epoch: epoch,
        wal_balance: 0,
        share_amount: 0,
        pending_stake: vec_map::empty(),
        pending_withdrawals: vector[],
        exchange_rates,
        rewards_pool: balance::zero(),
        commission: balance::zero(),
    }
}

// === Stake accounting ===

/// Records `amount` of stake activating at `activation_epoch`.
public(package) fun add_pending_stake(self: &mut StakingPool, amount: u64, activation_epoch: u32) {
    if (self.pending_stake.contains(&activation_epoch)) {
        let pending = self.pending_stake.get_mut(&activation_epoch);
        *pending = *pending + amount;
    } else {
        self.pending_stake.insert(activation_epoch, amount);
    }
}

/// Removes `amount` of not-yet-active stake (an early withdrawal).
public(package) fun remove_pending_stake(self: &mut StakingPool, amount: u64, activation_epoch: u32) {
    let pending = self.pending_stake.get_mut(&activation_epoch);
    *pending = *pending - amount;
    if (*pending == 0) {
        self.pending_stake.remove(&activation_epoch);
    };
}

/// Records a withdrawal request: the stake leaves the pool at `withdraw_epoch`.
public(package) fun add_pending_withdrawal(
    self: &mut StakingPool,
    principal: u64,
    activation_epoch: u32,
    withdraw_epoch: u32,
) {
    self.pending_withdrawals.push_back(PendingWithdrawal { withdraw_epoch, activation_epoch, principal });
}

/// Advances the pool to `new_epoch`: adds the ended epoch's `rewards` (less commission), applies
/// a due commission change, records the epoch's exchange rate, then activates pending stake and
/// removes pending withdrawals at that rate. Returns the commission cut.
public(package) fun advance_epoch(self: &mut StakingPool, new_epoch: u32, rewards: Balance<WAL>): u64 {
    assert!(new_epoch > self.latest_epoch, EEpochAlreadyProcessed);
    let total = rewards.value();
    let mut rewards = rewards;
    let commission = ((total as u128) * (self.commission_rate as u128) / (MAX_COMMISSION_RATE as u128)) as u64;
    self.commission.join(rewards.split(commission));
    self.wal_balance = self.wal_balance + rewards.value();
    self.rewards_pool.join(rewards);

    if (self.next_commission.is_some_and!(|c| c.epoch <= new_epoch)) {
        self.commission_rate = self.next_commission.extract().rate;
    };

    let rate = ExchangeRate { wal_amount: self.wal_balance, share_amount: self.share_amount };
    self.exchange_rates.add(new_epoch, rate);

    if (self.pending_stake.contains(&new_epoch)) {
        let (_, amount) = self.pending_stake.remove(&new_epoch);
        self.share_amount = self.share_amount + to_shares(&rate, amount);
        self.wal_balance = self.wal_balance + amount;
    };

    let mut remaining = vector[];
    let mut shares_out: u64 = 0;
    self.pending_withdrawals.do!(|w| {
        if (w.withdraw_epoch == new_epoch) {
            let activation_rate = *self.exchange_rates.borrow(w.activation_epoch);
            shares_out = shares_out + to_shares(&activation_rate, w.principal);
        } else {
            remaining.push_back(w);
        }
    });
    self.pending_withdrawals = remaining;
    let shares_out = shares_out.min(self.share_amount);
    let wal_out = to_wal(&rate, shares_out).min(self.wal_balance);
    self.share_amount = self.share_amount - shares_out;
    self.wal_balance = self.wal_balance - wal_out;
    self.latest_epoch = new_epoch;
    commission
}

/// Brings a pool that missed epoch changes (it was outside the active set and every committee)
/// up to `epoch`, exactly as if it had been advanced through each missed epoch with no rewards:
/// such an epoch changes nothing but the recorded rate unless stake activates or leaves in it, so
/// only those epochs (ascending) and `epoch` itself are visited. Rates of the skipped epochs are
/// not recorded; no stake can ask for them (stake activates and leaves only in visited epochs).
/// Does nothing to a pool already at `epoch` or later. O(pending entries^2), paid by the caller
/// that touches the pool, not by the epoch change.
public(package) fun catch_up(self: &mut StakingPool, epoch: u32) {
    loop {
        let latest = self.latest_epoch;
        let mut next = epoch;
        self.pending_stake.keys().do!(|e| if (e > latest && e < next) next = e);
        self.pending_withdrawals.do_ref!(|w| if (w.withdraw_epoch > latest && w.withdraw_epoch < next) {
            next = w.withdraw_epoch
        });
        if (next <= latest) break;
        self.advance_epoch(next, balance::zero());
        if (next == epoch) break;
    }
}

/// The WAL owed for a stake of `principal` activated at `activation_epoch` and withdrawn at
/// `withdraw_epoch`: its shares valued at the withdrawal epoch's rate. Pays the rewards part from
/// the pool's rewards and returns it.
public(package) fun withdraw_rewards(
    self: &mut StakingPool,
    principal: u64,
    activation_epoch: u32,
    withdraw_epoch: u32,
): Balance<WAL> {
    let shares = to_shares(self.exchange_rates.borrow(activation_epoch), principal);
    let total = to_wal(self.exchange_rates.borrow(withdraw_epoch), shares);
    let rewards = if (total > principal) total - principal else 0;
    let available = self.rewards_pool.value();
    self.rewards_pool.split(rewards.min(available))
}

/// The pool's stake counted for `epoch` (a future one): active stake plus stake activating by
/// then, minus stake leaving by then (valued at the latest rate).
public fun stake_at_epoch(self: &StakingPool, epoch: u32): u64 {
    let mut stake = self.wal_balance;
    let (activations, amounts) = self.pending_stake.into_keys_values();
    activations.zip_do!(amounts, |activation, amount| if (activation <= epoch) stake = stake + amount);
    let latest = *self.exchange_rates.borrow(self.latest_epoch);
    self.pending_withdrawals.do_ref!(|w| {
        if (w.withdraw_epoch <= epoch) {
            let value = if (self.exchange_rates.contains(w.activation_epoch)) {
                to_wal(&latest, to_shares(self.exchange_rates.borrow(w.activation_epoch), w.principal))
            } else {
                w.principal
            };
            stake = stake - value.min(stake);
        }
    });
    stake
}

fun to_shares(rate: &ExchangeRate, wal_amount: u64): u64 {
    if (rate.wal_amount == 0 || rate.share_amount == 0) return wal_amount;
    ((wal_amount as u128) * (rate.share_amount as u128) / (rate.wal_amount as u128)) as u64
}

fun to_wal(rate: &ExchangeRate, shares: u64): u64 {
    if (rate.wal_amount == 0 || rate.share_amount == 0) return shares;
    ((shares as u128) * (rate.wal_amount as u128) / (rate.share_amount as u128)) as u64
}

// === Node settings ===

/// Sets the commission rate taking effect at `epoch`.
public(package) fun set_next_commission(self: &mut StakingPool, rate: u16, epoch: u32) {
    assert!(rate <= MAX_COMMISSION_RATE, EInvalidCommissionRate);
    self.next_commission = option::some(CommissionChange { rate, epoch });
}

/// Takes all collected commission.
public(package) fun collect_commission(self: &mut StakingPool): Balance<WAL> {
    self.commission.withdraw_all()
}

/// Sets the storage price vote.
public(package) fun set_storage_price_vote(self: &mut StakingPool, price: u64) {
    self.voting_params.storage_price = price;
}

/// Sets the write price vote.
public(package) fun set_write_price_vote(self: &mut StakingPool, price: u64) {
    self.voting_params.write_price = price;
}

/// Sets the capacity vote.
public(package) fun set_node_capacity_vote(self: &mut StakingPool, capacity: u64) {
    self.voting_params.node_capacity = capacity;
}

/// Sets the network address.
public(package) fun set_network_address(self: &mut StakingPool, network_address: String) {
    assert!(network_address.length() <= MAX_NETWORK_ADDRESS_LENGTH, ENetworkAddressTooLong);
    self.network_address = network_address;
}

/// Sets the network public key (the node's new TLS key).
public(package) fun set_network_public_key(self: &mut StakingPool, network_public_key: vector<u8>) {
    assert!(network_public_key.length() == NETWORK_PUBLIC_KEY_LENGTH, EInvalidNetworkPublicKey);
    self.network_public_key = network_public_key;
}

// === Accessors ===

/// The node id (the pool's object id).
public fun node_id(self: &StakingPool): ID { self.id.to_inner() }

/// The node's name.
public fun name(self: &StakingPool): &String { &self.name }

/// The node's network address.
public fun network_address(self: &StakingPool): &String { &self.network_address }

/// The node's BLS public key (48 bytes, compressed G1).
public fun public_key(self: &StakingPool): &vector<u8> { &self.public_key }

/// The node's network public key (32 bytes, Ed25519): the key of its TLS certificate.
public fun network_public_key(self: &StakingPool): &vector<u8> { &self.network_public_key }

/// The commission rate in basis points.
public fun commission_rate(self: &StakingPool): u16 { self.commission_rate }

/// The commission collected and not yet taken.
public fun commission_amount(self: &StakingPool): u64 { self.commission.value() }

/// The active stake including rewards.
public fun wal_balance(self: &StakingPool): u64 { self.wal_balance }

/// The outstanding shares.
public fun share_amount(self: &StakingPool): u64 { self.share_amount }

/// The rewards held for stakers.
public fun rewards_amount(self: &StakingPool): u64 { self.rewards_pool.value() }

/// The storage price vote.
public fun storage_price_vote(self: &StakingPool): u64 { self.voting_params.storage_price }

/// The write price vote.
public fun write_price_vote(self: &StakingPool): u64 { self.voting_params.write_price }

/// The capacity vote.
public fun node_capacity_vote(self: &StakingPool): u64 { self.voting_params.node_capacity }

/// The last epoch the pool was advanced to.
public fun latest_epoch(self: &StakingPool): u32 { self.latest_epoch }

/// The exchange rate of `epoch` as (WAL, shares).
public fun exchange_rate(self: &StakingPool, epoch: u32): (u64, u64) {
    let rate = self.exchange_rates.borrow(epoch);
    (rate.wal_amount, rate.share_amount)
}
