/// `KeyServer`: a key server's public registration, in Seal's versioned layout so that Seal's
/// own SDK reads it. The object holds only its id and the range of layout versions it carries
/// (`first_version..=last_version`); the details live in a dynamic field named by the version
/// (`u64`). floe writes version 2, `KeyServerV2 { name, key_type, pk, server_type }`, whose
/// `server_type` is `Independent { url }` (Seal's variant 0; floe offers no committee servers).
/// The object is owned by the operator; owning it is the right to change the URL.
module floe_seal::key_server;

use std::string::String;
use sui::dynamic_field as df;

/// Key type 0: Boneh-Franklin IBE over BLS12-381, master public key in G2.
const KEY_TYPE_BONEH_FRANKLIN_BLS12381: u8 = 0;
/// Length of a compressed G2 point.
const G2_LENGTH: u64 = 96;
/// The layout version this package writes (Seal's `KeyServerV2`).
const VERSION_V2: u64 = 2;

/// The key type is not supported.
const EInvalidKeyType: u64 = 0;
/// The public key is not a 96-byte G2 point.
const EInvalidPublicKey: u64 = 1;

/// A registered key server: its details are the dynamic field `VERSION_V2`.
public struct KeyServer has key, store {
    id: UID,
    first_version: u64,
    last_version: u64,
}

/// How the server is reached: one independent server at a URL.
public enum ServerType has copy, drop, store {
    Independent { url: String },
}

/// Version 2 of a key server's details.
public struct KeyServerV2 has copy, drop, store {
    name: String,
    key_type: u8,
    pk: vector<u8>,
    server_type: ServerType,
}

/// Registers an independent key server; returns its object.
public fun register(name: String, url: String, key_type: u8, public_key: vector<u8>, ctx: &mut TxContext): KeyServer {
    assert!(key_type == KEY_TYPE_BONEH_FRANKLIN_BLS12381, EInvalidKeyType);
    assert!(public_key.length() == G2_LENGTH, EInvalidPublicKey);
    // Aborts unless the bytes are a valid G2 point.
    sui::bls12381::g2_from_bytes(&public_key);
    let mut server = KeyServer { id: object::new(ctx), first_version: VERSION_V2, last_version: VERSION_V2 };
    let details = KeyServerV2 { name, key_type, pk: public_key, server_type: ServerType::Independent { url } };
    df::add(&mut server.id, VERSION_V2, details);
    server
}

/// Registers a key server and sends the object to the sender.
entry fun register_and_transfer(name: String, url: String, key_type: u8, public_key: vector<u8>, ctx: &mut TxContext) {
    let server = register(name, url, key_type, public_key, ctx);
    transfer::public_transfer(server, ctx.sender());
}

/// Changes the URL.
public fun update_url(server: &mut KeyServer, url: String) {
    let details: &mut KeyServerV2 = df::borrow_mut(&mut server.id, VERSION_V2);
    details.server_type = ServerType::Independent { url };
}

fun details(server: &KeyServer): &KeyServerV2 {
    df::borrow(&server.id, VERSION_V2)
}

/// The oldest layout version the object carries.
public fun first_version(server: &KeyServer): u64 { server.first_version }

/// The newest layout version the object carries.
public fun last_version(server: &KeyServer): u64 { server.last_version }

/// The name.
public fun name(server: &KeyServer): &String { &details(server).name }

/// The URL.
public fun url(server: &KeyServer): &String {
    match (&details(server).server_type) {
        ServerType::Independent { url } => url,
    }
}

/// The key type (0).
public fun key_type(server: &KeyServer): u8 { details(server).key_type }

/// The IBE master public key (G2, 96 bytes).
public fun public_key(server: &KeyServer): &vector<u8> { &details(server).pk }

#[test_only]
/// Calls the entry function from tests.
public fun register_and_transfer_for_testing(name: String, url: String, key_type: u8, public_key: vector<u8>, ctx: &mut TxContext) {
    register_and_transfer(name, url, key_type, public_key, ctx)
}
