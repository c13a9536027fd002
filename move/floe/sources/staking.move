/// The `Staking` shared object: node registration, stake, votes and the epoch change. A thin
/// facade over a versioned inner state (`StakingInnerV1`) behind a dynamic field.
module floe::staking;

use floe::challenges::ChallengeState;
use floe::staked_wal::StakedWal;
use floe::staking_inner::{Self, StakingInnerV1};
use floe::storage_node::StorageNodeCap;
use floe::system::System;
use std::string::String;
use sui::clock::Clock;
use sui::coin::Coin;
use sui::dynamic_field;
use sui::random::Random;
use wal::wal::WAL;

/// The inner-state version this package reads and writes.
const VERSION: u64 = 1;

/// The object's inner state is of a version this package does not handle.
const EWrongVersion: u64 = 0;

/// The shared staking object.
public struct Staking has key {
    id: UID,
    version: u64,
}

/// Creates the staking object at epoch 0 and shares it (called once, at initialization).
public(package) fun create_and_share(
    n_shards: u16,
    epoch_duration_ms: u64,
    max_committee_size: u16,
    ctx: &mut TxContext,
): ID {
    let staking = new(n_shards, epoch_duration_ms, max_committee_size, ctx);
    let id = object::id(&staking);
    transfer::share_object(staking);
    id
}

fun new(n_shards: u16, epoch_duration_ms: u64, max_committee_size: u16, ctx: &mut TxContext): Staking {
    let mut staking = Staking { id: object::new(ctx), version: VERSION };
    let inner = staking_inner::new(n_shards, epoch_duration_ms, max_committee_size, ctx);
    dynamic_field::add(&mut staking.id, VERSION, inner);
    staking
}

// === Nodes ===

/// Registers the sender as a storage node candidate and returns its capability. The proof of
/// possession is the node's BLS signature over (sender address, public key) for the current
/// epoch. The network public key (32 bytes, Ed25519) is the key of the node's TLS certificate,
/// which clients and peers pin. Commission is in basis points; the prices and capacity are the node's first votes.
public fun register_candidate(
    self: &mut Staking,
    name: String,
    network_address: String,
    public_key: vector<u8>,
    network_public_key: vector<u8>,
    proof_of_possession: vector<u8>,
    commission_rate: u16,
    storage_price: u64,
    write_price: u64,
    node_capacity: u64,
    ctx: &mut TxContext,
): StorageNodeCap {
    self.inner_mut().register_candidate(
        name,
        network_address,
        public_key,
        network_public_key,
        proof_of_possession,
        commission_rate,
        storage_price,
        write_price,
        node_capacity,
        ctx,
    )
}

/// Sets the node's commission rate (basis points) from two epochs on.
public fun set_next_commission(self: &mut Staking, cap: &StorageNodeCap, commission_rate: u16) {
    self.inner_mut().set_next_commission(cap, commission_rate)
}

/// Pays out the node's collected commission to the capability holder.
public fun collect_commission(self: &mut Staking, cap: &StorageNodeCap, ctx: &mut TxContext): Coin<WAL> {
    self.inner_mut().collect_commission(cap, ctx)
}

/// Sets the node's storage price vote (FROST per unit per epoch).
public fun set_storage_price_vote(self: &mut Staking, cap: &StorageNodeCap, price: u64) {
    self.inner_mut().set_storage_price_vote(cap, price)
}

/// Sets the node's write price vote (FROST per unit).
public fun set_write_price_vote(self: &mut Staking, cap: &StorageNodeCap, price: u64) {
    self.inner_mut().set_write_price_vote(cap, price)
}

/// Sets the node's capacity vote (encoded bytes it offers).
public fun set_node_capacity_vote(self: &mut Staking, cap: &StorageNodeCap, capacity: u64) {
    self.inner_mut().set_node_capacity_vote(cap, capacity)
}

/// Sets the node's network address.
public fun set_network_address(self: &mut Staking, cap: &StorageNodeCap, network_address: String) {
    self.inner_mut().set_network_address(cap, network_address)
}

/// Sets the node's network public key (32 bytes, Ed25519): the key its TLS certificate must carry
/// from now on.
public fun set_network_public_key(self: &mut Staking, cap: &StorageNodeCap, network_public_key: vector<u8>) {
    self.inner_mut().set_network_public_key(cap, network_public_key)
}

// === Stake ===

/// Stakes WAL with a node; returns the `StakedWal`.
public fun stake_with_pool(
    self: &mut Staking,
    to_stake: Coin<WAL>,
    node_id: ID,
    ctx: &mut TxContext,
): StakedWal {
    self.inner_mut().stake_with_pool(to_stake, node_id, ctx)
}

/// Asks to withdraw a stake; it can be withdrawn from its withdrawal epoch on.
public fun request_withdraw_stake(self: &mut Staking, staked_wal: &mut StakedWal) {
    self.inner_mut().request_withdraw_stake(staked_wal)
}

/// Withdraws a stake: principal and rewards.
public fun withdraw_stake(self: &mut Staking, staked_wal: StakedWal, ctx: &mut TxContext): Coin<WAL> {
    self.inner_mut().withdraw_stake(staked_wal, ctx)
}

