//! `floe::bls_aggregate` and `floe::messages` natively: checking a committee's aggregate
//! certificate with real BLS12-381 (min-pk, through floe-encoder's blst wrapper) and parsing the
//! signed message, with the Move modules' aborts in their order: bitmap, signature, threshold,
//! header, intent type, body.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::committee::BlsCommittee;
use floe_encoder::BlobId;
use floe_encoder::bls::{BlsPublicKey, BlsSignature};
use floe_encoder::messages::{HEADER_LEN, INTENT_VERSION, IntentType, STORAGE_APP_ID};
use sui_sdk_types::Address;

use super::abort_in;
use crate::framework::{E_BCS_OUT_OF_RANGE, framework_abort};
use crate::native::CallError;

const BLS: &str = "bls_aggregate";
const MESSAGES: &str = "messages";
const E_INVALID_BITMAP: u64 = abort_code(BLS, "EInvalidBitmap");
const E_SIG_VERIFICATION: u64 = abort_code(BLS, "ESigVerification");
const E_NOT_ENOUGH_STAKE: u64 = abort_code(BLS, "ENotEnoughStake");
const E_INVALID_APP_ID: u64 = abort_code(MESSAGES, "EInvalidAppId");
const E_INCORRECT_INTENT_VERSION: u64 = abort_code(MESSAGES, "EIncorrectIntentVersion");
const E_INCORRECT_EPOCH: u64 = abort_code(MESSAGES, "EIncorrectEpoch");
const E_INCORRECT_INTENT_TYPE: u64 = abort_code(MESSAGES, "EIncorrectIntentType");
const E_INVALID_PERSISTENCE_TYPE: u64 = abort_code(MESSAGES, "EInvalidPersistenceType");
const E_TRAILING_BYTES: u64 = abort_code(MESSAGES, "ETrailingBytes");
const E_MESSAGE_TOO_SHORT: u64 = abort_code(MESSAGES, "EMessageTooShort");
const E_INVALID_CHALLENGE_OUTCOME: u64 = abort_code(MESSAGES, "EInvalidChallengeOutcome");

/// The weight a certificate must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Threshold {
    /// 3w >= 2n + 1 (`verify_quorum_in_epoch`).
    Quorum,
    /// 3w >= n + 1 (`verify_one_correct_node_in_epoch`).
    OneCorrectNode,
}

impl Threshold {
    fn function(self) -> &'static str {
        match self {
            Self::Quorum => "verify_quorum_in_epoch",
            Self::OneCorrectNode => "verify_one_correct_node_in_epoch",
        }
    }

    fn is_met(self, weight: u64, n_shards: u16) -> bool {
        let n = n_shards as u64;
        match self {
            Self::Quorum => 3 * weight > 2 * n,
            Self::OneCorrectNode => 3 * weight > n,
        }
    }
}

/// `messages::CertifiedMessage`: a message whose certificate verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertifiedMessage {
    intent_type: u8,
    cert_epoch: u32,
    /// The signers' shard weight.
    pub stake_support: u16,
    body: Vec<u8>,
}

/// `messages::ChallengeOutcomeMessage`: a verified storage challenge outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChallengeOutcomeMessage {
    pub epoch: u32,
    pub node_id: Address,
    pub passed: bool,
}

/// `messages::BlobPersistenceType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persistence {
    /// Byte 0.
    Permanent,
    /// Byte 1, then the Blob object id.
    Deletable(Address),
}

/// `messages::CertifiedBlobMessage`: a verified storage confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CertifiedBlobMessage {
    pub epoch: u32,
    pub blob_id: BlobId,
    pub persistence: Persistence,
}

/// Verifies a certificate of `committee` over `message` with the given threshold and parses the
/// message header against the committee's epoch (`verify_quorum_in_epoch` /
/// `verify_one_correct_node_in_epoch`).
pub(crate) fn verify_in_epoch(
    committee: &BlsCommittee,
    signature: &[u8],
    signers_bitmap: &[u8],
    message: &[u8],
    threshold: Threshold,
) -> Result<CertifiedMessage, CallError> {
    let weight = verify_certificate_and_weight(committee, signature, signers_bitmap, message)?;
    if !threshold.is_met(weight, committee.n_shards) {
        return Err(abort_in(BLS, threshold.function(), E_NOT_ENOUGH_STAKE));
    }
    // The weight is at most the committee's n_shards, a u16 (Move computes it as one).
    new_certified_message(message, committee.epoch, weight as u16)
}

