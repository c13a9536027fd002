//! `floe::storage_resource` natively: `Storage` reservations, split by epoch or size, fused by
//! period or amount, destroyed, read. The fusing rules are also what blob extensions use.

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::storage::Storage;

use super::{abort_in, require_mutable, tag};
use crate::native::{CallError, ModuleFunctions, MoveCallContext, Value};

const MODULE: &str = "storage_resource";
const E_SPLIT_EPOCH_OUT_OF_RANGE: u64 = abort_code(MODULE, "ESplitEpochOutOfRange");
const E_SPLIT_SIZE_OUT_OF_RANGE: u64 = abort_code(MODULE, "ESplitSizeOutOfRange");
const E_INCOMPATIBLE_EPOCHS: u64 = abort_code(MODULE, "EIncompatibleEpochs");
const E_INCOMPATIBLE_AMOUNT: u64 = abort_code(MODULE, "EIncompatibleAmount");

/// Reads a `Storage` argument, checking its type.
pub(crate) fn read_storage(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<Storage, CallError> {
    call.expect_type(args, index, &tag::<Storage>())?;
    call.read(args, index)
}

/// Creates a new `Storage` object (`create_storage`, `object::new`); the caller places it.
pub(crate) fn create(
    call: &mut MoveCallContext<'_>,
    start_epoch: u32,
    end_epoch: u32,
    storage_size: u64,
) -> Result<Value, CallError> {
    let id = call.new_id();
    call.create(id, tag::<Storage>(), true, &Storage { id, start_epoch, end_epoch, storage_size })
}

/// Joins `other`'s epochs to `storage`'s: same size, adjacent either way (`fuse_periods`).
pub(crate) fn fuse_periods(storage: &mut Storage, other: &Storage) -> Result<(), CallError> {
    if storage.storage_size != other.storage_size {
        return Err(abort_in(MODULE, "fuse_periods", E_INCOMPATIBLE_AMOUNT));
    }
    if storage.end_epoch == other.start_epoch {
        storage.end_epoch = other.end_epoch;
    } else if other.end_epoch == storage.start_epoch {
        storage.start_epoch = other.start_epoch;
    } else {
        return Err(abort_in(MODULE, "fuse_periods", E_INCOMPATIBLE_EPOCHS));
    }
    Ok(())
}

fn fuse_amount(storage: &mut Storage, other: &Storage) -> Result<(), CallError> {
    if storage.start_epoch != other.start_epoch || storage.end_epoch != other.end_epoch {
        return Err(abort_in(MODULE, "fuse_amount", E_INCOMPATIBLE_EPOCHS));
    }
    // Sizes of two reservations of one network cannot overflow; Move would abort if they did.
    storage.storage_size =
        storage.storage_size.checked_add(other.storage_size).ok_or_else(|| super::overflow("fuse_amount"))?;
    Ok(())
}

/// Fuses the by-value `Storage` at `other_index` into the `&mut Storage` at 0 with `fuse`, and
/// deletes it.
fn fuse_into(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
    fuse: fn(&mut Storage, &Storage) -> Result<(), CallError>,
) -> Result<Vec<Value>, CallError> {
    let mut storage = read_storage(call, args, 0)?;
    let other = read_storage(call, args, 1)?;
    require_mutable(call, args, 1)?;
    fuse(&mut storage, &other)?;
    call.write(args, 0, &storage)?;
    call.delete(args, 1)?;
    Ok(vec![])
}

pub(super) const FUNCTIONS: ModuleFunctions = &[
    ("split_by_epoch", |call, args| {
        let mut storage = read_storage(call, args, 0)?;
        let split_epoch: u32 = call.pure(args, 1)?;
        if split_epoch <= storage.start_epoch || split_epoch >= storage.end_epoch {
            return Err(abort_in(MODULE, "split_by_epoch", E_SPLIT_EPOCH_OUT_OF_RANGE));
        }
        let end_epoch = storage.end_epoch;
        storage.end_epoch = split_epoch;
        call.write(args, 0, &storage)?;
        Ok(vec![create(call, split_epoch, end_epoch, storage.storage_size)?])
    }),
    ("split_by_size", |call, args| {
        let mut storage = read_storage(call, args, 0)?;
        let split_size: u64 = call.pure(args, 1)?;
        if split_size == 0 || split_size >= storage.storage_size {
            return Err(abort_in(MODULE, "split_by_size", E_SPLIT_SIZE_OUT_OF_RANGE));
        }
        storage.storage_size -= split_size;
        call.write(args, 0, &storage)?;
        Ok(vec![create(call, storage.start_epoch, storage.end_epoch, split_size)?])
    }),
    ("fuse_periods", |call, args| fuse_into(call, args, fuse_periods)),
    ("fuse_amount", |call, args| fuse_into(call, args, fuse_amount)),
    ("fuse", |call, args| {
        fuse_into(call, args, |storage, other| {
            if storage.start_epoch == other.start_epoch && storage.end_epoch == other.end_epoch {
                fuse_amount(storage, other)
            } else {
                fuse_periods(storage, other)
            }
        })
    }),
    ("destroy", |call, args| {
        read_storage(call, args, 0)?;
        require_mutable(call, args, 0)?;
        call.delete(args, 0)?;
        Ok(vec![])
    }),
    ("start_epoch", |call, args| Ok(vec![Value::pure(&read_storage(call, args, 0)?.start_epoch)])),
    ("end_epoch", |call, args| Ok(vec![Value::pure(&read_storage(call, args, 0)?.end_epoch)])),
    ("size", |call, args| Ok(vec![Value::pure(&read_storage(call, args, 0)?.storage_size)])),
];

#[cfg(test)]
mod tests {
    use sui_sdk_types::Address;

    use super::*;

    fn storage(start_epoch: u32, end_epoch: u32, storage_size: u64) -> Storage {
        Storage { id: Address::ZERO, start_epoch, end_epoch, storage_size }
    }

    #[test]
    fn adjacent_periods_fuse_in_either_order() {
        let mut front = storage(1, 3, 10);
        fuse_periods(&mut front, &storage(3, 5, 10)).unwrap();
        assert_eq!((front.start_epoch, front.end_epoch), (1, 5));
        let mut back = storage(3, 5, 10);
        fuse_periods(&mut back, &storage(1, 3, 10)).unwrap();
        assert_eq!((back.start_epoch, back.end_epoch), (1, 5));
    }

    #[test]
    fn periods_fuse_only_with_equal_sizes_and_no_gap() {
        let mut s = storage(1, 3, 10);
        // The size is checked before the epochs.
        assert_eq!(fuse_periods(&mut s, &storage(7, 9, 11)).unwrap_err(), abort_in(MODULE, "fuse_periods", 3));
        assert_eq!(fuse_periods(&mut s, &storage(4, 6, 10)).unwrap_err(), abort_in(MODULE, "fuse_periods", 2));
        assert_eq!(fuse_amount(&mut s, &storage(1, 4, 10)).unwrap_err(), abort_in(MODULE, "fuse_amount", 2));
        fuse_amount(&mut s, &storage(1, 3, 5)).unwrap();
        assert_eq!(s.storage_size, 15);
    }
}
