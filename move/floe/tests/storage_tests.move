#[test_only]
module floe::storage_tests;

use floe::storage_resource::{Self, Storage};
use floe::system;
use floe::system_state_inner;
use floe::test_committee;
use std::unit_test::destroy;
use sui::coin;
use wal::wal::WAL;

fun storage(start: u32, end: u32, size: u64, ctx: &mut TxContext): Storage {
    storage_resource::new_for_testing(start, end, size, ctx)
}

#[test]
fun split_by_epoch_keeps_the_front_and_returns_the_back() {
    let ctx = &mut tx_context::dummy();
    let mut front = storage(1, 5, 100, ctx);
    let back = front.split_by_epoch(3, ctx);
    assert!(front.start_epoch() == 1 && front.end_epoch() == 3 && front.size() == 100);
    assert!(back.start_epoch() == 3 && back.end_epoch() == 5 && back.size() == 100);
    front.destroy();
    back.destroy();
}

#[test, expected_failure(abort_code = storage_resource::ESplitEpochOutOfRange)]
fun split_at_the_start_epoch_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut s = storage(1, 5, 100, ctx);
    let back = s.split_by_epoch(1, ctx);
    destroy(s);
    destroy(back);
}

#[test, expected_failure(abort_code = storage_resource::ESplitEpochOutOfRange)]
fun split_at_the_end_epoch_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut s = storage(1, 5, 100, ctx);
    let back = s.split_by_epoch(5, ctx);
    destroy(s);
    destroy(back);
}

#[test]
fun split_by_size_returns_the_requested_bytes() {
    let ctx = &mut tx_context::dummy();
    let mut rest = storage(1, 5, 100, ctx);
    let part = rest.split_by_size(30, ctx);
    assert!(part.size() == 30 && rest.size() == 70);
    assert!(part.start_epoch() == 1 && part.end_epoch() == 5);
    rest.destroy();
    part.destroy();
}

#[test, expected_failure(abort_code = storage_resource::ESplitSizeOutOfRange)]
fun split_of_the_whole_size_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut s = storage(1, 5, 100, ctx);
    let part = s.split_by_size(100, ctx);
    destroy(s);
    destroy(part);
}

#[test, expected_failure(abort_code = storage_resource::ESplitSizeOutOfRange)]
fun split_of_zero_bytes_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut s = storage(1, 5, 100, ctx);
    let part = s.split_by_size(0, ctx);
    destroy(s);
    destroy(part);
}

#[test]
fun adjacent_periods_fuse_in_either_order() {
    let ctx = &mut tx_context::dummy();
    let mut a = storage(1, 3, 100, ctx);
    a.fuse_periods(storage(3, 6, 100, ctx));
    assert!(a.start_epoch() == 1 && a.end_epoch() == 6 && a.size() == 100);
    a.fuse(storage(0, 1, 100, ctx));
    assert!(a.start_epoch() == 0 && a.end_epoch() == 6);
    a.destroy();
}

#[test]
fun equal_periods_fuse_by_adding_sizes() {
    let ctx = &mut tx_context::dummy();
    let mut a = storage(1, 3, 100, ctx);
    a.fuse_amount(storage(1, 3, 50, ctx));
    assert!(a.size() == 150);
    a.fuse(storage(1, 3, 25, ctx));
    assert!(a.size() == 175 && a.start_epoch() == 1 && a.end_epoch() == 3);
    a.destroy();
}

#[test, expected_failure(abort_code = storage_resource::EIncompatibleEpochs)]
fun periods_with_a_gap_do_not_fuse() {
    let ctx = &mut tx_context::dummy();
    let mut a = storage(1, 3, 100, ctx);
    a.fuse_periods(storage(4, 6, 100, ctx));
    a.destroy();
}

#[test, expected_failure(abort_code = storage_resource::EIncompatibleAmount)]
fun periods_of_different_sizes_do_not_fuse() {
    let ctx = &mut tx_context::dummy();
    let mut a = storage(1, 3, 100, ctx);
    a.fuse_periods(storage(3, 6, 50, ctx));
    a.destroy();
}

#[test, expected_failure(abort_code = storage_resource::EIncompatibleEpochs)]
fun amounts_over_different_epochs_do_not_fuse() {
    let ctx = &mut tx_context::dummy();
    let mut a = storage(1, 3, 100, ctx);
    a.fuse_amount(storage(1, 4, 100, ctx));
    a.destroy();
}

// === Reserving space ===

#[test]
fun reserve_space_charges_each_epoch_and_books_the_capacity() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    // 3 MiB + 1 byte = 4 units, 3 epochs at 5 FROST per unit: 60 FROST.
    let size = 3 * 1_048_576 + 1;
    let storage = system.reserve_space(size, 3, &mut payment, ctx);
    assert!(storage.start_epoch() == 1 && storage.end_epoch() == 4 && storage.size() == size);
    assert!(payment.value() == 1_000 - 60);
    assert!(system.used_capacity_size() == size);
    let accounting = system.inner().future_accounting();
    assert!(accounting.ring_lookup(0).rewards() == 20 && accounting.ring_lookup(0).used_capacity() == size);
    assert!(accounting.ring_lookup(2).rewards() == 20 && accounting.ring_lookup(2).epoch() == 3);
    assert!(accounting.ring_lookup(3).rewards() == 0 && accounting.ring_lookup(3).used_capacity() == 0);
    storage.destroy();
    destroy(payment);
    destroy(system);
}

