//! `floe::staking` and `floe::staking_inner` natively: the shared Staking object, its versioned
//! inner state, node registration and settings, and stake. The epoch change lives in
//! [`super::epoch`]. Pools sit in the inner state's `ObjectTable<ID, StakingPool>` as dynamic
//! object fields, so each pool object keeps its id (the node id) and can be read by it.

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::events::{CommissionCollected, Staked, StakingPoolRegistered, WithdrawalRequested, Withdrawn};
use floe_chain::floe::staked_wal::{StakedWal, StakedWalState};
use floe_chain::floe::staking::{EpochState, Staking, StakingInnerV1, StorageNodeCap};
use floe_chain::floe::staking_pool::{StakingPool, VotingParams};
use floe_chain::floe::state::INNER_VERSION;
use floe_encoder::bls::{BlsPublicKey, BlsSignature};
use floe_encoder::messages::ProofOfPossessionMessage;
use sui_sdk_types::{Address, TypeTag};

use crate::dynamic_field::{Field, field_id, field_type};
use crate::dynamic_object_field::id_type;
use crate::framework::{CoinValue, clock_type};
use crate::native::{CallError, ModuleFunctions, MoveCallContext, Value};

use super::staking_pool::{self, Registration};
use super::{abort_in, active_set, challenges, epoch, read_wal_coin, require_mutable, tag, wal_coin_type};

pub(crate) const E_WRONG_VERSION: u64 = abort_code("staking", "EWrongVersion");

/// `staking_inner`'s abort codes.
pub(crate) mod codes {
    use floe_chain::floe::aborts::abort_code;

    use super::INNER;

    pub const E_WRONG_EPOCH_STATE: u64 = abort_code(INNER, "EWrongEpochState");
    pub const E_TOO_EARLY: u64 = abort_code(INNER, "ETooEarly");
    pub const E_NO_STAKE: u64 = abort_code(INNER, "ENoStake");
    pub const E_POOL_NOT_FOUND: u64 = abort_code(INNER, "EPoolNotFound");
    pub const E_ZERO_STAKE: u64 = abort_code(INNER, "EZeroStake");
    pub const E_INVALID_PROOF_OF_POSSESSION: u64 = abort_code(INNER, "EInvalidProofOfPossession");
    pub const E_INVALID_SYNC_EPOCH: u64 = abort_code(INNER, "EInvalidSyncEpoch");
    pub const E_DUPLICATE_SYNC_DONE: u64 = abort_code(INNER, "EDuplicateSyncDone");
    pub const E_NOT_IN_COMMITTEE: u64 = abort_code(INNER, "ENotInCommittee");
    pub const E_NOT_WITHDRAWABLE: u64 = abort_code(INNER, "ENotWithdrawable");
    pub const E_WITHDRAW_DIRECTLY: u64 = abort_code(INNER, "EWithdrawDirectly");
    pub const E_EPOCH_MISMATCH: u64 = abort_code(INNER, "EEpochMismatch");
    pub const E_ALREADY_WITHDRAWING: u64 = abort_code(INNER, "EAlreadyWithdrawing");
    pub const E_CHALLENGE_WINDOW_OPEN: u64 = abort_code(INNER, "EChallengeWindowOpen");
    pub const E_NO_CHALLENGE_WINDOW: u64 = abort_code(INNER, "ENoChallengeWindow");
    pub const E_OUTCOME_RECORDED: u64 = abort_code(INNER, "EOutcomeRecorded");
}
use codes::*;

const INNER: &str = "staking_inner";

