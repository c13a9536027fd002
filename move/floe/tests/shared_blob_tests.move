#[test_only]
module floe::shared_blob_tests;

use floe::blob::{Self, Blob};
use floe::bls_vectors as v;
use floe::events;
use floe::shared_blob::{Self, SharedBlob};
use floe::system::System;
use floe::system_state_inner;
use floe::test_committee;
use std::unit_test::destroy;
use sui::event;
use sui::test_scenario::{Self, Scenario};

/// Encoded size of the vectors' 1000-byte blob with 10 shards: 1 storage unit.
const ENCODED: u64 = 10_680;
const OWNER: address = @0xA;
const STRANGER: address = @0xB;

/// A permanent blob registered for epochs [1, 4), certified if asked.
fun blob(system: &mut System, certified: bool, ctx: &mut TxContext): Blob {
    let mut payment = test_committee::wal(1_000_000, ctx);
    let storage = system.reserve_space(ENCODED, 3, &mut payment, ctx);
    let mut blob = system.register_blob(storage, v::blob_id(), v::root_hash(), v::size(), 1, false, &mut payment, ctx);
    destroy(payment);
    if (certified) {
        system.certify_blob(&mut blob, v::certify_signature(), v::certify_bitmap(), v::certify_message());
    };
    blob
}

/// The owner shares a certified blob with `funds` FROST (none: `new`); returns the system and
/// the scenario in the stranger's next transaction.
fun shared(funds: u64): (Scenario, System) {
    let mut scenario = test_scenario::begin(OWNER);
    let mut system = test_committee::system(scenario.ctx());
    let blob = blob(&mut system, true, scenario.ctx());
    if (funds == 0) {
        shared_blob::new(blob, scenario.ctx());
    } else {
        let coin = test_committee::wal(funds, scenario.ctx());
        shared_blob::new_funded(blob, coin, scenario.ctx());
    };
    scenario.next_tx(STRANGER);
    (scenario, system)
}

fun finish(scenario: Scenario, system: System) {
    destroy(system);
    scenario.end();
}

#[test]
fun new_shares_the_blob_without_funds_and_emits_blob_shared() {
    let mut scenario = test_scenario::begin(OWNER);
    let mut system = test_committee::system(scenario.ctx());
    let blob = blob(&mut system, true, scenario.ctx());
    let blob_object = blob.object_id();
    shared_blob::new(blob, scenario.ctx());
    let emitted = event::events_by_type<events::BlobShared>();
    assert!(emitted.length() == 1);
    scenario.next_tx(STRANGER);
    let shared = scenario.take_shared<SharedBlob>();
    assert!(shared.funds() == 0);
    assert!(shared.blob().object_id() == blob_object && shared.blob().end_epoch() == 4);
    assert!(emitted[0] == events::blob_shared(shared.object_id(), blob_object, v::blob_id(), 4, 0));
    test_scenario::return_shared(shared);
    finish(scenario, system);
}

#[test]
fun new_funded_shares_the_blob_with_the_coin_as_funds() {
    let mut scenario = test_scenario::begin(OWNER);
    let mut system = test_committee::system(scenario.ctx());
    let blob = blob(&mut system, true, scenario.ctx());
    let blob_object = blob.object_id();
    let coin = test_committee::wal(500, scenario.ctx());
    shared_blob::new_funded(blob, coin, scenario.ctx());
    let emitted = event::events_by_type<events::BlobShared>();
    scenario.next_tx(STRANGER);
    let shared = scenario.take_shared<SharedBlob>();
    assert!(shared.funds() == 500);
    assert!(emitted[0] == events::blob_shared(shared.object_id(), blob_object, v::blob_id(), 4, 500));
    test_scenario::return_shared(shared);
    finish(scenario, system);
}

#[test, expected_failure(abort_code = shared_blob::ENotCertified)]
fun an_uncertified_blob_cannot_be_shared() {
    let mut scenario = test_scenario::begin(OWNER);
    let mut system = test_committee::system(scenario.ctx());
    let blob = blob(&mut system, false, scenario.ctx());
    shared_blob::new(blob, scenario.ctx());
    finish(scenario, system);
}

#[test, expected_failure(abort_code = shared_blob::ENotCertified)]
fun an_uncertified_blob_cannot_be_shared_with_funds() {
    let mut scenario = test_scenario::begin(OWNER);
    let mut system = test_committee::system(scenario.ctx());
    let blob = blob(&mut system, false, scenario.ctx());
    let coin = test_committee::wal(500, scenario.ctx());
    shared_blob::new_funded(blob, coin, scenario.ctx());
    finish(scenario, system);
}

