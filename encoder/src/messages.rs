//! Signed protocol messages: a 7-byte header (intent type, version 0, app id 3, epoch as u32 LE)
//! followed by the body, with no length prefix. Nodes sign them with their BLS keys; the chain and
//! [`crate::certificate`] check them.
//!
//! ```
//! use floe_encoder::{BlobId, bls::BlsSecretKey};
//! use floe_encoder::messages::{BlobPersistence, StorageConfirmation};
//!
//! let confirmation = StorageConfirmation { epoch: 5, blob_id: BlobId([1; 32]), persistence: BlobPersistence::Permanent };
//! let bytes = confirmation.to_bytes();
//! assert_eq!(&bytes[..7], &[1, 0, 3, 5, 0, 0, 0]);
//! assert_eq!(StorageConfirmation::from_bytes(&bytes).unwrap(), confirmation);
//!
//! let node_key = BlsSecretKey::from_seed(&[9; 32]);
//! let signed = confirmation.sign(&node_key);
//! assert!(signed.verify(&node_key.public_key()).is_ok());
//! ```

mod challenge_outcome;
mod invalid_blob_id;
mod proof_of_possession;
mod storage_confirmation;
mod sync_shard;

use serde::{Deserialize, Serialize};

pub use self::{
    challenge_outcome::ChallengeOutcomeMessage,
    invalid_blob_id::InvalidBlobIdMessage,
    proof_of_possession::ProofOfPossessionMessage,
    storage_confirmation::{BlobPersistence, StorageConfirmation},
    sync_shard::SyncShardRequest,
};
use crate::{
    Epoch,
    bls::{BlsError, BlsPublicKey, BlsSecretKey, BlsSignature},
};

/// The version byte of the intent.
pub const INTENT_VERSION: u8 = 0;
/// The app id of storage messages.
pub const STORAGE_APP_ID: u8 = 3;
/// Bytes of the header: intent type, version, app id, epoch.
pub const HEADER_LEN: usize = 7;

/// What a signed message is for; the first header byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum IntentType {
    /// A node proves it holds the secret key of its registered public key.
    ProofOfPossession = 0,
    /// A node confirms it stores its slivers of a blob.
    BlobCertification = 1,
    /// A node attests that a blob id is inconsistently encoded.
    InvalidBlobId = 2,
    /// A node asks another for a shard's slivers.
    SyncShard = 3,
    /// A node attests another node's storage challenge outcome for an epoch.
    ChallengeOutcome = 4,
}

impl IntentType {
    fn from_u8(byte: u8) -> Option<Self> {
        Some(match byte {
            0 => Self::ProofOfPossession,
            1 => Self::BlobCertification,
            2 => Self::InvalidBlobId,
            3 => Self::SyncShard,
            4 => Self::ChallengeOutcome,
            _ => return None,
        })
    }
}

/// Why message bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Shorter than the header.
    #[error("message of {len} bytes is shorter than the {HEADER_LEN}-byte header")]
    TooShort {
        /// The length given.
        len: usize,
    },
    /// Another kind of message.
    #[error("expected a {expected:?} message, got intent type {actual}")]
    WrongIntent {
        /// The intent expected.
        expected: IntentType,
        /// The byte found.
        actual: u8,
    },
    /// An intent version other than 0.
    #[error("unsupported intent version {0}, expected {INTENT_VERSION}")]
    WrongVersion(u8),
    /// An app id other than storage.
    #[error("unsupported app id {0}, expected {STORAGE_APP_ID} (storage)")]
    WrongAppId(u8),
    /// The body has the wrong length for its kind.
    #[error("{intent:?} body has {actual} bytes, expected {expected}")]
    WrongBodyLength {
        /// The message kind.
        intent: IntentType,
        /// The length found.
        actual: usize,
        /// The length required.
        expected: usize,
    },
    /// A persistence byte other than 0 (permanent) or 1 (deletable).
    #[error("unknown blob persistence type {0}: expected 0 (permanent) or 1 (deletable)")]
    UnknownPersistence(u8),
    /// The body's public key is not a valid BLS key.
    #[error("invalid public key in message: {0}")]
    InvalidKey(BlsError),
    /// A sliver type byte other than 0 (primary) or 1 (secondary).
    #[error("unknown sliver type {0}: expected 0 (primary) or 1 (secondary)")]
    UnknownSliverType(u8),
    /// A challenge outcome byte other than 0 (failed) or 1 (passed).
    #[error("unknown challenge outcome {0}: expected 0 (failed) or 1 (passed)")]
    UnknownChallengeOutcome(u8),
    /// The signature does not verify with the key the message names.
    #[error("the signature does not verify with the key the message names: {0}")]
    BadSignature(BlsError),
}

pub(crate) fn header(intent: IntentType, epoch: Epoch) -> [u8; HEADER_LEN] {
    let mut header = [intent as u8, INTENT_VERSION, STORAGE_APP_ID, 0, 0, 0, 0];
    header[3..].copy_from_slice(&epoch.to_le_bytes());
    header
}

/// Checks the header of `bytes` for `intent`; returns the epoch and the body.
pub(crate) fn parse_header(bytes: &[u8], intent: IntentType) -> Result<(Epoch, &[u8]), MessageError> {
    if bytes.len() < HEADER_LEN {
        return Err(MessageError::TooShort { len: bytes.len() });
    }
    if IntentType::from_u8(bytes[0]) != Some(intent) {
        return Err(MessageError::WrongIntent { expected: intent, actual: bytes[0] });
    }
    if bytes[1] != INTENT_VERSION {
        return Err(MessageError::WrongVersion(bytes[1]));
    }
    if bytes[2] != STORAGE_APP_ID {
        return Err(MessageError::WrongAppId(bytes[2]));
    }
    let epoch = Epoch::from_le_bytes(bytes[3..HEADER_LEN].try_into().expect("4 bytes"));
    Ok((epoch, &bytes[HEADER_LEN..]))
}

pub(crate) fn check_body_len(intent: IntentType, body: &[u8], expected: usize) -> Result<(), MessageError> {
    if body.len() == expected {
        Ok(())
    } else {
        Err(MessageError::WrongBodyLength { intent, actual: body.len(), expected })
    }
}

/// Serialized message bytes with one node's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedMessage {
    /// The message exactly as signed.
    pub serialized: Vec<u8>,
    /// The signature on `serialized`.
    pub signature: BlsSignature,
}

impl SignedMessage {
    /// Signs `serialized` with `key`.
    pub fn sign(serialized: Vec<u8>, key: &BlsSecretKey) -> Self {
        let signature = key.sign(&serialized);
        Self { serialized, signature }
    }

    /// Checks the signature with the signer's public key.
    pub fn verify(&self, key: &BlsPublicKey) -> Result<(), BlsError> {
        key.verify(&self.serialized, &self.signature)
    }
}
