//! `floe::init` natively: `initialize` spends the `InitCap` to create and share `System` and
//! `Staking`, each with its version-1 inner state in the dynamic field named `1u64`, and emits
//! `Initialized`. The same initial state is what genesis writes without a transaction
//! ([`initial_state`]), so both paths agree.
//!
//! For the staking natives and the committee genesis: [`initial_state`] gives the objects at
//! epoch 0 (empty committee, no capacity, EpochChangeDone(0)); a genesis committee is written
//! by replacing `system_inner.committee` (epoch, members) and the staking fields before the
//! objects are laid out (see `FloeGenesis`).

use floe_chain::floe::InitParams;
use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::committee::{BlsCommittee, Committee};
use floe_chain::floe::deploy::check_init_params;
use floe_chain::floe::events::Initialized;
use floe_chain::floe::framework::{G1Element, Table, VecMap};
use floe_chain::floe::staking::{ActiveSet, EpochState, Staking, StakingInnerV1};
use floe_chain::floe::state::INNER_VERSION;
use floe_chain::floe::system::{InitCap, System, SystemStateInnerV1};
use sui_sdk_types::{Address, TypeTag};

use super::system::inner_type as system_inner_type;
use super::{abort_in, accounting, require_mutable, tag};
use crate::native::{CallError, ModuleFunctions, MoveCallContext, Value};

const MODULE: &str = "init";
const E_INVALID_PARAMETER: u64 = abort_code(MODULE, "EInvalidParameter");
/// The compressed identity of G1: the aggregate key of nobody.
const G1_IDENTITY: [u8; 48] = {
    let mut bytes = [0u8; 48];
    bytes[0] = 0xc0;
    bytes
};

pub(super) const FUNCTIONS: ModuleFunctions = &[("initialize", initialize)];

/// The shared objects `initialize` creates and their inner states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InitialState {
    pub system: System,
    pub system_inner: SystemStateInnerV1,
    pub staking: Staking,
    pub staking_inner: StakingInnerV1,
}

/// The ids the initial objects take, in the order Move creates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InitialIds {
    pub system: Address,
    pub staking: Address,
    /// The staking pools' `ObjectTable`.
    pub pools: Address,
}

/// Checks the parameters as `initialize` does (`init::EInvalidParameter`), with the checks
/// floe-chain makes before deploying.
pub(crate) fn validate(params: &InitParams) -> Result<(), CallError> {
    check_init_params(params).map_err(|_| abort_in(MODULE, "initialize", E_INVALID_PARAMETER))
}

/// The System and Staking of a fresh deployment at epoch 0 (`system_state_inner::new`,
/// `staking_inner::new`): no committee, no capacity, prices 0, the first epoch change allowed
/// at once.
pub(crate) fn initial_state(params: &InitParams, ids: InitialIds) -> Result<InitialState, CallError> {
    validate(params)?;
    let system_inner = SystemStateInnerV1 {
        committee: BlsCommittee {
            members: vec![],
            n_shards: params.n_shards,
            epoch: 0,
            total_aggregated_key: G1Element { bytes: G1_IDENTITY.to_vec() },
        },
        total_capacity_size: 0,
        used_capacity_size: 0,
        storage_price_per_unit_size: 0,
        write_price_per_unit_size: 0,
        epoch_duration_ms: params.epoch_duration_ms,
        max_epochs_ahead: params.max_epochs_ahead,
        future_accounting: accounting::new_ring(0, params.max_epochs_ahead + 1)?,
    };
    let staking_inner = StakingInnerV1 {
        n_shards: params.n_shards,
        epoch_duration_ms: params.epoch_duration_ms,
        max_committee_size: params.max_committee_size,
        epoch: 0,
        epoch_start_ms: 0,
        pools: Table { id: ids.pools, size: 0 },
        pool_ids: vec![],
        committee: Committee { shards: VecMap::default() },
        previous_committee: Committee { shards: VecMap::default() },
        next_committee: None,
        next_epoch_params: None,
        epoch_state: EpochState::EpochChangeDone(0),
        active_set: ActiveSet { max_size: params.max_committee_size, entries: vec![] },
        challenges: floe_chain::floe::challenges::ChallengeState::new(0),
    };
    Ok(InitialState {
        system: System { id: ids.system, version: INNER_VERSION },
        system_inner,
        staking: Staking { id: ids.staking, version: INNER_VERSION },
        staking_inner,
    })
}

/// The Move type of the staking inner state, the value type of Staking's dynamic field.
pub(crate) fn staking_inner_type() -> TypeTag {
    TypeTag::Struct(Box::new(tag::<StakingInnerV1>()))
}

/// `init::initialize(InitCap, n_shards, epoch_duration_ms, max_epochs_ahead, max_committee_size)`.
fn initialize(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
    call.expect_type(args, 0, &tag::<InitCap>())?;
    require_mutable(call, args, 0)?;
    let params = InitParams {
        n_shards: call.pure(args, 1)?,
        epoch_duration_ms: call.pure(args, 2)?,
        max_epochs_ahead: call.pure(args, 3)?,
        max_committee_size: call.pure(args, 4)?,
    };
    validate(&params)?;
    call.delete(args, 0)?;
    // Move creates the System's UID, then the Staking's, then its pools table.
    let ids = InitialIds { system: call.new_id(), staking: call.new_id(), pools: call.new_id() };
    let state = initial_state(&params, ids)?;
    let system = call.create(ids.system, tag::<System>(), false, &state.system)?;
    call.add_field(ids.system, TypeTag::U64, &INNER_VERSION, system_inner_type(), &state.system_inner)?;
    call.share(&[system], 0)?;
    let staking = call.create(ids.staking, tag::<Staking>(), false, &state.staking)?;
    call.add_field(ids.staking, TypeTag::U64, &INNER_VERSION, staking_inner_type(), &state.staking_inner)?;
    call.share(&[staking], 0)?;
    call.emit(tag::<Initialized>(), &Initialized { system_id: ids.system, staking_id: ids.staking });
    Ok(vec![])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> InitParams {
        InitParams { n_shards: 10, epoch_duration_ms: 60_000, max_epochs_ahead: 5, max_committee_size: 10 }
    }

    #[test]
    fn initial_system_has_no_committee_and_one_accounting_entry_per_epoch_ahead() {
        let ids =
            InitialIds { system: Address::new([1; 32]), staking: Address::new([2; 32]), pools: Address::new([3; 32]) };
        let state = initial_state(&params(), ids).unwrap();
        assert_eq!(state.system_inner.epoch(), 0);
        assert_eq!(state.system_inner.committee.n_shards, 10);
        assert_eq!(state.system_inner.future_accounting.length, 6);
        assert_eq!(state.staking_inner.pools, Table { id: ids.pools, size: 0 });
        assert_eq!(state.staking_inner.epoch_state, EpochState::EpochChangeDone(0));
    }

    #[test]
    fn out_of_range_parameters_are_refused() {
        let refused = abort_in(MODULE, "initialize", E_INVALID_PARAMETER);
        for bad in [
            InitParams { n_shards: 3, ..params() },
            InitParams { epoch_duration_ms: 0, ..params() },
            InitParams { max_epochs_ahead: 0, ..params() },
            InitParams { max_epochs_ahead: 1001, ..params() },
            InitParams { max_committee_size: 0, ..params() },
        ] {
            assert_eq!(validate(&bad).unwrap_err(), refused, "{bad:?}");
        }
        assert!(validate(&InitParams { max_epochs_ahead: 1000, n_shards: 4, ..params() }).is_ok());
    }
}
