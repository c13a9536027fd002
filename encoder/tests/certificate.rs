//! Certificates: quorum edges, bitmap rules, epochs and bad signatures.

use floe_encoder::{
    BlobId, bft,
    bls::BlsSecretKey,
    certificate::{Certificate, CertificateError, Committee, CommitteeMember, Threshold},
    messages::{BlobPersistence, InvalidBlobIdMessage, SignedMessage, StorageConfirmation},
};

struct Setup {
    keys: Vec<BlsSecretKey>,
    committee: Committee,
}

/// A committee whose members hold the given shard weights.
fn setup(epoch: u32, weights: &[u16]) -> Setup {
    let keys: Vec<BlsSecretKey> = (0..weights.len()).map(|i| BlsSecretKey::from_seed(&[i as u8 + 1; 32])).collect();
    let members = keys
        .iter()
        .zip(weights)
        .enumerate()
        .map(|(i, (key, weight))| CommitteeMember {
            public_key: key.public_key(),
            weight: *weight,
            node_id: [i as u8; 32],
        })
        .collect();
    Setup { committee: Committee::new(epoch, members).unwrap(), keys }
}

fn confirmation(epoch: u32) -> StorageConfirmation {
    StorageConfirmation { epoch, blob_id: BlobId([3; 32]), persistence: BlobPersistence::Permanent }
}

fn signed_by(setup: &Setup, signers: &[u16], message: &[u8]) -> Vec<(u16, SignedMessage)> {
    signers.iter().map(|i| (*i, SignedMessage::sign(message.to_vec(), &setup.keys[usize::from(*i)]))).collect()
}

#[test]
fn certificate_with_exactly_two_f_plus_one_shards_passes_and_one_less_fails() {
    // 10 members with one shard each: f = 3, quorum = 7.
    let setup = setup(4, &[1; 10]);
    let message = confirmation(4).to_bytes();
    let quorum: Vec<u16> = (0..7).collect();
    let certificate = Certificate::aggregate(&setup.committee, signed_by(&setup, &quorum, &message)).unwrap();
    certificate.verify(&setup.committee, Threshold::Quorum).unwrap();

    let short = Certificate::aggregate(&setup.committee, signed_by(&setup, &quorum[..6], &message)).unwrap();
    assert_eq!(
        short.verify(&setup.committee, Threshold::Quorum),
        Err(CertificateError::NotEnoughWeight { weight: 6, n_shards: 10, threshold: Threshold::Quorum })
    );
}

#[test]
fn certificate_with_one_shard_short_of_quorum_is_rejected_under_uneven_weights() {
    // 100 shards: quorum needs 67. Members hold 40 + 20 + 6 + 1 = 67 shards.
    let weights = [40u16, 20, 6, 1, 33];
    let setup = setup(1, &weights);
    assert_eq!(setup.committee.n_shards(), 100);
    assert!(bft::is_quorum(67, 100) && !bft::is_quorum(66, 100));
    let message = confirmation(1).to_bytes();
    let passing = Certificate::aggregate(&setup.committee, signed_by(&setup, &[0, 1, 2, 3], &message)).unwrap();
    passing.verify(&setup.committee, Threshold::Quorum).unwrap();
    let failing = Certificate::aggregate(&setup.committee, signed_by(&setup, &[0, 1, 2], &message)).unwrap();
    assert!(matches!(
        failing.verify(&setup.committee, Threshold::Quorum),
        Err(CertificateError::NotEnoughWeight { weight: 66, .. })
    ));
}

#[test]
fn invalid_blob_id_needs_only_one_correct_node() {
    // 10 shards: one correct node = 4 shards (3w >= 11).
    let setup = setup(2, &[1; 10]);
    let message = InvalidBlobIdMessage { epoch: 2, blob_id: BlobId([8; 32]) }.to_bytes();
    let four = Certificate::aggregate(&setup.committee, signed_by(&setup, &[9, 0, 5, 2], &message)).unwrap();
    four.verify(&setup.committee, Threshold::OneCorrectNode).unwrap();
    assert!(four.verify(&setup.committee, Threshold::Quorum).is_err());
    let three = Certificate::aggregate(&setup.committee, signed_by(&setup, &[9, 0, 5], &message)).unwrap();
    assert!(three.verify(&setup.committee, Threshold::OneCorrectNode).is_err());
}

