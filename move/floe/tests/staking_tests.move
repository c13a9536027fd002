#[test_only]
module floe::staking_tests;

use floe::bls_vectors;
use floe::events;
use floe::staked_wal;
use floe::staking;
use floe::staking_inner;
use floe::staking_pool;
use floe::test_nodes;
use std::unit_test::destroy;
use sui::coin;
use sui::event;

// === Registration ===

#[test]
fun registration_creates_a_pool_and_a_capability() {
    let ctx = &mut tx_context::dummy();
    let (staking, system, caps, clock) = test_nodes::setup(10, ctx);
    let node_id = caps[0].node_id();
    let pool = staking.inner().pool(node_id);
    assert!(pool.node_id() == node_id);
    assert!(pool.public_key() == &bls_vectors::public_keys()[0]);
    assert!(pool.network_public_key() == &test_nodes::network_key(0));
    assert!(pool.commission_rate() == 1_000 && pool.storage_price_vote() == 10 && pool.write_price_vote() == 1);
    assert!(pool.node_capacity_vote() == 1 << 30 && pool.wal_balance() == 0);
    assert!(pool.name() == &b"node".to_string() && pool.network_address() == &b"127.0.0.1:9000".to_string());
    assert!(staking.inner().pool_ids().length() == 4);
    let registered = event::events_by_type<events::StakingPoolRegistered>();
    assert!(registered.length() == 4 && registered[0] == events::staking_pool_registered(0, node_id, 1_000));
    destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_pool::ENameTooLong)]
fun a_name_over_100_bytes_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut staking = staking::new_for_testing(10, 1, 10, ctx);
    let mut name = b"".to_string();
    101u64.do!(|_| name.append(b"x".to_string()));
    let cap = staking.register_candidate(name, b"a".to_string(), bls_vectors::public_keys()[0], test_nodes::network_key(0), vector[], 0, 1, 1, 1, ctx);
    destroy(cap); destroy(staking);
}

#[test, expected_failure(abort_code = staking_pool::ENetworkAddressTooLong)]
fun a_network_address_over_259_bytes_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut staking = staking::new_for_testing(10, 1, 10, ctx);
    let mut address = b"".to_string();
    260u64.do!(|_| address.append(b"x".to_string()));
    let cap = staking.register_candidate(b"n".to_string(), address, bls_vectors::public_keys()[0], test_nodes::network_key(0), vector[], 0, 1, 1, 1, ctx);
    destroy(cap); destroy(staking);
}

#[test, expected_failure(abort_code = staking_pool::EInvalidPublicKey)]
fun a_public_key_of_the_wrong_length_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut staking = staking::new_for_testing(10, 1, 10, ctx);
    let cap = staking.register_candidate(b"n".to_string(), b"a".to_string(), vector[1, 2, 3], test_nodes::network_key(0), vector[], 0, 1, 1, 1, ctx);
    destroy(cap); destroy(staking);
}

#[test, expected_failure(abort_code = staking_pool::EInvalidNetworkPublicKey)]
fun a_network_public_key_of_the_wrong_length_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut staking = staking::new_for_testing(10, 1, 10, ctx);
    let cap = staking.register_candidate(b"n".to_string(), b"a".to_string(), bls_vectors::public_keys()[0], vector[1, 2], vector[], 0, 1, 1, 1, ctx);
    destroy(cap); destroy(staking);
}

#[test, expected_failure(abort_code = staking_pool::EInvalidNetworkPublicKey)]
fun setting_a_network_public_key_of_the_wrong_length_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    staking.set_network_public_key(&caps[1], vector::tabulate!(33, |_| 7));
    destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_pool::EInvalidCommissionRate)]
fun a_commission_over_100_percent_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut staking = staking::new_for_testing(10, 1, 10, ctx);
    let cap = staking.register_candidate(b"n".to_string(), b"a".to_string(), bls_vectors::public_keys()[0], test_nodes::network_key(0), vector[], 10_001, 1, 1, 1, ctx);
    destroy(cap); destroy(staking);
}

#[test]
fun node_settings_change_through_the_capability() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    staking.set_storage_price_vote(&caps[1], 99);
    staking.set_write_price_vote(&caps[1], 98);
    staking.set_node_capacity_vote(&caps[1], 97);
    staking.set_network_address(&caps[1], b"10.0.0.1:1".to_string());
    staking.set_network_public_key(&caps[1], test_nodes::network_key(9));
    let pool = staking.inner().pool(caps[1].node_id());
    assert!(pool.network_public_key() == &test_nodes::network_key(9));
    assert!(pool.storage_price_vote() == 99 && pool.write_price_vote() == 98 && pool.node_capacity_vote() == 97);
    assert!(pool.network_address() == &b"10.0.0.1:1".to_string());
    destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking::EWrongVersion)]
