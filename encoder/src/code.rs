//! The one-dimensional Reed-Solomon code both axes use: systematic, `k` source symbols extended
//! to `n`, over GF(2^16) with the Leopard FFT (reed-solomon-simd). Source symbols keep their
//! indices `0..k`; parity symbols are `k..n`.

use core::cell::RefCell;

use reed_solomon_simd::{ReedSolomonDecoder, ReedSolomonEncoder};

thread_local! {
    /// The last codec each thread used: rows and columns of one blob share a shape, and building
    /// a codec allocates its work buffers.
    static CODE: RefCell<Option<Code>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's codec for `(k, n, symbol_size)`, reusing it when the shape matches.
pub(crate) fn with_code<R>(k: usize, n: usize, symbol_size: usize, f: impl FnOnce(&mut Code) -> R) -> R {
    CODE.with_borrow_mut(|slot| {
        let code = match slot {
            Some(code) if (code.k, code.n, code.symbol_size) == (k, n, symbol_size) => code,
            _ => slot.insert(Code::new(k, n, symbol_size)),
        };
        f(code)
    })
}

/// A reusable encoder/decoder for one `(k, n, symbol_size)` shape. Creating the codec allocates
/// its work buffers, so hot loops keep one per thread.
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
            None => self.encoder.insert(ReedSolomonEncoder::new(k, parity, size).expect("shape validated by EncodingConfig")),
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
        let (k, parity, size) = (self.k, self.n - self.k, self.symbol_size);
        let mut out = vec![0u8; k * size];
        let mut present = vec![false; k];
        let mut given = 0;
        let decoder = match &mut self.decoder {
            Some(decoder) => {
                decoder.reset(k, parity, size).expect("shape validated by EncodingConfig");
                decoder
            }
            None => self.decoder.insert(ReedSolomonDecoder::new(k, parity, size).expect("shape validated by EncodingConfig")),
        };
        for (index, symbol) in symbols.into_iter().take(k) {
            debug_assert_eq!(symbol.len(), size);
            if index < k {
                out[index * size..(index + 1) * size].copy_from_slice(symbol);
                present[index] = true;
                decoder.add_original_shard(index, symbol).expect("distinct index below k");
            } else {
                decoder.add_recovery_shard(index - k, symbol).expect("distinct index below n");
            }
            given += 1;
        }
        assert_eq!(given, k, "the caller supplies at least k symbols");
        if present.iter().all(|p| *p) {
            return out;
        }
        let result = decoder.decode().expect("k distinct symbols determine the codeword");
        for (index, symbol) in result.restored_original_iter() {
            out[index * size..(index + 1) * size].copy_from_slice(symbol);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
