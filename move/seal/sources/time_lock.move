/// Time-lock: the key id is the BCS of a u64 unlock time in ms; anyone may decrypt once the
/// clock has reached it.
module floe_seal::time_lock;

use sui::bcs;
use sui::clock::Clock;

/// The key id is not exactly a BCS u64.
const EInvalidId: u64 = 0;
/// The unlock time has not come.
const ENoAccess: u64 = 1;

/// The unlock time encoded in `id`; aborts when `id` is not exactly 8 bytes.
public fun unlock_time_ms(id: vector<u8>): u64 {
    assert!(id.length() == 8, EInvalidId);
    bcs::new(id).peel_u64()
}

/// The key id of data unlocked at `unlock_time_ms`.
public fun id_for(unlock_time_ms: u64): vector<u8> { bcs::to_bytes(&unlock_time_ms) }

/// Whether `id` is unlocked at the clock's time.
public fun check_policy(id: vector<u8>, clock: &Clock): bool {
    clock.timestamp_ms() >= unlock_time_ms(id)
}

/// Approves the key for `id` once its unlock time has come.
entry fun seal_approve(id: vector<u8>, clock: &Clock) {
    assert!(check_policy(id, clock), ENoAccess);
}

#[test_only]
/// Calls the entry function from tests.
public fun seal_approve_for_testing(id: vector<u8>, clock: &Clock) {
    seal_approve(id, clock)
}
