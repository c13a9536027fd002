//! Encoding a blob into sliver pairs and metadata.
//!
//! The blob fills a `rows x columns` matrix of symbols row by row (zero-padded). Each row is
//! extended with parity to `n` symbols; then each of the `n` columns is extended to `n` symbols.
//! Primary sliver `i` is row `i` cut to `columns` symbols, secondary sliver `j` is column `j` cut
//! to `rows` symbols. Every symbol of the `n x n` expanded matrix is hashed once: its leaf hash
//! serves both the tree of its row and the tree of its column. The bottom-right quadrant (parity
//! of parity) is never stored, only hashed, and is never held whole in memory.
//!
//! ```
//! use floe_encoder::{EncodingConfig, encode};
//!
//! let config = EncodingConfig::new(10).unwrap();
//! let encoded = encode(&config, &[42u8; 1000]).unwrap();
//! assert_eq!(encoded.pairs.len(), 10);
//! assert_eq!(encoded.metadata.unencoded_length(), 1000);
//! println!("blob id {}", encoded.metadata.blob_id());
//! ```

use rayon::prelude::*;

use crate::{
    EncodingConfig, EncodingType, SliverIndex, SliverType, code,
    error::EncodeError,
    merkle::{self, Node, StreamingRoot},
    metadata::{BlobMetadata, SliverPairMetadata, VerifiedBlobMetadata},
    sliver::{Sliver, SliverPair},
    sliver_memory::SliverMemory,
};

/// Rows or columns extended per parallel step at most (by the spill encoder too); their parity
/// buffers are reused from step to step.
pub(crate) const MAX_CHUNK: usize = 64;
/// Bytes of parity held in flight per step, unless the threads need more sources (see
/// `chunk_len`). Parity is scratch, copied into slivers as each step ends, so a small budget
/// costs nothing but steps; at 32 MiB the buffers were a third of a 16 MiB blob's slivers at
/// 100 shards (64 columns of 490 KiB), fresh memory on every store of a one-shot `floe`, and at
/// 8 MiB still a tenth of a 16 MiB store's peak (docs/performance.md, "The client's memory at
/// 16 MiB").
const PARITY_BUDGET: usize = 2 << 20;

/// How many sources of `parity_len` bytes of parity to extend per step: within the budget, but
/// at least two per thread, so that every core has work in each step's parallel parts.
fn chunk_len(parity_len: usize) -> usize {
    let floor = (2 * rayon::current_num_threads()).clamp(2, MAX_CHUNK);
    (PARITY_BUDGET / parity_len.max(1)).clamp(floor, MAX_CHUNK)
}

/// An encoded blob: its metadata (with the blob id) and one sliver pair per shard, indexed by
/// sliver pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBlob {
    /// The verified metadata, including the blob id.
    pub metadata: VerifiedBlobMetadata,
    /// Sliver pair `p` at position `p`.
    pub pairs: Vec<SliverPair>,
}

/// Encodes `blob` for `config`'s committee size.
pub fn encode(config: &EncodingConfig, blob: &[u8]) -> Result<EncodedBlob, EncodeError> {
    let blob_len = u64::try_from(blob.len()).expect("a slice length fits in u64");
    let mut buffer = BlobBuffer::new(config, blob_len)?;
    let row_len = buffer.shape.row_len();
    buffer.blob_mut().par_chunks_mut(row_len).zip(blob.par_chunks(row_len)).for_each(|(row, source)| {
        row.copy_from_slice(source);
    });
    Ok(buffer.encode())
}

