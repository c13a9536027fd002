//! Streamed and ranged reads: a blob's bytes are sent as its slivers arrive, and a byte range
//! costs only the slivers that hold it.
//!
//! The blob is laid out row by row in the message matrix, and row `r` is the systematic primary
//! sliver `r`: the blob is the concatenation of the first `n - 2f` primary slivers, cut to its
//! length. So reading bytes `a..b` needs only the rows they fall in, and a whole read needs no
//! decoding at all when those slivers are served. [`BlobReader::stream`] fetches those rows in
//! order, a window of them in flight ([`ReadBudget::window`] bytes), each verified against the
//! metadata (itself verified against the blob id before the first byte) before its bytes are
//! yielded; a row whose holders do not serve it is rebuilt from recovery symbols, and should
//! that fail too, the blob is decoded from any `n - 2f` primary (or `n - f` secondary) slivers,
//! as [`FloeClient::read`] does. Past that, the stream ends with an error: never a wrong byte.
//!
//! A read of the whole blob ([`ReadPlan::Whole`]: `floe read`, the aggregator's answer to a GET
//! without a range) asks each node holding rows for its first row together with the metadata,
//! and checks it once the metadata is in: a node's first row is asked for alone anyway (so that
//! a liar costs one request), and waiting for the metadata first would make a read three rounds
//! per node (metadata, first row, the rest) instead of two. Before the metadata the rows'
//! length is not known, so each is asked for with a bound (`?max_sliver_bytes=`): the read's
//! window shared among them, each reserved in the budget first; a node refuses a longer row
//! without reading it, and that row is then asked for as any other. A range read does not do
//! this: it would fetch rows the range may not need.
//!
//! Memory: a read holds at most its window of slivers (a whole read, until its stream has passed
//! the first rows it asked for with the metadata, up to twice that), and all reads sharing a [`ReadBudget`]
//! hold at most its total: each row reserves its sliver's bytes before it is requested and
//! returns them once its bytes are yielded. Rows reserve in order, and the earliest reserved row
//! of a read never waits for more, so reads sharing a budget cannot deadlock. A whole read's
//! first rows are reserved as it opens, only from bytes free then (each its share of the window,
//! cut to its length once it is in), from row 0 on: its stream's first row holds its bytes
//! already, and the others are given back as the stream reaches them. A sliver cannot be
//! verified in parts, so a window is at least one sliver (`blob / (n - 2f)`); the decoding
//! fallback holds the whole blob outside the budget.

use std::{
    collections::HashMap,
    ops::Range,
    sync::{Arc, Mutex},
};

use floe_encoder::{
    BlobId, EncodingConfig, Sliver, SliverIndex, SliverType, decode::VerifiedSliver, metadata::VerifiedBlobMetadata,
};
use futures::{StreamExt, stream::BoxStream};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore, watch};
use tokio_util::task::AbortOnDropHandle;

use crate::{
    client::FloeClient,
    committee::Committees,
    progress::NoProgress,
    read::{self, NodeRecord, ReadError},
    settings::Settings,
    sliver_fetch::{EarlySliver, NodeTrust, SliverSource},
};

/// Sliver bytes in flight over all reads sharing a budget, by default.
pub const DEFAULT_READ_BUDGET: usize = 256 * 1024 * 1024;
/// Sliver bytes in flight in one read, by default.
pub const DEFAULT_READ_WINDOW: usize = 32 * 1024 * 1024;

/// How many sliver bytes reads may hold: in all (shared by the reads of, say, one aggregator)
/// and in one read.
#[derive(Debug)]
pub struct ReadBudget {
    bytes: Arc<Semaphore>,
    total: usize,
    window: usize,
}

impl Default for ReadBudget {
    fn default() -> Self {
        Self::new(DEFAULT_READ_BUDGET, DEFAULT_READ_WINDOW)
    }
}

impl ReadBudget {
    /// At most `total` bytes over all reads, `window` in one (each at least one byte).
    pub fn new(total: usize, window: usize) -> Self {
        let total = total.clamp(1, Semaphore::MAX_PERMITS);
        Self { bytes: Arc::new(Semaphore::new(total)), total, window: window.max(1) }
    }

    /// Bytes over all reads.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Bytes in one read.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Bytes not held by any read now.
    pub fn available(&self) -> usize {
        self.bytes.available_permits()
    }

    /// Holds `bytes` (at most the total, so that one sliver larger than the budget still goes,
    /// alone) until the permit is dropped.
    async fn reserve(&self, bytes: usize) -> OwnedSemaphorePermit {
        let bytes = u32::try_from(bytes.clamp(1, self.total)).unwrap_or(u32::MAX);
        self.bytes.clone().acquire_many_owned(bytes).await.expect("the budget's semaphore is never closed")
    }

