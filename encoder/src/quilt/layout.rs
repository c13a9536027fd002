//! Building a quilt (symbol size, column-wise writing) and reading its index and patches.

use std::borrow::Cow;

use super::{
    ColumnSource, QuiltError, QuiltFile, QuiltIndex, QuiltPatch,
    file::{HAS_TAGS, PATCH_HEADER_LEN, shorten},
};
use crate::{EncodingConfig, config::MAX_SYMBOL_SIZE, config::SYMBOL_ALIGNMENT};

/// The version byte of QuiltV1, first in the quilt, in every patch header and patch id.
pub const QUILT_VERSION: u8 = 1;
/// The index may span at most this many columns.
pub const MAX_INDEX_COLUMNS: u16 = 10;
/// Version byte and index length before the index.
const INDEX_PREFIX_LEN: usize = 5;

/// The most files one quilt holds at `config`'s shard count: one column per file at least, and
/// one column for the index.
pub fn max_patches(config: &EncodingConfig) -> usize {
    usize::from(config.n_columns()) - 1
}

/// A quilt: the blob bytes (the message matrix row by row) and its index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quilt {
    bytes: Vec<u8>,
    symbol_size: u16,
    n_rows: usize,
    n_columns: u16,
    index: QuiltIndex,
}

impl Quilt {
    /// Lays out `files` as a QuiltV1 for `config`'s shard count, sorted by identifier.
    pub fn encode(config: &EncodingConfig, files: &[QuiltFile]) -> Result<Self, QuiltError> {
        if files.is_empty() {
            return Err(QuiltError::NoFiles);
        }
        if files.len() > max_patches(config) {
            return Err(QuiltError::TooManyFiles { files: files.len(), max: max_patches(config) });
        }
        let mut sorted: Vec<&QuiltFile> = files.iter().collect();
        sorted.sort_by(|a, b| a.identifier().cmp(b.identifier()));
        if let Some(pair) = sorted.windows(2).find(|pair| pair[0].identifier() == pair[1].identifier()) {
            return Err(QuiltError::DuplicateIdentifier(shorten(pair[0].identifier())));
        }
        let prefixes = sorted.iter().map(|file| file.patch_prefix()).collect::<Result<Vec<_>, _>>()?;

        // The index's size does not depend on the column numbers (fixed-width u16), so it is
        // sized with placeholder ranges and written last.
        let placeholder = QuiltIndex::new(
            sorted.iter().map(|f| QuiltPatch::new(f.identifier().to_owned(), f.tags().clone(), 0, 0)).collect(),
        );
        let index_len = INDEX_PREFIX_LEN + placeholder.to_bcs().len();
        let sizes: Vec<u64> = std::iter::once(index_len as u64)
            .chain(sorted.iter().zip(&prefixes).map(|(file, prefix)| (prefix.len() + file.data().len()) as u64))
            .collect();
        let n_rows = usize::from(config.n_rows());
        let n_columns = config.n_columns();
        let symbol_size = symbol_size_for(&sizes, u64::from(n_columns), n_rows as u64)?;

        let mut matrix = MatrixWriter {
            bytes: vec![0; usize::from(symbol_size) * n_rows * usize::from(n_columns)],
            symbol_size: usize::from(symbol_size),
            n_rows,
            n_columns: usize::from(n_columns),
        };
        let column_len = matrix.column_len();
        let mut column = index_len.div_ceil(column_len);
        let mut patches = Vec::with_capacity(sorted.len());
        for (file, prefix) in sorted.iter().zip(&prefixes) {
            matrix.write(column, 0, prefix);
            matrix.write(column, prefix.len(), file.data());
            let end = column + (prefix.len() + file.data().len()).div_ceil(column_len);
            let [start, end_u16] = [column, end].map(|c| u16::try_from(c).expect("fits: end <= n_columns"));
            patches.push(QuiltPatch::new(file.identifier().to_owned(), file.tags().clone(), start, end_u16));
            column = end;
        }
        let index = QuiltIndex::new(patches);
        let index_bcs = index.to_bcs();
        let mut prefix = Vec::with_capacity(index_len);
        prefix.push(QUILT_VERSION);
        prefix.extend_from_slice(&u32::try_from(index_bcs.len()).expect("index fits 10 columns").to_le_bytes());
        prefix.extend_from_slice(&index_bcs);
        matrix.write(0, 0, &prefix);
        Ok(Self { bytes: matrix.bytes, symbol_size, n_rows, n_columns, index })
    }

