//! Boneh–Franklin identity-based encryption over BLS12-381, used as a KEM for key shares.
//!
//! A key server holds a [`MasterKey`] `s`; its [`PublicKey`] is `s·g2` in G2. The user key for an
//! identity is `s·H1(id)` in G1 (a BLS min-sig signature on the id), where
//! `H1(id) = hash_to_G1(DST_ID ‖ id)` with the RFC 9380 tag [`HASH_TO_G1_DST`].
//!
//! Encryption of one 32-byte share per server reuses a single random `r` for all servers
//! (batched): the nonce is `U = r·g2`, and the share for server `i` is XOR-ed with
//! `kdf(e(r·H1(id), pk_i), U, H1(id), server object id, share index)`. The holder of the user key
//! recomputes the same pairing as `e(usk_i, U)`.
//!
//! Server-side operations ([`MasterKey::derive_user_key`], [`MasterKey::proof_of_possession`])
//! and client-side checks ([`PublicKey::verify_user_key`],
//! [`PublicKey::verify_proof_of_possession`]) are public so the key server can be built on them.

use hkdf::Hkdf;
use rand::{CryptoRng, RngCore};
use sha3::{Digest, Sha3_256};
use sui_sdk_types::Address;

use crate::curve::{G1, G1_LENGTH, G2, G2_LENGTH, Gt, HASH_TO_G1_DST, SCALAR_LENGTH, Scalar};
use crate::error::{Result, SealError};

/// Prefix of every identity hashed to G1 (Seal's `DST_ID`).
pub const DST_ID: &[u8] = b"SUI-SEAL-IBE-BLS12381-00";
/// Prefix of the message hashed for a proof of possession.
pub const DST_POP: &[u8] = b"SUI-SEAL-IBE-BLS12381-POP-00";
/// Prefix of the per-share key derivation.
pub const DST_KDF: &[u8] = b"SUI-SEAL-IBE-BLS12381-H2-00";

/// Length of the symmetric keys and of each encrypted share.
pub const KEY_LENGTH: usize = 32;

/// `H1(id)`: the identity hashed to G1 with Seal's prefix prepended to the message.
pub fn hash_identity(full_id: &[u8]) -> G1 {
    G1::hash_to(&[DST_ID, full_id].concat(), HASH_TO_G1_DST)
}

/// A key server's secret: a non-zero scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MasterKey(Scalar);

impl MasterKey {
    /// Draws a fresh master key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(Scalar::random(rng))
    }

    /// Derives the master key number `index` from a 32-byte seed, as Seal's permissioned key
    /// servers do: HKDF-SHA3-256 (empty salt, info = big-endian index) to 64 bytes, reduced mod r.
    pub fn derive_from_seed(seed: &[u8], index: u64) -> Self {
        let mut wide = [0u8; 64];
        // 64 bytes is far below HKDF's 255 * 32 byte output limit, so expand cannot fail.
        Hkdf::<Sha3_256>::new(Some(&[]), seed)
            .expand(&index.to_be_bytes(), &mut wide)
            .expect("64 bytes is a valid HKDF-SHA3-256 output length");
        // Zero has probability 2^-255; map it to one so the function stays total.
        Self(
            Scalar::from_wide_be_bytes(&wide).unwrap_or_else(|| Scalar::from_u64(1).expect("one is a non-zero scalar")),
        )
    }

    /// Parses a 32-byte big-endian master key.
    pub fn from_bytes(bytes: &[u8; SCALAR_LENGTH]) -> Result<Self> {
        Scalar::from_be_bytes(bytes).map(Self).map_err(|fault| SealError::BadEncoding { what: "master key", fault })
    }

    /// The 32-byte big-endian encoding.
    pub fn to_bytes(&self) -> [u8; SCALAR_LENGTH] {
        self.0.to_be_bytes()
    }

    /// The public key `s·g2`.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(G2::generator().mul(&self.0))
    }

    /// Server side: the user key `s·H1(full_id)` for an identity.
    pub fn derive_user_key(&self, full_id: &[u8]) -> UserKey {
        UserKey(hash_identity(full_id).mul(&self.0))
    }

    /// Server side: proves possession of this key, bound to `message` (typically the key
    /// server's object id): `s·H1'(DST_POP ‖ pk ‖ message)` with the same hash-to-G1 suite.
    pub fn proof_of_possession(&self, message: &[u8]) -> ProofOfPossession {
        ProofOfPossession(pop_point(&self.public_key(), message).mul(&self.0))
    }
}

