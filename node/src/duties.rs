//! The duty worker: does in the background the work checkpoints left for the node
//! ([`Duty`]), which stays recorded in the [`ChainState`] until done, so a restart resumes it.
//!
//! - [`Duty::Recover`]: recovers the slivers of a certified blob that the node's shards lack
//!   ([`crate::recovery::recover_from_committee`]), a bounded number of blobs at a time, retried
//!   with exponential backoff while peers cannot help yet; while an upload to this node is still
//!   bringing the blob's data, it waits for the upload instead ([`crate::upload_activity`]). If
//!   recovery proves the blob inconsistently encoded, the node signs its invalid-blob-id
//!   attestation (the proof is kept in the store, and every peer signs the same on
//!   `POST .../inconsistencyProof`). Gathering 2f+1 attestations into a certificate and
//!   submitting `invalidate_blob_id` is not done here yet: any party holding the proof can do it
//!   through the peers' API.
//! - [`Duty::SyncShard`]: pulls a shard gained at an epoch change from its previous owner
//!   ([`crate::shard_sync`]), then records a recovery for every certified blob whose slivers on
//!   that shard are still missing (the source did not have them, was down, or lied).
//! - [`Duty::EpochSyncDone`]: once no shard sync and no recovery is pending, reports
//!   `staking::epoch_sync_done` with the node's `StorageNodeCap` ([`EpochSyncReporter`]): the
//!   node then holds every gained shard, and the shards' previous owners may drop them.
//!
//! A duty that still fails after its retries is set back (logged) and tried again after a pause
//! that doubles from [`DutySettings::retry_min_delay`] up to [`DutySettings::retry_max_delay`]
//! (backon's exponential backoff, with jitter), for as long as it is recorded: a recovery stays
//! recorded while its blob is certified, so a node that could not recover while too many peers
//! were down recovers once they return, at most `retry_max_delay` (plus one attempt) later,
//! without a restart. Recoveries of blobs no longer certified are dropped.

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder, Retryable};
use floe_chain::{
    ClientError,
    floe::{MoveType, ObjectMismatch, staking::StorageNodeCap},
};
use floe_encoder::{BlobId, Epoch, ShardIndex};
use sui_transaction_builder::ObjectInput;
use tokio::{
    sync::{Notify, watch},
    task::JoinSet,
};

use crate::{
    chain_state::{ChainState, Duty},
    chain_view::ChainView,
    challenges::{
        ChallengeSettings,
        round::{Window, open_window, run_round},
    },
    error::NodeError,
    follower::stopped,
    node::StorageNode,
    operator::{Operator, OperatorError},
    recovery::{RecoveryFailure, RecoverySettings, recover_from_committee},
    shard_sync::{SyncSettings, sync_shard},
};

/// The first pause before a duty that failed all its attempts is tried again (doubling).
pub const RETRY_MIN_DELAY: Duration = Duration::from_secs(2);

/// The longest pause before a duty that failed all its attempts is tried again.
pub const RETRY_MAX_DELAY: Duration = Duration::from_secs(30);

/// How long an upload under way must have been quiet before its blob is recovered. The client
/// keeps uploading to the slower nodes for a grace period after it has its certificate (the
/// client's `Settings::quorum_grace`: 0.5 s plus half the quorum's time), and a node's batches
/// follow one another far more closely than this; what is still missing after a pause this long
/// is not coming.
pub const UPLOAD_QUIET: Duration = Duration::from_secs(5);

/// How the duty worker paces itself.
#[derive(Debug, Clone)]
pub struct DutySettings {
    /// Blobs recovered at once.
    pub parallel_recoveries: usize,
    /// How recovery talks to peers (per request).
    pub recovery: RecoverySettings,
    /// Attempts at recovering one blob, the first included.
    pub recovery_attempts: usize,
    /// The first pause between attempts (doubling).
    pub recovery_retry_delay: Duration,
    /// Attempts at reporting `epoch_sync_done`.
    pub epoch_sync_attempts: usize,
    /// Shards pulled from their previous owners at once.
    pub parallel_shard_syncs: usize,
    /// How shard syncs talk to the previous owners.
    pub shard_sync: SyncSettings,
    /// How the node takes part in storage challenges.
    pub challenges: ChallengeSettings,
    /// The first pause before a duty that failed all its attempts is tried again.
    pub retry_min_delay: Duration,
    /// The longest such pause (the pauses double up to it).
    pub retry_max_delay: Duration,
    /// How long an upload to this node must have brought nothing before the recovery of its
    /// blob's missing slivers starts (see [`crate::upload_activity`]).
    pub upload_quiet: Duration,
}

