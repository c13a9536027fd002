//! The parts of the Sui framework (package `0x2`) that floe's flows call: `coin`, `pay` and
//! `transfer`, with the same aborts as the Move source (`balance::ENonZero = 0`,
//! `balance::ENotEnough = 2`, `balance::EOverflow = 1`).

use serde::{Deserialize, Serialize};
use sui_sdk_types::{Address, Identifier, StructTag, TypeTag};

use crate::native::{CallError, FunctionTable, MoveCallContext, NativePackage, Value};

/// `balance::ENonZero`: destroying a non-zero balance.
pub const E_NON_ZERO: u64 = 0;
/// `balance::EOverflow`: a join would overflow u64.
pub const E_OVERFLOW: u64 = 1;
/// `balance::ENotEnough`: splitting more than the balance holds.
pub const E_NOT_ENOUGH: u64 = 2;

/// The BCS layout of `0x2::coin::Coin<T>`: `{ id: UID, balance: Balance<T> { value: u64 } }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoinValue {
    /// The coin's object id.
    pub id: Address,
    /// Its balance.
    pub value: u64,
}

/// The id of the shared `0x2::clock::Clock` object.
pub const CLOCK: Address = Address::from_static("0x6");

/// The BCS layout of `0x2::clock::Clock`: `{ id: UID, timestamp_ms: u64 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockValue {
    /// Always [`CLOCK`].
    pub id: Address,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

/// The struct tag `0x2::clock::Clock`.
pub fn clock_type() -> StructTag {
    StructTag::new(Address::TWO, Identifier::from_static("clock"), Identifier::from_static("Clock"), vec![])
}

/// The natively implemented Sui framework package.
#[derive(Debug, Default, Clone, Copy)]
pub struct SuiFramework;

/// `bcs::EOutOfRange`: peeling a value from fewer bytes than it takes.
pub(crate) const E_BCS_OUT_OF_RANGE: u64 = 0;
/// `group_ops::EInvalidInput`: bytes that are not an element of the group.
pub(crate) const E_GROUP_OPS_INVALID_INPUT: u64 = 1;
/// `random::EWrongInnerVersion`: the Random object's inner state is of another version.
pub(crate) const E_RANDOM_WRONG_INNER_VERSION: u64 = 1;
/// `vec_map::EKeyDoesNotExist`: the key looked up is not in the map.
pub(crate) const E_VEC_MAP_KEY_DOES_NOT_EXIST: u64 = 1;

/// An abort raised in the Sui framework's `module::function` (package `0x2`), located as Sui
/// locates it.
pub(crate) fn framework_abort(module: &'static str, function: &'static str, code: u64) -> CallError {
    CallError::Abort {
        module: Identifier::from_static(module),
        function: Identifier::from_static(function),
        code,
        package: Some(Address::TWO),
    }
}

fn coin_type(call: &MoveCallContext<'_>) -> Result<StructTag, CallError> {
    match call.type_args() {
        [t] => Ok(StructTag::coin(t.clone())),
        other => Err(CallError::Argument {
            index: 0,
            reason: format!("{}::{} takes one type argument, got {}", call.module(), call.function(), other.len()),
        }),
    }
}

