//! Reading a blob back: metadata from any node (verified against the blob id), then slivers in
//! parallel, each verified against the metadata, until enough to decode.
//!
//! Primary slivers come first, the systematic ones (rows of raw data) before the others, since
//! they decode without Reed-Solomon work; `n - 2f` verified ones suffice. Each node's first
//! systematic sliver is asked for together with the metadata and verified once the metadata is
//! in (as a streamed read of the whole blob does, [`crate::blob_stream`]): every one of them is
//! needed, and it saves each node a round. A node that is down,
//! slow or lying costs one request: its slivers are replaced by others', and a node that did not
//! answer at all, or answered with something that fails verification, is not asked again during
//! the read. So that "again" includes requests already on their way, a node is asked for one
//! sliver until one of its slivers has verified; only then are its other slivers requested in
//! parallel, up to [`Settings::max_requests_per_node`] at once (one round trip more per node,
//! instead of a liar being asked for every sliver it holds). A node that served metadata failing
//! verification is asked for slivers only if the others cannot supply enough (beyond f faulty
//! shards). Should the primary axis fall short, the
//! secondary axis (`n - f` slivers) is tried.
//! Decoding ends with the consistency check, so a blob encoded inconsistently by its writer is
//! reported instead of returned.
//!
//! Across an epoch change a shard's new owner may not hold its slivers yet (it receives them from
//! the previous owner or recovers them), while the previous owner still does. So when the current
//! holder of a pair does not serve it, its holder in the previous committee is asked before the
//! read moves on to other pairs; metadata likewise comes from either committee.

use std::collections::{HashMap, HashSet, VecDeque};

use floe_encoder::{
    BlobId, SliverPairIndex, SliverType,
    decode::{BlobDecoder, VerifiedSliver},
    error::DecodeError,
    metadata::VerifiedBlobMetadata,
};
use futures::{FutureExt, StreamExt, future::BoxFuture, stream::FuturesUnordered};
use rand::seq::SliceRandom;
use tokio_util::task::AbortOnDropHandle;

use crate::{
    committee::{Committees, NodeId, StorageCommittee, StorageMember},
    failures::Failures,
    node_api::{FetchedSliver, NodeApiError},
    progress::{Progress, ProgressEvent},
    settings::Settings,
};

/// Metadata requests in flight at once.
const METADATA_FANOUT: usize = 3;

/// The most bytes the slivers a read asks for before its metadata is in may bring in all (a
/// decoding read's first rows, a quilt read's first columns): a node's answer cannot be judged
/// before the metadata is in (a streamed read's window by default, [`crate::ReadBudget`]). A
/// decoding read holds the whole blob anyway; a quilt's columns are a few.
pub(crate) const EARLY_SLIVERS_BYTES: usize = 32 * 1024 * 1024;

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
        /// What went wrong with each node asked.
        failures: Failures,
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
        /// What went wrong with each node asked.
        failures: Failures,
    },
    /// A sliver a byte range needs was neither served by its holders nor rebuilt from the others.
    #[error("{axis} sliver {index} of blob {blob_id} could not be fetched or rebuilt: {failures}")]
    SliverUnavailable {
        /// The blob.
        blob_id: BlobId,
        /// The sliver's axis.
        axis: SliverType,
        /// The sliver's index.
        index: floe_encoder::SliverIndex,
        /// What went wrong with each node asked.
        failures: Failures,
    },
    /// The slivers decode, but the blob was encoded inconsistently by its writer.
    #[error("blob {blob_id} cannot be decoded: {source}")]
    Decode {
        /// The blob.
        blob_id: BlobId,
        /// The decoder's error.
        #[source]
        source: DecodeError,
    },
    /// The decoding task panicked or was cancelled.
    #[error("blob {blob_id} cannot be decoded: decoding task failed: {source}")]
    DecodeTask {
        /// The blob.
        blob_id: BlobId,
        /// The task's failure.
        #[source]
        source: tokio::task::JoinError,
    },
}

/// What one read learned about nodes, by node id, so that a node in both committees is judged
/// once and a failure is held only against the node that failed.
#[derive(Debug, Default, Clone)]
pub(crate) struct NodeRecord {
    /// Nodes that did not answer at all.
    unreachable: HashSet<NodeId>,
    /// Nodes whose sliver answer failed verification: faulty or lying.
    liars: HashSet<NodeId>,
    /// Nodes whose metadata failed verification: asked for slivers only as a last resort.
    suspects: HashSet<NodeId>,
}

impl NodeRecord {
    pub(crate) fn may_ask(&self, node: &NodeId) -> bool {
        !self.unreachable.contains(node) && !self.liars.contains(node)
    }

