//! The `wal` package (`move/wal`) natively. (Being written.)

use crate::native::{CallError, MoveCallContext, NativePackage, Value};

/// The `wal` package, natively.
#[derive(Debug, Default, Clone, Copy)]
pub struct WalPackage;

impl NativePackage for WalPackage {
    fn has_function(&self, _module: &str, _function: &str) -> bool {
        false
    }

    fn call(&self, call: &mut MoveCallContext<'_>, _args: &[Value]) -> Result<Vec<Value>, CallError> {
        unreachable!("{}::{} is not implemented", call.module(), call.function())
    }
}
