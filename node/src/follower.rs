//! The chain follower: reads every checkpoint from the node's cursor on (floe-chain's gapless
//! stream), turns floe's events into [`ChainChange`]s and [`Duty`]s, applies each checkpoint to
//! the [`ChainState`] in one transaction, then brings the node's storage in line:
//!
//! | event | state change | afterwards |
//! |---|---|---|
//! | `BlobRegistered` | the blob's object is registered | the API accepts its metadata and slivers; those it held, uploaded before the registration ([`crate::pending`]), are stored |
//! | `BlobCertified` (also extensions) | certified, end epoch extended | duty: recover missing slivers |
//! | `BlobDeleted`, `InvalidBlobID` | object removed / blob invalid | `sync_blob` drops dead data |
//! | `EpochChangeStart`, `EpochChangeDone` | the committee read from the chain (the old one kept as the previous) | `collect_garbage`; shards held neither now nor in the previous epoch are dropped; duties: `epoch_sync_done` if a member, a shard sync per gained shard |
//! | `ShardsReceived` (current epoch) | none | the reported shards this node held before and no longer holds are dropped: their new owner has them |
//! | `EpochChangeDone` (a member's epoch) | as above | duty: open the epoch's challenge window in turn ([`crate::challenges`]) |
//! | `ChallengeWindowOpened` (a member's epoch) | none | duty: challenge the committee and record outcomes |
//!
//! The committee is read through a [`CommitteeSource`] (the chain's System and Staking objects
//! in production, anything in tests) when an event names an epoch newer than the node's.
//!
//! ```no_run
//! # async fn example(
//! #     client: floe_chain::ChainClient,
//! #     packages: floe_chain::Packages,
//! #     state: std::sync::Arc<floe_node::chain_state::ChainState>,
//! #     node: std::sync::Arc<floe_node::StorageNode>,
//! #     committees: std::sync::Arc<dyn floe_node::follower::CommitteeSource>,
//! # ) {
//! use floe_node::follower::Follower;
//!
//! let (stop, stopped) = tokio::sync::watch::channel(false);
//! let follower = Follower::new(client, packages, state, node, committees);
//! let task = tokio::spawn(follower.run(stopped));
//! // ... later:
//! stop.send_replace(true);
//! task.await.unwrap().unwrap();
//! # }
//! ```

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use backon::{ExponentialBuilder, Retryable};
use floe_chain::{
    ChainClient, Checkpoint, ClientError, Packages, StreamPolicy,
    floe::{DecodeError, FloeEvent, state::StateError},
};
use floe_encoder::{BlobId, Epoch, ShardIndex};
use futures::{StreamExt, future::BoxFuture};
use tokio::sync::{Notify, watch};

use crate::{
    chain_state::{ChainChange, ChainState, ChainStateError, Duty},
    chain_view::ChainView,
    chain_view::{Committee, CommitteeError},
    node::StorageNode,
};

/// Attempts at reading a new epoch's committee before the follower gives up.
pub const COMMITTEE_READ_ATTEMPTS: usize = 8;

/// The first pause between committee reads (doubling, at most [`COMMITTEE_READ_MAX_DELAY`]).
pub const COMMITTEE_READ_DELAY: Duration = Duration::from_millis(200);

/// The longest pause between committee reads.
pub const COMMITTEE_READ_MAX_DELAY: Duration = Duration::from_secs(5);

/// Why the committee could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CommitteeSourceError {
    /// The chain's System and Staking objects could not be read (boxed: the error stays small).
    #[error("reading the committee: {0}")]
    Read(#[source] Box<StateError>),
    /// The chain's committee is not one the node can work with.
    #[error("reading the committee: the chain's committee is invalid: {0}")]
    Invalid(#[from] CommitteeError),
    /// The chain has not reached the epoch the checkpoint stream announced.
    #[error(
        "reading the committee: the chain still shows the committee of epoch {shown}, expected {expected} or later"
    )]
    Behind {
        /// The committee's epoch on chain.
        shown: Epoch,
        /// The epoch expected.
        expected: Epoch,
    },
}

impl From<StateError> for CommitteeSourceError {
    fn from(error: StateError) -> Self {
        Self::Read(Box::new(error))
    }
}

/// Where the follower reads the current committee when the epoch changes.
pub trait CommitteeSource: Send + Sync + 'static {
    /// The chain's current committee, with every member's shards and HTTP address.
    fn current(&self) -> BoxFuture<'_, Result<Committee, CommitteeSourceError>>;
}

impl std::fmt::Debug for dyn CommitteeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CommitteeSource")
    }
}

