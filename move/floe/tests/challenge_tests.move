#[test_only]
/// The storage challenge rules (`floe::challenges`): the once-per-epoch window with its seed from
/// Sui's randomness, outcomes recorded from quorum certificates, the reward rule and the reset at
/// the epoch change. The Move VM's BLS natives here accept any signature, so these tests check
/// everything but the signature; the devnet's twins (devnet/tests/staking/challenges.rs) check
/// it with real BLS.
module floe::challenge_tests;

use floe::bls_aggregate;
use floe::events;
use floe::messages;
use floe::staked_wal::StakedWal;
use floe::staking::Staking;
use floe::staking_inner;
use floe::storage_node::StorageNodeCap;
use floe::system::System;
use floe::test_nodes;
use std::unit_test::destroy;
use sui::clock::Clock;
use sui::coin;
use sui::event;
use sui::random::{Self, Random};
use sui::test_scenario::{Self, Scenario};

/// The round-0 random bytes of the test network.
const RANDOM_BYTES: vector<u8> = x"1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F";
/// All four committee members sign: 10 of 10 shards.
const ALL_SIGNERS: vector<u8> = vector[0x0F];
/// Any 96 bytes: the test VM does not check signatures (see the module doc).
const SIGNATURE: vector<u8> = x"b0fbb57a2d03b5c14c90876d9cc19e46157c7895c2b3a83e7e444ed18fa88b99b7bad7ad1cf3a7bea9de6b395cf25bc70fa2ecf86df02fc1f37be960d3bbf84fee42e0e35abfe48438c4433187b2d0f02bb505498e16960ac6caee573230cfd4";

/// The test network with Sui's Random object.
public struct Net {
    scenario: Scenario,
    random: Random,
    staking: Staking,
    system: System,
    caps: vector<StorageNodeCap>,
    clock: Clock,
    staked: vector<StakedWal>,
}

/// The 4-node network of `test_nodes` (weights 3/3/2/2) in epoch 0, and a Random object with
/// round 0's bytes.
fun setup_epoch_zero(): Net {
    let mut scenario = test_scenario::begin(@0x0);
    random::create_for_testing(scenario.ctx());
    scenario.next_tx(@0x0);
    let mut random = scenario.take_shared<Random>();
    random.update_randomness_state_for_testing(0, RANDOM_BYTES, scenario.ctx());
    let (mut staking, system, caps, clock) = test_nodes::setup(10, scenario.ctx());
    let staked = test_nodes::stake_all(&mut staking, &caps, scenario.ctx());
    Net { scenario, random, staking, system, caps, clock, staked }
}

/// The network in epoch 1 with the epoch change done (every node reported its shards).
fun setup(): Net {
    let mut net = setup_epoch_zero();
    net.change_epoch();
    net
}

fun change_epoch(net: &mut Net) {
    test_nodes::change_epoch(&mut net.staking, &mut net.system, &mut net.caps, &mut net.clock);
}

fun open(net: &mut Net) {
    net.staking.open_challenge_window_for_testing(&net.random, &net.clock, net.scenario.ctx());
}

/// Records node `i`'s outcome in the current epoch from a certificate of all four nodes.
fun record(net: &mut Net, i: u64, passed: bool) {
    let message = messages::challenge_outcome_message_bytes(net.staking.epoch(), net.caps[i].node_id(), passed);
    net.record_message(message);
}

fun record_message(net: &mut Net, message: vector<u8>) {
    net.record_signed_by(ALL_SIGNERS, message);
}

fun record_signed_by(net: &mut Net, bitmap: vector<u8>, message: vector<u8>) {
    net.staking.record_challenge_outcome(&net.system, SIGNATURE, bitmap, message);
}

fun end_voting(net: &mut Net) {
    net.staking.voting_end(&net.clock);
}

fun start_next_epoch(net: &mut Net) {
    net.staking.initiate_epoch_change(&mut net.system, &net.clock);
}

fun finish(net: Net) {
    let Net { scenario, random, staking, system, caps, clock, staked } = net;
    test_scenario::return_shared(random);
    destroy(staking); destroy(system); destroy(caps); destroy(staked); clock.destroy_for_testing();
    scenario.end();
}

// === The window ===

#[test]
fun opening_the_window_draws_a_32_byte_seed_and_emits_it() {
    let mut net = setup();
    net.clock.increment_for_testing(1_234);
    assert!(net.staking.challenge_seed().is_none() && net.staking.challenge_opened_at_ms() == 0);
    net.open();
    let seed = net.staking.challenge_seed();
    assert!(seed.is_some() && seed.borrow().length() == 32);
    let now = net.clock.timestamp_ms();
    assert!(net.staking.challenge_opened_at_ms() == now);
    assert!(net.staking.challenge_state().epoch() == 1);
    let opened = event::events_by_type<events::ChallengeWindowOpened>();
    assert!(opened == vector[events::challenge_window_opened(1, *seed.borrow(), now)]);
    net.finish();
}

