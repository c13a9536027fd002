//! Objects and events carry the `json` rendering a Sui full node gives when the read mask asks
//! for it: a Blob and its `BlobRegistered` event field by field against floe's Rust mirrors, the
//! system's inner state behind its dynamic field, and every object genesis creates (each must
//! render, which means its bytes read through its type's layout to the last byte).

#[path = "staking/net.rs"]
#[allow(dead_code)]
mod net;

use floe_chain::floe::blob::Blob;
use floe_chain::floe::calls::NewBlob;
use floe_chain::floe::{FloeEvent, MoveType};
use floe_encoder::merkle::Node;
use floe_encoder::{BlobId, EncodingType};
use net::StakedNet;
use prost_types::value::Kind;
use serde_json::json;
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::Address;

fn mask(paths: &[&str]) -> prost_types::FieldMask {
    prost_types::FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() }
}

/// A protobuf `Value` as JSON; numbers must be whole u32s (Move's numbers past u32 are strings).
fn plain(value: &prost_types::Value) -> serde_json::Value {
    match &value.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => (*b).into(),
        Some(Kind::NumberValue(n)) => {
            assert!(n.fract() == 0.0 && *n >= 0.0 && *n <= f64::from(u32::MAX), "{n}");
            (*n as u32).into()
        }
        Some(Kind::StringValue(s)) => s.clone().into(),
        Some(Kind::ListValue(l)) => l.values.iter().map(plain).collect(),
        Some(Kind::StructValue(s)) => s.fields.iter().map(|(k, v)| (k.clone(), plain(v))).collect(),
    }
}

