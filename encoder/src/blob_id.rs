//! Blob ids: content-derived 32-byte identifiers, and the encoding type they commit to.
//!
//! `blob_id = Blake2b-256(encoding_type ‖ unencoded_length as u64 LE ‖ Merkle root)`, which are
//! exactly the BCS bytes of Move's `BlobIdDerivation { encoding_type: u8, size: u64, root_hash:
//! u256 }`. On chain the id is a `u256` whose little-endian bytes are the 32 bytes here. The text
//! form is 43 characters of unpadded base64url.
//!
//! ```
//! use floe_encoder::{BlobId, EncodingType};
//! use floe_encoder::merkle::Node;
//!
//! let id = BlobId::derive(EncodingType::RS2, 1000, &Node::Digest([1; 32]));
//! let text = id.to_string();
//! assert_eq!(text.len(), 43);
//! assert_eq!(text.parse::<BlobId>().unwrap(), id);
//! assert_eq!(BlobId::from_u256_decimal(&id.to_u256_decimal()).unwrap(), id);
//! ```

use core::{fmt, str::FromStr};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::merkle::{Node, blake2b256};

/// The erasure code a blob was encoded with. Only RS2 exists; BCS writes it as the byte `1`
/// (index 0 was Walrus's retired RaptorQ code, which floe refuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncodingType {
    /// RedStuff over Reed-Solomon (GF(2^16), Leopard FFT).
    RS2,
}

impl EncodingType {
    /// The on-chain and on-wire byte of this encoding type.
    pub const fn as_u8(self) -> u8 {
        match self {
            Self::RS2 => 1,
        }
    }

    /// The encoding type for `byte`, or an error naming the byte.
    pub fn from_u8(byte: u8) -> Result<Self, UnsupportedEncodingType> {
        match byte {
            1 => Ok(Self::RS2),
            other => Err(UnsupportedEncodingType(other)),
        }
    }
}

/// An encoding-type byte other than 1 (RS2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unsupported encoding type {0}: only 1 (RS2) is supported")]
pub struct UnsupportedEncodingType(pub u8);

impl Serialize for EncodingType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.as_u8())
    }
}

impl<'de> Deserialize<'de> for EncodingType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let byte = u8::deserialize(deserializer)?;
        Self::from_u8(byte).map_err(serde::de::Error::custom)
    }
}

/// The id of a blob: a commitment to its encoding type, length and every sliver hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlobId(pub [u8; 32]);

impl BlobId {
    /// Length of the text form.
    pub const TEXT_LEN: usize = 43;

    /// Derives the id from the encoding type, the unencoded length and the Merkle root over the
    /// sliver-pair hashes.
    pub fn derive(encoding_type: EncodingType, unencoded_length: u64, root: &Node) -> Self {
        let mut input = [0u8; 1 + 8 + 32];
        input[0] = encoding_type.as_u8();
        input[1..9].copy_from_slice(&unencoded_length.to_le_bytes());
        input[9..].copy_from_slice(&root.bytes());
        Self(blake2b256(&input))
    }

    /// The decimal form of the id as a `u256` (little-endian bytes), as Move and explorers show it.
    pub fn to_u256_decimal(&self) -> String {
        // Repeated division by 10 over big-endian u32 limbs.
        let mut limbs: Vec<u32> = self
            .0
            .chunks_exact(4)
            .rev()
            .map(|chunk| u32::from_le_bytes(chunk.try_into().expect("4-byte chunk")))
            .collect();
        let mut digits = Vec::new();
        while limbs.iter().any(|limb| *limb != 0) {
            let mut remainder = 0u64;
            for limb in limbs.iter_mut() {
                let value = (remainder << 32) | u64::from(*limb);
                *limb = u32::try_from(value / 10).expect("quotient of a 36-bit value by 10 fits");
                remainder = value % 10;
            }
            digits.push(b'0' + u8::try_from(remainder).expect("a digit"));
        }
        if digits.is_empty() {
            digits.push(b'0');
        }
        digits.reverse();
        String::from_utf8(digits).expect("ASCII digits")
    }

    /// Parses the decimal `u256` form.
    pub fn from_u256_decimal(text: &str) -> Result<Self, BlobIdParseError> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BlobIdParseError::NotDecimal(text.to_owned()));
        }
        // Little-endian bytes times 10 plus digit, with overflow detection.
        let mut bytes = [0u8; 32];
        for digit in text.bytes() {
            let mut carry = u32::from(digit - b'0');
            for byte in bytes.iter_mut() {
                let value = u32::from(*byte) * 10 + carry;
                *byte = (value & 0xff) as u8;
                carry = value >> 8;
            }
            if carry != 0 {
                return Err(BlobIdParseError::U256Overflow(text.to_owned()));
            }
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({self})")
    }
}

impl FromStr for BlobId {
    type Err = BlobIdParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != Self::TEXT_LEN {
            return Err(BlobIdParseError::WrongLength { len: text.len() });
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(BlobIdParseError::NotBase64Url)?;
        let bytes: [u8; 32] =
            bytes.try_into().map_err(|bytes: Vec<u8>| BlobIdParseError::WrongLength { len: bytes.len() })?;
        Ok(Self(bytes))
    }
}

/// Why a text could not be read as a blob id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobIdParseError {
    /// The text form has the wrong number of characters.
    #[error("a blob id has 43 base64url characters, got {len}")]
    WrongLength {
        /// The length that was given.
        len: usize,
    },
    /// The text is not unpadded base64url.
    #[error("a blob id is unpadded base64url: {0}")]
    NotBase64Url(#[source] base64::DecodeError),
    /// The decimal form contains something other than digits.
    #[error("{0:?} is not a decimal number")]
    NotDecimal(String),
    /// The decimal form is larger than 2^256 - 1.
    #[error("{0} does not fit in a u256")]
    U256Overflow(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_hashes_type_length_le_and_root() {
        let root = Node::Digest([9; 32]);
        let mut input = vec![1u8];
        input.extend_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
        input.extend_from_slice(&[9; 32]);
        assert_eq!(BlobId::derive(EncodingType::RS2, 0x0102_0304_0506_0708, &root).0, blake2b256(&input));
    }

    #[test]
    fn u256_decimal_of_small_and_extreme_values() {
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(BlobId(one).to_u256_decimal(), "1");
        assert_eq!(BlobId([0; 32]).to_u256_decimal(), "0");
        assert_eq!(
            BlobId([0xff; 32]).to_u256_decimal(),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        );
        let mut le = [0u8; 32];
        le[1] = 1; // 256
        assert_eq!(BlobId(le).to_u256_decimal(), "256");
        assert_eq!(BlobId::from_u256_decimal("256").unwrap(), BlobId(le));
    }

    #[test]
    fn malformed_text_is_refused_with_the_reason() {
        assert_eq!("abc".parse::<BlobId>(), Err(BlobIdParseError::WrongLength { len: 3 }));
        assert!(matches!("+".repeat(43).parse::<BlobId>(), Err(BlobIdParseError::NotBase64Url(_))));
        assert!(matches!(BlobId::from_u256_decimal("12a"), Err(BlobIdParseError::NotDecimal(_))));
        assert!(matches!(
            BlobId::from_u256_decimal("115792089237316195423570985008687907853269984665640564039457584007913129639936"),
            Err(BlobIdParseError::U256Overflow(_))
        ));
    }

    #[test]
    fn encoding_type_bcs_is_the_byte_one_and_zero_is_refused() {
        assert_eq!(bcs::to_bytes(&EncodingType::RS2).unwrap(), vec![1]);
        assert!(bcs::from_bytes::<EncodingType>(&[0]).is_err());
    }
}
