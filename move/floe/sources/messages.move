/// Signed protocol messages: the header every BLS-signed message starts with, and the bodies
/// floe verifies on chain (storage confirmations, invalid blob ids, proofs of possession,
/// storage challenge outcomes).
///
/// Header: intent type (u8), intent version (u8, 0), app id (u8, 3), epoch (u32 LE); the body
/// follows with no length prefix.
module floe::messages;

use sui::bcs;
use sui::bls12381;

/// Intent type of a proof of possession.
const PROOF_OF_POSSESSION_MSG_TYPE: u8 = 0;
/// Intent type of a storage confirmation (blob certificate).
const BLOB_CERT_MSG_TYPE: u8 = 1;
/// Intent type of an invalid-blob-id attestation.
const INVALID_BLOB_ID_MSG_TYPE: u8 = 2;
/// Intent type of a storage challenge outcome.
const CHALLENGE_OUTCOME_MSG_TYPE: u8 = 4;
/// The only intent version.
const INTENT_VERSION: u8 = 0;
/// The storage app id.
const APP_ID: u8 = 3;
/// Persistence byte of a permanent blob.
const PERSISTENCE_PERMANENT: u8 = 0;
/// Persistence byte of a deletable blob (followed by the Blob object id).
const PERSISTENCE_DELETABLE: u8 = 1;

/// The message's app id is not 3.
const EInvalidAppId: u64 = 0;
/// The message's intent version is not 0.
const EIncorrectIntentVersion: u64 = 1;
/// The message's epoch is not the committee's epoch.
const EIncorrectEpoch: u64 = 2;
/// The message has the wrong intent type for this use.
const EIncorrectIntentType: u64 = 3;
/// The persistence byte is neither 0 nor 1.
const EInvalidPersistenceType: u64 = 4;
/// The message has bytes left after its body.
const ETrailingBytes: u64 = 5;
/// The message is shorter than its header.
const EMessageTooShort: u64 = 6;
/// The outcome byte of a challenge outcome is neither 0 (failed) nor 1 (passed).
const EInvalidChallengeOutcome: u64 = 7;

/// A message whose certificate was verified: its header fields, body and signers' weight.
public struct CertifiedMessage has drop {
    intent_type: u8,
    intent_version: u8,
    cert_epoch: u32,
    stake_support: u16,
    message_body: vector<u8>,
}

/// Whether a certified blob is permanent or deletable (then bound to one Blob object).
public enum BlobPersistenceType has copy, drop, store {
    Permanent,
    Deletable { object_id: ID },
}

/// A verified storage confirmation: enough of the committee stores `blob_id`.
public struct CertifiedBlobMessage has drop {
    epoch: u32,
    blob_id: u256,
    persistence: BlobPersistenceType,
}

/// A verified attestation that `blob_id` is inconsistently encoded.
public struct InvalidBlobIdMessage has drop {
    epoch: u32,
    blob_id: u256,
}

/// A verified storage challenge outcome: a quorum attests that `node_id` passed (or failed) its
/// challenges of `epoch`.
public struct ChallengeOutcomeMessage has drop {
    epoch: u32,
    node_id: ID,
    passed: bool,
}

/// Parses the header of `message` and checks app id, version and that its epoch is `epoch`.
public(package) fun new_certified_message(
    message: vector<u8>,
    epoch: u32,
    stake_support: u16,
): CertifiedMessage {
    assert!(message.length() >= 7, EMessageTooShort);
    let mut reader = bcs::new(message);
    let intent_type = reader.peel_u8();
    let intent_version = reader.peel_u8();
    assert!(intent_version == INTENT_VERSION, EIncorrectIntentVersion);
    let app_id = reader.peel_u8();
    assert!(app_id == APP_ID, EInvalidAppId);
    let cert_epoch = reader.peel_u32();
    assert!(cert_epoch == epoch, EIncorrectEpoch);
    CertifiedMessage {
        intent_type,
        intent_version,
        cert_epoch,
        stake_support,
        message_body: reader.into_remainder_bytes(),
    }
}

/// Reads a storage confirmation body: blob id (u256 LE) then the persistence type.
public(package) fun certify_blob_message(message: CertifiedMessage): CertifiedBlobMessage {
    assert!(message.intent_type == BLOB_CERT_MSG_TYPE, EIncorrectIntentType);
    let CertifiedMessage { cert_epoch, message_body, .. } = message;
    let mut reader = bcs::new(message_body);
    let blob_id = reader.peel_u256();
    let kind = reader.peel_u8();
    let persistence = if (kind == PERSISTENCE_PERMANENT) {
        BlobPersistenceType::Permanent
    } else if (kind == PERSISTENCE_DELETABLE) {
        BlobPersistenceType::Deletable { object_id: object::id_from_address(reader.peel_address()) }
    } else {
        abort EInvalidPersistenceType
    };
    assert!(reader.into_remainder_bytes().is_empty(), ETrailingBytes);
    CertifiedBlobMessage { epoch: cert_epoch, blob_id, persistence }
}

/// Reads an invalid-blob-id body: the blob id only.
public(package) fun invalid_blob_id_message(message: CertifiedMessage): InvalidBlobIdMessage {
    assert!(message.intent_type == INVALID_BLOB_ID_MSG_TYPE, EIncorrectIntentType);
    let CertifiedMessage { cert_epoch, message_body, .. } = message;
    let mut reader = bcs::new(message_body);
    let blob_id = reader.peel_u256();
    assert!(reader.into_remainder_bytes().is_empty(), ETrailingBytes);
    InvalidBlobIdMessage { epoch: cert_epoch, blob_id }
}