    /// Reads a quilt blob of `config`'s shard count: checks its shape and parses its index.
    pub fn from_bytes(config: &EncodingConfig, bytes: Vec<u8>) -> Result<Self, QuiltError> {
        let source_symbols = config.source_symbols_per_blob();
        let symbol_size = u64::try_from(bytes.len()).expect("fits") / source_symbols;
        if bytes.is_empty()
            || !(bytes.len() as u64).is_multiple_of(source_symbols)
            || !symbol_size.is_multiple_of(u64::from(SYMBOL_ALIGNMENT))
        {
            return Err(QuiltError::NotAligned { len: bytes.len(), source_symbols });
        }
        let symbol_size =
            u16::try_from(symbol_size).map_err(|_| QuiltError::NotAligned { len: bytes.len(), source_symbols })?;
        let mut quilt = Self {
            bytes,
            symbol_size,
            n_rows: usize::from(config.n_rows()),
            n_columns: config.n_columns(),
            index: QuiltIndex::new(Vec::new()),
        };
        quilt.index = read_index(&quilt)?;
        Ok(quilt)
    }

    /// The blob bytes to store.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The blob bytes, taken out.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The RS2 symbol size, which is also the symbol size of the blob's encoding.
    pub fn symbol_size(&self) -> u16 {
        self.symbol_size
    }

    /// The index.
    pub fn index(&self) -> &QuiltIndex {
        &self.index
    }

    /// The file with `identifier`.
    pub fn file(&self, identifier: &str) -> Result<QuiltFile, QuiltError> {
        read_patch(self, self.index.patch(identifier)?)
    }

    /// Every file, in index order.
    pub fn files(&self) -> Result<Vec<QuiltFile>, QuiltError> {
        self.index.patches().iter().map(|patch| read_patch(self, patch)).collect()
    }
}

impl ColumnSource for Quilt {
    fn column_len(&self) -> usize {
        usize::from(self.symbol_size) * self.n_rows
    }

    fn n_columns(&self) -> u16 {
        self.n_columns
    }

    fn column(&self, index: u16) -> Result<Cow<'_, [u8]>, QuiltError> {
        let symbol = usize::from(self.symbol_size);
        let row_len = symbol * usize::from(self.n_columns);
        let start = usize::from(index) * symbol;
        Ok(Cow::Owned(self.bytes.chunks_exact(row_len).flat_map(|row| &row[start..start + symbol]).copied().collect()))
    }
}

