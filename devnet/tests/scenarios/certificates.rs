//! Certifying blobs and invalidating blob ids with certificates of the genesis committee
//! (weights 3/3/2/2 of 10 shards): quorum, short of quorum, wrong epoch, wrong blob, bad
//! signature, wrong persistence, twice.

use floe_chain::floe::FloeEvent;
use floe_chain::floe::blob::Blob;
use floe_chain::floe::events::{BlobCertified, InvalidBlobID};
use floe_encoder::BlobId;
use floe_encoder::messages::{BlobPersistence, InvalidBlobIdMessage, StorageConfirmation};
use sui_sdk_types::Address;

use super::floe_net::{ENCODED_SIZE, EPOCH, FloeNet, abort_of, at, new_blob};

/// Members 0, 1, 2: weight 8 of 10, a quorum (24 >= 21).
const QUORUM: &[usize] = &[0, 1, 2];

fn permanent(epoch: u32, blob_id: BlobId) -> Vec<u8> {
    StorageConfirmation { epoch, blob_id, persistence: BlobPersistence::Permanent }.to_bytes()
}

fn deletable(epoch: u32, blob_id: BlobId, object: Address) -> Vec<u8> {
    StorageConfirmation { epoch, blob_id, persistence: BlobPersistence::Deletable { object_id: object.into_inner() } }
        .to_bytes()
}

#[tokio::test]
async fn a_quorum_certificate_certifies_a_permanent_blob() {
    let net = FloeNet::start().await;
    let blob = new_blob(1, false);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    let executed = net.certify(id, &net.certificate(QUORUM, permanent(EPOCH, blob.blob_id))).await.unwrap();
    let certified = BlobCertified {
        epoch: EPOCH,
        blob_id: blob.blob_id,
        end_epoch: EPOCH + 2,
        deletable: false,
        object_id: id,
        is_extension: false,
    };
    assert_eq!(net.events(&executed), vec![FloeEvent::BlobCertified(certified)]);
    assert_eq!(net.read::<Blob>(id).await.certified_epoch, Some(EPOCH));
}

#[tokio::test]
async fn register_and_certify_compose_in_one_transaction() {
    let net = FloeNet::start().await;
    let blob = new_blob(2, false);
    let certificate = net.certificate(&[0, 1, 2, 3], permanent(EPOCH, blob.blob_id));
    let coin = net.owned(net.wal_coin(0)).await;
    let executed = net
        .run(|tx| {
            let payment = tx.object(coin);
            let storage = net.calls.reserve_space(tx, ENCODED_SIZE, 1, payment);
            let registered = net.calls.register_blob(tx, storage, &blob, payment);
            net.calls.certify_blob(tx, registered, &certificate);
            net.keep(tx, vec![registered]);
        })
        .await
        .unwrap();
    let events = net.events(&executed);
    assert!(
        matches!(&events[..], [FloeEvent::BlobRegistered(_), FloeEvent::BlobCertified(c)] if c.blob_id == blob.blob_id)
    );
}

#[tokio::test]
async fn a_deletable_blob_is_certified_for_its_own_object_id() {
    let net = FloeNet::start().await;
    let blob = new_blob(3, true);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    let executed = net.certify(id, &net.certificate(QUORUM, deletable(EPOCH, blob.blob_id, id))).await.unwrap();
    assert!(matches!(&net.events(&executed)[..], [FloeEvent::BlobCertified(c)] if c.deletable && c.object_id == id));
}

#[tokio::test]
async fn certificate_with_one_shard_short_of_quorum_is_rejected() {
    let net = FloeNet::start().await;
    let blob = new_blob(4, false);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    // Weights 3 + 3 = 6 of 10, one shard short: 3 * 6 < 2 * 10 + 1.
    let result = net.certify(id, &net.certificate(&[0, 1], permanent(EPOCH, blob.blob_id))).await;
    assert_eq!(abort_of(result), at("bls_aggregate", 2));
    assert_eq!(net.read::<Blob>(id).await.certified_epoch, None);
}

#[tokio::test]
async fn certificate_of_another_epoch_is_rejected() {
    let net = FloeNet::start().await;
    let blob = new_blob(5, false);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    let result = net.certify(id, &net.certificate(QUORUM, permanent(EPOCH + 1, blob.blob_id))).await;
    assert_eq!(abort_of(result), at("messages", 2));
}

