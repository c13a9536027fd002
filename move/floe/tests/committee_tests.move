#[test_only]
module floe::committee_tests;

use floe::apportionment;
use floe::bls_aggregate;
use floe::bls_vectors;
use floe::committee;
use floe::init::{Self, InitCap};
use floe::messages;
use floe::staking::Staking;
use floe::system::System;
use sui::test_scenario;

fun id(a: address): ID { object::id_from_address(a) }

// === D'Hondt and votes ===

#[test]
fun dhondt_gives_seats_in_proportion_to_stake() {
    assert!(apportionment::dhondt(10, &vector[300, 300, 200, 200]) == vector[3, 3, 2, 2]);
    assert!(apportionment::dhondt(10, &vector[300, 300, 200]) == vector[4, 4, 2]);
    assert!(apportionment::dhondt(7, &vector[1]) == vector[7]);
    // Classic example: 100k/80k/30k/20k for 8 seats -> 4/3/1/0.
    assert!(apportionment::dhondt(8, &vector[100_000, 80_000, 30_000, 20_000]) == vector[4, 3, 1, 0]);
    // Zero stake gets nothing; the seats always add up.
    assert!(apportionment::dhondt(5, &vector[0, 10, 10]) == vector[0, 3, 2]);
}

#[test, expected_failure(abort_code = apportionment::ENoStake)]
fun dhondt_without_stake_is_rejected() {
    apportionment::dhondt(5, &vector[0, 0]);
}

#[test]
fun quorum_below_is_the_lowest_price_a_quorum_accepts() {
    // Weights 3/3/2/2 of 10: quorum is 7.
    assert!(apportionment::quorum_below(vector[40, 10, 30, 20], vector[2, 3, 2, 3], 10) == 30);
    assert!(apportionment::quorum_below(vector[5, 5, 5, 5], vector[3, 3, 2, 2], 10) == 5);
    assert!(apportionment::quorum_below(vector[1, 100], vector[7, 3], 10) == 1);
}

#[test]
fun quorum_above_is_the_highest_value_a_quorum_offers() {
    assert!(apportionment::quorum_above(vector[40, 10, 30, 20], vector[2, 3, 2, 3], 10) == 20);
    assert!(apportionment::quorum_above(vector[1, 100], vector[7, 3], 10) == 1);
    assert!(apportionment::quorum_above(vector[1, 100], vector[3, 7], 10) == 100);
}

#[test, expected_failure(abort_code = apportionment::ELengthMismatch)]
fun votes_and_weights_must_pair_up() {
    apportionment::quorum_below(vector[1, 2], vector[1], 10);
}

#[test, expected_failure(abort_code = apportionment::ENoStake)]
fun a_vote_needs_voters() {
    apportionment::quorum_above(vector[], vector[], 10);
}

// === Shard assignment ===

#[test]
fun the_first_committee_assigns_shards_in_node_id_order() {
    let c = committee::empty().transition(vector[id(@0xB), id(@0xA)], vector[2, 3], 5);
    assert!(c.node_ids() == vector[id(@0xA), id(@0xB)]);
    // Shards are handed out in the order the nodes were given, then sorted per node.
    assert!(c.shards(&id(@0xB)) == vector[0, 1] && c.shards(&id(@0xA)) == vector[2, 3, 4]);
    assert!(c.weight(&id(@0xA)) == 3 && c.size() == 2 && !c.contains(&id(@0xC)));
}

#[test]
fun transitions_keep_shards_where_they_are() {
    let first = committee::empty().transition(vector[id(@0xA), id(@0xB), id(@0xC)], vector[4, 3, 3], 10);
    assert!(first.shards(&id(@0xA)) == vector[0, 1, 2, 3]);
    // A shrinks to 2, C leaves, D joins with 4, B grows to 4.
    let next = first.transition(vector[id(@0xA), id(@0xB), id(@0xD)], vector[2, 4, 4], 10);
    assert!(next.shards(&id(@0xA)) == vector[0, 1]);
    let b = next.shards(&id(@0xB));
    assert!(b.length() == 4 && b.contains(&4) && b.contains(&5) && b.contains(&6));
    assert!(next.shards(&id(@0xD)).length() == 4 && !next.contains(&id(@0xC)));
    // Every shard is held exactly once.
    let mut seen = vector::tabulate!(10, |_| false);
    next.node_ids().do!(|n| next.shards(&n).do!(|s| {
        assert!(!seen[s as u64]);
        *&mut seen[s as u64] = true;
    }));
    assert!(seen.all!(|x| *x));
}

