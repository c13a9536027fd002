//! BLAKE2b-256 of eight equal-length inputs at once, one input in each 64-bit lane of an AVX-512
//! register.
//!
//! Encoding and checking slivers is mostly hashing: every symbol of the expanded matrix is a Merkle
//! leaf, and at small symbol sizes each leaf is a single BLAKE2b block. blake2b_simd hashes four
//! inputs per pass with AVX2, which has no 64-bit rotate (BLAKE2b rotates every word four times per
//! mixing step, and AVX2 spends a shuffle or three instructions on each). AVX-512 has twice the
//! lanes and a one-instruction rotate, so eight inputs cost about what four do with AVX2; no
//! maintained crate offers it, hence this kernel. It serves only the case the encoder has, many
//! inputs of one length (`merkle::hash_prefixed_items`); everything else stays with blake2b_simd,
//! which the tests hold this kernel to, byte for byte.
//!
//! The kernel reads its inputs from a staging buffer where each input starts on its own
//! `stride`-byte slot and is followed by zeros to the end of the slot, so every block, the last one
//! included, is a whole 128-byte load and no lane needs a tail of its own.

use core::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_i64gather_epi64, _mm512_ror_epi64, _mm512_set_epi64, _mm512_set1_epi64,
    _mm512_storeu_si512, _mm512_xor_si512,
};

use crate::config::DIGEST_LEN;

/// Inputs hashed per pass.
pub(crate) const LANES: usize = 8;
/// BLAKE2b's block size in bytes.
pub(crate) const BLOCK: usize = 128;

/// BLAKE2b's initialisation vector (SHA-512's).
const IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

/// The parameter block's first word for an unkeyed 32-byte digest: digest length 32, key length
/// 0, fanout 1, depth 1 (RFC 7693, section 2.5).
const PARAMS_WORD0: u64 = 0x0101_0000 | DIGEST_LEN as u64;

/// The message word schedule of each of the twelve rounds (rounds 10 and 11 repeat 0 and 1).
const SIGMA: [[usize; 16]; 12] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
];

/// Proof that the processor has AVX-512F: the only way to reach the kernel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx512(());

impl Avx512 {
    /// `Some` when this processor can run the kernel (the answer is cached by the standard
    /// library after the first call).
    pub(crate) fn detect() -> Option<Self> {
        std::arch::is_x86_feature_detected!("avx512f").then_some(Self(()))
    }

    /// The slot size for inputs of `len` bytes: whole blocks, at least one (an empty input is
    /// one block of zeros).
    pub(crate) const fn stride(len: usize) -> usize {
        if len == 0 { BLOCK } else { len.div_ceil(BLOCK) * BLOCK }
    }

    /// BLAKE2b-256 of the first `len` bytes of each of the eight `stride`-byte slots of `staging`
    /// into `out`. Every slot must hold zeros after its `len` bytes; `stride` must be
    /// `Self::stride(len)`.
    pub(crate) fn hash8(self, staging: &[u8], len: usize, out: &mut [[u8; DIGEST_LEN]; LANES]) {
        let stride = Self::stride(len);
        assert!(staging.len() >= LANES * stride, "a staging buffer of {} bytes for 8 slots of {stride}", staging.len());
        // SAFETY: `self` exists only where AVX-512F was detected, and every load of the kernel is
        // within the 8 slots of `stride` bytes just checked.
        unsafe { hash8(staging.as_ptr(), stride, len, out) }
    }
}

// The helpers below are safe functions that need AVX-512F: they can be called only from code
// compiled with it (the kernel below), where the register-only intrinsics are safe too.

#[target_feature(enable = "avx512f")]
#[inline]
fn add3(a: __m512i, b: __m512i, c: __m512i) -> __m512i {
    _mm512_add_epi64(_mm512_add_epi64(a, b), c)
}

/// BLAKE2b's mixing function on four state words of every lane.
#[target_feature(enable = "avx512f")]
#[inline]
fn mix(v: &mut [__m512i; 16], [a, b, c, d]: [usize; 4], x: __m512i, y: __m512i) {
    v[a] = add3(v[a], v[b], x);
    v[d] = _mm512_ror_epi64::<32>(_mm512_xor_si512(v[d], v[a]));
    v[c] = _mm512_add_epi64(v[c], v[d]);
    v[b] = _mm512_ror_epi64::<24>(_mm512_xor_si512(v[b], v[c]));
    v[a] = add3(v[a], v[b], y);
    v[d] = _mm512_ror_epi64::<16>(_mm512_xor_si512(v[d], v[a]));
    v[c] = _mm512_add_epi64(v[c], v[d]);
    v[b] = _mm512_ror_epi64::<63>(_mm512_xor_si512(v[b], v[c]));
}

