//! Encoding a blob larger than memory: the blob is read from a reader a few rows at a time and
//! every sliver is written to a spill file, so the encoder holds neither the blob nor its
//! slivers. The metadata, the blob id and every sliver are byte for byte those of
//! [`encode`](crate::encode()) (the same passes over rows and columns, fed from the file).
//!
//! Working memory is about `max(WORKING_BUDGET, 2 x n x symbol_size)` bytes whatever the blob's
//! size (one step's rows or columns with their parity; one step holds at least two), plus one
//! gathered column or row of the step, `64 x n` leaf hashes and each thread's codec buffers: 64
//! MiB at `n = 1000` up to symbols of 32 KiB (blobs up to 6.8 GiB), 125 MiB for the largest blob
//! (65,534-byte symbols). The spill file takes the encoded size (`n x (rows + columns) x
//! symbol_size`, about 4.5x the blob at `n = 1000`) on disk; it is written with positioned
//! writes and read back the same way, never mapped, so what the kernel caches of it is page
//! cache, not the process's memory.
//!
//! ```
//! use floe_encoder::{EncodingConfig, SliverPairIndex, SliverType, encode, spill::encode_to_file};
//!
//! let config = EncodingConfig::new(10).unwrap();
//! let blob = vec![7u8; 5000];
//! let spilled = encode_to_file(&config, blob.len() as u64, &blob[..], tempfile::tempfile().unwrap()).unwrap();
//! let encoded = encode(&config, &blob).unwrap();
//! assert_eq!(spilled.metadata(), &encoded.metadata);
//! let sliver = spilled.sliver(SliverPairIndex(3), SliverType::Secondary).unwrap();
//! assert_eq!(sliver, encoded.pairs[3].secondary);
//! ```

use std::{
    fs::File,
    io::{self, Read},
    os::unix::fs::FileExt,
};

use crate::{
    EncodingConfig, SliverIndex, SliverPairIndex, SliverType,
    encode::{ColumnPass, MAX_CHUNK, Shape, metadata_of},
    error::EncodeError,
    metadata::VerifiedBlobMetadata,
    sliver::Sliver,
};

/// Bytes of rows or columns (with their parity) one step holds at most, unless two rows or
/// columns of the expanded matrix are larger.
pub const WORKING_BUDGET: usize = 64 << 20;