/// Checks the bitmap and the aggregate signature; returns the signers' weight.
fn verify_certificate_and_weight(
    committee: &BlsCommittee,
    signature: &[u8],
    signers_bitmap: &[u8],
    message: &[u8],
) -> Result<u64, CallError> {
    const FUNCTION: &str = "verify_certificate_and_weight";
    let n_members = committee.members.len();
    if signers_bitmap.len() > n_members.div_ceil(8) {
        return Err(abort_in(BLS, FUNCTION, E_INVALID_BITMAP));
    }
    let signed = |i: usize| signers_bitmap.get(i / 8).is_some_and(|byte| (byte >> (i % 8)) & 1 == 1);
    // Bits past the last member must be clear.
    if (n_members..signers_bitmap.len() * 8).any(signed) {
        return Err(abort_in(BLS, FUNCTION, E_INVALID_BITMAP));
    }
    let signers: Vec<_> = committee.members.iter().enumerate().filter(|(i, _)| signed(*i)).map(|(_, m)| m).collect();
    let weight = signers.iter().map(|member| member.weight as u64).sum();
    remember_committee(committee);
    let signer_keys: Vec<&[u8]> = signers.iter().map(|member| member.public_key.bytes.as_slice()).collect();
    if !signature_verifies(&signer_keys, signature, message) {
        return Err(abort_in(BLS, FUNCTION, E_SIG_VERIFICATION));
    }
    Ok(weight)
}

/// Whether `signature` is the signers' aggregate signature over `message`: the pairing check,
/// or its verdict when [`prepare`] (or an earlier execution) already made it for exactly these
/// keys, message and signature.
fn signature_verifies(signer_keys: &[&[u8]], signature: &[u8], message: &[u8]) -> bool {
    let key = verdict_key(signer_keys, signature, message);
    if let Some(verdict) = lock(verdicts()).get(&key) {
        return *verdict;
    }
    // Move sums the non-signers' keys and subtracts them from the total; the signers' sum is the
    // same point. No signer leaves the identity, which verifies nothing.
    let keys: Option<Vec<BlsPublicKey>> = signer_keys.iter().map(|bytes| parsed_key(bytes)).collect();
    let verdict = keys
        .and_then(|keys| BlsPublicKey::aggregate(&keys).ok())
        .zip(BlsSignature::from_bytes(signature).ok())
        .is_some_and(|(key, signature)| key.verify(message, &signature).is_ok());
    let mut cache = lock(verdicts());
    if cache.len() >= VERDICT_CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(key, verdict);
    verdict
}

/// Checks a submitted certificate's signature against the committee the devnet last checked a
/// certificate with, off the sequencer thread, so that execution finds the verdict cached.
/// Decides nothing: a certificate for another committee simply misses the cache, and execution
/// still checks the bitmap, the weight and the message.
pub(crate) fn prepare(signature: &[u8], signers_bitmap: &[u8], message: &[u8]) {
    let Some(committee) = lock(last_committee()).clone() else {
        return;
    };
    let signed = |i: usize| signers_bitmap.get(i / 8).is_some_and(|byte| (byte >> (i % 8)) & 1 == 1);
    let signer_keys: Vec<&[u8]> = committee
        .members
        .iter()
        .enumerate()
        .filter(|(i, _)| signed(*i))
        .map(|(_, member)| member.public_key.bytes.as_slice())
        .collect();
    if !signer_keys.is_empty() {
        signature_verifies(&signer_keys, signature, message);
    }
}

/// Most signature verdicts kept; each names its keys, message and signature in full.
const VERDICT_CACHE_LIMIT: usize = 65_536;

/// The exact inputs of a pairing check, as a cache key: the verdict is a pure function of them.
fn verdict_key(signer_keys: &[&[u8]], signature: &[u8], message: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(signer_keys.len() * 48 + signature.len() + message.len() + 16);
    for part in signer_keys.iter().copied().chain([signature, message]) {
        key.extend_from_slice(&(part.len() as u64).to_le_bytes());
        key.extend_from_slice(part);
    }
    key
}

fn verdicts() -> &'static Mutex<HashMap<Vec<u8>, bool>> {
    static VERDICTS: OnceLock<Mutex<HashMap<Vec<u8>, bool>>> = OnceLock::new();
    VERDICTS.get_or_init(Default::default)
}

