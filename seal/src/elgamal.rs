//! ElGamal over G1: how a key server returns user keys so that only the requester can read them.
//!
//! The client makes a fresh key per request: secret `x`, encryption key `x·g1` and verification
//! key `x·g2` (the latter lets a third party check encrypted keys with a pairing; floe's client
//! sends it as Seal does). The server answers `(ρ·g1, usk + ρ·x·g1)` for a random `ρ`, and the
//! client recovers `usk` by subtracting `x·(ρ·g1)`. The client must still check the recovered key
//! with [`crate::ibe::PublicKey::verify_user_key`].

use rand::{CryptoRng, RngCore};
use sui_sdk_types::Address;

use crate::curve::{G1, G1_LENGTH, G2, G2_LENGTH, Scalar};
use crate::error::{Result, SealError};
use crate::ibe::{PublicKey, UserKey};

/// The requester's ephemeral secret.
#[derive(Debug, Clone, Copy)]
pub struct EphemeralSecret(Scalar);

/// The key the server encrypts to (a G1 point).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EphemeralPublicKey(G1);

/// The matching G2 verification key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EphemeralVerificationKey(G2);

/// A user key encrypted to an [`EphemeralPublicKey`]: two G1 points (96 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptedUserKey {
    ephemeral: G1,
    masked: G1,
}

impl EphemeralSecret {
    /// Draws a fresh request key and returns it with its public and verification keys.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> (Self, EphemeralPublicKey, EphemeralVerificationKey) {
        let secret = Scalar::random(rng);
        (
            Self(secret),
            EphemeralPublicKey(G1::generator().mul(&secret)),
            EphemeralVerificationKey(G2::generator().mul(&secret)),
        )
    }

    /// Client side: recovers the user key (verify it before use, or use
    /// [`EphemeralSecret::decrypt_and_verify`]).
    pub fn decrypt(&self, encrypted: &EncryptedUserKey) -> UserKey {
        UserKey::from_point(encrypted.masked.sub(&encrypted.ephemeral.mul(&self.0)))
    }

    /// Client side: recovers the user key a key server sent and checks it against that
    /// server's public key for `full_id`, the only safe way to accept a key from the network.
    pub fn decrypt_and_verify(
        &self,
        encrypted: &EncryptedUserKey,
        full_id: &[u8],
        public_key: &PublicKey,
        server: Address,
    ) -> Result<UserKey> {
        let key = self.decrypt(encrypted);
        public_key.verify_user_key(full_id, &key, server)?;
        Ok(key)
    }
}

impl EphemeralPublicKey {
    /// Server side: encrypts a user key to this key.
    pub fn encrypt<R: RngCore + CryptoRng>(&self, rng: &mut R, key: &UserKey) -> EncryptedUserKey {
        let rho = Scalar::random(rng);
        EncryptedUserKey { ephemeral: G1::generator().mul(&rho), masked: key.point().add(&self.0.mul(&rho)) }
    }

    /// Parses the 48-byte compressed key a request carries.
    pub fn from_bytes(bytes: &[u8; G1_LENGTH]) -> Result<Self> {
        G1::from_bytes(bytes)
            .map(Self)
            .map_err(|fault| SealError::BadEncoding { what: "ephemeral encryption key", fault })
    }

    /// The 48-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; G1_LENGTH] {
        self.0.to_bytes()
    }
}

impl EphemeralVerificationKey {
    /// Parses the 96-byte compressed key a request carries.
    pub fn from_bytes(bytes: &[u8; G2_LENGTH]) -> Result<Self> {
        G2::from_bytes(bytes)
            .map(Self)
            .map_err(|fault| SealError::BadEncoding { what: "ephemeral verification key", fault })
    }

    /// The 96-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; G2_LENGTH] {
        self.0.to_bytes()
    }
}

impl EncryptedUserKey {
    /// Wire form: the two compressed points, `ρ·g1` first.
    pub fn to_bytes(&self) -> [[u8; G1_LENGTH]; 2] {
        [self.ephemeral.to_bytes(), self.masked.to_bytes()]
    }

    /// Parses the wire form.
    pub fn from_bytes(bytes: &[[u8; G1_LENGTH]; 2]) -> Result<Self> {
        let parse = |b| G1::from_bytes(b).map_err(|fault| SealError::BadEncoding { what: "encrypted user key", fault });
        Ok(Self { ephemeral: parse(&bytes[0])?, masked: parse(&bytes[1])? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ibe::MasterKey;
    use rand::thread_rng;

    #[test]
    fn only_the_requester_recovers_the_user_key() {
        let mut rng = thread_rng();
        let master = MasterKey::generate(&mut rng);
        let key = master.derive_user_key(b"full id");
        let (secret, public, _) = EphemeralSecret::generate(&mut rng);
        let encrypted = public.encrypt(&mut rng, &key);
        let wire = EncryptedUserKey::from_bytes(&encrypted.to_bytes()).unwrap();
        let recovered = secret.decrypt(&wire);
        assert_eq!(recovered, key);
        master.public_key().verify_user_key(b"full id", &recovered, Address::ZERO).unwrap();
        let (other, _, _) = EphemeralSecret::generate(&mut rng);
        assert_ne!(other.decrypt(&wire), key);
        let server = Address::new([5; 32]);
        let public_key = master.public_key();
        assert_eq!(secret.decrypt_and_verify(&wire, b"full id", &public_key, server).unwrap(), key);
        assert!(matches!(
            other.decrypt_and_verify(&wire, b"full id", &public_key, server),
            Err(SealError::InvalidUserKey { server: s }) if s == server
        ));
    }
}
