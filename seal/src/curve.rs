//! BLS12-381 group elements as safe value types over `blst`.
//!
//! This is the only module of the crate that calls `unsafe` code: every call into blst's C API is
//! here, wrapped in [`Scalar`], [`G1`], [`G2`] and [`Gt`]. Points parsed from bytes are always
//! checked to lie in their prime-order subgroup and to differ from the identity, so the rest of the
//! crate never handles an unchecked point.
//!
//! Encodings follow the usual BLS12-381 conventions (the ones fastcrypto and Seal use):
//! scalars are 32 bytes big-endian, G1 and G2 points are compressed (48 and 96 bytes), and a
//! [`Gt`] element is the 576-byte big-endian serialization of its twelve Fp coefficients in blst's
//! tower order (`blst_bendian_from_fp12`), which is fastcrypto's `GTElement::to_byte_array`.

use std::fmt;
use std::ptr;

use blst::{
    BLST_ERROR, blst_bendian_from_fp12, blst_final_exp, blst_fp12, blst_fp12_is_equal, blst_fp12_is_one, blst_fp12_mul,
    blst_hash_to_g1, blst_miller_loop, blst_p1, blst_p1_add_or_double, blst_p1_affine, blst_p1_affine_in_g1,
    blst_p1_affine_is_inf, blst_p1_cneg, blst_p1_compress, blst_p1_from_affine, blst_p1_generator, blst_p1_is_equal,
    blst_p1_is_inf, blst_p1_mult, blst_p1_to_affine, blst_p1_uncompress, blst_p2, blst_p2_affine, blst_p2_affine_in_g2,
    blst_p2_affine_is_inf, blst_p2_compress, blst_p2_from_affine, blst_p2_generator, blst_p2_is_equal, blst_p2_mult,
    blst_p2_to_affine, blst_p2_uncompress, blst_scalar, blst_scalar_from_be_bytes, blst_scalar_from_bendian,
    blst_sk_check,
};
use rand::{CryptoRng, RngCore};

/// Length of an encoded [`Scalar`].
pub const SCALAR_LENGTH: usize = 32;
/// Length of a compressed [`G1`] point.
pub const G1_LENGTH: usize = 48;
/// Length of a compressed [`G2`] point.
pub const G2_LENGTH: usize = 96;
/// Length of a serialized [`Gt`] element.
pub const GT_LENGTH: usize = 576;

/// RFC 9380 domain separation tag of the hash-to-G1 suite (the BLS min-sig signature suite).
pub const HASH_TO_G1_DST: &[u8] = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";

/// Number of bits of the group order r; scalar multiplication walks this many bits.
const SCALAR_BITS: usize = 255;

/// Why bytes could not be read as a group element or scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingFault {
    /// The bytes do not encode a point on the curve (or are not a valid compressed encoding).
    NotOnCurve,
    /// The point is on the curve but outside the prime-order subgroup.
    NotInSubgroup,
    /// The point is the identity, which is never a valid key, nonce or user key here.
    Identity,
    /// The scalar is zero or not below the group order.
    ScalarOutOfRange,
}

impl fmt::Display for EncodingFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncodingFault::NotOnCurve => "not a valid compressed curve point",
            EncodingFault::NotInSubgroup => "point outside the prime-order subgroup",
            EncodingFault::Identity => "point at infinity",
            EncodingFault::ScalarOutOfRange => "scalar is zero or not below the group order",
        })
    }
}

/// A non-zero element of the scalar field of BLS12-381, kept as its canonical little-endian
/// bytes (the layout blst's scalar multiplication reads).
#[derive(Clone, Copy)]
pub struct Scalar([u8; SCALAR_LENGTH]);

