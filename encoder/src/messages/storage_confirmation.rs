//! A node's confirmation that it stores all its slivers of a blob.

use crate::{
    BlobId, Epoch,
    bls::BlsSecretKey,
    messages::{IntentType, MessageError, SignedMessage, check_body_len, header, parse_header},
};

/// Whether the confirmed blob is permanent or deletable (then bound to its `Blob` object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlobPersistence {
    /// Cannot be deleted before its end epoch. Byte 0.
    Permanent,
    /// Can be deleted by the owner of the `Blob` object. Byte 1, then the object id.
    Deletable {
        /// The id of the `Blob` object.
        object_id: [u8; 32],
    },
}

/// "I store every sliver of `blob_id` for my shards" in `epoch`. Body: blob id ‖ persistence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StorageConfirmation {
    /// The epoch of the confirmation; a certificate is valid only in its epoch.
    pub epoch: Epoch,
    /// The blob.
    pub blob_id: BlobId,
    /// Permanent or deletable.
    pub persistence: BlobPersistence,
}

impl StorageConfirmation {
    /// The bytes a node signs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = header(IntentType::BlobCertification, self.epoch).to_vec();
        bytes.extend_from_slice(&self.blob_id.0);
        match self.persistence {
            BlobPersistence::Permanent => bytes.push(0),
            BlobPersistence::Deletable { object_id } => {
                bytes.push(1);
                bytes.extend_from_slice(&object_id);
            }
        }
        bytes
    }

    /// Parses and checks message bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        let intent = IntentType::BlobCertification;
        let (epoch, body) = parse_header(bytes, intent)?;
        if body.len() < 33 {
            return Err(MessageError::WrongBodyLength { intent, actual: body.len(), expected: 33 });
        }
        let blob_id = BlobId(body[..32].try_into().expect("32 bytes"));
        let persistence = match body[32] {
            0 => {
                check_body_len(intent, body, 33)?;
                BlobPersistence::Permanent
            }
            1 => {
                check_body_len(intent, body, 65)?;
                BlobPersistence::Deletable { object_id: body[33..65].try_into().expect("32 bytes") }
            }
            other => return Err(MessageError::UnknownPersistence(other)),
        };
        Ok(Self { epoch, blob_id, persistence })
    }

    /// Signs the confirmation.
    pub fn sign(&self, key: &BlsSecretKey) -> SignedMessage {
        SignedMessage::sign(self.to_bytes(), key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletable_confirmation_layout_and_malformed_bodies() {
        let confirmation = StorageConfirmation {
            epoch: 0x0102_0304,
            blob_id: BlobId([0xaa; 32]),
            persistence: BlobPersistence::Deletable { object_id: [0x22; 32] },
        };
        let bytes = confirmation.to_bytes();
        assert_eq!(bytes.len(), 7 + 32 + 1 + 32);
        assert_eq!(&bytes[..7], &[1, 0, 3, 4, 3, 2, 1]);
        assert_eq!(bytes[39], 1);
        assert_eq!(StorageConfirmation::from_bytes(&bytes).unwrap(), confirmation);

        let mut bad = bytes.clone();
        bad[39] = 7;
        assert_eq!(StorageConfirmation::from_bytes(&bad), Err(MessageError::UnknownPersistence(7)));
        assert!(matches!(StorageConfirmation::from_bytes(&bytes[..50]), Err(MessageError::WrongBodyLength { .. })));
        let mut wrong_intent = bytes.clone();
        wrong_intent[0] = 2;
        assert_eq!(
            StorageConfirmation::from_bytes(&wrong_intent),
            Err(MessageError::WrongIntent { expected: IntentType::BlobCertification, actual: 2 })
        );
        let mut wrong_app = bytes;
        wrong_app[2] = 1;
        assert_eq!(StorageConfirmation::from_bytes(&wrong_app), Err(MessageError::WrongAppId(1)));
        assert_eq!(StorageConfirmation::from_bytes(&[1, 0]), Err(MessageError::TooShort { len: 2 }));
    }
}
