//! Reading a blob back: metadata from any node (verified against the blob id), then slivers in
//! parallel, each verified against the metadata, until enough to decode.
//!
//! Primary slivers come first, the systematic ones (rows of raw data) before the others, since
//! they decode without Reed-Solomon work; `n - 2f` verified ones suffice. A node that is down,
//! slow or lying costs one request: its slivers are replaced by others', and a node that did not
//! answer at all is not asked again. Should the primary axis fall short, the secondary axis
//! (`n - f` slivers) is tried. Decoding ends with the consistency check, so a blob encoded
//! inconsistently by its writer is reported instead of returned.

use std::collections::HashSet;

use floe_encoder::{
    BlobId, SliverPairIndex, SliverType,
    decode::{BlobDecoder, VerifiedSliver},
    metadata::VerifiedBlobMetadata,
};
use futures::{StreamExt, stream::FuturesUnordered};
use rand::seq::SliceRandom;

use crate::{
    committee::StorageCommittee,
    node_api::{NodeApiError, NodeClient},
    progress::{Progress, ProgressEvent},
    settings::Settings,
};

/// Metadata requests in flight at once.
const METADATA_FANOUT: usize = 3;
/// Failures quoted in an error message.
const QUOTED_FAILURES: usize = 5;

/// Why a blob could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Nodes holding at least a quorum of shards do not know the blob.
    #[error("blob {0} does not exist: nodes holding a quorum of shards have no metadata for it")]
    NotFound(BlobId),
    /// No node served valid metadata.
    #[error("no node served valid metadata of blob {blob_id}: {failures}")]
    NoMetadata {
        /// The blob.
        blob_id: BlobId,
        /// Some of the failures.
        failures: String,
    },
    /// Not enough valid slivers on either axis.
    #[error(
        "only {got} of the {needed} verified {axis} slivers needed for blob {blob_id} could be fetched: {failures}"
    )]
    NotEnoughSlivers {
        /// The blob.
        blob_id: BlobId,
        /// The last axis tried.
        axis: SliverType,
        /// Verified slivers fetched.
        got: usize,
        /// Needed.
        needed: usize,
        /// Some of the failures.
        failures: String,
    },
    /// The slivers decode, but the blob was encoded inconsistently by its writer.
    #[error("blob {blob_id} cannot be decoded: {reason}")]
    Decode {
        /// The blob.
        blob_id: BlobId,
        /// The decoder's error.
        reason: String,
    },
}

fn quote(failures: &[String]) -> String {
    let mut text = failures.iter().take(QUOTED_FAILURES).cloned().collect::<Vec<_>>().join("; ");
    if failures.len() > QUOTED_FAILURES {
        text.push_str(&format!("; and {} more", failures.len() - QUOTED_FAILURES));
    }
    if text.is_empty() { "no node could be asked".into() } else { text }
}

/// The verified metadata of `blob_id` from the first node that serves it, nodes tried in random
/// order so that readers spread their load.
pub(crate) async fn metadata(
    committee: &StorageCommittee,
    blob_id: &BlobId,
    settings: &Settings,
    http: &reqwest::Client,
) -> Result<VerifiedBlobMetadata, ReadError> {
    let mut order: Vec<usize> = (0..committee.members().len()).collect();
    order.shuffle(&mut rand::thread_rng());
    let config = committee.config();
    let requests: Vec<_> = order
        .into_iter()
        .map(|member| {
            let node = NodeClient::new(http.clone(), &committee.members()[member].url);
            let (config, blob_id, timeout) = (*config, *blob_id, settings.request_timeout);
            async move { (member, node.metadata(&config, &blob_id, timeout).await) }
        })
        .collect();
    let mut answers = futures::stream::iter(requests).buffer_unordered(METADATA_FANOUT);
    let (mut failures, mut not_found_weight) = (Vec::new(), 0u64);
    while let Some((member, answer)) = answers.next().await {
        match answer {
            Ok(metadata) => return Ok(metadata),
            Err(error) => {
                if error.status() == Some(404) {
                    not_found_weight += committee.weight(member);
                }
                failures.push(error.to_string());
            }
        }
    }
    if committee.is_quorum(not_found_weight) {
        return Err(ReadError::NotFound(*blob_id));
    }
    Err(ReadError::NoMetadata { blob_id: *blob_id, failures: quote(&failures) })
}