impl Default for DutySettings {
    fn default() -> Self {
        Self {
            parallel_recoveries: 4,
            recovery: RecoverySettings::default(),
            recovery_attempts: 6,
            recovery_retry_delay: Duration::from_millis(500),
            epoch_sync_attempts: 5,
            parallel_shard_syncs: 2,
            shard_sync: SyncSettings::default(),
            challenges: ChallengeSettings::default(),
            retry_min_delay: RETRY_MIN_DELAY,
            retry_max_delay: RETRY_MAX_DELAY,
            upload_quiet: UPLOAD_QUIET,
        }
    }
}

/// How a duty ended.
enum Ended {
    /// Done, or pointless now: remove it.
    Finished,
    /// Failed after its retries: keep it, and try again after a pause.
    GivenUp,
    /// Not to be done yet (an upload under way brings what it would): keep it, and try again
    /// after this pause, without counting it as a failure.
    Deferred(Duration),
}

/// Duties set back after failing, each with its own growing pause.
#[derive(Default)]
struct SetBack {
    /// When each may start again.
    until: HashMap<Duty, Instant>,
    /// Each one's pauses so far (kept while it runs again, dropped once it finishes).
    backoff: HashMap<Duty, ExponentialBackoff>,
}

impl SetBack {
    /// Sets `duty` back by its next pause; returns the pause.
    fn set_back(&mut self, duty: Duty, settings: &DutySettings) -> Duration {
        let builder = ExponentialBuilder::default()
            .with_min_delay(settings.retry_min_delay.min(settings.retry_max_delay))
            .with_max_delay(settings.retry_max_delay)
            .with_jitter()
            .without_max_times();
        let pause = self
            .backoff
            .entry(duty)
            .or_insert_with(|| builder.build())
            .next()
            .unwrap_or(settings.retry_max_delay)
            .min(settings.retry_max_delay);
        self.until.insert(duty, Instant::now() + pause);
        pause
    }

    /// Sets `duty` back by `pause`, leaving its failures' pauses as they are.
    fn defer(&mut self, duty: Duty, pause: Duration) {
        self.until.insert(duty, Instant::now() + pause);
    }

    fn finished(&mut self, duty: &Duty) {
        self.until.remove(duty);
        self.backoff.remove(duty);
    }

    /// Lets the duties whose pause is over start again; returns when the next pause ends.
    fn release_due(&mut self) -> Option<Instant> {
        let now = Instant::now();
        self.until.retain(|_, until| *until > now);
        self.until.values().min().copied()
    }

    fn contains(&self, duty: &Duty) -> bool {
        self.until.contains_key(duty)
    }
}

