//! Recovery of a certified blob's missing slivers from peers, as a library function the chain
//! follower drives after `BlobCertified`: fetch the metadata from a peer if it is not stored,
//! then for each sliver this node's shards lack (secondary first, they need fewer symbols) ask
//! peers for recovery symbols with bounded concurrency and retries, verify every symbol against
//! the metadata, rebuild the sliver and store it. If valid symbols rebuild a sliver that does not
//! match the metadata, the blob was encoded wrongly: the inconsistency proof is stored and
//! returned, for the node to gather attestations with.

use std::{sync::Arc, time::Duration};

use backon::{ExponentialBuilder, Retryable};
use floe_encoder::{
    BlobId, EncodingConfig, ShardIndex, Sliver, SliverIndex, SliverType,
    error::RecoveryError,
    inconsistency::InconsistencyProof,
    metadata::VerifiedBlobMetadata,
    recovery::{RecoverySymbol, recover_sliver},
};
use floe_node_api::{NodeApiError, NodeClient};
use futures::{StreamExt, stream};
use rand::seq::SliceRandom;

use crate::{
    error::{MissingSliver, NodeError},
    limits,
    node::StorageNode,
};

/// How recovery talks to peers.
#[derive(Debug, Clone)]
pub struct RecoverySettings {
    /// Peers asked at once.
    pub concurrency: usize,
    /// Attempts per request, the first included.
    pub attempts: usize,
    /// The first pause between attempts (doubling).
    pub retry_delay: Duration,
    /// Ask peers in a random order, so nodes recovering at once spread their load; `false` asks
    /// them in the order given.
    pub shuffle_peers: bool,
}

impl Default for RecoverySettings {
    fn default() -> Self {
        Self {
            concurrency: limits::RECOVERY_CONCURRENCY,
            attempts: limits::RECOVERY_ATTEMPTS,
            retry_delay: limits::RECOVERY_RETRY_DELAY,
            shuffle_peers: true,
        }
    }
}

/// What a recovery run did.
#[derive(Debug, Default)]
pub struct RecoveryOutcome {
    /// Whether the metadata had to be fetched from a peer.
    pub fetched_metadata: bool,
    /// The slivers rebuilt and stored.
    pub recovered: Vec<MissingSliver>,
    /// Set when the blob turned out to be inconsistently encoded (the proof is also stored).
    pub inconsistency: Option<InconsistencyProof>,
    /// Peer failures and rejected symbols met along the way (recovery went on without them).
    pub peer_errors: Vec<String>,
}

/// Why recovery could not finish.
#[derive(Debug, thiserror::Error)]
pub enum RecoveryFailure {
    /// Only certified blobs are recovered: before that, the writer is still uploading.
    #[error("blob {0} is not certified on chain; only certified blobs are recovered")]
    NotCertified(BlobId),
    /// No peer gave valid metadata.
    #[error("no peer gave valid metadata for blob {blob_id}: {}", errors.join("; "))]
    NoMetadata {
        /// The blob.
        blob_id: BlobId,
        /// Each peer's failure.
        errors: Vec<String>,
    },
    /// Peers gave too few valid symbols for a sliver.
    #[error("recovering the {sliver} of blob {blob_id}: {got} valid symbols from peers, {needed} needed ({})", errors.join("; "))]
    NotEnoughSymbols {
        /// The blob.
        blob_id: BlobId,
        /// The sliver.
        sliver: MissingSliver,
        /// Distinct valid symbols gathered.
        got: usize,
        /// Symbols needed.
        needed: usize,
        /// Failures along the way.
        errors: Vec<String>,
    },
    /// Decoding the gathered symbols failed.
    #[error("rebuilding the {sliver} of blob {blob_id} failed: {source}")]
    Rebuild {
        /// The blob.
        blob_id: BlobId,
        /// The sliver.
        sliver: MissingSliver,
        /// The decoder's error.
        source: RecoveryError,
    },
    /// The node's own storage failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

async fn blocking<T: Send + 'static>(
    node: &Arc<StorageNode>,
    work: impl FnOnce(&StorageNode) -> Result<T, NodeError> + Send + 'static,
) -> Result<T, NodeError> {
    let node = node.clone();
    tokio::task::spawn_blocking(move || work(&node)).await.map_err(NodeError::Task)?
}

