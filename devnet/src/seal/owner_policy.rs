//! `floe_seal::owner_policy`: the key id starts with the owner's address; only that address
//! gets the key.

use floe_chain::floe::aborts::abort_code;
use sui_sdk_types::Address;

use super::{abort_in, has_prefix, returns};
use crate::native::ModuleFunctions;

pub(crate) const E_NO_ACCESS: u64 = abort_code("owner_policy", "ENoAccess");

fn check_policy(id: &[u8], caller: Address) -> bool {
    has_prefix(id, caller.as_bytes())
}

pub(super) const FUNCTIONS: ModuleFunctions = &[
    ("check_policy", |call, args| {
        let id: Vec<u8> = call.pure(args, 0)?;
        let caller: Address = call.pure(args, 1)?;
        returns(&check_policy(&id, caller))
    }),
    ("seal_approve", |call, args| {
        let id: Vec<u8> = call.pure(args, 0)?;
        if !check_policy(&id, call.sender()) {
            return Err(abort_in("owner_policy", "seal_approve", E_NO_ACCESS));
        }
        Ok(vec![])
    }),
];