/// The smallest even symbol size at which every part (index first) fits in whole columns, with
/// the index in at most [`MAX_INDEX_COLUMNS`]: Walrus's binary search, in integers.
fn symbol_size_for(sizes: &[u64], n_columns: u64, n_rows: u64) -> Result<u16, QuiltError> {
    let fits = |symbol: u64| sizes.iter().map(|size| size.div_ceil(symbol * n_rows)).sum::<u64>() <= n_columns;
    let total: u64 = sizes.iter().sum();
    let mut low = total
        .div_ceil(n_columns * n_rows)
        .max(sizes[0].div_ceil(n_rows * u64::from(MAX_INDEX_COLUMNS)))
        .max((INDEX_PREFIX_LEN as u64).div_ceil(n_rows))
        .max(1);
    // Each part given an equal share of the columns always fits.
    let share = n_columns / sizes.len() as u64;
    let mut high = sizes.iter().max().expect("not empty").div_ceil(share * n_rows).max(low);
    while low < high {
        let mid = (low + high) / 2;
        if fits(mid) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    let symbol_size = low.next_multiple_of(u64::from(SYMBOL_ALIGNMENT));
    debug_assert!(fits(symbol_size));
    u16::try_from(symbol_size)
        .ok()
        .filter(|size| *size <= MAX_SYMBOL_SIZE)
        .ok_or(QuiltError::QuiltTooLarge { symbol_size, max: MAX_SYMBOL_SIZE })
}

/// Writes bytes column-wise into a row-major matrix.
struct MatrixWriter {
    bytes: Vec<u8>,
    symbol_size: usize,
    n_rows: usize,
    n_columns: usize,
}

impl MatrixWriter {
    fn column_len(&self) -> usize {
        self.symbol_size * self.n_rows
    }

    /// Writes `data` from `skip` bytes into column `column`, continuing into the next columns.
    fn write(&mut self, column: usize, skip: usize, data: &[u8]) {
        let row_len = self.symbol_size * self.n_columns;
        let mut symbol = skip / self.symbol_size; // symbols into the patch, down the columns
        let mut offset = skip % self.symbol_size;
        let mut written = 0;
        while written < data.len() {
            let (col, row) = (column + symbol / self.n_rows, symbol % self.n_rows);
            let at = row * row_len + col * self.symbol_size + offset;
            let take = (self.symbol_size - offset).min(data.len() - written);
            self.bytes[at..at + take].copy_from_slice(&data[written..written + take]);
            written += take;
            symbol += 1;
            offset = 0;
        }
    }
}

/// How many columns the index spans, from the first column's bytes (which hold its length).
pub fn index_columns(first_column: &[u8]) -> Result<u16, QuiltError> {
    let prefix: [u8; INDEX_PREFIX_LEN] = first_column
        .get(..INDEX_PREFIX_LEN)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(QuiltError::IndexPrefixTruncated { column_len: first_column.len() })?;
    index_span(&prefix, first_column.len()).map(|(_, columns)| columns)
}

/// Checks the 5-byte prefix; returns the index length and the columns the index spans.
fn index_span(prefix: &[u8; INDEX_PREFIX_LEN], column_len: usize) -> Result<(usize, u16), QuiltError> {
    if prefix[0] != QUILT_VERSION {
        return Err(QuiltError::UnsupportedVersion { found: prefix[0], place: "the quilt index".into() });
    }
    let len = u32::from_le_bytes(prefix[1..].try_into().expect("4 bytes"));
    let max = column_len * usize::from(MAX_INDEX_COLUMNS) - INDEX_PREFIX_LEN;
    if len as usize > max {
        return Err(QuiltError::IndexTooLarge { len: u64::from(len), max: max as u64 });
    }
    let len = len as usize;
    let columns = (INDEX_PREFIX_LEN + len).div_ceil(column_len);
    Ok((len, u16::try_from(columns).expect("at most 10")))
}

/// Reads and checks the index from the first columns of `source`.
pub fn read_index(source: &impl ColumnSource) -> Result<QuiltIndex, QuiltError> {
    let prefix: [u8; INDEX_PREFIX_LEN] = source.read(0, 0, INDEX_PREFIX_LEN)?.try_into().expect("5 bytes read");
    let (len, columns) = index_span(&prefix, source.column_len())?;
    let bytes = source.read(0, INDEX_PREFIX_LEN, len)?;
    QuiltIndex::from_bcs(&bytes, columns, source.n_columns())
}

/// Reads the patch at `patch`'s columns and checks it is the patch the index describes.
pub fn read_patch(source: &impl ColumnSource, patch: &QuiltPatch) -> Result<QuiltFile, QuiltError> {
    let file = read_patch_at(source, patch.start(), patch.end())?;
    if file.identifier() != patch.identifier() || file.tags() != patch.tags() {
        return Err(QuiltError::MalformedPatch {
            column: patch.start(),
            reason: format!(
                "holds {:?} but the index says {:?} (or other tags)",
                shorten(file.identifier()),
                shorten(patch.identifier())
            ),
        });
    }
    Ok(file)
}

/// Reads the patch in columns `start..end` (as a quilt patch id names it), without the index.
pub fn read_patch_at(source: &impl ColumnSource, start: u16, end: u16) -> Result<QuiltFile, QuiltError> {
    let malformed = |reason: String| QuiltError::MalformedPatch { column: start, reason };
    if end <= start || end > source.n_columns() {
        return Err(QuiltError::UnknownPatch { start, end });
    }
    // Name every missing column at once, so a reader fetches them in one round.
    source.check_present(usize::from(start)..usize::from(end))?;
    let header = source.read(start, 0, PATCH_HEADER_LEN)?;
    if header[0] != QUILT_VERSION {
        return Err(QuiltError::UnsupportedVersion { found: header[0], place: format!("the patch at column {start}") });
    }
    let len = u32::from_le_bytes(header[1..5].try_into().expect("4 bytes")) as usize;
    let mask = header[5];
    let room = usize::from(end.saturating_sub(start)) * source.column_len();
    if PATCH_HEADER_LEN + len > room {
        return Err(malformed(format!("claims {len} bytes but its {} columns hold {room}", end.saturating_sub(start))));
    }
    let mut offset = PATCH_HEADER_LEN;
    let mut field = |what: &str, consumed: &mut usize| -> Result<Vec<u8>, QuiltError> {
        if *consumed + 2 > len {
            return Err(malformed(format!("its length {len} ends inside the {what} length")));
        }
        let size = source.read(start, offset, 2)?;
        let size = usize::from(u16::from_le_bytes([size[0], size[1]]));
        if *consumed + 2 + size > len {
            return Err(malformed(format!("its length {len} ends inside the {what}")));
        }
        let bytes = source.read(start, offset + 2, size)?;
        offset += 2 + size;
        *consumed += 2 + size;
        Ok(bytes)
    };
    let mut consumed = 0;
    let identifier: String = bcs::from_bytes(&field("identifier", &mut consumed)?)
        .map_err(|err| malformed(format!("identifier is not a BCS string: {err}")))?;
    let tags = if mask & HAS_TAGS != 0 {
        bcs::from_bytes(&field("tags", &mut consumed)?)
            .map_err(|err| malformed(format!("tags are not a BCS string map: {err}")))?
    } else {
        Default::default()
    };
    let data = source.read(start, PATCH_HEADER_LEN + consumed, len - consumed)?;
    Ok(QuiltFile::new(identifier, data)?.with_tags(tags))
}
