//! The one-dimensional Reed-Solomon code both axes use: systematic, `k` source symbols extended
//! to `n`, over GF(2^16) with the Leopard FFT (reed-solomon-simd). Source symbols keep their
//! indices `0..k`; parity symbols are `k..n`.

use rayon::prelude::*;
use reed_solomon_simd::{ReedSolomonDecoder, ReedSolomonEncoder};

use crate::scratch::ScratchPool;

/// Codecs free for any thread: building a codec allocates and zeroes its work buffers. Two per
/// core: a blob's primary and secondary slivers expand with different codes (`k` differs), and
/// the checks of a batch of both kinds, with one codec per core, rebuilt one on nearly every
/// call (4% of a storage node's CPU during a 64 MiB store).
static CODES: ScratchPool<Code> = ScratchPool::per_core(2);
/// Packed shards of batched codec calls, reused so large batches are not fresh pages.
static PACKED: ScratchPool<Vec<u8>> = ScratchPool::new();

/// Runs `f` with a codec for `(k, n, symbol_size)`: a pooled one of that shape if there is one,
/// otherwise a new one (which, once given back, takes the place of the pooled codec used longest
/// ago, so buffers sized for an earlier blob do not outlive it).
pub(crate) fn with_code<R>(k: usize, n: usize, symbol_size: usize, f: impl FnOnce(&mut Code) -> R) -> R {
    CODES.with_matching(|code| code.has_shape(k, n, symbol_size), || Code::new(k, n, symbol_size), f)
}

/// Drops the pooled codecs for `k` of `n` symbols, of any shard size (a packed call's codec
/// codes shards wider than a symbol): the encoder's row pass is over once it has extended every
/// row, and its codecs would otherwise stay beside the column pass's (two per core are kept), a
/// few megabytes more at the peak of a client's store.
pub(crate) fn release_codes(k: usize, n: usize) {
    CODES.release(|code| (code.k, code.n) == (k, n));
}

/// Whether a codec for `k` of `n` symbols, of any shard size, is pooled.
#[cfg(test)]
pub(crate) fn is_pooled(k: usize, n: usize) -> bool {
    CODES.holds(|code| (code.k, code.n) == (k, n))
}

/// A reusable encoder/decoder for one `(k, n, symbol_size)` shape. Creating the codec allocates
/// its work buffers, so hot loops take one from the pool ([`with_code`]).
pub(crate) struct Code {
    k: usize,
    n: usize,
    symbol_size: usize,
    encoder: Option<ReedSolomonEncoder>,
    decoder: Option<ReedSolomonDecoder>,
}

impl Code {
    /// A codec for `k` source symbols extended to `n` symbols of `symbol_size` bytes.
    /// The shape was validated by [`crate::EncodingConfig::new`].
    pub(crate) fn new(k: usize, n: usize, symbol_size: usize) -> Self {
        debug_assert!(k < n && symbol_size.is_multiple_of(2) && symbol_size > 0);
        Self { k, n, symbol_size, encoder: None, decoder: None }
    }

    /// Whether this codec is for `(k, n, symbol_size)`.
    fn has_shape(&self, k: usize, n: usize, symbol_size: usize) -> bool {
        (self.k, self.n, self.symbol_size) == (k, n, symbol_size)
    }

    /// The `n - k` parity symbols of `source` (`k` symbols), each passed to `sink` in index order.
    pub(crate) fn encode_parity(&mut self, source: &[u8], mut sink: impl FnMut(usize, &[u8])) {
        assert_eq!(source.len(), self.k * self.symbol_size, "source has k symbols");
        let (k, parity, size) = (self.k, self.n - self.k, self.symbol_size);
        let encoder = match &mut self.encoder {
            Some(encoder) => {
                encoder.reset(k, parity, size).expect("shape validated by EncodingConfig");
                encoder
            }
            None => self
                .encoder
                .insert(ReedSolomonEncoder::new(k, parity, size).expect("shape validated by EncodingConfig")),
        };
        for symbol in source.chunks_exact(size) {
            encoder.add_original_shard(symbol).expect("exactly k source symbols");
        }
        let result = encoder.encode().expect("all source symbols were added");
        for (i, symbol) in result.recovery_iter().enumerate() {
            sink(i, symbol);
        }
    }