pub(super) const FUNCTIONS: ModuleFunctions = &[
    ("register_candidate", |call, args| register_candidate(call, args).map(|cap| vec![cap])),
    ("set_next_commission", |call, args| {
        let rate: u16 = call.pure(args, 2)?;
        with_pool_of_cap(call, args, |pool, epoch| staking_pool::set_next_commission(pool, rate, epoch + 2))
    }),
    ("collect_commission", |call, args| collect_commission(call, args).map(|coin| vec![coin])),
    ("set_storage_price_vote", |call, args| {
        let price: u64 = call.pure(args, 2)?;
        with_pool_of_cap(call, args, |pool, _| {
            pool.voting_params.storage_price = price;
            Ok(())
        })
    }),
    ("set_write_price_vote", |call, args| {
        let price: u64 = call.pure(args, 2)?;
        with_pool_of_cap(call, args, |pool, _| {
            pool.voting_params.write_price = price;
            Ok(())
        })
    }),
    ("set_node_capacity_vote", |call, args| {
        let capacity: u64 = call.pure(args, 2)?;
        with_pool_of_cap(call, args, |pool, _| {
            pool.voting_params.node_capacity = capacity;
            Ok(())
        })
    }),
    ("set_network_address", |call, args| {
        let address: String = call.pure(args, 2)?;
        with_pool_of_cap(call, args, |pool, _| staking_pool::set_network_address(pool, address))
    }),
    ("set_network_public_key", |call, args| {
        let key: Vec<u8> = call.pure(args, 2)?;
        with_pool_of_cap(call, args, |pool, _| staking_pool::set_network_public_key(pool, key))
    }),
    ("stake_with_pool", |call, args| stake_with_pool(call, args).map(|staked| vec![staked])),
    ("request_withdraw_stake", |call, args| request_withdraw_stake(call, args).map(|()| vec![])),
    ("withdraw_stake", |call, args| withdraw_stake(call, args).map(|coin| vec![coin])),
    ("can_withdraw_early", |call, args| {
        let state = StakingState::load(call, args, false)?;
        let staked = read_staked_wal(call, args, 1)?;
        Ok(vec![Value::pure(&state.inner.can_withdraw_early(&staked))])
    }),
    ("try_join_active_set", |call, args| try_join_active_set(call, args).map(|()| vec![])),
    ("voting_end", |call, args| epoch::voting_end(call, args).map(|()| vec![])),
    ("initiate_epoch_change", |call, args| epoch::initiate_epoch_change(call, args).map(|()| vec![])),
    ("epoch_sync_done", |call, args| epoch::epoch_sync_done(call, args).map(|()| vec![])),
    ("open_challenge_window", |call, args| challenges::open_challenge_window(call, args).map(|()| vec![])),
    ("record_challenge_outcome", |call, args| challenges::record_challenge_outcome(call, args).map(|()| vec![])),
    ("epoch", |call, args| {
        let state = StakingState::load(call, args, false)?;
        Ok(vec![Value::pure(&state.inner.epoch)])
    }),
];
/// The Staking object passed as argument 0 and its inner state.
pub(crate) struct StakingState {
    pub staking_id: Address,
    pub inner: StakingInnerV1,
    mutable: bool,
}

fn inner_field_type() -> sui_sdk_types::StructTag {
    field_type(TypeTag::U64, TypeTag::Struct(Box::new(tag::<StakingInnerV1>())))
}

impl StakingState {
    /// Reads the Staking object at argument 0 (`&mut` when `mutable`) and its inner state,
    /// checking the version as `staking::inner`/`inner_mut` do.
    pub(crate) fn load(call: &mut MoveCallContext<'_>, args: &[Value], mutable: bool) -> Result<Self, CallError> {
        call.expect_type(args, 0, &tag::<Staking>())?;
        if mutable {
            require_mutable(call, args, 0)?;
        }
        let staking: Staking = call.read(args, 0)?;
        if staking.version != INNER_VERSION {
            let function = if mutable { "inner_mut" } else { "inner" };
            return Err(abort_in("staking", function, E_WRONG_VERSION));
        }
        let id = field_id(staking.id, &TypeTag::U64, &INNER_VERSION);
        if !call.load_child(staking.id, id, mutable) || call.working_set.entry(&id).type_ != inner_field_type() {
            return Err(CallError::Argument {
                index: 0,
                reason: format!("staking object {} has no inner state", staking.id),
            });
        }
        let field: Field<u64, StakingInnerV1> = call.read_object(id)?;
        Ok(Self { staking_id: staking.id, inner: field.value, mutable })
    }