/// A key server's public key in G2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(G2);

impl PublicKey {
    /// Parses a compressed G2 public key.
    pub fn from_bytes(bytes: &[u8; G2_LENGTH]) -> Result<Self> {
        G2::from_bytes(bytes).map(Self).map_err(|fault| SealError::BadEncoding { what: "public key", fault })
    }

    /// The compressed 96-byte encoding.
    pub fn to_bytes(&self) -> [u8; G2_LENGTH] {
        self.0.to_bytes()
    }

    /// Client side: checks `e(usk, g2) = e(H1(id), pk)`, i.e. that the key server returned the
    /// right user key. `server` only names the server in the error.
    pub fn verify_user_key(&self, full_id: &[u8], key: &UserKey, server: Address) -> Result<()> {
        if !key.0.is_identity() && Gt::pairings_equal(&key.0, &G2::generator(), &hash_identity(full_id), &self.0) {
            Ok(())
        } else {
            Err(SealError::InvalidUserKey { server })
        }
    }

    /// Client side: checks a proof of possession made by [`MasterKey::proof_of_possession`].
    pub fn verify_proof_of_possession(&self, message: &[u8], proof: &ProofOfPossession) -> Result<()> {
        if Gt::pairings_equal(&proof.0, &G2::generator(), &pop_point(self, message), &self.0) {
            Ok(())
        } else {
            Err(SealError::InvalidProofOfPossession)
        }
    }

    pub(crate) fn point(&self) -> &G2 {
        &self.0
    }
}

fn pop_point(public_key: &PublicKey, message: &[u8]) -> G1 {
    G1::hash_to(&[DST_POP, &public_key.to_bytes(), message].concat(), HASH_TO_G1_DST)
}

/// A user key for one identity from one key server (a point in G1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserKey(G1);

impl UserKey {
    /// Parses a compressed G1 user key.
    pub fn from_bytes(bytes: &[u8; G1_LENGTH]) -> Result<Self> {
        G1::from_bytes(bytes).map(Self).map_err(|fault| SealError::BadEncoding { what: "user key", fault })
    }

    /// The compressed 48-byte encoding.
    pub fn to_bytes(&self) -> [u8; G1_LENGTH] {
        self.0.to_bytes()
    }

    pub(crate) fn point(&self) -> &G1 {
        &self.0
    }

    pub(crate) fn from_point(point: G1) -> Self {
        Self(point)
    }
}

/// A proof that a key server holds the master key of its public key (a point in G1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofOfPossession(G1);

impl ProofOfPossession {
    /// Parses a compressed G1 proof.
    pub fn from_bytes(bytes: &[u8; G1_LENGTH]) -> Result<Self> {
        G1::from_bytes(bytes).map(Self).map_err(|fault| SealError::BadEncoding { what: "proof of possession", fault })
    }

    /// The compressed 48-byte encoding.
    pub fn to_bytes(&self) -> [u8; G1_LENGTH] {
        self.0.to_bytes()
    }
}

/// Which server and share index a share key is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareSlot {
    /// The key server's object id.
    pub server: Address,
    /// The Shamir index of the share held for that server.
    pub index: u8,
}

/// Per-share key: SHA3-256(DST_KDF ‖ GT ‖ U ‖ H1(id) ‖ server id ‖ share index).
pub fn share_key(pairing: &Gt, nonce: &G2, identity_point: &G1, slot: &ShareSlot) -> [u8; KEY_LENGTH] {
    let mut hash = Sha3_256::new();
    hash.update(DST_KDF);
    hash.update(pairing.to_bytes());
    hash.update(nonce.to_bytes());
    hash.update(identity_point.to_bytes());
    hash.update(slot.server.as_bytes());
    hash.update([slot.index]);
    hash.finalize().into()
}