    /// Writes the `n - k` parity symbols of `source`, concatenated, into `out`.
    pub(crate) fn parity_into(&mut self, source: &[u8], out: &mut [u8]) {
        let size = self.symbol_size;
        self.encode_parity(source, |i, symbol| out[i * size..(i + 1) * size].copy_from_slice(symbol));
    }

    /// All `n` symbols of the codeword of `source`, concatenated.
    pub(crate) fn expand(&mut self, source: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.n * self.symbol_size);
        out.extend_from_slice(source);
        self.encode_parity(source, |_, symbol| out.extend_from_slice(symbol));
        out
    }

    /// The `k` source symbols, concatenated, from at least `k` symbols given by codeword index.
    /// Indices must be distinct and below `n`, each symbol `symbol_size` bytes; the caller checks.
    pub(crate) fn decode<'a>(&mut self, symbols: impl IntoIterator<Item = (usize, &'a [u8])>) -> Vec<u8> {
        let size = self.symbol_size;
        let mut out = vec![0u8; self.k * size];
        let symbols: Vec<(usize, &[u8])> = symbols.into_iter().take(self.k).collect();
        for (index, symbol) in &symbols {
            if *index < self.k {
                out[index * size..(index + 1) * size].copy_from_slice(symbol);
            }
        }
        self.restore_missing(symbols, |index, symbol| out[index * size..(index + 1) * size].copy_from_slice(symbol));
        out
    }

    /// Feeds the first `k` of `symbols` to the decoder and passes each source symbol that was not
    /// among them to `restore`. Does nothing when all source symbols were given.
    fn restore_missing<'a>(
        &mut self,
        symbols: impl IntoIterator<Item = (usize, &'a [u8])>,
        mut restore: impl FnMut(usize, &[u8]),
    ) {
        let (k, parity, size) = (self.k, self.n - self.k, self.symbol_size);
        let decoder = match &mut self.decoder {
            Some(decoder) => {
                decoder.reset(k, parity, size).expect("shape validated by EncodingConfig");
                decoder
            }
            None => self
                .decoder
                .insert(ReedSolomonDecoder::new(k, parity, size).expect("shape validated by EncodingConfig")),
        };
        let (mut given, mut originals) = (0, 0);
        for (index, symbol) in symbols.into_iter().take(k) {
            debug_assert_eq!(symbol.len(), size);
            if index < k {
                decoder.add_original_shard(index, symbol).expect("distinct index below k");
                originals += 1;
            } else {
                decoder.add_recovery_shard(index - k, symbol).expect("distinct index below n");
            }
            given += 1;
        }
        assert_eq!(given, k, "the caller supplies at least k symbols");
        if originals == k {
            return;
        }
        let result = decoder.decode().expect("k distinct symbols determine the codeword");
        for (index, symbol) in result.restored_original_iter() {
            restore(index, symbol);
        }
    }
}

/// Target bytes of one batched shard: large enough to amortize the decoder's per-call work (it
/// evaluates the erasure locator over the whole field on every call), small enough to keep its
/// work buffer (about `2n` shards) modest.
const BATCH_SHARD_BYTES: usize = 16 * 1024;

/// Target bytes of one shard of a batched parity call ([`parities_into`]) of symbols over 32
/// bytes. An encoding call has a fixed cost about that of one 64-byte chunk's transforms, so a
/// lone codeword of 34-64-byte symbols pays twice for its chunk; at 512 bytes (8 chunks) that
/// cost is spread thin, while the codec's work buffer (`n` shards) still fits in a core's cache
/// at 1000 shards, which 2 KiB shards did not. Measured on reed-solomon-simd 3.1 at 1000 shards,
/// per codeword, against one call each: 1.5-2.1x faster at 34-62-byte symbols, 1.1-1.2x at
/// 64-96, 1.0-1.3x at 130-256 (copying into and out of the shard included). Symbols that fill a
/// shard alone (over 256 bytes) are coded one per call, with no copy. Symbols up to 32 bytes stay
/// at one chunk per call: eight gained 0.9-1.2x up to 8 bytes, where the copies (a byte or a few
/// at a time) cost more than the transforms, and the encoder's steps hold at most 64 codewords,
/// which at 2-byte symbols would be one call per step, on one core. At 16 and 32 bytes eight
/// chunks gained 1.2-1.5x, not taken yet.
const PARITY_SHARD_BYTES: usize = 512;

