//! Pulling a gained shard from its previous owner after an epoch change moved it here.
//!
//! The protocol (the previous owner's side is [`StorageNode::sync_shard`]):
//! 1. For each axis, the new owner asks the previous owner for a page of the shard's slivers from
//!    a blob id on (`POST /v1/migrate/sync_shard`, a [`SyncShardRequest`] signed with the new
//!    owner's BLS key). The previous owner serves only the node the current committee assigns
//!    the shard to, and only slivers of blobs certified and live in the current epoch.
//! 2. Every sliver is checked against its blob's metadata (stored, or fetched from the previous
//!    owner and verified against the blob id). One sliver that does not verify means the source
//!    lies: the sync stops and the caller falls back to recovery.
//! 3. Each page's slivers, their metadata and the position of the next page are stored in one
//!    transaction, so a restart resumes after the last page stored.
//! 4. Once both axes are exhausted, the caller compares the result with the blobs the chain says
//!    are certified and recovers from the committee whatever the source did not have.
//!
//! Bandwidth: one copy of each sliver crosses the network, against `n - f` (or `n - 2f`) symbols
//! from as many peers for RedStuff recovery of the same sliver.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use floe_encoder::{
    BlobId, Epoch, ShardIndex, Sliver, SliverType, error::SliverError, messages::SyncShardRequest,
    metadata::BlobMetadata,
};
use floe_node_api::{NodeApiError, NodeClient};

use crate::{
    error::NodeError,
    limits,
    node::StorageNode,
    store::{StoreError, SyncProgress},
};

/// Slivers asked for per page.
pub const SYNC_PAGE_SLIVERS: u16 = 256;

/// How the sync talks to the previous owner.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// Slivers per page.
    pub page_slivers: u16,
    /// Attempts per page (the first included) while the source does not answer or is behind.
    pub attempts: usize,
    /// The first pause between attempts (doubling).
    pub retry_delay: Duration,
    /// How long one page may take.
    pub timeout: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            page_slivers: SYNC_PAGE_SLIVERS,
            attempts: 6,
            retry_delay: Duration::from_millis(200),
            timeout: limits::PEER_REQUEST_TIMEOUT,
        }
    }
}

/// What a finished sync moved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncOutcome {
    /// Slivers received and stored.
    pub slivers: u64,
    /// Their bytes (BCS).
    pub bytes: u64,
    /// Pages asked for.
    pub pages: u64,
}

/// Why a shard could not be pulled from its previous owner (the caller then recovers).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The previous owner did not answer usefully (after retries).
    #[error("shard {shard} from {source_url}: {error}")]
    Source {
        /// The shard.
        shard: ShardIndex,
        /// The previous owner.
        source_url: String,
        /// The last failure.
        error: NodeApiError,
    },
    /// The previous owner sent a sliver or metadata that does not verify.
    #[error("shard {shard} from {source_url}: blob {blob_id}: {reason}; the source is not trusted further")]
    Lied {
        /// The shard.
        shard: ShardIndex,
        /// The previous owner.
        source_url: String,
        /// The blob.
        blob_id: BlobId,
        /// What did not verify.
        #[source]
        reason: Untrusted,
    },
    /// The node's own store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The node could not read its own copy of a blob's metadata.
    #[error(transparent)]
    Node(NodeError),
    /// Verification could not run.
    #[error("shard sync task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What a previous owner sent that does not verify.
