//! Object ids and IBE identities.
//!
//! An identity is the policy package's id followed by an inner id the policy chooses (an owner
//! address, an allowlist id and a nonce, a BCS-encoded unlock time, ...). The package owns every
//! identity that starts with its id: only its `seal_approve*` functions decide who gets keys.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Length of a Sui address or object id.
pub const OBJECT_ID_LENGTH: usize = 32;

/// A 32-byte Sui object id or address (package ids and key-server object ids).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct ObjectId(pub [u8; OBJECT_ID_LENGTH]);

impl ObjectId {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; OBJECT_ID_LENGTH] {
        &self.0
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a string is not an object id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an object id: {reason} in {input:?}")]
pub struct ParseObjectIdError {
    input: String,
    reason: &'static str,
}

impl FromStr for ObjectId {
    type Err = ParseObjectIdError;

    /// Parses `0x` followed by 1 to 64 hex digits (short forms are left-padded with zeros, as
    /// Sui writes `0x2`).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason| ParseObjectIdError { input: input.to_owned(), reason };
        let digits = input.strip_prefix("0x").ok_or_else(|| fail("missing 0x prefix"))?;
        if digits.is_empty() || digits.len() > 2 * OBJECT_ID_LENGTH {
            return Err(fail("expected 1 to 64 hex digits"));
        }
        let padded = format!("{digits:0>64}");
        let mut out = [0u8; OBJECT_ID_LENGTH];
        for (byte, pair) in out.iter_mut().zip(padded.as_bytes().chunks(2)) {
            let text = std::str::from_utf8(pair).map_err(|_| fail("non-ASCII character"))?;
            *byte = u8::from_str_radix(text, 16).map_err(|_| fail("non-hex digit"))?;
        }
        Ok(Self(out))
    }
}

/// An IBE identity: policy package id ‖ inner id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The first published version of the policy package.
    pub package: ObjectId,
    /// The bytes the policy's `seal_approve*` functions receive as their `id` argument.
    pub inner: Vec<u8>,
}

impl Identity {
    /// Builds an identity from its two parts.
    pub fn new(package: ObjectId, inner: impl Into<Vec<u8>>) -> Self {
        Self { package, inner: inner.into() }
    }

    /// The full id that is hashed to G1: the 32 package bytes followed by the inner id, with no
    /// length prefix.
    pub fn full_id(&self) -> Vec<u8> {
        [self.package.as_bytes().as_slice(), &self.inner].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_id_is_plain_concatenation() {
        let identity = Identity::new(ObjectId([7; 32]), vec![1, 2, 3]);
        let full = identity.full_id();
        assert_eq!(full.len(), 35);
        assert_eq!(&full[..32], &[7; 32]);
        assert_eq!(&full[32..], &[1, 2, 3]);
    }

    #[test]
    fn object_ids_parse_short_and_long_forms() {
        let two: ObjectId = "0x2".parse().unwrap();
        assert_eq!(two.0[31], 2);
        assert_eq!(two.0[..31], [0; 31]);
        assert_eq!(two.to_string().parse::<ObjectId>().unwrap(), two);
        assert!("2".parse::<ObjectId>().is_err());
        assert!("0xzz".parse::<ObjectId>().is_err());
        assert!(format!("0x{}", "1".repeat(65)).parse::<ObjectId>().is_err());
    }
}
