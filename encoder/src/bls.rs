//! BLS12-381 keys and signatures, min-pk: 48-byte public keys in G1, 96-byte signatures in G2,
//! with the ciphersuite Sui's `bls12381_min_pk_verify` uses, so the chain accepts what nodes sign.
//!
//! ```
//! use floe_encoder::bls::{BlsSecretKey, BlsSignature};
//!
//! let key = BlsSecretKey::from_seed(&[7; 32]);
//! let signature = key.sign(b"message");
//! assert!(key.public_key().verify(b"message", &signature).is_ok());
//! assert!(key.public_key().verify(b"other", &signature).is_err());
//! let bytes = signature.to_bytes();
//! assert_eq!(BlsSignature::from_bytes(&bytes).unwrap(), signature);
//! ```

use core::fmt;

use blst::{
    BLST_ERROR,
    min_pk::{AggregatePublicKey, AggregateSignature, PublicKey, SecretKey, Signature},
};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

/// The hash-to-curve domain separation tag of min-pk signatures on Sui.
pub const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_";
/// Bytes of a compressed public key.
pub const PUBLIC_KEY_LEN: usize = 48;
/// Bytes of a compressed signature.
pub const SIGNATURE_LEN: usize = 96;
/// Bytes of a secret key (a big-endian scalar).
pub const SECRET_KEY_LEN: usize = 32;

/// Why a key or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlsError {
    /// The bytes are not a valid compressed G1 point in the prime-order subgroup (or are the identity).
    #[error("invalid BLS public key: {0:?}")]
    InvalidPublicKey(BLST_ERROR),
    /// The bytes are not a valid compressed G2 point in the prime-order subgroup.
    #[error("invalid BLS signature encoding: {0:?}")]
    InvalidSignatureEncoding(BLST_ERROR),
    /// The bytes are not a scalar below the group order.
    #[error("invalid BLS secret key: {0:?}")]
    InvalidSecretKey(BLST_ERROR),
    /// The signature does not verify.
    #[error("BLS signature does not verify for this message and key")]
    BadSignature,
    /// Nothing to aggregate.
    #[error("cannot aggregate an empty set")]
    EmptyAggregate,
}

/// A BLS secret key, with its public key (derived once: a scalar multiplication in G1, and nodes
/// ask for their key on every request that checks which shards they own).
#[derive(Clone)]
pub struct BlsSecretKey {
    secret: SecretKey,
    public: BlsPublicKey,
}

impl fmt::Debug for BlsSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlsSecretKey({:?})", self.public_key())
    }
}

impl BlsSecretKey {
    /// A fresh random key.
    pub fn generate<R: rand::RngCore + rand::CryptoRng>(rng: &mut R) -> Self {
        let mut ikm = [0u8; 32];
        rng.fill_bytes(&mut ikm);
        Self::from_seed(&ikm)
    }

    /// The key derived from 32 or more bytes of seed (IETF KeyGen).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self::new(SecretKey::key_gen(seed, &[]).expect("32 bytes of key material are enough"))
    }

    /// The key from its 32-byte big-endian scalar.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        SecretKey::from_bytes(bytes).map(Self::new).map_err(BlsError::InvalidSecretKey)
    }

    fn new(secret: SecretKey) -> Self {
        let public = BlsPublicKey(secret.sk_to_pk());
        Self { secret, public }
    }

    /// The 32-byte big-endian scalar.
    pub fn to_bytes(&self) -> [u8; SECRET_KEY_LEN] {
        self.secret.to_bytes()
    }

    /// The public key.
    pub fn public_key(&self) -> BlsPublicKey {
        self.public
    }

    /// Signs `message` (hashed to G2 with [`DST`]).
    pub fn sign(&self, message: &[u8]) -> BlsSignature {
        BlsSignature(self.secret.sign(message, DST, &[]))
    }
}

/// A BLS public key (a G1 point), valid and not the identity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BlsPublicKey(PublicKey);

impl BlsPublicKey {
    /// Parses and validates a 48-byte compressed key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        if bytes.len() != PUBLIC_KEY_LEN {
            return Err(BlsError::InvalidPublicKey(BLST_ERROR::BLST_BAD_ENCODING));
        }
        PublicKey::key_validate(bytes).map(Self).map_err(BlsError::InvalidPublicKey)
    }

    /// The 48-byte compressed form.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0.compress()
    }

    /// Verifies `signature` on `message`.
    pub fn verify(&self, message: &[u8], signature: &BlsSignature) -> Result<(), BlsError> {
        match signature.0.verify(true, message, DST, &[], &self.0, false) {
            BLST_ERROR::BLST_SUCCESS => Ok(()),
            _ => Err(BlsError::BadSignature),
        }
    }

    /// The sum of `keys`: verifies an aggregate signature of all of them on one message.
    pub fn aggregate<'a>(keys: impl IntoIterator<Item = &'a BlsPublicKey>) -> Result<Self, BlsError> {
        let keys: Vec<&PublicKey> = keys.into_iter().map(|key| &key.0).collect();
        if keys.is_empty() {
            return Err(BlsError::EmptyAggregate);
        }
        AggregatePublicKey::aggregate(&keys, false)
            .map(|aggregate| Self(aggregate.to_public_key()))
            .map_err(BlsError::InvalidPublicKey)
    }
}