#[test, expected_failure(abort_code = shared_blob::EZeroFunds)]
fun sharing_with_an_empty_coin_is_rejected() {
    let mut scenario = test_scenario::begin(OWNER);
    let mut system = test_committee::system(scenario.ctx());
    let blob = blob(&mut system, true, scenario.ctx());
    let coin = test_committee::wal(0, scenario.ctx());
    shared_blob::new_funded(blob, coin, scenario.ctx());
    finish(scenario, system);
}

#[test]
fun anyone_can_fund_a_shared_blob() {
    let (mut scenario, system) = shared(100);
    let mut shared = scenario.take_shared<SharedBlob>();
    shared.fund(test_committee::wal(250, scenario.ctx()));
    shared.fund(test_committee::wal(1, scenario.ctx()));
    assert!(shared.funds() == 351);
    test_scenario::return_shared(shared);
    finish(scenario, system);
}

#[test, expected_failure(abort_code = shared_blob::EZeroFunds)]
fun funding_with_an_empty_coin_is_rejected() {
    let (mut scenario, system) = shared(100);
    let mut shared = scenario.take_shared<SharedBlob>();
    shared.fund(test_committee::wal(0, scenario.ctx()));
    test_scenario::return_shared(shared);
    finish(scenario, system);
}

#[test]
fun anyone_can_extend_paying_from_the_funds_with_the_owned_blob_events() {
    let (mut scenario, mut system) = shared(1_000);
    let mut shared = scenario.take_shared<SharedBlob>();
    let rewards_before = system.inner().future_accounting().ring_lookup(5).rewards();
    shared.extend(&mut system, 5, scenario.ctx());
    // 1 unit x storage price 5 x 5 epochs, from the funds, into the epochs' rewards.
    assert!(shared.funds() == 975);
    assert!(system.inner().future_accounting().ring_lookup(5).rewards() == rewards_before + 5);
    assert!(system.inner().future_accounting().ring_lookup(7).used_capacity() == ENCODED);
    assert!(shared.blob().end_epoch() == 9 && shared.blob().storage().start_epoch() == 1);
    // Exactly what extending an owned blob emits: nodes and indexers follow it the same way.
    let certified = event::events_by_type<events::BlobCertified>();
    assert!(certified.length() == 1);
    assert!(certified[0] == events::blob_certified(1, v::blob_id(), 9, false, shared.blob().object_id(), true));
    test_scenario::return_shared(shared);
    finish(scenario, system);
}

#[test]
fun extending_can_spend_the_funds_to_the_last_frost() {
    let (mut scenario, mut system) = shared(10);
    let mut shared = scenario.take_shared<SharedBlob>();
    shared.extend(&mut system, 2, scenario.ctx());
    assert!(shared.funds() == 0 && shared.blob().end_epoch() == 6);
    test_scenario::return_shared(shared);
    finish(scenario, system);
}

#[test, expected_failure(abort_code = shared_blob::EInsufficientFunds)]
fun extending_beyond_the_funds_is_rejected() {
    let (mut scenario, mut system) = shared(24);
    let mut shared = scenario.take_shared<SharedBlob>();
    shared.extend(&mut system, 5, scenario.ctx());
    test_scenario::return_shared(shared);
    finish(scenario, system);
}

#[test, expected_failure(abort_code = shared_blob::EInsufficientFunds)]
fun an_unfunded_shared_blob_cannot_be_extended() {
    let (mut scenario, mut system) = shared(0);
    let mut shared = scenario.take_shared<SharedBlob>();
    shared.extend(&mut system, 1, scenario.ctx());
    test_scenario::return_shared(shared);
    finish(scenario, system);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun extending_past_the_horizon_is_rejected_by_the_system() {
    let (mut scenario, mut system) = shared(1_000_000);
    let mut shared = scenario.take_shared<SharedBlob>();
    // Ends at 4; max 10 epochs ahead of epoch 1 allows up to 11.
    shared.extend(&mut system, 8, scenario.ctx());
    test_scenario::return_shared(shared);
    finish(scenario, system);
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun an_expired_shared_blob_cannot_be_extended() {
    let (mut scenario, mut system) = shared(1_000);
    let mut shared = scenario.take_shared<SharedBlob>();
    test_committee::advance(&mut system);
    test_committee::advance(&mut system);
    test_committee::advance(&mut system);
    shared.extend(&mut system, 1, scenario.ctx());
    test_scenario::return_shared(shared);
    finish(scenario, system);
}
