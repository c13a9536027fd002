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
    BlobId, Epoch, ShardIndex, Sliver, SliverType,
    error::SliverError,
    messages::SyncShardRequest,
    metadata::{BlobMetadata, VerifiedBlobMetadata},
};
use floe_node_api::{NodeApiError, NodeClient, SyncedSlivers};
use futures::{StreamExt, TryStreamExt};
use rayon::prelude::*;

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

/// Two syncs' outcomes together (the two axes of a shard, or several shards).
impl std::ops::Add for SyncOutcome {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self { slivers: self.slivers + other.slivers, bytes: self.bytes + other.bytes, pages: self.pages + other.pages }
    }
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
///
/// The two axes are pulled at once, and on each the next page is asked for as soon as a page
/// arrives, so pages cross the network while this node checks and stores others (at most two
/// pages per axis, [`MAX_SYNC_PAGE_BYTES`] each, in memory).
///
/// [`MAX_SYNC_PAGE_BYTES`]: floe_node_api::bounds::MAX_SYNC_PAGE_BYTES
pub async fn sync_shard(
    node: &std::sync::Arc<StorageNode>,
    source: &NodeClient,
    epoch: Epoch,
    shard: ShardIndex,
    settings: &SyncSettings,
) -> Result<SyncOutcome, SyncError> {
    let axis = |axis| sync_axis(node, source, epoch, shard, axis, settings);
    let (primary, secondary) = tokio::try_join!(axis(SliverType::Primary), axis(SliverType::Secondary))?;
    Ok(primary + secondary)
}

/// [`sync_shard`] of one axis.
async fn sync_axis(
    node: &std::sync::Arc<StorageNode>,
    source: &NodeClient,
    epoch: Epoch,
    shard: ShardIndex,
    axis: SliverType,
    settings: &SyncSettings,
) -> Result<SyncOutcome, SyncError> {
    let mut outcome = SyncOutcome::default();
    let start = match node.store().sync_progress(epoch, shard, axis)? {
        SyncProgress::Done => return Ok(outcome),
        SyncProgress::NotStarted => BlobId([0; 32]),
        SyncProgress::Next(next) => next,
    };
    let fetch = |start| fetch_page(node, source, epoch, shard, axis, start, settings);
    let mut page = fetch(start).await?;
    loop {
        outcome.pages += 1;
        let next = page.next;
        let following = async {
            match next {
                Some(start) => fetch(start).await.map(Some),
                None => Ok(None),
            }
        };
        // Either failing ends the sync at once: a page that does not verify stops it, and a
        // previous owner that does not answer is not waited out twice.
        let ((slivers, bytes), following) =
            tokio::try_join!(store_page(node, source, epoch, shard, axis, page, settings), following)?;
        outcome.slivers += slivers;
        outcome.bytes += bytes;
        match following {
            Some(fetched) => page = fetched,
            None => return Ok(outcome),
        }
    }
}

/// Asks `source` for the page of `axis` of `shard` from `start` on, retrying while it does not
/// answer or is behind.
async fn fetch_page(
    node: &StorageNode,
    source: &NodeClient,
    epoch: Epoch,
    shard: ShardIndex,
    axis: SliverType,
    start: BlobId,
    settings: &SyncSettings,
) -> Result<SyncedSlivers, SyncError> {
    let request =
        SyncShardRequest { epoch, shard, axis, start, count: settings.page_slivers, requester: node.public_key() };
    let signed = node.sign_sync_request(&request);
    let config = node.committee().1;
    (|| source.sync_shard(&config, &request, &signed, settings.timeout))
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(settings.retry_delay)
                .with_max_times(settings.attempts.saturating_sub(1)),
        )
        .when(NodeApiError::is_transient)
        .await
        .map_err(|error| SyncError::Source { shard, source_url: source.url().to_owned(), error })
}

/// Checks a page's slivers and stores them with the sync's progress in one transaction; the
/// number of slivers stored and their bytes (BCS).
async fn store_page(
    node: &std::sync::Arc<StorageNode>,
    source: &NodeClient,
    epoch: Epoch,
    shard: ShardIndex,
    axis: SliverType,
    page: SyncedSlivers,
    settings: &SyncSettings,
) -> Result<(u64, u64), SyncError> {
    let (slivers, metadata) = verify_page(node, source, page.slivers, shard, settings).await?;
    let bytes = slivers
        .iter()
        .map(|(_, sliver)| bcs::serialized_size(sliver).expect("BCS of bytes and integers cannot fail") as u64)
        .sum();
    let count = slivers.len() as u64;
    let progress = page.next.map_or(SyncProgress::Done, SyncProgress::Next);
    let node = node.clone();
    tokio::task::spawn_blocking(move || {
        node.store().put_synced_page(epoch, shard, axis, &slivers, &metadata, progress)?;
        for (blob_id, _) in &slivers {
            node.integrity().stored(*blob_id, [(shard, axis)]);
        }
        Ok::<_, StoreError>(())
    })
    .await??;
    Ok((count, bytes))
}

