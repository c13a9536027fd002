//! `floe_seal::time_lock`: the key id is the BCS of a u64 unlock time (ms); anyone gets the key
//! once the clock has reached it.

use super::{abort_in, clock_ms, returns};
use crate::native::{CallError, MoveCallContext, Value};

/// `EInvalidId`: the key id is not exactly a BCS u64.
pub(crate) const E_INVALID_ID: u64 = 0;
/// `ENoAccess`: the unlock time has not come.
pub(crate) const E_NO_ACCESS: u64 = 1;

pub(super) const FUNCTIONS: &[&str] = &["unlock_time_ms", "id_for", "check_policy", "seal_approve"];

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

pub(super) fn call(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    match call.function() {
        "unlock_time_ms" => returns(&unlock_time_ms(&call.pure::<Vec<u8>>(args, 0)?)?),
        "id_for" => returns(&bcs::to_bytes(&call.pure::<u64>(args, 0)?).expect("u64 serializes")),
        "check_policy" => returns(&check_policy(call, args)?),
        "seal_approve" => {
            if !check_policy(call, args)? {
                return Err(abort_in("time_lock", "seal_approve", E_NO_ACCESS));
            }
            Ok(vec![])
        }
        other => unreachable!("time_lock::{other} is not admitted"),
    }
}
