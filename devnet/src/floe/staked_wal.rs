//! `floe::staked_wal` natively: splitting and joining stakes while they are staked, and the
//! reads a PTB can use.

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::staked_wal::{StakedWal, StakedWalState};

use crate::native::{CallError, ModuleFunctions, MoveCallContext, Value};

use super::{abort_in, require_mutable, tag};

const MODULE: &str = "staked_wal";
pub(crate) const E_INVALID_SPLIT_AMOUNT: u64 = abort_code(MODULE, "EInvalidSplitAmount");
pub(crate) const E_NOT_STAKED: u64 = abort_code(MODULE, "ENotStaked");
pub(crate) const E_INCOMPATIBLE_STAKED_WAL: u64 = abort_code(MODULE, "EIncompatibleStakedWal");

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

pub(super) const FUNCTIONS: ModuleFunctions = &[
    ("split", split),
    ("join", join),
    ("node_id", |call, args| Ok(vec![Value::pure(&read(call, args, 0)?.node_id)])),
    ("value", |call, args| Ok(vec![Value::pure(&read(call, args, 0)?.principal)])),
    ("activation_epoch", |call, args| Ok(vec![Value::pure(&read(call, args, 0)?.activation_epoch)])),
    ("is_staked", |call, args| Ok(vec![Value::pure(&(read(call, args, 0)?.state == StakedWalState::Staked))])),
    ("withdraw_epoch", |call, args| Ok(vec![Value::pure(&withdraw_epoch(&read(call, args, 0)?))])),
];

fn split(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    let mut staked = read(call, args, 0)?;
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
    Ok(vec![call.create(id, tag::<StakedWal>(), true, &part)?])
}

fn join(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    let mut staked = read(call, args, 0)?;
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
    call.delete(args, 1).map(|()| vec![])
}