fn last_committee() -> &'static Mutex<Option<Arc<BlsCommittee>>> {
    static LAST: OnceLock<Mutex<Option<Arc<BlsCommittee>>>> = OnceLock::new();
    LAST.get_or_init(Default::default)
}

/// Keeps `committee` for [`prepare`] unless it is the one kept already.
fn remember_committee(committee: &BlsCommittee) {
    let mut last = lock(last_committee());
    if last.as_deref() != Some(committee) {
        *last = Some(Arc::new(committee.clone()));
    }
}

/// A poisoned cache only means another thread panicked mid-insert; its entries are whole.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Most committee keys kept parsed; a committee has at most a few hundred members.
const KEY_CACHE_LIMIT: usize = 4096;

/// A committee member's key, parsed and validated (a subgroup check, ~0.1 ms) once and then
/// reused: every certificate of an epoch is checked against the same keys. `None` for bytes that
/// are not a valid key, which no certificate can verify against.
fn parsed_key(bytes: &[u8]) -> Option<BlsPublicKey> {
    static CACHE: OnceLock<Mutex<HashMap<Vec<u8>, BlsPublicKey>>> = OnceLock::new();
    let mut cache = lock(CACHE.get_or_init(Default::default));
    if let Some(key) = cache.get(bytes) {
        return Some(*key);
    }
    let key = BlsPublicKey::from_bytes(bytes).ok()?;
    if cache.len() >= KEY_CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(bytes.to_vec(), key);
    Some(key)
}

/// Parses the header and checks version, app id and epoch (`messages::new_certified_message`).
fn new_certified_message(message: &[u8], epoch: u32, stake_support: u16) -> Result<CertifiedMessage, CallError> {
    const FUNCTION: &str = "new_certified_message";
    let Some((header, body)) = message.split_first_chunk::<HEADER_LEN>() else {
        return Err(abort_in(MESSAGES, FUNCTION, E_MESSAGE_TOO_SHORT));
    };
    let [intent_type, intent_version, app_id, e0, e1, e2, e3] = *header;
    if intent_version != INTENT_VERSION {
        return Err(abort_in(MESSAGES, FUNCTION, E_INCORRECT_INTENT_VERSION));
    }
    if app_id != STORAGE_APP_ID {
        return Err(abort_in(MESSAGES, FUNCTION, E_INVALID_APP_ID));
    }
    let cert_epoch = u32::from_le_bytes([e0, e1, e2, e3]);
    if cert_epoch != epoch {
        return Err(abort_in(MESSAGES, FUNCTION, E_INCORRECT_EPOCH));
    }
    Ok(CertifiedMessage { intent_type, cert_epoch, stake_support, body: body.to_vec() })
}

/// A reader over a message body that aborts like `sui::bcs` when it runs short.
struct Peeler<'a>(&'a [u8]);

impl Peeler<'_> {
    fn take<const N: usize>(&mut self, function: &'static str) -> Result<[u8; N], CallError> {
        let Some((value, rest)) = self.0.split_first_chunk::<N>() else {
            return Err(framework_abort("bcs", function, E_BCS_OUT_OF_RANGE));
        };
        self.0 = rest;
        Ok(*value)
    }
}

/// Reads a storage confirmation body: blob id, then the persistence type
/// (`messages::certify_blob_message`).
pub(crate) fn certify_blob_message(message: CertifiedMessage) -> Result<CertifiedBlobMessage, CallError> {
    const FUNCTION: &str = "certify_blob_message";
    if message.intent_type != IntentType::BlobCertification as u8 {
        return Err(abort_in(MESSAGES, FUNCTION, E_INCORRECT_INTENT_TYPE));
    }
    let mut body = Peeler(&message.body);
    let blob_id = BlobId(body.take::<32>("peel_u256")?);
    let persistence = match body.take::<1>("peel_u8")? {
        [0] => Persistence::Permanent,
        [1] => Persistence::Deletable(Address::new(body.take::<32>("peel_address")?)),
        _ => return Err(abort_in(MESSAGES, FUNCTION, E_INVALID_PERSISTENCE_TYPE)),
    };
    if !body.0.is_empty() {
        return Err(abort_in(MESSAGES, FUNCTION, E_TRAILING_BYTES));
    }
    Ok(CertifiedBlobMessage { epoch: message.cert_epoch, blob_id, persistence })
}

