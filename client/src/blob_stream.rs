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
//! Memory: a read holds at most its window of slivers, and all reads sharing a [`ReadBudget`]
//! hold at most its total: each row reserves its sliver's bytes before it is requested and
//! returns them once its bytes are yielded. Rows reserve in order, and the earliest reserved row
//! of a read never waits for more, so reads sharing a budget cannot deadlock. A sliver cannot be
//! verified in parts, so a window is at least one sliver (`blob / (n - 2f)`); the decoding
//! fallback holds the whole blob outside the budget.

use std::{ops::Range, sync::Arc};

use floe_encoder::{BlobId, EncodingConfig, SliverIndex, SliverType, metadata::VerifiedBlobMetadata};
use futures::{StreamExt, stream::BoxStream};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

use crate::{
    client::FloeClient,
    progress::NoProgress,
    read::{self, NodeRecord, ReadError},
    sliver_fetch::SliverSource,
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
}

/// A blob's bytes, in order, each chunk verified; ends early with an error if the blob could not
/// be read past some point.
pub type BlobStream = BoxStream<'static, Result<Vec<u8>, ReadError>>;

impl FloeClient {
    /// Fetches and verifies the metadata of `blob_id`, for streamed or ranged reads that hold
    /// at most what `budget` allows.
    pub async fn open_blob(&self, blob_id: &BlobId, budget: Arc<ReadBudget>) -> Result<BlobReader, ReadError> {
        let committees = self.committees();
        let mut record = NodeRecord::default();
        let metadata = read::metadata(&committees, blob_id, &mut record, self.settings(), self.http()).await?;
        let layout = RowLayout::new(committees.current.config(), &metadata);
        let source = SliverSource::new(self, committees, metadata, record);
        Ok(BlobReader { source: Arc::new(source), budget, layout, decoded: Arc::default() })
    }
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
        let reader = self.clone();
        futures::stream::iter(rows)
            // Reserved one row after another, so an earlier row never waits behind a later one.
            .then(move |row| {
                let budget = budget.clone();
                async move { (row, budget.reserve(row_len).await) }
            })
            .map(move |(row, permit)| {
                let (reader, range) = (reader.clone(), range.clone());
                async move { reader.row(row, &range).await.map(|chunk| (chunk, permit)) }
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

    /// The part of `range` in row `row`: from the row's sliver, rebuilt if need be, or from the
    /// decoded blob.
    async fn row(&self, row: u16, range: &Range<u64>) -> Result<Vec<u8>, ReadError> {
        let part = self.layout.within(row, range);
        if let Some(blob) = self.decoded.get() {
            return Ok(self.cut_from_blob(blob, row, part));
        }
        let failures = match self.source.fetch_or_recover(SliverType::Primary, SliverIndex(row)).await {
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
