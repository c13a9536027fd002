//! BLAKE2b-256 of many equal-length inputs at once, one input in each 64-bit lane of a SIMD
//! register: eight with AVX-512 ([`avx512`]), four with AVX2 ([`avx2`]).
//!
//! Encoding and checking slivers is mostly hashing: every symbol of the expanded matrix is a Merkle
//! leaf, and at small symbol sizes each leaf is a single BLAKE2b block. blake2b_simd hashes four
//! inputs per pass with AVX2, but sets up, pads and finalizes each input as a hash of its own, and
//! has no AVX-512 at all; no maintained crate offers either kernel, hence these. They serve only
//! the case the encoder has, many inputs of one length (`merkle::hash_prefixed_items`); everything
//! else stays with blake2b_simd, which the tests hold both kernels to, byte for byte.
//!
//! The kernels read their inputs from a staging buffer where each input starts on its own
//! `stride`-byte slot and is followed by zeros to the end of the slot, so every block, the last one
//! included, is a whole 128-byte load and no lane needs a tail of its own.

mod avx2;
mod avx512;

pub(crate) use avx2::Avx2;
pub(crate) use avx512::Avx512;

use crate::config::DIGEST_LEN;

/// The most inputs a kernel hashes per pass.
pub(crate) const MAX_LANES: usize = avx512::LANES;
/// BLAKE2b's block size in bytes.
pub(crate) const BLOCK: usize = 128;

/// BLAKE2b's initialisation vector (SHA-512's).
pub(super) const IV: [u64; 8] = [
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
pub(super) const PARAMS_WORD0: u64 = 0x0101_0000 | DIGEST_LEN as u64;

/// The message word schedule of each of the twelve rounds (rounds 10 and 11 repeat 0 and 1).
pub(super) const SIGMA: [[usize; 16]; 12] = [
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

/// The slot size for inputs of `len` bytes: whole blocks, at least one (an empty input is one
/// block of zeros).
pub(crate) const fn stride(len: usize) -> usize {
    if len == 0 { BLOCK } else { len.div_ceil(BLOCK) * BLOCK }
}

/// The kernel that hashes inputs of one length on this processor.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lanes {
    /// Eight lanes, any length.
    Avx512(Avx512),
    /// Four lanes, inputs of up to [`Avx2::MAX_LEN`] bytes.
    Avx2(Avx2),
}

impl Lanes {
    /// The kernel for inputs of `len` bytes, if one serves them here.
    pub(crate) fn for_len(len: usize) -> Option<Self> {
        if let Some(avx512) = Avx512::detect() {
            return Some(Self::Avx512(avx512));
        }
        Avx2::detect().filter(|_| len <= Avx2::MAX_LEN).map(Self::Avx2)
    }

    /// Inputs hashed per pass.
    pub(crate) const fn count(self) -> usize {
        match self {
            Self::Avx512(_) => avx512::LANES,
            Self::Avx2(_) => avx2::LANES,
        }
    }

    /// BLAKE2b-256 of the first `len` bytes of each of the first [`Lanes::count`] `stride(len)`-byte
    /// slots of `staging` into as many of `out`. Every slot must hold zeros after its `len` bytes.
    pub(crate) fn hash(self, staging: &[u8], len: usize, out: &mut [[u8; DIGEST_LEN]; MAX_LANES]) {
        match self {
            Self::Avx512(avx512) => avx512.hash8(staging, len, out),
            Self::Avx2(avx2) => {
                let out: &mut [_; avx2::LANES] = (&mut out[..avx2::LANES]).try_into().expect("four of eight");
                avx2.hash4(staging, len, out);
            }
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

    /// Every kernel this processor can run on inputs of `len` bytes, not only the one
    /// [`Lanes::for_len`] prefers: on a processor with AVX-512 the AVX2 kernel is tested too.
    fn kernels(len: usize) -> Vec<Lanes> {
        let avx512 = Avx512::detect().map(Lanes::Avx512);
        let avx2 = Avx2::detect().filter(|_| len <= Avx2::MAX_LEN).map(Lanes::Avx2);
        avx512.into_iter().chain(avx2).collect()
    }

    /// The kernel's digests of `inputs` (as many as it has lanes), staged as the encoder stages
    /// them.
    fn hashed(kernel: Lanes, inputs: &[Vec<u8>]) -> Vec<[u8; DIGEST_LEN]> {
        let len = inputs[0].len();
        let stride = stride(len);
        let mut staging = vec![0; kernel.count() * stride];
        for (slot, input) in staging.chunks_exact_mut(stride).zip(inputs) {
            slot[..len].copy_from_slice(input);
        }
        let mut out = [[0; DIGEST_LEN]; MAX_LANES];
        kernel.hash(&staging, len, &mut out);
        out[..kernel.count()].to_vec()
    }

    #[test]
    fn every_length_around_the_block_boundaries_hashes_as_blake2b_simd_does() {
        let mut compared = 0;
        for len in (0..=400).chain([1023, 1024, 1025, 7_000, 65_535]) {
            let inputs: Vec<Vec<u8>> =
                (0..MAX_LANES).map(|k| (0..len).map(|i| (i * 31 + k * 7 + len) as u8).collect()).collect();
            for kernel in kernels(len) {
                for (k, digest) in hashed(kernel, &inputs).into_iter().enumerate() {
                    assert_eq!(digest, reference(&inputs[k]), "{kernel:?}, length {len}, lane {k}");
                    compared += 1;
                }
            }
        }
        if compared == 0 {
            eprintln!("neither AVX2 nor AVX-512F here: no kernel is used, nothing to compare");
        }
    }

    #[test]
    fn the_preferred_kernel_takes_only_the_lengths_it_serves() {
        match (Avx512::detect(), Avx2::detect()) {
            (Some(_), _) => {
                assert!(matches!(Lanes::for_len(65_535), Some(Lanes::Avx512(_))));
            }
            (None, Some(_)) => {
                assert!(matches!(Lanes::for_len(Avx2::MAX_LEN), Some(Lanes::Avx2(_))));
                assert!(Lanes::for_len(Avx2::MAX_LEN + 1).is_none(), "blake2b_simd's loop takes longer inputs");
            }
            (None, None) => assert!(Lanes::for_len(65).is_none()),
        }
    }

    proptest! {
        #[test]
        fn random_inputs_hash_as_blake2b_simd_does(len in 0usize..1200, seed in any::<u64>()) {
            let mut state = seed | 1;
            let inputs: Vec<Vec<u8>> = (0..MAX_LANES).map(|_| {
                (0..len).map(|_| { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state as u8 }).collect()
            }).collect();
            for kernel in kernels(len) {
                for (k, digest) in hashed(kernel, &inputs).into_iter().enumerate() {
                    prop_assert_eq!(digest, reference(&inputs[k]));
                }
            }
        }
    }
}