/// Reads an invalid-blob-id body: the blob id only (`messages::invalid_blob_id_message`).
pub(crate) fn invalid_blob_id_message(message: CertifiedMessage) -> Result<BlobId, CallError> {
    const FUNCTION: &str = "invalid_blob_id_message";
    if message.intent_type != IntentType::InvalidBlobId as u8 {
        return Err(abort_in(MESSAGES, FUNCTION, E_INCORRECT_INTENT_TYPE));
    }
    let mut body = Peeler(&message.body);
    let blob_id = BlobId(body.take::<32>("peel_u256")?);
    if !body.0.is_empty() {
        return Err(abort_in(MESSAGES, FUNCTION, E_TRAILING_BYTES));
    }
    Ok(blob_id)
}

/// Reads a challenge outcome body: the node id, then 1 (passed) or 0 (failed), nothing after
/// (`messages::challenge_outcome_message`).
pub(crate) fn challenge_outcome_message(message: CertifiedMessage) -> Result<ChallengeOutcomeMessage, CallError> {
    const FUNCTION: &str = "challenge_outcome_message";
    if message.intent_type != IntentType::ChallengeOutcome as u8 {
        return Err(abort_in(MESSAGES, FUNCTION, E_INCORRECT_INTENT_TYPE));
    }
    let mut body = Peeler(&message.body);
    let node_id = Address::new(body.take::<32>("peel_address")?);
    let passed = match body.take::<1>("peel_u8")? {
        [0] => false,
        [1] => true,
        _ => return Err(abort_in(MESSAGES, FUNCTION, E_INVALID_CHALLENGE_OUTCOME)),
    };
    if !body.0.is_empty() {
        return Err(abort_in(MESSAGES, FUNCTION, E_TRAILING_BYTES));
    }
    Ok(ChallengeOutcomeMessage { epoch: message.cert_epoch, node_id, passed })
}

#[cfg(test)]
mod tests {
    use floe_chain::floe::committee::BlsCommitteeMember;
    use floe_chain::floe::framework::G1Element;
    use floe_encoder::bls::BlsSecretKey;
    use floe_encoder::messages::{BlobPersistence, InvalidBlobIdMessage, StorageConfirmation};

    use super::*;

    /// Four members with weights 3, 3, 2, 2 (10 shards) in `epoch`.
    fn committee(epoch: u32) -> (Vec<BlsSecretKey>, BlsCommittee) {
        let keys: Vec<_> = (0..4u8).map(|i| BlsSecretKey::from_seed(&[i + 1; 32])).collect();
        let members = keys
            .iter()
            .zip([3u16, 3, 2, 2])
            .enumerate()
            .map(|(i, (key, weight))| BlsCommitteeMember {
                public_key: G1Element { bytes: key.public_key().to_bytes().to_vec() },
                weight,
                node_id: Address::new([i as u8; 32]),
            })
            .collect();
        let total = BlsPublicKey::aggregate(&keys.iter().map(BlsSecretKey::public_key).collect::<Vec<_>>()).unwrap();
        let committee = BlsCommittee {
            members,
            n_shards: 10,
            epoch,
            total_aggregated_key: G1Element { bytes: total.to_bytes().to_vec() },
        };
        (keys, committee)
    }

    fn sign(keys: &[BlsSecretKey], signers: &[usize], message: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let signatures: Vec<_> = signers.iter().map(|&i| keys[i].sign(message)).collect();
        let mut bitmap = vec![0u8];
        for &i in signers {
            bitmap[0] |= 1 << i;
        }
        (BlsSignature::aggregate(&signatures).unwrap().to_bytes().to_vec(), bitmap)
    }

    fn confirmation(epoch: u32) -> Vec<u8> {
        StorageConfirmation { epoch, blob_id: BlobId([9; 32]), persistence: BlobPersistence::Permanent }.to_bytes()
    }

    /// Another committee whose members sit at the same bitmap positions with other keys.
    fn other_committee(epoch: u32) -> (Vec<BlsSecretKey>, BlsCommittee) {
        let (_, mut committee) = committee(epoch);
        let keys: Vec<_> = (0..4u8).map(|i| BlsSecretKey::from_seed(&[i + 0x40; 32])).collect();
        for (member, key) in committee.members.iter_mut().zip(&keys) {
            member.public_key = G1Element { bytes: key.public_key().to_bytes().to_vec() };
        }
        (keys, committee)
    }

