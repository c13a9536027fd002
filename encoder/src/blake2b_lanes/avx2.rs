//! Four lanes with AVX2 (256-bit registers), for short inputs.
//!
//! blake2b_simd hashes four inputs per pass with AVX2 as well, and its loop is the faster one for
//! long inputs; for inputs of a block or two, most of a Merkle tree's, it spends much of each hash
//! on a per-input job (a whole hash state set up, padded and finalized on its own: 104 against 82
//! ns per 65-byte input for this kernel, in a scratch comparison on an AMD EPYC). This kernel has
//! none: the inputs are staged in slots as for the AVX-512 kernel, all of one length, so the
//! counter and the last-block flag are the same in every lane.
//!
//! AVX2 has no 64-bit rotate. A rotation by 32 swaps the halves of each word (one shuffle); those
//! by 24 and 16 are two shifts and an OR, which on the AMD EPYC measured ran faster than byte
//! shuffles (the compiler turns the one for 16 into two); the one by 63 is a shift and an add.

use core::arch::x86_64::{
    __m256i, _mm256_add_epi64, _mm256_loadu_si256, _mm256_or_si256, _mm256_permute2x128_si256, _mm256_set1_epi64x,
    _mm256_shuffle_epi32, _mm256_slli_epi64, _mm256_srli_epi64, _mm256_storeu_si256, _mm256_unpackhi_epi64,
    _mm256_unpacklo_epi64, _mm256_xor_si256,
};

use super::{BLOCK, IV, PARAMS_WORD0, SIGMA, stride};
use crate::config::DIGEST_LEN;

/// Inputs hashed per pass.
pub(crate) const LANES: usize = 4;

/// Proof that the processor has AVX2: the only way to reach the kernel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2(());

impl Avx2 {
    /// The longest input this kernel takes: two blocks. Past that blake2b_simd's four-lane loop,
    /// whose compression is tuned further, was as fast or faster (a scratch comparison on an AMD
    /// EPYC without AVX-512: 82 against 104 ns per input of 65 bytes, 313 against 320 at 129
    /// bytes, 4.2 against 3.5 us at 7,000 bytes).
    pub(crate) const MAX_LEN: usize = 2 * BLOCK;

    /// `Some` when this processor can run the kernel (the answer is cached by the standard
    /// library after the first call).
    pub(crate) fn detect() -> Option<Self> {
        std::arch::is_x86_feature_detected!("avx2").then_some(Self(()))
    }

    /// BLAKE2b-256 of the first `len` bytes of each of the four `stride(len)`-byte slots of
    /// `staging` into `out`. Every slot must hold zeros after its `len` bytes.
    pub(crate) fn hash4(self, staging: &[u8], len: usize, out: &mut [[u8; DIGEST_LEN]; LANES]) {
        let stride = stride(len);
        assert!(staging.len() >= LANES * stride, "a staging buffer of {} bytes for 4 slots of {stride}", staging.len());
        // SAFETY: `self` exists only where AVX2 was detected, and every load of the kernel is
        // within the 4 slots of `stride` bytes just checked.
        unsafe { hash4(staging.as_ptr(), stride, len, out) }
    }
}

// The helpers below are safe functions that need AVX2: they can be called only from code compiled
// with it (the kernel below), where the register-only intrinsics are safe too.

#[target_feature(enable = "avx2")]
#[inline]
fn add3(a: __m256i, b: __m256i, c: __m256i) -> __m256i {
    _mm256_add_epi64(_mm256_add_epi64(a, b), c)
}

/// `(d ^ a)` rotated right by 32: each word's halves swapped.
#[target_feature(enable = "avx2")]
#[inline]
fn xor_ror32(d: __m256i, a: __m256i) -> __m256i {
    _mm256_shuffle_epi32::<0b10_11_00_01>(_mm256_xor_si256(d, a))
}

/// `(b ^ c)` rotated right by 24.
#[target_feature(enable = "avx2")]
#[inline]
fn xor_ror24(b: __m256i, c: __m256i) -> __m256i {
    let x = _mm256_xor_si256(b, c);
    _mm256_or_si256(_mm256_srli_epi64::<24>(x), _mm256_slli_epi64::<40>(x))
}

/// `(d ^ a)` rotated right by 16.
#[target_feature(enable = "avx2")]
#[inline]
fn xor_ror16(d: __m256i, a: __m256i) -> __m256i {
    let x = _mm256_xor_si256(d, a);
    _mm256_or_si256(_mm256_srli_epi64::<16>(x), _mm256_slli_epi64::<48>(x))
}

/// `(b ^ c)` rotated right by 63, that is left by 1: the top bit, and the word doubled.
#[target_feature(enable = "avx2")]
#[inline]
fn xor_ror63(b: __m256i, c: __m256i) -> __m256i {
    let x = _mm256_xor_si256(b, c);
    _mm256_or_si256(_mm256_srli_epi64::<63>(x), _mm256_add_epi64(x, x))
}