/// Encrypts one 32-byte share per (public key, slot) under `full_id`, all with the randomness
/// `r`; returns the nonce `r·g2` and the encrypted shares in input order.
pub fn encrypt_shares(
    randomness: &Scalar,
    shares: &[[u8; KEY_LENGTH]],
    public_keys: &[PublicKey],
    slots: &[ShareSlot],
    full_id: &[u8],
) -> Result<(G2, Vec<[u8; KEY_LENGTH]>)> {
    if shares.len() != public_keys.len() || shares.len() != slots.len() {
        return Err(SealError::PublicKeyCountMismatch {
            servers: slots.len().min(shares.len()),
            public_keys: public_keys.len(),
        });
    }
    let identity_point = hash_identity(full_id);
    let masked_identity = identity_point.mul(randomness);
    let nonce = G2::generator().mul(randomness);
    let encrypted = shares
        .iter()
        .zip(public_keys)
        .zip(slots)
        .map(|((share, public_key), slot)| {
            let pairing = Gt::pairing(&masked_identity, public_key.point());
            xor(share, &share_key(&pairing, &nonce, &identity_point, slot))
        })
        .collect();
    Ok((nonce, encrypted))
}

/// Decrypts one share with the user key of its server; `identity_point` is
/// [`hash_identity`] of the full id (computed once by the caller for all shares).
pub fn decrypt_share(
    nonce: &G2,
    encrypted: &[u8; KEY_LENGTH],
    user_key: &UserKey,
    slot: &ShareSlot,
    identity_point: &G1,
) -> [u8; KEY_LENGTH] {
    let pairing = Gt::pairing(user_key.point(), nonce);
    xor(encrypted, &share_key(&pairing, nonce, identity_point, slot))
}

/// Re-derives a share from the encryption randomness and the server's public key, as the
/// encryptor did (used to check that all shares lie on one polynomial).
pub fn decrypt_share_with_randomness(
    randomness: &Scalar,
    encrypted: &[u8; KEY_LENGTH],
    public_key: &PublicKey,
    slot: &ShareSlot,
    identity_point: &G1,
) -> [u8; KEY_LENGTH] {
    let pairing = Gt::pairing(&identity_point.mul(randomness), public_key.point());
    let nonce = G2::generator().mul(randomness);
    xor(encrypted, &share_key(&pairing, &nonce, identity_point, slot))
}

/// XOR of two 32-byte strings.
pub(crate) fn xor(a: &[u8; KEY_LENGTH], b: &[u8; KEY_LENGTH]) -> [u8; KEY_LENGTH] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::thread_rng;

    #[test]
    fn user_keys_verify_only_for_their_identity_and_server() {
        let mut rng = thread_rng();
        let master = MasterKey::generate(&mut rng);
        let other = MasterKey::generate(&mut rng);
        let key = master.derive_user_key(b"identity");
        let server = Address::new([1; 32]);
        master.public_key().verify_user_key(b"identity", &key, server).unwrap();
        assert!(matches!(
            master.public_key().verify_user_key(b"another", &key, server),
            Err(SealError::InvalidUserKey { server: s }) if s == server
        ));
        assert!(other.public_key().verify_user_key(b"identity", &key, server).is_err());
    }

    #[test]
    fn proof_of_possession_binds_key_and_message() {
        let mut rng = thread_rng();
        let master = MasterKey::generate(&mut rng);
        let proof = master.proof_of_possession(b"server object id");
        master.public_key().verify_proof_of_possession(b"server object id", &proof).unwrap();
        assert!(master.public_key().verify_proof_of_possession(b"other", &proof).is_err());
        let other = MasterKey::generate(&mut rng).public_key();
        assert!(other.verify_proof_of_possession(b"server object id", &proof).is_err());
    }

    #[test]
    fn share_decrypts_with_the_user_key_and_not_with_another_slot() {
        let mut rng = thread_rng();
        let master = MasterKey::generate(&mut rng);
        let slot = ShareSlot { server: Address::new([3; 32]), index: 1 };
        let r = Scalar::random(&mut rng);
        let (nonce, encrypted) = encrypt_shares(&r, &[[42; 32]], &[master.public_key()], &[slot], b"id").unwrap();
        let key = master.derive_user_key(b"id");
        let point = hash_identity(b"id");
        assert_eq!(decrypt_share(&nonce, &encrypted[0], &key, &slot, &point), [42; 32]);
        let moved = ShareSlot { index: 2, ..slot };
        assert_ne!(decrypt_share(&nonce, &encrypted[0], &key, &moved, &point), [42; 32]);
    }

    #[test]
    fn master_keys_round_trip_through_bytes() {
        let master = MasterKey::generate(&mut thread_rng());
        assert_eq!(MasterKey::from_bytes(&master.to_bytes()).unwrap(), master);
        assert!(MasterKey::from_bytes(&[0; 32]).is_err());
    }
}
