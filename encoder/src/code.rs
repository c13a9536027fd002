//! The one-dimensional Reed-Solomon code both axes use: systematic, `k` source symbols extended
//! to `n`, over GF(2^16) with the Leopard FFT (reed-solomon-simd). Source symbols keep their
//! indices `0..k`; parity symbols are `k..n`.

use reed_solomon_simd::{ReedSolomonDecoder, ReedSolomonEncoder};

use crate::scratch::ScratchPool;

/// Codecs free for any thread: rows and columns of one blob share a shape, and building a codec
/// allocates its work buffers.
static CODES: ScratchPool<Code> = ScratchPool::new();
/// Packed shards of batch decodes, reused so large batches are not fresh pages.
static PACKED: ScratchPool<Vec<u8>> = ScratchPool::new();

/// Runs `f` with a codec for `(k, n, symbol_size)`: a pooled one of that shape if there is one,
/// otherwise a new one (which takes the place of a pooled codec of another shape, so buffers
/// sized for an earlier blob do not outlive it).
pub(crate) fn with_code<R>(k: usize, n: usize, symbol_size: usize, f: impl FnOnce(&mut Code) -> R) -> R {
    let same_shape = |code: &Code| (code.k, code.n, code.symbol_size) == (k, n, symbol_size);
    let code_for_shape = |code: &mut Code| {
        if !same_shape(code) {
            *code = Code::new(k, n, symbol_size);
        }
        f(code)
    };
    CODES.with(same_shape, || Code::new(k, n, symbol_size), code_for_shape)
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
        debug_assert!(k < n && symbol_size % 2 == 0 && symbol_size > 0);
        Self { k, n, symbol_size, encoder: None, decoder: None }
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
        self.expand_into(source, &mut out);
        out
    }

    /// Like [`expand`](Self::expand), into a reused buffer.
    pub(crate) fn expand_into(&mut self, source: &[u8], out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(source);
        self.encode_parity(source, |_, symbol| out.extend_from_slice(symbol));
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

/// Bytes a symbol takes in a batched shard: whole 64-byte chunks.
fn slot_len(symbol_size: usize) -> usize {
    symbol_size.div_ceil(64) * 64
}

/// How many codewords of `symbol_size`-byte symbols to decode per call.
pub(crate) fn batch_width(symbol_size: usize) -> usize {
    (BATCH_SHARD_BYTES / slot_len(symbol_size)).max(1)
}

/// Copies `symbol` into its `slot` with the layout the codec gives a lone shard of that size:
/// whole 64-byte chunks as they are; a shorter tail's first half in the low 32 bytes of a chunk
/// and its second half in the high 32 bytes. The codec works lane by lane on 16-bit words made of
/// a low and a high byte, so symbols packed this way side by side decode exactly as they would one
/// codeword at a time.
fn pack(symbol: &[u8], slot: &mut [u8]) {
    let whole = symbol.len() / 64 * 64;
    slot[..whole].copy_from_slice(&symbol[..whole]);
    let tail = &symbol[whole..];
    if !tail.is_empty() {
        let (low, high) = tail.split_at(tail.len() / 2);
        slot[whole..whole + low.len()].copy_from_slice(low);
        slot[whole + 32..whole + 32 + high.len()].copy_from_slice(high);
    }
}

/// The inverse of [`pack`].
fn unpack(slot: &[u8], symbol: &mut [u8]) {
    let whole = symbol.len() / 64 * 64;
    symbol[..whole].copy_from_slice(&slot[..whole]);
    let half = (symbol.len() - whole) / 2;
    if half > 0 {
        symbol[whole..whole + half].copy_from_slice(&slot[whole..whole + half]);
        symbol[whole + half..].copy_from_slice(&slot[whole + 32..whole + 32 + half]);
    }
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
    let slot = slot_len(symbol_size);
    // Batches are padded to the full width so every call has the same shape and reuses the codec.
    let full_width = batch_width(symbol_size).max(width);
    let shard_len = full_width * slot;
    let mut unpacked = vec![0u8; width * symbol_size];
    PACKED.with_any(|packed| {
        let given = &given[..given.len().min(k)];
        packed.clear();
        packed.resize(given.len() * shard_len, 0);
        for ((_, symbols), shard) in given.iter().zip(packed.chunks_exact_mut(shard_len)) {
            for (symbol, slot_bytes) in symbols.chunks_exact(symbol_size).zip(shard.chunks_exact_mut(slot)) {
                pack(symbol, slot_bytes);
            }
        }
        let shards = given.iter().map(|(index, _)| *index).zip(packed.chunks_exact(shard_len));
        with_code(k, n, shard_len, |code| {
            code.restore_missing(shards, |index, shard| {
                for (symbol, slot_bytes) in unpacked.chunks_exact_mut(symbol_size).zip(shard.chunks_exact(slot)) {
                    unpack(slot_bytes, symbol);
                }
                restore(index, &unpacked);
            });
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batched_decoding_equals_one_codeword_at_a_time() {
        for symbol_size in [2usize, 6, 62, 64, 66, 130, 604] {
            let (k, n, width) = (7, 20, 5);
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