/// Whether a stake can be withdrawn at once (no committee counted it yet).
public fun can_withdraw_early(self: &Staking, staked_wal: &StakedWal): bool {
    self.inner().can_withdraw_early(staked_wal)
}

/// Offers a node to the active set (the at most `max_committee_size` nodes the next committee
/// is selected from) at its current stake: for a node whose stake grew while the set was full.
/// It replaces the smallest member if its stake is strictly larger; otherwise nothing changes.
/// Anyone may call it. Aborts `staking_inner::EPoolNotFound` for an unknown node.
public fun try_join_active_set(self: &mut Staking, node_id: ID) {
    self.inner_mut().try_join_active_set(node_id)
}

// === Epoch change (permissionless, driven by the nodes) ===

/// Selects the next committee and parameters.
public fun voting_end(self: &mut Staking, clock: &Clock) {
    self.inner_mut().voting_end(clock)
}

/// Starts the next epoch.
public fun initiate_epoch_change(self: &mut Staking, system: &mut System, clock: &Clock) {
    self.inner_mut().initiate_epoch_change(system, clock)
}

/// A committee node reports it holds its shards for `epoch`.
public fun epoch_sync_done(self: &mut Staking, cap: &mut StorageNodeCap, epoch: u32, clock: &Clock) {
    self.inner_mut().epoch_sync_done(cap, epoch, clock)
}

// === Storage challenges (see `floe::challenges`) ===

/// Opens the current epoch's storage challenge window: a 32-byte seed drawn from Sui's
/// randomness, recorded with the clock time, and emitted in `ChallengeWindowOpened`. Anyone may
/// call it, once per epoch, from epoch 1 on, once the epoch change is done. `entry` and not
/// `public`, as Sui requires of functions that consume randomness (no later command of the
/// transaction may react to the seed). Aborts `staking_inner::EWrongEpochState` in epoch 0 or
/// while shards move, `staking_inner::EChallengeWindowOpen` when already opened this epoch.
entry fun open_challenge_window(self: &mut Staking, random: &Random, clock: &Clock, ctx: &mut TxContext) {
    self.inner_mut().open_challenge_window(random, clock, ctx)
}

/// Records a node's storage challenge outcome for the current epoch from a certificate of a
/// quorum (2f+1 shards) of the current committee over a challenge outcome message (intent type
/// 4: node id, then 1 = passed or 0 = failed); emits `ChallengeOutcome`. A recorded failure
/// withholds the node's rewards for the epoch. Aborts `staking_inner::ENoChallengeWindow`
/// before the window opened, `staking_inner::ENotInCommittee` for a node outside the committee,
/// `staking_inner::EOutcomeRecorded` for a second outcome, and as `certify_blob` does for a
/// certificate or message that does not verify or parse.
public fun record_challenge_outcome(
    self: &mut Staking,
    system: &System,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
) {
    self.inner_mut().record_challenge_outcome(system, signature, signers_bitmap, message)
}

/// The current epoch's challenge seed, once its window opened.
public fun challenge_seed(self: &Staking): Option<vector<u8>> { self.inner().challenges().seed() }

/// When (clock ms) the current epoch's challenge window opened; 0 before.
public fun challenge_opened_at_ms(self: &Staking): u64 { self.inner().challenges().opened_at_ms() }

/// The nodes with a quorum-attested pass in the current epoch.
public fun challenge_passed(self: &Staking): vector<ID> { *self.inner().challenges().passed() }

/// The nodes with a quorum-attested failure in the current epoch (their rewards for it are
/// withheld at the epoch change).
public fun challenge_failed(self: &Staking): vector<ID> { *self.inner().challenges().failed() }

/// The whole challenge state of the current epoch.
public fun challenge_state(self: &Staking): &ChallengeState { self.inner().challenges() }

// === Reads ===

/// The current epoch.
public fun epoch(self: &Staking): u32 { self.inner().epoch() }

/// The inner state, read only.
public fun inner(self: &Staking): &StakingInnerV1 {
    assert!(self.version == VERSION, EWrongVersion);
    dynamic_field::borrow(&self.id, VERSION)
}

fun inner_mut(self: &mut Staking): &mut StakingInnerV1 {
    assert!(self.version == VERSION, EWrongVersion);
    dynamic_field::borrow_mut(&mut self.id, VERSION)
}

#[test_only]
/// A staking object at epoch 0, not shared.
public fun new_for_testing(
    n_shards: u16,
    epoch_duration_ms: u64,
    max_committee_size: u16,
    ctx: &mut TxContext,
): Staking {
    new(n_shards, epoch_duration_ms, max_committee_size, ctx)
}

#[test_only]
#[allow(lint(public_random))]
/// `open_challenge_window`, callable from tests in other modules (an `entry` function is not).
public fun open_challenge_window_for_testing(
    self: &mut Staking,
    random: &Random,
    clock: &Clock,
    ctx: &mut TxContext,
) {
    open_challenge_window(self, random, clock, ctx)
}

#[test_only]
/// Sets the object's version, to test the version check.
public fun set_version_for_testing(self: &mut Staking, version: u64) {
    self.version = version
}
