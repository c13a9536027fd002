//! `floe_seal::owner_policy`: the key id starts with the owner's address; only that address
//! gets the key.

use sui_sdk_types::Address;

use super::{abort_in, has_prefix, returns};
use crate::native::{CallError, MoveCallContext, Value};

/// `ENoAccess`: the sender is not the owner named in the key id.
pub(crate) const E_NO_ACCESS: u64 = 0;

pub(super) const FUNCTIONS: &[&str] = &["check_policy", "seal_approve"];

fn check_policy(id: &[u8], caller: Address) -> bool {
    has_prefix(id, caller.as_bytes())
}

pub(super) fn call(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    let id: Vec<u8> = call.pure(args, 0)?;
    match call.function() {
        "check_policy" => {
            let caller: Address = call.pure(args, 1)?;
            returns(&check_policy(&id, caller))
        }
        "seal_approve" => {
            if !check_policy(&id, call.sender()) {
                return Err(abort_in("owner_policy", "seal_approve", E_NO_ACCESS));
            }
            Ok(vec![])
        }
        other => unreachable!("owner_policy::{other} is not admitted"),
    }
}