    /// Adds what `other` learned.
    pub(crate) fn merge(&mut self, other: NodeRecord) {
        self.unreachable.extend(other.unreachable);
        self.liars.extend(other.liars);
        self.suspects.extend(other.suspects);
    }

    /// Marks `node` as having answered with something that failed verification.
    pub(crate) fn note_liar(&mut self, node: NodeId) {
        self.liars.insert(node);
    }

    pub(crate) fn note(&mut self, node: NodeId, error: &NodeApiError) {
        match error {
            NodeApiError::Transport { .. } => {
                self.unreachable.insert(node);
            }
            // A server with another TLS key is not the node: nothing it says can be trusted.
            NodeApiError::Invalid { .. } | NodeApiError::TooLarge { .. } | NodeApiError::WrongTlsKey { .. } => {
                self.liars.insert(node);
            }
            NodeApiError::Status { .. } | NodeApiError::OtherEpoch { .. } => {}
        }
    }

    /// Notes a metadata answer that failed verification.
    fn note_metadata(&mut self, node: NodeId, error: &NodeApiError) {
        if matches!(error, NodeApiError::Invalid { .. } | NodeApiError::TooLarge { .. }) {
            self.suspects.insert(node);
        }
    }
}

/// The nodes that may serve pair `pair` of `blob_id`: its holder in the current committee, then
/// its holder in the previous committee if that is another node.
pub(crate) fn sources<'a>(
    committees: &'a Committees,
    blob_id: &BlobId,
    pair: SliverPairIndex,
) -> Vec<&'a StorageMember> {
    let current = &committees.current.members()[committees.current.holder_of_pair(blob_id, pair)];
    let mut sources = vec![current];
    if let Some(previous) = &committees.previous {
        let before = &previous.members()[previous.holder_of_pair(blob_id, pair)];
        if before.node_id != current.node_id {
            sources.push(before);
        }
    }
    sources
}

/// The first row (systematic primary sliver) of each node of `committee` holding some of
/// `blob_id`'s, by row, at most `most` of them: what a whole read asks for with the metadata.
pub(crate) fn first_rows<'a>(
    committee: &'a StorageCommittee,
    blob_id: &BlobId,
    most: usize,
) -> Vec<(u16, SliverPairIndex, &'a StorageMember)> {
    let config = committee.config();
    let mut holders = HashSet::new();
    (0..config.n_source_symbols(SliverType::Primary))
        .filter_map(|row| {
            let pair = floe_encoder::SliverIndex(row).pair_index(SliverType::Primary, config.n_shards());
            let member = &committee.members()[committee.holder_of_pair(blob_id, pair)];
            holders.insert(member.node_id).then_some((row, pair, member))
        })
        .take(most)
        .collect()
}

/// A decoding read's first rows, asked for with the metadata: by pair, the node asked and the
/// task fetching the row (not yet verified).
pub(crate) type EarlyRows = Vec<(SliverPairIndex, NodeId, AbortOnDropHandle<Result<FetchedSliver, NodeApiError>>)>;

/// Asks each node of the current committee for its first row of `blob_id`. The rows' length is
/// not known yet, so each is asked for within an equal share of [`EARLY_SLIVERS_BYTES`]
/// (`?max_sliver_bytes=`); a longer row is refused unread and asked for again once the metadata
/// is in.
fn ask_first_rows(committees: &Committees, blob_id: &BlobId, settings: &Settings, http: &reqwest::Client) -> EarlyRows {
    let committee = &committees.current;
    let config = *committee.config();
    let firsts = first_rows(committee, blob_id, settings.max_concurrent_requests.max(1));
    let max_bytes = EARLY_SLIVERS_BYTES / firsts.len().max(1);
    let (blob_id, timeout) = (*blob_id, settings.request_timeout);
    firsts
        .into_iter()
        .map(|(_, pair, member)| {
            let node = member.client(http);
            let fetch = async move {
                node.sliver_at_most(&config, &blob_id, pair, SliverType::Primary, max_bytes, timeout).await
            };
            (pair, member.node_id, AbortOnDropHandle::new(tokio::spawn(fetch)))
        })
        .collect()
}