    /// Holds `bytes` if they are free now (never more than the total).
    fn try_reserve(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        self.bytes.clone().try_acquire_many_owned(u32::try_from(bytes.max(1)).ok()?).ok()
    }
}

/// What a reader opened with [`FloeClient::open_blob`] will read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadPlan {
    /// The whole blob, from its first byte: each node's first row is asked for with the
    /// metadata, a round per node saved (see the module documentation).
    Whole,
    /// Byte ranges: nothing is asked for before a range is streamed.
    Ranges,
}

/// Where a blob's bytes lie: row `r` of the message matrix is systematic primary sliver `r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RowLayout {
    row_len: u64,
    blob_len: u64,
}

impl RowLayout {
    pub(crate) fn new(config: &EncodingConfig, metadata: &VerifiedBlobMetadata) -> Self {
        let row_len = config.sliver_len(SliverType::Primary, metadata.symbol_size(config)) as u64;
        Self { row_len: row_len.max(1), blob_len: metadata.unencoded_length() }
    }

    /// The rows holding bytes `range` (empty for an empty range).
    pub(crate) fn rows(&self, range: &Range<u64>) -> Range<u16> {
        if range.is_empty() {
            return 0..0;
        }
        let first = range.start / self.row_len;
        let end = range.end.div_ceil(self.row_len);
        u16::try_from(first).expect("a row of the blob")..u16::try_from(end).expect("a row of the blob")
    }

    /// Where bytes `range` lie in row `row`.
    pub(crate) fn within(&self, row: u16, range: &Range<u64>) -> Range<usize> {
        let start = u64::from(row) * self.row_len;
        let from = range.start.max(start) - start;
        let to = range.end.min(start + self.row_len) - start;
        from as usize..to as usize
    }
}

/// One blob, its metadata verified, ready to be read whole or in part.
#[derive(Debug, Clone)]
pub struct BlobReader {
    source: Arc<SliverSource>,
    budget: Arc<ReadBudget>,
    layout: RowLayout,
    /// The whole blob, decoded once should a row be neither served nor rebuilt.
    decoded: Arc<OnceCell<Vec<u8>>>,
    /// Each node's first row, asked for with the metadata ([`ReadPlan::Whole`]).
    first_rows: Arc<FirstRows>,
}

/// A blob's bytes, in order, each chunk verified; ends early with an error if the blob could not
/// be read past some point.
pub type BlobStream = BoxStream<'static, Result<Vec<u8>, ReadError>>;

impl FloeClient {
    /// Fetches and verifies the metadata of `blob_id`, for streamed or ranged reads that hold
    /// at most what `budget` allows; for a read of the whole blob ([`ReadPlan::Whole`]), each
    /// node's first row with it.
    pub async fn open_blob(
        &self,
        blob_id: &BlobId,
        budget: Arc<ReadBudget>,
        plan: ReadPlan,
    ) -> Result<BlobReader, ReadError> {
        let committees = self.committees();
        let trust = SliverSource::trust_for(self, NodeRecord::default());
        let (metadata_in, metadata_out) = watch::channel(None);
        let first_rows = match plan {
            ReadPlan::Whole => {
                FirstRows::ask(&committees, blob_id, &budget, &trust, &metadata_out, self.settings(), self.http())
            }
            ReadPlan::Ranges => FirstRows::default(),
        };
        let mut record = NodeRecord::default();
        // Should this fail, the first rows' tasks are aborted as `first_rows` is dropped.
        let metadata = read::metadata(&committees, blob_id, &mut record, self.settings(), self.http()).await?;
        trust.merge(record);
        metadata_in.send_replace(Some(metadata.clone()));
        let layout = RowLayout::new(committees.current.config(), &metadata);
        let source = SliverSource::new(self, committees, metadata, trust);
        Ok(BlobReader {
            source: Arc::new(source),
            budget,
            layout,
            decoded: Arc::default(),
            first_rows: Arc::new(first_rows),
        })
    }
}

/// A whole read's first row of each node, asked for with the metadata ([`ReadPlan::Whole`]), by
/// row: the task fetching and checking it. Each task holds its node's turn, so the node's other
/// requests in the read wait for its verdict (as they would behind any first request), and the
/// bound its row was asked with in the budget.
#[derive(Debug, Default)]
struct FirstRows(Mutex<HashMap<u16, AbortOnDropHandle<Option<FirstRow>>>>);

/// A first row, verified, and its bytes' place in the budget.
#[derive(Debug)]
struct FirstRow {
    sliver: Sliver,
    bytes: OwnedSemaphorePermit,
}

