//! `floe::staked_wal` natively: splitting and joining stakes while they are staked, and the
//! reads a PTB can use.

use floe_chain::floe::staked_wal::{StakedWal, StakedWalState};

use crate::native::{CallError, MoveCallContext, Value};

use super::{abort_in, require_mutable, tag};

const MODULE: &str = "staked_wal";
/// `staked_wal::EInvalidSplitAmount`.
pub(crate) const E_INVALID_SPLIT_AMOUNT: u64 = 0;
/// `staked_wal::ENotStaked`.
pub(crate) const E_NOT_STAKED: u64 = 1;
/// `staked_wal::EIncompatibleStakedWal`.
pub(crate) const E_INCOMPATIBLE_STAKED_WAL: u64 = 2;

const FUNCTIONS: &[&str] = &["split", "join", "node_id", "value", "activation_epoch", "is_staked", "withdraw_epoch"];

pub(super) fn has_function(function: &str) -> bool {
    FUNCTIONS.contains(&function)
}

fn read(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<StakedWal, CallError> {
    call.expect_type(args, index, &tag::<StakedWal>())?;
    call.read(args, index)
}

fn withdraw_epoch(staked: &StakedWal) -> Option<u32> {
    match staked.state {
        StakedWalState::Staked => None,
        StakedWalState::Withdrawing { withdraw_epoch } => Some(withdraw_epoch),
    }
}

pub(super) fn call(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    let staked = read(call, args, 0)?;
    // Owned, so the call context can be borrowed mutably in the arms.
    let function = call.function().to_owned();
    match function.as_str() {
        "split" => split(call, args, staked).map(|part| vec![part]),
        "join" => join(call, args, staked).map(|()| vec![]),
        "node_id" => Ok(vec![Value::pure(&staked.node_id)]),
        "value" => Ok(vec![Value::pure(&staked.principal)]),
        "activation_epoch" => Ok(vec![Value::pure(&staked.activation_epoch)]),
        "is_staked" => Ok(vec![Value::pure(&(staked.state == StakedWalState::Staked))]),
        "withdraw_epoch" => Ok(vec![Value::pure(&withdraw_epoch(&staked))]),
        other => unreachable!("has_function admitted staked_wal::{other}"),
    }
}

fn split(call: &mut MoveCallContext<'_>, args: &[Value], mut staked: StakedWal) -> Result<Value, CallError> {
    require_mutable(call, args, 0)?;
    let amount: u64 = call.pure(args, 1)?;
    if staked.state != StakedWalState::Staked {
        return Err(abort_in(MODULE, "split", E_NOT_STAKED));
    }
    if amount == 0 || amount >= staked.principal {
        return Err(abort_in(MODULE, "split", E_INVALID_SPLIT_AMOUNT));
    }
    staked.principal -= amount;
    call.write(args, 0, &staked)?;
    let id = call.new_id();
    let part = StakedWal { id, principal: amount, state: StakedWalState::Staked, ..staked };
    call.create(id, tag::<StakedWal>(), true, &part)
}

fn join(call: &mut MoveCallContext<'_>, args: &[Value], mut staked: StakedWal) -> Result<(), CallError> {
    require_mutable(call, args, 0)?;
    let other = read(call, args, 1)?;
    require_mutable(call, args, 1)?;
    if staked.state != StakedWalState::Staked || other.state != StakedWalState::Staked {
        return Err(abort_in(MODULE, "join", E_NOT_STAKED));
    }
    if staked.node_id != other.node_id || staked.activation_epoch != other.activation_epoch {
        return Err(abort_in(MODULE, "join", E_INCOMPATIBLE_STAKED_WAL));
    }
    if staked.id == other.id {
        return Err(CallError::Argument { index: 1, reason: "cannot join a stake with itself".into() });
    }
    // `balance::join` aborts on overflow; a supply of 5e18 FROST cannot reach it.
    staked.principal += other.principal;
    call.write(args, 0, &staked)?;
    call.delete(args, 1)
}