/// The verified metadata of `blob_id` from the first node that serves it: the current
/// committee's members in random order (so that readers spread their load), then the previous
/// committee's other members.
pub(crate) async fn metadata(
    committees: &Committees,
    blob_id: &BlobId,
    record: &mut NodeRecord,
    settings: &Settings,
    http: &reqwest::Client,
) -> Result<VerifiedBlobMetadata, ReadError> {
    let current = &committees.current;
    let mut order: Vec<&StorageMember> = current.members().iter().collect();
    order.shuffle(&mut rand::thread_rng());
    if let Some(previous) = &committees.previous {
        let mut others: Vec<&StorageMember> =
            previous.members().iter().filter(|member| current.position_of(&member.node_id).is_none()).collect();
        others.shuffle(&mut rand::thread_rng());
        order.extend(others);
    }
    let config = current.config();
    let requests: Vec<_> = order
        .into_iter()
        .map(|member| {
            let node = member.client(http);
            let (config, blob_id, timeout, node_id) = (*config, *blob_id, settings.request_timeout, member.node_id);
            async move { (node_id, node.metadata(&config, &blob_id, timeout).await) }
        })
        .collect();
    let mut answers = futures::stream::iter(requests).buffer_unordered(METADATA_FANOUT);
    let mut failures = Failures::new();
    let mut not_found = Vec::new();
    while let Some((node_id, answer)) = answers.next().await {
        match answer {
            Ok(metadata) => return Ok(metadata),
            Err(error) => {
                if error.status() == Some(404) {
                    not_found.push(node_id);
                }
                record.note_metadata(node_id, &error);
                failures.push(error);
            }
        }
    }
    // The blob does not exist only if no committee that may hold it has it.
    let absent_from = |committee: &StorageCommittee| {
        let weight = not_found.iter().filter_map(|node| committee.position_of(node)).map(|i| committee.weight(i)).sum();
        committee.is_quorum(weight)
    };
    if absent_from(current) && committees.previous.as_deref().is_none_or(absent_from) {
        return Err(ReadError::NotFound(*blob_id));
    }
    Err(ReadError::NoMetadata { blob_id: *blob_id, failures })
}

/// Fetches verified slivers of `axis` until the decoder has enough, starting from `early` (the
/// first rows asked for with the metadata, each its node's first request). A pair whose current
/// holder does not serve it is asked of its previous holder next; nodes in `record` are skipped.
/// Returns what it got (possibly too few) and the failures.
#[allow(clippy::too_many_arguments)]
async fn fetch_slivers(
    committees: &Committees,
    metadata: &VerifiedBlobMetadata,
    axis: SliverType,
    early: EarlyRows,
    record: &mut NodeRecord,
    settings: &Settings,
    http: &reqwest::Client,
    progress: &dyn Progress,
) -> (Vec<VerifiedSliver>, Failures) {
    let config = committees.current.config();
    let n = config.n_shards();
    let needed = usize::from(config.n_source_symbols(axis));
    let blob_id = metadata.blob_id();
    let early_pairs: HashSet<SliverPairIndex> = early.iter().map(|(pair, _, _)| *pair).collect();
    // Sliver index i of this axis, systematic ones (i < needed) first.
    let mut candidates = (0..n)
        .map(|index| floe_encoder::SliverIndex(index).pair_index(axis, n))
        .filter(|pair| !early_pairs.contains(pair))
        .collect::<Vec<SliverPairIndex>>()
        .into_iter();
    // Pairs to ask of another source (by position in `sources`) before any new pair.
    let mut fallbacks: VecDeque<(SliverPairIndex, usize)> = VecDeque::new();
    // Nodes with a verified sliver in this call; the others get one request at a time.
    let mut trusted: HashSet<NodeId> = HashSet::new();
    // Pairs waiting for their node's first answer, by node.
    let mut waiting: HashMap<NodeId, Vec<(SliverPairIndex, usize)>> = HashMap::new();
    let mut waiting_count = 0usize;
    // Pairs whose source served wrong metadata, held back while others may still do.
    let mut held_back: Vec<(SliverPairIndex, usize)> = Vec::new();
    let mut ask_suspects = false;
    let mut verified = Vec::with_capacity(needed);
    let mut failures = Failures::new();
    type Answer = (SliverPairIndex, usize, bool, NodeId, Result<VerifiedSliver, NodeApiError>);
    let mut in_flight: FuturesUnordered<BoxFuture<'_, Answer>> = FuturesUnordered::new();
    // Requests in flight by node: one for a node not yet trusted, up to `per_node` for the others.
    let mut asked: HashMap<NodeId, usize> = HashMap::new();
    for (pair, node_id, fetch) in early {
        *asked.entry(node_id).or_default() += 1;
        let last = sources(committees, blob_id, pair).len() == 1;
        in_flight.push(
            async move {
                // The task is never aborted while it is awaited: an error is its panic.
                let fetched = fetch.await.unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()));
                let answer = match fetched {
                    Ok(fetched) => fetched.verify(config, metadata).await,
                    Err(error) => Err(error),
                };
                (pair, 0, last, node_id, answer)
            }
            .boxed(),
        );
    }
    let limit = settings.max_concurrent_requests.max(1);
    let per_node = settings.max_requests_per_node.max(1);
    loop {
        while in_flight.len() < limit && verified.len() + in_flight.len() + waiting_count < needed {
            let Some((pair, first)) = fallbacks.pop_front().or_else(|| candidates.next().map(|pair| (pair, 0))) else {
                break;
            };
            let sources = sources(committees, blob_id, pair);
            let Some((position, member)) =
                sources.iter().enumerate().skip(first).find(|(_, member)| record.may_ask(&member.node_id))
            else {
                continue;
            };
            let node_id = member.node_id;
            if !ask_suspects && record.suspects.contains(&node_id) {
                held_back.push((pair, position));
                continue;
            }
            // A node not yet trusted waits for its first sliver on its way to verify.
            let most = if trusted.contains(&node_id) { per_node } else { 1 };
            if asked.get(&node_id).is_some_and(|count| *count >= most) {
                // Asked again once an answer of the node's is in.
                waiting.entry(node_id).or_default().push((pair, position));
                waiting_count += 1;
                continue;
            }
            *asked.entry(node_id).or_default() += 1;
            let node = member.client(http);
            let last = position + 1 == sources.len();
            in_flight.push(
                async move {
                    let answer = node.sliver(config, metadata, pair, axis, settings.request_timeout).await;
                    (pair, position, last, node_id, answer)
                }
                .boxed(),
            );
        }
        let Some((pair, position, last, node_id, answer)) = in_flight.next().await else {
            // Nothing more to ask of the others: the held-back nodes are all that is left.
            if verified.len() < needed && !held_back.is_empty() && !ask_suspects {
                ask_suspects = true;
                fallbacks.extend(held_back.drain(..));
                continue;
            }
            break;
        };
        if let Some(count) = asked.get_mut(&node_id) {
            *count -= 1;
        }
        let queued = waiting.remove(&node_id).unwrap_or_default();
        waiting_count -= queued.len();
        match answer {
            Ok(sliver) => {
                trusted.insert(node_id);
                fallbacks.extend(queued);
                verified.push(sliver);
                progress.event(ProgressEvent::SliverFetched { done: verified.len() as u64, needed: needed as u64 });
                if verified.len() >= needed {
                    break;
                }
            }
            Err(error) => {
                record.note(node_id, &error);
                failures.push(error);
                if !last {
                    fallbacks.push_back((pair, position + 1));
                }
                // Still askable (the node just lacked that sliver): its queued pairs try it again,
                // one first; otherwise they move on to their next source.
                let askable = record.may_ask(&node_id);
                fallbacks.extend(
                    queued.into_iter().map(|(pair, position)| (pair, if askable { position } else { position + 1 })),
                );
            }
        }
    }
    (verified, failures)
}