    /// Writes the inner state back.
    pub(crate) fn save(&self, call: &mut MoveCallContext<'_>) -> Result<(), CallError> {
        debug_assert!(self.mutable, "a read-only staking state is never saved");
        let id = field_id(self.staking_id, &TypeTag::U64, &INNER_VERSION);
        call.write_object(id, &Field { id, name: INNER_VERSION, value: &self.inner })
    }

    /// The pool of `node_id` (`staking_inner::pool_mut`, or `pool` when read only); aborts with
    /// `EPoolNotFound`.
    pub(crate) fn pool(&self, call: &mut MoveCallContext<'_>, node_id: Address) -> Result<StakingPool, CallError> {
        let function = if self.mutable { "pool_mut" } else { "pool" };
        let id = call
            .object_field(self.inner.pools.id, id_type(), &node_id, self.mutable)
            .ok_or_else(|| abort_in(INNER, function, E_POOL_NOT_FOUND))?;
        call.read_object(id)
    }

    /// `staking_inner::pool_mut`: the pool of `node_id` caught up to the current epoch (every
    /// change to a pool goes through it in Move). The caller saves it.
    pub(crate) fn pool_mut(&self, call: &mut MoveCallContext<'_>, node_id: Address) -> Result<StakingPool, CallError> {
        debug_assert!(self.mutable, "pool_mut on a read-only staking state");
        let mut pool = self.pool(call, node_id)?;
        staking_pool::catch_up(call, &mut pool, self.inner.epoch)?;
        Ok(pool)
    }

    /// `staking_inner::selection_epoch`: the epoch whose stake the next committee selection
    /// counts.
    pub(crate) fn selection_epoch(&self) -> u32 {
        let inner = &self.inner;
        if inner.epoch_state == EpochState::NextParamsSelected { inner.epoch + 2 } else { inner.epoch + 1 }
    }

    /// `staking_inner::offer_to_active_set` for a pool already caught up (`pool_mut`): records
    /// its stake for the next selection in the active set. The caller saves the state.
    pub(crate) fn offer_to_active_set(
        &mut self,
        call: &mut MoveCallContext<'_>,
        pool: &StakingPool,
    ) -> Result<(), CallError> {
        let stake = staking_pool::stake_at_epoch(call, pool, self.selection_epoch())?;
        active_set::insert_or_update(&mut self.inner.active_set, pool.id, stake);
        Ok(())
    }

    /// Catches up the pool of `node_id`, offers it to the active set and saves it.
    pub(crate) fn refresh_in_active_set(
        &mut self,
        call: &mut MoveCallContext<'_>,
        node_id: Address,
    ) -> Result<(), CallError> {
        let pool = self.pool_mut(call, node_id)?;
        self.offer_to_active_set(call, &pool)?;
        self.save_pool(call, &pool)
    }

    /// Writes a pool back.
    pub(crate) fn save_pool(&self, call: &mut MoveCallContext<'_>, pool: &StakingPool) -> Result<(), CallError> {
        call.write_object(pool.id, pool)
    }
}