    #[test]
    fn a_prepared_verdict_only_answers_for_the_exact_keys_message_and_signature() {
        let (keys, committee) = committee(7);
        let (other_keys, other) = other_committee(7);
        let message = confirmation(7);
        let (signature, bitmap) = sign(&keys, &[0, 1, 2], &message);
        let (forged, _) = sign(&keys, &[0, 1, 2], &confirmation(6));
        // Execution with `committee` makes it the one prepare uses.
        verify_in_epoch(&committee, &signature, &bitmap, &message, Threshold::Quorum).unwrap();
        prepare(&signature, &bitmap, &message);
        prepare(&forged, &bitmap, &message);
        assert!(verify_in_epoch(&committee, &signature, &bitmap, &message, Threshold::Quorum).is_ok());
        let bad = abort_in(BLS, "verify_certificate_and_weight", E_SIG_VERIFICATION);
        assert_eq!(verify_in_epoch(&committee, &forged, &bitmap, &message, Threshold::Quorum).unwrap_err(), bad);
        // The verdict for `committee`'s keys says nothing about another committee's: the same
        // bytes under other keys fail, and the other committee's own certificate passes.
        assert_eq!(verify_in_epoch(&other, &signature, &bitmap, &message, Threshold::Quorum).unwrap_err(), bad);
        let (theirs, _) = sign(&other_keys, &[0, 1, 2], &message);
        assert!(verify_in_epoch(&other, &theirs, &bitmap, &message, Threshold::Quorum).is_ok());
        // Fewer signers is another key set, even for a prepared signature.
        let (_, short) = sign(&keys, &[0, 1], &message);
        assert_eq!(verify_in_epoch(&committee, &signature, &short, &message, Threshold::Quorum).unwrap_err(), bad);
    }

    #[test]
    fn quorum_certificate_yields_the_confirmed_blob() {
        let (keys, committee) = committee(4);
        let message = confirmation(4);
        // Weights 3 + 3 + 2 = 8 of 10: 24 >= 21.
        let (signature, bitmap) = sign(&keys, &[0, 1, 2], &message);
        let certified = verify_in_epoch(&committee, &signature, &bitmap, &message, Threshold::Quorum).unwrap();
        let blob = certify_blob_message(certified).unwrap();
        assert_eq!(
            blob,
            CertifiedBlobMessage { epoch: 4, blob_id: BlobId([9; 32]), persistence: Persistence::Permanent }
        );
    }

    #[test]
    fn certificate_with_one_shard_short_of_quorum_is_rejected() {
        let (keys, committee) = committee(4);
        let message = confirmation(4);
        // Weights 3 + 3 = 6 of 10, one shard short: 3 * 6 = 18 < 2 * 10 + 1 (7 would make 21).
        let (signature, bitmap) = sign(&keys, &[0, 1], &message);
        let err = verify_in_epoch(&committee, &signature, &bitmap, &message, Threshold::Quorum).unwrap_err();
        assert_eq!(err, abort_in(BLS, "verify_quorum_in_epoch", E_NOT_ENOUGH_STAKE));
        // The same signers are more than one correct node.
        assert!(verify_in_epoch(&committee, &signature, &bitmap, &message, Threshold::OneCorrectNode).is_ok());
    }

    #[test]
    fn bitmap_and_signature_are_checked_before_the_header() {
        let (keys, committee) = committee(4);
        let message = confirmation(5); // wrong epoch, but the bitmap fails first
        let (signature, _) = sign(&keys, &[0, 1, 2], &message);
        let at = |code| abort_in(BLS, "verify_certificate_and_weight", code);
        assert_eq!(verify_in_epoch(&committee, &signature, &[7, 0], &message, Threshold::Quorum).unwrap_err(), at(0));
        assert_eq!(verify_in_epoch(&committee, &signature, &[0x17], &message, Threshold::Quorum).unwrap_err(), at(0));
        // A signer missing from the bitmap breaks the aggregate signature.
        assert_eq!(verify_in_epoch(&committee, &signature, &[3], &message, Threshold::Quorum).unwrap_err(), at(1));
        assert_eq!(verify_in_epoch(&committee, &[0; 96], &[7], &message, Threshold::Quorum).unwrap_err(), at(1));
        assert_eq!(verify_in_epoch(&committee, &signature, &[], &message, Threshold::Quorum).unwrap_err(), at(1));
        let err = verify_in_epoch(&committee, &signature, &[7], &message, Threshold::Quorum).unwrap_err();
        assert_eq!(err, abort_in(MESSAGES, "new_certified_message", E_INCORRECT_EPOCH));
    }