/// Why a blob could not be encoded to a spill file.
#[derive(Debug, thiserror::Error)]
pub enum EncodeFileError {
    /// The blob cannot be encoded for this shard count.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Reading the blob failed.
    #[error("reading the blob: {0}")]
    Read(#[source] io::Error),
    /// The reader ended before the blob's announced length.
    #[error("the blob ended after {read} of its {expected} bytes (did the file change while it was encoded?)")]
    ShortInput {
        /// Bytes read.
        read: u64,
        /// Bytes announced.
        expected: u64,
    },
    /// Writing or reading back the spill file failed (a full disk, most likely).
    #[error("writing or reading the spill file: {0}")]
    Spill(#[source] io::Error),
}

/// An encoded blob whose slivers are in a spill file: its metadata in memory, each sliver read
/// back on demand. Dropping it closes the file (an anonymous temporary file then disappears).
#[derive(Debug)]
pub struct SpilledBlob {
    metadata: VerifiedBlobMetadata,
    file: File,
    layout: Layout,
}

impl SpilledBlob {
    /// The verified metadata, including the blob id.
    pub fn metadata(&self) -> &VerifiedBlobMetadata {
        &self.metadata
    }

    /// The sliver of `axis` that pair `pair` holds (primary `p`, secondary `n - 1 - p`), read
    /// from the spill file.
    pub fn sliver(&self, pair: SliverPairIndex, axis: SliverType) -> io::Result<Sliver> {
        let n = self.layout.shape.n;
        let pair = usize::from(pair.0);
        assert!(pair < n, "pair {pair} of {n}");
        let (offset, index) = match axis {
            SliverType::Primary => (self.layout.primary(pair), pair),
            SliverType::Secondary => (self.layout.secondary(n - 1 - pair), n - 1 - pair),
        };
        let mut data = vec![0u8; self.sliver_len(axis)];
        self.file.read_exact_at(&mut data, offset)?;
        let index = SliverIndex(u16::try_from(index).expect("index below n_shards"));
        let symbol_size = u16::try_from(self.layout.shape.symbol).expect("symbol sizes fit in u16");
        Ok(Sliver::new(axis, index, symbol_size, data).expect("whole, even-sized symbols"))
    }

    /// Bytes of one sliver of `axis`.
    pub fn sliver_len(&self, axis: SliverType) -> usize {
        match axis {
            SliverType::Primary => self.layout.shape.row_len(),
            SliverType::Secondary => self.layout.column_len(),
        }
    }

    /// Bytes of slivers in the spill file.
    pub fn spilled_bytes(&self) -> u64 {
        self.layout.total()
    }
}

/// Where each sliver lies in the spill file: the `n` primary slivers (rows of `columns`
/// symbols) one after the other, then the `n` secondary slivers (columns of `rows` symbols).
#[derive(Debug, Clone, Copy)]
struct Layout {
    shape: Shape,
}

impl Layout {
    fn column_len(&self) -> usize {
        self.shape.rows * self.shape.symbol
    }

    fn primary(&self, row: usize) -> u64 {
        (row * self.shape.row_len()) as u64
    }

    fn secondary(&self, column: usize) -> u64 {
        (self.shape.n * self.shape.row_len() + column * self.column_len()) as u64
    }

    fn total(&self) -> u64 {
        self.secondary(self.shape.n)
    }
}

/// How many rows or columns of the expanded matrix (`n` symbols each) one step takes.
fn chunk_len(shape: &Shape, budget: usize) -> usize {
    (budget / (shape.n * shape.symbol)).clamp(2, MAX_CHUNK)
}

/// Encodes the `blob_len` bytes `input` yields for `config`, writing every sliver to `spill`
/// (an empty file opened for reading and writing; a temporary one, ideally anonymous, so that
/// it is removed however the program ends). Returns the metadata with the spill file.
pub fn encode_to_file(
    config: &EncodingConfig,
    blob_len: u64,
    input: impl Read,
    spill: File,
) -> Result<SpilledBlob, EncodeFileError> {
    encode_to_file_with_budget(config, blob_len, input, spill, WORKING_BUDGET)
}

/// [`encode_to_file`] with steps of about `budget` bytes of rows or columns instead of
/// [`WORKING_BUDGET`] (at least two rows or columns per step): a smaller budget takes more,
/// smaller steps, as tests do to cover many steps with small blobs.
pub fn encode_to_file_with_budget(
    config: &EncodingConfig,
    blob_len: u64,
    mut input: impl Read,
    spill: File,
    budget: usize,
) -> Result<SpilledBlob, EncodeFileError> {
    let symbol_size = config.symbol_size_for(blob_len)?;
    let shape = Shape::new(config, symbol_size);
    let layout = Layout { shape };
    let Shape { n, rows, columns, symbol } = shape;
    let write = |bytes: &[u8], offset: u64| spill.write_all_at(bytes, offset).map_err(EncodeFileError::Spill);

    // The rows: each source row is a primary sliver; with its parity it is one symbol of every
    // secondary sliver.
    let chunk = chunk_len(&shape, budget).min(rows);
    let mut sources = vec![vec![0u8; shape.row_len()]; chunk];
    let mut parities = vec![vec![0u8; shape.row_parity_len()]; chunk];
    let mut gathered = vec![0u8; chunk * symbol];
    let mut read = 0u64;
    for first in (0..rows).step_by(chunk) {
        let count = chunk.min(rows - first);
        for source in &mut sources[..count] {
            read += fill(&mut input, source, read, blob_len)?;
        }
        shape.row_parities(&sources[..count], &mut parities);
        for (offset, source) in sources[..count].iter().enumerate() {
            write(source, layout.primary(first + offset))?;
        }
        for column in 0..n {
            let (from, at) = if column < columns { (&sources, column) } else { (&parities, column - columns) };
            for (offset, row) in from[..count].iter().enumerate() {
                gathered[offset * symbol..(offset + 1) * symbol].copy_from_slice(&row[at * symbol..(at + 1) * symbol]);
            }
            write(&gathered[..count * symbol], layout.secondary(column) + (first * symbol) as u64)?;
        }
    }
    drop((sources, parities, gathered));

    // The columns, read back: their parity fills primary slivers rows..n (of the systematic
    // columns; parity of parity is only hashed), and every symbol enters its row's and its
    // column's tree.
    let chunk = chunk_len(&shape, budget);
    let mut columns_read = vec![vec![0u8; layout.column_len()]; chunk];
    let mut gathered = vec![0u8; chunk * symbol];
    let mut pass = ColumnPass::new(&shape, chunk);
    for first in (0..n).step_by(chunk) {
        let count = chunk.min(n - first);
        for (offset, column) in columns_read[..count].iter_mut().enumerate() {
            spill.read_exact_at(column, layout.secondary(first + offset)).map_err(EncodeFileError::Spill)?;
        }
        let parities = pass.step(first, &columns_read[..count]);
        let stored = count.min(columns.saturating_sub(first));
        if stored == 0 {
            continue;
        }
        for parity_row in 0..n - rows {
            for (offset, parity) in parities[..stored].iter().enumerate() {
                gathered[offset * symbol..(offset + 1) * symbol]
                    .copy_from_slice(&parity[parity_row * symbol..(parity_row + 1) * symbol]);
            }
            write(&gathered[..stored * symbol], layout.primary(rows + parity_row) + (first * symbol) as u64)?;
        }
    }
    let (row_roots, column_roots) = pass.finish();
    Ok(SpilledBlob { metadata: metadata_of(blob_len, &row_roots, &column_roots), file: spill, layout })
}

/// Fills `row` with the next bytes of `input` (`read` of its `blob_len` were read before),
/// zero-padded past the blob's end; returns how many were read.
fn fill(input: &mut impl Read, row: &mut [u8], read: u64, blob_len: u64) -> Result<u64, EncodeFileError> {
    let wanted = usize::try_from(blob_len - read).unwrap_or(usize::MAX).min(row.len());
    let mut filled = 0;
    while filled < wanted {
        match input.read(&mut row[filled..wanted]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(EncodeFileError::Read(error)),
        }
    }
    if filled < wanted {
        return Err(EncodeFileError::ShortInput { read: read + filled as u64, expected: blob_len });
    }
    row[wanted..].fill(0);
    Ok(wanted as u64)
}
