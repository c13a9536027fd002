//! The parsed forms of signed protocol messages (`floe::messages`): what the System reads out of
//! a certificate's message bytes. The signed bytes themselves are the 3-byte intent
//! (type, version 0, app id 3) followed by the BCS of [`CertifiedBlobMessage`] or
//! [`InvalidBlobIdMessage`], which the tests below check against the shared test vectors.

use floe_encoder::BlobId;
use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::move_type::move_types;

/// `floe::messages::CertifiedMessage`: a verified message's header, its shard support and body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedMessage {
    /// 0 proof of possession, 1 storage confirmation, 2 invalid blob id.
    pub intent_type: u8,
    /// Always 0.
    pub intent_version: u8,
    /// The epoch the message was signed for.
    pub cert_epoch: u32,
    /// The signers' shard weight.
    pub stake_support: u16,
    /// The bytes after the header.
    pub message_body: Vec<u8>,
}

/// `floe::messages::BlobPersistenceType`: whether a storage confirmation is for a permanent
/// blob or for one deletable Blob object. BCS writes the variant index first (0 or 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlobPersistenceType {
    /// A permanent blob.
    Permanent,
    /// A deletable blob, confirmed for this Blob object only.
    Deletable {
        /// The Blob object's id.
        object_id: Address,
    },
}

/// `floe::messages::CertifiedBlobMessage`: a storage confirmation's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedBlobMessage {
    /// The epoch it was signed for.
    pub epoch: u32,
    /// The confirmed blob.
    pub blob_id: BlobId,
    /// Permanent, or deletable with its object.
    pub persistence: BlobPersistenceType,
}

/// `floe::messages::InvalidBlobIdMessage`: an invalid-blob-id attestation's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidBlobIdMessage {
    /// The epoch it was signed for.
    pub epoch: u32,
    /// The blob id declared invalid.
    pub blob_id: BlobId,
}

/// `floe::messages::ChallengeOutcomeMessage`: a storage challenge outcome's contents (signed as
/// the header with intent type 4, then the node id and one byte, 1 = passed, 0 = failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeOutcomeMessage {
    /// The epoch it was signed for.
    pub epoch: u32,
    /// The challenged node.
    pub node_id: Address,
    /// Whether it passed.
    pub passed: bool,
}

/// `floe::messages::EIncorrectEpoch`: the abort of `certify_blob` (and of every check of a signed
/// message) when the message was signed for another epoch than the current one.
pub const E_INCORRECT_EPOCH: u64 = super::aborts::abort_code("messages", "EIncorrectEpoch");

/// Whether `abort` is [`E_INCORRECT_EPOCH`] raised by `floe::messages`: a certificate of an
/// epoch that has ended, which the same nodes (or their successors) can sign again for the new one.
pub fn is_incorrect_epoch(abort: &crate::MoveAbort) -> bool {
    abort.module == "messages" && abort.code == E_INCORRECT_EPOCH
}

move_types!(Floe;
    "messages" => CertifiedMessage,
    "messages" => BlobPersistenceType,
    "messages" => CertifiedBlobMessage,
    "messages" => InvalidBlobIdMessage,
    "messages" => ChallengeOutcomeMessage,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floe::move_type::assert_bcs_round_trip;
    use crate::floe::test_vectors;

    /// Intent bytes: type, version 0, app id 3.
    fn signed(intent_type: u8, body: &[u8]) -> Vec<u8> {
        let mut bytes = vec![intent_type, 0, 3];
        bytes.extend_from_slice(body);
        bytes
    }

    #[test]
    fn permanent_confirmation_is_the_shared_vector() {
        let message = CertifiedBlobMessage {
            epoch: test_vectors::EPOCH,
            blob_id: test_vectors::blob_id(),
            persistence: BlobPersistenceType::Permanent,
        };
        let body = assert_bcs_round_trip(&message);
        assert_eq!(signed(1, &body), test_vectors::certify_message());
    }

    #[test]
    fn deletable_confirmation_is_the_shared_vector() {
        let message = CertifiedBlobMessage {
            epoch: test_vectors::EPOCH,
            blob_id: test_vectors::blob_id(),
            persistence: BlobPersistenceType::Deletable { object_id: test_vectors::deletable_object_id() },
        };
        let body = assert_bcs_round_trip(&message);
        assert_eq!(signed(1, &body), test_vectors::certify_deletable_message());
    }

    #[test]
    fn invalid_blob_id_message_is_the_shared_vector() {
        let message = InvalidBlobIdMessage { epoch: test_vectors::EPOCH, blob_id: test_vectors::blob_id() };
        let body = assert_bcs_round_trip(&message);
        assert_eq!(signed(2, &body), test_vectors::invalid_blob_id_message());
    }

    #[test]
    fn only_the_messages_modules_incorrect_epoch_is_one() {
        let abort = |module: &str, code| crate::MoveAbort {
            code,
            package: Address::ZERO,
            module: module.into(),
            function: Some("certify_blob".into()),
        };
        assert!(is_incorrect_epoch(&abort("messages", E_INCORRECT_EPOCH)));
        assert!(!is_incorrect_epoch(&abort("messages", 3)) && !is_incorrect_epoch(&abort("system", E_INCORRECT_EPOCH)));
    }

    #[test]
    fn a_persistence_byte_of_two_is_refused() {
        assert!(bcs::from_bytes::<BlobPersistenceType>(&[2]).is_err());
        assert_eq!(bcs::to_bytes(&BlobPersistenceType::Permanent).unwrap(), vec![0]);
    }

    #[test]
    fn certified_message_round_trips() {
        let message = CertifiedMessage {
            intent_type: 1,
            intent_version: 0,
            cert_epoch: 9,
            stake_support: 7,
            message_body: vec![1, 2, 3],
        };
        let bytes = assert_bcs_round_trip(&message);
        assert_eq!(bytes, vec![1, 0, 9, 0, 0, 0, 7, 0, 3, 1, 2, 3]);
    }
}
