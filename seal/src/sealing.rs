//! Threshold sealing: encrypt for t-of-n key servers, decrypt with t user keys.
//!
//! Sealing draws a random base key, splits it into n Shamir shares, encrypts share i to key
//! server i under the identity (one IBE nonce for all), and derives the data key from the base key
//! bound to the encrypted shares, the threshold and the server list. The encryption randomness
//! `r` is stored masked by its own derived key, so a decryptor who recombined the base key can
//! recompute `r·g2` and compare it with the nonce: any tampered share, nonce or header field,
//! or a wrong user key, is caught there ([`SealError::NonceMismatch`]) before the data is touched.

use std::collections::BTreeMap;

use rand::{CryptoRng, RngCore};
use sui_sdk_types::Address;

use crate::chunked;
use crate::curve::{G1, G2, Scalar};
use crate::dem;
use crate::error::{Result, SealError};
use crate::gf256::Gf256;
use crate::hmac_ctr;
use crate::ibe::{self, KEY_LENGTH, PublicKey, ShareSlot, UserKey};
use crate::identity::Identity;
use crate::key_schedule::{KeyPurpose, derive_key};
use crate::object::{
    Ciphertext, EncryptedObject, FORMAT_VERSION, Header, IbeEncryptions, MAX_AAD_LENGTH, MAX_BLOB_LENGTH,
    MAX_INNER_ID_LENGTH, MAX_SERVERS, NonceBytes,
};
use crate::shamir::{self, Share};

/// The symmetric key that encrypts an object's data (returned to the encryptor, e.g. for backup).
pub type DataKey = [u8; KEY_LENGTH];

/// User keys at hand, by key-server object id. A server listed several times (weighted) opens
/// all of its shares with its one key.
pub type UserKeys = BTreeMap<Address, UserKey>;

/// A key server as the encryptor knows it: its on-chain object id and its public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyServer {
    /// Object id of its `KeyServer` object.
    pub object_id: Address,
    /// Its IBE public key.
    pub public_key: PublicKey,
}

/// What to encrypt.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    /// Seal-compatible single-shot AES-256-GCM.
    Aes256Gcm {
        /// The data.
        data: &'a [u8],
        /// Associated data (stored in the clear, authenticated).
        aad: Option<&'a [u8]>,
    },
    /// floe's chunked AES-256-GCM, from memory (see [`crate::stream`] for files).
    Aes256GcmChunked {
        /// The data.
        data: &'a [u8],
        /// Associated data (stored in the clear, authenticated).
        aad: Option<&'a [u8]>,
        /// Plaintext bytes per chunk.
        chunk_size: u32,
    },
    /// Seal's HMAC-SHA3-256 counter mode, which Move code can decrypt on chain.
    Hmac256Ctr {
        /// The data.
        data: &'a [u8],
        /// Associated data (stored in the clear, authenticated).
        aad: Option<&'a [u8]>,
    },
    /// No data: the object only encapsulates the returned [`DataKey`].
    Plain,
}

/// Encrypts `payload` for `identity` so that any `threshold` of `servers` can release it.
/// Share indices are 1..=n in `servers` order. Returns the object and its data key.
pub fn encrypt<R: RngCore + CryptoRng>(
    rng: &mut R,
    identity: &Identity,
    servers: &[KeyServer],
    threshold: u8,
    payload: Payload<'_>,
) -> Result<(EncryptedObject, DataKey)> {
    let aad = match payload {
        Payload::Aes256Gcm { aad, .. } | Payload::Aes256GcmChunked { aad, .. } | Payload::Hmac256Ctr { aad, .. } => aad,
        Payload::Plain => None,
    };
    check_aad_length(aad)?;
    let (header, key) = seal_key(rng, identity, servers, threshold)?;
    let ciphertext = match payload {
        Payload::Aes256Gcm { data, aad } => {
            check_blob_length(data.len() as u64 + dem::TAG_LENGTH as u64)?;
            Ciphertext::Aes256Gcm {
                blob: dem::encrypt(&key, data, aad.unwrap_or_default()),
                aad: aad.map(<[u8]>::to_vec),
            }
        }
        Payload::Aes256GcmChunked { data, aad, chunk_size } => {
            chunked::check_chunk_size(chunk_size)?;
            let len = chunked::ciphertext_len(data.len() as u64, chunk_size);
            check_blob_length(len)?;
            let mut blob = Vec::with_capacity(len as usize);
            let (mut source, aad_bytes) = (data, aad.unwrap_or_default());
            chunked::encrypt_stream(&key, chunk_size, aad_bytes, data.len() as u64, &mut source, &mut blob)?;
            Ciphertext::Aes256GcmChunked { chunk_size, aad: aad.map(<[u8]>::to_vec), blob }
        }
        Payload::Hmac256Ctr { data, aad } => {
            check_blob_length(data.len() as u64)?;
            let (blob, mac) = hmac_ctr::encrypt(&key, data, aad.unwrap_or_default());
            Ciphertext::Hmac256Ctr { blob, aad: aad.map(<[u8]>::to_vec), mac }
        }
        Payload::Plain => Ciphertext::Plain,
    };
    Ok((EncryptedObject { header, ciphertext }, key))
}

