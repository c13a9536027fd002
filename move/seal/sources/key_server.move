/// `KeyServer`: a key server's public registration (name, URL, IBE public key). The object is
/// owned by the operator; owning it is the right to change the URL.
module floe_seal::key_server;

use std::string::String;

/// Key type 0: Boneh-Franklin IBE over BLS12-381, master public key in G2.
const KEY_TYPE_BONEH_FRANKLIN_BLS12381: u8 = 0;
/// Length of a compressed G2 point.
const G2_LENGTH: u64 = 96;

/// The key type is not supported.
const EInvalidKeyType: u64 = 0;
/// The public key is not a 96-byte G2 point.
const EInvalidPublicKey: u64 = 1;

/// A registered key server.
public struct KeyServer has key, store {
    id: UID,
    name: String,
    url: String,
    key_type: u8,
    public_key: vector<u8>,
}

/// Registers a key server; returns its object.
public fun register(name: String, url: String, key_type: u8, public_key: vector<u8>, ctx: &mut TxContext): KeyServer {
    assert!(key_type == KEY_TYPE_BONEH_FRANKLIN_BLS12381, EInvalidKeyType);
    assert!(public_key.length() == G2_LENGTH, EInvalidPublicKey);
    // Aborts unless the bytes are a valid G2 point.
    sui::bls12381::g2_from_bytes(&public_key);
    KeyServer { id: object::new(ctx), name, url, key_type, public_key }
}

/// Registers a key server and sends the object to the sender.
entry fun register_and_transfer(name: String, url: String, key_type: u8, public_key: vector<u8>, ctx: &mut TxContext) {
    let server = register(name, url, key_type, public_key, ctx);
    transfer::public_transfer(server, ctx.sender());
}

/// Changes the URL.
public fun update_url(server: &mut KeyServer, url: String) {
    server.url = url;
}

/// The name.
public fun name(server: &KeyServer): &String { &server.name }

/// The URL.
public fun url(server: &KeyServer): &String { &server.url }

/// The key type (0).
public fun key_type(server: &KeyServer): u8 { server.key_type }

/// The IBE master public key (G2, 96 bytes).
public fun public_key(server: &KeyServer): &vector<u8> { &server.public_key }

#[test_only]
/// Calls the entry function from tests.
public fun register_and_transfer_for_testing(name: String, url: String, key_type: u8, public_key: vector<u8>, ctx: &mut TxContext) {
    register_and_transfer(name, url, key_type, public_key, ctx)
}
