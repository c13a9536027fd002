//! The encrypted-object format: versioned, self-describing BCS, Seal's layout version 0.
//!
//! Field order (BCS, no framing between fields):
//!
//! 1. `version: u8` (0)
//! 2. `package_id: [u8; 32]` and 3. `id: vector<u8>` — the identity
//! 4. `services: vector<(address, u8)>` — key-server object ids and their share indices
//! 5. `threshold: u8`
//! 6. [`IbeEncryptions`] enum, tag 0 = Boneh–Franklin BLS12-381: nonce (96-byte G2, no length
//!    prefix), `encrypted_shares: vector<[u8; 32]>`, `encrypted_randomness: [u8; 32]`
//! 7. [`Ciphertext`] enum: tag 0 `Aes256Gcm { blob, aad }`, tag 1 `Hmac256Ctr { blob, aad, mac }`,
//!    tag 2 `Plain`, and floe's tag 3 `Aes256GcmChunked { chunk_size: u32, aad, blob }` (fixed
//!    fields first, so a streaming reader knows how to decrypt before the blob starts).
//!
//! Fields 1–6 form the [`Header`]; an object is its header followed by its ciphertext, so the
//! two serialize to exactly the bytes of the flat layout. Everything needed to decrypt is in the
//! object except the user keys.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sui_sdk_types::Address;

use crate::curve::G2_LENGTH;
use crate::error::{Result, SealError};
use crate::ibe::KEY_LENGTH;
use crate::identity::Identity;

/// The only format version.
pub const FORMAT_VERSION: u8 = 0;
/// Most key servers (shares) an object can list: indices are a non-zero `u8`.
pub const MAX_SERVERS: usize = u8::MAX as usize;
/// Longest inner id accepted, which bounds what a streaming reader allocates.
pub const MAX_INNER_ID_LENGTH: usize = 4096;
/// Longest aad accepted in streamed objects.
pub const MAX_AAD_LENGTH: usize = 64 * 1024;
/// Longest BCS vector (the bcs crate's limit), hence the largest ciphertext an object can hold.
pub const MAX_BLOB_LENGTH: u64 = (1 << 31) - 1;

/// The 96-byte compressed G2 nonce, serialized as a fixed array with no length prefix.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NonceBytes(pub [u8; G2_LENGTH]);

impl fmt::Debug for NonceBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NonceBytes(")?;
        self.0[..8].iter().try_for_each(|b| write!(f, "{b:02x}"))?;
        write!(f, "..)")
    }
}

impl Serialize for NonceBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(G2_LENGTH)?;
        for byte in &self.0 {
            tuple.serialize_element(byte)?;
        }
        tuple.end()
    }
}

impl<'de> Deserialize<'de> for NonceBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct NonceVisitor;
        impl<'de> Visitor<'de> for NonceVisitor {
            type Value = NonceBytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{G2_LENGTH} nonce bytes")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<NonceBytes, A::Error> {
                let mut out = [0u8; G2_LENGTH];
                for (i, byte) in out.iter_mut().enumerate() {
                    *byte = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(i, &self))?;
                }
                Ok(NonceBytes(out))
            }
        }
        deserializer.deserialize_tuple(G2_LENGTH, NonceVisitor)
    }
}

/// Serde glue that moves `Vec<u8>` blobs as one byte string: the same BCS bytes as a `u8`
/// sequence (length prefix then the bytes) but copied at once instead of element by element.
mod blob_bytes {
    use std::fmt;

    use serde::de::{SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        struct BlobVisitor;
        impl<'de> Visitor<'de> for BlobVisitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
                Ok(bytes.to_vec())
            }
            fn visit_byte_buf<E>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(bytes)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
                while let Some(byte) = seq.next_element()? {
                    out.push(byte);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_byte_buf(BlobVisitor)
    }
}

