//! Single slivers by index, for reads that need only some of a blob's slivers: a byte range of a
//! blob (its systematic primary slivers, the rows of the message matrix) or the files of a quilt
//! (its systematic secondary slivers, the columns).
//!
//! A sliver is asked of the node holding its pair in the current committee, then of the holder
//! in the previous committee, and verified against the metadata. When no holder serves a valid
//! one, it is rebuilt from recovery symbols: each other node gives, for the lost sliver, one
//! symbol of each orthogonal sliver it holds, with a Merkle proof checked against the metadata;
//! `n - f` (primary) or `n - 2f` (secondary) of them rebuild the sliver, whose hash is checked in
//! turn. Bandwidth about one sliver, not one blob.
//!
//! A read outlives epochs: when neither the holders nor the recovery symbols of the committees
//! it started with give a sliver, and the chain has moved on to another committee, the sliver is
//! asked again of the new committee (and its previous one). A stream opened before an epoch change
//! that moved shards to new nodes, whose old holders dropped them once the new ones had them,
//! would otherwise fail part-way.
//!
//! [`NodeTrust`], shared by the requests of one read, keeps a node that did not answer or
//! answered wrong from being asked again, and asks a node not yet known to serve valid slivers
//! for one at a time: a lying node costs one request, not one per sliver it holds. A node that
//! served one is asked for up to [`Settings::max_requests_per_node`] at once (on HTTP/1.1 each is
//! a connection, with its handshake).

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, RwLock},
    time::Duration,
};

use floe_encoder::{
    BlobId, EncodingConfig, Epoch, Sliver, SliverIndex, SliverPairIndex, SliverType, decode::VerifiedSliver,
    metadata::VerifiedBlobMetadata, recovery::recover_sliver,
};
use futures::{StreamExt, stream::FuturesUnordered};
use tokio::sync::{OwnedMutexGuard, watch};

use crate::{
    ChainAccess, FloeClient,
    committee::{Committees, NodeId, StorageMember},
    failures::{Failures, SourceFailure},
    node_api::{NodeApiError, NodeClient},
    read::{self, NodeRecord},
    settings::Settings,
};

/// A sliver asked for before the blob's metadata is in (a whole read's first rows, a quilt
/// read's first columns). Its length is not known yet, so it is asked for within a bound
/// (`?max_sliver_bytes=`): a longer one is refused unread, no fault of the node's, and asked for
/// again as any other once the metadata is in.
pub(crate) struct EarlySliver {
    pub(crate) node: NodeClient,
    pub(crate) node_id: NodeId,
    pub(crate) config: EncodingConfig,
    pub(crate) blob_id: BlobId,
    pub(crate) pair: SliverPairIndex,
    pub(crate) axis: SliverType,
    pub(crate) max_bytes: usize,
    pub(crate) timeout: Duration,
}

impl EarlySliver {
    /// Fetches the sliver, checks it once `metadata` is in and tells `trust` the verdict before
    /// the node's `turn` ([`NodeTrust::first_turn`]) ends: the node's other requests of the read
    /// wait for the verdict as behind any first request, so a liar still costs one. The sliver,
    /// if it was served and valid; `None` too if the metadata never came (the blob could not be
    /// opened: no verdict, nobody to take the sliver).
    pub(crate) async fn run(
        self,
        turn: OwnedMutexGuard<()>,
        trust: Arc<NodeTrust>,
        mut metadata: watch::Receiver<Option<VerifiedBlobMetadata>>,
    ) -> Option<VerifiedSliver> {
        let Self { node, node_id, config, blob_id, pair, axis, max_bytes, timeout } = self;
        let fetched = node.sliver_at_most(&config, &blob_id, pair, axis, max_bytes, timeout).await;
        let metadata = metadata.wait_for(Option::is_some).await.ok()?.clone()?;
        let verified = match fetched {
            Ok(fetched) => fetched.verify(&config, &metadata).await,
            Err(error) => Err(error),
        };
        // A longer sliver than the bound (406) or one the node lacks is no fault of the node's.
        trust.settle(node_id, &verified);
        drop(turn);
        verified.ok()
    }
}

/// What one read learned about nodes, shared by its concurrent requests.
#[derive(Debug)]
pub(crate) struct NodeTrust {
    state: Mutex<TrustState>,
    /// How each node's requests wait their turn.
    queues: Mutex<HashMap<NodeId, Arc<NodeQueue>>>,
    per_node: usize,
}

