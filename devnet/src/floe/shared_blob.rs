//! `floe::shared_blob` natively: sharing a certified `Blob` inside a `SharedBlob` (wrapped, so it
//! keeps its id), funding it with WAL coins, and extending it from those funds through
//! `system::extend_blob`, which emits the same `BlobCertified` extension as for an owned blob.

use super::{abort_in, blob, overflow, read_wal_coin, require_mutable, system, tag};
use crate::framework::CoinValue;
use crate::native::{CallError, ModuleFunctions, MoveCallContext, Value};
use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::events::BlobShared;
use floe_chain::floe::pricing;
use floe_chain::floe::shared_blob::SharedBlob;

const MODULE: &str = "shared_blob";
const E_INSUFFICIENT_FUNDS: u64 = abort_code(MODULE, "EInsufficientFunds");
const E_NOT_CERTIFIED: u64 = abort_code(MODULE, "ENotCertified");
const E_ZERO_FUNDS: u64 = abort_code(MODULE, "EZeroFunds");

/// Reads the `SharedBlob` at argument `index`, checking its type.
fn read_shared_blob(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<SharedBlob, CallError> {
    call.expect_type(args, index, &tag::<SharedBlob>())?;
    call.read(args, index)
}

/// A `Coin<WAL>` argument taken by value, refused when empty (`EZeroFunds` in `function`).
fn funding_coin(
    call: &MoveCallContext<'_>,
    args: &[Value],
    index: u16,
    function: &'static str,
) -> Result<CoinValue, CallError> {
    let coin = read_wal_coin(call, args, index)?;
    if coin.value == 0 {
        return Err(abort_in(MODULE, function, E_ZERO_FUNDS));
    }
    Ok(coin)
}

/// Wraps the certified `Blob` at argument 0 into a new shared `SharedBlob` holding `funds`,
/// emitting `BlobShared` (`shared_blob::share`).
fn share(call: &mut MoveCallContext<'_>, args: &[Value], funds: u64) -> Result<(), CallError> {
    let blob = blob::read_blob(call, args, 0)?;
    require_mutable(call, args, 0)?;
    if blob.certified_epoch.is_none() {
        return Err(abort_in(MODULE, "share", E_NOT_CERTIFIED));
    }
    let id = call.new_id();
    call.emit(
        tag::<BlobShared>(),
        &BlobShared {
            object_id: id,
            blob_object_id: blob.id,
            blob_id: blob.blob_id,
            end_epoch: blob.storage.end_epoch,
            funds,
        },
    );
    call.wrap(args, 0)?;
    let shared = call.create(id, tag::<SharedBlob>(), false, &SharedBlob { id, blob, funds })?;
    call.share(&[shared], 0)
}

/// `extend`: checks the funds cover `units × storage price × epochs`, then buys the extension
/// through the System at argument 1 with a coin split off the funds (whatever it leaves goes
/// back).
fn extend(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<(), CallError> {
    let mut shared = read_shared_blob(call, args, 0)?;
    require_mutable(call, args, 0)?;
    let extended_epochs: u32 = call.pure(args, 2)?;
    let storage_price = system::storage_price_per_unit_size(call, args, 1)?;
    let price = pricing::storage_price(shared.blob.storage.storage_size, storage_price, extended_epochs)
        .map_err(|_| overflow("the extension's price"))?;
    if shared.funds < price {
        return Err(abort_in(MODULE, "extend", E_INSUFFICIENT_FUNDS));
    }
    // `balance::into_coin` makes a coin object, consumed again within the call.
    let mut payment = CoinValue { id: call.new_id(), value: price };
    shared.funds -= price;
    system::extend_held_blob(call, args, 1, &mut shared.blob, extended_epochs, &mut payment)?;
    shared.funds += payment.value;
    call.write(args, 0, &shared)
}

/// Functions callable in a transaction; `blob` returns a reference and is left out.
pub(super) const FUNCTIONS: ModuleFunctions = &[
    ("new", |call, args| share(call, args, 0).map(|()| vec![])),
    ("new_funded", |call, args| {
        let coin = funding_coin(call, args, 1, "new_funded")?;
        share(call, args, coin.value)?;
        call.delete(args, 1)?;
        Ok(vec![])
    }),
    ("fund", |call, args| {
        let mut shared = read_shared_blob(call, args, 0)?;
        require_mutable(call, args, 0)?;
        let coin = funding_coin(call, args, 1, "fund")?;
        shared.funds = shared.funds.checked_add(coin.value).ok_or_else(|| overflow("the shared blob's funds"))?;
        call.write(args, 0, &shared)?;
        call.delete(args, 1)?;
        Ok(vec![])
    }),
    ("extend", |call, args| extend(call, args).map(|()| vec![])),
    ("object_id", |call, args| Ok(vec![Value::pure(&read_shared_blob(call, args, 0)?.id)])),
    ("funds", |call, args| Ok(vec![Value::pure(&read_shared_blob(call, args, 0)?.funds)])),
];
