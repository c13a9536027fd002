/// The state behind the `Staking` object (version 1): the pools, the committees and the epoch
/// state machine (EpochChangeSync -> EpochChangeDone -> NextParamsSelected -> next epoch).
module floe::staking_inner;

use floe::active_set::{Self, ActiveSet};
use floe::apportionment;
use floe::bls_aggregate;
use floe::challenges::{Self, ChallengeState};
use floe::committee::{Self, Committee};
use floe::epoch_parameters::{Self, EpochParams};
use floe::events;
use floe::messages;
use floe::staked_wal::{Self, StakedWal};
use floe::staking_pool::{Self, StakingPool};
use floe::storage_node::{Self, StorageNodeCap};
use floe::system::System;
use std::string::String;
use sui::balance;
use sui::clock::Clock;
use sui::coin::Coin;
use sui::object_table::{Self, ObjectTable};
use sui::random::Random;
use wal::wal::WAL;

/// The operation is not allowed in the current epoch state.
const EWrongEpochState: u64 = 0;
/// Too early: the epoch's time for this step has not come.
const ETooEarly: u64 = 1;
/// No node has stake for the next epoch.
const ENoStake: u64 = 2;
/// No pool with this node id.
const EPoolNotFound: u64 = 3;
/// The stake amount is zero.
const EZeroStake: u64 = 4;
/// The proof of possession does not verify.
const EInvalidProofOfPossession: u64 = 5;
/// The sync report is for another epoch than the current one.
const EInvalidSyncEpoch: u64 = 6;
/// The node already reported for this epoch.
const EDuplicateSyncDone: u64 = 7;
/// The node is not in the current committee.
const ENotInCommittee: u64 = 8;
/// The stake is not withdrawing or its withdrawal epoch has not come.
const ENotWithdrawable: u64 = 9;
/// The stake was never counted in a committee: withdraw it directly.
const EWithdrawDirectly: u64 = 10;
/// The system object is at another epoch than the staking object.
const EEpochMismatch: u64 = 11;
/// The stake is already withdrawing.
const EAlreadyWithdrawing: u64 = 12;
/// The storage challenge window already opened in this epoch.
const EChallengeWindowOpen: u64 = 13;
/// No storage challenge window opened in this epoch yet.
const ENoChallengeWindow: u64 = 14;
/// The node's challenge outcome for this epoch is already recorded.
const EOutcomeRecorded: u64 = 15;

/// Where the epoch change stands.
public enum EpochState has copy, drop, store {
    /// The epoch started; nodes holding this much shard weight reported their shards received.
    EpochChangeSync(u16),
    /// The change finished at this time (ms).
    EpochChangeDone(u64),
    /// The next committee and parameters are selected.
    NextParamsSelected,
}

/// Staking state, version 1.
public struct StakingInnerV1 has store {
    n_shards: u16,
    epoch_duration_ms: u64,
    max_committee_size: u16,
    epoch: u32,
    epoch_start_ms: u64,
    pools: ObjectTable<ID, StakingPool>,
    pool_ids: vector<ID>,
    committee: Committee,
    previous_committee: Committee,
    next_committee: Option<Committee>,
    next_epoch_params: Option<EpochParams>,
    epoch_state: EpochState,
    /// The nodes the next committee is selected from (at most `max_committee_size`), each with
    /// its stake for the next selection. Only these pools, the ended and the new committee's
    /// are advanced at an epoch change; any other pool catches up when next touched.
    active_set: ActiveSet,
    /// The storage challenges of the current epoch: the window's seed and the attested outcomes
    /// (see `floe::challenges`).
    challenges: ChallengeState,
}

/// The state at epoch 0: no pools, no committee; the first change may come at once.
public(package) fun new(
    n_shards: u16,
    epoch_duration_ms: u64,
    max_committee_size: u16,
    ctx: &mut TxContext,
): StakingInnerV1 {
    StakingInnerV1 {
        n_shards,
        epoch_duration_ms,
        max_committee_size,
        epoch: 0,
        epoch_start_ms: 0,
        pools: object_table::new(ctx),
        pool_ids: vector[],
        committee: committee::empty(),
        previous_committee: committee::empty(),
        next_committee: option::none(),
        next_epoch_params: option::none(),
        epoch_state: EpochState::EpochChangeDone(0),
        active_set: active_set::new(max_committee_size),
        challenges: challenges::new(0),
    }
}

// === Nodes ===