/// Why `epoch_sync_done` could not be reported.
#[derive(Debug, thiserror::Error)]
pub enum EpochSyncError {
    /// The node's capability could not be read.
    #[error(transparent)]
    Chain(#[from] ClientError),
    /// The transaction was not executed.
    #[error(transparent)]
    Transaction(#[from] OperatorError),
    /// The node's account holds no `StorageNodeCap`.
    #[error("account {0} holds no StorageNodeCap; is this node registered as a candidate?")]
    NoCap(sui_sdk_types::Address),
    /// The capability does not decode.
    #[error("StorageNodeCap {id} does not decode: {reason}")]
    BadCap {
        /// The object.
        id: sui_sdk_types::Address,
        /// What it is instead.
        #[source]
        reason: ObjectMismatch,
    },
}

impl EpochSyncError {
    /// Worth another attempt: the chain did not answer (an abort or a missing cap will not change).
    fn is_transient(&self) -> bool {
        match self {
            Self::Chain(_) => true,
            Self::Transaction(error) => error.is_transient(),
            Self::NoCap(_) | Self::BadCap { .. } => false,
        }
    }
}

/// Reports `staking::epoch_sync_done` for the node through its operator account.
#[derive(Debug, Clone)]
pub struct EpochSyncReporter {
    operator: Operator,
}

impl EpochSyncReporter {
    /// A reporter for the node whose operator account is `operator`.
    pub fn new(operator: Operator) -> Self {
        Self { operator }
    }

    /// Calls `epoch_sync_done(epoch)` with the account's `StorageNodeCap`, unless the cap shows
    /// it was already reported. Returns whether a transaction was sent.
    pub async fn report(&self, epoch: Epoch) -> Result<bool, EpochSyncError> {
        let owner = self.operator.address();
        let cap_type = StorageNodeCap::struct_tag(&self.operator.deployment().packages);
        let caps = self.operator.client().owned_objects(owner, Some(&cap_type)).await?;
        let object = caps.first().ok_or(EpochSyncError::NoCap(owner))?;
        let cap = StorageNodeCap::from_object(&self.operator.deployment().packages, object)
            .map_err(|reason| EpochSyncError::BadCap { id: object.object_id(), reason })?;
        if cap.last_epoch_sync_done >= epoch {
            return Ok(false);
        }
        let cap = ObjectInput::owned(object.object_id(), object.version(), object.digest());
        self.operator
            .execute(floe_chain::gas_budget::CALL, |builder, calls| {
                let cap_argument = builder.object(cap);
                calls.epoch_sync_done(builder, cap_argument, epoch);
            })
            .await?;
        Ok(true)
    }
}

/// Works through the node's duties until shut down.
#[derive(Debug)]
pub struct DutyWorker {
    state: Arc<ChainState>,
    node: Arc<StorageNode>,
    /// The connection pool recovery reaches peers through.
    http: reqwest::Client,
    settings: DutySettings,
    epoch_sync: Option<EpochSyncReporter>,
    /// The node's own account, for its challenge transactions; without it the node answers
    /// challenges but does not challenge others.
    operator: Option<Operator>,
    wake: Arc<Notify>,
}

impl DutyWorker {
    /// A worker for `node`, whose duties `state` records; `wake` is signalled by the follower
    /// when it records new ones. Without `epoch_sync`, epoch-sync duties are dropped (logged).
    pub fn new(
        state: Arc<ChainState>,
        node: Arc<StorageNode>,
        settings: DutySettings,
        epoch_sync: Option<EpochSyncReporter>,
        wake: Arc<Notify>,
    ) -> Self {
        Self { state, node, http: reqwest::Client::new(), settings, epoch_sync, operator: None, wake }
    }

    /// Takes part in storage challenges with `operator`'s account: opens windows, challenges
    /// the committee, records outcomes.
    pub fn with_operator(mut self, operator: Operator) -> Self {
        self.operator = Some(operator);
        self
    }

    /// Runs until `shutdown` turns true; duties in progress are then abandoned (they stay
    /// recorded and resume after a restart).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut running: JoinSet<(Duty, Ended)> = JoinSet::new();
        let mut busy: HashSet<Duty> = HashSet::new();
        let mut set_back = SetBack::default();
        // The recorded duties as last read. Every certified blob leaves a recovery at every node,
        // so a busy node has thousands pending: a finished recovery is taken off this copy rather
        // than all of them read back and decoded after each. It is read again when the follower
        // or a repair records more, when a pause ends, and after any other duty (a shard sync
        // records recoveries of its own).
        let mut recorded: Option<BTreeSet<Duty>> = None;
        loop {
            let next_retry = set_back.release_due();
            this.schedule(&mut recorded, &mut running, &mut busy, &set_back);
            let retry_at = next_retry.map_or_else(
                || tokio::time::Instant::now() + this.settings.retry_max_delay,
                tokio::time::Instant::from_std,
            );
            tokio::select! {
                () = stopped(&mut shutdown) => return,
                () = this.wake.notified() => recorded = None,
                () = tokio::time::sleep_until(retry_at) => recorded = None,
                Some(joined) = running.join_next() => match joined {
                    Ok((duty, ended)) => {
                        busy.remove(&duty);
                        match (&mut recorded, duty) {
                            (Some(recorded), Duty::Recover(_)) if matches!(ended, Ended::Finished) => {
                                recorded.remove(&duty);
                            }
                            // Still recorded, and nothing else changed.
                            (Some(_), Duty::Recover(_)) if matches!(ended, Ended::Deferred(_)) => {}
                            _ => recorded = None,
                        }
                        match ended {
                            Ended::Finished => match this.state.finish(&duty) {
                                Ok(()) => set_back.finished(&duty),
                                Err(error) => {
                                    let pause = set_back.set_back(duty, &this.settings);
                                    tracing::warn!(?duty, %error, ?pause, "cannot mark the duty done");
                                }
                            },
                            Ended::GivenUp => {
                                let pause = set_back.set_back(duty, &this.settings);
                                tracing::info!(?duty, ?pause, "duty set back; it is tried again after the pause");
                            }
                            Ended::Deferred(pause) => {
                                set_back.defer(duty, pause);
                                tracing::debug!(?duty, ?pause, "an upload is under way; the duty waits for it");
                            }
                        }
                    }
                    Err(error) => tracing::error!(%error, "a duty task failed"),
                },
            }
        }
    }

    /// Starts the recorded duties that may start now; `recorded` is read from the state first if
    /// it is `None`.
    fn schedule(
        self: &Arc<Self>,
        recorded: &mut Option<BTreeSet<Duty>>,
        running: &mut JoinSet<(Duty, Ended)>,
        busy: &mut HashSet<Duty>,
        given_up: &SetBack,
    ) {
        if recorded.is_none() {
            match self.state.duties() {
                Ok(duties) => *recorded = Some(duties.into_iter().collect()),
                Err(error) => {
                    tracing::warn!(%error, "cannot read the pending duties");
                    return;
                }
            }
        }
        let Some(duties) = recorded.as_ref() else { return };
        let data_pending = duties
            .iter()
            .any(|duty| matches!(duty, Duty::Recover(_) | Duty::SyncShard { .. }) && !given_up.contains(duty));
        let epoch_sync_pending = duties.iter().any(|duty| matches!(duty, Duty::EpochSyncDone(_)));
        let running_of = |busy: &HashSet<Duty>, kind: fn(&Duty) -> bool| busy.iter().filter(|duty| kind(duty)).count();
        for &duty in duties {
            if busy.contains(&duty) || given_up.contains(&duty) {
                continue;
            }
            let may_start = match duty {
                Duty::Recover(_) => {
                    running_of(busy, |duty| matches!(duty, Duty::Recover(_))) < self.settings.parallel_recoveries.max(1)
                }
                Duty::SyncShard { .. } => {
                    running_of(busy, |duty| matches!(duty, Duty::SyncShard { .. }))
                        < self.settings.parallel_shard_syncs.max(1)
                }
                // The node reports its epoch synced once it holds its shards' data.
                Duty::EpochSyncDone(_) => !data_pending,
                // The node's own transactions share its gas coin: challenges wait for its
                // epoch_sync_done, which the epoch change needs more urgently.
                Duty::OpenChallengeWindow(_) | Duty::Challenge { .. } => !epoch_sync_pending,
            };
            if may_start {
                busy.insert(duty);
                let this = self.clone();
                running.spawn(async move {
                    let ended = match duty {
                        Duty::Recover(blob_id) => this.recover(blob_id).await,
                        Duty::EpochSyncDone(epoch) => this.report_epoch_sync(epoch).await,
                        Duty::SyncShard { epoch, shard } => this.sync_shard(epoch, shard).await,
                        Duty::OpenChallengeWindow(epoch) => this.open_challenge_window(epoch).await,
                        Duty::Challenge { epoch, seed, opened_at_ms } => {
                            this.challenge(Window { epoch, seed, opened_at_ms }).await
                        }
                    };
                    (duty, ended)
                });
            }
        }
    }

    /// Recovers what this node lacks of certified blob `blob_id`, and makes what it holds of it
    /// durable: an upload's writes wait for a confirmation to be synced, and a node the client
    /// no longer asked (it had its certificate) would lose them in a crash with no duty left to
    /// bring them back.
    async fn recover(&self, blob_id: BlobId) -> Ended {
        let ended = self.recover_missing(blob_id).await;
        if !matches!(ended, Ended::Finished) {
            return ended;
        }
        let node = self.node.clone();
        match tokio::task::spawn_blocking(move || node.persist_blob(&blob_id)).await {
            Ok(Ok(_)) => Ended::Finished,
            Ok(Err(error)) => {
                tracing::warn!(%blob_id, %error, "cannot sync the blob's data to disk");
                Ended::GivenUp
            }
            Err(error) => {
                tracing::warn!(%blob_id, %error, "syncing the blob's data to disk failed");
                Ended::GivenUp
            }
        }
    }

    async fn recover_missing(&self, blob_id: BlobId) -> Ended {
        if let Some(wait) = self.node.upload_wait(&blob_id, self.settings.upload_quiet) {
            // The blob was certified while this node's share was still on its way: recovering
            // now would rebuild from peers what the upload is bringing (see
            // `crate::upload_activity`). Wait only if something is still missing.
            let node = self.node.clone();
            let missing = tokio::task::spawn_blocking(move || -> Result<bool, NodeError> {
                Ok(!node.missing_slivers(&blob_id)?.is_empty() || !node.has_metadata(&blob_id)?)
            })
            .await;
            match missing {
                Ok(Ok(false)) => return Ended::Finished,
                Ok(Ok(true)) => return Ended::Deferred(wait),
                // Recovery below reads the same and says what failed.
                Ok(Err(_)) | Err(_) => {}
            }
        }
        let attempt = || recover_from_committee(&self.node, &self.http, blob_id, &self.settings.recovery);
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.settings.recovery_retry_delay)
            .with_max_times(self.settings.recovery_attempts.saturating_sub(1));
        let result = attempt
            .retry(backoff)
            .when(|failure| {
                matches!(failure, RecoveryFailure::NoMetadata { .. } | RecoveryFailure::NotEnoughSymbols { .. })
            })
            .notify(|failure, delay| tracing::debug!(%blob_id, %failure, ?delay, "recovery will be retried"))
            .await;
        match result {
            Ok(outcome) => {
                if !outcome.recovered.is_empty() {
                    tracing::info!(%blob_id, slivers = outcome.recovered.len(), "slivers recovered from peers");
                }
                if let Some(proof) = outcome.inconsistency {
                    self.attest_invalid(blob_id, &proof).await;
                }
                Ended::Finished
            }
            // Deleted, expired or invalidated meanwhile: nothing to recover.
            Err(RecoveryFailure::NotCertified(_)) => Ended::Finished,
            Err(failure) => {
                tracing::warn!(%blob_id, %failure, "recovery failed for now; retried with backoff while the blob is certified");
                Ended::GivenUp
            }
        }
    }