/// A blob written straight into the memory of its primary slivers, then encoded there.
///
/// The blob fills the matrix row by row and primary sliver `i` is row `i`, so the first `rows`
/// primary slivers, end to end, are the blob followed by zeros. A file read into this buffer
/// is not read into a buffer of its own first and then copied: a store of a file in memory
/// holds the blob once, not twice, and spares the fresh pages and the copy of a whole blob.
///
/// ```
/// use floe_encoder::{EncodingConfig, encode, encode::BlobBuffer};
///
/// let config = EncodingConfig::new(10).unwrap();
/// let file: &[u8] = b"the bytes of a file";
/// let mut buffer = BlobBuffer::new(&config, file.len() as u64).unwrap();
/// buffer.read_exactly(file).unwrap();
/// assert_eq!(buffer.encode(), encode(&config, file).unwrap());
/// ```
pub struct BlobBuffer {
    shape: Shape,
    blob_len: usize,
    /// All `n` primary slivers, zero until written: the blob, then the rows' padding, then the
    /// parity rows `encode` writes.
    primary: SliverMemory,
}

impl std::fmt::Debug for BlobBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobBuffer")
            .field("shape", &self.shape)
            .field("blob_len", &self.blob_len)
            .finish_non_exhaustive()
    }
}

impl BlobBuffer {
    /// Room for a blob of `len` bytes encoded for `config`, all zero. Refused, before any memory
    /// is taken, when `len` is above the shard count's maximum blob size.
    pub fn new(config: &EncodingConfig, len: u64) -> Result<Self, EncodeError> {
        let symbol_size = config.symbol_size_for(len)?;
        let shape = Shape::new(config, symbol_size);
        let blob_len = usize::try_from(len)
            .map_err(|_| EncodeError::BlobTooLarge { blob_len: len, max_blob_size: usize::MAX as u64 })?;
        Ok(Self { shape, blob_len, primary: SliverMemory::zeroed(shape.n, shape.row_len()) })
    }

    /// The blob's bytes, to be written in place.
    pub fn blob_mut(&mut self) -> &mut [u8] {
        &mut self.primary.block_mut()[..self.blob_len]
    }

    /// Fills the blob from `reader`, which must hold exactly the blob's length: fewer bytes are
    /// an [`std::io::ErrorKind::UnexpectedEof`] error, more an
    /// [`std::io::ErrorKind::InvalidData`] one (a file that grew after its size was taken).
    pub fn read_exactly(&mut self, mut reader: impl std::io::Read) -> std::io::Result<()> {
        let expected = self.blob_len;
        reader.read_exact(self.blob_mut())?;
        let mut more = [0u8; 1];
        loop {
            match reader.read(&mut more) {
                Ok(0) => return Ok(()),
                Ok(_) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("more than the {expected} bytes expected (did it change while it was read?)"),
                    ));
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Encodes the blob written: its slivers (the primary ones in this buffer's memory) and
    /// metadata.
    pub fn encode(mut self) -> EncodedBlob {
        let Self { shape, blob_len, .. } = self;
        let symbol_size = u16::try_from(shape.symbol).expect("the symbol size came from a u16");
        let mut secondary_memory = SliverMemory::zeroed(shape.n, shape.column_len());
        let (row_roots, column_roots) = {
            let mut secondary = secondary_memory.slivers_mut();
            shape.fill_systematic_columns(&self.primary.block_mut()[..blob_len], &mut secondary);
            let mut primary = self.primary.slivers_mut();
            shape.extend_rows(&primary, &mut secondary);
            shape.extend_columns(&secondary, &mut primary)
        };
        let metadata = metadata_of(blob_len as u64, &row_roots, &column_roots);

        let slivers_of = |memory: SliverMemory, axis| -> Vec<Sliver> {
            (memory.into_slivers().into_iter().enumerate())
                .map(|(i, data)| {
                    let index = SliverIndex(u16::try_from(i).expect("index below n_shards"));
                    Sliver::new(axis, index, symbol_size, data).expect("the encoder builds whole, even-sized symbols")
                })
                .collect()
        };
        let primary = slivers_of(self.primary, SliverType::Primary);
        let secondary = slivers_of(secondary_memory, SliverType::Secondary);
        let pairs = primary
            .into_iter()
            .zip(secondary.into_iter().rev())
            .map(|(primary, secondary)| SliverPair { primary, secondary })
            .collect();
        EncodedBlob { metadata, pairs }
    }
}

/// Computes only the metadata (and so the blob id) of `blob`, as a user checks a download.
pub fn compute_metadata(config: &EncodingConfig, blob: &[u8]) -> Result<VerifiedBlobMetadata, EncodeError> {
    encode(config, blob).map(|encoded| encoded.metadata)
}

/// The matrix dimensions of one encoding.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) n: usize,
    pub(crate) rows: usize,
    pub(crate) columns: usize,
    pub(crate) symbol: usize,
}

impl Shape {
    pub(crate) fn new(config: &EncodingConfig, symbol_size: u16) -> Self {
        Self {
            n: config.n_shards_usize(),
            rows: usize::from(config.n_rows()),
            columns: usize::from(config.n_columns()),
            symbol: usize::from(symbol_size),
        }
    }