/// Decrypts an object with user keys for at least `threshold` of its shares. For a
/// [`Ciphertext::Plain`] object the result is the 32-byte data key.
pub fn decrypt(object: &EncryptedObject, user_keys: &UserKeys) -> Result<Vec<u8>> {
    decrypt_with_key(&object.ciphertext, &open_key(&object.header, user_keys)?)
}

/// Decrypts a ciphertext with its data key (what `seal-cli symmetric-decrypt` does in Seal).
pub fn decrypt_with_key(ciphertext: &Ciphertext, key: &DataKey) -> Result<Vec<u8>> {
    match ciphertext {
        Ciphertext::Aes256Gcm { blob, aad } => dem::decrypt(key, blob, aad.as_deref().unwrap_or_default()),
        Ciphertext::Aes256GcmChunked { chunk_size, aad, blob } => {
            let mut out = Vec::with_capacity(blob.len());
            let aad = aad.as_deref().unwrap_or_default();
            chunked::decrypt_stream(key, *chunk_size, aad, blob.len() as u64, &mut blob.as_slice(), &mut out)?;
            Ok(out)
        }
        Ciphertext::Plain => Ok(key.to_vec()),
        Ciphertext::Hmac256Ctr { blob, aad, mac } => {
            hmac_ctr::decrypt(key, blob, mac, aad.as_deref().unwrap_or_default())
        }
    }
}

/// Keeps every object readable by the streaming reader, which bounds the aad it buffers.
pub(crate) fn check_aad_length(aad: Option<&[u8]>) -> Result<()> {
    match aad {
        Some(aad) if aad.len() > MAX_AAD_LENGTH => {
            Err(SealError::FieldTooLong { field: "aad", len: aad.len() as u64, max: MAX_AAD_LENGTH as u64 })
        }
        _ => Ok(()),
    }
}

pub(crate) fn check_blob_length(len: u64) -> Result<()> {
    if len > MAX_BLOB_LENGTH {
        return Err(SealError::FieldTooLong { field: "ciphertext", len, max: MAX_BLOB_LENGTH });
    }
    Ok(())
}

/// Builds the header (shares encrypted to the servers) and returns it with the data key.
pub(crate) fn seal_key<R: RngCore + CryptoRng>(
    rng: &mut R,
    identity: &Identity,
    servers: &[KeyServer],
    threshold: u8,
) -> Result<(Header, DataKey)> {
    if servers.len() > MAX_SERVERS {
        return Err(SealError::TooManyServers { servers: servers.len(), max: MAX_SERVERS });
    }
    if identity.inner.len() > MAX_INNER_ID_LENGTH {
        return Err(SealError::FieldTooLong {
            field: "inner id",
            len: identity.inner.len() as u64,
            max: MAX_INNER_ID_LENGTH as u64,
        });
    }
    let mut base_key = [0u8; KEY_LENGTH];
    rng.fill_bytes(&mut base_key);
    let shares = shamir::split(rng, &base_key, threshold, servers.len())?;

    let slots: Vec<ShareSlot> = servers
        .iter()
        .zip(&shares)
        .map(|(server, share)| ShareSlot { server: server.object_id, index: share.index })
        .collect();
    let public_keys: Vec<PublicKey> = servers.iter().map(|server| server.public_key).collect();
    let share_values: Vec<[u8; KEY_LENGTH]> = shares.iter().map(|share| share.value).collect();
    let randomness = Scalar::random(rng);
    let (nonce, encrypted_shares) =
        ibe::encrypt_shares(&randomness, &share_values, &public_keys, &slots, &identity.full_id())?;

    let server_ids: Vec<Address> = servers.iter().map(|server| server.object_id).collect();
    let randomness_key =
        derive_key(KeyPurpose::EncryptedRandomness, &base_key, &encrypted_shares, threshold, &server_ids);
    let data_key = derive_key(KeyPurpose::Dem, &base_key, &encrypted_shares, threshold, &server_ids);
    let header = Header {
        version: FORMAT_VERSION,
        package_id: identity.package,
        id: identity.inner.clone(),
        services: slots.iter().map(|slot| (slot.server, slot.index)).collect(),
        threshold,
        encrypted_shares: IbeEncryptions::BonehFranklinBls12381 {
            nonce: NonceBytes(nonce.to_bytes()),
            encrypted_shares,
            encrypted_randomness: ibe::xor(&randomness.to_be_bytes(), &randomness_key),
        },
    };
    Ok((header, data_key))
}