impl fmt::Debug for BlsPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        write!(f, "BlsPublicKey(")?;
        for byte in &bytes[..6] {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "..)")
    }
}

impl Serialize for BlsPublicKey {
    /// BCS `vector<u8>` of the 48 compressed bytes, as Move stores keys.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.to_bytes())
    }
}

impl<'de> Deserialize<'de> for BlsPublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = Vec::<u8>::deserialize(deserializer)?;
        Self::from_bytes(&bytes).map_err(D::Error::custom)
    }
}

/// A BLS signature (a G2 point), or an aggregate of several on one message.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BlsSignature(Signature);

impl BlsSignature {
    /// Parses a 96-byte compressed signature: a point on the curve. Whether it lies in the
    /// prime-order subgroup is checked when it is verified ([`BlsPublicKey::verify`] checks the
    /// signature, or the aggregate, it is given), not here: the subgroup check costs about as
    /// much as the decompression, and most signatures a node decodes (verdicts served to peers,
    /// confirmations gathered for one aggregate check) are never verified alone.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        if bytes.len() != SIGNATURE_LEN {
            return Err(BlsError::InvalidSignatureEncoding(BLST_ERROR::BLST_BAD_ENCODING));
        }
        Signature::from_bytes(bytes).map(Self).map_err(BlsError::InvalidSignatureEncoding)
    }

    /// The 96-byte compressed form.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.0.compress()
    }

    /// The sum of `signatures`.
    pub fn aggregate<'a>(signatures: impl IntoIterator<Item = &'a BlsSignature>) -> Result<Self, BlsError> {
        let signatures: Vec<&Signature> = signatures.into_iter().map(|sig| &sig.0).collect();
        if signatures.is_empty() {
            return Err(BlsError::EmptyAggregate);
        }
        AggregateSignature::aggregate(&signatures, false)
            .map(|aggregate| Self(aggregate.to_signature()))
            .map_err(BlsError::InvalidSignatureEncoding)
    }
}

impl fmt::Debug for BlsSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        write!(f, "BlsSignature(")?;
        for byte in &bytes[..6] {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "..)")
    }
}

impl Serialize for BlsSignature {
    /// BCS `vector<u8>` of the 96 compressed bytes, as Move takes signatures.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.to_bytes())
    }
}

impl<'de> Deserialize<'de> for BlsSignature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = Vec::<u8>::deserialize(deserializer)?;
        Self::from_bytes(&bytes).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregate_signature_verifies_under_the_aggregate_key_only() {
        let keys: Vec<BlsSecretKey> = (0..4u8).map(|i| BlsSecretKey::from_seed(&[i; 32])).collect();
        let signatures: Vec<BlsSignature> = keys.iter().map(|key| key.sign(b"m")).collect();
        let publics: Vec<BlsPublicKey> = keys.iter().map(BlsSecretKey::public_key).collect();
        let aggregate = BlsSignature::aggregate(&signatures[..3]).unwrap();
        BlsPublicKey::aggregate(&publics[..3]).unwrap().verify(b"m", &aggregate).unwrap();
        assert_eq!(BlsPublicKey::aggregate(&publics).unwrap().verify(b"m", &aggregate), Err(BlsError::BadSignature));
    }

    #[test]
    fn keys_and_signatures_round_trip_and_garbage_is_refused() {
        let key = BlsSecretKey::from_seed(&[3; 32]);
        assert_eq!(BlsSecretKey::from_bytes(&key.to_bytes()).unwrap().public_key(), key.public_key());
        let public = key.public_key();
        assert_eq!(BlsPublicKey::from_bytes(&public.to_bytes()).unwrap(), public);
        assert!(BlsPublicKey::from_bytes(&[0u8; 48]).is_err());
        assert!(BlsPublicKey::from_bytes(&public.to_bytes()[..47]).is_err());
        assert!(BlsSignature::from_bytes(&[0xffu8; 96]).is_err());
        let bytes = bcs::to_bytes(&public).unwrap();
        assert_eq!((bytes[0], bytes.len()), (48, 49));
        assert_eq!(bcs::from_bytes::<BlsPublicKey>(&bytes).unwrap(), public);
    }
}
