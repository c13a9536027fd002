/// Allowlist: a shared list of addresses that may decrypt data whose key id starts with the
/// list's object id. An `AllowlistCap` administers it; Walrus-style blob ids can be linked to it.
module floe_seal::allowlist;

use floe_seal::identity;
use std::string::String;
use sui::dynamic_field;

/// The package version this code serves (the `version` field must match).
const VERSION: u64 = 1;
/// Marker value of a linked blob id.
const BLOB_LINK: u8 = 1;

/// The capability is for another allowlist.
const EInvalidCap: u64 = 0;
/// The sender is not on the list, or the key id is not under this list.
const ENoAccess: u64 = 1;
/// The address is already on the list.
const EDuplicate: u64 = 2;
/// The address is not on the list.
const ENotInList: u64 = 3;
/// The allowlist object is of another package version.
const EWrongVersion: u64 = 4;

/// A shared allowlist.
public struct Allowlist has key {
    id: UID,
    version: u64,
    name: String,
    list: vector<address>,
}

/// Administers one allowlist.
public struct AllowlistCap has key, store {
    id: UID,
    allowlist_id: ID,
}

/// Creates and shares an allowlist; returns its capability.
public fun create_allowlist(name: String, ctx: &mut TxContext): AllowlistCap {
    let allowlist = Allowlist { id: object::new(ctx), version: VERSION, name, list: vector[] };
    let cap = AllowlistCap { id: object::new(ctx), allowlist_id: object::id(&allowlist) };
    transfer::share_object(allowlist);
    cap
}

/// Adds `account` to the list.
public fun add(allowlist: &mut Allowlist, cap: &AllowlistCap, account: address) {
    allowlist.check_admin(cap);
    assert!(!allowlist.list.contains(&account), EDuplicate);
    allowlist.list.push_back(account);
}

/// Removes `account` from the list (keys it already fetched stay valid).
public fun remove(allowlist: &mut Allowlist, cap: &AllowlistCap, account: address) {
    allowlist.check_admin(cap);
    let (found, index) = allowlist.list.index_of(&account);
    assert!(found, ENotInList);
    allowlist.list.remove(index);
}

/// Links a blob id (its text form) to the allowlist, so readers can find the encrypted blobs.
public fun publish(allowlist: &mut Allowlist, cap: &AllowlistCap, blob_id: String) {
    allowlist.check_admin(cap);
    dynamic_field::add(&mut allowlist.id, blob_id, BLOB_LINK);
}

/// Whether `blob_id` is linked to the allowlist.
public fun has_blob(allowlist: &Allowlist, blob_id: String): bool {
    dynamic_field::exists_(&allowlist.id, blob_id)
}

/// Whether `caller` may decrypt `id` under this allowlist.
public fun check_policy(id: &vector<u8>, allowlist: &Allowlist, caller: address): bool {
    assert!(allowlist.version == VERSION, EWrongVersion);
    identity::has_prefix(id, &object::id(allowlist).to_bytes()) && allowlist.list.contains(&caller)
}

/// Approves the key for `id` when it is under this allowlist and the sender is listed.
entry fun seal_approve(id: vector<u8>, allowlist: &Allowlist, ctx: &TxContext) {
    assert!(check_policy(&id, allowlist, ctx.sender()), ENoAccess);
}

fun check_admin(allowlist: &Allowlist, cap: &AllowlistCap) {
    assert!(allowlist.version == VERSION, EWrongVersion);
    assert!(cap.allowlist_id == object::id(allowlist), EInvalidCap);
}

/// The list's name.
public fun name(allowlist: &Allowlist): &String { &allowlist.name }

/// The listed addresses.
public fun list(allowlist: &Allowlist): &vector<address> { &allowlist.list }

/// The allowlist a capability administers.
public fun allowlist_id(cap: &AllowlistCap): ID { cap.allowlist_id }

#[test_only]
/// Calls the entry function from tests.
public fun seal_approve_for_testing(id: vector<u8>, allowlist: &Allowlist, ctx: &TxContext) {
    seal_approve(id, allowlist, ctx)
}

#[test_only]
/// Sets the version, to test the version check.
public fun set_version_for_testing(allowlist: &mut Allowlist, version: u64) {
    allowlist.version = version
}