/// Metadata asked of the source at once, for blobs this node has none of.
const METADATA_FETCHES: usize = 16;

/// Checks each sliver against its blob's metadata (the stored one, or the source's verified
/// against the blob id). Slivers of blobs this node does not know as certified are left out:
/// they reach it through the writer or through recovery once certified.
///
/// Stored metadata is read and verified in parallel on the blocking pool, and the page's slivers
/// are checked together ([`VerifiedBlobMetadata::verify_each`]: in parallel, and at many shards
/// the small slivers of many blobs share codec passes and hash lanes);
/// missing metadata is asked of the source [`METADATA_FETCHES`] blobs at a time (a node new to
/// the committee has none). The first sliver in page order that does not verify is reported.
async fn verify_page(
    node: &std::sync::Arc<StorageNode>,
    source: &NodeClient,
    slivers: Vec<(BlobId, Sliver)>,
    shard: ShardIndex,
    settings: &SyncSettings,
) -> Result<(Vec<(BlobId, Sliver)>, Vec<(BlobId, BlobMetadata)>), SyncError> {
    let config = node.committee().1;
    let lied = |blob_id: BlobId, reason: Untrusted| SyncError::Lied {
        shard,
        source_url: source.url().to_owned(),
        blob_id,
        reason,
    };
    let slivers: Vec<(BlobId, Sliver)> =
        slivers.into_iter().filter(|(blob_id, _)| node.is_certified(blob_id)).collect();

    let blob_ids: Vec<BlobId> = slivers.iter().map(|(blob_id, _)| *blob_id).collect();
    let reader = node.clone();
    let stored = tokio::task::spawn_blocking(move || {
        blob_ids
            .par_iter()
            .map(|blob_id| match reader.metadata(blob_id) {
                Ok(metadata) => Ok(Some(metadata)),
                Err(NodeError::NotStored { .. }) => Ok(None),
                Err(error) => Err(error),
            })
            .collect::<Vec<_>>()
    })
    .await?;
    let mut known = Vec::with_capacity(stored.len());
    for found in stored {
        match found {
            Ok(metadata) => known.push(metadata),
            Err(NodeError::Store(error)) => return Err(error.into()),
            Err(error) => return Err(SyncError::Node(error)),
        }
    }

    let missing: Vec<BlobId> = slivers
        .iter()
        .zip(&known)
        .filter(|(_, metadata)| metadata.is_none())
        .map(|((blob_id, _), _)| *blob_id)
        .collect();
    let fetched: Vec<VerifiedBlobMetadata> = futures::stream::iter(missing.into_iter().map(|blob_id| async move {
        source
            .metadata(&config, &blob_id, settings.timeout)
            .await
            .map_err(|error| lied(blob_id, Untrusted::Metadata(error)))
    }))
    .buffered(METADATA_FETCHES)
    .try_collect()
    .await?;
    let new_metadata: Vec<(BlobId, BlobMetadata)> =
        fetched.iter().map(|metadata| (*metadata.blob_id(), metadata.metadata().clone())).collect();
    let mut fetched = fetched.into_iter();
    let checks: Vec<(BlobId, Sliver, VerifiedBlobMetadata)> = slivers
        .into_iter()
        .zip(known)
        .map(|((blob_id, sliver), metadata)| {
            let metadata = metadata.unwrap_or_else(|| fetched.next().expect("one fetched metadata per missing one"));
            (blob_id, sliver, metadata)
        })
        .collect();

    let checked = tokio::task::spawn_blocking(move || {
        let pairs: Vec<(&VerifiedBlobMetadata, &Sliver)> =
            checks.iter().map(|(_, sliver, metadata)| (metadata, sliver)).collect();
        let results = VerifiedBlobMetadata::verify_each(&config, &pairs);
        checks
            .into_iter()
            .zip(results)
            .map(|((blob_id, sliver, _), result)| match result {
                Ok(()) => Ok((blob_id, sliver)),
                Err(error) => Err((blob_id, error)),
            })
            .collect::<Vec<_>>()
    })
    .await?;
    let verified =
        checked.into_iter().collect::<Result<Vec<_>, _>>().map_err(|(blob_id, error)| lied(blob_id, error.into()))?;
    Ok((verified, new_metadata))
}
