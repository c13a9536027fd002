//! `floe::storage_resource` natively. (Being written.)

use crate::native::{CallError, MoveCallContext, Value};

pub(super) fn has_function(_function: &str) -> bool {
    false
}

pub(super) fn call(call: &mut MoveCallContext<'_>, _args: &[Value]) -> Result<Vec<Value>, CallError> {
    unreachable!("{}::{} is not implemented", call.module(), call.function())
}
