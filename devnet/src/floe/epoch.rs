//! The epoch change of `floe::staking_inner` natively: `voting_end` (committee by stake,
//! D'Hondt shards, voted parameters; candidates are the active set only), `initiate_epoch_change`
//! (the new BLS committee into the System, rewards to the ended committee's pools but those a
//! quorum attested failed their storage challenges, whose shares roll over; only the
//! ended committee's, the new committee's and the active set's pools are advanced, so the work is
//! bounded by the committee size however many pools registered) and `epoch_sync_done` (nodes
//! report their shards; a quorum of shards finishes the change).
//!
//! The state machine, as in Move: `EpochChangeSync(w)` → (quorum of sync reports) →
//! `EpochChangeDone(t)` → (`voting_end`, half an epoch in) → `NextParamsSelected` →
//! (`initiate_epoch_change`, a full epoch in) → `EpochChangeSync(0)` of the next epoch.

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::challenges::ChallengeState;
use floe_chain::floe::committee::{BlsCommittee, BlsCommitteeMember, EpochParams};
use floe_chain::floe::events::{
    EpochChangeDone, EpochChangeStart, EpochParametersSelected, RewardsDistributed, RewardsWithheld, ShardsReceived,
};
use floe_chain::floe::framework::G1Element;
use floe_chain::floe::staking::EpochState;
use floe_encoder::bls::BlsPublicKey;
use sui_sdk_types::Address;

use crate::native::{CallError, MoveCallContext, Value};

use super::staking::{StakingState, clock_ms, codes::*, read_cap};
use super::{abort_in, active_set, apportionment, committee, overflow, require_mutable, staking_pool, system, tag};

const INNER: &str = "staking_inner";
const E_INVALID_MEMBER_KEY: u64 = abort_code("bls_aggregate", "EInvalidPublicKey");
const E_INVALID_WEIGHT: u64 = abort_code("bls_aggregate", "EInvalidWeight");

fn is_change_done(state: &EpochState) -> bool {
    matches!(state, EpochState::EpochChangeDone(_))
}