    /// Pulls `shard` from its previous owner, then leaves to recovery whatever is still missing.
    async fn sync_shard(&self, epoch: Epoch, shard: ShardIndex) -> Ended {
        let current = self.state.current_epoch();
        let owned = self.node.owned_shards().contains(&shard);
        if epoch == current && owned {
            let own_key = self.node.public_key();
            let source = self
                .state
                .previous_committee()
                .and_then(|previous| previous.holder_of(shard).cloned())
                .filter(|holder| holder.public_key != own_key);
            match source {
                Some(source) => {
                    let started = Instant::now();
                    let url = source.http_address.clone();
                    let source = source.client(&self.http);
                    match sync_shard(&self.node, &source, epoch, shard, &self.settings.shard_sync).await {
                        Ok(outcome) => tracing::info!(
                            %shard,
                            epoch,
                            from = %url,
                            slivers = outcome.slivers,
                            bytes = outcome.bytes,
                            millis = started.elapsed().as_millis() as u64,
                            "shard pulled from its previous owner"
                        ),
                        Err(error) => tracing::warn!(%shard, epoch, %error, "shard sync failed; recovering instead"),
                    }
                }
                None => tracing::info!(%shard, epoch, "no previous owner to pull the shard from; recovering it"),
            }
        } else if !owned {
            // The shard moved on again before it was synced: nothing to do for it here.
            return Ended::Finished;
        }
        // Whatever the source did not provide (or an epoch already over) is recovered.
        match self.recoveries_for_shard(shard).await {
            Ok(()) => Ended::Finished,
            Err(error) => {
                tracing::error!(%shard, %error, "cannot plan the recovery of a gained shard");
                Ended::GivenUp
            }
        }
    }

