#[test_only]
/// The test network: a 4-node, 10-shard committee (weights 3, 3, 2, 2) with the real BLS keys of
/// `bls_vectors`, and a `System` at epoch 1 run by it.
module floe::test_committee;

use floe::bls_aggregate::{Self, BlsCommittee};
use floe::bls_vectors;
use floe::epoch_parameters;
use floe::system::{Self, System};
use sui::coin::{Self, Coin};
use wal::wal::WAL;

/// Shards in the test network.
public macro fun n_shards(): u16 { 10 }
/// Capacity of the test network: 1 GiB of encoded bytes.
public macro fun capacity(): u64 { 1 << 30 }
/// FROST per 1 MiB unit per epoch.
public macro fun storage_price(): u64 { 5 }
/// FROST per 1 MiB unit, once.
public macro fun write_price(): u64 { 7 }
/// Epochs ahead storage can be bought.
public macro fun max_epochs_ahead(): u32 { 10 }
/// Epoch duration.
public macro fun epoch_duration_ms(): u64 { 3_600_000 }

/// The node ids of the committee members, in order.
public fun node_ids(): vector<ID> {
    vector[@0xD0, @0xD1, @0xD2, @0xD3].map!(|a| object::id_from_address(a))
}

/// The weights of the committee members, in order.
public fun weights(): vector<u16> { vector[3, 3, 2, 2] }

/// The committee of `epoch`.
public fun committee(epoch: u32): BlsCommittee {
    let keys = bls_vectors::public_keys();
    let ids = node_ids();
    let weights = weights();
    let mut members = vector[];
    let mut i = 0;
    while (i < 4) {
        members.push_back(bls_aggregate::new_member(keys[i], weights[i], ids[i]));
        i = i + 1;
    };
    bls_aggregate::new_committee(epoch, members)
}

/// A system at epoch 1 with the test committee, capacity and prices.
public fun system(ctx: &mut TxContext): System {
    let mut system = system::new_for_testing(n_shards!(), epoch_duration_ms!(), max_epochs_ahead!(), ctx);
    advance(&mut system);
    system
}

/// Advances the system by one epoch with the test committee and parameters, dropping the ended
/// epoch's rewards (tests of rewards use `advance_with_rewards`).
public fun advance(system: &mut System) {
    std::unit_test::destroy(advance_with_rewards(system));
}

/// Advances the system by one epoch and returns the ended epoch's rewards.
public fun advance_with_rewards(system: &mut System): sui::balance::Balance<WAL> {
    let params = epoch_parameters::new(capacity!(), storage_price!(), write_price!());
    let next = system.epoch() + 1;
    system.advance_epoch(committee(next), &params)
}

/// Test WAL.
public fun wal(amount: u64, ctx: &mut TxContext): Coin<WAL> {
    coin::mint_for_testing(amount, ctx)
}