    #[test]
    fn header_and_body_aborts_follow_the_move_order() {
        let (keys, committee) = committee(4);
        let check = |message: Vec<u8>| {
            let (signature, bitmap) = sign(&keys, &[0, 1, 2, 3], &message);
            verify_in_epoch(&committee, &signature, &bitmap, &message, Threshold::Quorum)
                .and_then(certify_blob_message)
                .unwrap_err()
        };
        let base = confirmation(4);
        let header = |code| abort_in(MESSAGES, "new_certified_message", code);
        let body = |code| abort_in(MESSAGES, "certify_blob_message", code);
        assert_eq!(check(base[..6].to_vec()), header(E_MESSAGE_TOO_SHORT));
        let mut bad = base.clone();
        bad[1] = 1;
        bad[2] = 9; // both wrong: the version is checked first
        assert_eq!(check(bad), header(E_INCORRECT_INTENT_VERSION));
        let mut bad = base.clone();
        bad[2] = 9;
        assert_eq!(check(bad), header(E_INVALID_APP_ID));
        let invalid = InvalidBlobIdMessage { epoch: 4, blob_id: BlobId([9; 32]) }.to_bytes();
        assert_eq!(check(invalid), body(E_INCORRECT_INTENT_TYPE));
        let mut bad = base.clone();
        *bad.last_mut().unwrap() = 2;
        assert_eq!(check(bad), body(E_INVALID_PERSISTENCE_TYPE));
        let mut bad = base.clone();
        bad.push(0);
        assert_eq!(check(bad), body(E_TRAILING_BYTES));
        let short = base[..HEADER_LEN + 10].to_vec();
        assert!(matches!(check(short), CallError::Abort { code: E_BCS_OUT_OF_RANGE, package: Some(_), .. }));
    }

    #[test]
    fn invalid_blob_id_attestation_needs_one_correct_node() {
        let (keys, committee) = committee(4);
        let message = InvalidBlobIdMessage { epoch: 4, blob_id: BlobId([5; 32]) }.to_bytes();
        // Weight 2 of 10: 6 < 11.
        let (signature, bitmap) = sign(&keys, &[3], &message);
        let err = verify_in_epoch(&committee, &signature, &bitmap, &message, Threshold::OneCorrectNode).unwrap_err();
        assert_eq!(err, abort_in(BLS, "verify_one_correct_node_in_epoch", E_NOT_ENOUGH_STAKE));
        // Weight 2 + 2 = 4: 12 >= 11.
        let (signature, bitmap) = sign(&keys, &[2, 3], &message);
        let certified = verify_in_epoch(&committee, &signature, &bitmap, &message, Threshold::OneCorrectNode).unwrap();
        assert_eq!(invalid_blob_id_message(certified).unwrap(), BlobId([5; 32]));
    }

    #[test]
    fn challenge_outcome_aborts_follow_the_move_order() {
        use floe_encoder::messages::ChallengeOutcomeMessage as Outcome;
        let (keys, committee) = committee(4);
        let check = |message: Vec<u8>| {
            let (signature, bitmap) = sign(&keys, &[0, 1, 2, 3], &message);
            verify_in_epoch(&committee, &signature, &bitmap, &message, Threshold::Quorum)
                .and_then(challenge_outcome_message)
        };
        let base = Outcome { epoch: 4, node_id: [5; 32], passed: false }.to_bytes();
        let outcome = check(base.clone()).unwrap();
        assert_eq!(outcome, ChallengeOutcomeMessage { epoch: 4, node_id: Address::new([5; 32]), passed: false });
        let body = |code| abort_in(MESSAGES, "challenge_outcome_message", code);
        let mut bad = base.clone();
        *bad.last_mut().unwrap() = 2;
        assert_eq!(check(bad).unwrap_err(), body(E_INVALID_CHALLENGE_OUTCOME));
        let mut bad = base.clone();
        bad.push(1);
        assert_eq!(check(bad).unwrap_err(), body(E_TRAILING_BYTES));
        assert_eq!(check(confirmation(4)).unwrap_err(), body(E_INCORRECT_INTENT_TYPE));
        // All four signed: the support is all 10 shards.
        let (signature, bitmap) = sign(&keys, &[0, 1, 2, 3], &base);
        let certified = verify_in_epoch(&committee, &signature, &bitmap, &base, Threshold::Quorum).unwrap();
        assert_eq!(certified.stake_support, 10);
    }
}