#[tokio::test]
async fn certificate_for_another_blob_id_is_rejected() {
    let net = FloeNet::start().await;
    let blob = new_blob(6, false);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    let other = new_blob(7, false).blob_id;
    let result = net.certify(id, &net.certificate(QUORUM, permanent(EPOCH, other))).await;
    assert_eq!(abort_of(result), at("blob", 2));
}

#[tokio::test]
async fn a_signature_over_another_message_is_rejected() {
    let net = FloeNet::start().await;
    let blob = new_blob(8, false);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    let mut certificate = net.certificate(QUORUM, permanent(EPOCH, new_blob(9, false).blob_id));
    certificate.message = permanent(EPOCH, blob.blob_id);
    assert_eq!(abort_of(net.certify(id, &certificate).await), at("bls_aggregate", 1));
}

#[tokio::test]
async fn a_bitmap_with_a_padding_bit_set_is_rejected() {
    let net = FloeNet::start().await;
    let blob = new_blob(10, false);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    let mut certificate = net.certificate(QUORUM, permanent(EPOCH, blob.blob_id));
    certificate.signers_bitmap[0] |= 1 << 4; // there is no member 4
    assert_eq!(abort_of(net.certify(id, &certificate).await), at("bls_aggregate", 0));
}

#[tokio::test]
async fn certifying_twice_is_rejected() {
    let net = FloeNet::start().await;
    let blob = new_blob(11, false);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    let certificate = net.certificate(QUORUM, permanent(EPOCH, blob.blob_id));
    net.certify(id, &certificate).await.unwrap();
    assert_eq!(abort_of(net.certify(id, &certificate).await), at("blob", 3));
}

#[tokio::test]
async fn a_permanent_certificate_does_not_certify_a_deletable_blob() {
    let net = FloeNet::start().await;
    let blob = new_blob(12, true);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    let result = net.certify(id, &net.certificate(QUORUM, permanent(EPOCH, blob.blob_id))).await;
    assert_eq!(abort_of(result), at("blob", 4));
}

#[tokio::test]
async fn a_deletable_certificate_for_another_object_is_rejected() {
    let net = FloeNet::start().await;
    let blob = new_blob(13, true);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    let message = deletable(EPOCH, blob.blob_id, Address::new([0xee; 32]));
    assert_eq!(abort_of(net.certify(id, &net.certificate(QUORUM, message)).await), at("blob", 5));
}

#[tokio::test]
async fn certificate_with_trailing_bytes_is_rejected() {
    let net = FloeNet::start().await;
    let blob = new_blob(14, false);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    let mut message = permanent(EPOCH, blob.blob_id);
    message.push(0);
    assert_eq!(abort_of(net.certify(id, &net.certificate(QUORUM, message)).await), at("messages", 5));
}

async fn invalidate(
    net: &FloeNet,
    signers: &[usize],
    message: Vec<u8>,
) -> Result<floe_chain::Executed, floe_chain::ExecuteError> {
    let certificate = net.certificate(signers, message);
    net.run(|tx| {
        net.calls.invalidate_blob_id(tx, &certificate);
    })
    .await
}

#[tokio::test]
async fn one_correct_node_can_invalidate_a_blob_id() {
    let net = FloeNet::start().await;
    let blob_id = new_blob(15, false).blob_id;
    // Weights 2 + 2 = 4 of 10: 12 >= 11.
    let executed = invalidate(&net, &[2, 3], InvalidBlobIdMessage { epoch: EPOCH, blob_id }.to_bytes()).await.unwrap();
    assert_eq!(net.events(&executed), vec![FloeEvent::InvalidBlobID(InvalidBlobID { epoch: EPOCH, blob_id })]);
}

#[tokio::test]
async fn fewer_than_one_correct_node_cannot_invalidate_a_blob_id() {
    let net = FloeNet::start().await;
    let blob_id = new_blob(16, false).blob_id;
    let result = invalidate(&net, &[3], InvalidBlobIdMessage { epoch: EPOCH, blob_id }.to_bytes()).await;
    assert_eq!(abort_of(result), at("bls_aggregate", 2));
}

#[tokio::test]
async fn a_storage_confirmation_does_not_invalidate_a_blob_id() {
    let net = FloeNet::start().await;
    let result = invalidate(&net, QUORUM, permanent(EPOCH, new_blob(17, false).blob_id)).await;
    assert_eq!(abort_of(result), at("messages", 3));
}