#[test]
fun reserve_space_for_later_epochs_leaves_the_current_epoch_free() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    let storage = system.reserve_space_for_epochs(1_048_576, 3, 5, &mut payment, ctx);
    assert!(storage.start_epoch() == 3 && storage.end_epoch() == 5);
    assert!(payment.value() == 990);
    assert!(system.used_capacity_size() == 0);
    assert!(system.inner().future_accounting().ring_lookup(2).used_capacity() == 1_048_576);
    storage.destroy();
    destroy(payment);
    destroy(system);
}

#[test]
fun extend_storage_buys_the_epochs_after_its_end() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    let mut storage = system.reserve_space(1_048_576, 3, &mut payment, ctx);
    system.extend_storage(&mut storage, 2, &mut payment, ctx);
    assert!(storage.start_epoch() == 1 && storage.end_epoch() == 6 && storage.size() == 1_048_576);
    // 1 unit x 5 FROST x (3 + 2) epochs.
    assert!(payment.value() == 1_000 - 25);
    assert!(system.inner().future_accounting().ring_lookup(4).used_capacity() == 1_048_576);
    storage.destroy();
    destroy(payment);
    destroy(system);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun an_expired_reservation_cannot_be_extended() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    let mut storage = system.reserve_space(1_048_576, 1, &mut payment, ctx);
    test_committee::advance(&mut system);
    test_committee::advance(&mut system);
    system.extend_storage(&mut storage, 2, &mut payment, ctx);
    abort_with(storage, payment, system)
}

#[test]
fun storage_units_round_up_to_whole_mebibytes() {
    assert!(system_state_inner::storage_units(1) == 1);
    assert!(system_state_inner::storage_units(1_048_576) == 1);
    assert!(system_state_inner::storage_units(1_048_577) == 2);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun reserving_zero_epochs_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    let storage = system.reserve_space(1_000, 0, &mut payment, ctx);
    abort_with(storage, payment, system)
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun reserving_beyond_max_epochs_ahead_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    let storage = system.reserve_space(1_000, 11, &mut payment, ctx);
    abort_with(storage, payment, system)
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun reserving_past_epochs_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    test_committee::advance(&mut system);
    let mut payment = test_committee::wal(1_000, ctx);
    let storage = system.reserve_space_for_epochs(1_000, 1, 4, &mut payment, ctx);
    abort_with(storage, payment, system)
}

#[test, expected_failure(abort_code = system_state_inner::EStorageExceeded)]
fun reserving_more_than_the_capacity_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut payment = test_committee::wal(1_000_000, ctx);
    let first = system.reserve_space((1 << 30) - 10, 2, &mut payment, ctx);
    first.destroy();
    let storage = system.reserve_space(11, 1, &mut payment, ctx);
    abort_with(storage, payment, system)
}

#[test, expected_failure(abort_code = system_state_inner::EInsufficientFunds)]
fun reserving_without_enough_wal_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut payment = test_committee::wal(14, ctx);
    // 1 unit for 3 epochs costs 15.
    let storage = system.reserve_space(1, 3, &mut payment, ctx);
    abort_with(storage, payment, system)
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidStorageSize)]
fun reserving_zero_bytes_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    let storage = system.reserve_space(0, 1, &mut payment, ctx);
    abort_with(storage, payment, system)
}

#[test, expected_failure(abort_code = system::EWrongVersion)]
fun a_system_of_another_version_is_refused() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    system.set_version_for_testing(2);
    let _ = system.epoch();
    destroy(system);
}

#[test]
fun epoch_change_pays_out_the_ended_epoch_and_keeps_sold_capacity() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    let storage = system.reserve_space(2 * 1_048_576, 2, &mut payment, ctx);
    let rewards = test_committee::advance_with_rewards(&mut system);
    // 2 units x 5 FROST for epoch 1.
    assert!(rewards.value() == 10);
    assert!(system.epoch() == 2);
    assert!(system.used_capacity_size() == 2 * 1_048_576);
    assert!(system.total_capacity_size() == 1 << 30);
    assert!(system.inner().future_accounting().ring_lookup(0).rewards() == 10);
    // The far end of the buffer opened a fresh epoch.
    let accounting = system.inner().future_accounting();
    let last = accounting.length() - 1;
    assert!(accounting.ring_lookup(last).epoch() == 2 + last && accounting.ring_lookup(last).rewards() == 0);
    destroy(rewards);
    storage.destroy();
    destroy(payment);
    destroy(system);
}

#[test, expected_failure(abort_code = system_state_inner::EWrongCommitteeEpoch)]
fun advancing_with_a_committee_of_another_epoch_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let params = floe::epoch_parameters::new(1, 1, 1);
    let rewards = system.advance_epoch(test_committee::committee(3), &params);
    destroy(rewards);
    destroy(system);
}

#[test, expected_failure(abort_code = floe::storage_accounting::ETooFarInFuture)]
fun accounting_lookups_past_the_horizon_are_rejected() {
    let ctx = &mut tx_context::dummy();
    let system = test_committee::system(ctx);
    let accounting = system.inner().future_accounting();
    let _ = accounting.ring_lookup(accounting.length());
    destroy(system);
}

#[test, expected_failure(abort_code = floe::storage_accounting::EInvalidLength)]
fun an_empty_accounting_buffer_is_rejected() {
    let accounting = floe::storage_accounting::new(0, 0);
    destroy(accounting);
}

fun abort_with(storage: Storage, payment: coin::Coin<WAL>, system: system::System) {
    storage.destroy();
    destroy(payment);
    destroy(system);
}
