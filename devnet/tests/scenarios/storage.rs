//! Buying storage (prices, capacity, horizon), extending it, splitting and fusing it.

use floe_chain::floe::storage::Storage;
use sui_sdk_types::Address;
use sui_transaction_builder::{Argument, TransactionBuilder};

use super::floe_net::{CAPACITY, EPOCH, FloeNet, STORAGE_PRICE, abort_of, at, system_inner};

/// Reserves `size` bytes for `[start, end)` with WAL coin 0 and keeps the storage; returns its id.
async fn reserve(net: &FloeNet, size: u64, start: u32, end: u32) -> Address {
    let coin = net.owned(net.wal_coin(0)).await;
    let executed = net
        .run(|tx| {
            let payment = tx.object(coin);
            let storage = net.calls.reserve_space_for_epochs(tx, size, start, end, payment);
            net.keep(tx, vec![storage]);
        })
        .await
        .unwrap();
    net.created_of::<Storage>(&executed).await
}

/// Runs `build` on the storage objects `ids` (as inputs, in order).
async fn with_storages(
    net: &FloeNet,
    ids: &[Address],
    build: impl FnOnce(&mut TransactionBuilder, Vec<Argument>),
) -> Result<floe_chain::Executed, floe_chain::ExecuteError> {
    let mut inputs = Vec::new();
    for id in ids {
        inputs.push(net.owned(*id).await);
    }
    net.run(|tx| {
        let args = inputs.into_iter().map(|input| tx.object(input)).collect();
        build(tx, args);
    })
    .await
}

fn span(storage: &Storage) -> (u32, u32, u64) {
    (storage.start_epoch, storage.end_epoch, storage.storage_size)
}

#[tokio::test]
async fn reserve_space_charges_each_epoch_and_books_the_capacity() {
    let net = FloeNet::start().await;
    let before = net.wal_value(net.wal_coin(0)).await;
    let size = (2 << 20) + 1; // 3 units
    let id = reserve(&net, size, EPOCH, EPOCH + 3).await;
    assert_eq!(net.wal_value(net.wal_coin(0)).await, before - 3 * 3 * STORAGE_PRICE);
    assert_eq!(span(&net.read(id).await), (EPOCH, EPOCH + 3, size));
    let inner = system_inner(&net).await;
    assert_eq!(inner.used_capacity_size, size);
    let ring = &inner.future_accounting.ring_buffer;
    for (entry, expected) in ring.iter().zip([size, size, size, 0]) {
        assert_eq!(entry.used_capacity, expected, "epoch {}", entry.epoch);
    }
    assert_eq!(ring[2].rewards_to_distribute, 3 * STORAGE_PRICE);
}

#[tokio::test]
async fn reserve_space_for_later_epochs_leaves_the_current_epoch_free() {
    let net = FloeNet::start().await;
    reserve(&net, 1000, EPOCH + 2, EPOCH + 4).await;
    let inner = system_inner(&net).await;
    assert_eq!(inner.used_capacity_size, 0);
    assert_eq!(inner.future_accounting.ring_buffer[2].used_capacity, 1000);
}

#[tokio::test]
async fn reserving_more_than_the_capacity_is_rejected() {
    let net = FloeNet::start().await;
    let coin = net.owned(net.wal_coin(0)).await;
    let result = net
        .run(|tx| {
            let payment = tx.object(coin);
            let storage = net.calls.reserve_space(tx, CAPACITY + 1, 1, payment);
            net.keep(tx, vec![storage]);
        })
        .await;
    assert_eq!(abort_of(result), at("system_state_inner", 1));
}

#[tokio::test]
async fn reserving_without_enough_wal_is_rejected() {
    let net = FloeNet::start().await;
    let coin = net.owned(net.wal_coin(0)).await;
    let result = net
        .run(|tx| {
            let wal = tx.object(coin);
            let amount = tx.pure(&(2 * STORAGE_PRICE - 1));
            let payment = tx.split_coins(wal, vec![amount])[0];
            let storage = net.calls.reserve_space(tx, 1, 2, payment);
            net.keep(tx, vec![storage, payment]);
        })
        .await;
    assert_eq!(abort_of(result), at("system_state_inner", 2));
}

#[tokio::test]
async fn reserving_beyond_max_epochs_ahead_is_rejected() {
    let net = FloeNet::start().await;
    let coin = net.owned(net.wal_coin(0)).await;
    let result = net
        .run(|tx| {
            let payment = tx.object(coin);
            let storage = net.calls.reserve_space(tx, 1000, 6, payment);
            net.keep(tx, vec![storage]);
        })
        .await;
    assert_eq!(abort_of(result), at("system_state_inner", 0));
}

#[tokio::test]
async fn reserving_zero_bytes_is_rejected() {
    let net = FloeNet::start().await;
    let coin = net.owned(net.wal_coin(0)).await;
    let result = net
        .run(|tx| {
            let payment = tx.object(coin);
            let storage = net.calls.reserve_space(tx, 0, 1, payment);
            net.keep(tx, vec![storage]);
        })
        .await;
    assert_eq!(abort_of(result), at("system_state_inner", 4));
}