impl FirstRows {
    /// Asks each node of the current committee holding some of `blob_id`'s rows for the first of
    /// them, each within an equal share of the read's window reserved in `budget` (rows are asked
    /// for as long as the budget has that room now); `metadata` will bring what they are checked
    /// against.
    fn ask(
        committees: &Committees,
        blob_id: &BlobId,
        budget: &ReadBudget,
        trust: &Arc<NodeTrust>,
        metadata: &watch::Receiver<Option<VerifiedBlobMetadata>>,
        settings: &Settings,
        http: &reqwest::Client,
    ) -> Self {
        let committee = &committees.current;
        let config = *committee.config();
        let firsts = read::first_rows(committee, blob_id, settings.max_concurrent_requests.max(1));
        let max_bytes = budget.window() / firsts.len().max(1);
        if max_bytes < config.sliver_len(SliverType::Primary, 1) {
            // Shorter than any row: every node would refuse.
            return Self::default();
        }
        let mut tasks = HashMap::new();
        // From row 0 on, stopping at the first that cannot be asked (see `BlobReader::stream`).
        for (row, pair, member) in firsts {
            let Some(turn) = trust.first_turn(member.node_id) else { break };
            let Some(bytes) = budget.try_reserve(max_bytes) else { break };
            let request = EarlySliver {
                node: member.client(http),
                node_id: member.node_id,
                config,
                blob_id: *blob_id,
                pair,
                axis: SliverType::Primary,
                max_bytes,
                timeout: settings.request_timeout,
            };
            let task = first_row(request.run(turn, trust.clone(), metadata.clone()), bytes);
            tasks.insert(row, AbortOnDropHandle::new(tokio::spawn(task)));
        }
        Self(Mutex::new(tasks))
    }

    fn tasks(&self) -> std::sync::MutexGuard<'_, HashMap<u16, AbortOnDropHandle<Option<FirstRow>>>> {
        self.0.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// The task of `row`, if one was started and not taken yet.
    fn take(&self, row: u16) -> Option<AbortOnDropHandle<Option<FirstRow>>> {
        self.tasks().remove(&row)
    }

    /// Keeps the rows a stream of `rows` will take, if it starts at the blob's first row; gives
    /// up the others (their bytes go back to the budget).
    fn keep_for(&self, rows: &Range<u16>) {
        let from_the_start = rows.start == 0;
        self.tasks().retain(|row, _| from_the_start && rows.contains(row));
    }
}

/// A first row once it is verified, keeping only its own bytes of those reserved for it.
async fn first_row(
    verified: impl Future<Output = Option<VerifiedSliver>>,
    mut bytes: OwnedSemaphorePermit,
) -> Option<FirstRow> {
    let sliver = verified.await?.into_inner();
    let len = sliver.data().len().max(1);
    drop(bytes.split(bytes.num_permits().saturating_sub(len)));
    Some(FirstRow { sliver, bytes })
}

impl BlobReader {
    /// The blob.
    pub fn blob_id(&self) -> &BlobId {
        self.source.metadata.blob_id()
    }

    /// The blob's length in bytes.
    pub fn len(&self) -> u64 {
        self.layout.blob_len
    }

    /// Whether the blob has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes `range` of the blob (clamped to it) as they arrive, one chunk per row.
    pub fn stream(&self, range: Range<u64>) -> BlobStream {
        let range = range.start.min(self.len())..range.end.min(self.len());
        let rows = self.layout.rows(&range);
        let row_len = self.layout.row_len as usize;
        let window = (self.budget.window / row_len).clamp(1, self.source.settings.max_concurrent_requests.max(1));
        let budget = self.budget.clone();
        // First rows serve a stream from the blob's first row on: they were reserved from row 0
        // on, so the stream's first row holds its bytes already and each row it passes gives
        // bytes back; it never waits for bytes only rows further on hold.
        self.first_rows.keep_for(&rows);
        let (reader, first_rows) = (self.clone(), self.first_rows.clone());
        futures::stream::iter(rows)
            // Reserved one row after another, so an earlier row never waits behind a later one.
            .then(move |row| {
                let (budget, first_rows) = (budget.clone(), first_rows.clone());
                async move {
                    // A first row asked for with the metadata comes with its place in the budget.
                    if let Some(task) = first_rows.take(row)
                        && let Ok(Some(first)) = task.await
                    {
                        return (row, first.bytes, Some(first.sliver));
                    }
                    (row, budget.reserve(row_len).await, None)
                }
            })
            .map(move |(row, permit, first)| {
                let (reader, range) = (reader.clone(), range.clone());
                async move { reader.row(row, &range, first).await.map(|chunk| (chunk, permit)) }
            })
            .buffered(window)
            .scan(false, |failed, item| {
                if *failed {
                    return futures::future::ready(None);
                }
                *failed = item.is_err();
                // The row's reservation ends here, its bytes handed on.
                futures::future::ready(Some(item.map(|(chunk, _permit)| chunk)))
            })
            .boxed()
    }

