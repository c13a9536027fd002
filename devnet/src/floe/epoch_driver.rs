//! The devnet's end-of-epoch work: like Sui's end-of-epoch transactions, the devnet itself runs
//! `voting_end` half an epoch in and `initiate_epoch_change` once the epoch's time is up, as
//! system transactions through the same native code, each sealed into a checkpoint with its
//! events (the one that starts an epoch ends the Sui epoch too, so `GetEpoch` and transactions'
//! epoch follow floe's).
//!
//! Sync reports: as on Walrus, a new epoch's change is only done once nodes holding a quorum of
//! shards called `epoch_sync_done`; until then `voting_end` cannot run and the driver waits,
//! however long that takes. For networks without running nodes, [`EpochSchedule::complete_sync`]
//! lets the devnet report for the genesis nodes itself, as their operators.
//!
//! [`EpochSchedule::complete_sync`]: crate::EpochSchedule::complete_sync

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use floe_chain::floe::staking::{EpochState, StakingInnerV1, StorageNodeCap};
use floe_chain::floe::state::INNER_VERSION;
use sui_sdk_types::{Address, TypeTag};

use super::system_calls::Ptb;
use super::tag;
use crate::config::EpochSchedule;
use crate::dynamic_field::{Field, field_id};
use crate::framework::CLOCK;
use crate::ledger::Ledger;
use crate::system_transaction::SystemTransactionError;

/// How long the driver leaves a step that failed before trying it again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// The Staking object's inner state as the ledger holds it now.
pub(crate) fn read_staking(ledger: &Ledger, staking: Address) -> Option<StakingInnerV1> {
    let object = ledger.object(&field_id(staking, &TypeTag::U64, &INNER_VERSION))?;
    let field: Field<u64, StakingInnerV1> = bcs::from_bytes(object.as_struct()?.contents()).ok()?;
    Some(field.value)
}

/// `voting_end` (when `with_voting_end`) then `initiate_epoch_change`, in one transaction.
pub(crate) fn epoch_change_ptb(
    ledger: &Ledger,
    system: Address,
    staking: Address,
    with_voting_end: bool,
) -> Option<Ptb> {
    let mut ptb = Ptb::default();
    let staking = ptb.shared(&ledger.object(&staking)?, true)?;
    let clock = ptb.shared(&ledger.object(&CLOCK)?, false)?;
    let system = ptb.shared(&ledger.object(&system)?, true)?;
    if with_voting_end {
        ptb.floe_call("staking", "voting_end", vec![staking, clock]);
    }
    ptb.floe_call("staking", "initiate_epoch_change", vec![staking, system, clock]);
    Some(ptb)
}

fn voting_end_ptb(ledger: &Ledger, staking: Address) -> Option<Ptb> {
    let mut ptb = Ptb::default();
    let staking = ptb.shared(&ledger.object(&staking)?, true)?;
    let clock = ptb.shared(&ledger.object(&CLOCK)?, false)?;
    ptb.floe_call("staking", "voting_end", vec![staking, clock]);
    Some(ptb)
}

/// Why an epoch could not be advanced on demand.
#[derive(Debug, thiserror::Error)]
pub enum EpochAdvanceError {
    /// The devnet has no floe System and Staking objects.
    #[error("this devnet has no floe System/Staking objects")]
    NoFloe,
    /// The current epoch's change is not done: nodes have not reported their shards.
    #[error(
        "epoch {epoch} is still syncing: nodes holding {synced} of {n_shards} shards reported epoch_sync_done, a quorum is needed before the next epoch"
    )]
    WaitingForSync {
        /// The current epoch.
        epoch: u32,
        /// The shard weight that reported so far.
        synced: u16,
        /// The number of shards.
        n_shards: u16,
    },
    /// The epoch-change transaction was refused or aborted.
    #[error("the epoch change failed: {0}")]
    Failed(#[source] SystemTransactionError),
}

fn run_step(ledger: &Ledger, sender: Address, ptb: Ptb, ends_epoch: bool) -> Result<(), EpochAdvanceError> {
    ledger.execute_system(sender, ptb.finish(ledger.tip()), ends_epoch).map(|_| ()).map_err(EpochAdvanceError::Failed)
}

