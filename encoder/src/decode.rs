//! Decoding a blob from any `n - 2f` primary slivers or any `n - f` secondary slivers.
//!
//! Every sliver used is checked against the verified metadata first (or comes as a
//! [`VerifiedSliver`], checked when it was downloaded). After decoding, the default consistency
//! check re-derives the systematic slivers that were *not* given and compares their hashes with
//! the metadata: if a writer encoded the blob inconsistently, every reader learns it instead of
//! different readers getting different bytes.
//!
//! ```
//! use floe_encoder::{EncodingConfig, encode, decode::BlobDecoder};
//!
//! let config = EncodingConfig::new(10).unwrap();
//! let blob = b"any n - 2f primary slivers are enough".to_vec();
//! let encoded = encode(&config, &blob).unwrap();
//! // Keep only the last 4 primary slivers (n - 2f = 4).
//! let slivers = encoded.pairs[6..].iter().map(|pair| pair.primary.clone());
//! let decoder = BlobDecoder::new(&config, &encoded.metadata);
//! assert_eq!(decoder.decode(slivers).unwrap(), blob);
//! ```

use rayon::prelude::*;

use crate::{
    EncodingConfig, SliverIndex, SliverType,
    code::{batch_width, decode_batch},
    error::{DecodeError, SliverError},
    metadata::VerifiedBlobMetadata,
    sliver::{Sliver, expansion_roots},
};

/// A sliver known to match the metadata of the blob it is decoded for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSliver(Sliver);

impl VerifiedSliver {
    /// Checks `sliver` against `metadata` (shape, symbol size and hash).
    pub fn new(config: &EncodingConfig, metadata: &VerifiedBlobMetadata, sliver: Sliver) -> Result<Self, SliverError> {
        metadata.verify_sliver(config, &sliver)?;
        Ok(Self(sliver))
    }

    /// The sliver.
    pub fn sliver(&self) -> &Sliver {
        &self.0
    }

    /// Takes the sliver out.
    pub fn into_inner(self) -> Sliver {
        self.0
    }
}

/// How much to check after decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsistencyCheck {
    /// Re-derive the systematic slivers that were not given and compare with the metadata.
    #[default]
    Default,
    /// Re-encode the whole blob and compare blob ids (costs a full encode).
    Strict,
}

/// Decodes blobs of one metadata.
#[derive(Debug, Clone, Copy)]
pub struct BlobDecoder<'a> {
    config: &'a EncodingConfig,
    metadata: &'a VerifiedBlobMetadata,
    check: ConsistencyCheck,
}

impl<'a> BlobDecoder<'a> {
    /// A decoder for the blob described by `metadata`, with the default consistency check.
    pub fn new(config: &'a EncodingConfig, metadata: &'a VerifiedBlobMetadata) -> Self {
        Self { config, metadata, check: ConsistencyCheck::Default }
    }

    /// The same decoder with another consistency check.
    pub fn with_check(self, check: ConsistencyCheck) -> Self {
        Self { check, ..self }
    }

    /// Decodes from slivers of one axis, checking each against the metadata (in parallel).
    /// Slivers beyond the number needed are not checked; duplicates are ignored.
    pub fn decode(&self, slivers: impl IntoIterator<Item = Sliver>) -> Result<Vec<u8>, DecodeError> {
        let chosen = self.choose(slivers.into_iter())?;
        let verified = chosen
            .into_par_iter()
            .map(|sliver| VerifiedSliver::new(self.config, self.metadata, sliver))
            .collect::<Result<Vec<_>, _>>()?;
        self.decode_verified(verified)
    }

    /// Decodes from slivers already checked against the metadata.
    pub fn decode_verified(&self, slivers: impl IntoIterator<Item = VerifiedSliver>) -> Result<Vec<u8>, DecodeError> {
        let chosen = self.choose(slivers.into_iter().map(VerifiedSliver::into_inner))?;
        let axis = chosen[0].axis();
        let blob = match axis {
            SliverType::Primary => self.decode_rows(&chosen),
            SliverType::Secondary => self.decode_columns(&chosen),
        };
        self.check_consistency(axis, &chosen, &blob)?;
        Ok(blob)
    }

