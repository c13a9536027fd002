//! `floe_seal::key_server`: a key server's registration (name, URL, IBE public key) as an owned
//! `KeyServer` object; owning it is the right to change the URL.

use floe_chain::floe::seal::KeyServer;
use floe_encoder::bls::BlsSignature;
use sui_sdk_types::{Address, Identifier};

use super::{abort_in, returns, seal_type};
use crate::native::{CallError, MoveCallContext, Value};

/// Key type 0: Boneh-Franklin IBE over BLS12-381 (public key in G2).
const KEY_TYPE_BONEH_FRANKLIN_BLS12381: u8 = 0;
/// Length of a compressed G2 point.
const G2_LENGTH: usize = 96;
/// `0x2::group_ops::EInvalidInput`, raised by `bls12381::g2_from_bytes` on bytes that are not a
/// G2 point.
const E_GROUP_OPS_INVALID_INPUT: u64 = 1;

/// `EInvalidKeyType`: the key type is not supported.
pub(crate) const E_INVALID_KEY_TYPE: u64 = 0;
/// `EInvalidPublicKey`: the public key is not 96 bytes.
pub(crate) const E_INVALID_PUBLIC_KEY: u64 = 1;

pub(super) const FUNCTIONS: &[&str] =
    &["register", "register_and_transfer", "update_url", "name", "url", "key_type", "public_key"];

/// `register`: validates and builds the object (not yet placed).
fn register(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Value, CallError> {
    let name: String = call.pure(args, 0)?;
    let url: String = call.pure(args, 1)?;
    let key_type: u8 = call.pure(args, 2)?;
    let public_key: Vec<u8> = call.pure(args, 3)?;
    if key_type != KEY_TYPE_BONEH_FRANKLIN_BLS12381 {
        return Err(abort_in("key_server", "register", E_INVALID_KEY_TYPE));
    }
    if public_key.len() != G2_LENGTH {
        return Err(abort_in("key_server", "register", E_INVALID_PUBLIC_KEY));
    }
    // A compressed G2 point in the prime-order subgroup, as `g2_from_bytes` requires (a
    // min-pk BLS signature has exactly that encoding).
    if BlsSignature::from_bytes(&public_key).is_err() {
        return Err(CallError::Abort {
            module: Identifier::from_static("group_ops"),
            function: Identifier::from_static("from_bytes"),
            code: E_GROUP_OPS_INVALID_INPUT,
            package: Some(Address::TWO),
        });
    }
    let id = call.new_id();
    let server = KeyServer { id, name, url, key_type, public_key };
    call.create(id, seal_type(call, "key_server", "KeyServer", vec![]), true, &server)
}

fn read_server(call: &MoveCallContext<'_>, args: &[Value]) -> Result<KeyServer, CallError> {
    call.expect_type(args, 0, &seal_type(call, "key_server", "KeyServer", vec![]))?;
    call.read(args, 0)
}

pub(super) fn call(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    match call.function() {
        "register" => Ok(vec![register(call, args)?]),
        "register_and_transfer" => {
            let server = register(call, args)?;
            let sender = call.sender();
            call.transfer(&[server], 0, sender).map(|()| vec![])
        }
        "update_url" => {
            let mut server = read_server(call, args)?;
            server.url = call.pure(args, 1)?;
            call.write(args, 0, &server).map(|()| vec![])
        }
        "name" => returns(&read_server(call, args)?.name),
        "url" => returns(&read_server(call, args)?.url),
        "key_type" => returns(&read_server(call, args)?.key_type),
        "public_key" => returns(&read_server(call, args)?.public_key),
        other => unreachable!("key_server::{other} is not admitted"),
    }
}