#[derive(Debug, thiserror::Error)]
pub enum Untrusted {
    /// Its metadata of the blob does not verify against the blob id.
    #[error("metadata: {0}")]
    Metadata(#[source] NodeApiError),
    /// Its sliver does not match the blob's metadata.
    #[error(transparent)]
    Sliver(#[from] SliverError),
}

/// Pulls `shard` (held by this node in `epoch`) from `source`, its previous owner, resuming
/// where an earlier run stopped. On success every sliver the source had for a certified blob is
/// stored; blobs the source lacked are the caller's to recover.
pub async fn sync_shard(
    node: &std::sync::Arc<StorageNode>,
    source: &NodeClient,
    epoch: Epoch,
    shard: ShardIndex,
    settings: &SyncSettings,
) -> Result<SyncOutcome, SyncError> {
    let source_url = source.url();
    let mut outcome = SyncOutcome::default();
    for axis in [SliverType::Primary, SliverType::Secondary] {
        let mut start = match node.store().sync_progress(epoch, shard, axis)? {
            SyncProgress::Done => continue,
            SyncProgress::NotStarted => BlobId([0; 32]),
            SyncProgress::Next(next) => next,
        };
        loop {
            let request = SyncShardRequest {
                epoch,
                shard,
                axis,
                start,
                count: settings.page_slivers,
                requester: node.public_key(),
            };
            let signed = node.sign_sync_request(&request);
            let config = node.committee().1;
            let page = (|| source.sync_shard(&config, &request, &signed, settings.timeout))
                .retry(
                    ExponentialBuilder::default()
                        .with_min_delay(settings.retry_delay)
                        .with_max_times(settings.attempts.saturating_sub(1)),
                )
                .when(NodeApiError::is_transient)
                .await
                .map_err(|error| SyncError::Source { shard, source_url: source_url.to_owned(), error })?;
            outcome.pages += 1;
            let next = page.next;
            let (slivers, metadata) = verify_page(node, source, page.slivers, shard, source_url, settings).await?;
            outcome.slivers += slivers.len() as u64;
            outcome.bytes += slivers.iter().map(|(_, sliver)| sliver.to_bcs().len() as u64).sum::<u64>();
            let progress = next.map_or(SyncProgress::Done, SyncProgress::Next);
            let store_node = node.clone();
            tokio::task::spawn_blocking(move || {
                store_node.store().put_synced_page(epoch, shard, axis, &slivers, &metadata, progress)?;
                for (blob_id, _) in &slivers {
                    store_node.integrity().stored(*blob_id, [(shard, axis)]);
                }
                Ok::<_, StoreError>(())
            })
            .await
            .map_err(SyncError::Task)??;
            match next {
                Some(next) => start = next,
                None => break,
            }
        }
    }
    Ok(outcome)
}

/// Checks each sliver against its blob's metadata (the stored one, or the source's verified
/// against the blob id). Slivers of blobs this node does not know as certified are left out:
/// they reach it through the writer or through recovery once certified.
async fn verify_page(
    node: &std::sync::Arc<StorageNode>,
    source: &NodeClient,
    slivers: Vec<(BlobId, Sliver)>,
    shard: ShardIndex,
    source_url: &str,
    settings: &SyncSettings,
) -> Result<(Vec<(BlobId, Sliver)>, Vec<(BlobId, BlobMetadata)>), SyncError> {
    let config = node.committee().1;
    let lied = |blob_id: BlobId, reason: Untrusted| SyncError::Lied {
        shard,
        source_url: source_url.to_owned(),
        blob_id,
        reason,
    };
    let mut verified = Vec::with_capacity(slivers.len());
    let mut fetched = Vec::new();
    for (blob_id, sliver) in slivers {
        if !node.is_certified(&blob_id) {
            continue;
        }
        let metadata = match node.metadata(&blob_id) {
            Ok(metadata) => metadata,
            Err(NodeError::NotStored { .. }) => {
                let metadata = source
                    .metadata(&config, &blob_id, settings.timeout)
                    .await
                    .map_err(|error| lied(blob_id, Untrusted::Metadata(error)))?;
                fetched.push((blob_id, metadata.metadata().clone()));
                metadata
            }
            Err(NodeError::Store(error)) => return Err(error.into()),
            Err(error) => return Err(SyncError::Node(error)),
        };
        let checked = tokio::task::spawn_blocking(move || {
            let result = metadata.verify_sliver(&config, &sliver);
            (sliver, result)
        })
        .await
        .map_err(SyncError::Task)?;
        match checked {
            (sliver, Ok(())) => verified.push((blob_id, sliver)),
            (_, Err(error)) => return Err(lied(blob_id, error.into())),
        }
    }
    Ok((verified, fetched))
}