    /// Records a recovery for every certified blob whose slivers on `shard` are not stored.
    async fn recoveries_for_shard(&self, shard: ShardIndex) -> Result<(), crate::NodeError> {
        let (state, node) = (self.state.clone(), self.node.clone());
        let added = tokio::task::spawn_blocking(move || -> Result<usize, crate::NodeError> {
            let mut added = 0;
            for blob_id in state.certified_blobs() {
                if node.missing_slivers(&blob_id)?.iter().any(|missing| missing.shard == shard) {
                    state.add_duty(&Duty::Recover(blob_id))?;
                    added += 1;
                }
            }
            Ok(added)
        })
        .await
        .map_err(crate::NodeError::Task)??;
        if added > 0 {
            tracing::info!(%shard, blobs = added, "blobs of a gained shard left to recovery");
        }
        Ok(())
    }

    /// Signs "this blob is invalid" over the proof recovery found, as the node would for a peer.
    async fn attest_invalid(&self, blob_id: BlobId, proof: &floe_encoder::inconsistency::InconsistencyProof) {
        let body = bcs::to_bytes(proof).expect("BCS of plain data cannot fail");
        let axis = proof.target_axis();
        let node = self.node.clone();
        match tokio::task::spawn_blocking(move || node.attest_invalid(&blob_id, axis, &body)).await {
            Ok(Ok(_signed)) => tracing::warn!(
                %blob_id,
                "blob is inconsistently encoded; this node signed its invalid-blob-id attestation \
                 (aggregating a certificate for invalidate_blob_id is left to whoever holds the proof)"
            ),
            Ok(Err(error)) => tracing::error!(%blob_id, %error, "cannot attest the inconsistency"),
            Err(error) => tracing::error!(%blob_id, %error, "attestation task failed"),
        }
    }