#[tokio::test]
async fn extend_storage_buys_the_epochs_after_its_end() {
    let net = FloeNet::start().await;
    let id = reserve(&net, 1000, EPOCH, EPOCH + 2).await;
    let before = net.wal_value(net.wal_coin(1)).await;
    let (storage, coin) = (net.owned(id).await, net.owned(net.wal_coin(1)).await);
    net.run(|tx| {
        let (storage, payment) = (tx.object(storage), tx.object(coin));
        net.calls.extend_storage(tx, storage, 2, payment);
    })
    .await
    .unwrap();
    assert_eq!(span(&net.read(id).await), (EPOCH, EPOCH + 4, 1000));
    assert_eq!(net.wal_value(net.wal_coin(1)).await, before - 2 * STORAGE_PRICE);
}

#[tokio::test]
async fn split_by_epoch_keeps_the_front_and_returns_the_back() {
    let net = FloeNet::start().await;
    let id = reserve(&net, 1000, EPOCH, EPOCH + 4).await;
    let executed = with_storages(&net, &[id], |tx, s| {
        let back = net.calls.split_storage_by_epoch(tx, s[0], EPOCH + 1);
        net.keep(tx, vec![back]);
    })
    .await
    .unwrap();
    let back = net.created_of::<Storage>(&executed).await;
    assert_eq!(span(&net.read(id).await), (EPOCH, EPOCH + 1, 1000));
    assert_eq!(span(&net.read(back).await), (EPOCH + 1, EPOCH + 4, 1000));
}

#[tokio::test]
async fn split_at_the_start_epoch_is_rejected() {
    let net = FloeNet::start().await;
    let id = reserve(&net, 1000, EPOCH, EPOCH + 4).await;
    let result = with_storages(&net, &[id], |tx, s| {
        let back = net.calls.split_storage_by_epoch(tx, s[0], EPOCH);
        net.keep(tx, vec![back]);
    })
    .await;
    assert_eq!(abort_of(result), at("storage_resource", 0));
}

#[tokio::test]
async fn split_of_the_whole_size_is_rejected() {
    let net = FloeNet::start().await;
    let id = reserve(&net, 1000, EPOCH, EPOCH + 2).await;
    let result = with_storages(&net, &[id], |tx, s| {
        let part = net.calls.split_storage_by_size(tx, s[0], 1000);
        net.keep(tx, vec![part]);
    })
    .await;
    assert_eq!(abort_of(result), at("storage_resource", 1));
}

#[tokio::test]
async fn adjacent_periods_fuse_in_either_order() {
    let net = FloeNet::start().await;
    let id = reserve(&net, 1000, EPOCH, EPOCH + 4).await;
    // Split and fuse back with the back in front: the later half absorbs the earlier one.
    let executed = with_storages(&net, &[id], |tx, s| {
        let back = net.calls.split_storage_by_epoch(tx, s[0], EPOCH + 2);
        net.calls.fuse_storage_periods(tx, back, s[0]);
        net.keep(tx, vec![back]);
    })
    .await
    .unwrap();
    let back = net.created_of::<Storage>(&executed).await;
    assert_eq!(span(&net.read(back).await), (EPOCH, EPOCH + 4, 1000));
    assert!(executed.deleted().contains(&id));
}

#[tokio::test]
async fn equal_periods_fuse_by_adding_sizes() {
    let net = FloeNet::start().await;
    let id = reserve(&net, 1000, EPOCH, EPOCH + 2).await;
    let executed = with_storages(&net, &[id], |tx, s| {
        let part = net.calls.split_storage_by_size(tx, s[0], 400);
        net.calls.fuse_storage(tx, s[0], part);
    })
    .await
    .unwrap();
    assert_eq!(span(&net.read(id).await), (EPOCH, EPOCH + 2, 1000));
    assert!(executed.created().is_empty(), "the split-off part was fused away within the transaction");
}

#[tokio::test]
async fn periods_with_a_gap_do_not_fuse() {
    let net = FloeNet::start().await;
    let first = reserve(&net, 1000, EPOCH, EPOCH + 1).await;
    let second = reserve(&net, 1000, EPOCH + 2, EPOCH + 3).await;
    let result = with_storages(&net, &[first, second], |tx, s| net.calls.fuse_storage_periods(tx, s[0], s[1])).await;
    assert_eq!(abort_of(result), at("storage_resource", 2));
}

#[tokio::test]
async fn periods_of_different_sizes_do_not_fuse() {
    let net = FloeNet::start().await;
    let first = reserve(&net, 1000, EPOCH, EPOCH + 1).await;
    let second = reserve(&net, 999, EPOCH + 1, EPOCH + 2).await;
    let result = with_storages(&net, &[first, second], |tx, s| net.calls.fuse_storage(tx, s[0], s[1])).await;
    assert_eq!(abort_of(result), at("storage_resource", 3));
}

#[tokio::test]
async fn destroyed_storage_is_deleted() {
    let net = FloeNet::start().await;
    let id = reserve(&net, 1000, EPOCH, EPOCH + 1).await;
    let executed = with_storages(&net, &[id], |tx, s| net.calls.destroy_storage(tx, s[0])).await.unwrap();
    assert!(executed.deleted().contains(&id));
}
