#[test_only]
/// The active set bounds the epoch change: `voting_end` selects from at most
/// `max_committee_size` nodes and `initiate_epoch_change` advances only the active set's and the
/// committees' pools, however many candidates register; other pools catch up when touched, to
/// exactly the state advancing them every epoch would have given.
module floe::active_set_tests;

use floe::active_set;
use floe::bls_vectors;
use floe::staking::Staking;
use floe::staking_pool::{Self, StakingPool};
use floe::storage_node::StorageNodeCap;
use floe::test_nodes;
use std::unit_test::destroy;
use sui::balance;
use sui::coin;
use wal::wal::WAL;

fun node(n: u64): ID { object::id_from_address(sui::address::from_u256(n as u256)) }

// === The set ===

#[test]
fun a_full_active_set_replaces_its_smallest_member_only_for_a_larger_stake() {
    let mut set = active_set::new(3);
    assert!(set.insert_or_update(node(1), 10) && set.insert_or_update(node(2), 5));
    assert!(set.insert_or_update(node(3), 5));
    // Full; 5 does not beat the smallest (5).
    assert!(!set.insert_or_update(node(4), 5) && !set.contains(node(4)));
    // 6 does, and replaces the latest entered of the two 5s (node 3).
    assert!(set.insert_or_update(node(4), 6));
    assert!(set.node_ids() == vector[node(1), node(2), node(4)]);
    assert!(set.staked_amounts() == vector[10, 5, 6]);
    // A member's update never evicts anyone, even downwards.
    assert!(set.insert_or_update(node(1), 1));
    assert!(set.stake_of(node(1)) == 1 && set.size() == 3 && set.max_size() == 3);
    assert!(!set.insert_or_update(node(5), 0) && set.stake_of(node(5)) == 0);
}

#[test]
fun a_member_whose_stake_drops_to_zero_leaves_the_active_set() {
    let mut set = active_set::new(2);
    set.insert_or_update(node(1), 10);
    set.insert_or_update(node(2), 20);
    assert!(!set.insert_or_update(node(1), 0));
    assert!(set.node_ids() == vector[node(2)]);
    // The seat is free again for any stake.
    assert!(set.insert_or_update(node(3), 1));
    assert!(set.node_ids() == vector[node(2), node(3)]);
}

// === The bound ===

/// Registers `n` candidates (node 0's key and proof of possession, distinct transactions).
fun register_candidates(staking: &mut Staking, n: u64): vector<StorageNodeCap> {
    vector::tabulate!(n, |k| {
        let mut ctx = tx_context::new_from_hint(bls_vectors::node_addresses()[0], 5_000 + k, 0, 0, 0);
        staking.register_candidate(
            b"candidate".to_string(),
            b"127.0.0.1:9999".to_string(),
            bls_vectors::public_keys()[0],
            test_nodes::network_key(0),
            bls_vectors::proofs_of_possession()[0],
            0,
            1,
            1,
            1,
            &mut ctx,
        )
    })
}

fun latest(staking: &Staking, cap: &StorageNodeCap): u32 { staking.inner().pool(cap.node_id()).latest_epoch() }

#[test]
fun the_epoch_change_reads_only_the_active_set_however_many_candidates_register() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(10, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    let candidates = register_candidates(&mut staking, 200);
    // Candidates 0..7 stake 1..8 FROST: 1..6 fill the six free seats, 7 and 8 replace 1 and 2.
    let small = vector::tabulate!(8, |k| {
        staking.stake_with_pool(coin::mint_for_testing(k + 1, ctx), candidates[k].node_id(), ctx)
    });
    let set = staking.inner().active_set();
    assert!(staking.inner().pool_ids().length() == 204 && set.size() == 10);
    assert!(!set.contains(candidates[0].node_id()) && !set.contains(candidates[1].node_id()));
    assert!(set.stake_of(candidates[7].node_id()) == 8 && set.stake_of(caps[0].node_id()) == 300);

    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    // D'Hondt gives the 3..8 FROST nodes no shard: 3/3/2/2 as without them.
    let committee = staking.inner().committee();
    assert!(committee.size() == 4 && committee.weight(&caps[0].node_id()) == 3);
    assert!(committee.weight(&caps[3].node_id()) == 2);
    // Only the active set's pools were advanced.
    assert!(latest(&staking, &candidates[7]) == 1 && latest(&staking, &candidates[2]) == 1);
    assert!(latest(&staking, &candidates[0]) == 0 && latest(&staking, &candidates[1]) == 0);
    assert!(latest(&staking, &candidates[199]) == 0);

    // A pool left behind catches up when touched: candidate 0's stake activated at epoch 1.
    let mut rest = small;
    let mut first = rest.swap_remove(0);
    staking.request_withdraw_stake(&mut first);
    assert!(latest(&staking, &candidates[0]) == 1);
    assert!(staking.inner().pool(candidates[0].node_id()).wal_balance() == 1);
    assert!(first.withdraw_epoch() == option::some(2));
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let coin = staking.withdraw_stake(first, ctx);
    assert!(coin.value() == 1 && staking.inner().pool(candidates[0].node_id()).wal_balance() == 0);
    destroy(coin); destroy(rest); destroy(candidates);
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

// === Joining ===

#[test]
fun a_node_joins_a_full_active_set_only_with_more_stake_than_the_smallest_member() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, system, caps, clock) = test_nodes::setup(3, ctx);
    let staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    // 300/300/200 fill the set; node 3's 200 ties the smallest and stays out.
    let node3 = caps[3].node_id();
    assert!(!staking.inner().active_set().contains(node3));
    staking.try_join_active_set(node3);
    assert!(!staking.inner().active_set().contains(node3));
    // One more FROST and it replaces node 2.
    let more = staking.stake_with_pool(coin::mint_for_testing(1, ctx), node3, ctx);
    let set = staking.inner().active_set();
    assert!(set.stake_of(node3) == 201 && !set.contains(caps[2].node_id()));
    staking.voting_end(&clock);
    let next = *staking.inner().next_committee().borrow();
    assert!(next.contains(&node3) && !next.contains(&caps[2].node_id()));
    destroy(more); destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

