//! `floe_seal::time_lock`: the key id is the BCS of a u64 unlock time (ms); anyone gets the key
//! once the clock has reached it.

use floe_chain::floe::aborts::abort_code;

use super::{abort_in, clock_ms, returns};
use crate::native::{CallError, ModuleFunctions, MoveCallContext, Value};

pub(crate) const E_INVALID_ID: u64 = abort_code("time_lock", "EInvalidId");
pub(crate) const E_NO_ACCESS: u64 = abort_code("time_lock", "ENoAccess");

/// `unlock_time_ms`: the unlock time in `id`; aborts there unless `id` is exactly 8 bytes.
fn unlock_time_ms(id: &[u8]) -> Result<u64, CallError> {
    let bytes: [u8; 8] = id.try_into().map_err(|_| abort_in("time_lock", "unlock_time_ms", E_INVALID_ID))?;
    Ok(u64::from_le_bytes(bytes))
}

fn check_policy(call: &MoveCallContext<'_>, args: &[Value]) -> Result<bool, CallError> {
    let id: Vec<u8> = call.pure(args, 0)?;
    let now = clock_ms(call, args, 1)?;
    Ok(now >= unlock_time_ms(&id)?)
}

pub(super) const FUNCTIONS: ModuleFunctions = &[
    ("unlock_time_ms", |call, args| returns(&unlock_time_ms(&call.pure::<Vec<u8>>(args, 0)?)?)),
    ("id_for", |call, args| returns(&bcs::to_bytes(&call.pure::<u64>(args, 0)?).expect("u64 serializes"))),
    ("check_policy", |call, args| returns(&check_policy(call, args)?)),
    ("seal_approve", |call, args| {
        if !check_policy(call, args)? {
            return Err(abort_in("time_lock", "seal_approve", E_NO_ACCESS));
        }
        Ok(vec![])
    }),
];
