#[test_only]
/// A 4-node test network for staking: the nodes of `bls_vectors` registered with their real keys
/// and proofs of possession, commission 10% for node 0 and 0 for the others, storage price votes
/// 10/20/30/40, write price votes 1/2/3/4, capacity votes 1 GiB each.
module floe::test_nodes;

use floe::bls_vectors;
use floe::staked_wal::StakedWal;
use floe::staking::{Self, Staking};
use floe::storage_node::StorageNodeCap;
use floe::system::{Self, System};
use sui::clock::{Self, Clock};
use sui::coin;

/// Epoch duration of the test network.
public macro fun epoch_ms(): u64 { 1_000_000 }

/// The stakes `stake_all` places with nodes 0..3.
public fun stakes(): vector<u64> { vector[300, 300, 200, 200] }

/// A context whose sender is node `i`'s operator.
public fun node_ctx(i: u64): TxContext {
    tx_context::new_from_hint(bls_vectors::node_addresses()[i], 1_000 + i, 0, 0, 0)
}

/// Registers node `i` with `commission_rate`.
public fun register(staking: &mut Staking, i: u64, commission_rate: u16): StorageNodeCap {
    let mut ctx = node_ctx(i);
    staking.register_candidate(
        b"node".to_string(),
        b"127.0.0.1:9000".to_string(),
        bls_vectors::public_keys()[i],
        network_key(i),
        bls_vectors::proofs_of_possession()[i],
        commission_rate,
        10 * (i + 1),
        i + 1,
        1 << 30,
        &mut ctx,
    )
}

/// Node `i`'s network (TLS) public key: 32 bytes, all `i + 1`.
public fun network_key(i: u64): vector<u8> { vector::tabulate!(32, |_| (i + 1) as u8) }

/// A fresh network at epoch 0 with the four nodes registered (no stake yet).
public fun setup(max_committee_size: u16, ctx: &mut TxContext): (Staking, System, vector<StorageNodeCap>, Clock) {
    let mut staking = staking::new_for_testing(10, epoch_ms!(), max_committee_size, ctx);
    let system = system::new_for_testing(10, epoch_ms!(), 10, ctx);
    let mut caps = vector[];
    caps.push_back(register(&mut staking, 0, 1_000));
    caps.push_back(register(&mut staking, 1, 0));
    caps.push_back(register(&mut staking, 2, 0));
    caps.push_back(register(&mut staking, 3, 0));
    (staking, system, caps, clock::create_for_testing(ctx))
}

/// Stakes `stakes()` with nodes 0..3.
public fun stake_all(staking: &mut Staking, caps: &vector<StorageNodeCap>, ctx: &mut TxContext): vector<StakedWal> {
    let amounts = stakes();
    let mut staked = vector[];
    let mut i = 0;
    while (i < 4) {
        staked.push_back(staking.stake_with_pool(coin::mint_for_testing(amounts[i], ctx), caps[i].node_id(), ctx));
        i = i + 1;
    };
    staked
}

/// Runs a whole epoch change: waits half an epoch, ends the voting, waits the other half,
/// starts the next epoch and has every committee node report its shards.
public fun change_epoch(staking: &mut Staking, system: &mut System, caps: &mut vector<StorageNodeCap>, clock: &mut Clock) {
    clock.increment_for_testing(epoch_ms!() / 2);
    staking.voting_end(clock);
    clock.increment_for_testing(epoch_ms!() / 2);
    staking.initiate_epoch_change(system, clock);
    let epoch = staking.epoch();
    let mut i = 0;
    while (i < caps.length()) {
        if (staking.inner().committee().contains(&caps[i].node_id())) {
            staking.epoch_sync_done(&mut caps[i], epoch, clock);
        };
        i = i + 1;
    };
}