#[test, expected_failure(abort_code = committee::EInvalidShardCounts)]
fun shard_counts_must_add_up_to_the_shard_count() {
    committee::empty().transition(vector[id(@0xA)], vector[3], 4);
}

// === BLS committee ===

#[test]
fun quorum_and_one_correct_node_thresholds() {
    // n = 10: quorum needs 3w >= 21 (w >= 7); one correct node 3w >= 11 (w >= 4).
    assert!(bls_aggregate::is_quorum(7, 10) && !bls_aggregate::is_quorum(6, 10));
    assert!(bls_aggregate::is_one_correct_node(4, 10) && !bls_aggregate::is_one_correct_node(3, 10));
    // n = 1000: 667 and 334.
    assert!(bls_aggregate::is_quorum(667, 1000) && !bls_aggregate::is_quorum(666, 1000));
    assert!(bls_aggregate::is_one_correct_node(334, 1000) && !bls_aggregate::is_one_correct_node(333, 1000));
}

#[test]
fun a_committee_sums_its_weights() {
    let c = floe::test_committee::committee(5);
    assert!(c.epoch() == 5 && c.n_shards() == 10 && c.n_members() == 4);
    assert!(c.contains(&id(@0xD2)) && c.weight_of(&id(@0xD2)) == 2 && c.weight_of(&id(@0xEE)) == 0);
    assert!(c.members()[1].member_weight() == 3 && c.members()[1].member_node_id() == id(@0xD1));
}

#[test, expected_failure(abort_code = bls_aggregate::EInvalidPublicKey)]
fun a_member_key_must_be_48_bytes() {
    bls_aggregate::new_member(vector[1, 2, 3], 1, id(@0x1));
}

#[test, expected_failure(abort_code = bls_aggregate::EInvalidWeight)]
fun a_member_needs_weight() {
    bls_aggregate::new_member(bls_vectors::public_keys()[0], 0, id(@0x1));
}

// === Messages ===

#[test]
fun message_bytes_follow_the_intent_header_format() {
    assert!(messages::header(1, 258) == x"01000302010000");
    let confirmation = messages::storage_confirmation_message(1, bls_vectors::blob_id(), option::none());
    assert!(confirmation == bls_vectors::certify_message());
    let deletable = messages::storage_confirmation_message(1, bls_vectors::blob_id(), option::some(bls_vectors::deletable_object_id()));
    assert!(deletable == bls_vectors::certify_deletable_message());
    assert!(messages::invalid_blob_id_message_bytes(1, bls_vectors::blob_id()) == bls_vectors::invalid_blob_id_message());
    let pop = messages::proof_of_possession_message(0, @0xA0, bls_vectors::public_keys()[0]);
    assert!(pop.length() == 7 + 32 + 48);
}

#[test]
fun a_parsed_confirmation_exposes_its_fields() {
    let msg = messages::new_certified_message(bls_vectors::certify_deletable_message(), 1, 8);
    assert!(msg.intent_type() == 1 && msg.cert_epoch() == 1 && msg.stake_support() == 8);
    assert!(msg.message_body().length() == 32 + 1 + 32);
    let blob = messages::certify_blob_message(msg);
    assert!(blob.certified_blob_id() == bls_vectors::blob_id() && blob.certified_epoch() == 1);
    assert!(blob.persistence().is_deletable());
    assert!(blob.persistence().deletable_object_id() == option::some(bls_vectors::deletable_object_id()));
    let invalid = messages::invalid_blob_id_message(messages::new_certified_message(bls_vectors::invalid_blob_id_message(), 1, 5));
    assert!(invalid.invalid_blob_id() == bls_vectors::blob_id() && invalid.invalid_blob_id_epoch() == 1);
}