fun a_staking_object_of_another_version_is_refused() {
    let ctx = &mut tx_context::dummy();
    let mut staking = staking::new_for_testing(10, 1, 10, ctx);
    staking.set_version_for_testing(2);
    let _ = staking.epoch();
    destroy(staking);
}

// === Stake ===

#[test]
fun stake_activates_next_epoch_or_the_one_after_once_the_committee_is_selected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, mut clock) = test_nodes::setup(10, ctx);
    let first = staking.stake_with_pool(coin::mint_for_testing(100, ctx), caps[0].node_id(), ctx);
    assert!(first.activation_epoch() == 1 && first.value() == 100 && first.node_id() == caps[0].node_id());
    let staked = event::events_by_type<events::Staked>();
    assert!(staked == vector[events::staked(0, caps[0].node_id(), object::id(&first), 100, 1)]);
    staking.voting_end(&clock);
    let second = staking.stake_with_pool(coin::mint_for_testing(50, ctx), caps[0].node_id(), ctx);
    assert!(second.activation_epoch() == 2);
    assert!(staking.inner().pool(caps[0].node_id()).stake_at_epoch(1) == 100);
    assert!(staking.inner().pool(caps[0].node_id()).stake_at_epoch(2) == 150);
    clock.increment_for_testing(1);
    destroy(vector[first, second]);
    destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::EZeroStake)]
fun staking_nothing_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    let staked = staking.stake_with_pool(coin::zero(ctx), caps[0].node_id(), ctx);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::EPoolNotFound)]
fun staking_with_an_unknown_node_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    let staked = staking.stake_with_pool(coin::mint_for_testing(1, ctx), object::id_from_address(@0x1), ctx);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test]
fun uncounted_stake_is_withdrawn_at_once_for_its_principal() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    let staked = staking.stake_with_pool(coin::mint_for_testing(100, ctx), caps[0].node_id(), ctx);
    assert!(staking.can_withdraw_early(&staked));
    let coin = staking.withdraw_stake(staked, ctx);
    assert!(coin.value() == 100);
    assert!(staking.inner().pool(caps[0].node_id()).stake_at_epoch(1) == 0);
    destroy(coin); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::EWithdrawDirectly)]
fun requesting_withdrawal_of_uncounted_stake_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    let mut staked = staking.stake_with_pool(coin::mint_for_testing(100, ctx), caps[0].node_id(), ctx);
    staking.request_withdraw_stake(&mut staked);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

// === Committee selection and epoch change ===

#[test]
fun the_first_epoch_change_selects_the_committee_by_stake_and_the_votes() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    staking.voting_end(&clock);
    assert!(staking.inner().is_next_params_selected());
    let next = *staking.inner().next_committee().borrow();
    // D'Hondt over 300/300/200/200 for 10 shards: 3/3/2/2.
    assert!(next.weight(&caps[0].node_id()) == 3 && next.weight(&caps[1].node_id()) == 3);
    assert!(next.weight(&caps[2].node_id()) == 2 && next.weight(&caps[3].node_id()) == 2);
    // Storage price: 10 (3), 20 (3), 30 (2) reach 8 >= 7 shards -> 30. Write price -> 3.
    // Capacity per node (1 GiB) scaled by n/weight: 10/3 GiB twice, 5 GiB twice; from the top,
    // 7 shards are reached at 10/3 GiB.
    let selected = event::events_by_type<events::EpochParametersSelected>();
    assert!(selected == vector[events::epoch_parameters_selected(0, 1, 3_579_139_413, 30, 3)]);

    staking.initiate_epoch_change(&mut system, &clock);
    assert!(staking.epoch() == 1 && system.epoch() == 1);
    assert!(system.committee().n_members() == 4 && system.committee().n_shards() == 10);
    assert!(system.committee().weight_of(&caps[0].node_id()) == 3);
    assert!(system.storage_price_per_unit_size() == 30 && system.write_price_per_unit_size() == 3);
    assert!(system.total_capacity_size() == 3_579_139_413);
    assert!(event::events_by_type<events::EpochChangeStart>() == vector[events::epoch_change_start(1)]);
    assert!(staking.inner().is_epoch_sync());

    // Sync reports: 3, then 6 shards are not a quorum; 8 are.
    clock.increment_for_testing(5);
    staking.epoch_sync_done(&mut caps[0], 1, &clock);
    staking.epoch_sync_done(&mut caps[1], 1, &clock);
    assert!(staking.inner().is_epoch_sync());
    staking.epoch_sync_done(&mut caps[2], 1, &clock);
    assert!(staking.inner().is_epoch_change_done());
    assert!(event::events_by_type<events::EpochChangeDone>() == vector[events::epoch_change_done(1)]);
    // A late report is still recorded.
    staking.epoch_sync_done(&mut caps[3], 1, &clock);
    let received = event::events_by_type<events::ShardsReceived>();
    assert!(received.length() == 4);
    assert!(received[0] == events::shards_received(1, caps[0].node_id(), staking.inner().committee().shards(&caps[0].node_id())));
    assert!(caps[3].last_epoch_sync_done() == 1);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test]