/// Registers a node as a committee candidate; its BLS key must come with a proof of possession
/// by the sender for the current epoch. Returns the node's capability.
public(package) fun register_candidate(
    self: &mut StakingInnerV1,
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
    let pool = staking_pool::new(
        name,
        network_address,
        public_key,
        network_public_key,
        commission_rate,
        storage_price,
        write_price,
        node_capacity,
        self.epoch,
        ctx,
    );
    assert!(
        messages::verify_proof_of_possession(self.epoch, ctx.sender(), public_key, proof_of_possession),
        EInvalidProofOfPossession,
    );
    let node_id = pool.node_id();
    self.pools.add(node_id, pool);
    self.pool_ids.push_back(node_id);
    events::emit_staking_pool_registered(self.epoch, node_id, commission_rate);
    storage_node::new(node_id, ctx)
}

/// Sets the node's commission rate from two epochs on.
public(package) fun set_next_commission(self: &mut StakingInnerV1, cap: &StorageNodeCap, rate: u16) {
    let epoch = self.epoch + 2;
    self.pool_mut(cap.node_id()).set_next_commission(rate, epoch);
}

/// Pays out the node's collected commission.
public(package) fun collect_commission(
    self: &mut StakingInnerV1,
    cap: &StorageNodeCap,
    ctx: &mut TxContext,
): Coin<WAL> {
    let epoch = self.epoch;
    let commission = self.pool_mut(cap.node_id()).collect_commission();
    events::emit_commission_collected(epoch, cap.node_id(), commission.value());
    commission.into_coin(ctx)
}

/// Sets the node's storage price vote.
public(package) fun set_storage_price_vote(self: &mut StakingInnerV1, cap: &StorageNodeCap, price: u64) {
    self.pool_mut(cap.node_id()).set_storage_price_vote(price)
}

/// Sets the node's write price vote.
public(package) fun set_write_price_vote(self: &mut StakingInnerV1, cap: &StorageNodeCap, price: u64) {
    self.pool_mut(cap.node_id()).set_write_price_vote(price)
}

/// Sets the node's capacity vote.
public(package) fun set_node_capacity_vote(self: &mut StakingInnerV1, cap: &StorageNodeCap, capacity: u64) {
    self.pool_mut(cap.node_id()).set_node_capacity_vote(capacity)
}

/// Sets the node's network address.
public(package) fun set_network_address(self: &mut StakingInnerV1, cap: &StorageNodeCap, address: String) {
    self.pool_mut(cap.node_id()).set_network_address(address)
}

/// Sets the node's network public key.
public(package) fun set_network_public_key(self: &mut StakingInnerV1, cap: &StorageNodeCap, key: vector<u8>) {
    self.pool_mut(cap.node_id()).set_network_public_key(key)
}

// === Stake ===

/// Stakes `to_stake` with `node_id`. It counts from the next epoch, or the one after when the
/// next committee is already selected.
public(package) fun stake_with_pool(
    self: &mut StakingInnerV1,
    to_stake: Coin<WAL>,
    node_id: ID,
    ctx: &mut TxContext,
): StakedWal {
    let amount = to_stake.value();
    assert!(amount > 0, EZeroStake);
    let activation_epoch = if (self.epoch_state == EpochState::NextParamsSelected) {
        self.epoch + 2
    } else {
        self.epoch + 1
    };
    self.pool_mut(node_id).add_pending_stake(amount, activation_epoch);
    self.offer_to_active_set(node_id);
    let staked = staked_wal::mint(node_id, to_stake.into_balance(), activation_epoch, ctx);
    events::emit_staked(self.epoch, node_id, object::id(&staked), amount, activation_epoch);
    staked
}

/// Whether `staked` was never counted by a committee selection, so it can be withdrawn at once.
public fun can_withdraw_early(self: &StakingInnerV1, staked: &StakedWal): bool {
    let activation = staked.activation_epoch();
    staked.is_staked() && activation > self.epoch &&
        !(activation == self.epoch + 1 && self.epoch_state == EpochState::NextParamsSelected)
}

/// Asks to withdraw `staked`: it leaves the pool at the next epoch, or the one after when the
/// node is in the already selected next committee.
public(package) fun request_withdraw_stake(self: &mut StakingInnerV1, staked: &mut StakedWal) {
    assert!(staked.is_staked(), EAlreadyWithdrawing);
    assert!(!self.can_withdraw_early(staked), EWithdrawDirectly);
    let node_id = staked.node_id();
    let in_next = self.epoch_state == EpochState::NextParamsSelected &&
        self.next_committee.borrow().contains(&node_id);
    let withdraw_epoch = if (in_next) self.epoch + 2 else self.epoch + 1;
    let epoch = self.epoch;
    self.pool_mut(node_id).add_pending_withdrawal(staked.value(), staked.activation_epoch(), withdraw_epoch);
    self.offer_to_active_set(node_id);
    staked.set_withdrawing(withdraw_epoch);
    events::emit_withdrawal_requested(epoch, node_id, object::id(staked), staked.value(), withdraw_epoch);
}

