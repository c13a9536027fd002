//! Shamir secret sharing of a 32-byte key over GF(2^8), byte by byte.
//!
//! Each byte of the secret is the constant term of its own random polynomial of degree t-1;
//! share `i` holds the 32 evaluations at x = i. Any t shares determine every polynomial, fewer
//! reveal nothing. Indices are `u8` and never 0 (that point is the secret).

use rand::{CryptoRng, RngCore};

use crate::error::{Result, SealError};
use crate::gf256::Gf256;

/// Length of the shared secret and of each share.
pub const SECRET_LENGTH: usize = 32;

/// One share: its index (the x coordinate) and the 32 evaluations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// The evaluation point, 1..=255.
    pub index: u8,
    /// The share bytes, one evaluation per secret byte.
    pub value: [u8; SECRET_LENGTH],
}

/// Splits `secret` into shares with indices 1..=`shares`, any `threshold` of which recover it.
pub fn split<R: RngCore + CryptoRng>(
    rng: &mut R,
    secret: &[u8; SECRET_LENGTH],
    threshold: u8,
    shares: usize,
) -> Result<Vec<Share>> {
    if shares > usize::from(u8::MAX) {
        return Err(SealError::TooManyServers { servers: shares, max: usize::from(u8::MAX) });
    }
    if threshold == 0 || usize::from(threshold) > shares {
        return Err(SealError::InvalidThreshold { threshold, servers: shares });
    }
    // coefficients[k][byte]: coefficient of x^k for each secret byte; k = 0 is the secret.
    let mut coefficients = vec![[0u8; SECRET_LENGTH]; usize::from(threshold)];
    coefficients[0] = *secret;
    for row in coefficients.iter_mut().skip(1) {
        rng.fill_bytes(row);
    }
    Ok((1..=shares)
        .map(|index| {
            // `shares` <= 255 was checked above, so the index fits a u8.
            let x = Gf256(index as u8);
            let mut value = [0u8; SECRET_LENGTH];
            for (byte, out) in value.iter_mut().enumerate() {
                // Horner's rule from the highest coefficient down.
                let mut acc = Gf256::ZERO;
                for row in coefficients.iter().rev() {
                    acc = acc * x + Gf256(row[byte]);
                }
                *out = acc.0;
            }
            Share { index: index as u8, value }
        })
        .collect())
}

/// Recovers the secret from shares by Lagrange interpolation at 0.
///
/// With fewer than the threshold the result is a wrong key, not an error: the caller detects it
/// (the sealing layer checks the recovered key against the nonce).
pub fn combine(shares: &[Share]) -> Result<[u8; SECRET_LENGTH]> {
    evaluate_at(shares, Gf256::ZERO)
}

/// Evaluates the polynomials through `shares` at `x` (combine is the case x = 0).
pub fn evaluate_at(shares: &[Share], x: Gf256) -> Result<[u8; SECRET_LENGTH]> {
    check_indices(shares)?;
    let mut out = [0u8; SECRET_LENGTH];
    for (i, share) in shares.iter().enumerate() {
        let xi = Gf256(share.index);
        // Lagrange basis l_i(x) = prod_{j != i} (x - x_j) / (x_i - x_j).
        let mut basis = Gf256::ONE;
        for (j, other) in shares.iter().enumerate() {
            if i != j {
                let xj = Gf256(other.index);
                // Distinct indices were checked, so x_i - x_j is never zero.
                basis = ((x - xj) * basis / (xi - xj)).unwrap_or(Gf256::ZERO);
            }
        }
        for (acc, byte) in out.iter_mut().zip(share.value) {
            *acc = (Gf256(*acc) + basis * Gf256(byte)).0;
        }
    }
    Ok(out)
}

fn check_indices(shares: &[Share]) -> Result<()> {
    let mut seen = [false; 256];
    for share in shares {
        if share.index == 0 {
            return Err(SealError::ZeroShareIndex);
        }
        if std::mem::replace(&mut seen[usize::from(share.index)], true) {
            return Err(SealError::DuplicateShareIndex { index: share.index });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::thread_rng;

    #[test]
    fn any_threshold_subset_recovers_and_smaller_ones_do_not() {
        let mut rng = thread_rng();
        let mut secret = [0u8; SECRET_LENGTH];
        rng.fill_bytes(&mut secret);
        for n in 1..=6usize {
            for t in 1..=n as u8 {
                let shares = split(&mut rng, &secret, t, n).unwrap();
                assert_eq!(shares.iter().map(|s| s.index).collect::<Vec<_>>(), (1..=n as u8).collect::<Vec<_>>());
                // every window of t consecutive shares (cyclically) recovers the secret
                for start in 0..n {
                    let subset: Vec<Share> = (0..usize::from(t)).map(|k| shares[(start + k) % n]).collect();
                    assert_eq!(combine(&subset).unwrap(), secret, "n={n} t={t} start={start}");
                    if t > 1 {
                        assert_ne!(combine(&subset[1..]).unwrap(), secret, "t-1 shares must not recover");
                    }
                }
            }
        }
    }

    #[test]
    fn interpolation_reproduces_every_share() {
        let mut rng = thread_rng();
        let shares = split(&mut rng, &[9u8; SECRET_LENGTH], 3, 7).unwrap();
        for share in &shares[3..] {
            assert_eq!(evaluate_at(&shares[..3], Gf256(share.index)).unwrap(), share.value);
        }
    }

    #[test]
    fn rejects_bad_parameters_and_indices() {
        let mut rng = thread_rng();
        assert!(matches!(
            split(&mut rng, &[0; 32], 0, 3),
            Err(SealError::InvalidThreshold { threshold: 0, servers: 3 })
        ));
        assert!(matches!(
            split(&mut rng, &[0; 32], 4, 3),
            Err(SealError::InvalidThreshold { threshold: 4, servers: 3 })
        ));
        assert!(matches!(split(&mut rng, &[0; 32], 1, 256), Err(SealError::TooManyServers { servers: 256, .. })));
        let share = Share { index: 5, value: [1; 32] };
        assert!(matches!(combine(&[share, share]), Err(SealError::DuplicateShareIndex { index: 5 })));
        assert!(matches!(combine(&[Share { index: 0, value: [0; 32] }]), Err(SealError::ZeroShareIndex)));
    }
}