fun the_committee_holds_at_most_max_committee_size_nodes() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(3, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    staking.voting_end(&clock);
    let next = *staking.inner().next_committee().borrow();
    // 300/300/200 for 10 shards: lower quota 3/3/2, then 300/4 = 75 twice beats 200/3.
    assert!(next.size() == 3);
    assert!(next.weight(&caps[0].node_id()) == 4 && next.weight(&caps[1].node_id()) == 4);
    assert!(next.weight(&caps[2].node_id()) == 2 && !next.contains(&caps[3].node_id()));
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test]
fun shards_stay_with_their_nodes_across_epochs_when_stake_does_not_change() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let first = *staking.inner().committee();
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    assert!(staking.epoch() == 2 && system.epoch() == 2);
    assert!(staking.inner().committee() == &first);
    assert!(staking.inner().previous_committee() == &first);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::ENoStake)]
fun voting_end_without_any_stake_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    staking.voting_end(&clock);
    destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::EWrongEpochState)]
fun voting_end_twice_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    staking.voting_end(&clock);
    staking.voting_end(&clock);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::EWrongEpochState)]
fun an_epoch_change_before_voting_end_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, caps, clock) = test_nodes::setup(10, ctx);
    staking.initiate_epoch_change(&mut system, &clock);
    destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::ETooEarly)]
fun voting_end_before_half_the_epoch_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    clock.increment_for_testing(test_nodes::epoch_ms!() / 2 - 1);
    staking.voting_end(&clock);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::ETooEarly)]
fun an_epoch_change_before_the_epoch_ends_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    clock.increment_for_testing(test_nodes::epoch_ms!() / 2);
    staking.voting_end(&clock);
    clock.increment_for_testing(test_nodes::epoch_ms!() / 2 - 1);
    staking.initiate_epoch_change(&mut system, &clock);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::EWrongEpochState)]
fun voting_end_before_the_sync_quorum_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, caps, mut clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    staking.voting_end(&clock);
    staking.initiate_epoch_change(&mut system, &clock);
    clock.increment_for_testing(test_nodes::epoch_ms!());
    staking.voting_end(&clock);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::EEpochMismatch)]
fun an_epoch_change_with_a_system_at_another_epoch_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    let mut other = floe::test_committee::system(ctx);
    staking.voting_end(&clock);
    staking.initiate_epoch_change(&mut other, &clock);
    destroy(other); destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::EInvalidSyncEpoch)]
fun a_sync_report_for_another_epoch_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    staking.voting_end(&clock);
    staking.initiate_epoch_change(&mut system, &clock);
    staking.epoch_sync_done(&mut caps[0], 2, &clock);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::EDuplicateSyncDone)]
fun a_second_sync_report_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    staking.voting_end(&clock);
    staking.initiate_epoch_change(&mut system, &clock);
    staking.epoch_sync_done(&mut caps[0], 1, &clock);
    staking.epoch_sync_done(&mut caps[0], 1, &clock);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::ENotInCommittee)]
