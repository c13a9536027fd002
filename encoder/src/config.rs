//! RS2 encoding parameters derived from the number of shards.
//!
//! The blob is laid out in a matrix of `n - 2f` rows and `n - f` columns of equal-sized symbols.
//! Rows are extended with the *secondary* code to `n` symbols and columns with the *primary* code
//! to `n` symbols. A primary sliver is a row (`n - f` symbols), a secondary sliver is a column
//! (`n - 2f` symbols).
//!
//! ```
//! use floe_encoder::EncodingConfig;
//!
//! let config = EncodingConfig::new(1000).unwrap();
//! assert_eq!(config.n_rows(), 334);
//! assert_eq!(config.n_columns(), 667);
//! assert_eq!(config.max_blob_size(), 14_599_533_452);
//! // 1 MiB needs 6-byte symbols at n = 1000, and costs about 70 MB of encoded storage.
//! assert_eq!(config.symbol_size_for(1 << 20).unwrap(), 6);
//! assert_eq!(config.encoded_blob_length(1 << 20).unwrap(), 70_038_000);
//! ```

use crate::{SliverType, bft, error::EncodeError};

/// Symbols must have an even length: the Reed-Solomon code works on 16-bit words.
pub const SYMBOL_ALIGNMENT: u16 = 2;
/// The largest symbol size, `u16::MAX - 1` (the largest even `u16`).
pub const MAX_SYMBOL_SIZE: u16 = u16::MAX - 1;
/// The smallest supported number of shards (with fewer, `f = 0` and the code has no redundancy).
pub const MIN_N_SHARDS: u16 = 4;
/// Size of a digest in the metadata (Blake2b-256).
pub const DIGEST_LEN: usize = 32;

/// Encoding parameters for a committee of `n_shards` shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EncodingConfig {
    n_shards: u16,
}

impl EncodingConfig {
    /// Parameters for `n_shards` shards, or an error when the Reed-Solomon codec cannot serve them
    /// (fewer than [`MIN_N_SHARDS`], or more than GF(2^16) allows).
    pub fn new(n_shards: u16) -> Result<Self, EncodeError> {
        if n_shards < MIN_N_SHARDS {
            return Err(EncodeError::UnsupportedShardCount {
                n_shards,
                reason: "fewer than 4 shards tolerate no fault",
            });
        }
        let config = Self { n_shards };
        let n = usize::from(n_shards);
        for axis in [SliverType::Primary, SliverType::Secondary] {
            let k = usize::from(config.n_source_symbols(axis));
            if !reed_solomon_simd::ReedSolomonEncoder::supports(k, n - k) {
                return Err(EncodeError::UnsupportedShardCount {
                    n_shards,
                    reason: "the GF(2^16) codec does not support this code length",
                });
            }
        }
        Ok(config)
    }

    /// The number of shards `n`.
    pub const fn n_shards(&self) -> u16 {
        self.n_shards
    }

    /// The number of shards as a `usize`, for indexing.
    pub const fn n_shards_usize(&self) -> usize {
        self.n_shards as usize
    }

    /// `f`, the number of shards that may fail or lie.
    pub const fn max_faulty(&self) -> u16 {
        bft::max_faulty(self.n_shards)
    }

    /// Rows of the message matrix, `n - 2f`: the source symbols of the primary code, the symbol
    /// count of a secondary sliver, and the number of primary slivers needed to decode.
    pub const fn n_rows(&self) -> u16 {
        self.n_shards - 2 * self.max_faulty()
    }

    /// Columns of the message matrix, `n - f`: the source symbols of the secondary code, the
    /// symbol count of a primary sliver, and the number of secondary slivers needed to decode.
    pub const fn n_columns(&self) -> u16 {
        self.n_shards - self.max_faulty()
    }

    /// Source symbols of the code that extends slivers of the *orthogonal* axis into `axis`
    /// slivers: `n - 2f` for primary (columns are extended to full rows' worth of primary
    /// slivers), `n - f` for secondary.
    pub const fn n_source_symbols(&self, axis: SliverType) -> u16 {
        match axis {
            SliverType::Primary => self.n_rows(),
            SliverType::Secondary => self.n_columns(),
        }
    }

    /// Symbols in one sliver of `axis`: `n - f` for primary, `n - 2f` for secondary.
    pub const fn sliver_symbols(&self, axis: SliverType) -> u16 {
        self.n_source_symbols(axis.orthogonal())
    }