    /// Bytes `range` of the blob (clamped to it), collected.
    pub async fn read(&self, range: Range<u64>) -> Result<Vec<u8>, ReadError> {
        let mut bytes = Vec::with_capacity((range.end.min(self.len()).saturating_sub(range.start)) as usize);
        let mut stream = self.stream(range);
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        Ok(bytes)
    }

    /// The part of `range` in row `row`: from the row's sliver (`first`, if it came with the
    /// metadata), rebuilt if need be, or from the decoded blob.
    async fn row(&self, row: u16, range: &Range<u64>, first: Option<Sliver>) -> Result<Vec<u8>, ReadError> {
        let part = self.layout.within(row, range);
        if let Some(blob) = self.decoded.get() {
            return Ok(self.cut_from_blob(blob, row, part));
        }
        let fetched = match first {
            Some(sliver) => Ok(sliver),
            None => self.source.fetch_or_recover(SliverType::Primary, SliverIndex(row)).await,
        };
        let failures = match fetched {
            Ok(sliver) => {
                // The row's own bytes, cut to the range: no copy for a whole row.
                let mut bytes = sliver.into_data();
                bytes.truncate(part.end);
                bytes.drain(..part.start);
                return Ok(bytes);
            }
            Err(failures) => failures,
        };
        tracing::info!(blob = %self.blob_id(), row, %failures, "decoding the blob: a row was neither served nor rebuilt");
        let source = &self.source;
        let blob = self
            .decoded
            .get_or_try_init(|| async {
                let mut record = source.trust.record();
                read::decode(
                    &source.committees(),
                    source.metadata.clone(),
                    Vec::new(),
                    &mut record,
                    &source.settings,
                    &source.http,
                    &NoProgress,
                )
                .await
            })
            .await
            .map_err(|error| match error {
                ReadError::NotEnoughSlivers { .. } => ReadError::SliverUnavailable {
                    blob_id: *self.blob_id(),
                    axis: SliverType::Primary,
                    index: SliverIndex(row),
                    failures,
                },
                other => other,
            })?;
        Ok(self.cut_from_blob(blob, row, part))
    }

    fn cut_from_blob(&self, blob: &[u8], row: u16, part: Range<usize>) -> Vec<u8> {
        let start = usize::from(row) * self.layout.row_len as usize;
        blob[start + part.start..start + part.end].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(row_len: u64, blob_len: u64) -> RowLayout {
        RowLayout { row_len, blob_len }
    }

    #[test]
    fn a_range_needs_the_rows_it_touches_and_no_other() {
        let layout = layout(100, 950);
        assert_eq!(layout.rows(&(0..1)), 0..1);
        assert_eq!(layout.rows(&(0..100)), 0..1);
        assert_eq!(layout.rows(&(99..101)), 0..2);
        assert_eq!(layout.rows(&(100..200)), 1..2);
        assert_eq!(layout.rows(&(949..950)), 9..10);
        assert_eq!(layout.rows(&(0..950)), 0..10);
        assert_eq!(layout.rows(&(5..5)), 0..0);
    }

    #[test]
    fn the_part_of_a_row_is_the_range_cut_to_that_row() {
        let layout = layout(100, 950);
        assert_eq!(layout.within(0, &(99..101)), 99..100);
        assert_eq!(layout.within(1, &(99..101)), 0..1);
        assert_eq!(layout.within(9, &(900..950)), 0..50);
        assert_eq!(layout.within(3, &(0..950)), 0..100);
    }

    #[tokio::test]
    async fn the_budget_holds_reads_back_until_bytes_are_returned() {
        let budget = Arc::new(ReadBudget::new(1000, 400));
        let first = budget.reserve(600).await;
        assert_eq!(budget.available(), 400);
        let mut waiting = Box::pin(budget.reserve(600));
        assert!(futures::poll!(&mut waiting).is_pending(), "a reservation beyond the budget went through");
        drop(first);
        let second = waiting.await;
        assert_eq!(budget.available(), 400);
        // A sliver larger than the whole budget waits for all of it, then goes alone.
        drop(second);
        let huge = budget.reserve(5000).await;
        assert_eq!(budget.available(), 0);
        drop(huge);
        assert_eq!(budget.available(), 1000);
    }
}
