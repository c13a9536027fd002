/// Publishing and initialization: the publisher receives an `InitCap` and spends it once to
/// create the shared `System` and `Staking` objects with the network's parameters.
module floe::init;

use floe::staking;
use floe::system;

/// Largest allowed `max_epochs_ahead`.
const MAX_MAX_EPOCHS_AHEAD: u32 = 1000;

/// A parameter is zero or out of range.
const EInvalidParameter: u64 = 0;

/// The smallest shard count the encoding supports (`f = (n - 1) / 3` must be at least 1).
const MIN_N_SHARDS: u16 = 4;

/// The right to initialize floe, once.
public struct InitCap has key, store {
    id: UID,
}

/// Emitted when floe is initialized: the ids of the shared objects.
public struct Initialized has copy, drop {
    system_id: ID,
    staking_id: ID,
}

fun init(ctx: &mut TxContext) {
    transfer::public_transfer(InitCap { id: object::new(ctx) }, ctx.sender());
}

/// Creates and shares `System` and `Staking` for `n_shards` shards, epochs of
/// `epoch_duration_ms`, storage sold up to `max_epochs_ahead` epochs ahead and committees of at
/// most `max_committee_size` nodes. Consumes the `InitCap`.
public fun initialize(
    cap: InitCap,
    n_shards: u16,
    epoch_duration_ms: u64,
    max_epochs_ahead: u32,
    max_committee_size: u16,
    ctx: &mut TxContext,
) {
    // Fewer than 4 shards tolerate no faulty shard, and the RS2 code has no redundancy.
    assert!(n_shards >= MIN_N_SHARDS && epoch_duration_ms > 0 && max_committee_size > 0, EInvalidParameter);
    assert!(max_epochs_ahead > 0 && max_epochs_ahead <= MAX_MAX_EPOCHS_AHEAD, EInvalidParameter);
    let InitCap { id } = cap;
    id.delete();
    let system_id = system::create_and_share(n_shards, epoch_duration_ms, max_epochs_ahead, ctx);
    let staking_id = staking::create_and_share(n_shards, epoch_duration_ms, max_committee_size, ctx);
    sui::event::emit(Initialized { system_id, staking_id });
}

#[test_only]
/// Runs the module initializer in a test.
public fun init_for_testing(ctx: &mut TxContext) {
    init(ctx)
}