/// One node's requests: through `gate` one at a time until the node is trusted, then up to
/// `per_node` at once, each holding one of `slots`.
#[derive(Debug)]
struct NodeQueue {
    /// Shared, so that a request made before the read's metadata is in (a whole read's first
    /// rows, [`crate::blob_stream`]) can hold it until its answer is verified.
    gate: Arc<tokio::sync::Mutex<()>>,
    slots: tokio::sync::Semaphore,
}

#[derive(Debug, Default)]
struct TrustState {
    record: NodeRecord,
    /// Nodes that served a verified sliver during this read.
    trusted: HashSet<NodeId>,
}

impl NodeTrust {
    /// Starts from what the metadata fetch learned; a trusted node is asked for at most
    /// `per_node` things at once.
    pub(crate) fn new(record: NodeRecord, per_node: usize) -> Self {
        Self {
            state: Mutex::new(TrustState { record, trusted: HashSet::new() }),
            queues: Mutex::default(),
            per_node: per_node.max(1),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, TrustState> {
        self.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// What the read learned so far.
    pub(crate) fn record(&self) -> NodeRecord {
        self.state().record.clone()
    }

    fn may_ask(&self, node: &NodeId) -> bool {
        self.state().record.may_ask(node)
    }

    /// Adds what fetching the metadata learned.
    pub(crate) fn merge(&self, record: NodeRecord) {
        self.state().record.merge(record);
    }

    fn queue(&self, node: NodeId) -> Arc<NodeQueue> {
        (self.queues.lock().unwrap_or_else(|poison| poison.into_inner()))
            .entry(node)
            .or_insert_with(|| {
                Arc::new(NodeQueue { gate: Arc::default(), slots: tokio::sync::Semaphore::new(self.per_node) })
            })
            .clone()
    }

    /// The turn of a first request to `node`, not yet trusted, if no other request of the read
    /// holds it and the read has not given up on the node: the node's other requests wait until
    /// it is dropped, which the holder does once it has [`settled`](Self::settle) the answer.
    pub(crate) fn first_turn(&self, node: NodeId) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        if !self.may_ask(&node) || self.state().trusted.contains(&node) {
            return None;
        }
        self.queue(node).gate.clone().try_lock_owned().ok()
    }

    /// Learns from `node`'s answer, verified: a node that served one is trusted; one that did
    /// not answer, or answered wrong, is not asked again.
    pub(crate) fn settle<T>(&self, node: NodeId, answer: &Result<T, NodeApiError>) {
        let mut state = self.state();
        match answer {
            Ok(_) => {
                state.trusted.insert(node);
            }
            Err(error) => state.record.note(node, error),
        }
    }

    /// Marks `node` as having answered with something that failed verification.
    fn distrust(&self, node: NodeId) {
        self.state().record.note_liar(node);
    }

    /// Sends `request` to `node` unless the read gave up on it (then `None`). A node not yet
    /// trusted gets one request at a time, so a liar is found out before it is asked again; a
    /// trusted one up to `per_node`.
    async fn ask<T>(
        &self,
        node: NodeId,
        request: impl Future<Output = Result<T, NodeApiError>>,
    ) -> Option<Result<T, NodeApiError>> {
        if !self.may_ask(&node) {
            return None;
        }
        let queue = self.queue(node);
        let turn = if self.state().trusted.contains(&node) {
            None
        } else {
            let turn = queue.gate.lock().await;
            if !self.may_ask(&node) {
                return None;
            }
            // The request ahead in line may have made the node trusted: then this one and the
            // others queued behind it go at once (each takes the gate only to pass it), rather
            // than one after another for the rest of the read.
            (!self.state().trusted.contains(&node)).then_some(turn)
        };
        // A request that passed the gate is alone; a trusted node's take one of its slots (the
        // semaphore is never closed: acquiring only waits).
        let _slot = if turn.is_none() { queue.slots.acquire().await.ok() } else { None };
        let answer = request.await;
        self.settle(node, &answer);
        Some(answer)
    }
}

/// Where one read takes slivers of one blob from.
#[derive(Debug)]
pub(crate) struct SliverSource {
    /// The committees asked; replaced when the chain's epoch moves on during the read.
    committees: RwLock<Committees>,
    /// Where newer committees are read from (none: the read keeps its committees).
    chain: Option<ChainAccess>,
    /// One re-read of the committees at a time: the rows failing together wait for it.
    following: tokio::sync::Mutex<()>,
    pub(crate) metadata: VerifiedBlobMetadata,
    pub(crate) settings: Settings,
    pub(crate) http: reqwest::Client,
    pub(crate) trust: Arc<NodeTrust>,
}

impl SliverSource {
    /// The slivers of `metadata`'s blob as `client` reaches them: its committees now, and its
    /// chain for the ones after. `trust` holds what the read learned about nodes so far (see
    /// [`SliverSource::trust_for`]).
    pub(crate) fn new(
        client: &FloeClient,
        committees: Committees,
        metadata: VerifiedBlobMetadata,
        trust: Arc<NodeTrust>,
    ) -> Self {
        Self {
            committees: RwLock::new(committees),
            chain: client.chain().cloned(),
            following: tokio::sync::Mutex::new(()),
            metadata,
            settings: client.settings().clone(),
            http: client.http().clone(),
            trust,
        }
    }

    /// What a read by `client` starts from: `record`, what fetching the metadata learned.
    pub(crate) fn trust_for(client: &FloeClient, record: NodeRecord) -> Arc<NodeTrust> {
        Arc::new(NodeTrust::new(record, client.settings().max_requests_per_node))
    }

    /// The committees the read asks now.
    pub(crate) fn committees(&self) -> Committees {
        self.committees.read().unwrap_or_else(|poison| poison.into_inner()).clone()
    }

    /// Newer committees than those of epoch `asked`, if the chain moved on (read from it once for
    /// all the requests that fail together); `None` when it did not or cannot be asked.
    async fn committees_after(&self, asked: Epoch) -> Option<Committees> {
        let chain = self.chain.as_ref()?;
        let _turn = self.following.lock().await;
        let known = self.committees();
        if known.current.epoch() != asked {
            return Some(known);
        }
        let read = futures::try_join!(chain.committee(), chain.previous_committee());
        let (current, previous) = match read {
            Ok(read) => read,
            Err(error) => {
                tracing::warn!(%error, "cannot read the committee to follow an epoch change during a read");
                return None;
            }
        };
        if current.epoch() == asked {
            return None;
        }
        tracing::info!(blob = %self.metadata.blob_id(), from = asked, to = current.epoch(), "the epoch changed during the read: asking the new committee");
        let fresh = Committees::new(Arc::new(current), previous.map(Arc::new));
        *self.committees.write().unwrap_or_else(|poison| poison.into_inner()) = fresh.clone();
        Some(fresh)
    }

    /// Sliver `index` of `axis` from the nodes holding its pair, verified, following an epoch
    /// change if its holders did not serve it; the failures if none served it.
    pub(crate) async fn fetch(&self, axis: SliverType, index: SliverIndex) -> Result<VerifiedSliver, Failures> {
        self.following_epochs(|committees| async move { self.fetch_from(&committees, axis, index).await }).await
    }

    /// `attempt` with the committees the read asks now and, if it fails and the chain moved on
    /// to another committee, once more with the new one; every failure if neither worked.
    async fn following_epochs<T, F, A>(&self, attempt: A) -> Result<T, Failures>
    where
        A: Fn(Committees) -> F,
        F: Future<Output = Result<T, Failures>>,
    {
        let committees = self.committees();
        let asked = committees.current.epoch();
        let mut failures = match attempt(committees).await {
            Ok(found) => return Ok(found),
            Err(failures) => failures,
        };
        if let Some(fresh) = self.committees_after(asked).await {
            match attempt(fresh).await {
                Ok(found) => return Ok(found),
                Err(more) => failures.extend(more),
            }
        }
        Err(failures)
    }

    /// Sliver `index` of `axis` from the holders of its pair in `committees`, verified.
    async fn fetch_from(
        &self,
        committees: &Committees,
        axis: SliverType,
        index: SliverIndex,
    ) -> Result<VerifiedSliver, Failures> {
        let config = *committees.current.config();
        let pair = index.pair_index(axis, config.n_shards());
        let mut failures = Failures::new();
        for member in read::sources(committees, self.metadata.blob_id(), pair) {
            let node = member.client(&self.http);
            let request = node.sliver(&config, &self.metadata, pair, axis, self.settings.request_timeout);
            match self.trust.ask(member.node_id, request).await {
                Some(Ok(sliver)) => return Ok(sliver),
                Some(Err(error)) => failures.push(error),
                None => failures.push(SourceFailure::NotAskedAgain { url: member.url.clone() }),
            }
        }
        Err(failures)
    }

    /// Sliver `index` of `axis` rebuilt from other nodes' recovery symbols, checked against the
    /// metadata; the failures if too few valid symbols came or they rebuild another sliver.
    async fn recover_from(
        &self,
        committees: &Committees,
        axis: SliverType,
        index: SliverIndex,
    ) -> Result<Sliver, Failures> {
        let config = *committees.current.config();
        let needed = usize::from(config.sliver_symbols(axis));
        let symbol_size = self.metadata.symbol_size(&config);
        let blob_id = *self.metadata.blob_id();
        let mut members: Vec<&StorageMember> = committees.current.members().iter().collect();
        if let Some(previous) = &committees.previous {
            members.extend(
                previous.members().iter().filter(|member| committees.current.position_of(&member.node_id).is_none()),
            );
        }
        let timeout = self.settings.request_timeout;
        let mut answers: FuturesUnordered<_> = members
            .into_iter()
            .map(|member| {
                let node = member.client(&self.http);
                async move {
                    let targets = [index];
                    let request = node.recovery_symbols(&config, &blob_id, symbol_size, axis, &targets, timeout);
                    (member.node_id, &member.url, self.trust.ask(member.node_id, request).await)
                }
            })
            .collect();
        let mut symbols = Vec::with_capacity(needed);
        let mut seen = HashSet::new();
        let mut failures = Failures::new();
        while let Some((node, url, answer)) = answers.next().await {
            let offered = match answer {
                Some(Ok(offered)) => offered,
                Some(Err(error)) => {
                    failures.push(error);
                    continue;
                }
                None => continue,
            };
            for symbol in offered {
                let fits = symbol.target_axis() == axis && symbol.target_index() == index;
                match symbol.verify(&config, &self.metadata) {
                    Ok(()) if fits => {
                        if seen.insert(symbol.source_index()) {
                            symbols.push(symbol);
                        }
                    }
                    verdict => {
                        self.trust.distrust(node);
                        let url = url.clone();
                        failures.push(match verdict {
                            Err(source) => SourceFailure::InvalidRecoverySymbol { url, source },
                            Ok(()) => SourceFailure::MisaddressedRecoverySymbol {
                                url,
                                axis: symbol.target_axis(),
                                index: symbol.target_index(),
                            },
                        });
                        break;
                    }
                }
            }
            if symbols.len() >= needed {
                break;
            }
        }
        drop(answers);
        if symbols.len() < needed {
            failures.push(SourceFailure::TooFewRecoverySymbols { got: symbols.len(), needed });
            return Err(failures);
        }
        let metadata = self.metadata.clone();
        // The rebuilt sliver's hash is checked against the metadata as it is rebuilt.
        let rebuilt =
            tokio::task::spawn_blocking(move || recover_sliver(&config, &metadata, axis, index, symbols)).await;
        match rebuilt {
            Ok(Ok(sliver)) => Ok(sliver),
            Ok(Err(source)) => Err(SourceFailure::Rebuild { axis, index, source }.into()),
            Err(error) => Err(SourceFailure::from(error).into()),
        }
    }

    /// Sliver `index` of `axis` from its holders, or rebuilt from the others' symbols; verified
    /// against the metadata either way. If neither works and the chain moved on to another
    /// committee, the same again with the new one.
    pub(crate) async fn fetch_or_recover(&self, axis: SliverType, index: SliverIndex) -> Result<Sliver, Failures> {
        self.following_epochs(|committees| async move { self.fetch_or_recover_from(&committees, axis, index).await })
            .await
    }

    async fn fetch_or_recover_from(
        &self,
        committees: &Committees,
        axis: SliverType,
        index: SliverIndex,
    ) -> Result<Sliver, Failures> {
        match self.fetch_from(committees, axis, index).await {
            Ok(sliver) => Ok(sliver.into_inner()),
            Err(mut failures) => {
                tracing::info!(blob = %self.metadata.blob_id(), %axis, %index, %failures, "rebuilding a sliver its holders did not serve");
                self.recover_from(committees, axis, index).await.map_err(|more| {
                    failures.extend(more);
                    failures
                })
            }
        }
    }
}
