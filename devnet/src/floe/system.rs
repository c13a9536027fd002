//! `floe::system` and `floe::system_state_inner` natively: the shared `System` facade, whose
//! state (`SystemStateInnerV1`) lives in the dynamic field named `1u64`; buying storage into the
//! future accounting, registering, certifying, extending, deleting and burning blobs,
//! invalidating blob ids, the reads, and the System side of an epoch change for `staking`.

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::blob::Blob;
use floe_chain::floe::committee::{BlsCommittee, EpochParams};
use floe_chain::floe::events::InvalidBlobID;
use floe_chain::floe::pricing;
use floe_chain::floe::state::INNER_VERSION;
use floe_chain::floe::storage::Storage;
use floe_chain::floe::system::{System, SystemStateInnerV1};
use sui_sdk_types::{Address, TypeTag};

use super::blob::{self, Registration};
use super::certificate::{self, Threshold};
use super::storage_resource::{self, fuse_periods, read_storage};
use super::{abort_in, accounting, encoding, overflow, read_wal_coin, require_mutable, tag};
use crate::framework::CoinValue;
use crate::native::{CallError, ModuleFunctions, MoveCallContext, Value};

const SYSTEM: &str = "system";
const INNER: &str = "system_state_inner";
const E_WRONG_VERSION: u64 = abort_code(SYSTEM, "EWrongVersion");
const E_INVALID_EPOCHS_AHEAD: u64 = abort_code(INNER, "EInvalidEpochsAhead");
const E_STORAGE_EXCEEDED: u64 = abort_code(INNER, "EStorageExceeded");
const E_INSUFFICIENT_FUNDS: u64 = abort_code(INNER, "EInsufficientFunds");
const E_WRONG_COMMITTEE_EPOCH: u64 = abort_code(INNER, "EWrongCommitteeEpoch");
const E_INVALID_STORAGE_SIZE: u64 = abort_code(INNER, "EInvalidStorageSize");

/// The Move type of the inner state, the value type of the System's dynamic field.
pub(crate) fn inner_type() -> TypeTag {
    TypeTag::Struct(Box::new(tag::<SystemStateInnerV1>()))
}

/// How a function takes the System: `&System` or `&mut System`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Mutate,
}

/// The System at argument `index` and its inner state, after the type, mutability and version
/// checks (`system::inner` / `inner_mut`).
fn load(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
    index: u16,
    access: Access,
) -> Result<(Address, SystemStateInnerV1), CallError> {
    call.expect_type(args, index, &tag::<System>())?;
    if access == Access::Mutate {
        require_mutable(call, args, index)?;
    }
    let system: System = call.read(args, index)?;
    if system.version != INNER_VERSION {
        let function = if access == Access::Mutate { "inner_mut" } else { "inner" };
        return Err(abort_in(SYSTEM, function, E_WRONG_VERSION));
    }
    let inner = call.field(system.id, TypeTag::U64, &INNER_VERSION, inner_type())?;
    Ok((system.id, inner))
}

fn store(call: &mut MoveCallContext<'_>, system: Address, inner: &SystemStateInnerV1) -> Result<(), CallError> {
    call.set_field(system, TypeTag::U64, &INNER_VERSION, inner_type(), inner)
}

/// Takes `amount` from `coin`, aborting `EInsufficientFunds` in `function` if it holds less.
fn charge(coin: &mut CoinValue, amount: u64, function: &'static str) -> Result<(), CallError> {
    coin.value = coin.value.checked_sub(amount).ok_or_else(|| abort_in(INNER, function, E_INSUFFICIENT_FUNDS))?;
    Ok(())
}