    /// Picks the slivers to decode from: one axis, distinct indices, systematic ones first,
    /// exactly as many as the code needs.
    fn choose(&self, slivers: impl Iterator<Item = Sliver>) -> Result<Vec<Sliver>, DecodeError> {
        let n = self.config.n_shards_usize();
        let mut by_index: Vec<Option<Sliver>> = vec![None; n];
        let mut axis = None;
        for sliver in slivers {
            let expected = *axis.get_or_insert(sliver.axis());
            if sliver.axis() != expected {
                return Err(SliverError::WrongAxis { expected, actual: sliver.axis() }.into());
            }
            self.metadata.check_sliver_shape(self.config, &sliver)?;
            let slot = &mut by_index[sliver.index().as_usize()];
            if slot.is_none() {
                *slot = Some(sliver);
            }
        }
        let axis = axis.unwrap_or(SliverType::Primary);
        let needed = usize::from(self.config.n_source_symbols(axis));
        let chosen: Vec<Sliver> = by_index.into_iter().flatten().take(needed).collect();
        if chosen.len() < needed {
            return Err(DecodeError::NotEnoughSlivers { axis, got: chosen.len(), needed });
        }
        Ok(chosen)
    }

    fn unencoded_len(&self) -> usize {
        usize::try_from(self.metadata.unencoded_length()).expect("verified length fits in memory")
    }

