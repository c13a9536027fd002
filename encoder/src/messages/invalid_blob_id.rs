//! A node's attestation that a blob id is inconsistently encoded.

use crate::{
    BlobId, Epoch,
    bls::BlsSecretKey,
    messages::{IntentType, MessageError, SignedMessage, check_body_len, header, parse_header},
};

/// "`blob_id` is inconsistently encoded", signed in `epoch` after checking an inconsistency proof.
/// Body: the blob id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InvalidBlobIdMessage {
    /// The epoch of the attestation.
    pub epoch: Epoch,
    /// The invalid blob.
    pub blob_id: BlobId,
}

impl InvalidBlobIdMessage {
    /// The bytes a node signs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = header(IntentType::InvalidBlobId, self.epoch).to_vec();
        bytes.extend_from_slice(&self.blob_id.0);
        bytes
    }

    /// Parses and checks message bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        let (epoch, body) = parse_header(bytes, IntentType::InvalidBlobId)?;
        check_body_len(IntentType::InvalidBlobId, body, 32)?;
        Ok(Self { epoch, blob_id: BlobId(body.try_into().expect("32 bytes")) })
    }

    /// Signs the attestation.
    pub fn sign(&self, key: &BlsSecretKey) -> SignedMessage {
        SignedMessage::sign(self.to_bytes(), key)
    }
}