/// A little-endian 256-bit number in decimal, by schoolbook base-256 to base-10 conversion.
fn decimal(le_bytes: &[u8; 32]) -> String {
    let mut digits = vec![0u32]; // least significant first
    for byte in le_bytes.iter().rev() {
        let mut carry = u32::from(*byte);
        for d in digits.iter_mut() {
            let v = *d * 256 + carry;
            *d = v % 10;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push(carry % 10);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from_digit(*d, 10).unwrap()).collect()
}

async fn register_blob(net: &StakedNet) -> (Address, floe_chain::Executed) {
    let root_hash = [5; 32];
    let blob = NewBlob {
        blob_id: BlobId::derive(EncodingType::RS2, 2048, &Node::Digest(root_hash)),
        root_hash,
        size: 2048,
        encoding_type: EncodingType::RS2.as_u8(),
        deletable: true,
    };
    let wal = net.owned(net.wal_coin(0)).await;
    let executed = net
        .run_as(&net.alice, |tx| {
            let payment = tx.object(wal);
            let storage = net.calls.reserve_space(tx, 1_048_576, 2, payment);
            let registered = net.calls.register_blob(tx, storage, &blob, payment);
            StakedNet::keep(tx, vec![registered], net.alice.address());
        })
        .await
        .unwrap();
    (net.created_of::<Blob>(&executed).await, executed)
}

#[tokio::test]
async fn a_blob_and_its_event_render_as_a_full_node_renders_them() {
    let net = StakedNet::start(10).await;
    let (blob_id, registration) = register_blob(&net).await;
    let digest = registration.digest;
    let blob: Blob = net.read(blob_id).await;

    let mut request = proto::GetObjectRequest::new(&blob_id);
    request.read_mask = Some(mask(&["object_id", "json"]));
    let object = net.client.rpc().ledger_client().get_object(request).await.unwrap().into_inner().object.unwrap();
    let expected = json!({
        "id": blob_id.to_string(),
        "registered_epoch": blob.registered_epoch,
        "blob_id": decimal(&blob.blob_id.0),
        "size": "2048",
        "encoding_type": 1,
        "certified_epoch": null,
        "storage": {
            "id": blob.storage.id.to_string(),
            "start_epoch": blob.storage.start_epoch,
            "end_epoch": blob.storage.end_epoch,
            "storage_size": blob.storage.storage_size.to_string(),
        },
        "deletable": true,
    });
    assert_eq!(plain(object.json.as_deref().expect("json was asked for")), expected);

    // Without `json` in the mask there is none.
    let mut request = proto::GetObjectRequest::new(&blob_id);
    request.read_mask = Some(mask(&["object_id", "bcs"]));
    let object = net.client.rpc().ledger_client().get_object(request).await.unwrap().into_inner().object.unwrap();
    assert!(object.json.is_none());

    // The same through ListOwnedObjects and BatchGetObjects.
    let mut request = proto::ListOwnedObjectsRequest::default();
    request.owner = Some(net.alice.address().to_string());
    request.object_type = Some(Blob::struct_tag(&net.packages).to_string());
    request.read_mask = Some(mask(&["object_id", "json"]));
    let owned = net.client.rpc().state_client().list_owned_objects(request).await.unwrap().into_inner();
    assert_eq!(owned.objects.len(), 1);
    assert_eq!(plain(owned.objects[0].json.as_deref().unwrap()), expected);
    let mut request = proto::BatchGetObjectsRequest::default();
    request.requests = vec![proto::GetObjectRequest::new(&blob_id), proto::GetObjectRequest::new(&net.wal_coin(1))];
    request.read_mask = Some(mask(&["json"]));
    let batch = net.client.rpc().ledger_client().batch_get_objects(request).await.unwrap().into_inner();
    let rendered: Vec<serde_json::Value> = batch
        .objects
        .iter()
        .map(|r| match &r.result {
            Some(proto::get_object_result::Result::Object(o)) => plain(o.json.as_deref().unwrap()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(rendered[0], expected);
    assert_eq!(rendered[1], json!({"id": net.wal_coin(1).to_string(), "balance": net::WAL_COIN.to_string()}));

    // The registration's event, in the transaction and in its checkpoint.
    let mut request = proto::GetTransactionRequest::default();
    request.digest = Some(digest.to_string());
    request.read_mask = Some(mask(&["events.events.event_type", "events.events.json", "checkpoint"]));
    let executed = net.client.rpc().ledger_client().get_transaction(request).await.unwrap().into_inner();
    let executed = executed.transaction.unwrap();
    let events = &executed.events.as_ref().unwrap().events;
    let registered = events.iter().find(|e| e.event_type.as_deref().unwrap().ends_with("::events::BlobRegistered"));
    let registered = registered.expect("a BlobRegistered event");
    let decoded = net
        .events(&registration)
        .into_iter()
        .find_map(|e| match e {
            FloeEvent::BlobRegistered(r) => Some(r),
            _ => None,
        })
        .unwrap();
    let expected_event = json!({
        "epoch": decoded.epoch,
        "blob_id": decimal(&decoded.blob_id.0),
        "size": "2048",
        "encoding_type": 1,
        "end_epoch": decoded.end_epoch,
        "deletable": true,
        "object_id": blob_id.to_string(),
    });
    assert_eq!(plain(registered.json.as_deref().unwrap()), expected_event);
    assert!(events.iter().all(|e| e.json.is_some()), "every event renders");

    let mut request = proto::GetCheckpointRequest::by_sequence_number(executed.checkpoint.unwrap());
    request.read_mask = Some(mask(&["transactions.digest", "transactions.events.events.json"]));
    let checkpoint = net.client.rpc().ledger_client().get_checkpoint(request).await.unwrap().into_inner();
    let transaction =
        checkpoint.checkpoint.unwrap().transactions.into_iter().find(|t| t.digest == Some(digest.to_string()));
    let in_checkpoint = transaction.unwrap().events.unwrap().events;
    assert!(in_checkpoint.iter().any(|e| e.json.as_deref().map(plain) == Some(expected_event.clone())));
    net.stop().await;
}

#[tokio::test]
async fn every_genesis_object_renders_to_its_last_byte() {
    let net = StakedNet::start(10).await;
    let mut request = proto::GetCheckpointRequest::by_sequence_number(0);
    request.read_mask =
        Some(mask(&["objects.objects.object_id", "objects.objects.object_type", "objects.objects.json"]));
    let checkpoint = net.client.rpc().ledger_client().get_checkpoint(request).await.unwrap().into_inner();
    let objects = checkpoint.checkpoint.unwrap().objects.unwrap().objects;
    let mut types: Vec<&str> = objects.iter().filter_map(|o| o.object_type.as_deref()).collect();
    types.sort_unstable();
    types.dedup();
    // Coins, the Clock, Random and its inner field, WAL's treasury, floe's system and staking
    // objects with their inner states behind dynamic fields, and the packages.
    for expected in [
        "::coin::Coin<",
        "::clock::Clock",
        "::random::RandomInner>",
        "::wal::ProtectedTreasury",
        "::system::System",
        "::staking_inner::StakingInnerV1>",
        "::system_state_inner::SystemStateInnerV1>",
    ] {
        assert!(types.iter().any(|t| t.contains(expected)), "genesis has no {expected}: {types:?}");
    }
    for object in &objects {
        let ty = object.object_type.as_deref().unwrap();
        if ty == "package" {
            assert!(object.json.is_none());
        } else {
            assert!(object.json.is_some(), "{ty} {} did not render", object.object_id.as_deref().unwrap());
        }
    }

    // The system's inner state, behind its dynamic field: committee and epoch as numbers, the
    // committee's members with their shards.
    let system = net.genesis.floe.system.id;
    let field = floe_devnet::field_id(system, &sui_sdk_types::TypeTag::U64, &1u64);
    let mut request = proto::GetObjectRequest::new(&field);
    request.read_mask = Some(mask(&["json"]));
    let object = net.client.rpc().ledger_client().get_object(request).await.unwrap().into_inner().object.unwrap();
    let rendered = plain(object.json.as_deref().unwrap());
    let inner = net.system().await;
    assert_eq!(rendered["name"], json!("1"));
    assert_eq!(rendered["value"]["committee"]["epoch"], json!(inner.committee.epoch));
    assert_eq!(rendered["value"]["committee"]["n_shards"], json!(inner.committee.n_shards));
    assert_eq!(rendered["value"]["committee"]["members"].as_array().unwrap().len(), inner.committee.members.len());
    net.stop().await;
}