/// Reads a challenge outcome body: the node id (32 bytes), then one byte, 1 = passed and
/// 0 = failed; nothing may follow.
public(package) fun challenge_outcome_message(message: CertifiedMessage): ChallengeOutcomeMessage {
    assert!(message.intent_type == CHALLENGE_OUTCOME_MSG_TYPE, EIncorrectIntentType);
    let CertifiedMessage { cert_epoch, message_body, .. } = message;
    let mut reader = bcs::new(message_body);
    let node_id = object::id_from_address(reader.peel_address());
    let outcome = reader.peel_u8();
    assert!(outcome <= 1, EInvalidChallengeOutcome);
    assert!(reader.into_remainder_bytes().is_empty(), ETrailingBytes);
    ChallengeOutcomeMessage { epoch: cert_epoch, node_id, passed: outcome == 1 }
}

/// The bytes a node signs to prove it holds the secret key of `public_key`: header with intent
/// 0 and `epoch`, then its Sui address (32 bytes) and the 48-byte key (no length prefix).
public fun proof_of_possession_message(
    epoch: u32,
    sui_address: address,
    public_key: vector<u8>,
): vector<u8> {
    let mut message = header(PROOF_OF_POSSESSION_MSG_TYPE, epoch);
    message.append(sui_address.to_bytes());
    message.append(public_key);
    message
}

/// Whether `signature` is a valid proof of possession of `public_key` by `sui_address`.
public fun verify_proof_of_possession(
    epoch: u32,
    sui_address: address,
    public_key: vector<u8>,
    signature: vector<u8>,
): bool {
    let message = proof_of_possession_message(epoch, sui_address, public_key);
    bls12381::bls12381_min_pk_verify(&signature, &public_key, &message)
}

/// The 7-byte header of a message of `intent_type` in `epoch`.
public fun header(intent_type: u8, epoch: u32): vector<u8> {
    let mut bytes = vector[intent_type, INTENT_VERSION, APP_ID];
    bytes.append(bcs::to_bytes(&epoch));
    bytes
}

/// The signed bytes of a storage confirmation for `blob_id` in `epoch`; `deletable_object` is
/// the Blob object id of a deletable blob, none for a permanent one.
public fun storage_confirmation_message(
    epoch: u32,
    blob_id: u256,
    deletable_object: Option<ID>,
): vector<u8> {
    let mut bytes = header(BLOB_CERT_MSG_TYPE, epoch);
    bytes.append(bcs::to_bytes(&blob_id));
    if (deletable_object.is_some()) {
        bytes.push_back(PERSISTENCE_DELETABLE);
        bytes.append(deletable_object.destroy_some().to_bytes());
    } else {
        bytes.push_back(PERSISTENCE_PERMANENT);
    };
    bytes
}

/// The signed bytes of an invalid-blob-id attestation for `blob_id` in `epoch`.
public fun invalid_blob_id_message_bytes(epoch: u32, blob_id: u256): vector<u8> {
    let mut bytes = header(INVALID_BLOB_ID_MSG_TYPE, epoch);
    bytes.append(bcs::to_bytes(&blob_id));
    bytes
}

/// The signed bytes of a challenge outcome for `node_id` in `epoch`.
public fun challenge_outcome_message_bytes(epoch: u32, node_id: ID, passed: bool): vector<u8> {
    let mut bytes = header(CHALLENGE_OUTCOME_MSG_TYPE, epoch);
    bytes.append(node_id.to_bytes());
    bytes.push_back(if (passed) 1 else 0);
    bytes
}

// === Accessors ===

/// The intent type of a certified message.
public fun intent_type(self: &CertifiedMessage): u8 { self.intent_type }

/// The epoch of a certified message.
public fun cert_epoch(self: &CertifiedMessage): u32 { self.cert_epoch }

/// The signers' shard weight behind a certified message.
public fun stake_support(self: &CertifiedMessage): u16 { self.stake_support }

/// The body of a certified message.
public fun message_body(self: &CertifiedMessage): &vector<u8> { &self.message_body }

/// The blob id of a storage confirmation.
public fun certified_blob_id(self: &CertifiedBlobMessage): u256 { self.blob_id }

/// The epoch of a storage confirmation.
public fun certified_epoch(self: &CertifiedBlobMessage): u32 { self.epoch }

/// The persistence type of a storage confirmation.
public fun persistence(self: &CertifiedBlobMessage): BlobPersistenceType { self.persistence }

/// Whether a persistence type is deletable.
public fun is_deletable(self: &BlobPersistenceType): bool {
    match (self) {
        BlobPersistenceType::Permanent => false,
        BlobPersistenceType::Deletable { .. } => true,
    }
}

/// The Blob object id of a deletable persistence type (none when permanent).
public fun deletable_object_id(self: &BlobPersistenceType): Option<ID> {
    match (self) {
        BlobPersistenceType::Permanent => option::none(),
        BlobPersistenceType::Deletable { object_id } => option::some(*object_id),
    }
}

/// The blob id of an invalid-blob-id attestation.
public fun invalid_blob_id(self: &InvalidBlobIdMessage): u256 { self.blob_id }

/// The epoch of an invalid-blob-id attestation.
public fun invalid_blob_id_epoch(self: &InvalidBlobIdMessage): u32 { self.epoch }

/// The epoch of a challenge outcome.
public fun challenge_outcome_epoch(self: &ChallengeOutcomeMessage): u32 { self.epoch }

/// The node a challenge outcome is about.
public fun challenge_outcome_node_id(self: &ChallengeOutcomeMessage): ID { self.node_id }

/// Whether the node passed (true) or failed (false).
public fun challenge_outcome_passed(self: &ChallengeOutcomeMessage): bool { self.passed }