#[test]
fun the_window_may_open_after_the_next_committee_is_selected() {
    let mut net = setup();
    net.clock.increment_for_testing(test_nodes::epoch_ms!() / 2);
    net.end_voting();
    net.open();
    assert!(net.staking.challenge_seed().is_some());
    net.finish();
}

#[test, expected_failure(abort_code = staking_inner::EWrongEpochState)]
fun opening_the_window_in_epoch_zero_is_rejected() {
    let mut net = setup_epoch_zero();
    net.open();
    net.finish();
}

#[test, expected_failure(abort_code = staking_inner::EWrongEpochState)]
fun opening_the_window_before_the_epoch_change_is_done_is_rejected() {
    let mut net = setup_epoch_zero();
    net.end_voting();
    net.start_next_epoch();
    // Epoch 1 started; nobody reported its shards yet.
    net.open();
    net.finish();
}

#[test, expected_failure(abort_code = staking_inner::EChallengeWindowOpen)]
fun opening_the_window_twice_in_an_epoch_is_rejected() {
    let mut net = setup();
    net.open();
    net.open();
    net.finish();
}

// === Outcomes ===

#[test]
fun quorum_pass_and_fail_certificates_are_recorded_with_events() {
    let mut net = setup();
    net.open();
    net.record(0, true);
    net.record(2, false);
    let (node0, node2) = (net.caps[0].node_id(), net.caps[2].node_id());
    assert!(net.staking.challenge_passed() == vector[node0]);
    assert!(net.staking.challenge_failed() == vector[node2]);
    assert!(net.staking.challenge_state().has_failed(&node2) && !net.staking.challenge_state().has_failed(&node0));
    let outcomes = event::events_by_type<events::ChallengeOutcome>();
    assert!(outcomes == vector[events::challenge_outcome(1, node0, true, 10), events::challenge_outcome(1, node2, false, 10)]);
    net.finish();
}

#[test]
fun the_window_opens_once_per_epoch_after_sync_with_a_fresh_32_byte_seed() {
    let mut net = setup();
    net.open();
    let first = net.staking.challenge_seed().destroy_some();
    assert!(first.length() == 32);
    net.change_epoch();
    assert!(net.staking.challenge_seed().is_none());
    // The next round's bytes: the seed of epoch 2 differs.
    // (Randomness updates come from the system address, as on Sui.)
    let mut system_ctx = tx_context::new_from_hint(@0x0, 0, 2, 0, 0);
    net.random.update_randomness_state_for_testing(1, x"2F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1F1A", &mut system_ctx);
    net.open();
    let second = net.staking.challenge_seed().destroy_some();
    assert!(second.length() == 32 && second != first);
    let opened = event::events_by_type<events::ChallengeWindowOpened>();
    assert!(opened.length() == 2 && opened[1] == events::challenge_window_opened(2, second, net.clock.timestamp_ms()));
    net.finish();
}

#[test, expected_failure(abort_code = bls_aggregate::ENotEnoughStake)]
fun a_certificate_one_shard_short_of_quorum_is_refused() {
    let mut net = setup();
    net.open();
    // The two 3-shard nodes: 6 of 10 shards, 3 * 6 = 18 < 21.
    let mut bitmap = 0u8;
    let members = net.system.committee().members();
    let mut i = 0;
    while (i < members.length()) {
        if (members[i].member_weight() == 3) bitmap = bitmap | (1 << (i as u8));
        i = i + 1;
    };
    let message = messages::challenge_outcome_message_bytes(1, net.caps[3].node_id(), false);
    net.record_signed_by(vector[bitmap], message);
    net.finish();
}

#[test, expected_failure(abort_code = staking_inner::ENoChallengeWindow)]
fun an_outcome_before_the_window_opened_is_rejected() {
    let mut net = setup();
    net.record(0, true);
    net.finish();
}

#[test, expected_failure(abort_code = messages::EIncorrectIntentType)]
fun an_outcome_with_another_intent_type_is_rejected() {
    let mut net = setup();
    net.open();
    let mut message = messages::challenge_outcome_message_bytes(1, net.caps[0].node_id(), true);
    *message.borrow_mut(0) = 2;
    net.record_message(message);
    net.finish();
}

#[test, expected_failure(abort_code = messages::EIncorrectEpoch)]
fun an_outcome_for_another_epoch_is_rejected() {
    let mut net = setup();
    net.open();
    let message = messages::challenge_outcome_message_bytes(2, net.caps[0].node_id(), true);
    net.record_message(message);
    net.finish();
}

