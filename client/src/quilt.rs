//! Quilts through the client: many small files stored as one blob (Walrus's QuiltV1, see
//! [`floe_encoder::quilt`]), and reads of single files that fetch only the slivers holding them.
//!
//! A quilt's files sit in whole columns of the blob's message matrix, and column `j` is the
//! systematic secondary sliver `j`. So a file is read by fetching the quilt's metadata (verified
//! against the quilt id), then the secondary slivers of the index's columns (the first says how
//! many), then those of the file's columns, each verified against the metadata: a few slivers
//! instead of the `n - 2f` a whole read needs. A file named by its quilt patch id skips the index.
//! The columns known before the metadata (the index's first; a patch id's) are asked for with it,
//! one per node, each checked once the metadata is in, as a whole read's first rows are (the
//! crate's `blob_stream` module). Columns are fetched as a byte range's rows are (the crate's
//! `sliver_fetch` module); should one not be served, the read falls back to reading the whole
//! quilt, verified and decoded as any blob.
//!
//! Storing encodes the quilt for the current committee's shard count, stores it as one blob
//! ([`FloeClient::store`]) and sets the attribute `_walrusBlobType = quilt` on a newly created
//! `Blob` object the sender keeps, as Walrus's clients do.

use std::{collections::HashMap, ops::Range, sync::Arc};

use floe_encoder::{
    BlobId, SliverIndex, SliverType,
    decode::VerifiedSliver,
    metadata::VerifiedBlobMetadata,
    quilt::{
        ColumnSource, QUILT_BLOB_TYPE_ATTRIBUTE, Quilt, QuiltError, QuiltFile, QuiltIndex, QuiltPatchId, SliverColumns,
        index_columns, read_index, read_patch, read_patch_at,
    },
};
use futures::{StreamExt, stream::FuturesUnordered};
use tokio::sync::watch;
use tokio_util::task::AbortOnDropHandle;

use crate::{
    chain_ops::ChainError,
    client::{FloeClient, StoreError, StoreOptions, StoreOutcome},
    committee::StorageCommittee,
    progress::{NoProgress, Progress},
    read::{self, NodeRecord, ReadError},
    sliver_fetch::{EarlySliver, NodeTrust, SliverSource},
};

/// Why a quilt could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreQuiltError {
    /// The files do not make a quilt (nothing paid).
    #[error("the files cannot be made into a quilt: {0}")]
    Quilt(#[from] QuiltError),
    /// Storing the quilt's blob failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The quilt was stored, but its `_walrusBlobType` attribute could not be set.
    #[error("quilt {blob_id} was stored, but setting its _walrusBlobType attribute failed: {source}")]
    Attribute {
        /// The quilt.
        blob_id: BlobId,
        /// The chain's error.
        #[source]
        source: ChainError,
    },
}

/// Why a quilt or one of its files could not be read.
#[derive(Debug, thiserror::Error)]
pub enum QuiltReadError {
    /// The quilt's blob could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The blob is not a well-formed quilt, or has no such file.
    #[error("quilt {quilt_id}: {source}")]
    Quilt {
        /// The quilt.
        quilt_id: BlobId,
        /// What was wrong.
        #[source]
        source: QuiltError,
    },
}

impl QuiltReadError {
    fn quilt(quilt_id: BlobId) -> impl Fn(QuiltError) -> Self {
        move |source| Self::Quilt { quilt_id, source }
    }
}

/// A stored quilt: the store's outcome and the index with every file's patch id.
#[derive(Debug, Clone)]
pub struct StoredQuilt {
    /// What storing the quilt's blob did.
    pub outcome: StoreOutcome,
    /// The quilt's index.
    pub index: QuiltIndex,
}

impl StoredQuilt {
    /// The quilt's blob id.
    pub fn quilt_id(&self) -> BlobId {
        self.outcome.blob_id()
    }

    /// Each file's identifier and patch id, in index order.
    pub fn patch_ids(&self) -> Vec<(String, QuiltPatchId)> {
        let quilt_id = self.quilt_id();
        self.index
            .patches()
            .iter()
            .map(|patch| (patch.identifier().to_owned(), QuiltPatchId { quilt_id, patch: patch.internal_id() }))
            .collect()
    }