/// BLAKE2b's mixing function on four columns (or four diagonals) of the state at once, each step
/// done for all four before the next: the four are independent, and written side by side they
/// keep the processor's vector units busy where one column's chain of steps would stall.
macro_rules! mix4 {
    ($v:ident, $a:expr, $b:expr, $c:expr, $d:expr, $x:expr, $y:expr) => {{
        let (a, b, c, d): ([usize; 4], [usize; 4], [usize; 4], [usize; 4]) = ($a, $b, $c, $d);
        let (x, y): ([__m256i; 4], [__m256i; 4]) = ($x, $y);
        for i in 0..4 {
            $v[a[i]] = add3($v[a[i]], $v[b[i]], x[i]);
        }
        for i in 0..4 {
            $v[d[i]] = xor_ror32($v[d[i]], $v[a[i]]);
        }
        for i in 0..4 {
            $v[c[i]] = _mm256_add_epi64($v[c[i]], $v[d[i]]);
        }
        for i in 0..4 {
            $v[b[i]] = xor_ror24($v[b[i]], $v[c[i]]);
        }
        for i in 0..4 {
            $v[a[i]] = add3($v[a[i]], $v[b[i]], y[i]);
        }
        for i in 0..4 {
            $v[d[i]] = xor_ror16($v[d[i]], $v[a[i]]);
        }
        for i in 0..4 {
            $v[c[i]] = _mm256_add_epi64($v[c[i]], $v[d[i]]);
        }
        for i in 0..4 {
            $v[b[i]] = xor_ror63($v[b[i]], $v[c[i]]);
        }
    }};
}

/// Round `$r`: its message schedule is a constant, so every message word is a fixed register or
/// slot (a loop over the rounds left the compiler indexing the words at run time).
macro_rules! round {
    ($v:ident, $m:ident, $r:literal) => {{
        const S: [usize; 16] = SIGMA[$r];
        mix4!(
            $v,
            [0, 1, 2, 3],
            [4, 5, 6, 7],
            [8, 9, 10, 11],
            [12, 13, 14, 15],
            [$m[S[0]], $m[S[2]], $m[S[4]], $m[S[6]]],
            [$m[S[1]], $m[S[3]], $m[S[5]], $m[S[7]]]
        );
        mix4!(
            $v,
            [0, 1, 2, 3],
            [5, 6, 7, 4],
            [10, 11, 8, 9],
            [15, 12, 13, 14],
            [$m[S[8]], $m[S[10]], $m[S[12]], $m[S[14]]],
            [$m[S[9]], $m[S[11]], $m[S[13]], $m[S[15]]]
        );
    }};
}

/// One compression of a block in every lane. All lanes are at the same byte count, so the counter
/// and the last-block flag are the same for all.
#[target_feature(enable = "avx2")]
#[inline]
fn compress(h: &mut [__m256i; 8], m: &[__m256i; 16], bytes_so_far: u64, last: bool) {
    let mut v = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[0], h[0], h[0], h[0], h[0], h[0], h[0], h[0]];
    for (word, iv) in v[8..].iter_mut().zip(IV) {
        *word = _mm256_set1_epi64x(iv as i64);
    }
    // The counter's high word stays zero: no input here comes near 2^64 bytes.
    v[12] = _mm256_xor_si256(v[12], _mm256_set1_epi64x(bytes_so_far as i64));
    if last {
        v[14] = _mm256_xor_si256(v[14], _mm256_set1_epi64x(-1));
    }
    round!(v, m, 0);
    round!(v, m, 1);
    round!(v, m, 2);
    round!(v, m, 3);
    round!(v, m, 4);
    round!(v, m, 5);
    round!(v, m, 6);
    round!(v, m, 7);
    round!(v, m, 8);
    round!(v, m, 9);
    round!(v, m, 10);
    round!(v, m, 11);
    for i in 0..8 {
        h[i] = _mm256_xor_si256(h[i], _mm256_xor_si256(v[i], v[8 + i]));
    }
}

/// # Safety
/// AVX2 must be available, and `base` readable for `4 * stride` bytes, `stride` a positive
/// multiple of the block size holding `len` bytes.
#[target_feature(enable = "avx2")]
unsafe fn hash4(base: *const u8, stride: usize, len: usize, out: &mut [[u8; DIGEST_LEN]; LANES]) {
    let mut h = IV.map(|word| _mm256_set1_epi64x(word as i64));
    h[0] = _mm256_xor_si256(h[0], _mm256_set1_epi64x(PARAMS_WORD0 as i64));
    let blocks = stride / BLOCK;
    let mut m = [h[0]; 16];
    for block in 0..blocks {
        // Words 4q..4q+4 of the four slots, loaded as four rows and transposed so that register
        // 4q+j holds word 4q+j of every lane.
        for q in 0..4 {
            // SAFETY: slot k's bytes [block * 128 + q * 32, +32) lie inside slot k.
            let row = |k: usize| unsafe { _mm256_loadu_si256(base.add(k * stride + block * BLOCK + q * 32).cast()) };
            let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
            let (lo01, hi01) = (_mm256_unpacklo_epi64(r0, r1), _mm256_unpackhi_epi64(r0, r1));
            let (lo23, hi23) = (_mm256_unpacklo_epi64(r2, r3), _mm256_unpackhi_epi64(r2, r3));
            m[4 * q] = _mm256_permute2x128_si256::<0x20>(lo01, lo23);
            m[4 * q + 1] = _mm256_permute2x128_si256::<0x20>(hi01, hi23);
            m[4 * q + 2] = _mm256_permute2x128_si256::<0x31>(lo01, lo23);
            m[4 * q + 3] = _mm256_permute2x128_si256::<0x31>(hi01, hi23);
        }
        let last = block + 1 == blocks;
        let bytes_so_far = if last { len } else { (block + 1) * BLOCK };
        compress(&mut h, &m, bytes_so_far as u64, last);
    }
    let mut words = [[0u64; LANES]; DIGEST_LEN / 8];
    for (lanes, state) in words.iter_mut().zip(&h) {
        // SAFETY: `lanes` is 32 writable bytes.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast::<__m256i>(), *state) };
    }
    for (k, digest) in out.iter_mut().enumerate() {
        for (chunk, lanes) in digest.chunks_exact_mut(8).zip(&words) {
            chunk.copy_from_slice(&lanes[k].to_le_bytes());
        }
    }
}
