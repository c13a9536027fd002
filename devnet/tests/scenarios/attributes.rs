//! Blob attributes: one dynamic field named `b"attributes"` holding a `VecMap<String, String>`.

use floe_chain::floe::blob::{ATTRIBUTES_FIELD_NAME, BlobAttributesField};
use floe_chain::floe::framework::VecMapEntry;
use floe_devnet::field_id;
use sui_sdk_types::{Address, TypeTag};
use sui_transaction_builder::{Argument, TransactionBuilder};

use super::floe_net::{ENCODED_SIZE, FloeNet, abort_of, at, new_blob};

fn field(blob: Address) -> Address {
    field_id(blob, &TypeTag::Vector(Box::new(TypeTag::U8)), &ATTRIBUTES_FIELD_NAME)
}

async fn attributes(net: &FloeNet, blob: Address) -> Vec<(String, String)> {
    let field: BlobAttributesField = net.read(field(blob)).await;
    field.value.contents.into_iter().map(|VecMapEntry { key, value }| (key, value)).collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Runs `build` on the blob `id` (as an input).
async fn on_blob(
    net: &FloeNet,
    id: Address,
    build: impl FnOnce(&mut TransactionBuilder, Argument),
) -> Result<floe_chain::Executed, floe_chain::ExecuteError> {
    let blob = net.owned(id).await;
    net.run(|tx| {
        let blob = tx.object(blob);
        build(tx, blob);
    })
    .await
}

#[tokio::test]
async fn attributes_can_be_set_updated_read_and_removed() {
    let net = FloeNet::start().await;
    let (_, id) = net.register(&new_blob(1, false), ENCODED_SIZE, 2).await.unwrap();
    on_blob(&net, id, |tx, blob| {
        net.calls.insert_or_update_attribute(tx, blob, "content-type", "text/plain");
        net.calls.insert_or_update_attribute(tx, blob, "name", "a.txt");
        net.calls.insert_or_update_attribute(tx, blob, "content-type", "text/html");
    })
    .await
    .unwrap();
    assert_eq!(attributes(&net, id).await, pairs(&[("content-type", "text/html"), ("name", "a.txt")]));

    on_blob(&net, id, |tx, blob| {
        net.calls.remove_attribute(tx, blob, "content-type");
        net.calls.remove_attribute_if_exists(tx, blob, "etag");
    })
    .await
    .unwrap();
    assert_eq!(attributes(&net, id).await, pairs(&[("name", "a.txt")]));

    let executed = on_blob(&net, id, |tx, blob| {
        net.calls.take_attributes(tx, blob);
    })
    .await
    .unwrap();
    assert!(executed.deleted().contains(&field(id)));
    assert!(net.client.get_object(field(id)).await.is_err());
}

#[tokio::test]
async fn removing_a_missing_attribute_is_rejected() {
    let net = FloeNet::start().await;
    let (_, id) = net.register(&new_blob(2, false), ENCODED_SIZE, 2).await.unwrap();
    let result = on_blob(&net, id, |tx, blob| {
        net.calls.insert_or_update_attribute(tx, blob, "name", "a.txt");
        net.calls.remove_attribute(tx, blob, "etag");
    })
    .await;
    assert_eq!(abort_of(result), at("blob", 10));
}

#[tokio::test]
async fn taking_attributes_of_a_blob_without_any_is_rejected() {
    let net = FloeNet::start().await;
    let (_, id) = net.register(&new_blob(3, false), ENCODED_SIZE, 2).await.unwrap();
    let result = on_blob(&net, id, |tx, blob| {
        net.calls.take_attributes(tx, blob);
    })
    .await;
    assert_eq!(abort_of(result), at("blob", 11));
}
