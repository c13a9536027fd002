//! floe's Move packages (`move/wal`, `move/floe`) implemented natively: the same objects (BCS
//! as in Move, through `floe_chain::floe`'s mirrors), the same events and the same abort codes as
//! the Move source, which `move/README.md` describes as a contract.
//!
//! One file per Move module (or a close group of them); [`FloePackage`] routes each call to the
//! module that defines it.

mod apportionment;
mod blob;
mod certificate;
mod init;
mod staked_wal;
mod staking;
mod storage_resource;
mod system;
mod wal;

use sui_sdk_types::Identifier;

use crate::native::{CallError, MoveCallContext, NativePackage, Value};

pub use wal::WalPackage;

/// An abort located in `module::function` of the called package, as Sui reports a Move abort
/// (the module that raised it, not necessarily the one called).
pub(crate) fn abort_in(module: &'static str, function: &'static str, code: u64) -> CallError {
    CallError::Abort {
        module: Identifier::from_static(module),
        function: Identifier::from_static(function),
        code,
        package: None,
    }
}

/// The `floe` package (`move/floe`), natively.
#[derive(Debug, Default, Clone, Copy)]
pub struct FloePackage;

impl NativePackage for FloePackage {
    fn has_function(&self, module: &str, function: &str) -> bool {
        match module {
            "init" => init::has_function(function),
            "system" => system::has_function(function),
            "storage_resource" => storage_resource::has_function(function),
            "blob" => blob::has_function(function),
            "staking" => staking::has_function(function),
            "staked_wal" => staked_wal::has_function(function),
            _ => false,
        }
    }

    fn call(&self, call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
        match call.module() {
            "init" => init::call(call, args),
            "system" => system::call(call, args),
            "storage_resource" => storage_resource::call(call, args),
            "blob" => blob::call(call, args),
            "staking" => staking::call(call, args),
            "staked_wal" => staked_wal::call(call, args),
            other => unreachable!("has_function admitted no functions of module {other}"),
        }
    }
}