#[test, expected_failure(abort_code = messages::ETrailingBytes)]
fun an_outcome_with_a_trailing_byte_is_rejected() {
    let mut net = setup();
    net.open();
    let mut message = messages::challenge_outcome_message_bytes(1, net.caps[0].node_id(), true);
    message.push_back(0);
    net.record_message(message);
    net.finish();
}

#[test, expected_failure(abort_code = messages::EInvalidChallengeOutcome)]
fun an_outcome_byte_other_than_0_or_1_is_rejected() {
    let mut net = setup();
    net.open();
    let mut message = messages::challenge_outcome_message_bytes(1, net.caps[0].node_id(), true);
    let last = message.length() - 1;
    *message.borrow_mut(last) = 2;
    net.record_message(message);
    net.finish();
}

#[test, expected_failure(abort_code = staking_inner::ENotInCommittee)]
fun an_outcome_for_a_node_outside_the_committee_is_rejected() {
    let mut net = setup();
    net.open();
    net.record_message(messages::challenge_outcome_message_bytes(1, object::id_from_address(@0x1), false));
    net.finish();
}

#[test, expected_failure(abort_code = staking_inner::EOutcomeRecorded)]
fun a_second_outcome_for_a_node_in_an_epoch_is_rejected() {
    let mut net = setup();
    net.open();
    net.record(1, true);
    net.record(1, false);
    net.finish();
}

#[test]
fun the_message_bytes_are_the_shared_vector() {
    // The same bytes as encoder/src/messages/challenge_outcome.rs's test: epoch 5, node 0x42..42,
    // passed; then failed.
    let node = object::id_from_address(@0x4242424242424242424242424242424242424242424242424242424242424242);
    assert!(
        messages::challenge_outcome_message_bytes(5, node, true)
            == x"04000305000000424242424242424242424242424242424242424242424242424242424242424201",
    );
    assert!(
        messages::challenge_outcome_message_bytes(5, node, false)
            == x"04000305000000424242424242424242424242424242424242424242424242424242424242424200",
    );
}

// === Rewards and the reset ===

#[test]
fun a_failed_nodes_share_is_withheld_and_rolls_over_into_the_next_epoch() {
    let mut net = setup();
    // 100 units at price 30 for epoch 1: 3000 FROST, 900/900/600/600 by shards.
    let mut payment = coin::mint_for_testing(1_000_000, net.scenario.ctx());
    let storage = net.system.reserve_space(100 * 1_048_576, 1, &mut payment, net.scenario.ctx());
    net.open();
    net.record(0, true);
    net.record(2, false);
    net.change_epoch();
    let (node0, node1, node2, node3) =
        (net.caps[0].node_id(), net.caps[1].node_id(), net.caps[2].node_id(), net.caps[3].node_id());
    let distributed = event::events_by_type<events::RewardsDistributed>();
    assert!(distributed.length() == 3);
    // Node 0's commission is 10%; a recorded pass changes nothing.
    assert!(distributed.contains(&events::rewards_distributed(1, node0, 900, 90)));
    assert!(distributed.contains(&events::rewards_distributed(1, node1, 900, 0)));
    assert!(distributed.contains(&events::rewards_distributed(1, node3, 600, 0)));
    assert!(event::events_by_type<events::RewardsWithheld>() == vector[events::rewards_withheld(1, node2, 600)]);
    // Node 2's pool advanced without rewards: its exchange rate did not grow.
    let pool2 = net.staking.inner().pool(node2);
    assert!(pool2.wal_balance() == 200 && pool2.rewards_amount() == 0);
    let (wal, shares) = pool2.exchange_rate(2);
    assert!(wal == 200 && shares == 200);
    assert!(net.staking.inner().pool(node0).wal_balance() == 1_110);
    // The withheld 600 are epoch 2's rewards: 180/180/120/120 at the next change.
    net.change_epoch();
    let distributed = event::events_by_type<events::RewardsDistributed>();
    assert!(distributed.contains(&events::rewards_distributed(2, node0, 180, 18)));
    assert!(distributed.contains(&events::rewards_distributed(2, node2, 120, 0)));
    assert!(distributed.contains(&events::rewards_distributed(2, node3, 120, 0)));
    destroy(storage); destroy(payment);
    net.finish();
}

#[test]
fun the_challenge_state_resets_at_the_epoch_change() {
    let mut net = setup();
    net.open();
    net.record(0, true);
    net.record(1, false);
    net.change_epoch();
    let state = net.staking.challenge_state();
    assert!(state.epoch() == 2 && state.seed().is_none() && state.opened_at_ms() == 0);
    assert!(state.passed().is_empty() && state.failed().is_empty());
    // The new epoch has its own window and outcomes.
    net.open();
    net.record(1, true);
    assert!(net.staking.challenge_passed() == vector[net.caps[1].node_id()]);
    net.finish();
}