/// Recovers every sliver of `blob_id` that this node's shards lack, from the nodes `peers`
/// (clients of their APIs; each request may take [`limits::PEER_REQUEST_TIMEOUT`]).
pub async fn recover_blob(
    node: &Arc<StorageNode>,
    peers: &[NodeClient],
    blob_id: BlobId,
    settings: &RecoverySettings,
) -> Result<RecoveryOutcome, RecoveryFailure> {
    if !node.is_certified(&blob_id) {
        return Err(RecoveryFailure::NotCertified(blob_id));
    }
    let (_, config) = node.committee();
    let mut outcome = RecoveryOutcome::default();
    // Every certification leaves this duty at every node, and nearly always nothing is missing:
    // then the stored metadata is not read back and verified (the scrub checks it).
    let (missing, has_metadata) =
        blocking(node, move |node| Ok((node.missing_slivers(&blob_id)?, node.has_metadata(&blob_id)?))).await?;
    if missing.is_empty() && has_metadata {
        return Ok(outcome);
    }
    let metadata = match blocking(node, move |node| node.metadata(&blob_id)).await {
        Ok(metadata) => metadata,
        Err(NodeError::NotStored { .. }) => {
            let metadata = fetch_metadata(peers, &config, &blob_id, settings).await?;
            let to_store = metadata.clone();
            blocking(node, move |node| node.store_verified_metadata(&to_store)).await?;
            outcome.fetched_metadata = true;
            metadata
        }
        Err(error) => return Err(error.into()),
    };
    let max_batch = limits::max_recovery_targets(&config, metadata.symbol_size(&config));
    // Secondary slivers first: they need fewer symbols, and once rebuilt they are sources for
    // this node's own primary slivers.
    for axis in RECOVERY_ORDER {
        let wanted: Vec<MissingSliver> = missing.iter().filter(|sliver| sliver.axis == axis).copied().collect();
        for batch in wanted.chunks(max_batch) {
            let (symbols, mut errors) = gather_symbols(node, peers, &config, &metadata, axis, batch, settings).await?;
            outcome.peer_errors.append(&mut errors);
            let (mut stored, inconsistency) = rebuild(node, &config, &metadata, batch, symbols).await?;
            outcome.recovered.append(&mut stored);
            if inconsistency.is_some() {
                outcome.inconsistency = inconsistency;
                // The blob will be invalidated: nothing else of it is worth rebuilding.
                return Ok(outcome);
            }
        }
    }
    Ok(outcome)
}

/// Rebuilds the slivers of `batch` from verified symbols and stores them in one transaction.
/// Stops at the first sliver the symbols rebuild into something the metadata does not commit
/// to, and returns its inconsistency proof (also stored) with the slivers stored before it.
async fn rebuild(
    node: &Arc<StorageNode>,
    config: &EncodingConfig,
    metadata: &VerifiedBlobMetadata,
    batch: &[MissingSliver],
    symbols: Vec<Vec<RecoverySymbol>>,
) -> Result<(Vec<MissingSliver>, Option<InconsistencyProof>), RecoveryFailure> {
    let blob_id = *metadata.blob_id();
    let (config, metadata, batch_owned) = (*config, metadata.clone(), batch.to_vec());
    let decoded = tokio::task::spawn_blocking(move || {
        let mut rebuilt = Vec::new();
        for (sliver, symbols) in batch_owned.into_iter().zip(symbols) {
            let target_index = sliver.pair.sliver_index(sliver.axis, config.n_shards());
            match recover_sliver(&config, &metadata, sliver.axis, target_index, symbols) {
                Ok(data) => rebuilt.push((sliver, data)),
                Err(error) => return (rebuilt, Some((sliver, error))),
            }
        }
        (rebuilt, None)
    })
    .await
    .map_err(NodeError::Task)?;
    let (rebuilt, failure) = decoded;
    let stored: Vec<MissingSliver> = rebuilt.iter().map(|(sliver, _)| *sliver).collect();
    let to_store: Vec<(ShardIndex, Sliver)> = rebuilt.into_iter().map(|(sliver, data)| (sliver.shard, data)).collect();
    blocking(node, move |node| node.store_recovered_slivers(&blob_id, &to_store)).await?;
    match failure {
        None => Ok((stored, None)),
        Some((sliver, RecoveryError::InconsistentEncoding(proof))) => {
            tracing::warn!(%blob_id, %sliver, "blob is inconsistently encoded; keeping the proof");
            let kept = (*proof).clone();
            blocking(node, move |node| node.keep_inconsistency_proof(&blob_id, &kept)).await?;
            Ok((stored, Some(*proof)))
        }
        // Symbols were verified one by one and counted, so this is not expected; report it as
        // it is rather than guess.
        Some((sliver, source)) => Err(RecoveryFailure::Rebuild { blob_id, sliver, source }),
    }
}