    /// The answer in the shape of Walrus's publisher: `{"blobStoreResult", "storedQuiltBlobs":
    /// [{"identifier", "quiltPatchId"}]}`.
    pub fn answer(&self) -> crate::store_answer::QuiltStoreAnswer {
        let stored_quilt_blobs = self
            .patch_ids()
            .into_iter()
            .map(|(identifier, id)| crate::store_answer::StoredQuiltBlob { identifier, quilt_patch_id: id.to_string() })
            .collect();
        crate::store_answer::QuiltStoreAnswer { blob_store_result: self.outcome.answer(), stored_quilt_blobs }
    }
}

/// Which files of a quilt to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuiltSelector {
    /// These identifiers; each must be in the quilt.
    Identifiers(Vec<String>),
    /// Every file with this tag and value (possibly none).
    Tag(String, String),
    /// Every file.
    All,
}

/// Columns fetched from the nodes for one read, verified against the quilt's metadata.
struct ColumnFetcher {
    source: SliverSource,
    columns: SliverColumns,
    /// Columns asked for with the metadata, by column: the task fetching and checking each.
    early: HashMap<u16, AbortOnDropHandle<Option<VerifiedSliver>>>,
}

impl ColumnFetcher {
    /// Fetches and verifies the quilt's metadata, asking with it for the columns of `early`
    /// that the read knows it will need (the index's first, or a patch's): so a file named by
    /// its patch id comes in one round per node, not two.
    async fn new(client: &FloeClient, quilt_id: &BlobId, early: Range<u16>) -> Result<Self, ReadError> {
        let committees = client.committees();
        let trust = SliverSource::trust_for(client, NodeRecord::default());
        let (metadata_in, metadata_out) = watch::channel(None);
        let early = ask_early(&committees.current, quilt_id, early, &trust, &metadata_out, client);
        let mut record = NodeRecord::default();
        // Should this fail, the early columns' tasks are aborted as `early` is dropped.
        let metadata = read::metadata(&committees, quilt_id, &mut record, client.settings(), client.http()).await?;
        trust.merge(record);
        metadata_in.send_replace(Some(metadata.clone()));
        let columns = SliverColumns::new(committees.current.config());
        let source = SliverSource::new(client, committees, metadata, trust);
        Ok(Self { source, columns, early })
    }

    /// Fetches the columns of `range` not yet held; false if any could not be had.
    async fn fetch(&mut self, range: Range<u16>) -> bool {
        let Self { source, columns, early } = self;
        let source = &*source;
        let wanted: Vec<u16> = range.filter(|column| !columns.contains(*column)).collect();
        let mut requests: FuturesUnordered<_> = wanted
            .iter()
            .map(|&column| {
                let asked = early.remove(&column);
                async move {
                    // An early column not served valid is asked for again as any other.
                    if let Some(asked) = asked
                        && let Ok(Some(sliver)) = asked.await
                    {
                        return Ok(sliver);
                    }
                    source.fetch(SliverType::Secondary, SliverIndex(column)).await
                }
            })
            .collect();
        let mut fetched = Vec::with_capacity(wanted.len());
        let mut complete = true;
        while let Some(answer) = requests.next().await {
            match answer {
                Ok(sliver) => fetched.push(sliver.into_inner()),
                Err(failures) => {
                    tracing::info!(quilt = %source.metadata.blob_id(), %failures, "a column's shard did not serve it");
                    complete = false;
                }
            }
        }
        drop(requests);
        // Verified against the metadata, so of the one symbol size: adding cannot fail but for
        // a bug; such a column is treated as missing.
        if let Err(error) = columns.add(fetched) {
            tracing::warn!(%error, "verified secondary slivers did not make columns");
            return false;
        }
        complete
    }

    /// The index, from the columns that hold it.
    async fn index(&mut self) -> Result<Option<QuiltIndex>, QuiltError> {
        if !self.fetch(0..1).await {
            return Ok(None);
        }
        let span = index_columns(&self.columns.column(0)?)?;
        if !self.fetch(1..span).await {
            return Ok(None);
        }
        read_index(&self.columns).map(Some)
    }
}

