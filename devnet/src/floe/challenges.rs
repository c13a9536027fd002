//! `floe::challenges` and the storage challenge calls of `floe::staking` natively:
//! `open_challenge_window` (once per epoch after the epoch change, the seed drawn from the
//! devnet's `Random` exactly as `random::new_generator` + `generate_bytes(32)` draw it) and
//! `record_challenge_outcome` (a quorum certificate of the current committee, checked with real
//! BLS). The reward rule for recorded failures is applied by [`super::epoch`].

use floe_chain::floe::challenges::ChallengeState;
use floe_chain::floe::events::{ChallengeOutcome, ChallengeWindowOpened};
use floe_chain::floe::staking::EpochState;
use sui_sdk_types::Address;

use crate::framework::{E_RANDOM_WRONG_INNER_VERSION, framework_abort};
use crate::native::{CallError, MoveCallContext, Value};
use crate::random::{self, RandomValue};

use super::certificate::{self, Threshold};
use super::staking::{StakingState, clock_ms, codes::*};
use super::{abort_in, system, tag};

const INNER: &str = "staking_inner";

/// `staking::open_challenge_window(&mut Staking, &Random, &Clock)`.
pub(super) fn open_challenge_window(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<(), CallError> {
    const FUNCTION: &str = "open_challenge_window";
    let mut state = StakingState::load(call, args, true)?;
    call.expect_type(args, 1, &random::random_type())?;
    let random: RandomValue = call.read(args, 1)?;
    let now = clock_ms(call, args, 2)?;
    let inner = &state.inner;
    if inner.epoch < 1 || matches!(inner.epoch_state, EpochState::EpochChangeSync(_)) {
        return Err(abort_in(INNER, FUNCTION, E_WRONG_EPOCH_STATE));
    }
    if inner.challenges.is_open() {
        return Err(abort_in(INNER, FUNCTION, E_CHALLENGE_WINDOW_OPEN));
    }
    let Some(round) = random::load_inner(call, &random) else {
        return Err(framework_abort("random", "load_inner", E_RANDOM_WRONG_INNER_VERSION));
    };
    // `new_generator` keys its seed with the transaction's next fresh object address.
    let fresh = call.new_id();
    let seed = random::generate_32_bytes(&round.random_bytes, fresh).to_vec();
    let epoch = inner.epoch;
    state.inner.challenges.seed = Some(seed.clone());
    state.inner.challenges.opened_at_ms = now;
    state.save(call)?;
    call.emit(tag::<ChallengeWindowOpened>(), &ChallengeWindowOpened { epoch, seed, opened_at_ms: now });
    Ok(())
}

/// `staking::record_challenge_outcome(&mut Staking, &System, signature, signers_bitmap,
/// message)`, with Move's aborts in Move's order: no window, certificate (bitmap, signature,
/// quorum, header), body, committee membership, duplicate.
pub(super) fn record_challenge_outcome(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<(), CallError> {
    const FUNCTION: &str = "record_challenge_outcome";
    let mut state = StakingState::load(call, args, true)?;
    if !state.inner.challenges.is_open() {
        return Err(abort_in(INNER, FUNCTION, E_NO_CHALLENGE_WINDOW));
    }
    let committee = system::committee(call, args, 1)?;
    let [signature, bitmap, message]: [Vec<u8>; 3] = [call.pure(args, 2)?, call.pure(args, 3)?, call.pure(args, 4)?];
    let certified = certificate::verify_in_epoch(&committee, &signature, &bitmap, &message, Threshold::Quorum)?;
    let stake_support = certified.stake_support;
    let outcome = certificate::challenge_outcome_message(certified)?;
    let node_id = outcome.node_id;
    if state.inner.committee.shards.get(&node_id).is_none() {
        return Err(abort_in(INNER, FUNCTION, E_NOT_IN_COMMITTEE));
    }
    if state.inner.challenges.is_recorded(&node_id) {
        return Err(abort_in(INNER, FUNCTION, E_OUTCOME_RECORDED));
    }
    record(&mut state.inner.challenges, node_id, outcome.passed);
    let epoch = state.inner.epoch;
    state.save(call)?;
    call.emit(tag::<ChallengeOutcome>(), &ChallengeOutcome { epoch, node_id, passed: outcome.passed, stake_support });
    Ok(())
}

/// `challenges::record`.
fn record(state: &mut ChallengeState, node_id: Address, passed: bool) {
    if passed { state.passed.push(node_id) } else { state.failed.push(node_id) }
}