/// [`recover_blob`] from every other member of the current committee that holds shards,
/// reached over `http`.
pub async fn recover_from_committee(
    node: &Arc<StorageNode>,
    http: &reqwest::Client,
    blob_id: BlobId,
    settings: &RecoverySettings,
) -> Result<RecoveryOutcome, RecoveryFailure> {
    let committee = node.chain().committee();
    let peers: Vec<NodeClient> = committee.peers(&node.public_key()).map(|member| member.client(http)).collect();
    recover_blob(node, &peers, blob_id, settings).await
}

fn backoff(settings: &RecoverySettings) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(settings.retry_delay)
        .with_max_times(settings.attempts.saturating_sub(1))
}

async fn fetch_metadata(
    peers: &[NodeClient],
    config: &EncodingConfig,
    blob_id: &BlobId,
    settings: &RecoverySettings,
) -> Result<VerifiedBlobMetadata, RecoveryFailure> {
    let mut errors = Vec::new();
    for peer in peers {
        let attempt = || peer.metadata(config, blob_id, limits::PEER_REQUEST_TIMEOUT);
        match attempt.retry(backoff(settings)).when(NodeApiError::is_transient).await {
            Ok(metadata) => return Ok(metadata),
            Err(error) => errors.push(error.to_string()),
        }
    }
    Err(RecoveryFailure::NoMetadata { blob_id: *blob_id, errors })
}

/// Collects, for each sliver of `batch` (all of `axis`), distinct verified symbols until there
/// are enough: first from this node's own orthogonal slivers, then from peers, each asked once
/// for the whole batch, `settings.concurrency` peers at a time.
#[allow(clippy::too_many_arguments)]
async fn gather_symbols(
    node: &Arc<StorageNode>,
    peers: &[NodeClient],
    config: &EncodingConfig,
    metadata: &VerifiedBlobMetadata,
    axis: SliverType,
    batch: &[MissingSliver],
    settings: &RecoverySettings,
) -> Result<(Vec<Vec<RecoverySymbol>>, Vec<String>), RecoveryFailure> {
    let blob_id = *metadata.blob_id();
    let symbol_size = metadata.symbol_size(config);
    let targets: Vec<SliverIndex> =
        batch.iter().map(|sliver| sliver.pair.sliver_index(axis, config.n_shards())).collect();
    let mut gathered = Gathered::new(config, axis, &targets);

    // Our own slivers of the other axis may help (e.g. secondaries rebuilt a moment ago); the
    // node has none of them at all in the usual case, which is no error.
    if let Ok(own) = {
        let targets = targets.clone();
        blocking(node, move |node| node.recovery_symbols(&blob_id, axis, &targets)).await
    } {
        let (own, mut errors) = verified(*config, Arc::new(metadata.clone()), own, "this node".into()).await;
        gathered.errors.append(&mut errors);
        gathered.accept(own, "this node");
    }
    let targets = &targets;
    let shared_metadata = Arc::new(metadata.clone());
    // Owned peer clients (cheap clones): a stream of borrowed ones makes the future lose `Send`
    // for every lifetime, and the duty worker spawns recoveries as tasks.
    let mut order: Vec<NodeClient> = peers.to_vec();
    if settings.shuffle_peers {
        order.shuffle(&mut rand::thread_rng());
    }
    let mut requests = stream::iter(order)
        .map(|peer: NodeClient| {
            let metadata = shared_metadata.clone();
            async move {
                let attempt = || {
                    peer.recovery_symbols(config, &blob_id, symbol_size, axis, targets, limits::PEER_REQUEST_TIMEOUT)
                };
                match attempt.retry(backoff(settings)).when(NodeApiError::is_transient).await {
                    // Checked on the blocking pool, and for several peers at once.
                    Ok(symbols) => verified(*config, metadata, symbols, peer.url().to_owned()).await,
                    Err(error) => (Vec::new(), vec![error.to_string()]),
                }
            }
        })
        .buffer_unordered(settings.concurrency.max(1));
    while !gathered.is_complete() {
        let Some((symbols, mut errors)) = requests.next().await else { break };
        gathered.errors.append(&mut errors);
        gathered.accept(symbols, "peer");
    }
    if let Some(position) = gathered.chosen.iter().position(|chosen| chosen.len() < gathered.needed) {
        return Err(RecoveryFailure::NotEnoughSymbols {
            blob_id,
            sliver: batch[position],
            got: gathered.chosen[position].len(),
            needed: gathered.needed,
            errors: gathered.errors,
        });
    }
    for error in &gathered.errors {
        tracing::debug!(%blob_id, "ignored during recovery: {error}");
    }
    Ok((gathered.chosen, gathered.errors))
}

