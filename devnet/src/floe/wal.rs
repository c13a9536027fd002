//! The `wal` package (`move/wal`) natively: the shared `ProtectedTreasury` that can only burn,
//! the supply reads and the constants. WAL coins are `0x2::coin::Coin<0xa1::wal::WAL>` objects,
//! which the framework's coin natives split, join and transfer like any coin.

use floe_chain::floe::framework::{Supply, TreasuryCap};
use floe_chain::floe::wal::{FROST_PER_WAL, ProtectedTreasury};
use sui_sdk_types::{Address, Identifier};

use super::{require_mutable, tag, wal_coin_type};
use crate::framework::{CoinValue, E_OVERFLOW};
use crate::native::{CallError, MoveCallContext, NativePackage, Value};

/// WAL's decimals.
const DECIMALS: u8 = 9;
/// The whole supply, minted at publish: 5,000,000,000 WAL in FROST.
pub(crate) const INITIAL_SUPPLY_FROST: u64 = 5_000_000_000 * FROST_PER_WAL;

const FUNCTIONS: &[&str] = &["burn", "total_supply", "decimals", "frost_per_wal", "initial_supply_frost"];

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

impl NativePackage for WalPackage {
    fn compiled(&self) -> Option<&'static floe_chain::floe::packages::CompiledPackage> {
        Some(&floe_chain::floe::packages::WAL)
    }

    fn has_function(&self, module: &str, function: &str) -> bool {
        module == "wal" && FUNCTIONS.contains(&function)
    }

    fn call(&self, call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
        match call.function() {
            "burn" => {
                let mut treasury = read_treasury(call, args)?;
                require_mutable(call, args, 0)?;
                call.expect_type(args, 1, &wal_coin_type())?;
                require_mutable(call, args, 1)?;
                let coin: CoinValue = call.read(args, 1)?;
                // `balance::decrease_supply` aborts with EOverflow on burning more than exists.
                treasury.cap.total_supply.value =
                    treasury.cap.total_supply.value.checked_sub(coin.value).ok_or_else(|| CallError::Abort {
                        module: Identifier::from_static("balance"),
                        function: Identifier::from_static("decrease_supply"),
                        code: E_OVERFLOW,
                        package: Some(Address::TWO),
                    })?;
                call.write(args, 0, &treasury)?;
                call.delete(args, 1)?;
                Ok(vec![])
            }
            "total_supply" => Ok(vec![Value::pure(&read_treasury(call, args)?.cap.total_supply.value)]),
            "decimals" => Ok(vec![Value::pure(&DECIMALS)]),
            "frost_per_wal" => Ok(vec![Value::pure(&FROST_PER_WAL)]),
            "initial_supply_frost" => Ok(vec![Value::pure(&INITIAL_SUPPLY_FROST)]),
            other => unreachable!("wal::{other} is not admitted by has_function"),
        }
    }
}
