//! A storage node's network key: the Ed25519 key of its TLS certificate. Its public half is
//! published on chain with the node's address (`StakingPool.network_public_key`), so clients and
//! peers pin it from there: a self-signed certificate is then as good as a CA-signed one, and a
//! server presenting any other key is not the node the chain names.
//!
//! ```
//! use floe_encoder::network_key::{NetworkKeyPair, NetworkPublicKey};
//!
//! let key = NetworkKeyPair::from_seed([7; 32]);
//! let public = key.public_key();
//! assert_eq!(NetworkPublicKey::from_bytes(&public.to_bytes()).unwrap(), public);
//! // Pinned by comparing a certificate's SubjectPublicKeyInfo with this one.
//! assert_eq!(public.to_spki_der().len(), 44);
//! assert!(NetworkPublicKey::from_bytes(&[0; 31]).is_err());
//! ```

use std::fmt;

/// Length of an Ed25519 public key.
pub const NETWORK_PUBLIC_KEY_LENGTH: usize = 32;

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE { SEQUENCE { OID
/// 1.3.101.112 }, BIT STRING { 0 unused bits, key } }; the 32 key bytes follow.
const ED25519_SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
/// The DER prefix of an Ed25519 PKCS#8 v1 private key (RFC 8410): version 0, the algorithm, and an
/// OCTET STRING holding the OCTET STRING of the 32-byte seed.
const ED25519_PKCS8_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/// A network public key had the wrong length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a network public key is {NETWORK_PUBLIC_KEY_LENGTH} bytes (Ed25519), got {0}")]
pub struct BadNetworkKeyLength(pub usize);

/// The public half of a node's network (TLS) key: 32 bytes of Ed25519.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetworkPublicKey(pub [u8; NETWORK_PUBLIC_KEY_LENGTH]);

impl NetworkPublicKey {
    /// The key from its 32 bytes (as the chain stores it).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BadNetworkKeyLength> {
        bytes.try_into().map(Self).map_err(|_| BadNetworkKeyLength(bytes.len()))
    }

    /// The key's 32 bytes.
    pub fn to_bytes(&self) -> [u8; NETWORK_PUBLIC_KEY_LENGTH] {
        self.0
    }

    /// The key as an X.509 SubjectPublicKeyInfo in DER: what a certificate carrying it holds.
    pub fn to_spki_der(&self) -> Vec<u8> {
        [&ED25519_SPKI_PREFIX[..], &self.0].concat()
    }

    /// The key in a certificate's SubjectPublicKeyInfo (DER), if it is an Ed25519 key.
    pub fn from_spki_der(spki: &[u8]) -> Option<Self> {
        spki.strip_prefix(&ED25519_SPKI_PREFIX[..]).and_then(|key| Self::from_bytes(key).ok())
    }
}

impl fmt::Display for NetworkPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for NetworkPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NetworkPublicKey({self})")
    }
}

impl std::str::FromStr for NetworkPublicKey {
    type Err = BadNetworkKey;

    /// 64 hex digits, with or without `0x`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text.trim().strip_prefix("0x").unwrap_or(text.trim());
        if digits.len() != 2 * NETWORK_PUBLIC_KEY_LENGTH {
            return Err(BadNetworkKey(format!("expected 64 hex digits, got {} characters", digits.len())));
        }
        let mut key = [0u8; NETWORK_PUBLIC_KEY_LENGTH];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
                .map_err(|error| BadNetworkKey(format!("not hex at digit {}: {error}", 2 * i)))?;
        }
        Ok(Self(key))
    }
}

/// A network public key's text was not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("network public key: {0}")]
pub struct BadNetworkKey(pub String);

/// A node's network key pair, derived from a 32-byte seed (the Ed25519 private key itself).
#[derive(Clone)]
pub struct NetworkKeyPair {
    seed: [u8; 32],
    public: NetworkPublicKey,
}

impl NetworkKeyPair {
    /// The key pair whose private key is `seed`.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        use ring::signature::KeyPair as _;
        let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed)
            .expect("every 32-byte string is an Ed25519 private key");
        let public = NetworkPublicKey::from_bytes(pair.public_key().as_ref()).expect("Ed25519 keys are 32 bytes");
        Self { seed, public }
    }

    /// A fresh key pair from the operating system's randomness.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        Self::from_seed(seed)
    }

    /// The seed (keep it secret).
    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }

    /// The public key, as published on chain.
    pub fn public_key(&self) -> NetworkPublicKey {
        self.public
    }

    /// The private key as PKCS#8 v1 DER, the form TLS libraries load.
    pub fn to_pkcs8_der(&self) -> Vec<u8> {
        [&ED25519_PKCS8_PREFIX[..], &self.seed].concat()
    }
}

impl fmt::Debug for NetworkKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the seed.
        f.debug_struct("NetworkKeyPair").field("public", &self.public).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_rfc_8032_public_key_from_its_seed() {
        // RFC 8032, section 7.1, test 1.
        let seed: [u8; 32] = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let public = NetworkKeyPair::from_seed(seed).public_key();
        assert_eq!(public.to_string(), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    }

    #[test]
    fn spki_round_trips_and_other_algorithms_are_not_keys() {
        let public = NetworkKeyPair::from_seed([3; 32]).public_key();
        assert_eq!(NetworkPublicKey::from_spki_der(&public.to_spki_der()), Some(public));
        let mut other = public.to_spki_der();
        other[8] = 0x71; // Ed448's OID ends in 113
        assert_eq!(NetworkPublicKey::from_spki_der(&other), None);
        assert_eq!(NetworkPublicKey::from_spki_der(&public.to_spki_der()[..40]), None);
    }

    #[test]
    fn parses_hex_and_names_what_is_wrong() {
        let public = NetworkKeyPair::from_seed([5; 32]).public_key();
        assert_eq!(public.to_string().parse::<NetworkPublicKey>(), Ok(public));
        assert_eq!(format!("0x{public}").parse::<NetworkPublicKey>(), Ok(public));
        let short = "abcd".parse::<NetworkPublicKey>().unwrap_err();
        assert!(short.to_string().contains("got 4 characters"), "{short}");
        assert_eq!(NetworkPublicKey::from_bytes(&[1; 33]), Err(BadNetworkKeyLength(33)));
    }

    fn hex(text: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }
}