/// One compression of a block in every lane. All lanes are at the same byte count, so the
/// counter and the last-block flag are the same for all.
#[target_feature(enable = "avx512f")]
#[inline]
fn compress(h: &mut [__m512i; 8], m: &[__m512i; 16], bytes_so_far: u64, last: bool) {
    let mut v = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[0], h[0], h[0], h[0], h[0], h[0], h[0], h[0]];
    for (word, iv) in v[8..].iter_mut().zip(IV) {
        *word = _mm512_set1_epi64(iv as i64);
    }
    // The counter's high word stays zero: no input here comes near 2^64 bytes.
    v[12] = _mm512_xor_si512(v[12], _mm512_set1_epi64(bytes_so_far as i64));
    if last {
        v[14] = _mm512_xor_si512(v[14], _mm512_set1_epi64(-1));
    }
    for s in &SIGMA {
        mix(&mut v, [0, 4, 8, 12], m[s[0]], m[s[1]]);
        mix(&mut v, [1, 5, 9, 13], m[s[2]], m[s[3]]);
        mix(&mut v, [2, 6, 10, 14], m[s[4]], m[s[5]]);
        mix(&mut v, [3, 7, 11, 15], m[s[6]], m[s[7]]);
        mix(&mut v, [0, 5, 10, 15], m[s[8]], m[s[9]]);
        mix(&mut v, [1, 6, 11, 12], m[s[10]], m[s[11]]);
        mix(&mut v, [2, 7, 8, 13], m[s[12]], m[s[13]]);
        mix(&mut v, [3, 4, 9, 14], m[s[14]], m[s[15]]);
    }
    for i in 0..8 {
        h[i] = _mm512_xor_si512(h[i], _mm512_xor_si512(v[i], v[8 + i]));
    }
}

/// # Safety
/// AVX-512F must be available, and `base` readable for `8 * stride` bytes, `stride` a positive
/// multiple of the block size holding `len` bytes.
#[target_feature(enable = "avx512f")]
unsafe fn hash8(base: *const u8, stride: usize, len: usize, out: &mut [[u8; DIGEST_LEN]; LANES]) {
    let mut h = IV.map(|word| _mm512_set1_epi64(word as i64));
    h[0] = _mm512_xor_si512(h[0], _mm512_set1_epi64(PARAMS_WORD0 as i64));
    let s = stride as i64;
    // Lane k reads slot k: the gathers below take word j of every lane's block in one load.
    let slots = _mm512_set_epi64(7 * s, 6 * s, 5 * s, 4 * s, 3 * s, 2 * s, s, 0);
    let blocks = stride / BLOCK;
    let mut m = [slots; 16];
    for block in 0..blocks {
        for (j, word) in m.iter_mut().enumerate() {
            // SAFETY: slot k's bytes [block * 128 + j * 8, +8) lie inside slot k.
            *word = unsafe { _mm512_i64gather_epi64::<1>(slots, base.add(block * BLOCK + j * 8).cast::<i64>()) };
        }
        let last = block + 1 == blocks;
        let bytes_so_far = if last { len } else { (block + 1) * BLOCK };
        compress(&mut h, &m, bytes_so_far as u64, last);
    }
    let mut words = [[0u64; LANES]; DIGEST_LEN / 8];
    for (lanes, state) in words.iter_mut().zip(&h) {
        // SAFETY: `lanes` is 64 writable bytes.
        unsafe { _mm512_storeu_si512(lanes.as_mut_ptr().cast::<__m512i>(), *state) };
    }
    for (k, digest) in out.iter_mut().enumerate() {
        for (chunk, lanes) in digest.chunks_exact_mut(8).zip(&words) {
            chunk.copy_from_slice(&lanes[k].to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn reference(input: &[u8]) -> [u8; DIGEST_LEN] {
        blake2b_simd::Params::new().hash_length(DIGEST_LEN).hash(input).as_bytes().try_into().unwrap()
    }

    fn lanes(avx512: Avx512, inputs: &[Vec<u8>; LANES]) -> [[u8; DIGEST_LEN]; LANES] {
        let len = inputs[0].len();
        let stride = Avx512::stride(len);
        let mut staging = vec![0; LANES * stride];
        for (slot, input) in staging.chunks_exact_mut(stride).zip(inputs) {
            slot[..len].copy_from_slice(input);
        }
        let mut out = [[0; DIGEST_LEN]; LANES];
        avx512.hash8(&staging, len, &mut out);
        out
    }

    #[test]
    fn every_length_around_the_block_boundaries_hashes_as_blake2b_simd_does() {
        let Some(avx512) = Avx512::detect() else {
            eprintln!("no AVX-512F here: the kernel is not used, nothing to compare");
            return;
        };
        for len in (0..=400).chain([1023, 1024, 1025, 7_000, 65_535]) {
            let inputs: [Vec<u8>; LANES] =
                std::array::from_fn(|k| (0..len).map(|i| (i * 31 + k * 7 + len) as u8).collect());
            let got = lanes(avx512, &inputs);
            for (k, input) in inputs.iter().enumerate() {
                assert_eq!(got[k], reference(input), "length {len}, lane {k}");
            }
        }
    }

    proptest! {
        #[test]
        fn random_inputs_hash_as_blake2b_simd_does(len in 0usize..1200, seed in any::<u64>()) {
            let Some(avx512) = Avx512::detect() else { return Ok(()) };
            let mut state = seed | 1;
            let inputs: [Vec<u8>; LANES] = std::array::from_fn(|_| {
                (0..len).map(|_| { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state as u8 }).collect()
            });
            let got = lanes(avx512, &inputs);
            for (k, input) in inputs.iter().enumerate() {
                prop_assert_eq!(got[k], reference(input));
            }
        }
    }
}