impl Scalar {
    /// Draws a uniformly random non-zero scalar (64 random bytes reduced modulo r, so the bias is
    /// negligible).
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        loop {
            let mut wide = [0u8; 64];
            rng.fill_bytes(&mut wide);
            if let Some(scalar) = Self::from_wide_be_bytes(&wide) {
                return scalar;
            }
        }
    }

    /// Reduces a big-endian integer of any length modulo r; `None` when the result is zero.
    pub fn from_wide_be_bytes(bytes: &[u8]) -> Option<Self> {
        let mut out = blst_scalar::default();
        // SAFETY: `out` is a valid, writable blst_scalar and `bytes` is a live slice whose
        // pointer and length are passed together; blst reads exactly `bytes.len()` bytes.
        let non_zero = unsafe { blst_scalar_from_be_bytes(&mut out, bytes.as_ptr(), bytes.len()) };
        non_zero.then_some(Self(out.b))
    }

    /// Parses a canonical 32-byte big-endian scalar, rejecting zero and values not below r.
    pub fn from_be_bytes(bytes: &[u8; SCALAR_LENGTH]) -> Result<Self, EncodingFault> {
        let mut out = blst_scalar::default();
        // SAFETY: `bytes` is exactly 32 readable bytes, which is what blst_scalar_from_bendian
        // reads; `out` is a valid writable blst_scalar. blst_sk_check only reads `out`.
        let in_range = unsafe {
            blst_scalar_from_bendian(&mut out, bytes.as_ptr());
            blst_sk_check(&out)
        };
        if in_range { Ok(Self(out.b)) } else { Err(EncodingFault::ScalarOutOfRange) }
    }

    /// Builds a scalar from a small non-zero integer (used by known-answer tests).
    pub fn from_u64(value: u64) -> Option<Self> {
        Self::from_wide_be_bytes(&value.to_be_bytes())
    }

    /// Canonical 32-byte big-endian encoding.
    pub fn to_be_bytes(&self) -> [u8; SCALAR_LENGTH] {
        let mut out = self.0;
        out.reverse();
        out
    }

    /// Little-endian bytes, the layout blst's scalar multiplication reads.
    fn le_bytes(&self) -> &[u8; SCALAR_LENGTH] {
        &self.0
    }
}

impl PartialEq for Scalar {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Scalar {}

impl fmt::Debug for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Scalars are secrets (master keys, encryption randomness): never print them.
        f.write_str("Scalar(..)")
    }
}

/// A point of the prime-order subgroup G1 (48-byte compressed encoding).
#[derive(Clone, Copy)]
pub struct G1(blst_p1);

impl G1 {
    /// The standard generator of G1.
    pub fn generator() -> Self {
        // SAFETY: blst_p1_generator returns a pointer to a static, initialized constant.
        Self(unsafe { *blst_p1_generator() })
    }

    /// Hashes `msg` to G1 with the RFC 9380 suite `BLS12381G1_XMD:SHA-256_SSWU_RO_` and `dst`.
    pub fn hash_to(msg: &[u8], dst: &[u8]) -> Self {
        let mut out = blst_p1::default();
        // SAFETY: message and DST pointers are passed with their own lengths; the augmentation
        // is empty (null pointer with length 0, which blst accepts); `out` is writable.
        unsafe { blst_hash_to_g1(&mut out, msg.as_ptr(), msg.len(), dst.as_ptr(), dst.len(), ptr::null(), 0) };
        Self(out)
    }

    /// Multiplies the point by a scalar.
    pub fn mul(&self, scalar: &Scalar) -> Self {
        let mut out = blst_p1::default();
        // SAFETY: the scalar pointer refers to 32 little-endian bytes, enough for 255 bits.
        unsafe { blst_p1_mult(&mut out, &self.0, scalar.le_bytes().as_ptr(), SCALAR_BITS) };
        Self(out)
    }

    /// Adds two points.
    pub fn add(&self, other: &Self) -> Self {
        let mut out = blst_p1::default();
        // SAFETY: all three pointers refer to valid blst_p1 values; blst allows any of them to
        // alias but here they do not.
        unsafe { blst_p1_add_or_double(&mut out, &self.0, &other.0) };
        Self(out)
    }

    /// Subtracts `other` from this point.
    pub fn sub(&self, other: &Self) -> Self {
        let mut negated = other.0;
        // SAFETY: `negated` is a valid, writable local copy of a point.
        unsafe { blst_p1_cneg(&mut negated, true) };
        self.add(&Self(negated))
    }

    /// Whether this is the identity (point at infinity), which arithmetic on checked points can
    /// still produce (e.g. a forged ElGamal ciphertext).
    pub fn is_identity(&self) -> bool {
        // SAFETY: `self.0` is a valid point; blst only reads it.
        unsafe { blst_p1_is_inf(&self.0) }
    }

    /// Compressed 48-byte encoding.
    pub fn to_bytes(&self) -> [u8; G1_LENGTH] {
        let mut out = [0u8; G1_LENGTH];
        // SAFETY: `out` has room for the 48 bytes blst writes for a compressed G1 point.
        unsafe { blst_p1_compress(out.as_mut_ptr(), &self.0) };
        out
    }