/// The key encapsulation: how the shares of the base key are encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IbeEncryptions {
    /// Boneh–Franklin over BLS12-381 with one nonce for all servers.
    BonehFranklinBls12381 {
        /// `r·g2`.
        nonce: NonceBytes,
        /// One encrypted share per entry of `services`, in the same order.
        encrypted_shares: Vec<[u8; KEY_LENGTH]>,
        /// `r` (big-endian) XOR the randomness key, so decryptors can check the nonce.
        encrypted_randomness: [u8; KEY_LENGTH],
    },
}

/// The data encapsulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ciphertext {
    /// Seal's single-shot AES-256-GCM: ciphertext ‖ tag.
    Aes256Gcm {
        /// Ciphertext followed by the 16-byte tag.
        #[serde(with = "blob_bytes")]
        blob: Vec<u8>,
        /// Associated data, authenticated but not encrypted (None and empty are equivalent).
        aad: Option<Vec<u8>>,
    },
    /// Seal's HMAC-SHA3-256 counter mode, decryptable on chain (see [`crate::hmac_ctr`]).
    Hmac256Ctr {
        /// Ciphertext.
        #[serde(with = "blob_bytes")]
        blob: Vec<u8>,
        /// Associated data.
        aad: Option<Vec<u8>>,
        /// The MAC.
        mac: [u8; KEY_LENGTH],
    },
    /// No payload: the object only encapsulates a key (decryption returns the key).
    Plain,
    /// floe's chunked AES-256-GCM (see [`crate::chunked`]).
    Aes256GcmChunked {
        /// Plaintext bytes per chunk.
        chunk_size: u32,
        /// Associated data, bound into every chunk.
        aad: Option<Vec<u8>>,
        /// The sealed chunks, concatenated.
        #[serde(with = "blob_bytes")]
        blob: Vec<u8>,
    },
}

impl Ciphertext {
    /// BCS enum tag of the chunked variant, written by the streaming encoder.
    pub(crate) const CHUNKED_TAG: u8 = 3;

    /// The variant's name, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Ciphertext::Aes256Gcm { .. } => "Aes256Gcm",
            Ciphertext::Hmac256Ctr { .. } => "Hmac256Ctr",
            Ciphertext::Plain => "Plain",
            Ciphertext::Aes256GcmChunked { .. } => "Aes256GcmChunked",
        }
    }
}

/// Everything before the ciphertext: identity, servers, threshold and the encrypted shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Format version, 0.
    pub version: u8,
    /// The policy package (first published version).
    pub package_id: Address,
    /// The inner id passed to `seal_approve*`.
    pub id: Vec<u8>,
    /// Key-server object ids and the share index each holds.
    pub services: Vec<(Address, u8)>,
    /// Shares needed to decrypt.
    pub threshold: u8,
    /// The encrypted shares.
    pub encrypted_shares: IbeEncryptions,
}

impl Header {
    /// The identity the shares are encrypted under.
    pub fn identity(&self) -> Identity {
        Identity::new(self.package_id, self.id.clone())
    }

    /// The key-server ids in `services` order.
    pub fn server_ids(&self) -> Vec<Address> {
        self.services.iter().map(|(id, _)| *id).collect()
    }

    /// Checks the structural rules: version 0, 1 <= t <= n <= 255, non-zero distinct indices,
    /// one encrypted share per service, inner id within [`MAX_INNER_ID_LENGTH`].
    pub fn validate(&self) -> Result<()> {
        if self.version != FORMAT_VERSION {
            return Err(SealError::UnsupportedVersion { version: self.version });
        }
        let servers = self.services.len();
        if servers > MAX_SERVERS {
            return Err(SealError::TooManyServers { servers, max: MAX_SERVERS });
        }
        if self.threshold == 0 || usize::from(self.threshold) > servers {
            return Err(SealError::InvalidThreshold { threshold: self.threshold, servers });
        }
        if self.id.len() > MAX_INNER_ID_LENGTH {
            return Err(SealError::FieldTooLong {
                field: "inner id",
                len: self.id.len() as u64,
                max: MAX_INNER_ID_LENGTH as u64,
            });
        }
        let mut seen = BTreeSet::new();
        for (_, index) in &self.services {
            if *index == 0 {
                return Err(SealError::ZeroShareIndex);
            }
            if !seen.insert(*index) {
                return Err(SealError::DuplicateShareIndex { index: *index });
            }
        }
        let IbeEncryptions::BonehFranklinBls12381 { encrypted_shares, .. } = &self.encrypted_shares;
        if encrypted_shares.len() != servers {
            return Err(SealError::ShareCountMismatch { services: servers, shares: encrypted_shares.len() });
        }
        Ok(())
    }
}