/// How the symbols of several codewords sit side by side in one shard, so that one codec call
/// computes them all.
///
/// The codec reads a shard in 64-byte chunks of 32 lanes, each lane a 16-bit word whose low byte
/// is in the chunk's first 32 bytes and high byte in its last 32. A shard whose length is not a
/// multiple of 64 ends in a shorter chunk whose first half holds low bytes and second half high
/// bytes. A lone symbol of `s < 64` bytes is therefore `s / 2` lanes, lane `e` made of bytes `e`
/// and `s / 2 + e`, and the codec pads it to a whole chunk: 32 times the work at 2-byte symbols,
/// the symbol size of every blob under a few MiB at 1000 shards. The code works on each lane
/// alone, so codewords placed in lanes of their own come out exactly as they would one at a time:
/// symbols up to 32 bytes share a chunk (`64 / s` of them, each taking `s / 2` lanes of both
/// halves), larger ones take whole chunks of their own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Packing {
    symbol: usize,
}

impl Packing {
    pub(crate) const fn new(symbol_size: usize) -> Self {
        Self { symbol: symbol_size }
    }

    /// Codewords coded together in one parity call ([`parities_into`]) at most: a chunk's worth
    /// of symbols up to 32 bytes, a shard of about [`PARITY_SHARD_BYTES`] of larger ones, 1 for
    /// symbols too large to share one.
    pub(crate) const fn per_parity_call(&self) -> usize {
        if self.symbol <= 32 { self.per_chunk() } else { self.width_for(PARITY_SHARD_BYTES) }
    }

    /// Codewords that share one 64-byte chunk; 1 for symbols that need a chunk or more.
    const fn per_chunk(&self) -> usize {
        if self.symbol <= 32 { 64 / self.symbol } else { 1 }
    }

    /// Bytes one codeword takes in a shard, for symbols larger than 32 bytes: whole chunks.
    const fn slot(&self) -> usize {
        self.symbol.div_ceil(64) * 64
    }

    /// The length of a shard holding `width` codewords' symbols.
    pub(crate) const fn shard_len(&self, width: usize) -> usize {
        if self.symbol <= 32 { width.div_ceil(self.per_chunk()) * 64 } else { width * self.slot() }
    }

    /// How many codewords a shard of about `bytes` bytes holds (at least one).
    pub(crate) const fn width_for(&self, bytes: usize) -> usize {
        let width = if self.symbol <= 32 { bytes / 64 * self.per_chunk() } else { bytes / self.slot() };
        if width == 0 { 1 } else { width }
    }

    /// The byte ranges of codeword `w`'s symbol in a shard: its low half and its high half.
    fn halves(&self, w: usize) -> [(usize, usize); 2] {
        if self.symbol <= 32 {
            let half = self.symbol / 2;
            let at = w / self.per_chunk() * 64 + w % self.per_chunk() * half;
            [(at, half), (at + 32, half)]
        } else {
            // Whole chunks as they are, then the tail split as the codec splits a lone one.
            let at = w * self.slot();
            let whole = self.symbol / 64 * 64;
            let half = (self.symbol - whole) / 2;
            let high = if half == 0 { at + whole } else { at + whole + 32 };
            [(at, whole + half), (high, half)]
        }
    }

    /// Copies `symbol`, codeword `w`'s, into its place in `shard`.
    pub(crate) fn pack(&self, w: usize, symbol: &[u8], shard: &mut [u8]) {
        let [(low, low_len), (high, high_len)] = self.halves(w);
        shard[low..low + low_len].copy_from_slice(&symbol[..low_len]);
        shard[high..high + high_len].copy_from_slice(&symbol[low_len..]);
    }

    /// Copies codeword `w`'s symbol out of `shard`.
    pub(crate) fn unpack(&self, w: usize, shard: &[u8], symbol: &mut [u8]) {
        let [(low, low_len), (high, high_len)] = self.halves(w);
        symbol[..low_len].copy_from_slice(&shard[low..low + low_len]);
        symbol[low_len..].copy_from_slice(&shard[high..high + high_len]);
    }
}