fn read_coin(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<CoinValue, CallError> {
    let tag = coin_type(call)?;
    call.expect_type(args, index, &tag)?;
    call.read(args, index)
}

/// Splits `amount` off the coin at `index` into a new coin value.
fn split(call: &mut MoveCallContext<'_>, args: &[Value], index: u16, amount: u64) -> Result<Value, CallError> {
    let mut coin = read_coin(call, args, index)?;
    if coin.value < amount {
        return Err(framework_abort("balance", "split", E_NOT_ENOUGH));
    }
    coin.value -= amount;
    call.write(args, index, &coin)?;
    let id = call.new_id();
    let tag = coin_type(call)?;
    call.create(id, tag, true, &CoinValue { id, value: amount })
}

/// Moves the whole balance of the coin at `from` into the coin at `into`, deleting `from`.
fn join(call: &mut MoveCallContext<'_>, args: &[Value], into: u16, from: u16) -> Result<(), CallError> {
    let mut target = read_coin(call, args, into)?;
    let source = read_coin(call, args, from)?;
    if source.id == target.id {
        return Err(CallError::Argument { index: from, reason: "cannot join a coin with itself".into() });
    }
    target.value =
        target.value.checked_add(source.value).ok_or_else(|| framework_abort("balance", "join", E_OVERFLOW))?;
    call.write(args, into, &target)?;
    call.delete(args, from)
}

fn require_store(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<(), CallError> {
    let object_type = call.object_type(args, index)?;
    if !call.has_store(args, index)? {
        return Err(CallError::Argument { index, reason: format!("{object_type} does not have store") });
    }
    match call.type_args() {
        [TypeTag::Struct(t)] if **t == object_type => Ok(()),
        _ => Err(CallError::Argument {
            index,
            reason: format!("object of type {object_type} does not match the type argument"),
        }),
    }
}

/// `coin::join` and `pay::join`: the coin at argument 1 into the one at argument 0.
fn join_coins(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    join(call, args, 0, 1).map(|()| vec![])
}

impl SuiFramework {
    /// The framework's natively implemented functions, by module.
    pub(crate) const FUNCTIONS: FunctionTable = FunctionTable(&[
        (
            "clock",
            &[("timestamp_ms", |call, args| {
                call.expect_type(args, 0, &clock_type())?;
                let clock: ClockValue = call.read(args, 0)?;
                Ok(vec![Value::pure(&clock.timestamp_ms)])
            })],
        ),
        (
            "coin",
            &[
                ("split", |call, args| {
                    let amount = call.pure(args, 1)?;
                    Ok(vec![split(call, args, 0, amount)?])
                }),
                ("join", join_coins),
                ("value", |call, args| Ok(vec![Value::pure(&read_coin(call, args, 0)?.value)])),
                ("zero", |call, _| {
                    let id = call.new_id();
                    let tag = coin_type(call)?;
                    Ok(vec![call.create(id, tag, true, &CoinValue { id, value: 0 })?])
                }),
                ("destroy_zero", |call, args| {
                    if read_coin(call, args, 0)?.value != 0 {
                        return Err(framework_abort("balance", "destroy_zero", E_NON_ZERO));
                    }
                    call.delete(args, 0).map(|()| vec![])
                }),
            ],
        ),
        (
            "pay",
            &[
                ("split", |call, args| {
                    let amount = call.pure(args, 1)?;
                    let coin = split(call, args, 0, amount)?;
                    let sender = call.sender();
                    call.transfer(&[coin], 0, sender).map(|()| vec![])
                }),
                ("split_and_transfer", |call, args| {
                    let amount = call.pure(args, 1)?;
                    let recipient: Address = call.pure(args, 2)?;
                    let coin = split(call, args, 0, amount)?;
                    call.transfer(&[coin], 0, recipient).map(|()| vec![])
                }),
                ("join", join_coins),
            ],
        ),
        (
            "transfer",
            &[
                ("public_transfer", |call, args| {
                    require_store(call, args, 0)?;
                    let recipient: Address = call.pure(args, 1)?;
                    call.transfer(args, 0, recipient).map(|()| vec![])
                }),
                ("public_share_object", |call, args| {
                    require_store(call, args, 0)?;
                    call.share(args, 0).map(|()| vec![])
                }),
                ("public_freeze_object", |call, args| {
                    require_store(call, args, 0)?;
                    call.freeze(args, 0).map(|()| vec![])
                }),
            ],
        ),
    ]);
}

impl NativePackage for SuiFramework {
    fn has_function(&self, module: &str, function: &str) -> bool {
        Self::FUNCTIONS.get(module, function).is_some()
    }

    fn call(&self, call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
        Self::FUNCTIONS.call(call, args)
    }
}