fun a_sync_report_from_outside_the_committee_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, clock) = test_nodes::setup(3, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    staking.voting_end(&clock);
    staking.initiate_epoch_change(&mut system, &clock);
    staking.epoch_sync_done(&mut caps[3], 1, &clock);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

// === Rewards, commission, withdrawal ===

#[test]
fun rewards_go_to_the_committee_by_shards_and_to_stakers_after_commission() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let mut staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    // Someone buys storage for epoch 1 only: 1 unit at price 30 -> 30 FROST... make it 1000.
    let mut payment = coin::mint_for_testing(1_000_000, ctx);
    let storage = system.reserve_space(1_000, 1, &mut payment, ctx);
    let paid = 1_000_000 - payment.value();
    assert!(paid == 30);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    // 30 FROST over 10 shards: 9/9/6/6; node 0 keeps 10% commission (0.9 -> 0).
    let distributed = event::events_by_type<events::RewardsDistributed>();
    assert!(distributed.length() == 4);
    assert!(distributed.contains(&events::rewards_distributed(1, caps[0].node_id(), 9, 0)));
    assert!(distributed.contains(&events::rewards_distributed(1, caps[2].node_id(), 6, 0)));
    let pool0 = staking.inner().pool(caps[0].node_id());
    assert!(pool0.wal_balance() == 309 && pool0.rewards_amount() == 9);
    let (wal, shares) = pool0.exchange_rate(2);
    assert!(wal == 309 && shares == 300);

    // Staker 0 leaves: requested in epoch 2, withdrawable in epoch 3 with its rewards.
    let mut s0 = staked.remove(0);
    staking.request_withdraw_stake(&mut s0);
    assert!(s0.withdraw_epoch() == option::some(3));
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let id0 = object::id(&s0);
    let coin = staking.withdraw_stake(s0, ctx);
    assert!(coin.value() == 309);
    assert!(event::events_by_type<events::Withdrawn>() == vector[events::withdrawn(3, caps[0].node_id(), id0, 300, 309)]);
    assert!(staking.inner().pool(caps[0].node_id()).wal_balance() == 0);
    destroy(coin); destroy(storage); destroy(payment);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test]
fun commission_is_cut_from_rewards_and_collected_by_the_capability_holder() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let mut payment = coin::mint_for_testing(1_000_000, ctx);
    // 100 units at price 30 for one epoch: 3000 FROST; node 0 earns 900, 10% is 90.
    let storage = system.reserve_space(100 * 1_048_576, 1, &mut payment, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let pool0 = staking.inner().pool(caps[0].node_id());
    assert!(pool0.commission_amount() == 90 && pool0.rewards_amount() == 810);
    let commission = staking.collect_commission(&caps[0], ctx);
    assert!(commission.value() == 90);
    assert!(event::events_by_type<events::CommissionCollected>() == vector[events::commission_collected(2, caps[0].node_id(), 90)]);
    assert!(staking.inner().pool(caps[0].node_id()).commission_amount() == 0);
    destroy(commission); destroy(storage); destroy(payment);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test]
fun a_commission_change_takes_effect_two_epochs_later() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    staking.set_next_commission(&caps[1], 5_000);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    assert!(staking.inner().pool(caps[1].node_id()).commission_rate() == 0);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    assert!(staking.inner().pool(caps[1].node_id()).commission_rate() == 5_000);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_pool::EInvalidCommissionRate)]
fun a_commission_change_over_100_percent_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    staking.set_next_commission(&caps[1], 10_001);
    destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test]
fun later_stakers_enter_at_the_current_exchange_rate() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let mut payment = coin::mint_for_testing(1_000_000, ctx);
    // 10 units at 30 for epoch 1: 300 FROST; node 1 (3 shards, no commission) earns 90.
    let storage = system.reserve_space(10 * 1_048_576, 1, &mut payment, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    // Node 1's pool: 390 WAL for 300 shares. A new 390 stake activates at epoch 3.
    let mut late = staking.stake_with_pool(coin::mint_for_testing(390, ctx), caps[1].node_id(), ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let (wal, shares) = staking.inner().pool(caps[1].node_id()).exchange_rate(3);
    assert!(wal == 390 && shares == 300);
    assert!(staking.inner().pool(caps[1].node_id()).share_amount() == 600);
    // The late staker only gets rewards earned after it activated: none so far.
    staking.request_withdraw_stake(&mut late);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let coin = staking.withdraw_stake(late, ctx);
    assert!(coin.value() == 390);
    destroy(coin); destroy(storage); destroy(payment);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test]
fun withdrawal_waits_an_extra_epoch_when_the_node_is_in_the_selected_committee() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let mut staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    clock.increment_for_testing(test_nodes::epoch_ms!() / 2);
    staking.voting_end(&clock);
    let mut s1 = staked.remove(1);
    staking.request_withdraw_stake(&mut s1);
    assert!(s1.withdraw_epoch() == option::some(3));
    let requested = event::events_by_type<events::WithdrawalRequested>();
    assert!(requested == vector[events::withdrawal_requested(1, caps[1].node_id(), object::id(&s1), 300, 3)]);
    destroy(s1); destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::ENotWithdrawable)]
fun withdrawing_before_the_withdrawal_epoch_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let mut staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let mut s0 = staked.remove(0);
    staking.request_withdraw_stake(&mut s0);
    let coin = staking.withdraw_stake(s0, ctx);
    destroy(coin); destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::ENotWithdrawable)]