/// Ends the current epoch now: moves the chain's clock to the epoch's end if it is not there
/// yet, then runs `voting_end` (unless done already) and `initiate_epoch_change`. Returns the
/// new epoch.
pub(crate) fn advance_now(ledger: &Ledger, system: Address, staking: Address) -> Result<u32, EpochAdvanceError> {
    let inner = read_staking(ledger, staking).ok_or(EpochAdvanceError::NoFloe)?;
    let with_voting_end = match inner.epoch_state {
        EpochState::EpochChangeSync(synced) => {
            return Err(EpochAdvanceError::WaitingForSync { epoch: inner.epoch, synced, n_shards: inner.n_shards });
        }
        EpochState::EpochChangeDone(_) => true,
        EpochState::NextParamsSelected => false,
    };
    if inner.epoch > 0 {
        let end = inner.epoch_start_ms + inner.epoch_duration_ms;
        let now = ledger.now_ms();
        if now < end {
            ledger.advance_clock(end - now);
        }
    }
    let ptb = epoch_change_ptb(ledger, system, staking, with_voting_end).ok_or(EpochAdvanceError::NoFloe)?;
    run_step(ledger, Address::ZERO, ptb, true)?;
    Ok(inner.epoch + 1)
}

/// What the schedule says to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    VotingEnd,
    EpochChange { with_voting_end: bool },
    Sync,
    Wait,
}

fn due(inner: &StakingInnerV1, now: u64) -> Step {
    // Epoch 0 has no committee: the first change is the genesis' (or someone's) to make. A
    // chain without pools (a signing committee written at genesis) has nobody to select.
    if inner.epoch == 0 || inner.pool_ids.is_empty() {
        return Step::Wait;
    }
    let half = inner.epoch_start_ms + inner.epoch_duration_ms / 2;
    let end = inner.epoch_start_ms + inner.epoch_duration_ms;
    match inner.epoch_state {
        EpochState::EpochChangeSync(_) => Step::Sync,
        EpochState::EpochChangeDone(_) if now >= end => Step::EpochChange { with_voting_end: true },
        EpochState::EpochChangeDone(_) if now >= half => Step::VotingEnd,
        EpochState::NextParamsSelected if now >= end => Step::EpochChange { with_voting_end: false },
        _ => Step::Wait,
    }
}

/// Reports `epoch_sync_done` for every committee node whose capability `operators` hold and
/// that has not reported for the current epoch.
fn report_sync(
    ledger: &Ledger,
    staking: Address,
    operators: &[Address],
    inner: &StakingInnerV1,
) -> Result<(), EpochAdvanceError> {
    for operator in operators {
        let (caps, _) = ledger.owned_objects(operator, Some(&tag::<StorageNodeCap>()), None, usize::MAX);
        for object in caps {
            let Some(cap) = object.as_struct().and_then(|s| bcs::from_bytes::<StorageNodeCap>(s.contents()).ok())
            else {
                continue;
            };
            if cap.last_epoch_sync_done >= inner.epoch || inner.committee.shards.get(&cap.node_id).is_none() {
                continue;
            }
            let mut ptb = Ptb::default();
            let staking_arg = ptb.shared(&ledger.object(&staking).ok_or(EpochAdvanceError::NoFloe)?, true);
            let clock = ptb.shared(&ledger.object(&CLOCK).ok_or(EpochAdvanceError::NoFloe)?, false);
            let (Some(staking_arg), Some(clock)) = (staking_arg, clock) else {
                return Err(EpochAdvanceError::NoFloe);
            };
            let cap_arg = ptb.owned(&object);
            let epoch = ptb.pure(&inner.epoch);
            ptb.floe_call("staking", "epoch_sync_done", vec![staking_arg, cap_arg, epoch, clock]);
            run_step(ledger, *operator, ptb, false)?;
        }
    }
    Ok(())
}