    pub(crate) fn row_len(&self) -> usize {
        self.columns * self.symbol
    }

    /// Bytes of a secondary sliver: `rows` symbols.
    fn column_len(&self) -> usize {
        self.rows * self.symbol
    }

    /// Fills the first `columns` of the `n` secondary slivers (zeroed) with the blob's columns.
    fn fill_systematic_columns(&self, blob: &[u8], secondary: &mut [&mut [u8]]) {
        let (row_len, symbol) = (self.row_len(), self.symbol);
        secondary[..self.columns].par_iter_mut().enumerate().for_each(|(column, sliver)| {
            for (row, dest) in sliver.chunks_exact_mut(symbol).enumerate() {
                let start = (row * row_len + column * symbol).min(blob.len());
                let end = (start + symbol).min(blob.len());
                dest[..end - start].copy_from_slice(&blob[start..end]);
            }
        });
    }

    /// Extends each source row to `n` symbols; the parity fills secondary slivers
    /// `columns..n` at the row's position.
    fn extend_rows(&self, primary: &[&mut [u8]], secondary: &mut [&mut [u8]]) {
        let (columns, symbol) = (self.columns, self.symbol);
        let chunk = chunk_len(self.row_parity_len()).min(self.rows);
        let mut parities = vec![vec![0u8; self.row_parity_len()]; chunk];
        for (chunk_index, rows) in primary[..self.rows].chunks(chunk).enumerate() {
            self.row_parities(rows, &mut parities);
            let first = chunk_index * chunk;
            secondary[columns..].par_iter_mut().enumerate().for_each(|(p, sliver)| {
                for (offset, parity) in parities[..rows.len()].iter().enumerate() {
                    let row = first + offset;
                    sliver[row * symbol..(row + 1) * symbol].copy_from_slice(&parity[p * symbol..(p + 1) * symbol]);
                }
            });
        }
        code::release_codes(columns, self.n);
    }

    /// Bytes of parity one source row is extended by: `n - columns` symbols.
    pub(crate) fn row_parity_len(&self) -> usize {
        (self.n - self.columns) * self.symbol
    }

    /// Bytes of parity one column is extended by: `n - rows` symbols.
    pub(crate) fn column_parity_len(&self) -> usize {
        (self.n - self.rows) * self.symbol
    }

    /// The parity of each of `rows` (source rows of `columns` symbols) into `parities`, in
    /// parallel.
    pub(crate) fn row_parities(&self, rows: &[impl AsRef<[u8]> + Sync], parities: &mut [Vec<u8>]) {
        code::parities_into(self.columns, self.n, self.symbol, rows, parities);
    }