fun withdrawing_active_stake_without_a_request_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let mut staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let coin = staking.withdraw_stake(staked.remove(0), ctx);
    destroy(coin); destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::EAlreadyWithdrawing)]
fun requesting_withdrawal_twice_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let mut staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let mut s0 = staked.remove(0);
    staking.request_withdraw_stake(&mut s0);
    staking.request_withdraw_stake(&mut s0);
    destroy(s0); destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_pool::EEpochAlreadyProcessed)]
fun a_pool_cannot_be_advanced_twice_to_the_same_epoch() {
    let ctx = &mut tx_context::dummy();
    let mut pool = staking_pool::new(b"n".to_string(), b"a".to_string(), bls_vectors::public_keys()[0], test_nodes::network_key(0), 0, 1, 1, 1, 0, ctx);
    pool.advance_epoch(1, sui::balance::zero());
    pool.advance_epoch(1, sui::balance::zero());
    destroy(pool);
}

// === StakedWal ===

#[test]
fun staked_wal_splits_and_joins() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    let mut staked = staking.stake_with_pool(coin::mint_for_testing(100, ctx), caps[0].node_id(), ctx);
    let part = staked.split(30, ctx);
    assert!(part.value() == 30 && staked.value() == 70);
    assert!(part.node_id() == staked.node_id() && part.activation_epoch() == staked.activation_epoch());
    staked.join(part);
    assert!(staked.value() == 100 && staked.is_staked() && staked.withdraw_epoch().is_none());
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staked_wal::EInvalidSplitAmount)]
fun splitting_off_the_whole_stake_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    let mut staked = staking.stake_with_pool(coin::mint_for_testing(100, ctx), caps[0].node_id(), ctx);
    let part = staked.split(100, ctx);
    destroy(part); destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staked_wal::EIncompatibleStakedWal)]
fun stakes_with_different_nodes_do_not_join() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(10, ctx);
    let mut a = staking.stake_with_pool(coin::mint_for_testing(100, ctx), caps[0].node_id(), ctx);
    let b = staking.stake_with_pool(coin::mint_for_testing(100, ctx), caps[1].node_id(), ctx);
    a.join(b);
    destroy(a); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staked_wal::ENotStaked)]
fun a_withdrawing_stake_cannot_be_split() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let mut staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let mut s0 = staked.remove(0);
    staking.request_withdraw_stake(&mut s0);
    let part = s0.split(1, ctx);
    destroy(part); destroy(s0); destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

// === Twins of the devnet's staking scenarios (devnet/tests/staking/) ===

#[test]
fun sync_reports_finish_the_change_once_a_quorum_of_shards_reported() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    staking.voting_end(&clock);
    staking.initiate_epoch_change(&mut system, &clock);
    // Nodes 0 and 1 hold 3 shards each: 6 of 10 is not a quorum; node 2's 2 more make 8.
    staking.epoch_sync_done(&mut caps[0], 1, &clock);
    staking.epoch_sync_done(&mut caps[1], 1, &clock);
    assert!(staking.inner().is_epoch_sync());
    staking.epoch_sync_done(&mut caps[2], 1, &clock);
    assert!(staking.inner().is_epoch_change_done());
    assert!(event::events_by_type<events::EpochChangeDone>() == vector[events::epoch_change_done(1)]);
    let received = event::events_by_type<events::ShardsReceived>();
    assert!(received.length() == 3 && received[2] == events::shards_received(1, caps[2].node_id(), staking.inner().committee().shards(&caps[2].node_id())));
    // A late report is still recorded.
    staking.epoch_sync_done(&mut caps[3], 1, &clock);
    assert!(caps[3].last_epoch_sync_done() == 1);
    clock.increment_for_testing(1);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test]
fun a_new_stake_moves_only_the_shards_it_needs() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let before = *staking.inner().committee();
    // Node 3 triples its stake (200 -> 600 of 1400): D'Hondt 2/2/1/5.
    let more = staking.stake_with_pool(coin::mint_for_testing(400, ctx), caps[3].node_id(), ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let after = *staking.inner().committee();
    let weights = vector[2, 2, 1, 5];
    let mut i = 0;
    while (i < 4) {
        let node = caps[i].node_id();
        let (old, new) = (before.shards(&node), after.shards(&node));
        assert!(new.length() == weights[i]);
        if (new.length() <= old.length()) {
            new.do_ref!(|s| assert!(old.contains(s)));
        } else {
            old.do_ref!(|s| assert!(new.contains(s)));
        };
        i = i + 1;
    };
    destroy(more); destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}