/// Checks every symbol against the metadata on the blocking pool; returns the valid ones and
/// why the others were refused.
async fn verified(
    config: EncodingConfig,
    metadata: Arc<VerifiedBlobMetadata>,
    symbols: Vec<RecoverySymbol>,
    from: String,
) -> (Vec<RecoverySymbol>, Vec<String>) {
    let check = move || {
        let mut errors = Vec::new();
        let valid = symbols
            .into_iter()
            .filter(|symbol| match symbol.verify(&config, &metadata) {
                Ok(()) => true,
                Err(error) => {
                    errors.push(format!("{from}: {error}"));
                    false
                }
            })
            .collect();
        (valid, errors)
    };
    tokio::task::spawn_blocking(check)
        .await
        .unwrap_or_else(|error| (Vec::new(), vec![format!("symbol verification task failed: {error}")]))
}

/// Symbols gathered so far for a batch of target slivers of one axis: distinct sources per
/// target, each verified.
struct Gathered {
    axis: SliverType,
    needed: usize,
    /// Position in the batch of each target sliver index, if it is one.
    slot_of: Vec<Option<usize>>,
    /// Per target: which sources were taken.
    seen: Vec<Vec<bool>>,
    chosen: Vec<Vec<RecoverySymbol>>,
    errors: Vec<String>,
}

impl Gathered {
    fn new(config: &EncodingConfig, axis: SliverType, targets: &[SliverIndex]) -> Self {
        let n = config.n_shards_usize();
        let mut slot_of = vec![None; n];
        for (position, target) in targets.iter().enumerate() {
            slot_of[target.as_usize()] = Some(position);
        }
        Self {
            axis,
            needed: usize::from(config.sliver_symbols(axis)),
            slot_of,
            seen: vec![vec![false; n]; targets.len()],
            chosen: vec![Vec::new(); targets.len()],
            errors: Vec::new(),
        }
    }

    fn is_complete(&self) -> bool {
        self.chosen.iter().all(|chosen| chosen.len() >= self.needed)
    }

    /// Keeps the (already verified) symbols of a new source for the targets they help.
    fn accept(&mut self, symbols: Vec<RecoverySymbol>, from: &str) {
        for symbol in symbols {
            let slot = self.slot_of.get(symbol.target_index().as_usize()).copied().flatten();
            let Some(slot) = slot.filter(|_| symbol.target_axis() == self.axis) else {
                self.errors.push(format!(
                    "{from} sent a symbol for {} sliver {}, which was not asked",
                    symbol.target_axis(),
                    symbol.target_index()
                ));
                continue;
            };
            if self.chosen[slot].len() >= self.needed {
                continue;
            }
            if !std::mem::replace(&mut self.seen[slot][symbol.source_index().as_usize()], true) {
                self.chosen[slot].push(symbol);
            }
        }
    }
}

/// The primary and secondary axes in recovery order.
pub const RECOVERY_ORDER: [SliverType; 2] = [SliverType::Secondary, SliverType::Primary];
