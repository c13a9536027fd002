//! Arithmetic in GF(2^8) with the AES reduction polynomial x^8 + x^4 + x^3 + x + 1.
//!
//! Multiplication is a fixed 8-step shift-and-add with masks instead of log tables, so its
//! running time and memory access do not depend on the (secret) operands.

use std::ops::{Add, Div, Mul, Sub};

/// The low byte of the reduction polynomial (x^8 is implicit).
const AES_POLYNOMIAL_LOW: u8 = 0x1b;

/// An element of GF(2^8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gf256(pub u8);

impl Gf256 {
    /// The additive identity.
    pub const ZERO: Self = Self(0);
    /// The multiplicative identity.
    pub const ONE: Self = Self(1);

    /// Multiplicative inverse; `None` for zero. Computed as a^254 (Fermat) with constant-time
    /// multiplications (only share indices, which are public, are ever inverted).
    pub fn inverse(self) -> Option<Self> {
        if self == Self::ZERO {
            return None;
        }
        // a^254 = a^(2+4+8+16+32+64+128)
        let mut result = Self::ONE;
        let mut power = self;
        for _ in 1..8 {
            power = power * power;
            result = result * power;
        }
        Some(result)
    }
}

impl Add for Gf256 {
    type Output = Self;
    // Addition in characteristic 2 is XOR.
    #[allow(clippy::suspicious_arithmetic_impl)]
    fn add(self, rhs: Self) -> Self {
        Self(self.0 ^ rhs.0)
    }
}

impl Sub for Gf256 {
    type Output = Self;
    // Subtraction equals addition in characteristic 2.
    #[allow(clippy::suspicious_arithmetic_impl)]
    fn sub(self, rhs: Self) -> Self {
        Self(self.0 ^ rhs.0)
    }
}

impl Mul for Gf256 {
    type Output = Self;
    fn mul(self, rhs: Self) -> Self {
        let (mut a, mut b, mut product) = (self.0, rhs.0, 0u8);
        for _ in 0..8 {
            product ^= a & 0u8.wrapping_sub(b & 1);
            let carry = 0u8.wrapping_sub(a >> 7);
            a = (a << 1) ^ (AES_POLYNOMIAL_LOW & carry);
            b >>= 1;
        }
        Self(product)
    }
}

impl Div for Gf256 {
    type Output = Option<Self>;
    /// Division; `None` when dividing by zero.
    fn div(self, rhs: Self) -> Option<Self> {
        rhs.inverse().map(|inverse| self * inverse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_aes_field_reference_products() {
        // FIPS-197 section 4.2: {57} * {83} = {c1} and {57} * {13} = {fe}.
        assert_eq!(Gf256(0x57) * Gf256(0x83), Gf256(0xc1));
        assert_eq!(Gf256(0x57) * Gf256(0x13), Gf256(0xfe));
    }

    #[test]
    fn every_non_zero_element_has_an_inverse() {
        for a in 1..=255u8 {
            let inverse = Gf256(a).inverse().unwrap();
            assert_eq!(Gf256(a) * inverse, Gf256::ONE, "a = {a}");
        }
        assert_eq!(Gf256::ZERO.inverse(), None);
        assert_eq!(Gf256(7) / Gf256::ZERO, None);
    }

    #[test]
    fn multiplication_distributes_over_addition() {
        for a in (0..=255u8).step_by(7) {
            for b in (0..=255u8).step_by(11) {
                let c = Gf256(0xa5);
                assert_eq!(Gf256(a) * (Gf256(b) + c), Gf256(a) * Gf256(b) + Gf256(a) * c);
            }
        }
    }
}