/// A complete encrypted object: header then ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedObject {
    /// Identity, servers, threshold and encrypted shares.
    pub header: Header,
    /// The encrypted data (or none, for [`Ciphertext::Plain`]).
    pub ciphertext: Ciphertext,
}

impl EncryptedObject {
    /// The BCS bytes of the object.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing plain data types into a Vec cannot fail.
        bcs::to_bytes(self).expect("BCS serialization of an EncryptedObject is infallible")
    }

    /// Parses BCS bytes (all of them: trailing bytes are an error) and validates the header.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let object: Self = bcs::from_bytes(bytes)?;
        object.header.validate()?;
        Ok(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            version: 0,
            package_id: Address::new([1; 32]),
            id: vec![9, 9],
            services: vec![(Address::new([2; 32]), 1), (Address::new([3; 32]), 2)],
            threshold: 2,
            encrypted_shares: IbeEncryptions::BonehFranklinBls12381 {
                nonce: NonceBytes([4; G2_LENGTH]),
                encrypted_shares: vec![[5; 32], [6; 32]],
                encrypted_randomness: [7; 32],
            },
        }
    }

    #[test]
    fn layout_is_flat_bcs_in_seal_order() {
        let object = EncryptedObject {
            header: header(),
            ciphertext: Ciphertext::Aes256Gcm { blob: vec![8; 3], aad: Some(vec![1]) },
        };
        let bytes = object.to_bytes();
        let mut expected = vec![0u8];
        expected.extend([1; 32]);
        expected.extend([2, 9, 9, 2]);
        expected.extend([2; 32]);
        expected.push(1);
        expected.extend([3; 32]);
        expected.extend([2, 2, 0]); // index 2, threshold 2, IBE tag 0
        expected.extend([4; G2_LENGTH]);
        expected.push(2);
        expected.extend([5; 32]);
        expected.extend([6; 32]);
        expected.extend([7; 32]);
        expected.extend([0, 3, 8, 8, 8, 1, 1, 1]);
        assert_eq!(bytes, expected);
        assert_eq!(EncryptedObject::from_bytes(&bytes).unwrap(), object);
        assert!(matches!(EncryptedObject::from_bytes(&[bytes.as_slice(), &[0]].concat()), Err(SealError::Bcs(_))));
    }

    #[test]
    fn validation_rejects_structural_faults() {
        let mut bad = header();
        bad.version = 1;
        assert!(matches!(bad.validate(), Err(SealError::UnsupportedVersion { version: 1 })));
        let mut bad = header();
        bad.threshold = 3;
        assert!(matches!(bad.validate(), Err(SealError::InvalidThreshold { threshold: 3, servers: 2 })));
        let mut bad = header();
        bad.services[1].1 = 1;
        assert!(matches!(bad.validate(), Err(SealError::DuplicateShareIndex { index: 1 })));
        let mut bad = header();
        bad.services[0].1 = 0;
        assert!(matches!(bad.validate(), Err(SealError::ZeroShareIndex)));
        let mut bad = header();
        bad.services.pop();
        bad.threshold = 1;
        assert!(matches!(bad.validate(), Err(SealError::ShareCountMismatch { services: 1, shares: 2 })));
        header().validate().unwrap();
    }
}
