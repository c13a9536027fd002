/// The WAL coin: the token floe's storage is paid and staked in.
///
/// The whole supply, 5,000,000,000 WAL with 9 decimals (1 WAL = 10^9 FROST), is minted once at
/// publish and sent to the publisher for distribution. The `TreasuryCap` is then locked inside a
/// shared `ProtectedTreasury` that exposes burning only, so no further WAL can ever be minted.
module wal::wal;

use sui::coin::{Self, Coin, TreasuryCap};
use sui::url;

/// Number of decimals: 1 WAL = 10^9 FROST.
const DECIMALS: u8 = 9;
/// FROST per WAL.
const FROST_PER_WAL: u64 = 1_000_000_000;
/// Total supply in WAL, minted at publish.
const TOTAL_SUPPLY_WAL: u64 = 5_000_000_000;

/// The one-time witness and the coin type.
public struct WAL has drop {}

/// Shared wrapper around the `TreasuryCap<WAL>`: it can burn WAL but never mint.
public struct ProtectedTreasury has key {
    id: UID,
    cap: TreasuryCap<WAL>,
}

fun init(otw: WAL, ctx: &mut TxContext) {
    let (mut cap, metadata) = coin::create_currency(
        otw,
        DECIMALS,
        b"WAL",
        b"WAL Token",
        b"The native token of floe, a decentralized blob store on Sui.",
        option::some(url::new_unsafe_from_bytes(b"https://floe.invalid/wal.svg")),
        ctx,
    );
    let supply = cap.mint(TOTAL_SUPPLY_WAL * FROST_PER_WAL, ctx);
    transfer::public_transfer(supply, ctx.sender());
    transfer::public_freeze_object(metadata);
    transfer::share_object(ProtectedTreasury { id: object::new(ctx), cap });
}

/// Burns `coin`, reducing the total supply by its value.
public fun burn(treasury: &mut ProtectedTreasury, coin: Coin<WAL>) {
    treasury.cap.burn(coin);
}

/// The current total supply in FROST (the initial supply minus everything burned).
public fun total_supply(treasury: &ProtectedTreasury): u64 {
    treasury.cap.total_supply()
}

/// The number of decimals of WAL (9).
public fun decimals(): u8 { DECIMALS }

/// FROST per WAL (10^9).
public fun frost_per_wal(): u64 { FROST_PER_WAL }

/// The supply minted at publish, in FROST (5 * 10^18).
public fun initial_supply_frost(): u64 { TOTAL_SUPPLY_WAL * FROST_PER_WAL }

#[test_only]
/// Runs the module initializer in a test.
public fun init_for_testing(ctx: &mut TxContext) {
    init(WAL {}, ctx)
}