/// `staking::voting_end(&mut Staking, &Clock)`.
pub(super) fn voting_end(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<(), CallError> {
    let mut state = StakingState::load(call, args, true)?;
    let now = clock_ms(call, args, 1)?;
    let inner = &state.inner;
    if !is_change_done(&inner.epoch_state) {
        return Err(abort_in(INNER, "voting_end", E_WRONG_EPOCH_STATE));
    }
    if inner.epoch != 0 && now < inner.epoch_start_ms + inner.epoch_duration_ms / 2 {
        return Err(abort_in(INNER, "voting_end", E_TOO_EARLY));
    }
    let next_epoch = inner.epoch + 1;

    // Candidates: the active set only, largest stake first; a stable sort keeps ties in the
    // order they entered the set.
    let members = active_set::node_ids(&inner.active_set);
    let mut candidates: Vec<(Address, u64)> = Vec::new();
    for id in &members {
        let pool = state.pool(call, *id)?;
        let stake = staking_pool::stake_at_epoch(call, &pool, next_epoch)?;
        if stake > 0 {
            candidates.push((*id, stake));
        }
    }
    if candidates.is_empty() {
        return Err(abort_in(INNER, "voting_end", E_NO_STAKE));
    }
    candidates.sort_by_key(|(_, stake)| std::cmp::Reverse(*stake));
    let (ids, stakes): (Vec<Address>, Vec<u64>) = candidates.into_iter().unzip();
    let counts = apportionment::dhondt(inner.n_shards, &stakes)?;
    let next = committee::transition(&inner.committee, &ids, &counts, inner.n_shards)?;

    let (mut storage_votes, mut write_votes, mut capacity_votes, mut weights) = (vec![], vec![], vec![], vec![]);
    for id in committee::node_ids(&next) {
        let pool = state.pool(call, id)?;
        let weight = committee::weight(&next, &id);
        storage_votes.push(pool.voting_params.storage_price);
        write_votes.push(pool.voting_params.write_price);
        // A node's capacity vote, scaled to the whole network by its share of the shards.
        let scaled = u128::from(pool.voting_params.node_capacity) * u128::from(inner.n_shards) / u128::from(weight);
        capacity_votes.push(u64::try_from(scaled).map_err(|_| overflow("scaled capacity vote"))?);
        weights.push(weight);
    }
    let params = EpochParams {
        total_capacity_size: apportionment::quorum_above(&capacity_votes, &weights, inner.n_shards)?,
        storage_price_per_unit_size: apportionment::quorum_below(&storage_votes, &weights, inner.n_shards)?,
        write_price_per_unit_size: apportionment::quorum_below(&write_votes, &weights, inner.n_shards)?,
    };
    call.emit(
        tag::<EpochParametersSelected>(),
        &EpochParametersSelected {
            epoch: inner.epoch,
            next_epoch,
            total_capacity_size: params.total_capacity_size,
            storage_price_per_unit_size: params.storage_price_per_unit_size,
            write_price_per_unit_size: params.write_price_per_unit_size,
        },
    );
    state.inner.next_committee = Some(next);
    state.inner.next_epoch_params = Some(params);
    state.inner.epoch_state = EpochState::NextParamsSelected;
    // The next selection counts the epoch after: refresh the members' stakes for it.
    for id in members {
        state.refresh_in_active_set(call, id)?;
    }
    state.save(call)
}

/// `bls_aggregate::new_member` and `new_committee`: the members' keys must be 48-byte points
/// with non-zero weight; the committee's key is their sum.
pub(crate) fn bls_committee(epoch: u32, members: Vec<BlsCommitteeMember>) -> Result<BlsCommittee, CallError> {
    let mut keys = Vec::with_capacity(members.len());
    let mut n_shards: u64 = 0;
    for member in &members {
        if member.public_key.bytes.len() != 48 {
            return Err(abort_in("bls_aggregate", "new_member", E_INVALID_MEMBER_KEY));
        }
        if member.weight == 0 {
            return Err(abort_in("bls_aggregate", "new_member", E_INVALID_WEIGHT));
        }
        // `g1_from_bytes` aborts on bytes that are not a point (in the framework's group_ops).
        let key = BlsPublicKey::from_bytes(&member.public_key.bytes).map_err(|_| CallError::Abort {
            module: sui_sdk_types::Identifier::from_static("group_ops"),
            function: sui_sdk_types::Identifier::from_static("from_bytes"),
            code: 1,
            package: Some(Address::TWO),
        })?;
        keys.push(key);
        n_shards += u64::from(member.weight);
    }
    let n_shards = u16::try_from(n_shards).map_err(|_| abort_in("bls_aggregate", "new_committee", E_INVALID_WEIGHT))?;
    let total = if keys.is_empty() {
        // The compressed G1 identity, as `g1_identity()` serializes.
        let mut identity = vec![0u8; 48];
        identity[0] = 0xc0;
        identity
    } else {
        BlsPublicKey::aggregate(keys.iter())
            .map_err(|e| CallError::Argument { index: 0, reason: format!("aggregating committee keys: {e}") })?
            .to_bytes()
            .to_vec()
    };
    Ok(BlsCommittee { members, n_shards, epoch, total_aggregated_key: G1Element { bytes: total } })
}

/// `staking::initiate_epoch_change(&mut Staking, &mut System, &Clock)`.
pub(super) fn initiate_epoch_change(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<(), CallError> {
    let mut state = StakingState::load(call, args, true)?;
    require_mutable(call, args, 1)?;
    let now = clock_ms(call, args, 2)?;
    let inner = &state.inner;
    if inner.epoch_state != EpochState::NextParamsSelected {
        return Err(abort_in(INNER, "initiate_epoch_change", E_WRONG_EPOCH_STATE));
    }
    if inner.epoch != 0 && now < inner.epoch_start_ms + inner.epoch_duration_ms {
        return Err(abort_in(INNER, "initiate_epoch_change", E_TOO_EARLY));
    }
    if system::epoch(call, args, 1)? != inner.epoch {
        return Err(abort_in(INNER, "initiate_epoch_change", E_EPOCH_MISMATCH));
    }
    let next = state.inner.next_committee.take().expect("NextParamsSelected has a next committee");
    let params = state.inner.next_epoch_params.take().expect("NextParamsSelected has next parameters");
    let new_epoch = state.inner.epoch + 1;

    let mut members = Vec::new();
    for id in committee::node_ids(&next) {
        let pool = state.pool(call, id)?;
        members.push(BlsCommitteeMember {
            public_key: G1Element { bytes: pool.public_key.clone() },
            weight: committee::weight(&next, &id),
            node_id: id,
        });
    }
    let bls = bls_committee(new_epoch, members)?;
    let total_rewards = system::advance_epoch(call, args, 1, bls, &params)?;

    let ended = std::mem::replace(&mut state.inner.committee, next);
    let ended_epoch = state.inner.epoch;
    let n_shards = state.inner.n_shards;
    let mut left = total_rewards;
    // The ended committee's pools (by node id) earn the epoch's rewards, except a node a quorum
    // attested failed its challenges: its share stays in `left` and rolls over; its pool
    // advances with nothing added.
    for id in committee::node_ids(&ended) {
        let weight = committee::weight(&ended, &id);
        let share = (u128::from(total_rewards) * u128::from(weight) / u128::from(n_shards)) as u64;
        let mut pool = state.pool_mut(call, id)?;
        if state.inner.challenges.has_failed(&id) {
            staking_pool::advance_epoch(call, &mut pool, new_epoch, 0)?;
            state.save_pool(call, &pool)?;
            call.emit(tag::<RewardsWithheld>(), &RewardsWithheld { epoch: ended_epoch, node_id: id, amount: share });
            continue;
        }
        let commission = staking_pool::advance_epoch(call, &mut pool, new_epoch, share)?;
        state.save_pool(call, &pool)?;
        left -= share;
        call.emit(
            tag::<RewardsDistributed>(),
            &RewardsDistributed { epoch: ended_epoch, node_id: id, amount: share, commission },
        );
    }
    system::add_rewards_to_current_epoch(call, args, 1, left)?;
    state.inner.challenges = ChallengeState::new(new_epoch);

    state.inner.previous_committee = ended.clone();
    state.inner.epoch = new_epoch;
    state.inner.epoch_start_ms = now;
    state.inner.epoch_state = EpochState::EpochChangeSync(0);
    // The active set's and the new committee's pools are advanced too (`pool_mut` catches up),
    // and every advanced pool is offered to the active set: members first (in entry order),
    // then the ended committee, then the new one (each by node id), as in Move.
    let mut touched = active_set::node_ids(&state.inner.active_set);
    touched.extend(committee::node_ids(&ended));
    touched.extend(committee::node_ids(&state.inner.committee));
    for id in touched {
        state.refresh_in_active_set(call, id)?;
    }
    state.save(call)?;
    call.emit(tag::<EpochChangeStart>(), &EpochChangeStart { epoch: new_epoch });
    Ok(())
}

/// `staking::epoch_sync_done(&mut Staking, &mut StorageNodeCap, epoch, &Clock)`.
pub(super) fn epoch_sync_done(call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<(), CallError> {
    let mut state = StakingState::load(call, args, true)?;
    let mut cap = read_cap(call, args, 1)?;
    require_mutable(call, args, 1)?;
    let epoch: u32 = call.pure(args, 2)?;
    let now = clock_ms(call, args, 3)?;
    let inner = &state.inner;
    if epoch != inner.epoch {
        return Err(abort_in(INNER, "epoch_sync_done", E_INVALID_SYNC_EPOCH));
    }
    if cap.last_epoch_sync_done >= epoch {
        return Err(abort_in(INNER, "epoch_sync_done", E_DUPLICATE_SYNC_DONE));
    }
    let Some(shards) = inner.committee.shards.get(&cap.node_id).cloned() else {
        return Err(abort_in(INNER, "epoch_sync_done", E_NOT_IN_COMMITTEE));
    };
    cap.last_epoch_sync_done = epoch;
    call.write(args, 1, &cap)?;
    let weight = shards.len() as u16;
    call.emit(tag::<ShardsReceived>(), &ShardsReceived { epoch, node_id: cap.node_id, shards });
    if let EpochState::EpochChangeSync(synced) = inner.epoch_state {
        let synced = synced + weight;
        // Quorum, in the protocol's form: 3w >= 2n + 1.
        #[allow(clippy::int_plus_one)]
        let quorum = 3 * u64::from(synced) >= 2 * u64::from(inner.n_shards) + 1;
        if quorum {
            state.inner.epoch_state = EpochState::EpochChangeDone(now);
            call.emit(tag::<EpochChangeDone>(), &EpochChangeDone { epoch });
        } else {
            state.inner.epoch_state = EpochState::EpochChangeSync(synced);
        }
    }
    state.save(call)
}