#[test, expected_failure(abort_code = messages::EMessageTooShort)]
fun a_message_shorter_than_its_header_is_rejected() {
    messages::new_certified_message(x"010003010000", 1, 10);
}

// === Initialization ===

#[test]
fun initialize_shares_system_and_staking_at_epoch_zero() {
    let mut scenario = test_scenario::begin(@0xAD);
    init::init_for_testing(scenario.ctx());
    scenario.next_tx(@0xAD);
    let cap = scenario.take_from_sender<InitCap>();
    init::initialize(cap, 10, 1_000, 5, 3, scenario.ctx());
    scenario.next_tx(@0xAD);
    let system = scenario.take_shared<System>();
    let staking = scenario.take_shared<Staking>();
    assert!(system.epoch() == 0 && system.n_shards() == 10 && system.max_epochs_ahead() == 5);
    assert!(system.epoch_duration_ms() == 1_000 && system.total_capacity_size() == 0);
    assert!(staking.epoch() == 0 && staking.inner().n_shards() == 10 && staking.inner().is_epoch_change_done());
    test_scenario::return_shared(system);
    test_scenario::return_shared(staking);
    assert!(!scenario.has_most_recent_for_sender<InitCap>());
    scenario.end();
}

#[test, expected_failure(abort_code = init::EInvalidParameter)]
fun initialize_rejects_zero_shards() {
    let mut scenario = test_scenario::begin(@0xAD);
    init::init_for_testing(scenario.ctx());
    scenario.next_tx(@0xAD);
    let cap = scenario.take_from_sender<InitCap>();
    init::initialize(cap, 0, 1_000, 5, 3, scenario.ctx());
    scenario.end();
}

#[test, expected_failure(abort_code = init::EInvalidParameter)]
fun initialize_rejects_three_shards() {
    let mut scenario = test_scenario::begin(@0xAD);
    init::init_for_testing(scenario.ctx());
    scenario.next_tx(@0xAD);
    let cap = scenario.take_from_sender<InitCap>();
    init::initialize(cap, 3, 1_000, 5, 3, scenario.ctx());
    scenario.end();
}

#[test, expected_failure(abort_code = init::EInvalidParameter)]
fun initialize_rejects_more_than_1000_epochs_ahead() {
    let mut scenario = test_scenario::begin(@0xAD);
    init::init_for_testing(scenario.ctx());
    scenario.next_tx(@0xAD);
    let cap = scenario.take_from_sender<InitCap>();
    init::initialize(cap, 10, 1_000, 1_001, 3, scenario.ctx());
    scenario.end();
}

#[test]
fun state_accessors_report_what_was_set() {
    assert!(floe::encoding::rs2() == 1);
    let c = floe::test_committee::committee(1);
    let key = sui::bls12381::g1_from_bytes(&bls_vectors::public_keys()[0]);
    assert!(c.members()[0].member_public_key() == &key);
    assert!(sui::group_ops::bytes(c.total_aggregated_key()).length() == 48);

    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = floe::test_nodes::setup(10, ctx);
    let staked = floe::test_nodes::stake_all(&mut staking, &caps, ctx);
    assert!(staking.inner().epoch_state() == staking.inner().epoch_state());
    assert!(staking.inner().next_epoch_params().is_none());
    staking.voting_end(&clock);
    let params = *staking.inner().next_epoch_params().borrow();
    assert!(params.storage_price() == 30 && params.write_price() == 3);
    assert!(staking.inner().pool(caps[0].node_id()).latest_epoch() == 0);
    std::unit_test::destroy(staked);
    std::unit_test::destroy(staking);
    std::unit_test::destroy(system);
    std::unit_test::destroy(caps);
    clock.destroy_for_testing();
}