    /// Parses a compressed point, checking curve and subgroup membership and rejecting the
    /// identity.
    pub fn from_bytes(bytes: &[u8; G1_LENGTH]) -> Result<Self, EncodingFault> {
        let mut affine = blst_p1_affine::default();
        // SAFETY: `bytes` is 48 readable bytes, the size of a compressed G1 encoding.
        if unsafe { blst_p1_uncompress(&mut affine, bytes.as_ptr()) } != BLST_ERROR::BLST_SUCCESS {
            return Err(EncodingFault::NotOnCurve);
        }
        // SAFETY: `affine` was initialized by the successful uncompress above.
        if unsafe { blst_p1_affine_is_inf(&affine) } {
            return Err(EncodingFault::Identity);
        }
        // SAFETY: as above, `affine` is a valid affine point.
        if !unsafe { blst_p1_affine_in_g1(&affine) } {
            return Err(EncodingFault::NotInSubgroup);
        }
        let mut out = blst_p1::default();
        // SAFETY: converts a valid affine point into the writable projective `out`.
        unsafe { blst_p1_from_affine(&mut out, &affine) };
        Ok(Self(out))
    }

    fn to_affine(self) -> blst_p1_affine {
        let mut out = blst_p1_affine::default();
        // SAFETY: `self.0` is a valid point and `out` is writable.
        unsafe { blst_p1_to_affine(&mut out, &self.0) };
        out
    }
}

impl PartialEq for G1 {
    fn eq(&self, other: &Self) -> bool {
        // SAFETY: both pointers refer to valid points; blst only reads them.
        unsafe { blst_p1_is_equal(&self.0, &other.0) }
    }
}

impl Eq for G1 {}

impl fmt::Debug for G1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "G1({})", hex_string(&self.to_bytes()))
    }
}

/// A point of the prime-order subgroup G2 (96-byte compressed encoding).
#[derive(Clone, Copy)]
pub struct G2(blst_p2);

impl G2 {
    /// The standard generator of G2.
    pub fn generator() -> Self {
        // SAFETY: blst_p2_generator returns a pointer to a static, initialized constant.
        Self(unsafe { *blst_p2_generator() })
    }

    /// Multiplies the point by a scalar.
    pub fn mul(&self, scalar: &Scalar) -> Self {
        let mut out = blst_p2::default();
        // SAFETY: the scalar pointer refers to 32 little-endian bytes, enough for 255 bits.
        unsafe { blst_p2_mult(&mut out, &self.0, scalar.le_bytes().as_ptr(), SCALAR_BITS) };
        Self(out)
    }

    /// Compressed 96-byte encoding.
    pub fn to_bytes(&self) -> [u8; G2_LENGTH] {
        let mut out = [0u8; G2_LENGTH];
        // SAFETY: `out` has room for the 96 bytes blst writes for a compressed G2 point.
        unsafe { blst_p2_compress(out.as_mut_ptr(), &self.0) };
        out
    }

    /// Parses a compressed point, checking curve and subgroup membership and rejecting the
    /// identity.
    pub fn from_bytes(bytes: &[u8; G2_LENGTH]) -> Result<Self, EncodingFault> {
        let mut affine = blst_p2_affine::default();
        // SAFETY: `bytes` is 96 readable bytes, the size of a compressed G2 encoding.
        if unsafe { blst_p2_uncompress(&mut affine, bytes.as_ptr()) } != BLST_ERROR::BLST_SUCCESS {
            return Err(EncodingFault::NotOnCurve);
        }
        // SAFETY: `affine` was initialized by the successful uncompress above.
        if unsafe { blst_p2_affine_is_inf(&affine) } {
            return Err(EncodingFault::Identity);
        }
        // SAFETY: as above, `affine` is a valid affine point.
        if !unsafe { blst_p2_affine_in_g2(&affine) } {
            return Err(EncodingFault::NotInSubgroup);
        }
        let mut out = blst_p2::default();
        // SAFETY: converts a valid affine point into the writable projective `out`.
        unsafe { blst_p2_from_affine(&mut out, &affine) };
        Ok(Self(out))
    }

    fn to_affine(self) -> blst_p2_affine {
        let mut out = blst_p2_affine::default();
        // SAFETY: `self.0` is a valid point and `out` is writable.
        unsafe { blst_p2_to_affine(&mut out, &self.0) };
        out
    }
}

impl PartialEq for G2 {
    fn eq(&self, other: &Self) -> bool {
        // SAFETY: both pointers refer to valid points; blst only reads them.
        unsafe { blst_p2_is_equal(&self.0, &other.0) }
    }
}

impl Eq for G2 {}

impl fmt::Debug for G2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "G2({})", hex_string(&self.to_bytes()))
    }
}

/// An element of the pairing target group GT.
#[derive(Clone, Copy)]
pub struct Gt(blst_fp12);

impl Gt {
    /// The optimal ate pairing e(p, q).
    pub fn pairing(p: &G1, q: &G2) -> Self {
        let (p, q) = (p.to_affine(), q.to_affine());
        let mut loop_out = blst_fp12::default();
        let mut out = blst_fp12::default();
        // SAFETY: both affine points are valid; the outputs are distinct writable locals.
        unsafe {
            blst_miller_loop(&mut loop_out, &q, &p);
            blst_final_exp(&mut out, &loop_out);
        }
        Self(out)
    }

