//! Registering, extending, deleting and burning blobs.

use floe_chain::floe::FloeEvent;
use floe_chain::floe::blob::Blob;
use floe_chain::floe::events::{BlobCertified, BlobDeleted, BlobRegistered};
use floe_chain::floe::storage::Storage;
use floe_encoder::messages::{BlobPersistence, StorageConfirmation};
use sui_sdk_types::Address;

use super::floe_net::{
    BLOB_SIZE, ENCODED_SIZE, EPOCH, FloeNet, STORAGE_PRICE, WRITE_PRICE, abort_of, at, expired_blob, new_blob,
    system_inner,
};

/// Registers a permanent blob for 2 epochs and certifies it; returns its id.
async fn certified_blob(net: &FloeNet, seed: u8) -> Address {
    let blob = new_blob(seed, false);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    let message = StorageConfirmation { epoch: EPOCH, blob_id: blob.blob_id, persistence: BlobPersistence::Permanent };
    net.certify(id, &net.certificate(&[0, 1, 2], message.to_bytes())).await.unwrap();
    id
}

#[tokio::test]
async fn register_checks_the_id_charges_the_write_fee_and_emits_blob_registered() {
    let net = FloeNet::start().await;
    let blob = new_blob(1, false);
    let before = net.wal_value(net.wal_coin(0)).await;
    let (executed, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    // One 1 MiB unit: the storage price for each of 2 epochs, then the write price once.
    assert_eq!(net.wal_value(net.wal_coin(0)).await, before - 2 * STORAGE_PRICE - WRITE_PRICE);
    let registered = BlobRegistered {
        epoch: EPOCH,
        blob_id: blob.blob_id,
        size: BLOB_SIZE,
        encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
        end_epoch: EPOCH + 2,
        deletable: false,
        object_id: id,
    };
    assert_eq!(net.events(&executed), vec![FloeEvent::BlobRegistered(registered)]);
    let stored: Blob = net.read(id).await;
    assert_eq!((stored.registered_epoch, stored.blob_id, stored.certified_epoch), (EPOCH, blob.blob_id, None));
    assert_eq!(
        (stored.storage.start_epoch, stored.storage.end_epoch, stored.storage.storage_size),
        (EPOCH, EPOCH + 2, ENCODED_SIZE)
    );
    // The storage was wrapped into the blob: it is no object of its own any more.
    assert!(net.client.get_object(stored.storage.id).await.is_err());
    let inner = system_inner(&net).await;
    assert_eq!(inner.used_capacity_size, ENCODED_SIZE);
    let ring = &inner.future_accounting.ring_buffer;
    assert_eq!(
        (ring[0].rewards_to_distribute, ring[1].rewards_to_distribute),
        (STORAGE_PRICE + WRITE_PRICE, STORAGE_PRICE)
    );
    assert_eq!((ring[0].used_capacity, ring[1].used_capacity, ring[2].used_capacity), (ENCODED_SIZE, ENCODED_SIZE, 0));
}

#[tokio::test]
async fn register_with_a_wrong_blob_id_is_rejected() {
    let net = FloeNet::start().await;
    let mut blob = new_blob(2, false);
    blob.blob_id = new_blob(3, false).blob_id;
    assert_eq!(abort_of(net.register(&blob, ENCODED_SIZE, 2).await), at("blob", 2));
}

#[tokio::test]
async fn register_on_too_little_storage_is_rejected() {
    let net = FloeNet::start().await;
    assert_eq!(abort_of(net.register(&new_blob(4, false), ENCODED_SIZE - 1, 2).await), at("blob", 1));
}

#[tokio::test]
async fn register_with_another_encoding_type_is_rejected() {
    let net = FloeNet::start().await;
    let mut blob = new_blob(5, false);
    blob.encoding_type = 0;
    assert_eq!(abort_of(net.register(&blob, ENCODED_SIZE, 2).await), at("encoding", 0));
}

#[tokio::test]
async fn register_without_the_write_fee_is_rejected() {
    let net = FloeNet::start().await;
    let coin = net.owned(net.wal_coin(0)).await;
    let blob = new_blob(6, false);
    let result = net
        .run(|tx| {
            let wal = tx.object(coin);
            // Exactly the storage price: nothing is left for the write fee.
            let amount = tx.pure(&(2 * STORAGE_PRICE));
            let payment = tx.split_coins(wal, vec![amount])[0];
            let storage = net.calls.reserve_space(tx, ENCODED_SIZE, 2, payment);
            let registered = net.calls.register_blob(tx, storage, &blob, payment);
            net.keep(tx, vec![registered, payment]);
        })
        .await;
    assert_eq!(abort_of(result), at("system_state_inner", 2));
}

#[tokio::test]
async fn extending_by_epochs_charges_the_storage_price() {
    let net = FloeNet::start().await;
    let id = certified_blob(&net, 7).await;
    let before = net.wal_value(net.wal_coin(1)).await;
    let (blob, coin) = (net.owned(id).await, net.owned(net.wal_coin(1)).await);
    let executed = net
        .run(|tx| {
            let (blob, payment) = (tx.object(blob), tx.object(coin));
            net.calls.extend_blob(tx, blob, 3, payment);
        })
        .await
        .unwrap();
    assert_eq!(net.wal_value(net.wal_coin(1)).await, before - 3 * STORAGE_PRICE);
    let stored: Blob = net.read(id).await;
    assert_eq!((stored.storage.start_epoch, stored.storage.end_epoch), (EPOCH, EPOCH + 5));
    let extended = BlobCertified {
        epoch: EPOCH,
        blob_id: stored.blob_id,
        end_epoch: EPOCH + 5,
        deletable: false,
        object_id: id,
        is_extension: true,
    };
    assert_eq!(net.events(&executed), vec![FloeEvent::BlobCertified(extended)]);
    // Beyond the horizon: [EPOCH + 5, EPOCH + 6) is more than 5 epochs ahead.
    let (blob, coin) = (net.owned(id).await, net.owned(net.wal_coin(1)).await);
    let result = net
        .run(|tx| {
            let (blob, payment) = (tx.object(blob), tx.object(coin));
            net.calls.extend_blob(tx, blob, 1, payment);
        })
        .await;
    assert_eq!(abort_of(result), at("system_state_inner", 0));
}

#[tokio::test]
async fn extending_with_a_resource_moves_the_end_epoch_and_emits_an_extension() {
    let net = FloeNet::start().await;
    let id = certified_blob(&net, 8).await;
    let (blob, coin) = (net.owned(id).await, net.owned(net.wal_coin(1)).await);
    let executed = net
        .run(|tx| {
            let (blob, payment) = (tx.object(blob), tx.object(coin));
            let extension = net.calls.reserve_space_for_epochs(tx, ENCODED_SIZE, EPOCH + 2, EPOCH + 4, payment);
            net.calls.extend_blob_with_resource(tx, blob, extension);
        })
        .await
        .unwrap();
    assert!(
        matches!(&net.events(&executed)[..], [FloeEvent::BlobCertified(c)] if c.is_extension && c.end_epoch == EPOCH + 4)
    );
    assert_eq!(net.read::<Blob>(id).await.storage.end_epoch, EPOCH + 4);
}

#[tokio::test]
async fn an_extension_with_a_gap_is_rejected() {
    let net = FloeNet::start().await;
    let id = certified_blob(&net, 9).await;
    let (blob, coin) = (net.owned(id).await, net.owned(net.wal_coin(1)).await);
    let result = net
        .run(|tx| {
            let (blob, payment) = (tx.object(blob), tx.object(coin));
            let extension = net.calls.reserve_space_for_epochs(tx, ENCODED_SIZE, EPOCH + 3, EPOCH + 4, payment);
            net.calls.extend_blob_with_resource(tx, blob, extension);
        })
        .await;
    assert_eq!(abort_of(result), at("blob", 9));
}

#[tokio::test]
async fn an_uncertified_blob_cannot_be_extended() {
    let net = FloeNet::start().await;
    let (_, id) = net.register(&new_blob(10, false), ENCODED_SIZE, 2).await.unwrap();
    let (blob, coin) = (net.owned(id).await, net.owned(net.wal_coin(1)).await);
    let result = net
        .run(|tx| {
            let (blob, payment) = (tx.object(blob), tx.object(coin));
            net.calls.extend_blob(tx, blob, 1, payment);
        })
        .await;
    assert_eq!(abort_of(result), at("blob", 7));
}

#[tokio::test]
async fn deleting_a_deletable_blob_returns_its_storage_and_emits_blob_deleted() {
    let net = FloeNet::start().await;
    let blob = new_blob(11, true);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 3).await.unwrap();
    let storage_id = net.read::<Blob>(id).await.storage.id;
    let object = net.owned(id).await;
    let executed = net
        .run(|tx| {
            let blob = tx.object(object);
            net.calls.insert_or_update_attribute(tx, blob, "content-type", "text/plain");
            let storage = net.calls.delete_blob(tx, blob);
            net.keep(tx, vec![storage]);
        })
        .await
        .unwrap();
    let deleted =
        BlobDeleted { epoch: EPOCH, blob_id: blob.blob_id, end_epoch: EPOCH + 3, object_id: id, was_certified: false };
    assert_eq!(net.events(&executed), vec![FloeEvent::BlobDeleted(deleted)]);
    assert!(executed.deleted().contains(&id));
    assert!(net.client.get_object(id).await.is_err());
    // The storage comes back under its old id, owned by alice, reusable.
    let storage: Storage = net.read(storage_id).await;
    assert_eq!((storage.start_epoch, storage.end_epoch, storage.storage_size), (EPOCH, EPOCH + 3, ENCODED_SIZE));
    let blob = new_blob(12, true);
    let (storage, coin) = (net.owned(storage_id).await, net.owned(net.wal_coin(1)).await);
    net.run(|tx| {
        let (storage, payment) = (tx.object(storage), tx.object(coin));
        let registered = net.calls.register_blob(tx, storage, &blob, payment);
        net.keep(tx, vec![registered]);
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_permanent_blob_cannot_be_deleted() {
    let net = FloeNet::start().await;
    let (_, id) = net.register(&new_blob(13, false), ENCODED_SIZE, 2).await.unwrap();
    let object = net.owned(id).await;
    let result = net
        .run(|tx| {
            let blob = tx.object(object);
            let storage = net.calls.delete_blob(tx, blob);
            net.keep(tx, vec![storage]);
        })
        .await;
    assert_eq!(abort_of(result), at("blob", 6));
}

#[tokio::test]
async fn an_expired_blob_can_be_burned() {
    let mut expired = Address::ZERO;
    let net = FloeNet::start_with(|alice| {
        let (id, object) = expired_blob(alice, 0x41, false);
        expired = id;
        vec![object]
    })
    .await;
    let object = net.owned(expired).await;
    let executed = net
        .run(|tx| {
            let blob = tx.object(object);
            net.calls.burn_expired_blob(tx, blob);
        })
        .await
        .unwrap();
    assert!(net.events(&executed).is_empty());
    assert!(executed.deleted().contains(&expired));
}

#[tokio::test]
async fn burn_expired_refuses_a_live_blob() {
    let net = FloeNet::start().await;
    let (_, id) = net.register(&new_blob(14, false), ENCODED_SIZE, 1).await.unwrap();
    let object = net.owned(id).await;
    let result = net
        .run(|tx| {
            let blob = tx.object(object);
            net.calls.burn_expired_blob(tx, blob);
        })
        .await;
    assert_eq!(abort_of(result), at("blob", 8));
}

#[tokio::test]
async fn a_live_blob_can_be_burned_at_any_time_with_its_attributes() {
    let net = FloeNet::start().await;
    let id = certified_blob(&net, 15).await;
    let object = net.owned(id).await;
    let executed = net
        .run(|tx| {
            let blob = tx.object(object);
            net.calls.insert_or_update_attribute(tx, blob, "k", "v");
            net.calls.burn_blob(tx, blob);
        })
        .await
        .unwrap();
    // No refund and no event: the nodes keep the data until its end epoch.
    assert!(net.events(&executed).is_empty());
    assert!(executed.deleted().contains(&id));
    assert!(net.client.get_object(id).await.is_err());
}

#[tokio::test]
async fn an_uncertified_deletable_blob_can_be_burned() {
    let net = FloeNet::start().await;
    let (_, id) = net.register(&new_blob(16, true), ENCODED_SIZE, 3).await.unwrap();
    let object = net.owned(id).await;
    let executed = net
        .run(|tx| {
            let blob = tx.object(object);
            net.calls.burn_blob(tx, blob);
        })
        .await
        .unwrap();
    assert!(net.events(&executed).is_empty());
    assert!(executed.deleted().contains(&id));
}

#[tokio::test]
async fn an_expired_blob_cannot_be_deleted() {
    let mut expired = Address::ZERO;
    let net = FloeNet::start_with(|alice| {
        let (id, object) = expired_blob(alice, 0x42, true);
        expired = id;
        vec![object]
    })
    .await;
    let object = net.owned(expired).await;
    let result = net
        .run(|tx| {
            let blob = tx.object(object);
            let storage = net.calls.delete_blob(tx, blob);
            net.keep(tx, vec![storage]);
        })
        .await;
    assert_eq!(abort_of(result), at("blob", 0));
}

#[tokio::test]
async fn an_expired_blob_cannot_be_extended() {
    let mut expired = Address::ZERO;
    let net = FloeNet::start_with(|alice| {
        let (id, object) = expired_blob(alice, 0x43, false);
        expired = id;
        vec![object]
    })
    .await;
    let (blob, coin) = (net.owned(expired).await, net.owned(net.wal_coin(0)).await);
    let result = net
        .run(|tx| {
            let (blob, payment) = (tx.object(blob), tx.object(coin));
            net.calls.extend_blob(tx, blob, 1, payment);
        })
        .await;
    assert_eq!(abort_of(result), at("blob", 0));
}