/// Books `storage_amount` bytes for `[start_epoch, end_epoch)`, paid from `payment` at the
/// storage price per unit and epoch, each epoch's share into that epoch's rewards
/// (`system_state_inner::reserve_space_for_epochs`, without creating the `Storage`).
fn reserve(
    inner: &mut SystemStateInnerV1,
    storage_amount: u64,
    start_epoch: u32,
    end_epoch: u32,
    payment: &mut CoinValue,
) -> Result<(), CallError> {
    const FUNCTION: &str = "reserve_space_for_epochs";
    let current = inner.epoch();
    if storage_amount == 0 {
        return Err(abort_in(INNER, FUNCTION, E_INVALID_STORAGE_SIZE));
    }
    if start_epoch < current || end_epoch <= start_epoch || end_epoch - current > inner.max_epochs_ahead {
        return Err(abort_in(INNER, FUNCTION, E_INVALID_EPOCHS_AHEAD));
    }
    let price_per_epoch = pricing::storage_price_per_epoch(storage_amount, inner.storage_price_per_unit_size)
        .map_err(|_| overflow("the storage price"))?;
    let price = pricing::storage_price(storage_amount, inner.storage_price_per_unit_size, end_epoch - start_epoch)
        .map_err(|_| overflow("the storage price"))?;
    if payment.value < price {
        return Err(abort_in(INNER, FUNCTION, E_INSUFFICIENT_FUNDS));
    }
    let capacity = inner.total_capacity_size;
    for epoch in start_epoch..end_epoch {
        let entry = accounting::lookup_mut(&mut inner.future_accounting, epoch - current)?;
        let used = entry.used_capacity.checked_add(storage_amount).ok_or_else(|| overflow("the used capacity"))?;
        if used > capacity {
            return Err(abort_in(INNER, FUNCTION, E_STORAGE_EXCEEDED));
        }
        entry.used_capacity = used;
        entry.rewards_to_distribute =
            entry.rewards_to_distribute.checked_add(price_per_epoch).ok_or_else(|| overflow("the epoch's rewards"))?;
        charge(payment, price_per_epoch, FUNCTION)?;
    }
    if start_epoch == current {
        inner.used_capacity_size += storage_amount;
    }
    Ok(())
}