#[test]
fun try_join_active_set_fills_a_seat_freed_by_a_withdrawal() {
    let ctx = &mut tx_context::dummy();
    let (mut staking, mut system, mut caps, mut clock) = test_nodes::setup(3, ctx);
    let mut staked = test_nodes::stake_all(&mut staking, &caps, ctx);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    // Node 2's only stake leaves at epoch 2: it leaves the set, which does not refill by itself.
    staking.request_withdraw_stake(&mut staked[2]);
    let node3 = caps[3].node_id();
    assert!(staking.inner().active_set().size() == 2 && !staking.inner().active_set().contains(node3));
    staking.try_join_active_set(node3);
    assert!(staking.inner().active_set().stake_of(node3) == 200);
    test_nodes::change_epoch(&mut staking, &mut system, &mut caps, &mut clock);
    let committee = staking.inner().committee();
    assert!(committee.contains(&node3) && !committee.contains(&caps[2].node_id()));
    destroy(staked); destroy(staking); destroy(system); destroy(caps); clock.destroy_for_testing();
}

// === Catching up ===

fun pool(ctx: &mut TxContext): StakingPool {
    staking_pool::new(b"p".to_string(), b"a".to_string(), bls_vectors::public_keys()[0], test_nodes::network_key(0), 1_000, 1, 1, 1, 0, ctx)
}

fun history(p: &mut StakingPool) {
    p.add_pending_stake(1_000, 1);
    p.advance_epoch(1, balance::zero<WAL>());
    p.advance_epoch(2, balance::create_for_testing<WAL>(100));
    p.add_pending_stake(500, 3);
    p.add_pending_withdrawal(1_000, 1, 4);
    p.set_next_commission(2_000, 4);
    p.add_pending_stake(77, 6);
}

#[test]
fun catching_up_pays_what_advancing_every_epoch_would() {
    let ctx = &mut tx_context::dummy();
    let (mut every, mut lazy) = (pool(ctx), pool(ctx));
    // Same history for both: 1000 FROST active at 1, 100 rewards (10% commission) at 2.
    history(&mut every);
    history(&mut lazy);
    // Then five epochs without rewards: one pool is advanced through each, the other catches up.
    vector[3, 4, 5, 6, 7].do!(|e| { every.advance_epoch(e, balance::zero<WAL>()); });
    lazy.catch_up(7);
    lazy.catch_up(7);
    assert!(lazy.latest_epoch() == 7 && every.latest_epoch() == 7);
    assert!(lazy.wal_balance() == every.wal_balance() && lazy.share_amount() == every.share_amount());
    assert!(lazy.commission_rate() == 2_000 && every.commission_rate() == 2_000);
    assert!(lazy.stake_at_epoch(8) == every.stake_at_epoch(8));
    vector[3, 4, 6, 7].do!(|e| {
        let (w1, s1) = lazy.exchange_rate(e);
        let (w2, s2) = every.exchange_rate(e);
        assert!(w1 == w2 && s1 == s2);
    });
    // 500 entered at 1090:1000 (458 shares); 1000 shares left at 1590:1458 (1090 FROST); 77 at 6.
    let (wal, shares) = every.exchange_rate(4);
    assert!(every.wal_balance() == 500 + 77 && wal == 1_590 && shares == 1_458);
    let (a, b) = (every.withdraw_rewards(1_000, 1, 4), lazy.withdraw_rewards(1_000, 1, 4));
    assert!(a.value() == 90 && b.value() == 90);
    destroy(a); destroy(b); destroy(every); destroy(lazy);
}