    /// From `rows` primary slivers: each column position is a primary-code word with `rows` source
    /// symbols; decoding it gives that column of the message matrix.
    fn decode_rows(&self, slivers: &[Sliver]) -> Vec<u8> {
        let (n, rows, columns) =
            (self.config.n_shards_usize(), usize::from(self.config.n_rows()), usize::from(self.config.n_columns()));
        let symbol = usize::from(slivers[0].symbol_size());
        let row_len = columns * symbol;
        let mut matrix = vec![0u8; rows * row_len];
        let mut missing = vec![true; rows];
        for sliver in slivers {
            let row = sliver.index().as_usize();
            if row < rows {
                matrix[row * row_len..(row + 1) * row_len].copy_from_slice(sliver.data());
                missing[row] = false;
            }
        }
        if missing.iter().any(|m| *m) {
            // Decode the columns in batches; each batch restores a segment of every missing row.
            let width = batch_width(symbol);
            let segments: Vec<Vec<(usize, Vec<u8>)>> = (0..columns)
                .step_by(width)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|first| {
                    let last = (first + width).min(columns);
                    let given: Vec<(usize, &[u8])> = slivers
                        .iter()
                        .map(|s| (s.index().as_usize(), &s.data()[first * symbol..last * symbol]))
                        .collect();
                    let mut restored = Vec::new();
                    decode_batch(rows, n, symbol, last - first, &given, |row, segment| {
                        restored.push((row, segment.to_vec()))
                    });
                    restored
                })
                .collect();
            let mut matrix_rows: Vec<&mut [u8]> = matrix.chunks_mut(row_len).collect();
            for (batch, restored) in segments.into_iter().enumerate() {
                let offset = batch * width * symbol;
                for (row, segment) in restored {
                    matrix_rows[row][offset..offset + segment.len()].copy_from_slice(&segment);
                }
            }
        }
        matrix.truncate(self.unencoded_len());
        matrix
    }

    /// From `columns` secondary slivers: each row is a secondary-code word with `columns` source
    /// symbols.
    fn decode_columns(&self, slivers: &[Sliver]) -> Vec<u8> {
        let (n, rows, columns) =
            (self.config.n_shards_usize(), usize::from(self.config.n_rows()), usize::from(self.config.n_columns()));
        let symbol = usize::from(slivers[0].symbol_size());
        let row_len = columns * symbol;
        let mut matrix = vec![0u8; rows * row_len];
        // Systematic columns are copied; the missing ones are decoded in batches of rows.
        let width = batch_width(symbol);
        matrix.par_chunks_mut(width * row_len).enumerate().for_each(|(batch, dest)| {
            let first = batch * width;
            let last = (first + width).min(rows);
            for sliver in slivers.iter().filter(|s| s.index().as_usize() < columns) {
                let column = sliver.index().as_usize();
                for (row, dest_row) in dest.chunks_exact_mut(row_len).enumerate() {
                    let at = (first + row) * symbol;
                    dest_row[column * symbol..(column + 1) * symbol].copy_from_slice(&sliver.data()[at..at + symbol]);
                }
            }
            let given: Vec<(usize, &[u8])> =
                slivers.iter().map(|s| (s.index().as_usize(), &s.data()[first * symbol..last * symbol])).collect();
            decode_batch(columns, n, symbol, last - first, &given, |column, symbols| {
                for (dest_row, data) in dest.chunks_exact_mut(row_len).zip(symbols.chunks_exact(symbol)) {
                    dest_row[column * symbol..(column + 1) * symbol].copy_from_slice(data);
                }
            });
        });
        matrix.truncate(self.unencoded_len());
        matrix
    }

    fn check_consistency(&self, axis: SliverType, given: &[Sliver], blob: &[u8]) -> Result<(), DecodeError> {
        match self.check {
            ConsistencyCheck::Strict => {
                let computed =
                    crate::encode::compute_metadata(self.config, blob).expect("decoded length is within the maximum");
                if computed.blob_id() == self.metadata.blob_id() {
                    Ok(())
                } else {
                    Err(DecodeError::ReencodedToAnotherBlob {
                        expected: *self.metadata.blob_id(),
                        computed: *computed.blob_id(),
                    })
                }
            }
            ConsistencyCheck::Default => self.check_systematic(axis, given, blob),
        }
    }

    /// Re-derives each systematic sliver of `axis` that was not given and compares its hash.
    fn check_systematic(&self, axis: SliverType, given: &[Sliver], blob: &[u8]) -> Result<(), DecodeError> {
        let n_systematic = usize::from(self.config.n_source_symbols(axis));
        let mut was_given = vec![false; n_systematic];
        for sliver in given {
            if let Some(flag) = was_given.get_mut(sliver.index().as_usize()) {
                *flag = true;
            }
        }
        let symbol_size = self.metadata.symbol_size(self.config);
        let symbol = usize::from(symbol_size);
        let columns = usize::from(self.config.n_columns());
        let sliver_len = usize::from(self.config.sliver_symbols(axis)) * symbol;
        let missing: Vec<usize> = (0..n_systematic).filter(|i| !was_given[*i]).collect();
        // As many slivers at a time as one codec pass expands together (one when symbols are
        // large), so the re-derived slivers never take much more than one sliver's memory each.
        let group = crate::code::Packing::new(symbol).per_parity_call();
        let bad = missing
            .par_chunks(group)
            .filter_map(|indices| {
                let datas: Vec<Vec<u8>> = indices
                    .iter()
                    .map(|&i| {
                        let mut data = vec![0u8; sliver_len];
                        match axis {
                            SliverType::Primary => copy_padded(blob, i * columns * symbol, &mut data),
                            SliverType::Secondary => {
                                for (row, dest) in data.chunks_exact_mut(symbol).enumerate() {
                                    copy_padded(blob, row * columns * symbol + i * symbol, dest);
                                }
                            }
                        }
                        data
                    })
                    .collect();
                let roots = expansion_roots(self.config, axis, symbol, &datas);
                indices.iter().zip(roots).find_map(|(&i, root)| {
                    let index = SliverIndex(u16::try_from(i).expect("below n_shards"));
                    (Some(&root) != self.metadata.sliver_hash(axis, index)).then_some(i)
                })
            })
            .find_first(|_| true);
        match bad {
            Some(i) => {
                Err(DecodeError::InconsistentEncoding { axis, index: SliverIndex(u16::try_from(i).expect("below n")) })
            }
            None => Ok(()),
        }
    }
}

/// Fills `dest` with the bytes of `blob` from `start`, and zeros beyond the blob's end.
fn copy_padded(blob: &[u8], start: usize, dest: &mut [u8]) {
    let start = start.min(blob.len());
    let end = (start + dest.len()).min(blob.len());
    dest[..end - start].copy_from_slice(&blob[start..end]);
    dest[end - start..].fill(0);
}