/// Recovers the data key of a header from user keys, verifying the nonce.
pub(crate) fn open_key(header: &Header, user_keys: &UserKeys) -> Result<DataKey> {
    Ok(recover(header, user_keys)?.data_key(header))
}

/// Like [`decrypt`], but first checks that every share of the object, including those of servers
/// whose keys were not used, lies on one polynomial, so that any t servers would have recovered
/// the same data. This guards against an adversarial encryptor (e.g. when several parties must
/// read the same plaintext); it costs one pairing per listed share. `servers` must include the
/// public key of every server the object lists.
pub fn decrypt_checking_consistency(
    object: &EncryptedObject,
    user_keys: &UserKeys,
    servers: &[KeyServer],
) -> Result<Vec<u8>> {
    let recovered = recover(&object.header, user_keys)?;
    let IbeEncryptions::BonehFranklinBls12381 { encrypted_shares, .. } = &object.header.encrypted_shares;
    for ((server, index), encrypted) in object.header.services.iter().zip(encrypted_shares) {
        let public_key = servers
            .iter()
            .find(|known| known.object_id == *server)
            .ok_or(SealError::MissingPublicKey { server: *server })?
            .public_key;
        let slot = ShareSlot { server: *server, index: *index };
        let share = ibe::decrypt_share_with_randomness(
            &recovered.randomness,
            encrypted,
            &public_key,
            &slot,
            &recovered.identity_point,
        );
        if shamir::evaluate_at(&recovered.shares, Gf256(*index))? != share {
            return Err(SealError::InconsistentShares { index: *index });
        }
    }
    decrypt_with_key(&object.ciphertext, &recovered.data_key(&object.header))
}

/// What a successful recombination yields.
struct Recovered {
    base_key: [u8; KEY_LENGTH],
    randomness: Scalar,
    shares: Vec<Share>,
    identity_point: G1,
}

impl Recovered {
    fn data_key(&self, header: &Header) -> DataKey {
        let IbeEncryptions::BonehFranklinBls12381 { encrypted_shares, .. } = &header.encrypted_shares;
        derive_key(KeyPurpose::Dem, &self.base_key, encrypted_shares, header.threshold, &header.server_ids())
    }
}

/// Decrypts t shares, recombines the base key and checks it against the nonce.
fn recover(header: &Header, user_keys: &UserKeys) -> Result<Recovered> {
    header.validate()?;
    let IbeEncryptions::BonehFranklinBls12381 { nonce, encrypted_shares, encrypted_randomness } =
        &header.encrypted_shares;
    let nonce = G2::from_bytes(&nonce.0).map_err(|fault| SealError::BadEncoding { what: "nonce", fault })?;
    let identity_point = ibe::hash_identity(&header.identity().full_id());

    // Only `threshold` shares are needed; each costs a pairing, so stop there.
    let threshold = usize::from(header.threshold);
    let usable: Vec<(usize, &UserKey)> = header
        .services
        .iter()
        .enumerate()
        .filter_map(|(i, (server, _))| user_keys.get(server).map(|key| (i, key)))
        .collect();
    if usable.len() < threshold {
        return Err(SealError::NotEnoughKeys { available: usable.len(), threshold: header.threshold });
    }
    let shares: Vec<Share> = usable[..threshold]
        .iter()
        .map(|&(i, key)| {
            let (server, index) = header.services[i];
            let slot = ShareSlot { server, index };
            let value = ibe::decrypt_share(&nonce, &encrypted_shares[i], key, &slot, &identity_point);
            Share { index, value }
        })
        .collect();
    let base_key = shamir::combine(&shares)?;

    let randomness_key = derive_key(
        KeyPurpose::EncryptedRandomness,
        &base_key,
        encrypted_shares,
        header.threshold,
        &header.server_ids(),
    );
    let randomness = Scalar::from_be_bytes(&ibe::xor(encrypted_randomness, &randomness_key))
        .map_err(|_| SealError::NonceMismatch)?;
    if G2::generator().mul(&randomness) != nonce {
        return Err(SealError::NonceMismatch);
    }
    Ok(Recovered { base_key, randomness, shares, identity_point })
}

/// The user keys of `servers` for `identity`, for callers that hold the master keys
/// themselves (tests, benchmarks, a key server serving itself).
pub fn user_keys_from_master_keys(identity: &Identity, servers: &[(Address, crate::ibe::MasterKey)]) -> UserKeys {
    let full_id = identity.full_id();
    servers.iter().map(|(id, master)| (*id, master.derive_user_key(&full_id))).collect()
}