    async fn open_challenge_window(&self, epoch: Epoch) -> Ended {
        let Some(operator) = &self.operator else { return Ended::Finished };
        if self.state.current_epoch() != epoch {
            return Ended::Finished;
        }
        match open_window(&self.node, operator, &self.settings.challenges, epoch).await {
            Ok(true) => {
                tracing::info!(epoch, "challenge window opened");
                Ended::Finished
            }
            Ok(false) => Ended::Finished,
            Err(error) => {
                tracing::warn!(epoch, %error, "opening the challenge window failed; trying again later");
                Ended::GivenUp
            }
        }
    }

    async fn challenge(&self, window: Window) -> Ended {
        let Some(operator) = &self.operator else { return Ended::Finished };
        if self.state.current_epoch() != window.epoch {
            return Ended::Finished;
        }
        let round =
            run_round(self.node.clone(), self.state.clone(), operator, &self.http, &self.settings.challenges, window);
        match round.await {
            Ok(()) => Ended::Finished,
            Err(error) => {
                tracing::warn!(epoch = window.epoch, %error, "challenge round interrupted; resuming later");
                Ended::GivenUp
            }
        }
    }

    async fn report_epoch_sync(&self, epoch: Epoch) -> Ended {
        let Some(reporter) = &self.epoch_sync else {
            tracing::info!(epoch, "no Sui key configured: epoch_sync_done not reported");
            return Ended::Finished;
        };
        let backoff = ExponentialBuilder::default().with_max_times(self.settings.epoch_sync_attempts.saturating_sub(1));
        match (|| reporter.report(epoch)).retry(backoff).when(EpochSyncError::is_transient).await {
            Ok(sent) => {
                tracing::info!(epoch, sent, "epoch_sync_done reported");
                Ended::Finished
            }
            Err(error) if error.is_transient() => {
                tracing::warn!(epoch, %error, "epoch_sync_done failed for now; retried with backoff");
                Ended::GivenUp
            }
            Err(error) => {
                tracing::error!(epoch, %error, "epoch_sync_done refused; not retried");
                Ended::Finished
            }
        }
    }
}
