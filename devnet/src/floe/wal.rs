//! The `wal` package (`move/wal`) natively: the shared `ProtectedTreasury` that can only burn,
//! the supply reads and the constants. WAL coins are `0x2::coin::Coin<0xa1::wal::WAL>` objects,
//! which the framework's coin natives split, join and transfer like any coin.

use floe_chain::floe::framework::{Supply, TreasuryCap};
use floe_chain::floe::wal::{DECIMALS, FROST_PER_WAL, ProtectedTreasury, TOTAL_SUPPLY_WAL};
use sui_sdk_types::Address;

use super::{require_mutable, tag, wal_coin_type};
use crate::framework::{CoinValue, E_OVERFLOW, framework_abort};
use crate::native::{CallError, FunctionTable, MoveCallContext, NativePackage, Value};

/// The whole supply, minted at publish, in FROST.
pub(crate) const INITIAL_SUPPLY_FROST: u64 = TOTAL_SUPPLY_WAL * FROST_PER_WAL;

/// The treasury as publishing `wal` leaves it: the whole supply minted.
pub(crate) fn initial_treasury(id: Address, cap_id: Address) -> ProtectedTreasury {
    ProtectedTreasury { id, cap: TreasuryCap { id: cap_id, total_supply: Supply { value: INITIAL_SUPPLY_FROST } } }
}

fn read_treasury(call: &MoveCallContext<'_>, args: &[Value]) -> Result<ProtectedTreasury, CallError> {
    call.expect_type(args, 0, &tag::<ProtectedTreasury>())?;
    call.read(args, 0)
}

/// The `wal` package, natively.
#[derive(Debug, Default, Clone, Copy)]
pub struct WalPackage;

impl WalPackage {
    /// The package's one module and its functions.
    pub(crate) const FUNCTIONS: FunctionTable = FunctionTable(&[(
        "wal",
        &[
            ("burn", burn),
            ("total_supply", |call, args| Ok(vec![Value::pure(&read_treasury(call, args)?.cap.total_supply.value)])),
            ("decimals", |_, _| Ok(vec![Value::pure(&DECIMALS)])),
            ("frost_per_wal", |_, _| Ok(vec![Value::pure(&FROST_PER_WAL)])),
            ("initial_supply_frost", |_, _| Ok(vec![Value::pure(&INITIAL_SUPPLY_FROST)])),
        ],
    )]);
}

impl NativePackage for WalPackage {
    fn compiled(&self) -> Option<&'static floe_chain::floe::packages::CompiledPackage> {
        Some(&floe_chain::floe::packages::WAL)
    }

    fn has_function(&self, module: &str, function: &str) -> bool {
        Self::FUNCTIONS.get(module, function).is_some()
    }

    fn call(&self, call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
        Self::FUNCTIONS.call(call, args)
    }
}

/// `wal::burn`: destroys the coin at argument 1, lowering the supply of the treasury at 0.
fn burn(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    let mut treasury = read_treasury(call, args)?;
    require_mutable(call, args, 0)?;
    call.expect_type(args, 1, &wal_coin_type())?;
    require_mutable(call, args, 1)?;
    let coin: CoinValue = call.read(args, 1)?;
    // `balance::decrease_supply` aborts with EOverflow on burning more than exists.
    treasury.cap.total_supply.value = treasury
        .cap
        .total_supply
        .value
        .checked_sub(coin.value)
        .ok_or_else(|| framework_abort("balance", "decrease_supply", E_OVERFLOW))?;
    call.write(args, 0, &treasury)?;
    call.delete(args, 1)?;
    Ok(vec![])
}