    /// Extends each of the `n` columns to `n` symbols and returns the roots of every row and
    /// every column of the expanded matrix. Parity of the systematic columns fills primary
    /// slivers `rows..n`; parity of parity is hashed and dropped.
    fn extend_columns(&self, secondary: &[&mut [u8]], primary: &mut [&mut [u8]]) -> (Vec<Node>, Vec<Node>) {
        let (rows, columns, symbol) = (self.rows, self.columns, self.symbol);
        let chunk = chunk_len(self.column_parity_len());
        let mut pass = ColumnPass::new(self, chunk);
        for (chunk_index, sources) in secondary.chunks(chunk).enumerate() {
            let first = chunk_index * chunk;
            let parities = pass.step(first, sources);
            // Only the systematic columns' parity is stored, in primary slivers rows..n.
            let stored = sources.len().min(columns.saturating_sub(first));
            if stored > 0 {
                primary[rows..].par_iter_mut().enumerate().for_each(|(parity_row, sliver)| {
                    for (offset, parity) in parities[..stored].iter().enumerate() {
                        let column = first + offset;
                        sliver[column * symbol..(column + 1) * symbol]
                            .copy_from_slice(&parity[parity_row * symbol..(parity_row + 1) * symbol]);
                    }
                });
            }
        }
        pass.finish()
    }
}

/// The column half of an encoding, a chunk of consecutive columns at a time: each column is
/// extended to `n` symbols and every symbol is hashed once; its leaf hash enters its column's
/// tree at once and its row's tree as the columns go by, so at most one chunk of columns' leaf
/// hashes is held (no `n x n` leaf matrix).
pub(crate) struct ColumnPass<'a> {
    shape: &'a Shape,
    parities: Vec<Vec<u8>>,
    chunk_leaves: Vec<merkle::Digest>,
    column_roots: Vec<Node>,
    row_trees: Vec<StreamingRoot>,
}

impl<'a> ColumnPass<'a> {
    /// A pass that takes at most `chunk` columns per step.
    pub(crate) fn new(shape: &'a Shape, chunk: usize) -> Self {
        assert!(chunk <= MAX_CHUNK, "a step's row leaves are gathered in an array of MAX_CHUNK");
        let n = shape.n;
        Self {
            shape,
            parities: vec![vec![0u8; shape.column_parity_len()]; chunk],
            chunk_leaves: vec![[0u8; 32]; n * chunk],
            column_roots: Vec::with_capacity(n),
            row_trees: vec![StreamingRoot::default(); n],
        }
    }

    /// Extends and hashes columns `first..first + sources.len()` (each `rows` symbols; the
    /// columns must come in order) and returns their parities, one per source.
    pub(crate) fn step(&mut self, first: usize, sources: &[impl AsRef<[u8]> + Sync]) -> &[Vec<u8>] {
        let Shape { n, rows, symbol, .. } = *self.shape;
        debug_assert_eq!(first, self.column_roots.len(), "columns come in order");
        let chunk_len = sources.len();
        let mut roots = vec![Node::Empty; chunk_len];
        code::parities_into(rows, n, symbol, sources, &mut self.parities);
        self.chunk_leaves
            .par_chunks_mut(n)
            .zip(roots.par_iter_mut())
            .zip(self.parities.par_iter())
            .zip(sources.par_iter())
            .for_each(|(((column_leaves, root), parity), source)| {
                merkle::hash_leaves(source.as_ref(), symbol, &mut column_leaves[..rows]);
                merkle::hash_leaves(parity, symbol, &mut column_leaves[rows..]);
                *root = merkle::root_of_leaf_hashes(column_leaves);
            });
        self.column_roots.extend(roots);
        let chunk_leaves = &self.chunk_leaves;
        self.row_trees.par_iter_mut().enumerate().for_each(|(row, tree)| {
            let mut leaves = [[0u8; 32]; MAX_CHUNK];
            for (leaf, column_leaves) in leaves.iter_mut().zip(chunk_leaves.chunks_exact(n).take(chunk_len)) {
                *leaf = column_leaves[row];
            }
            tree.extend(&leaves[..chunk_len]);
        });
        &self.parities[..chunk_len]
    }

    /// The roots of every row and every column, once all `n` columns went through.
    pub(crate) fn finish(self) -> (Vec<Node>, Vec<Node>) {
        debug_assert_eq!(self.column_roots.len(), self.shape.n, "every column went through");
        let row_roots = self.row_trees.par_iter().map(StreamingRoot::root).collect();
        (row_roots, self.column_roots)
    }
}

