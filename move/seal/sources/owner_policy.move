/// Owner-only data: the key id starts with the owner's address (32 bytes), then any nonce. Only
/// that address may obtain the key.
module floe_seal::owner_policy;

use floe_seal::identity;

/// The sender is not the owner named in the key id.
const ENoAccess: u64 = 0;

/// Whether `caller` may decrypt `id`.
public fun check_policy(id: &vector<u8>, caller: address): bool {
    identity::has_prefix(id, &caller.to_bytes())
}

/// Approves the key for `id` when the sender is its owner; aborts otherwise.
entry fun seal_approve(id: vector<u8>, ctx: &TxContext) {
    assert!(check_policy(&id, ctx.sender()), ENoAccess);
}

#[test_only]
/// Calls the entry function from tests.
public fun seal_approve_for_testing(id: vector<u8>, ctx: &TxContext) {
    seal_approve(id, ctx)
}
