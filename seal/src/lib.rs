//! floe-seal: threshold identity-based encryption for floe's private blobs, in the style of
//! Seal — Boneh–Franklin IBE over BLS12-381 as a KEM, Shamir t-of-n sharing over independent key
//! servers, AES-256-GCM for the data, and Seal's versioned BCS object format.
//!
//! ```
//! use floe_seal::{decrypt, encrypt, user_keys_from_master_keys, Identity, KeyServer, MasterKey,
//!                 Payload};
//! use sui_sdk_types::Address;
//!
//! let mut rng = rand::thread_rng();
//! // Three key servers, each with its own master key and on-chain object id.
//! let masters: Vec<(Address, MasterKey)> =
//!     (1..=3u8).map(|i| (Address::new([i; 32]), MasterKey::generate(&mut rng))).collect();
//! let servers: Vec<KeyServer> = masters
//!     .iter()
//!     .map(|(id, master)| KeyServer { object_id: *id, public_key: master.public_key() })
//!     .collect();
//!
//! // Encrypt under "policy package ‖ inner id" so any 2 of the 3 servers can release it.
//! let identity = Identity::new(Address::new([9; 32]), b"owner address".to_vec());
//! let (object, _data_key) = encrypt(
//!     &mut rng,
//!     &identity,
//!     &servers,
//!     2,
//!     Payload::Aes256Gcm { data: b"private blob", aad: None },
//! )?;
//! let bytes = object.to_bytes();
//!
//! // Later: two servers approved the policy and returned their user keys.
//! let keys = user_keys_from_master_keys(&identity, &masters[1..]);
//! let object = floe_seal::EncryptedObject::from_bytes(&bytes)?;
//! assert_eq!(decrypt(&object, &keys)?, b"private blob");
//! # Ok::<(), floe_seal::SealError>(())
//! ```
//!
//! Large files go through [`encrypt_to_writer`] / [`decrypt_from_reader`], which stream the
//! chunked format of [`chunked`]. A key server is built on [`MasterKey::derive_user_key`],
//! [`MasterKey::proof_of_possession`] and [`EphemeralPublicKey::encrypt`]; a client checks what it
//! receives with [`EphemeralSecret::decrypt_and_verify`].
//!
//! Compatibility: identities, H1, the per-share KDF, `derive_key`, the GT serialization (blst's
//! big-endian Fp12 layout, as fastcrypto writes it), the fixed-IV `Aes256Gcm` and `Hmac256Ctr`
//! DEMs and the BCS object layout version 0 are Seal's, so objects decrypt across the two (the
//! known-answer tests open an object made by Seal's TypeScript SDK). The chunked ciphertext
//! (enum tag 3) is floe's own extension; Seal cannot read it.

#![warn(missing_docs)]
// Only the curve wrapper may call into blst's C API.
#![deny(unsafe_code)]

pub mod chunked;
#[allow(unsafe_code)]
pub mod curve;
pub mod dem;
pub mod elgamal;
pub mod error;
pub mod gf256;
pub mod hmac_ctr;
pub mod ibe;
pub mod identity;
pub mod key_schedule;
pub mod object;
pub mod sealing;
pub mod session;
pub mod shamir;
pub mod stream;

pub use elgamal::{EncryptedUserKey, EphemeralPublicKey, EphemeralSecret, EphemeralVerificationKey};
pub use error::{Result, SealError};
pub use ibe::{MasterKey, ProofOfPossession, PublicKey, UserKey, hash_identity};
pub use identity::Identity;
pub use object::{Ciphertext, EncryptedObject, Header, IbeEncryptions};
pub use sealing::{
    DataKey, KeyServer, Payload, UserKeys, decrypt, decrypt_checking_consistency, decrypt_with_key, encrypt,
    user_keys_from_master_keys,
};
pub use stream::{decrypt_from_reader, encrypt_to_writer, read_header};