/// How many codewords of `symbol_size`-byte symbols to decode per call.
pub(crate) fn batch_width(symbol_size: usize) -> usize {
    Packing::new(symbol_size).width_for(BATCH_SHARD_BYTES)
}

/// Writes the parity of each of `sources` (`k` symbols of `symbol_size` bytes each) into the
/// matching entry of `parities` (`n - k` symbols). Symbols up to 256 bytes are packed
/// ([`Packing`]) several codewords per codec call ([`Packing::per_parity_call`], fewer if the
/// batch is smaller); the calls run in parallel. The code is linear, so a
/// zero source's parity is zero and takes no codec call: the zero-padded rows of a blob smaller
/// than its matrix (see `merkle::hash_prefixed_items`), on the encoder and on every node checking
/// one of their slivers.
pub(crate) fn parities_into<S, P>(k: usize, n: usize, symbol_size: usize, sources: &[S], parities: &mut [P])
where
    S: AsRef<[u8]> + Sync,
    P: AsMut<[u8]> + Send,
{
    assert!(parities.len() >= sources.len(), "one parity buffer per source");
    let mut coded: Vec<(&[u8], &mut [u8])> = Vec::with_capacity(sources.len());
    for (source, parity) in sources.iter().zip(parities.iter_mut()) {
        let (source, parity) = (source.as_ref(), parity.as_mut());
        if source.iter().all(|byte| *byte == 0) {
            parity[..(n - k) * symbol_size].fill(0);
        } else {
            coded.push((source, parity));
        }
    }
    let packing = Packing::new(symbol_size);
    // No wider than the batch: a node checking three slivers codes three codewords' chunks.
    let group = packing.per_parity_call().min(coded.len()).max(1);
    coded.par_chunks_mut(group).for_each(|codewords| {
        if group == 1 {
            let (source, parity) = &mut codewords[0];
            with_code(k, n, symbol_size, |code| code.parity_into(source, parity));
            return;
        }
        // Every group is packed to the full width, so every call has one shape and reuses its codec.
        let shard_len = packing.shard_len(group);
        PACKED.with_any(|packed| {
            packed.clear();
            packed.resize(k * shard_len, 0);
            for (w, (source, _)) in codewords.iter().enumerate() {
                for (symbol, shard) in source.chunks_exact(symbol_size).zip(packed.chunks_exact_mut(shard_len)) {
                    packing.pack(w, symbol, shard);
                }
            }
            with_code(k, n, shard_len, |code| {
                code.encode_parity(packed, |i, shard| {
                    for (w, (_, parity)) in codewords.iter_mut().enumerate() {
                        packing.unpack(w, shard, &mut parity[i * symbol_size..(i + 1) * symbol_size]);
                    }
                });
            });
        });
    });
}