/// Withdraws `staked`: principal plus rewards once its withdrawal epoch has come, or the
/// principal alone for stake no committee has counted yet.
public(package) fun withdraw_stake(
    self: &mut StakingInnerV1,
    staked: StakedWal,
    ctx: &mut TxContext,
): Coin<WAL> {
    let node_id = staked.node_id();
    let staked_id = object::id(&staked);
    let principal = staked.value();
    let epoch = self.epoch;
    let mut payout = if (self.can_withdraw_early(&staked)) {
        let activation = staked.activation_epoch();
        self.pool_mut(node_id).remove_pending_stake(principal, activation);
        self.offer_to_active_set(node_id);
        balance::zero()
    } else {
        let withdraw_epoch = staked.withdraw_epoch();
        assert!(withdraw_epoch.is_some_and!(|e| *e <= epoch), ENotWithdrawable);
        let activation = staked.activation_epoch();
        self.pool_mut(node_id).withdraw_rewards(principal, activation, withdraw_epoch.destroy_some())
    };
    payout.join(staked.into_balance());
    events::emit_withdrawn(epoch, node_id, staked_id, principal, payout.value());
    payout.into_coin(ctx)
}

/// Offers `node_id` to the active set at its current stake for the next selection: for a node
/// whose stake grew while the set was full (it replaces the smallest entry if it now has more).
/// Permissionless; a node that does not qualify is left out without an abort.
public(package) fun try_join_active_set(self: &mut StakingInnerV1, node_id: ID) {
    self.offer_to_active_set(node_id)
}

/// The epoch whose stake the next committee selection counts: the next epoch's, or the one
/// after once the next committee is selected (as for stake activation).
fun selection_epoch(self: &StakingInnerV1): u32 {
    if (self.epoch_state == EpochState::NextParamsSelected) self.epoch + 2 else self.epoch + 1
}

/// Records the node's stake for the next selection in the active set (catching its pool up).
fun offer_to_active_set(self: &mut StakingInnerV1, node_id: ID) {
    let selection_epoch = self.selection_epoch();
    let stake = self.pool_mut(node_id).stake_at_epoch(selection_epoch);
    self.active_set.insert_or_update(node_id, stake);
}

// === Epoch change ===

/// Ends the voting for the next epoch: selects the committee by stake from the active set (at
/// most `max_committee_size` nodes, so the work does not grow with the number of pools),
/// apportions the shards by D'Hondt and takes the parameters from the stake-weighted votes.
/// Allowed half an epoch after the change finished (at once in epoch 0).
public(package) fun voting_end(self: &mut StakingInnerV1, clock: &Clock) {
    assert!(self.is_epoch_change_done(), EWrongEpochState);
    assert!(self.epoch == 0 || clock.timestamp_ms() >= self.epoch_start_ms + self.epoch_duration_ms / 2, ETooEarly);
    let next_epoch = self.epoch + 1;

    // Candidates: the active set only (at most `max_committee_size` pools, all advanced to
    // this epoch), largest stake first (ties: earlier entry into the set).
    let mut ids = vector[];
    let mut stakes = vector[];
    let members = self.active_set.node_ids();
    members.do_ref!(|id| {
        let stake = self.pools.borrow(*id).stake_at_epoch(next_epoch);
        if (stake > 0) {
            let mut j = stakes.length();
            ids.push_back(*id);
            stakes.push_back(stake);
            while (j > 0 && stakes[j - 1] < stakes[j]) {
                ids.swap(j - 1, j);
                stakes.swap(j - 1, j);
                j = j - 1;
            };
        }
    });
    assert!(!ids.is_empty(), ENoStake);
    let counts = apportionment::dhondt(self.n_shards, &stakes);
    let next = self.committee.transition(ids, counts, self.n_shards);

    let mut storage_votes = vector[];
    let mut write_votes = vector[];
    let mut capacity_votes = vector[];
    let mut weights = vector[];
    next.node_ids().do!(|id| {
        let pool = self.pools.borrow(id);
        let weight = next.weight(&id);
        storage_votes.push_back(pool.storage_price_vote());
        write_votes.push_back(pool.write_price_vote());
        // A node's capacity vote, scaled to the whole network by its share of the shards.
        capacity_votes.push_back(
            (((pool.node_capacity_vote() as u128) * (self.n_shards as u128) / (weight as u128)) as u64),
        );
        weights.push_back(weight);
    });
    let params = epoch_parameters::new(
        apportionment::quorum_above(capacity_votes, weights, self.n_shards),
        apportionment::quorum_below(storage_votes, weights, self.n_shards),
        apportionment::quorum_below(write_votes, weights, self.n_shards),
    );
    events::emit_epoch_parameters_selected(
        self.epoch,
        next_epoch,
        params.capacity(),
        params.storage_price(),
        params.write_price(),
    );
    self.next_committee = option::some(next);
    self.next_epoch_params = option::some(params);
    self.epoch_state = EpochState::NextParamsSelected;
    // The next selection counts the epoch after: refresh the members' stakes for it.
    members.do!(|id| self.offer_to_active_set(id));
}