/// The metadata of an encoding from the roots of its expanded matrix's rows and columns:
/// pair `p` holds primary sliver `p` and secondary sliver `n - 1 - p`.
pub(crate) fn metadata_of(blob_len: u64, row_roots: &[Node], column_roots: &[Node]) -> VerifiedBlobMetadata {
    let n = row_roots.len();
    let hashes = (0..n)
        .map(|p| SliverPairMetadata { primary_hash: row_roots[p], secondary_hash: column_roots[n - 1 - p] })
        .collect();
    VerifiedBlobMetadata::new_trusted(BlobMetadata::new(EncodingType::RS2, blob_len, hashes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Code;

    /// The definition, written plainly: build the whole expanded matrix, hash rows and columns.
    #[allow(clippy::needless_range_loop)] // indices mirror the matrix definition
    fn reference_metadata(config: &EncodingConfig, blob: &[u8]) -> BlobMetadata {
        let symbol = usize::from(config.symbol_size_for(blob.len() as u64).unwrap());
        let (n, rows, columns) =
            (config.n_shards_usize(), usize::from(config.n_rows()), usize::from(config.n_columns()));
        let mut padded = blob.to_vec();
        padded.resize(rows * columns * symbol, 0);
        let mut matrix = vec![vec![vec![0u8; symbol]; n]; n];
        for r in 0..rows {
            for c in 0..columns {
                matrix[r][c] = padded[(r * columns + c) * symbol..(r * columns + c + 1) * symbol].to_vec();
            }
            let row: Vec<u8> = matrix[r][..columns].concat();
            let full = Code::new(columns, n, symbol).expand(&row);
            for c in 0..n {
                matrix[r][c] = full[c * symbol..(c + 1) * symbol].to_vec();
            }
        }
        for c in 0..n {
            let column: Vec<u8> = (0..rows).flat_map(|r| matrix[r][c].clone()).collect();
            let full = Code::new(rows, n, symbol).expand(&column);
            for r in 0..n {
                matrix[r][c] = full[r * symbol..(r + 1) * symbol].to_vec();
            }
        }
        let row_root = |r: usize| merkle::MerkleTree::build(matrix[r].iter().map(Vec::as_slice)).root();
        let column_root = |c: usize| merkle::MerkleTree::build((0..n).map(|r| matrix[r][c].as_slice())).root();
        let hashes = (0..n)
            .map(|p| SliverPairMetadata { primary_hash: row_root(p), secondary_hash: column_root(n - 1 - p) })
            .collect();
        BlobMetadata::new(EncodingType::RS2, blob.len() as u64, hashes)
    }

    #[test]
    fn the_row_passs_codecs_are_freed_once_every_row_is_extended() {
        // A shape no other test encodes: tests share the process's codec pool, and another
        // test's codecs may push this one's column codecs out, but never bring a row codec back.
        let config = EncodingConfig::new(37).unwrap();
        let encoded = encode(&config, &[3u8; 54_321]).unwrap();
        let shape = Shape::new(&config, encoded.metadata.symbol_size(&config));
        assert!(!code::is_pooled(shape.columns, shape.n), "the rows' codec was freed");
    }

    #[test]
    fn encoder_equals_the_plain_definition() {
        for (n, len) in [(4u16, 0usize), (4, 1), (7, 100), (10, 1000), (13, 4097), (31, 20_000)] {
            let config = EncodingConfig::new(n).unwrap();
            let blob: Vec<u8> = (0..len).map(|i| (i * 131 + 7) as u8).collect();
            let encoded = encode(&config, &blob).unwrap();
            assert_eq!(*encoded.metadata.metadata(), reference_metadata(&config, &blob), "n={n} len={len}");
        }
    }

    #[test]
    fn rows_and_columns_extended_over_several_steps_encode_as_the_plain_definition() {
        // 100 shards, 24 MiB: 11 KiB symbols, so the parity budget holds fewer rows (33 parity
        // symbols each) and fewer columns (66) than there are, and both passes take several steps.
        let config = EncodingConfig::new(100).unwrap();
        let blob: Vec<u8> = (0..24usize << 20).map(|i| (i * 131 + i / 4093) as u8).collect();
        let shape = Shape::new(&config, config.symbol_size_for(blob.len() as u64).unwrap());
        assert!(chunk_len(shape.row_parity_len()) < shape.rows, "the rows fit one step");
        assert!(chunk_len(shape.column_parity_len()) < shape.n, "the columns fit one step");
        let encoded = encode(&config, &blob).unwrap();
        assert_eq!(*encoded.metadata.metadata(), reference_metadata(&config, &blob));
    }

    #[test]
    fn every_sliver_verifies_against_the_metadata() {
        let config = EncodingConfig::new(10).unwrap();
        let blob: Vec<u8> = (0..5000).map(|i| (i % 251) as u8).collect();
        let encoded = encode(&config, &blob).unwrap();
        for (p, pair) in encoded.pairs.iter().enumerate() {
            assert_eq!(pair.index().as_usize(), p);
            assert_eq!(pair.secondary.index().as_usize(), 9 - p);
            encoded.metadata.verify_sliver(&config, &pair.primary).unwrap();
            encoded.metadata.verify_sliver(&config, &pair.secondary).unwrap();
        }
        // Systematic primary slivers are the blob's rows.
        let row_len = 7 * usize::from(encoded.pairs[0].primary.symbol_size());
        assert_eq!(encoded.pairs[0].primary.data(), &blob[..row_len]);
    }

    #[test]
    fn oversized_blob_is_refused_before_any_work() {
        let config = EncodingConfig::new(4).unwrap(); // 6 source symbols
        let blob = vec![0u8; 6 * 65_534 + 1];
        assert!(matches!(encode(&config, &blob), Err(EncodeError::BlobTooLarge { blob_len: 393_205, .. })));
        assert!(matches!(BlobBuffer::new(&config, 393_205), Err(EncodeError::BlobTooLarge { blob_len: 393_205, .. })));
    }

    /// A reader that hands out at most `step` bytes per call, as a pipe or a socket may.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let len = buf.len().min(self.step).min(self.bytes.len());
            buf[..len].copy_from_slice(&self.bytes[..len]);
            self.bytes = &self.bytes[len..];
            Ok(len)
        }
    }

    #[test]
    fn a_blob_read_into_its_buffer_encodes_as_the_same_bytes_given_whole() {
        // Empty, a few symbols, rows cut mid-symbol, and blobs large enough for mapped memory.
        for (n, len) in [(10u16, 0usize), (10, 1), (10, 1001), (13, 4097), (100, 3 << 20), (1000, (5 << 20) + 3)] {
            let config = EncodingConfig::new(n).unwrap();
            let blob: Vec<u8> = (0..len).map(|i| (i * 131 + i / 977) as u8).collect();
            let mut buffer = BlobBuffer::new(&config, len as u64).unwrap();
            assert!(buffer.blob_mut().iter().all(|&b| b == 0), "n = {n}, {len} B: the buffer starts zeroed");
            buffer.read_exactly(Trickle { bytes: &blob, step: 65_537 }).unwrap();
            let start = buffer.blob_mut().as_ptr();
            let encoded = buffer.encode();
            assert_eq!(encoded, encode(&config, &blob).unwrap(), "n = {n}, {len} B");
            // The systematic primary slivers are the buffer the blob was read into, not a copy.
            assert_eq!(encoded.pairs[0].primary.data().as_ptr(), start, "n = {n}, {len} B: the blob was copied");
        }
    }

    #[test]
    fn a_reader_shorter_or_longer_than_the_blob_is_refused() {
        let config = EncodingConfig::new(10).unwrap();
        let blob = vec![9u8; 5000];
        let mut buffer = BlobBuffer::new(&config, 5001).unwrap();
        let short = buffer.read_exactly(Trickle { bytes: &blob, step: 700 }).unwrap_err();
        assert_eq!(short.kind(), std::io::ErrorKind::UnexpectedEof);
        let mut buffer = BlobBuffer::new(&config, 4999).unwrap();
        let long = buffer.read_exactly(Trickle { bytes: &blob, step: 700 }).unwrap_err();
        assert_eq!(long.kind(), std::io::ErrorKind::InvalidData);
        assert!(long.to_string().contains("4999 bytes"), "{long}");
    }
}