/// One look at the schedule: runs whatever step is due.
fn tick(
    ledger: &Ledger,
    system: Address,
    staking: Address,
    schedule: &EpochSchedule,
    operators: &[Address],
) -> Result<(), EpochAdvanceError> {
    let Some(inner) = read_staking(ledger, staking) else {
        return Ok(());
    };
    match due(&inner, ledger.now_ms()) {
        Step::Wait => Ok(()),
        Step::Sync if schedule.complete_sync => report_sync(ledger, staking, operators, &inner),
        Step::Sync => Ok(()),
        Step::VotingEnd if schedule.auto_advance => {
            run_step(ledger, Address::ZERO, voting_end_ptb(ledger, staking).ok_or(EpochAdvanceError::NoFloe)?, false)
        }
        Step::EpochChange { with_voting_end } if schedule.auto_advance => {
            let ptb = epoch_change_ptb(ledger, system, staking, with_voting_end).ok_or(EpochAdvanceError::NoFloe)?;
            run_step(ledger, Address::ZERO, ptb, true)
        }
        Step::VotingEnd | Step::EpochChange { .. } => Ok(()),
    }
}

/// The thread that follows the schedule.
#[derive(Debug)]
pub(crate) struct EpochDriver {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl EpochDriver {
    /// Starts following `schedule` for the floe objects `system` and `staking`; the devnet
    /// reports sync for the nodes of `operators` when the schedule says so.
    pub(crate) fn start(
        ledger: Arc<Ledger>,
        system: Address,
        staking: Address,
        schedule: EpochSchedule,
        operators: Vec<Address>,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("devnet-epochs".into())
            .spawn(move || {
                let mut resume_at = Instant::now();
                let mut last_error = String::new();
                while !stopping.load(Ordering::Relaxed) {
                    std::thread::sleep(schedule.poll);
                    if Instant::now() < resume_at {
                        continue;
                    }
                    match tick(&ledger, system, staking, &schedule, &operators) {
                        Ok(()) => last_error.clear(),
                        Err(e) => {
                            // A step that keeps failing (e.g. nobody has stake) is said once.
                            let error = e.to_string();
                            if error != last_error {
                                tracing::warn!(%error, "scheduled epoch step failed; retrying every {RETRY_AFTER:?}");
                            }
                            last_error = error;
                            resume_at = Instant::now() + RETRY_AFTER;
                        }
                    }
                }
            })
            .expect("spawning the epoch thread");
        Self { stop, thread }
    }

    /// Stops the thread and waits for it.
    pub(crate) fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        if self.thread.join().is_err() {
            tracing::error!("devnet epoch thread panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use floe_chain::floe::committee::Committee;
    use floe_chain::floe::framework::{Table, VecMap};

    fn inner(epoch: u32, state: EpochState) -> StakingInnerV1 {
        StakingInnerV1 {
            n_shards: 10,
            epoch_duration_ms: 1_000,
            max_committee_size: 10,
            epoch,
            epoch_start_ms: 10_000,
            pools: Table { id: Address::ZERO, size: 0 },
            pool_ids: vec![Address::ZERO],
            committee: Committee { shards: VecMap::default() },
            previous_committee: Committee { shards: VecMap::default() },
            next_committee: None,
            next_epoch_params: None,
            epoch_state: state,
            active_set: floe_chain::floe::staking::ActiveSet { max_size: 10, entries: vec![] },
            challenges: floe_chain::floe::challenges::ChallengeState::new(epoch),
        }
    }

    #[test]
    fn voting_ends_half_an_epoch_in_and_the_epoch_changes_at_its_end() {
        let done = inner(3, EpochState::EpochChangeDone(10_100));
        assert_eq!(due(&done, 10_499), Step::Wait);
        assert_eq!(due(&done, 10_500), Step::VotingEnd);
        assert_eq!(due(&done, 11_000), Step::EpochChange { with_voting_end: true });
        let selected = inner(3, EpochState::NextParamsSelected);
        assert_eq!(due(&selected, 10_999), Step::Wait);
        assert_eq!(due(&selected, 11_000), Step::EpochChange { with_voting_end: false });
    }

    #[test]
    fn a_syncing_epoch_waits_for_reports_and_a_chain_without_pools_or_committee_waits() {
        assert_eq!(due(&inner(3, EpochState::EpochChangeSync(4)), 99_999), Step::Sync);
        assert_eq!(due(&inner(0, EpochState::EpochChangeDone(0)), 99_999), Step::Wait);
        let without_pools = StakingInnerV1 { pool_ids: vec![], ..inner(3, EpochState::EpochChangeDone(0)) };
        assert_eq!(due(&without_pools, 99_999), Step::Wait);
    }
}