    /// Source symbols per blob: `rows * columns`.
    pub const fn source_symbols_per_blob(&self) -> u64 {
        self.n_rows() as u64 * self.n_columns() as u64
    }

    /// The largest blob these parameters can encode: `rows * columns * 65534` bytes.
    pub const fn max_blob_size(&self) -> u64 {
        self.source_symbols_per_blob() * MAX_SYMBOL_SIZE as u64
    }

    /// The symbol size for a blob of `blob_len` bytes: `ceil(max(len, 1) / (rows * columns))`
    /// rounded up to even. An empty blob is encoded as if it had one byte.
    pub fn symbol_size_for(&self, blob_len: u64) -> Result<u16, EncodeError> {
        let size =
            blob_len.max(1).div_ceil(self.source_symbols_per_blob()).next_multiple_of(u64::from(SYMBOL_ALIGNMENT));
        u16::try_from(size)
            .ok()
            .filter(|size| *size <= MAX_SYMBOL_SIZE)
            .ok_or(EncodeError::BlobTooLarge { blob_len, max_blob_size: self.max_blob_size() })
    }

    /// Bytes of one sliver of `axis` at `symbol_size`.
    pub fn sliver_len(&self, axis: SliverType, symbol_size: u16) -> usize {
        usize::from(self.sliver_symbols(axis)) * usize::from(symbol_size)
    }

    /// Bytes of metadata stored with every shard: two digests per sliver pair plus the blob id.
    pub const fn metadata_len_per_shard(&self) -> u64 {
        self.n_shards as u64 * 2 * DIGEST_LEN as u64 + DIGEST_LEN as u64
    }

    /// The encoded size the chain charges for: `n * (n * 64 + 32) + n * (rows + columns) *
    /// symbol_size`, i.e. a metadata copy per shard plus every sliver pair.
    pub fn encoded_blob_length(&self, blob_len: u64) -> Result<u64, EncodeError> {
        let symbol_size = u64::from(self.symbol_size_for(blob_len)?);
        let n = u64::from(self.n_shards);
        let pair_symbols = u64::from(self.n_rows()) + u64::from(self.n_columns());
        Ok(n * self.metadata_len_per_shard() + n * pair_symbols * symbol_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_dimensions_match_the_published_parameters() {
        for (n, rows, cols) in [(4, 2, 3), (7, 3, 5), (10, 4, 7), (31, 11, 21), (100, 34, 67), (1000, 334, 667)] {
            let config = EncodingConfig::new(n).unwrap();
            assert_eq!((config.n_rows(), config.n_columns()), (rows, cols), "n={n}");
            assert_eq!(config.sliver_symbols(SliverType::Primary), cols);
            assert_eq!(config.sliver_symbols(SliverType::Secondary), rows);
        }
    }

    #[test]
    fn symbol_size_is_even_and_covers_the_blob() {
        let config = EncodingConfig::new(10).unwrap(); // 28 source symbols
        assert_eq!(config.symbol_size_for(0).unwrap(), 2);
        assert_eq!(config.symbol_size_for(1).unwrap(), 2);
        assert_eq!(config.symbol_size_for(56).unwrap(), 2);
        assert_eq!(config.symbol_size_for(57).unwrap(), 4);
        assert_eq!(config.symbol_size_for(1000).unwrap(), 36);
    }

    #[test]
    fn blob_one_byte_over_the_maximum_is_refused_with_both_sizes() {
        let config = EncodingConfig::new(1000).unwrap();
        let max = config.max_blob_size();
        assert_eq!(config.symbol_size_for(max).unwrap(), MAX_SYMBOL_SIZE);
        assert_eq!(
            config.symbol_size_for(max + 1),
            Err(EncodeError::BlobTooLarge { blob_len: max + 1, max_blob_size: max })
        );
    }

    #[test]
    fn encoded_length_matches_the_minimum_storage_size_at_1000_shards() {
        let config = EncodingConfig::new(1000).unwrap();
        assert_eq!(config.encoded_blob_length(0).unwrap(), 66_034_000);
        assert_eq!(config.encoded_blob_length(1).unwrap(), 66_034_000);
    }

    #[test]
    fn too_few_shards_are_refused() {
        assert!(matches!(EncodingConfig::new(3), Err(EncodeError::UnsupportedShardCount { n_shards: 3, .. })));
        assert!(EncodingConfig::new(4).is_ok());
        assert!(EncodingConfig::new(10_000).is_ok());
    }
}
