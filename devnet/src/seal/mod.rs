//! The Seal access-policy package (`move/seal`, `floe_seal`) implemented natively: the same
//! objects (BCS through `floe_chain::floe::seal`'s mirrors), the same abort codes (module and
//! code) as the Move source, which `move/README.md` describes as a contract.
//!
//! The `seal_approve*` functions are `entry` functions: a PTB (or a `SimulateTransaction`, which
//! is how a key server asks) calls them, and they abort to deny and return nothing to approve.
//! One file per Move module; [`SealPackage`] routes each call to the module that defines it.

mod allowlist;
mod key_server;
mod owner_policy;
mod subscription;
mod time_lock;

use serde::Serialize;
use sui_sdk_types::{Address, Identifier, StructTag, TypeTag};

use crate::framework::{ClockValue, clock_type};
pub(crate) use crate::native::abort_in;
use crate::native::{CallError, FunctionTable, MoveCallContext, NativePackage, Value};

/// The `floe_seal` package (`move/seal`), natively. Register it at the deployment's seal package
/// id (the devnet uses [`crate::SEAL_PACKAGE`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct SealPackage;

impl SealPackage {
    /// The package's natively implemented modules, each defined in its file (`identity`'s one
    /// function here).
    pub(crate) const FUNCTIONS: FunctionTable = FunctionTable(&[
        ("owner_policy", owner_policy::FUNCTIONS),
        ("allowlist", allowlist::FUNCTIONS),
        ("subscription", subscription::FUNCTIONS),
        ("time_lock", time_lock::FUNCTIONS),
        ("key_server", key_server::FUNCTIONS),
        (
            "identity",
            &[("has_prefix", |call, args| {
                let id: Vec<u8> = call.pure(args, 0)?;
                let prefix: Vec<u8> = call.pure(args, 1)?;
                returns(&has_prefix(&id, &prefix))
            })],
        ),
    ]);
}

impl NativePackage for SealPackage {
    fn compiled(&self) -> Option<&'static floe_chain::floe::packages::CompiledPackage> {
        Some(&floe_chain::floe::packages::SEAL)
    }

    fn has_function(&self, module: &str, function: &str) -> bool {
        Self::FUNCTIONS.get(module, function).is_some()
    }

    fn call(&self, call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
        Self::FUNCTIONS.call(call, args)
    }
}

/// `identity::has_prefix`: whether the key id starts with `prefix` (an object id or address).
pub(crate) fn has_prefix(id: &[u8], prefix: &[u8]) -> bool {
    id.starts_with(prefix)
}

/// The struct tag `<seal package>::module::name<type_args>`.
pub(crate) fn seal_type(
    call: &MoveCallContext<'_>,
    module: &'static str,
    name: &'static str,
    type_args: Vec<TypeTag>,
) -> StructTag {
    StructTag::new(call.package(), Identifier::from_static(module), Identifier::from_static(name), type_args)
}

/// `0x1::string::String`, the key type of an allowlist's published blob ids.
pub(crate) fn string_type() -> TypeTag {
    TypeTag::Struct(Box::new(StructTag::new(
        Address::from_static("0x1"),
        Identifier::from_static("string"),
        Identifier::from_static("String"),
        vec![],
    )))
}

/// The single type argument `T` of a generic call such as `subscribe<T>`.
pub(crate) fn single_type_arg(call: &MoveCallContext<'_>) -> Result<TypeTag, CallError> {
    match call.type_args() {
        [t] => Ok(t.clone()),
        other => Err(CallError::Argument {
            index: 0,
            reason: format!("{}::{} takes one type argument, got {}", call.module(), call.function(), other.len()),
        }),
    }
}

/// The time of the `&Clock` at argument `index`.
pub(crate) fn clock_ms(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<u64, CallError> {
    call.expect_type(args, index, &clock_type())?;
    Ok(call.read::<ClockValue>(args, index)?.timestamp_ms)
}

/// A function's result as a pure value.
pub(crate) fn returns<T: Serialize>(value: &T) -> Result<Vec<Value>, CallError> {
    Ok(vec![Value::pure(value)])
}