/// Fetches verified slivers of `axis` until the decoder has enough, skipping nodes that did not
/// answer. Returns what it got (possibly too few) and the failures.
async fn fetch_slivers(
    committee: &StorageCommittee,
    metadata: &VerifiedBlobMetadata,
    axis: SliverType,
    unreachable: &mut HashSet<usize>,
    settings: &Settings,
    http: &reqwest::Client,
    progress: &dyn Progress,
) -> (Vec<VerifiedSliver>, Vec<String>) {
    let config = committee.config();
    let n = config.n_shards();
    let needed = usize::from(config.n_source_symbols(axis));
    let blob_id = metadata.blob_id();
    // Sliver index i of this axis, systematic ones (i < needed) first.
    let mut candidates = (0..n)
        .map(|index| floe_encoder::SliverIndex(index).pair_index(axis, n))
        .collect::<Vec<SliverPairIndex>>()
        .into_iter();
    let mut verified = Vec::with_capacity(needed);
    let mut failures = Vec::new();
    let mut in_flight = FuturesUnordered::new();
    let limit = settings.max_concurrent_requests.max(1);
    loop {
        while in_flight.len() < limit && verified.len() + in_flight.len() < needed {
            let Some(pair) = candidates.find(|pair| !unreachable.contains(&committee.holder_of_pair(blob_id, *pair)))
            else {
                break;
            };
            let member = committee.holder_of_pair(blob_id, pair);
            let node = NodeClient::new(http.clone(), &committee.members()[member].url);
            in_flight.push(async move {
                (member, node.sliver(config, metadata, pair, axis, settings.request_timeout).await)
            });
        }
        let Some((member, answer)) = in_flight.next().await else { break };
        match answer {
            Ok(sliver) => {
                verified.push(sliver);
                progress.event(ProgressEvent::SliverFetched { done: verified.len() as u64, needed: needed as u64 });
                if verified.len() >= needed {
                    break;
                }
            }
            Err(error) => {
                if matches!(error, NodeApiError::Transport { .. }) {
                    unreachable.insert(member);
                }
                failures.push(error.to_string());
            }
        }
    }
    (verified, failures)
}

/// Reads and decodes `blob_id` from `committee`.
pub(crate) async fn read(
    committee: &StorageCommittee,
    blob_id: &BlobId,
    settings: &Settings,
    http: &reqwest::Client,
    progress: &dyn Progress,
) -> Result<Vec<u8>, ReadError> {
    let metadata = metadata(committee, blob_id, settings, http).await?;
    let mut unreachable = HashSet::new();
    let mut all_failures = Vec::new();
    let mut shortfall = None;
    for axis in [SliverType::Primary, SliverType::Secondary] {
        let (slivers, failures) =
            fetch_slivers(committee, &metadata, axis, &mut unreachable, settings, http, progress).await;
        all_failures.extend(failures);
        let needed = usize::from(committee.config().n_source_symbols(axis));
        if slivers.len() < needed {
            shortfall = Some((axis, slivers.len(), needed));
            continue;
        }
        progress.event(ProgressEvent::Decoding);
        let config = *committee.config();
        let decoded =
            tokio::task::spawn_blocking(move || BlobDecoder::new(&config, &metadata).decode_verified(slivers))
                .await
                .map_err(|error| ReadError::Decode {
                    blob_id: *blob_id,
                    reason: format!("decoding task failed: {error}"),
                })?;
        return decoded.map_err(|error| ReadError::Decode { blob_id: *blob_id, reason: error.to_string() });
    }
    let (axis, got, needed) = shortfall.expect("both axes fell short");
    Err(ReadError::NotEnoughSlivers { blob_id: *blob_id, axis, got, needed, failures: quote(&all_failures) })
}
