//! Following the chain checkpoint by checkpoint from any sequence number: backfill with
//! `GetCheckpoint`, then follow `SubscribeCheckpoints`, repairing gaps and reconnecting with
//! exponential backoff, so every checkpoint is delivered exactly once and in order.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use futures::{Stream, StreamExt};
use sui_rpc::field::FieldMaskUtil;
use sui_rpc::proto::sui::rpc::v2 as proto;

use crate::checkpoint::{CHECKPOINT_FIELDS, Checkpoint};
use crate::client::{ChainClient, ClientError};

/// How persistent the stream is when the node misbehaves or goes away.
#[derive(Debug, Clone, Copy)]
pub struct StreamPolicy {
    /// First reconnection delay.
    pub min_delay: Duration,
    /// Largest reconnection delay.
    pub max_delay: Duration,
    /// Consecutive failures after which the stream yields the error and ends; `None` = never.
    pub max_attempts: Option<usize>,
}

impl Default for StreamPolicy {
    fn default() -> Self {
        Self { min_delay: Duration::from_millis(100), max_delay: Duration::from_secs(5), max_attempts: None }
    }
}

type Subscription = tonic::Streaming<proto::SubscribeCheckpointsResponse>;

/// The state behind the stream returned by [`ChainClient::checkpoints_from`].
struct Follower {
    client: ChainClient,
    next: u64,
    subscription: Option<Subscription>,
    /// A frame from the subscription that is ahead of `next`.
    ahead: Option<Checkpoint>,
    policy: StreamPolicy,
    done: bool,
}

impl Follower {
    fn backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        let mut builder = ExponentialBuilder::default()
            .with_min_delay(self.policy.min_delay)
            .with_max_delay(self.policy.max_delay)
            .with_jitter();
        builder = match self.policy.max_attempts {
            Some(n) => builder.with_max_times(n),
            None => builder.without_max_times(),
        };
        builder.build()
    }

    /// The next checkpoint, retrying transient failures per the policy.
    async fn next_checkpoint(&mut self) -> Result<Checkpoint, ClientError> {
        let mut backoff = self.backoff();
        loop {
            match self.try_next().await {
                Ok(checkpoint) => return Ok(checkpoint),
                // A checkpoint the node sends but we cannot decode will not get better.
                Err(e @ ClientError::Checkpoint(_)) => return Err(e),
                Err(e) => match backoff.next() {
                    Some(delay) => {
                        tracing::debug!(error = %e, ?delay, next = self.next, "checkpoint stream retrying");
                        self.subscription = None;
                        tokio::time::sleep(delay).await;
                    }
                    None => return Err(e),
                },
            }
        }
    }

    async fn try_next(&mut self) -> Result<Checkpoint, ClientError> {
        let wanted = self.next;
        loop {
            if let Some(ahead) = self.ahead.take() {
                if ahead.sequence_number == wanted {
                    return self.deliver(ahead);
                }
                if ahead.sequence_number > wanted {
                    // A gap: fill it from the ledger, keep the frame for later.
                    let sequence_number = ahead.sequence_number;
                    self.ahead = Some(ahead);
                    return match self.client.get_checkpoint(wanted).await? {
                        Some(checkpoint) => self.deliver(checkpoint),
                        None => Err(ClientError::malformed(
                            "GetCheckpoint",
                            format!("checkpoint {wanted} missing below streamed {sequence_number}"),
                        )),
                    };
                }
                // Older than wanted: already delivered, drop it.
            }
            if self.subscription.is_none() {
                // Backfill without a subscription while the ledger has the checkpoint.
                if let Some(checkpoint) = self.client.get_checkpoint(wanted).await? {
                    return self.deliver(checkpoint);
                }
                let request = proto::SubscribeCheckpointsRequest::default()
                    .with_read_mask(prost_types::FieldMask::from_paths(CHECKPOINT_FIELDS.iter().copied()));
                let stream = self
                    .client
                    .rpc()
                    .subscription_client()
                    .subscribe_checkpoints(request)
                    .await
                    .map_err(|s| ClientError::rpc("SubscribeCheckpoints", s))?
                    .into_inner();
                self.subscription = Some(stream);
            }
            let subscription = self.subscription.as_mut().expect("opened above");
            match subscription.next().await {
                Some(Ok(frame)) => {
                    let checkpoint = frame
                        .checkpoint
                        .ok_or_else(|| ClientError::malformed("SubscribeCheckpoints", "frame without checkpoint"))?;
                    self.ahead = Some(Checkpoint::try_from(&checkpoint)?);
                }
                Some(Err(status)) => {
                    self.subscription = None;
                    return Err(ClientError::rpc("SubscribeCheckpoints", status));
                }
                None => {
                    self.subscription = None;
                    return Err(ClientError::malformed("SubscribeCheckpoints", "stream ended"));
                }
            }
        }
    }

    fn deliver(&mut self, checkpoint: Checkpoint) -> Result<Checkpoint, ClientError> {
        if checkpoint.sequence_number != self.next {
            return Err(ClientError::malformed(
                "GetCheckpoint",
                format!("asked for {}, got {}", self.next, checkpoint.sequence_number),
            ));
        }
        self.next += 1;
        Ok(checkpoint)
    }
}

impl ChainClient {
    /// Every checkpoint from `start` on, in order, each exactly once, forever. Transient errors
    /// are retried with the default [`StreamPolicy`] (forever).
    pub fn checkpoints_from(&self, start: u64) -> impl Stream<Item = Result<Checkpoint, ClientError>> + Send + 'static {
        self.checkpoints_from_with(start, StreamPolicy::default())
    }

    /// Like [`ChainClient::checkpoints_from`] with an explicit retry policy. After an error that
    /// outlasts the policy the stream yields it and ends.
    pub fn checkpoints_from_with(
        &self,
        start: u64,
        policy: StreamPolicy,
    ) -> impl Stream<Item = Result<Checkpoint, ClientError>> + Send + 'static {
        let follower =
            Follower { client: self.clone(), next: start, subscription: None, ahead: None, policy, done: false };
        futures::stream::unfold(follower, |mut follower| async move {
            if follower.done {
                return None;
            }
            let item = follower.next_checkpoint().await;
            follower.done = item.is_err();
            Some((item, follower))
        })
    }
}