/// Reads and decodes `blob_id` from `committees`.
pub(crate) async fn read(
    committees: &Committees,
    blob_id: &BlobId,
    settings: &Settings,
    http: &reqwest::Client,
    progress: &dyn Progress,
) -> Result<Vec<u8>, ReadError> {
    // Should the metadata not come, the first rows' tasks are aborted as they are dropped.
    let early = ask_first_rows(committees, blob_id, settings, http);
    let mut record = NodeRecord::default();
    let metadata = metadata(committees, blob_id, &mut record, settings, http).await?;
    decode(committees, metadata, early, &mut record, settings, http, progress).await
}

/// Fetches enough slivers of the blob `metadata` describes (primary first, starting from `early`,
/// then secondary) and decodes it.
pub(crate) async fn decode(
    committees: &Committees,
    metadata: VerifiedBlobMetadata,
    mut early: EarlyRows,
    record: &mut NodeRecord,
    settings: &Settings,
    http: &reqwest::Client,
    progress: &dyn Progress,
) -> Result<Vec<u8>, ReadError> {
    let blob_id = *metadata.blob_id();
    let mut all_failures = Failures::new();
    let mut shortfall = None;
    let config = *committees.current.config();
    for axis in [SliverType::Primary, SliverType::Secondary] {
        let early = std::mem::take(&mut early);
        let (slivers, failures) =
            fetch_slivers(committees, &metadata, axis, early, record, settings, http, progress).await;
        all_failures.extend(failures);
        let needed = usize::from(config.n_source_symbols(axis));
        if slivers.len() < needed {
            shortfall = Some((axis, slivers.len(), needed));
            continue;
        }
        progress.event(ProgressEvent::Decoding);
        let decoded =
            tokio::task::spawn_blocking(move || BlobDecoder::new(&config, &metadata).decode_verified(slivers))
                .await
                .map_err(|source| ReadError::DecodeTask { blob_id, source })?;
        return decoded.map_err(|source| ReadError::Decode { blob_id, source });
    }
    let (axis, got, needed) = shortfall.expect("both axes fell short");
    Err(ReadError::NotEnoughSlivers { blob_id, axis, got, needed, failures: all_failures })
}
