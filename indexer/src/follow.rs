//! Following the chain: checkpoints from floe-chain's gapless stream, resumed one past the
//! watermark, written in batches of whatever has already arrived (up to
//! [`MAX_BATCH_CHECKPOINTS`]): large batches while backfilling, one checkpoint at a time once
//! caught up.

use floe_chain::{ChainClient, ClientError, StreamPolicy};
use futures::StreamExt;

use crate::checkpoint::IndexedCheckpoint;
use crate::db::DbError;
use crate::ingest::{IngestError, Ingester, MAX_BATCH_CHECKPOINTS};

/// Following stopped.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The chain stream gave up (after its retry policy) or sent an undecodable checkpoint.
    #[error("checkpoint stream: {0}")]
    Chain(#[from] ClientError),
    /// Writing failed; the failed batch was not committed.
    #[error("ingest: {0}")]
    Ingest(#[from] IngestError),
    /// Reading the watermark failed.
    #[error("watermark: {0}")]
    Db(#[from] DbError),
    /// The blocking writer task died.
    #[error("writer task: {0}")]
    Task(String),
}

/// Indexes checkpoints from `client` forever, starting one past the watermark (or at `first` on
/// an empty database). Returns only on an error; every committed batch stays committed.
pub async fn follow(
    client: &ChainClient,
    mut ingester: Ingester,
    first: u64,
    policy: StreamPolicy,
) -> FollowError {
    let start = match ingester.next_checkpoint(first) {
        Ok(start) => start,
        Err(e) => return e.into(),
    };
    tracing::info!(start, "indexer following the chain");
    let mut batches = std::pin::pin!(
        client
            .checkpoints_from_with(start, policy)
            .ready_chunks(MAX_BATCH_CHECKPOINTS)
    );
    while let Some(items) = batches.next().await {
        let mut checkpoints = Vec::with_capacity(items.len());
        let mut failure = None;
        for item in items {
            match item {
                Ok(checkpoint) => checkpoints.push(IndexedCheckpoint::from(&checkpoint)),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        // Commit what arrived before a stream error, then report the error.
        let written = tokio::task::spawn_blocking(move || {
            let result = ingester.apply(&checkpoints);
            (ingester, result)
        })
        .await;
        match written {
            Ok((back, Ok(applied))) => {
                ingester = back;
                tracing::debug!(?applied, "batch committed");
            }
            Ok((_, Err(e))) => return e.into(),
            Err(e) => return FollowError::Task(e.to_string()),
        }
        if let Some(e) = failure {
            return e.into();
        }
    }
    FollowError::Task("checkpoint stream ended".to_owned())
}
