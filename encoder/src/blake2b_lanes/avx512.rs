//! Eight lanes with AVX-512 (512-bit registers), for inputs of any length.
//!
//! AVX-512 has twice AVX2's lanes and a one-instruction rotate (BLAKE2b rotates every word four
//! times per mixing step, and AVX2 spends a shuffle or three instructions on each), so eight
//! inputs cost about what four do with AVX2. Each block is gathered from the eight slots, one
//! message word of every lane per load.

use core::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_i64gather_epi64, _mm512_ror_epi64, _mm512_set_epi64, _mm512_set1_epi64,
    _mm512_storeu_si512, _mm512_xor_si512,
};

use super::{BLOCK, IV, PARAMS_WORD0, SIGMA, stride};
use crate::config::DIGEST_LEN;

/// Inputs hashed per pass.
pub(crate) const LANES: usize = 8;

/// Proof that the processor has AVX-512F: the only way to reach the kernel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx512(());

impl Avx512 {
    /// `Some` when this processor can run the kernel (the answer is cached by the standard
    /// library after the first call).
    pub(crate) fn detect() -> Option<Self> {
        std::arch::is_x86_feature_detected!("avx512f").then_some(Self(()))
    }

    /// BLAKE2b-256 of the first `len` bytes of each of the eight `stride(len)`-byte slots of
    /// `staging` into `out`. Every slot must hold zeros after its `len` bytes.
    pub(crate) fn hash8(self, staging: &[u8], len: usize, out: &mut [[u8; DIGEST_LEN]; LANES]) {
        let stride = stride(len);
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