/// Starts the next epoch: hands the system the new BLS committee and parameters, pays the ended
/// epoch's rewards to its committee's pools in proportion to their shards (the rounding rest
/// rolls over), and advances the pools of the ended committee, the new committee and the active
/// set (at most 3 * `max_committee_size`), then offers each of them to the active set at its new
/// stake. Other pools catch up when next touched. Allowed one epoch after the current one
/// started (at once in epoch 0).
public(package) fun initiate_epoch_change(self: &mut StakingInnerV1, system: &mut System, clock: &Clock) {
    assert!(self.epoch_state == EpochState::NextParamsSelected, EWrongEpochState);
    assert!(self.epoch == 0 || clock.timestamp_ms() >= self.epoch_start_ms + self.epoch_duration_ms, ETooEarly);
    assert!(system.epoch() == self.epoch, EEpochMismatch);
    let next = self.next_committee.extract();
    let params = self.next_epoch_params.extract();
    let new_epoch = self.epoch + 1;

    let mut members = vector[];
    next.node_ids().do!(|id| {
        let pool = self.pools.borrow(id);
        members.push_back(bls_aggregate::new_member(*pool.public_key(), next.weight(&id), id));
    });
    let mut rewards = system.advance_epoch(bls_aggregate::new_committee(new_epoch, members), &params);

    let total_rewards = rewards.value();
    let ended = self.committee;
    let ended_epoch = self.epoch;
    // The ended committee's pools (by node id) earn the epoch's rewards, except a node a quorum
    // attested failed its challenges: its share stays in `rewards` and rolls over with the
    // rounding rest; its pool advances with nothing added.
    ended.node_ids().do!(|id| {
        let weight = ended.weight(&id);
        let share = ((total_rewards as u128) * (weight as u128) / (self.n_shards as u128)) as u64;
        if (self.challenges.has_failed(&id)) {
            self.pool_mut(id).advance_epoch(new_epoch, balance::zero());
            events::emit_rewards_withheld(ended_epoch, id, share);
        } else {
            let commission = self.pool_mut(id).advance_epoch(new_epoch, rewards.split(share));
            events::emit_rewards_distributed(ended_epoch, id, share, commission);
        }
    });
    system.add_rewards_to_current_epoch(rewards);
    self.challenges.reset(new_epoch);

    self.previous_committee = ended;
    self.committee = next;
    self.epoch = new_epoch;
    self.epoch_start_ms = clock.timestamp_ms();
    self.epoch_state = EpochState::EpochChangeSync(0);
    // Advance the active set's and the new committee's pools too (`pool_mut` catches up), and
    // offer every advanced pool to the active set: members first (in entry order), then the
    // ended committee, then the new one (each by node id).
    let mut touched = self.active_set.node_ids();
    touched.append(ended.node_ids());
    touched.append(next.node_ids());
    touched.do!(|id| self.offer_to_active_set(id));
    events::emit_epoch_change_start(new_epoch);
}

/// A node of the current committee reports it holds its shards for `epoch`. Once nodes holding
/// a quorum of shards reported, the epoch change is done; later reports are recorded too.
public(package) fun epoch_sync_done(
    self: &mut StakingInnerV1,
    cap: &mut StorageNodeCap,
    epoch: u32,
    clock: &Clock,
) {
    assert!(epoch == self.epoch, EInvalidSyncEpoch);
    assert!(cap.last_epoch_sync_done() < epoch, EDuplicateSyncDone);
    let node_id = cap.node_id();
    assert!(self.committee.contains(&node_id), ENotInCommittee);
    cap.set_last_epoch_sync_done(epoch);
    events::emit_shards_received(epoch, node_id, self.committee.shards(&node_id));
    match (self.epoch_state) {
        EpochState::EpochChangeSync(synced) => {
            let weight = synced + self.committee.weight(&node_id);
            if (bls_aggregate::is_quorum(weight, self.n_shards)) {
                self.epoch_state = EpochState::EpochChangeDone(clock.timestamp_ms());
                events::emit_epoch_change_done(epoch);
            } else {
                self.epoch_state = EpochState::EpochChangeSync(weight);
            }
        },
        _ => {},
    }
}