/// Decodes `width` codewords of the `(k, n)` code at once. Each entry of `given` is a codeword
/// index and that index's symbols of all `width` codewords, back to back (at least `k` entries,
/// distinct indices). `restore` receives each missing source index with its `width` symbols, back
/// to back.
pub(crate) fn decode_batch(
    k: usize,
    n: usize,
    symbol_size: usize,
    width: usize,
    given: &[(usize, &[u8])],
    mut restore: impl FnMut(usize, &[u8]),
) {
    let packing = Packing::new(symbol_size);
    // Batches are padded to the full width so every call has the same shape and reuses the codec.
    let shard_len = packing.shard_len(batch_width(symbol_size).max(width));
    let mut unpacked = vec![0u8; width * symbol_size];
    PACKED.with_any(|packed| {
        let given = &given[..given.len().min(k)];
        packed.clear();
        packed.resize(given.len() * shard_len, 0);
        for ((_, symbols), shard) in given.iter().zip(packed.chunks_exact_mut(shard_len)) {
            for (w, symbol) in symbols.chunks_exact(symbol_size).enumerate() {
                packing.pack(w, symbol, shard);
            }
        }
        let shards = given.iter().map(|(index, _)| *index).zip(packed.chunks_exact(shard_len));
        with_code(k, n, shard_len, |code| {
            code.restore_missing(shards, |index, shard| {
                for (w, symbol) in unpacked.chunks_exact_mut(symbol_size).enumerate() {
                    packing.unpack(w, shard, symbol);
                }
                restore(index, &unpacked);
            });
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Symbol sizes on both sides of every packing boundary: several per chunk, one per chunk,
    /// whole chunks with and without a tail.
    const SYMBOL_SIZES: [usize; 12] = [2, 4, 6, 10, 22, 32, 34, 62, 64, 66, 130, 604];

    #[test]
    fn batched_parity_equals_one_codeword_at_a_time() {
        for symbol_size in SYMBOL_SIZES {
            for (k, n, width) in [(7, 20, 1), (7, 20, 5), (7, 20, 33), (34, 100, 70)] {
                // Zero sources, which take no codec call, alone and in runs among coded ones; the
                // parity buffers start dirty.
                let sources: Vec<Vec<u8>> = (0..width)
                    .map(|w| match w % 5 {
                        3 | 4 => vec![0u8; k * symbol_size],
                        _ => (0..k * symbol_size).map(|i| (i * 31 + w * 7 + symbol_size) as u8).collect(),
                    })
                    .collect();
                let mut parities = vec![vec![0xa5u8; (n - k) * symbol_size]; width];
                parities_into(k, n, symbol_size, &sources, &mut parities);
                for (w, (source, parity)) in sources.iter().zip(&parities).enumerate() {
                    let alone = Code::new(k, n, symbol_size).expand(source);
                    assert_eq!(parity.as_slice(), &alone[k * symbol_size..], "size {symbol_size} k {k} codeword {w}");
                }
            }
        }
    }

    #[test]
    fn batched_decoding_equals_one_codeword_at_a_time() {
        for (symbol_size, width) in SYMBOL_SIZES.into_iter().flat_map(|size| [(size, 5), (size, 40)]) {
            let (k, n) = (7, 20);
            let codewords: Vec<Vec<u8>> = (0..width)
                .map(|w| {
                    let source: Vec<u8> = (0..k * symbol_size).map(|i| (i * 31 + w * 7 + symbol_size) as u8).collect();
                    Code::new(k, n, symbol_size).expand(&source)
                })
                .collect();
            // Indices 3.. are given: sources 0, 1, 2 are missing.
            let given_indices: Vec<usize> = (3..3 + k).collect();
            let given_bytes: Vec<Vec<u8>> = given_indices
                .iter()
                .map(|i| codewords.iter().flat_map(|c| c[i * symbol_size..(i + 1) * symbol_size].to_vec()).collect())
                .collect();
            let given: Vec<(usize, &[u8])> =
                given_indices.iter().copied().zip(given_bytes.iter().map(Vec::as_slice)).collect();
            let mut restored = Vec::new();
            decode_batch(k, n, symbol_size, width, &given, |index, symbols| restored.push((index, symbols.to_vec())));
            assert_eq!(restored.len(), 3, "symbol size {symbol_size}");
            for (index, symbols) in restored {
                for (w, symbol) in symbols.chunks_exact(symbol_size).enumerate() {
                    assert_eq!(
                        symbol,
                        &codewords[w][index * symbol_size..(index + 1) * symbol_size],
                        "size {symbol_size}"
                    );
                }
            }
        }
    }

    #[test]
    fn any_k_of_n_symbols_decode_to_the_source() {
        let (k, n, size) = (5, 12, 4);
        let source: Vec<u8> = (0..k * size).map(|i| (i * 37 + 1) as u8).collect();
        let mut code = Code::new(k, n, size);
        let codeword = code.expand(&source);
        assert_eq!(&codeword[..k * size], source.as_slice());
        for start in 0..n {
            let picked: Vec<(usize, &[u8])> =
                (0..k).map(|i| (start + i * 2) % n).map(|i| (i, &codeword[i * size..(i + 1) * size])).collect();
            let mut distinct: Vec<usize> = picked.iter().map(|(i, _)| *i).collect();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() == k {
                assert_eq!(code.decode(picked), source, "start={start}");
            }
        }
    }
}