    /// Whether e(p1, q1) = e(p2, q2), computed as e(-p1, q1)·e(p2, q2) = 1 with two Miller
    /// loops and a single final exponentiation (about 40 % cheaper than two pairings).
    pub fn pairings_equal(p1: &G1, q1: &G2, p2: &G1, q2: &G2) -> bool {
        let mut negated = p1.0;
        // SAFETY: `negated` is a valid, writable local copy of a point.
        unsafe { blst_p1_cneg(&mut negated, true) };
        let (p1, q1) = (G1(negated).to_affine(), q1.to_affine());
        let (p2, q2) = (p2.to_affine(), q2.to_affine());
        let (mut first, mut second, mut product, mut out) =
            (blst_fp12::default(), blst_fp12::default(), blst_fp12::default(), blst_fp12::default());
        // SAFETY: all affine inputs are valid points and each output is a distinct writable
        // local; blst_fp12_is_one only reads `out`.
        unsafe {
            blst_miller_loop(&mut first, &q1, &p1);
            blst_miller_loop(&mut second, &q2, &p2);
            blst_fp12_mul(&mut product, &first, &second);
            blst_final_exp(&mut out, &product);
            blst_fp12_is_one(&out)
        }
    }

    /// 576-byte big-endian serialization in blst's coefficient order (fastcrypto's layout).
    pub fn to_bytes(&self) -> [u8; GT_LENGTH] {
        let mut out = [0u8; GT_LENGTH];
        // SAFETY: `out` has room for the 12 * 48 bytes blst writes.
        unsafe { blst_bendian_from_fp12(out.as_mut_ptr(), &self.0) };
        out
    }
}

impl PartialEq for Gt {
    fn eq(&self, other: &Self) -> bool {
        // SAFETY: both pointers refer to valid field elements; blst only reads them.
        unsafe { blst_fp12_is_equal(&self.0, &other.0) }
    }
}

impl Eq for Gt {}

impl fmt::Debug for Gt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Gt({}..)", hex_string(&self.to_bytes()[..16]))
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::thread_rng;

    #[test]
    fn pairing_is_bilinear() {
        let mut rng = thread_rng();
        let (a, b) = (Scalar::random(&mut rng), Scalar::random(&mut rng));
        let left = Gt::pairing(&G1::generator().mul(&a), &G2::generator().mul(&b));
        let right = Gt::pairing(&G1::generator().mul(&b), &G2::generator().mul(&a));
        assert_eq!(left, right);
        assert_ne!(left, Gt::pairing(&G1::generator(), &G2::generator()));
        let (ag, bg) = (G1::generator().mul(&a), G2::generator().mul(&b));
        assert!(Gt::pairings_equal(&ag, &bg, &G1::generator().mul(&b), &G2::generator().mul(&a)));
        assert!(!Gt::pairings_equal(&ag, &bg, &G1::generator(), &G2::generator()));
    }

    #[test]
    fn points_round_trip_through_compressed_bytes() {
        let s = Scalar::random(&mut thread_rng());
        let p = G1::generator().mul(&s);
        let q = G2::generator().mul(&s);
        assert_eq!(G1::from_bytes(&p.to_bytes()), Ok(p));
        assert_eq!(G2::from_bytes(&q.to_bytes()), Ok(q));
        assert_eq!(Scalar::from_be_bytes(&s.to_be_bytes()), Ok(s));
    }

    #[test]
    fn identity_and_garbage_are_rejected() {
        let mut infinity = [0u8; G1_LENGTH];
        infinity[0] = 0xc0;
        assert_eq!(G1::from_bytes(&infinity), Err(EncodingFault::Identity));
        assert_eq!(G1::from_bytes(&[0xff; G1_LENGTH]), Err(EncodingFault::NotOnCurve));
        assert_eq!(G2::from_bytes(&[0x11; G2_LENGTH]), Err(EncodingFault::NotOnCurve));
        assert_eq!(Scalar::from_be_bytes(&[0; 32]), Err(EncodingFault::ScalarOutOfRange));
        assert_eq!(Scalar::from_be_bytes(&[0xff; 32]), Err(EncodingFault::ScalarOutOfRange));
    }

    #[test]
    fn subtraction_undoes_addition() {
        let mut rng = thread_rng();
        let p = G1::generator().mul(&Scalar::random(&mut rng));
        let q = G1::generator().mul(&Scalar::random(&mut rng));
        assert_eq!(p.add(&q).sub(&q), p);
    }
}