/// Asks the current committee for the columns of `wanted` (at most
/// [`Settings::max_concurrent_requests`](crate::Settings::max_concurrent_requests)) before the
/// quilt's metadata is in: for one column per node, each holding its node's turn until its answer
/// is judged, so a liar still costs one request; the node's other columns wait for the metadata.
/// Each is asked for within an equal share of [`read::EARLY_SLIVERS_BYTES`].
fn ask_early(
    committee: &StorageCommittee,
    quilt_id: &BlobId,
    wanted: Range<u16>,
    trust: &Arc<NodeTrust>,
    metadata: &watch::Receiver<Option<VerifiedBlobMetadata>>,
    client: &FloeClient,
) -> HashMap<u16, AbortOnDropHandle<Option<VerifiedSliver>>> {
    let config = *committee.config();
    let settings = client.settings();
    let wanted: Vec<u16> = wanted.take(settings.max_concurrent_requests.max(1)).collect();
    let max_bytes = read::EARLY_SLIVERS_BYTES / wanted.len().max(1);
    let mut early = HashMap::new();
    for column in wanted {
        let pair = SliverIndex(column).pair_index(SliverType::Secondary, config.n_shards());
        let member = &committee.members()[committee.holder_of_pair(quilt_id, pair)];
        let Some(turn) = trust.first_turn(member.node_id) else { continue };
        let request = EarlySliver {
            node: member.client(client.http()),
            node_id: member.node_id,
            config,
            blob_id: *quilt_id,
            pair,
            axis: SliverType::Secondary,
            max_bytes,
            timeout: settings.request_timeout,
        };
        let task = tokio::spawn(request.run(turn, trust.clone(), metadata.clone()));
        early.insert(column, AbortOnDropHandle::new(task));
    }
    early
}

impl FloeClient {
    /// Stores `files` as one quilt for the current committee's shard count. The quilt is checked
    /// (identifiers, count, size) before anything is paid.
    pub async fn store_quilt(
        &self,
        files: &[QuiltFile],
        options: &StoreOptions,
        progress: &dyn Progress,
    ) -> Result<StoredQuilt, StoreQuiltError> {
        let quilt = self.make_quilt(files).await?;
        let index = quilt.index().clone();
        let outcome = self.store(quilt.into_bytes(), options, progress).await?;
        self.mark_quilt(outcome, index, options).await
    }

    /// Stores `files` as one quilt as [`FloeClient::store_quilt`] does, answering once the quilt is
    /// certified and marked, as [`FloeClient::store_detaching_tail`] does for a blob.
    pub async fn store_quilt_detaching_tail(
        self: &Arc<Self>,
        files: &[QuiltFile],
        options: &StoreOptions,
        progress: Arc<dyn Progress>,
    ) -> Result<StoredQuilt, StoreQuiltError> {
        let quilt = self.make_quilt(files).await?;
        let index = quilt.index().clone();
        let outcome = self.store_detaching_tail(quilt.into_bytes(), options.clone(), progress).await?;
        self.mark_quilt(outcome, index, options).await
    }

    /// `files` as a quilt for the current committee's shard count.
    async fn make_quilt(&self, files: &[QuiltFile]) -> Result<Quilt, StoreQuiltError> {
        let config = *self.refresh_committee(None).await.map_err(StoreError::from)?.config();
        Ok(Quilt::encode(&config, files)?)
    }

    /// Marks a newly created quilt's `Blob` as a quilt (an attribute), if the sender kept it.
    async fn mark_quilt(
        &self,
        outcome: StoreOutcome,
        index: QuiltIndex,
        options: &StoreOptions,
    ) -> Result<StoredQuilt, StoreQuiltError> {
        if let (StoreOutcome::NewlyCreated { blob, .. }, Some(chain)) = (&outcome, self.chain()) {
            let kept = options.send_object_to.is_none_or(|recipient| Some(recipient) == chain.sender());
            if kept {
                let (key, value) = QUILT_BLOB_TYPE_ATTRIBUTE;
                chain
                    .set_attribute(blob.id, key, value)
                    .await
                    .map_err(|source| StoreQuiltError::Attribute { blob_id: blob.blob_id, source })?;
            }
        }
        Ok(StoredQuilt { outcome, index })
    }

    /// The index of quilt `quilt_id`, from the slivers that hold it.
    pub async fn quilt_index(&self, quilt_id: &BlobId) -> Result<QuiltIndex, QuiltReadError> {
        let mut fetcher = ColumnFetcher::new(self, quilt_id, 0..1).await?;
        match fetcher.index().await.map_err(QuiltReadError::quilt(*quilt_id))? {
            Some(index) => Ok(index),
            None => Ok(self.whole_quilt(quilt_id).await?.index().clone()),
        }
    }

    /// The file a quilt patch id names, from only the slivers that hold it.
    pub async fn read_quilt_patch(&self, id: &QuiltPatchId) -> Result<QuiltFile, QuiltReadError> {
        let quilt_id = id.quilt_id;
        let columns = id.patch.columns();
        if columns.end > self.committees().current.config().n_columns() {
            return Err(QuiltReadError::Quilt {
                quilt_id,
                source: QuiltError::UnknownPatch { start: columns.start, end: columns.end },
            });
        }
        let mut fetcher = ColumnFetcher::new(self, &quilt_id, columns.clone()).await?;
        if fetcher.fetch(columns.clone()).await {
            return read_patch_at(&fetcher.columns, columns.start, columns.end)
                .map_err(QuiltReadError::quilt(quilt_id));
        }
        let quilt = self.whole_quilt(&quilt_id).await?;
        read_patch_at(&quilt, columns.start, columns.end).map_err(QuiltReadError::quilt(quilt_id))
    }