/// The timestamp of the `&Clock` at argument `index`.
pub(crate) fn clock_ms(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<u64, CallError> {
    call.expect_type(args, index, &clock_type())?;
    let clock: crate::framework::ClockValue = call.read(args, index)?;
    Ok(clock.timestamp_ms)
}

/// The `StorageNodeCap` at argument `index`.
pub(crate) fn read_cap(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<StorageNodeCap, CallError> {
    call.expect_type(args, index, &tag::<StorageNodeCap>())?;
    call.read(args, index)
}

fn read_staked_wal(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<StakedWal, CallError> {
    call.expect_type(args, index, &tag::<StakedWal>())?;
    call.read(args, index)
}

/// Runs `change` on the pool of the capability at argument 1 (the operator calls), with the
/// current epoch.
fn with_pool_of_cap(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
    change: impl FnOnce(&mut StakingPool, u32) -> Result<(), CallError>,
) -> Result<Vec<Value>, CallError> {
    let state = StakingState::load(call, args, true)?;
    let cap = read_cap(call, args, 1)?;
    let mut pool = state.pool_mut(call, cap.node_id)?;
    change(&mut pool, state.inner.epoch)?;
    state.save_pool(call, &pool)?;
    Ok(vec![])
}

fn register_candidate(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Value, CallError> {
    let mut state = StakingState::load(call, args, true)?;
    let registration = Registration {
        name: call.pure(args, 1)?,
        network_address: call.pure(args, 2)?,
        public_key: call.pure(args, 3)?,
        network_public_key: call.pure(args, 4)?,
        commission_rate: call.pure(args, 6)?,
        voting_params: VotingParams {
            storage_price: call.pure(args, 7)?,
            write_price: call.pure(args, 8)?,
            node_capacity: call.pure(args, 9)?,
        },
    };
    let proof: Vec<u8> = call.pure(args, 5)?;
    let epoch = state.inner.epoch;
    let pool = staking_pool::new(call, registration, epoch)?;
    if !proof_of_possession_verifies(epoch, call.sender(), &pool.public_key, &proof) {
        return Err(abort_in(INNER, "register_candidate", E_INVALID_PROOF_OF_POSSESSION));
    }
    let node_id = pool.id;
    call.create(node_id, tag::<StakingPool>(), true, &pool)?;
    call.add_object_field(state.inner.pools.id, id_type(), &node_id, node_id)?;
    state.inner.pools.size += 1;
    state.inner.pool_ids.push(node_id);
    state.save(call)?;
    call.emit(
        tag::<StakingPoolRegistered>(),
        &StakingPoolRegistered { epoch, node_id, commission_rate: pool.commission_rate },
    );
    let cap_id = call.new_id();
    call.create(cap_id, tag::<StorageNodeCap>(), true, &StorageNodeCap { id: cap_id, node_id, last_epoch_sync_done: 0 })
}

/// `messages::verify_proof_of_possession`: the key's signature over (sender, key) in `epoch`.
/// A key or signature that is not a valid point does not verify.
pub(crate) fn proof_of_possession_verifies(epoch: u32, sender: Address, public_key: &[u8], proof: &[u8]) -> bool {
    let (Ok(key), Ok(signature)) = (BlsPublicKey::from_bytes(public_key), BlsSignature::from_bytes(proof)) else {
        return false;
    };
    let message = ProofOfPossessionMessage { epoch, sui_address: sender.into_inner(), public_key: key };
    key.verify(&message.to_bytes(), &signature).is_ok()
}

fn collect_commission(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Value, CallError> {
    let state = StakingState::load(call, args, true)?;
    let cap = read_cap(call, args, 1)?;
    let mut pool = state.pool_mut(call, cap.node_id)?;
    let amount = std::mem::take(&mut pool.commission);
    state.save_pool(call, &pool)?;
    call.emit(
        tag::<CommissionCollected>(),
        &CommissionCollected { epoch: state.inner.epoch, node_id: cap.node_id, amount },
    );
    new_wal_coin(call, amount)
}

fn new_wal_coin(call: &mut MoveCallContext<'_>, value: u64) -> Result<Value, CallError> {
    let id = call.new_id();
    call.create(id, wal_coin_type(), true, &CoinValue { id, value })
}

fn stake_with_pool(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Value, CallError> {
    let mut state = StakingState::load(call, args, true)?;
    let coin = read_wal_coin(call, args, 1)?;
    let node_id: Address = call.pure(args, 2)?;
    if coin.value == 0 {
        return Err(abort_in(INNER, "stake_with_pool", E_ZERO_STAKE));
    }
    let epoch = state.inner.epoch;
    let activation_epoch =
        if state.inner.epoch_state == EpochState::NextParamsSelected { epoch + 2 } else { epoch + 1 };
    let mut pool = state.pool_mut(call, node_id)?;
    staking_pool::add_pending_stake(&mut pool, coin.value, activation_epoch)?;
    state.offer_to_active_set(call, &pool)?;
    state.save_pool(call, &pool)?;
    state.save(call)?;
    call.delete(args, 1)?;
    let id = call.new_id();
    let staked = StakedWal { id, node_id, principal: coin.value, activation_epoch, state: StakedWalState::Staked };
    let value = call.create(id, tag::<StakedWal>(), true, &staked)?;
    call.emit(tag::<Staked>(), &Staked { epoch, node_id, staked_wal_id: id, amount: coin.value, activation_epoch });
    Ok(value)
}

fn request_withdraw_stake(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<(), CallError> {
    let mut state = StakingState::load(call, args, true)?;
    let mut staked = read_staked_wal(call, args, 1)?;
    require_mutable(call, args, 1)?;
    if staked.state != StakedWalState::Staked {
        return Err(abort_in(INNER, "request_withdraw_stake", E_ALREADY_WITHDRAWING));
    }
    if state.inner.can_withdraw_early(&staked) {
        return Err(abort_in(INNER, "request_withdraw_stake", E_WITHDRAW_DIRECTLY));
    }
    let inner = &state.inner;
    let in_next = inner.epoch_state == EpochState::NextParamsSelected
        && inner.next_committee.as_ref().is_some_and(|c| c.shards.get(&staked.node_id).is_some());
    let withdraw_epoch = if in_next { inner.epoch + 2 } else { inner.epoch + 1 };
    let mut pool = state.pool_mut(call, staked.node_id)?;
    staking_pool::add_pending_withdrawal(&mut pool, staked.principal, staked.activation_epoch, withdraw_epoch);
    state.offer_to_active_set(call, &pool)?;
    state.save_pool(call, &pool)?;
    state.save(call)?;
    staked.state = StakedWalState::Withdrawing { withdraw_epoch };
    call.write(args, 1, &staked)?;
    call.emit(
        tag::<WithdrawalRequested>(),
        &WithdrawalRequested {
            epoch: state.inner.epoch,
            node_id: staked.node_id,
            staked_wal_id: staked.id,
            principal: staked.principal,
            withdraw_epoch,
        },
    );
    Ok(())
}

fn withdraw_stake(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Value, CallError> {
    let mut state = StakingState::load(call, args, true)?;
    let staked = read_staked_wal(call, args, 1)?;
    require_mutable(call, args, 1)?;
    let epoch = state.inner.epoch;
    let mut pool = state.pool_mut(call, staked.node_id)?;
    let rewards = if state.inner.can_withdraw_early(&staked) {
        staking_pool::remove_pending_stake(&mut pool, staked.principal, staked.activation_epoch)?;
        state.offer_to_active_set(call, &pool)?;
        state.save(call)?;
        0
    } else {
        let withdraw_epoch = match staked.state {
            StakedWalState::Withdrawing { withdraw_epoch } if withdraw_epoch <= epoch => withdraw_epoch,
            _ => return Err(abort_in(INNER, "withdraw_stake", E_NOT_WITHDRAWABLE)),
        };
        staking_pool::withdraw_rewards(call, &mut pool, staked.principal, staked.activation_epoch, withdraw_epoch)?
    };
    state.save_pool(call, &pool)?;
    call.delete(args, 1)?;
    let amount = staked.principal + rewards;
    call.emit(
        tag::<Withdrawn>(),
        &Withdrawn { epoch, node_id: staked.node_id, staked_wal_id: staked.id, principal: staked.principal, amount },
    );
    new_wal_coin(call, amount)
}

/// `staking::try_join_active_set(&mut Staking, node_id: ID)`: offers the node to the active set
/// at its current stake; no abort when it does not qualify.
fn try_join_active_set(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<(), CallError> {
    let mut state = StakingState::load(call, args, true)?;
    let node_id: Address = call.pure(args, 1)?;
    state.refresh_in_active_set(call, node_id)?;
    state.save(call)
}