// === Storage challenges ===

/// Opens the epoch's storage challenge window: draws the 32-byte seed from Sui's randomness and
/// records it with the clock time. Allowed once per epoch, from epoch 1 on, once the epoch change
/// is done.
public(package) fun open_challenge_window(
    self: &mut StakingInnerV1,
    random: &Random,
    clock: &Clock,
    ctx: &mut TxContext,
) {
    assert!(self.epoch >= 1 && !self.is_epoch_sync(), EWrongEpochState);
    assert!(!self.challenges.is_open(), EChallengeWindowOpen);
    // The checks come first, so a refused call draws no randomness.
    let mut generator = random.new_generator(ctx);
    let seed = generator.generate_bytes(challenges::seed_length() as u16);
    let now = clock.timestamp_ms();
    self.challenges.open(seed, now);
    events::emit_challenge_window_opened(self.epoch, seed, now);
}

/// Records a node's challenge outcome for the current epoch from a certificate of a quorum of
/// `system`'s (the current) committee over a challenge outcome message.
public(package) fun record_challenge_outcome(
    self: &mut StakingInnerV1,
    system: &System,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
) {
    assert!(self.challenges.is_open(), ENoChallengeWindow);
    let certified = system.committee().verify_quorum_in_epoch(signature, signers_bitmap, message);
    let stake_support = certified.stake_support();
    let outcome = messages::challenge_outcome_message(certified);
    let node_id = outcome.challenge_outcome_node_id();
    assert!(self.committee.contains(&node_id), ENotInCommittee);
    assert!(!self.challenges.is_recorded(&node_id), EOutcomeRecorded);
    let passed = outcome.challenge_outcome_passed();
    self.challenges.record(node_id, passed);
    events::emit_challenge_outcome(self.epoch, node_id, passed, stake_support);
}

// === Accessors ===

/// The pool of `node_id`, caught up to the current epoch first (see `staking_pool::catch_up`):
/// every change to a pool goes through here, so no pool is changed while behind.
fun pool_mut(self: &mut StakingInnerV1, node_id: ID): &mut StakingPool {
    assert!(self.pools.contains(node_id), EPoolNotFound);
    let epoch = self.epoch;
    let pool = self.pools.borrow_mut(node_id);
    pool.catch_up(epoch);
    pool
}

/// The pool of `node_id`.
public fun pool(self: &StakingInnerV1, node_id: ID): &StakingPool {
    assert!(self.pools.contains(node_id), EPoolNotFound);
    self.pools.borrow(node_id)
}

/// The current epoch.
public fun epoch(self: &StakingInnerV1): u32 { self.epoch }

/// The epoch state.
public fun epoch_state(self: &StakingInnerV1): EpochState { self.epoch_state }

/// The current committee.
public fun committee(self: &StakingInnerV1): &Committee { &self.committee }

/// The previous epoch's committee.
public fun previous_committee(self: &StakingInnerV1): &Committee { &self.previous_committee }

/// The selected next committee, if any.
public fun next_committee(self: &StakingInnerV1): &Option<Committee> { &self.next_committee }

/// The selected next parameters, if any.
public fun next_epoch_params(self: &StakingInnerV1): &Option<EpochParams> { &self.next_epoch_params }

/// The number of shards.
public fun n_shards(self: &StakingInnerV1): u16 { self.n_shards }

/// The active set: the nodes the next committee is selected from.
public fun active_set(self: &StakingInnerV1): &ActiveSet { &self.active_set }

/// The node ids of all registered pools, in registration order.
public fun pool_ids(self: &StakingInnerV1): &vector<ID> { &self.pool_ids }

/// Whether the state is EpochChangeSync.
public fun is_epoch_sync(self: &StakingInnerV1): bool {
    match (self.epoch_state) { EpochState::EpochChangeSync(_) => true, _ => false }
}

/// Whether the state is EpochChangeDone.
public fun is_epoch_change_done(self: &StakingInnerV1): bool {
    match (self.epoch_state) { EpochState::EpochChangeDone(_) => true, _ => false }
}

/// Whether the state is NextParamsSelected.
public fun is_next_params_selected(self: &StakingInnerV1): bool {
    self.epoch_state == EpochState::NextParamsSelected
}

/// The storage challenge state of the current epoch.
public fun challenges(self: &StakingInnerV1): &ChallengeState { &self.challenges }
