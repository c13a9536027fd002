//! `floe_seal::key_server`: a key server's registration as an owned `KeyServer` object in Seal's
//! versioned layout (the object names versions 2..=2; the name, key type, public key and URL are
//! its dynamic field `2u64 -> KeyServerV2`); owning it is the right to change the URL.

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::seal::{
    G2_LENGTH, KEY_SERVER_VERSION, KEY_TYPE_BONEH_FRANKLIN_BLS12381, KeyServer, KeyServerV2, ServerType,
};
use floe_encoder::bls::BlsSignature;
use sui_sdk_types::TypeTag;

use super::{abort_in, returns, seal_type};
use crate::framework::{E_GROUP_OPS_INVALID_INPUT, framework_abort};
use crate::native::{CallError, ModuleFunctions, MoveCallContext, Value};

pub(crate) const E_INVALID_KEY_TYPE: u64 = abort_code("key_server", "EInvalidKeyType");
pub(crate) const E_INVALID_PUBLIC_KEY: u64 = abort_code("key_server", "EInvalidPublicKey");

fn details_type(call: &MoveCallContext<'_>) -> TypeTag {
    TypeTag::Struct(Box::new(seal_type(call, "key_server", "KeyServerV2", vec![])))
}

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
        return Err(framework_abort("group_ops", "from_bytes", E_GROUP_OPS_INVALID_INPUT));
    }
    let id = call.new_id();
    let server = KeyServer { id, first_version: KEY_SERVER_VERSION, last_version: KEY_SERVER_VERSION };
    let created = call.create(id, seal_type(call, "key_server", "KeyServer", vec![]), true, &server)?;
    let details = KeyServerV2 { name, key_type, pk: public_key, server_type: ServerType::Independent { url } };
    let details_type = details_type(call);
    call.add_field(id, TypeTag::U64, &KEY_SERVER_VERSION, details_type, &details)?;
    Ok(created)
}

fn read_server(call: &MoveCallContext<'_>, args: &[Value]) -> Result<KeyServer, CallError> {
    call.expect_type(args, 0, &seal_type(call, "key_server", "KeyServer", vec![]))?;
    call.read(args, 0)
}

/// The server's version-2 details (`df::borrow(&server.id, 2)`).
fn read_details(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<KeyServerV2, CallError> {
    let server = read_server(call, args)?;
    let details_type = details_type(call);
    call.field(server.id, TypeTag::U64, &KEY_SERVER_VERSION, details_type)
}

pub(super) const FUNCTIONS: ModuleFunctions = &[
    ("register", |call, args| Ok(vec![register(call, args)?])),
    ("register_and_transfer", |call, args| {
        let server = register(call, args)?;
        let sender = call.sender();
        call.transfer(&[server], 0, sender).map(|()| vec![])
    }),
    ("update_url", |call, args| {
        let server = read_server(call, args)?;
        let mut details = read_details(call, args)?;
        details.server_type = ServerType::Independent { url: call.pure(args, 1)? };
        let details_type = details_type(call);
        call.set_field(server.id, TypeTag::U64, &KEY_SERVER_VERSION, details_type, &details).map(|()| vec![])
    }),
    ("first_version", |call, args| returns(&read_server(call, args)?.first_version)),
    ("last_version", |call, args| returns(&read_server(call, args)?.last_version)),
    ("name", |call, args| returns(&read_details(call, args)?.name)),
    ("url", |call, args| returns(&read_details(call, args)?.url().to_owned())),
    ("key_type", |call, args| returns(&read_details(call, args)?.key_type)),
    ("public_key", |call, args| returns(&read_details(call, args)?.pk)),
];