/// Why following stopped.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The checkpoint stream gave up (after its retry policy) or sent an undecodable checkpoint.
    #[error("checkpoint stream: {0}")]
    Chain(#[from] ClientError),
    /// An event has a floe type but not its layout: the deployment and this node disagree.
    #[error("checkpoint {sequence_number}: {source}")]
    Decode {
        /// The checkpoint.
        sequence_number: u64,
        /// The decoding error (names the type).
        source: DecodeError,
    },
    /// The committee of a new epoch could not be read.
    #[error("checkpoint {sequence_number} starts epoch {epoch}: {source}")]
    Committee {
        /// The checkpoint.
        sequence_number: u64,
        /// The epoch the event names.
        epoch: Epoch,
        /// The last failure.
        source: CommitteeSourceError,
    },
    /// The chain state could not be written.
    #[error("applying checkpoint {sequence_number}: {source}")]
    State {
        /// The checkpoint.
        sequence_number: u64,
        /// The storage error.
        source: ChainStateError,
    },
    /// The stream ended, which a checkpoint stream never does on its own.
    #[error("the checkpoint stream ended")]
    Ended,
    /// A blocking task panicked.
    #[error("follower task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What one checkpoint means for the node.
#[derive(Debug, Default)]
struct Plan {
    changes: Vec<ChainChange>,
    duties: BTreeSet<Duty>,
    /// Blobs whose stored data may have to go (deleted or invalidated).
    to_sync: BTreeSet<BlobId>,
    committee_changed: bool,
    /// After an epoch change: the shards this node may keep (held now or in the previous epoch,
    /// whose new owners may still be pulling them); every other stored shard is dropped.
    keep_shards: Option<BTreeSet<ShardIndex>>,
    /// Shards whose new owner reported them received: dropped here unless held now.
    released_shards: BTreeSet<ShardIndex>,
}

/// Follows the chain for one node.
#[derive(Debug)]
pub struct Follower {
    client: ChainClient,
    packages: Packages,
    state: Arc<ChainState>,
    node: Arc<StorageNode>,
    committees: Arc<dyn CommitteeSource>,
    duties_added: Arc<Notify>,
    policy: StreamPolicy,
}

impl Follower {
    /// A follower of `client`'s chain for floe's `packages`, writing to `state` and acting on
    /// `node` (which must read the chain through the same `state`).
    pub fn new(
        client: ChainClient,
        packages: Packages,
        state: Arc<ChainState>,
        node: Arc<StorageNode>,
        committees: Arc<dyn CommitteeSource>,
    ) -> Self {
        Self {
            client,
            packages,
            state,
            node,
            committees,
            duties_added: Arc::new(Notify::new()),
            policy: StreamPolicy::default(),
        }
    }

    /// Retries the checkpoint stream with `policy` instead of forever.
    pub fn with_stream_policy(mut self, policy: StreamPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Signalled whenever a checkpoint recorded new duties (the duty worker waits on it).
    pub fn with_duty_signal(mut self, signal: Arc<Notify>) -> Self {
        self.duties_added = signal;
        self
    }

    /// Follows until `shutdown` turns true (then returns `Ok` after the checkpoint at hand is
    /// applied) or following fails.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> Result<(), FollowError> {
        let start = self.state.next_checkpoint();
        tracing::info!(start, "storage node following the chain");
        let stream = self.client.checkpoints_from_with(start, self.policy);
        let mut stream = std::pin::pin!(stream);
        loop {
            tokio::select! {
                () = stopped(&mut shutdown) => return Ok(()),
                item = stream.next() => match item {
                    Some(Ok(checkpoint)) => self.apply(&checkpoint).await?,
                    Some(Err(error)) => return Err(error.into()),
                    None => return Err(FollowError::Ended),
                },
            }
        }
    }

    async fn apply(&self, checkpoint: &Checkpoint) -> Result<(), FollowError> {
        let sequence_number = checkpoint.sequence_number;
        let plan = self.plan(checkpoint).await?;
        let state = self.state.clone();
        let registered: Vec<BlobId> = plan
            .changes
            .iter()
            .filter_map(|change| match change {
                ChainChange::Registered { blob_id, .. } => Some(*blob_id),
                _ => None,
            })
            .collect();
        let changes = plan.changes;
        let duties: Vec<Duty> = plan.duties.into_iter().collect();
        let has_duties = !duties.is_empty();
        tokio::task::spawn_blocking(move || state.apply_checkpoint(sequence_number, &changes, &duties))
            .await
            .map_err(FollowError::Task)?
            .map_err(|source| FollowError::State { sequence_number, source })?;
        if has_duties {
            self.duties_added.notify_one();
        }
        if self.node.pending().held_bytes() > 0 {
            let node = self.node.clone();
            let done = tokio::task::spawn_blocking(move || store_held(&node, &registered)).await;
            if let Err(error) = done {
                tracing::warn!(sequence_number, %error, "storing data held until registration failed");
            }
        }
        if !plan.to_sync.is_empty() || plan.committee_changed || !plan.released_shards.is_empty() {
            let node = self.node.clone();
            let (to_sync, collect) = (plan.to_sync, plan.committee_changed);
            let (keep, released) = (plan.keep_shards, plan.released_shards);
            // A failure here only delays the deletion: the runner collects garbage at start.
            let done = tokio::task::spawn_blocking(move || {
                sync_storage(&node, &to_sync, collect);
                drop_moved_shards(&node, keep.as_ref(), &released);
            })
            .await;
            if let Err(error) = done {
                tracing::warn!(sequence_number, %error, "syncing storage after a checkpoint failed");
            }
        }
        Ok(())
    }

    async fn plan(&self, checkpoint: &Checkpoint) -> Result<Plan, FollowError> {
        let sequence_number = checkpoint.sequence_number;
        let mut committee = self.state.committee();
        let mut plan = Plan::default();
        for transaction in checkpoint.transactions.iter().filter(|transaction| transaction.succeeded()) {
            for event in &transaction.events {
                let event = FloeEvent::from_event(&self.packages, event)
                    .map_err(|source| FollowError::Decode { sequence_number, source })?;
                match event {
                    FloeEvent::BlobRegistered(e) => plan.changes.push(ChainChange::Registered {
                        blob_id: e.blob_id,
                        object_id: e.object_id,
                        end_epoch: e.end_epoch,
                        deletable: e.deletable,
                    }),
                    FloeEvent::BlobCertified(e) => {
                        plan.changes.push(ChainChange::Certified {
                            blob_id: e.blob_id,
                            object_id: e.object_id,
                            epoch: e.epoch,
                            end_epoch: e.end_epoch,
                        });
                        // An extension needs no data, but a node that missed the original
                        // upload learns here that it is certified; the duty checks first.
                        plan.duties.insert(Duty::Recover(e.blob_id));
                    }
                    FloeEvent::BlobDeleted(e) => {
                        plan.changes.push(ChainChange::Deleted { blob_id: e.blob_id, object_id: e.object_id });
                        plan.to_sync.insert(e.blob_id);
                    }
                    FloeEvent::InvalidBlobID(e) => {
                        plan.changes.push(ChainChange::Invalidated { blob_id: e.blob_id });
                        plan.to_sync.insert(e.blob_id);
                        plan.duties.remove(&Duty::Recover(e.blob_id));
                    }
                    FloeEvent::EpochChangeStart(e) if e.epoch > committee.epoch() => {
                        self.change_committee(sequence_number, e.epoch, &mut committee, &mut plan).await?;
                    }
                    FloeEvent::EpochChangeDone(e) => {
                        if e.epoch > committee.epoch() {
                            self.change_committee(sequence_number, e.epoch, &mut committee, &mut plan).await?;
                        }
                        // The epoch's shards have settled: its challenges may begin.
                        if e.epoch == committee.epoch() && !committee.shards_of(&self.node.public_key()).is_empty() {
                            plan.duties.insert(Duty::OpenChallengeWindow(e.epoch));
                        }
                    }
                    FloeEvent::ChallengeWindowOpened(e)
                        if e.epoch == committee.epoch() && !committee.shards_of(&self.node.public_key()).is_empty() =>
                    {
                        match <[u8; 32]>::try_from(e.seed.as_slice()) {
                            Ok(seed) => {
                                plan.duties.remove(&Duty::OpenChallengeWindow(e.epoch));
                                plan.duties.insert(Duty::Challenge {
                                    epoch: e.epoch,
                                    seed,
                                    opened_at_ms: e.opened_at_ms,
                                });
                            }
                            Err(_) => tracing::warn!(
                                sequence_number,
                                epoch = e.epoch,
                                len = e.seed.len(),
                                "challenge window with a seed of the wrong length; not taking part"
                            ),
                        }
                    }
                    FloeEvent::ShardsReceived(e) if e.epoch == committee.epoch() => {
                        plan.released_shards.extend(e.shards.iter().copied().map(ShardIndex));
                    }
                    _ => {}
                }
            }
        }
        Ok(plan)
    }

    /// Reads the committee of `epoch` (or later) and plans the switch to it.
    async fn change_committee(
        &self,
        sequence_number: u64,
        epoch: Epoch,
        committee: &mut Arc<Committee>,
        plan: &mut Plan,
    ) -> Result<(), FollowError> {
        let new = self.committee_of(sequence_number, epoch).await?;
        let own_key = self.node.public_key();
        let before: BTreeSet<_> = committee.shards_of(&own_key).into_iter().collect();
        let after: BTreeSet<_> = new.shards_of(&own_key).into_iter().collect();
        tracing::info!(
            sequence_number,
            epoch = new.epoch(),
            shards = after.len(),
            "new committee; this node holds {} shards (was {})",
            after.len(),
            before.len()
        );
        if !after.is_empty() && new.epoch() > committee.epoch() {
            plan.duties.insert(Duty::EpochSyncDone(new.epoch()));
        }
        // Shards gained are pulled from their previous owners (the sync falls back to recovery).
        for shard in after.difference(&before) {
            plan.duties.insert(Duty::SyncShard { epoch: new.epoch(), shard: *shard });
        }
        plan.keep_shards = Some(before.union(&after).copied().collect());
        // Reports from the ended epoch no longer release anything.
        plan.released_shards.clear();
        *committee = Arc::new(new.clone());
        plan.changes.push(ChainChange::CommitteeChanged(new));
        plan.committee_changed = true;
        Ok(())
    }

    async fn committee_of(&self, sequence_number: u64, epoch: Epoch) -> Result<Committee, FollowError> {
        let read = || async {
            let committee = self.committees.current().await?;
            if committee.epoch() < epoch {
                return Err(CommitteeSourceError::Behind { shown: committee.epoch(), expected: epoch });
            }
            Ok(committee)
        };
        let backoff = ExponentialBuilder::default()
            .with_min_delay(COMMITTEE_READ_DELAY)
            .with_max_delay(COMMITTEE_READ_MAX_DELAY)
            .with_max_times(COMMITTEE_READ_ATTEMPTS - 1);
        read.retry(backoff)
            .notify(|error, delay| tracing::debug!(%error, ?delay, "retrying the committee read"))
            .await
            .map_err(|source| FollowError::Committee { sequence_number, epoch, source })
    }
}

/// Completes once `shutdown` turns true (or its sender is gone). The watch guard is dropped at
/// once: held across an await it would make the caller's future lose `Send`.
pub(crate) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Stores what the node held for the blobs `registered` in a checkpoint (uploaded before their
/// registration, see [`crate::pending`]) and forgets what it held too long. A failure (the disk's)
/// loses that data: the client finds the node's confirmation refused and uploads it again.
fn store_held(node: &StorageNode, registered: &[BlobId]) {
    for blob_id in registered {
        if let Err(error) = node.store_held(blob_id) {
            tracing::warn!(%blob_id, %error, "storing data held until its registration failed");
        }
    }
    node.pending().expire();
}

/// Drops the data of blobs that died in a checkpoint and, after an epoch change, of every blob
/// that expired.
fn sync_storage(node: &StorageNode, blobs: &BTreeSet<BlobId>, collect_garbage: bool) {
    for blob_id in blobs {
        // Only blobs the node holds data for have a recorded state in its store.
        match node.store().blob_info(blob_id) {
            Ok(Some(_)) => match node.sync_blob(blob_id) {
                Ok(true) => tracing::info!(%blob_id, "blob data deleted: nothing pays for it any more"),
                Ok(false) => {}
                Err(error) => tracing::warn!(%blob_id, %error, "syncing blob storage failed"),
            },
            Ok(None) => {}
            Err(error) => tracing::warn!(%blob_id, %error, "reading the stored blob state failed"),
        }
    }
    if collect_garbage {
        match node.collect_garbage() {
            Ok(deleted) if !deleted.is_empty() => tracing::info!(count = deleted.len(), "expired blobs deleted"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "garbage collection failed"),
        }
    }
}

/// Drops the stored shards this node no longer needs: after an epoch change those outside
/// `keep` (held neither now nor in the previous epoch), and those in `released` that it does not
/// hold now (their new owner reported them received).
fn drop_moved_shards(node: &StorageNode, keep: Option<&BTreeSet<ShardIndex>>, released: &BTreeSet<ShardIndex>) {
    let owned: BTreeSet<ShardIndex> = node.owned_shards().into_iter().collect();
    let stored = match node.store().stored_shards() {
        Ok(stored) => stored,
        Err(error) => {
            tracing::warn!(%error, "cannot list the stored shards");
            return;
        }
    };
    for shard in stored {
        let stale = keep.is_some_and(|keep| !keep.contains(&shard));
        if owned.contains(&shard) || !(stale || released.contains(&shard)) {
            continue;
        }
        match node.store().drop_shard(shard) {
            Ok(()) => tracing::info!(%shard, "shard dropped: it moved to another node, which holds it now"),
            Err(error) => tracing::warn!(%shard, %error, "dropping a moved shard failed"),
        }
    }
}