/// `reserve_space` / `reserve_space_for_epochs`: books the epochs and creates the `Storage`.
fn reserve_space(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
    epochs: impl FnOnce(&MoveCallContext<'_>, u32) -> Result<(u32, u32), CallError>,
    coin_index: u16,
) -> Result<Vec<Value>, CallError> {
    let (system, mut inner) = load(call, args, 0, Access::Mutate)?;
    let storage_amount: u64 = call.pure(args, 1)?;
    let (start_epoch, end_epoch) = epochs(call, inner.epoch())?;
    let mut payment = read_wal_coin(call, args, coin_index)?;
    reserve(&mut inner, storage_amount, start_epoch, end_epoch, &mut payment)?;
    call.write(args, coin_index, &payment)?;
    store(call, system, &inner)?;
    Ok(vec![storage_resource::create(call, start_epoch, end_epoch, storage_amount)?])
}

/// Books `extended_epochs` after `end_epoch` for `size` bytes and returns the extension, whose
/// object Move creates and fuses away within the call (so it only takes up an id).
fn buy_extension(
    call: &mut MoveCallContext<'_>,
    inner: &mut SystemStateInnerV1,
    size: u64,
    end_epoch: u32,
    extended_epochs: u32,
    payment: &mut CoinValue,
) -> Result<Storage, CallError> {
    let new_end = end_epoch.checked_add(extended_epochs).ok_or_else(|| overflow("the end epoch"))?;
    reserve(inner, size, end_epoch, new_end, payment)?;
    Ok(Storage { id: call.new_id(), start_epoch: end_epoch, end_epoch: new_end, storage_size: size })
}

fn register_blob(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    let (system, mut inner) = load(call, args, 0, Access::Mutate)?;
    let storage = read_storage(call, args, 1)?;
    require_mutable(call, args, 1)?;
    let registration = Registration {
        blob_id: call.pure(args, 2)?,
        root_hash: call.pure(args, 3)?,
        size: call.pure(args, 4)?,
        encoding_type: call.pure(args, 5)?,
        deletable: call.pure(args, 6)?,
    };
    let mut payment = read_wal_coin(call, args, 7)?;
    let n_shards = inner.committee.n_shards;
    let blob = blob::new(call, storage, &registration, inner.epoch(), n_shards)?;
    let encoded_size = encoding::encoded_blob_length(blob.size, blob.encoding_type, n_shards)?;
    let fee =
        pricing::write_fee(encoded_size, inner.write_price_per_unit_size).map_err(|_| overflow("the write fee"))?;
    charge(&mut payment, fee, "register_blob")?;
    let current = accounting::lookup_mut(&mut inner.future_accounting, 0)?;
    current.rewards_to_distribute =
        current.rewards_to_distribute.checked_add(fee).ok_or_else(|| overflow("the epoch's rewards"))?;
    call.write(args, 7, &payment)?;
    store(call, system, &inner)?;
    // The storage lives on inside the blob.
    call.wrap(args, 1)?;
    Ok(vec![call.create(blob.id, tag::<Blob>(), true, &blob)?])
}

fn certify_blob(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    let (_, inner) = load(call, args, 0, Access::Read)?;
    let mut blob = blob::read_blob(call, args, 1)?;
    require_mutable(call, args, 1)?;
    let [signature, bitmap, message]: [Vec<u8>; 3] = [call.pure(args, 2)?, call.pure(args, 3)?, call.pure(args, 4)?];
    let certified = certificate::verify_in_epoch(&inner.committee, &signature, &bitmap, &message, Threshold::Quorum)?;
    let confirmation = certificate::certify_blob_message(certified)?;
    blob::certify(call, &mut blob, inner.epoch(), &confirmation)?;
    call.write(args, 1, &blob)?;
    Ok(vec![])
}

fn extend_blob_with_resource(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    let (_, inner) = load(call, args, 0, Access::Read)?;
    let mut blob = blob::read_blob(call, args, 1)?;
    require_mutable(call, args, 1)?;
    let extension = read_storage(call, args, 2)?;
    require_mutable(call, args, 2)?;
    blob::extend_with_resource(call, &mut blob, &extension, inner.epoch())?;
    call.write(args, 1, &blob)?;
    call.delete(args, 2)?;
    Ok(vec![])
}

fn extend_blob(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    let (system, mut inner) = load(call, args, 0, Access::Mutate)?;
    let mut blob = blob::read_blob(call, args, 1)?;
    require_mutable(call, args, 1)?;
    let extended_epochs: u32 = call.pure(args, 2)?;
    let mut payment = read_wal_coin(call, args, 3)?;
    let (size, end_epoch) = (blob.storage.storage_size, blob.storage.end_epoch);
    let extension = buy_extension(call, &mut inner, size, end_epoch, extended_epochs, &mut payment)?;
    blob::extend_with_resource(call, &mut blob, &extension, inner.epoch())?;
    call.write(args, 1, &blob)?;
    call.write(args, 3, &payment)?;
    store(call, system, &inner)?;
    Ok(vec![])
}

/// `system::extend_blob` on a blob another object holds (a `SharedBlob`'s): the System at
/// argument `index` (taken `&mut`) sells `extended_epochs` after the blob's end, paid from
/// `payment`, and the blob is extended with a `BlobCertified` extension, as for an owned blob.
pub(crate) fn extend_held_blob(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
    index: u16,
    blob: &mut Blob,
    extended_epochs: u32,
    payment: &mut CoinValue,
) -> Result<(), CallError> {
    let (system, mut inner) = load(call, args, index, Access::Mutate)?;
    let (size, end_epoch) = (blob.storage.storage_size, blob.storage.end_epoch);
    let extension = buy_extension(call, &mut inner, size, end_epoch, extended_epochs, payment)?;
    blob::extend_with_resource(call, blob, &extension, inner.epoch())?;
    store(call, system, &inner)
}

/// The storage price per unit and epoch of the System at argument `index`
/// (`system::storage_price_per_unit_size`).
pub(crate) fn storage_price_per_unit_size(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
    index: u16,
) -> Result<u64, CallError> {
    Ok(load(call, args, index, Access::Read)?.1.storage_price_per_unit_size)
}

fn extend_storage(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    let (system, mut inner) = load(call, args, 0, Access::Mutate)?;
    let mut storage = read_storage(call, args, 1)?;
    require_mutable(call, args, 1)?;
    let extended_epochs: u32 = call.pure(args, 2)?;
    let mut payment = read_wal_coin(call, args, 3)?;
    let (size, end_epoch) = (storage.storage_size, storage.end_epoch);
    let extension = buy_extension(call, &mut inner, size, end_epoch, extended_epochs, &mut payment)?;
    fuse_periods(&mut storage, &extension)?;
    call.write(args, 1, &storage)?;
    call.write(args, 3, &payment)?;
    store(call, system, &inner)?;
    Ok(vec![])
}

fn invalidate_blob_id(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    let (_, inner) = load(call, args, 0, Access::Read)?;
    let [signature, bitmap, message]: [Vec<u8>; 3] = [call.pure(args, 1)?, call.pure(args, 2)?, call.pure(args, 3)?];
    let certified =
        certificate::verify_in_epoch(&inner.committee, &signature, &bitmap, &message, Threshold::OneCorrectNode)?;
    let blob_id = certificate::invalid_blob_id_message(certified)?;
    call.emit(tag::<InvalidBlobID>(), &InvalidBlobID { epoch: inner.epoch(), blob_id });
    Ok(vec![Value::pure(&blob_id)])
}

/// The System side of an epoch change, for `staking::initiate_epoch_change`
/// (`system_state_inner::advance_epoch`): the System at argument `index` (taken `&mut`) moves to
/// `new_committee`, which must be for the next epoch (else `system_state_inner::
/// EWrongCommitteeEpoch`); the ended epoch's accounting entry is popped; used capacity becomes
/// the new current entry's, total capacity `max(params' capacity, used)`, prices `params`'.
/// Returns the ended epoch's rewards in FROST, for the caller to distribute (and roll the rest
/// over with [`add_rewards_to_current_epoch`]).
pub(crate) fn advance_epoch(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
    index: u16,
    new_committee: BlsCommittee,
    params: &EpochParams,
) -> Result<u64, CallError> {
    let (system, mut inner) = load(call, args, index, Access::Mutate)?;
    if inner.epoch().checked_add(1) != Some(new_committee.epoch) {
        return Err(abort_in(INNER, "advance_epoch", E_WRONG_COMMITTEE_EPOCH));
    }
    inner.committee = new_committee;
    let ended = accounting::pop_expand(&mut inner.future_accounting);
    inner.used_capacity_size = accounting::current(&inner.future_accounting).used_capacity;
    inner.total_capacity_size = params.total_capacity_size.max(inner.used_capacity_size);
    inner.storage_price_per_unit_size = params.storage_price_per_unit_size;
    inner.write_price_per_unit_size = params.write_price_per_unit_size;
    store(call, system, &inner)?;
    Ok(ended.rewards)
}

/// Adds `rewards` FROST to the current epoch's accounting entry (rewards left undistributed roll
/// over; `system_state_inner::add_rewards_to_current_epoch`). The System is argument `index`.
pub(crate) fn add_rewards_to_current_epoch(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
    index: u16,
    rewards: u64,
) -> Result<(), CallError> {
    let (system, mut inner) = load(call, args, index, Access::Mutate)?;
    let current = accounting::lookup_mut(&mut inner.future_accounting, 0)?;
    current.rewards_to_distribute =
        current.rewards_to_distribute.checked_add(rewards).ok_or_else(|| overflow("the epoch's rewards"))?;
    store(call, system, &inner)
}

/// The current epoch of the System at argument `index` (`system::epoch`), e.g. to check that
/// Staking and System agree.
pub(crate) fn epoch(call: &mut MoveCallContext<'_>, args: &[Value], index: u16) -> Result<u32, CallError> {
    Ok(load(call, args, index, Access::Read)?.1.epoch())
}

/// The current committee of the System at argument `index` (`system::committee`), read only.
pub(crate) fn committee(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
    index: u16,
) -> Result<floe_chain::floe::committee::BlsCommittee, CallError> {
    Ok(load(call, args, index, Access::Read)?.1.committee)
}

/// A read of the System at argument 0 (`&System`): `field` of its inner state.
fn read(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
    field: fn(&SystemStateInnerV1) -> Value,
) -> Result<Vec<Value>, CallError> {
    let (_, inner) = load(call, args, 0, Access::Read)?;
    Ok(vec![field(&inner)])
}

/// Functions callable in a transaction. `committee` and `inner` return references, which a
/// programmable transaction cannot take, and are left out.
pub(super) const FUNCTIONS: ModuleFunctions = &[
    ("reserve_space", |call, args| {
        reserve_space(
            call,
            args,
            |call, current| {
                let epochs_ahead: u32 = call.pure(args, 2)?;
                Ok((current, current.checked_add(epochs_ahead).ok_or_else(|| overflow("the end epoch"))?))
            },
            3,
        )
    }),
    ("reserve_space_for_epochs", |call, args| {
        reserve_space(call, args, |call, _| Ok((call.pure(args, 2)?, call.pure(args, 3)?)), 4)
    }),
    ("extend_storage", extend_storage),
    ("register_blob", register_blob),
    ("certify_blob", certify_blob),
    ("delete_blob", |call, args| {
        let (_, inner) = load(call, args, 0, Access::Read)?;
        Ok(vec![blob::delete(call, args, 1, inner.epoch())?])
    }),
    ("burn_expired_blob", |call, args| {
        let (_, inner) = load(call, args, 0, Access::Read)?;
        blob::burn_expired(call, args, 1, inner.epoch())?;
        Ok(vec![])
    }),
    ("extend_blob_with_resource", extend_blob_with_resource),
    ("extend_blob", extend_blob),
    ("invalidate_blob_id", invalidate_blob_id),
    ("epoch", |call, args| read(call, args, |inner| Value::pure(&inner.epoch()))),
    ("n_shards", |call, args| read(call, args, |inner| Value::pure(&inner.committee.n_shards))),
    ("total_capacity_size", |call, args| read(call, args, |inner| Value::pure(&inner.total_capacity_size))),
    ("used_capacity_size", |call, args| read(call, args, |inner| Value::pure(&inner.used_capacity_size))),
    ("storage_price_per_unit_size", |call, args| {
        read(call, args, |inner| Value::pure(&inner.storage_price_per_unit_size))
    }),
    ("write_price_per_unit_size", |call, args| read(call, args, |inner| Value::pure(&inner.write_price_per_unit_size))),
    ("epoch_duration_ms", |call, args| read(call, args, |inner| Value::pure(&inner.epoch_duration_ms))),
    ("max_epochs_ahead", |call, args| read(call, args, |inner| Value::pure(&inner.max_epochs_ahead))),
];

#[cfg(test)]
mod tests {
    use floe_chain::floe::framework::G1Element;

    use super::*;

    fn inner(capacity: u64, storage_price: u64) -> SystemStateInnerV1 {
        SystemStateInnerV1 {
            committee: BlsCommittee {
                members: vec![],
                n_shards: 10,
                epoch: 3,
                total_aggregated_key: G1Element { bytes: vec![] },
            },
            total_capacity_size: capacity,
            used_capacity_size: 0,
            storage_price_per_unit_size: storage_price,
            write_price_per_unit_size: 1,
            epoch_duration_ms: 1,
            max_epochs_ahead: 4,
            future_accounting: accounting::new_ring(3, 5).unwrap(),
        }
    }

    fn coin(value: u64) -> CoinValue {
        CoinValue { id: Address::ZERO, value }
    }

    #[test]
    fn reservation_charges_each_epoch_and_books_its_capacity() {
        let mut state = inner(10 << 20, 7);
        let mut payment = coin(100);
        // 1 MiB + 1 byte is 2 units: 14 FROST per epoch, 2 epochs.
        reserve(&mut state, (1 << 20) + 1, 4, 6, &mut payment).unwrap();
        assert_eq!(payment.value, 100 - 28);
        let ring = &state.future_accounting.ring_buffer;
        assert_eq!(
            (ring[0].used_capacity, ring[1].used_capacity, ring[2].used_capacity),
            (0, (1 << 20) + 1, (1 << 20) + 1)
        );
        assert_eq!((ring[1].rewards_to_distribute, ring[2].rewards_to_distribute), (14, 14));
        // A later start does not count as used now.
        assert_eq!(state.used_capacity_size, 0);
    }

    #[test]
    fn reservation_checks_size_epochs_funds_then_capacity() {
        let at = |code| abort_in(INNER, "reserve_space_for_epochs", code);
        let mut state = inner(100, 1);
        assert_eq!(reserve(&mut state, 0, 9, 9, &mut coin(0)).unwrap_err(), at(E_INVALID_STORAGE_SIZE));
        assert_eq!(reserve(&mut state, 1, 2, 4, &mut coin(9)).unwrap_err(), at(E_INVALID_EPOCHS_AHEAD));
        assert_eq!(reserve(&mut state, 1, 3, 3, &mut coin(9)).unwrap_err(), at(E_INVALID_EPOCHS_AHEAD));
        assert_eq!(reserve(&mut state, 1, 3, 8, &mut coin(9)).unwrap_err(), at(E_INVALID_EPOCHS_AHEAD));
        // Funds before capacity: 1000 bytes over capacity and no money reports the money.
        assert_eq!(reserve(&mut state, 1000, 3, 7, &mut coin(3)).unwrap_err(), at(E_INSUFFICIENT_FUNDS));
        assert_eq!(reserve(&mut state, 1000, 3, 7, &mut coin(4)).unwrap_err(), at(E_STORAGE_EXCEEDED));
        reserve(&mut state, 100, 3, 7, &mut coin(4)).unwrap();
        assert_eq!(state.used_capacity_size, 100);
        assert_eq!(reserve(&mut state, 1, 6, 7, &mut coin(1)).unwrap_err(), at(E_STORAGE_EXCEEDED));
    }
}
