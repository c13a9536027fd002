//! Following the chain: checkpoints from floe-chain's gapless stream, resumed one past the
//! watermark. A reader task fetches checkpoints into a bounded queue while the writer commits;
//! each commit takes everything queued (up to [`MAX_BATCH_CHECKPOINTS`]), so batches grow while
//! the indexer is behind and shrink to one checkpoint once it has caught up.

use floe_chain::{ChainClient, ClientError, StreamPolicy};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::checkpoint::IndexedCheckpoint;
use crate::db::DbError;
use crate::ingest::{IngestError, Ingester, MAX_BATCH_CHECKPOINTS};

/// Checkpoints fetched ahead of the writer at most.
pub const READ_AHEAD: usize = 2 * MAX_BATCH_CHECKPOINTS;

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
    /// The writer task died.
    #[error("indexer task: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The checkpoint stream ended, which it never does on its own.
    #[error("indexer task: checkpoint stream ended")]
    StreamEnded,
}

/// Aborts the reader task when following stops for any reason, including being dropped.
struct Reader(JoinHandle<()>);

impl Drop for Reader {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Indexes checkpoints from `client` forever, starting one past the watermark (or at `first` on
/// an empty database). Returns only on an error; every committed batch stays committed.
pub async fn follow(client: &ChainClient, mut ingester: Ingester, first: u64, policy: StreamPolicy) -> FollowError {
    let start = match ingester.next_checkpoint(first) {
        Ok(start) => start,
        Err(e) => return e.into(),
    };
    tracing::info!(start, "indexer following the chain");
    let (sender, mut queue) = mpsc::channel(READ_AHEAD);
    let stream = client.checkpoints_from_with(start, policy);
    let _reader = Reader(tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            let failed = item.is_err();
            if sender.send(item.map(|c| IndexedCheckpoint::from(&c))).await.is_err() || failed {
                break;
            }
        }
    }));
    loop {
        let Some(item) = queue.recv().await else {
            return FollowError::StreamEnded;
        };
        let mut checkpoints = Vec::new();
        let mut failure = None;
        let mut next = Some(item);
        while let Some(item) = next.take() {
            match item {
                Ok(checkpoint) => checkpoints.push(checkpoint),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
            if checkpoints.len() < MAX_BATCH_CHECKPOINTS {
                next = queue.try_recv().ok();
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
            Err(e) => return e.into(),
        }
        if let Some(e) = failure {
            return e.into();
        }
    }
}
