//! Shared blobs: sharing a certified blob, funding it, extending it from its funds.

use floe_chain::floe::events::{BlobCertified, BlobShared};
use floe_chain::floe::shared_blob::SharedBlob;
use floe_chain::floe::{FloeEvent, SharedObject};
use floe_encoder::messages::{BlobPersistence, StorageConfirmation};
use sui_sdk_types::Address;

use super::floe_net::{ENCODED_SIZE, EPOCH, FloeNet, STORAGE_PRICE, abort_of, at, new_blob};

/// Registers a permanent blob for 2 epochs, certified if asked; returns its object id.
async fn blob(net: &FloeNet, seed: u8, certified: bool) -> Address {
    let blob = new_blob(seed, false);
    let (_, id) = net.register(&blob, ENCODED_SIZE, 2).await.unwrap();
    if certified {
        let message =
            StorageConfirmation { epoch: EPOCH, blob_id: blob.blob_id, persistence: BlobPersistence::Permanent };
        net.certify(id, &net.certificate(&[0, 1, 2], message.to_bytes())).await.unwrap();
    }
    id
}

/// Shares blob `id` with `funds` FROST split off WAL coin 1 (none: `new`); returns the
/// transaction's events and the SharedBlob as a shared input.
async fn share(net: &FloeNet, id: Address, funds: u64) -> (Vec<FloeEvent>, SharedObject) {
    let (blob, coin) = (net.owned(id).await, net.owned(net.wal_coin(1)).await);
    let executed = net
        .run(|tx| {
            let blob = tx.object(blob);
            if funds == 0 {
                net.calls.share_blob(tx, blob);
            } else {
                let wal = tx.object(coin);
                let amount = tx.pure(&funds);
                let payment = tx.split_coins(wal, vec![amount])[0];
                net.calls.share_blob_funded(tx, blob, payment);
            }
        })
        .await
        .unwrap();
    let shared_id = net.created_of::<SharedBlob>(&executed).await;
    let object = net.client.get_object(shared_id).await.unwrap();
    (net.events(&executed), SharedObject::from_object(&object).unwrap())
}

#[tokio::test]
async fn new_funded_shares_the_blob_with_the_coin_as_funds() {
    let net = FloeNet::start().await;
    let id = blob(&net, 40, true).await;
    let (events, shared) = share(&net, id, 500).await;
    let stored: SharedBlob = net.read(shared.id).await;
    assert_eq!((stored.id, stored.blob.id, stored.funds), (shared.id, id, 500));
    let expected = BlobShared {
        object_id: shared.id,
        blob_object_id: id,
        blob_id: stored.blob.blob_id,
        end_epoch: EPOCH + 2,
        funds: 500,
    };
    assert_eq!(events, vec![FloeEvent::BlobShared(expected)]);
    // The blob is wrapped: no object of its own any more.
    assert!(net.client.get_object(id).await.is_err());
}

#[tokio::test]
async fn an_uncertified_blob_cannot_be_shared() {
    let net = FloeNet::start().await;
    let id = blob(&net, 41, false).await;
    let input = net.owned(id).await;
    let result = net
        .run(|tx| {
            let blob = tx.object(input);
            net.calls.share_blob(tx, blob);
        })
        .await;
    assert_eq!(abort_of(result), at("shared_blob", 1));
}

#[tokio::test]
async fn anyone_can_extend_paying_from_the_funds_with_the_owned_blob_events() {
    let net = FloeNet::start().await;
    let id = blob(&net, 42, true).await;
    let (_, shared) = share(&net, id, 10).await;
    // Fund it some more (anyone may): 10 + 25 FROST.
    let coin = net.owned(net.wal_coin(1)).await;
    net.run(|tx| {
        let wal = tx.object(coin);
        let amount = tx.pure(&25u64);
        let payment = tx.split_coins(wal, vec![amount])[0];
        net.calls.fund_shared_blob(tx, &shared, payment);
    })
    .await
    .unwrap();
    assert_eq!(net.read::<SharedBlob>(shared.id).await.funds, 35);
    let wal_before = net.wal_value(net.wal_coin(1)).await;
    let executed = net.run(|tx| net.calls.extend_shared_blob(tx, &shared, 3)).await.unwrap();
    let stored: SharedBlob = net.read(shared.id).await;
    assert_eq!(stored.funds, 35 - 3 * STORAGE_PRICE);
    assert_eq!(net.wal_value(net.wal_coin(1)).await, wal_before, "the caller's WAL is not touched");
    assert_eq!((stored.blob.storage.start_epoch, stored.blob.storage.end_epoch), (EPOCH, EPOCH + 5));
    // Exactly the event an owned blob's extension emits, so nodes and indexers follow it.
    let extended = BlobCertified {
        epoch: EPOCH,
        blob_id: stored.blob.blob_id,
        end_epoch: EPOCH + 5,
        deletable: false,
        object_id: id,
        is_extension: true,
    };
    assert_eq!(net.events(&executed), vec![FloeEvent::BlobCertified(extended)]);
}

#[tokio::test]
async fn extending_beyond_the_funds_is_rejected() {
    let net = FloeNet::start().await;
    let id = blob(&net, 43, true).await;
    let (_, shared) = share(&net, id, 2 * STORAGE_PRICE - 1).await;
    let result = net.run(|tx| net.calls.extend_shared_blob(tx, &shared, 2)).await;
    assert_eq!(abort_of(result), at("shared_blob", 0));
    assert_eq!(net.read::<SharedBlob>(shared.id).await.funds, 2 * STORAGE_PRICE - 1);
}

#[tokio::test]
async fn funding_with_an_empty_coin_is_rejected() {
    let net = FloeNet::start().await;
    let id = blob(&net, 44, true).await;
    let (_, shared) = share(&net, id, 0).await;
    let coin = net.owned(net.wal_coin(1)).await;
    let result = net
        .run(|tx| {
            let wal = tx.object(coin);
            let amount = tx.pure(&0u64);
            let payment = tx.split_coins(wal, vec![amount])[0];
            net.calls.fund_shared_blob(tx, &shared, payment);
        })
        .await;
    assert_eq!(abort_of(result), at("shared_blob", 2));
}