#[test]
fn bitmap_round_trips_and_the_chain_rules_hold() {
    let setup = setup(0, &[1; 12]);
    let message = confirmation(0).to_bytes();
    let certificate =
        Certificate::aggregate(&setup.committee, signed_by(&setup, &[11, 0, 3, 8, 9, 10, 1, 2], &message)).unwrap();
    let bitmap = certificate.signers_bitmap();
    assert_eq!(bitmap, vec![0b0000_1111, 0b0000_1111]);
    assert_eq!(Certificate::signers_from_bitmap(&setup.committee, &bitmap).unwrap(), certificate.signers);
    // A bit beyond the twelfth member, and a bitmap longer than two bytes, are refused.
    assert_eq!(
        Certificate::signers_from_bitmap(&setup.committee, &[0, 0b0001_0000]),
        Err(CertificateError::SignerOutOfRange { index: 12, members: 12 })
    );
    assert!(matches!(
        Certificate::signers_from_bitmap(&setup.committee, &[1, 0, 0]),
        Err(CertificateError::BitmapTooLong { len: 3, max: 2, members: 12 })
    ));
}

#[test]
fn a_member_who_signed_garbage_is_named_and_a_forged_aggregate_fails() {
    let setup = setup(3, &[1; 4]);
    let message = confirmation(3).to_bytes();
    let mut signed = signed_by(&setup, &[0, 1, 2], &message);
    signed[1].1.signature = setup.keys[3].sign(&message);
    signed[2].1.signature = setup.keys[2].sign(b"something else");
    assert_eq!(Certificate::aggregate(&setup.committee, signed), Err(CertificateError::BadSigners(vec![1, 2])));

    let mut certificate = Certificate::aggregate(&setup.committee, signed_by(&setup, &[0, 1, 2], &message)).unwrap();
    certificate.signers = vec![0, 1, 3];
    assert!(matches!(certificate.verify(&setup.committee, Threshold::Quorum), Err(CertificateError::Signature(_))));
}

#[test]
fn a_certificate_is_only_good_in_its_own_epoch() {
    let old = setup(5, &[1; 4]);
    let message = confirmation(5).to_bytes();
    let certificate = Certificate::aggregate(&old.committee, signed_by(&old, &[0, 1, 2], &message)).unwrap();
    let next = setup(6, &[1; 4]);
    assert_eq!(
        certificate.verify(&next.committee, Threshold::Quorum),
        Err(CertificateError::WrongEpoch { message_epoch: 5, committee_epoch: 6 })
    );
}

#[test]
fn signers_of_different_messages_are_not_aggregated() {
    let setup = setup(1, &[1; 4]);
    let mut signed = signed_by(&setup, &[0, 1], &confirmation(1).to_bytes());
    signed.extend(signed_by(&setup, &[2], &confirmation(2).to_bytes()));
    assert_eq!(Certificate::aggregate(&setup.committee, signed), Err(CertificateError::MessageMismatch(2)));
    let duplicated = signed_by(&setup, &[1, 1, 2], &confirmation(1).to_bytes());
    assert_eq!(Certificate::aggregate(&setup.committee, duplicated), Err(CertificateError::DuplicateSigner(1)));
}

/// Found by the `certificate` fuzz target: a decoded certificate whose signers are not in
/// ascending order made `signers_bitmap` index past its bitmap.
#[test]
fn the_bitmap_of_a_decoded_certificate_with_unordered_signers_holds_every_signer() {
    let setup = setup(0, &[1; 12]);
    let message = confirmation(0).to_bytes();
    let certificate = Certificate::aggregate(&setup.committee, signed_by(&setup, &[0, 3, 10], &message)).unwrap();
    let mut unordered = certificate.clone();
    unordered.signers = vec![10, 0, 3];
    let decoded: Certificate = bcs::from_bytes(&bcs::to_bytes(&unordered).unwrap()).unwrap();
    assert_eq!(decoded.signers_bitmap(), vec![0b0000_1001, 0b0000_0100]);
    assert_eq!(decoded.signers_bitmap(), certificate.signers_bitmap());
    // The fuzzer's own input: one signer, far beyond the first byte, listed before a small one.
    let far = Certificate { signers: vec![5760, 1], ..certificate };
    let bitmap = far.signers_bitmap();
    assert_eq!(bitmap.len(), 5760 / 8 + 1);
    assert_eq!((bitmap[0], bitmap[720]), (0b10, 0b1));
}