    /// The files of quilt `quilt_id` that `selector` names, in index order. Selected files are
    /// read from their own slivers; all files are read as the whole quilt.
    pub async fn read_quilt_files(
        &self,
        quilt_id: &BlobId,
        selector: &QuiltSelector,
    ) -> Result<Vec<QuiltFile>, QuiltReadError> {
        let to_error = QuiltReadError::quilt(*quilt_id);
        if *selector == QuiltSelector::All {
            return self.whole_quilt(quilt_id).await?.files().map_err(to_error);
        }
        let mut fetcher = ColumnFetcher::new(self, quilt_id, 0..1).await?;
        let Some(index) = fetcher.index().await.map_err(&to_error)? else {
            return select(&self.whole_quilt(quilt_id).await?, selector).map_err(to_error);
        };
        let patches = selected(&index, selector).map_err(&to_error)?;
        let mut complete = true;
        for patch in &patches {
            complete &= fetcher.fetch(patch.columns()).await;
        }
        if !complete {
            return select(&self.whole_quilt(quilt_id).await?, selector).map_err(to_error);
        }
        patches.iter().map(|patch| read_patch(&fetcher.columns, patch)).collect::<Result<_, _>>().map_err(to_error)
    }

    /// The whole quilt, read as a blob and parsed.
    async fn whole_quilt(&self, quilt_id: &BlobId) -> Result<Quilt, QuiltReadError> {
        let bytes = self.read(quilt_id, &NoProgress).await?;
        Quilt::from_bytes(self.committees().current.config(), bytes).map_err(QuiltReadError::quilt(*quilt_id))
    }
}

/// The patches `selector` names, in index order; unknown identifiers are an error.
fn selected<'a>(
    index: &'a QuiltIndex,
    selector: &'a QuiltSelector,
) -> Result<Vec<&'a floe_encoder::quilt::QuiltPatch>, QuiltError> {
    match selector {
        QuiltSelector::Identifiers(identifiers) => {
            identifiers.iter().map(|identifier| index.patch(identifier)).collect()
        }
        QuiltSelector::Tag(key, value) => Ok(index.patches_with_tag(key, value).collect()),
        QuiltSelector::All => Ok(index.patches().iter().collect()),
    }
}

fn select(quilt: &Quilt, selector: &QuiltSelector) -> Result<Vec<QuiltFile>, QuiltError> {
    selected(quilt.index(), selector)?.into_iter().map(|patch| read_patch(quilt, patch)).collect()
}

/// Whether `text` names a quilt patch rather than a blob (by length: 50 characters vs 43).
pub fn is_patch_id(text: &str) -> bool {
    text.len() == QuiltPatchId::TEXT_LEN
}

#[cfg(test)]
mod tests {
    use floe_encoder::{EncodingConfig, quilt::QuiltFile};

    use super::*;

    #[test]
    fn selectors_pick_in_index_order_and_name_unknown_identifiers() {
        let config = EncodingConfig::new(10).unwrap();
        let files = vec![
            QuiltFile::new("c", vec![3]).unwrap().with_tag("t", "x"),
            QuiltFile::new("a", vec![1]).unwrap().with_tag("t", "x"),
            QuiltFile::new("b", vec![2]).unwrap(),
        ];
        let quilt = Quilt::encode(&config, &files).unwrap();
        let ids = |files: Vec<QuiltFile>| files.iter().map(|f| f.identifier().to_owned()).collect::<Vec<_>>();
        assert_eq!(ids(select(&quilt, &QuiltSelector::Tag("t".into(), "x".into())).unwrap()), ["a", "c"]);
        assert_eq!(ids(select(&quilt, &QuiltSelector::Identifiers(vec!["b".into()])).unwrap()), ["b"]);
        assert_eq!(
            select(&quilt, &QuiltSelector::Identifiers(vec!["b".into(), "z".into()])),
            Err(QuiltError::UnknownIdentifier("z".into()))
        );
        assert!(select(&quilt, &QuiltSelector::Tag("t".into(), "nope".into())).unwrap().is_empty());
    }
}
