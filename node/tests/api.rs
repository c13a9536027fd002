//! HTTP round trips and refusals against nodes on random loopback ports.

mod common;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use common::{Cluster, EPOCH, cluster, message};
use floe_encoder::{
    SliverIndex, SliverType,
    bls::BlsSignature,
    inconsistency::InconsistencyProof,
    messages::{BlobPersistence, StorageConfirmation},
    recovery::{RecoverySymbol, recover_sliver},
};
use floe_node::{chain_state::ChainChange, limits};
use sui_sdk_types::Address;

/// A pair index whose shard node `node` holds, and one it does not.
fn own_and_foreign_pair(cluster: &Cluster, blob_id: &floe_encoder::BlobId, node: usize) -> (u16, u16) {
    let n = cluster.config.n_shards();
    let own = (0..n).find(|p| cluster.holder_of_pair(blob_id, *p) == node).unwrap();
    let foreign = (0..n).find(|p| cluster.holder_of_pair(blob_id, *p) != node).unwrap();
    (own, foreign)
}

#[tokio::test]
async fn health_reports_epoch_key_and_owned_shards() {
    let cluster = cluster(&[4, 3, 3]).await;
    let (status, body) = cluster.get_json(&format!("{}/v1/health", cluster.nodes[1].url())).await;
    assert_eq!(status, 200);
    let data = &body["success"]["data"];
    assert_eq!(body["success"]["code"], 200);
    assert_eq!(data["epoch"], EPOCH);
    assert_eq!(data["nShards"], 10);
    assert_eq!(data["ownedShards"], serde_json::json!([4, 5, 6]));
    let key = STANDARD.decode(data["publicKey"].as_str().unwrap()).unwrap();
    assert_eq!(key, cluster.nodes[1].key.public_key().to_bytes());
}

/// `storage` in the health answer: the disk the sliver file takes grows with what is stored and
/// falls when it is removed, while the file keeps its length.
#[tokio::test]
async fn health_reports_the_disk_a_nodes_store_takes() {
    // Node 1 keeps every record in its sliver file (`common::cluster`).
    let cluster = cluster(&[4, 3, 3]).await;
    let url = format!("{}/v1/health", cluster.nodes[1].url());
    let storage = || async {
        let (status, body) = cluster.get_json(&url).await;
        assert_eq!(status, 200);
        let storage = &body["success"]["data"]["storage"];
        let field = |name: &str| storage[name].as_u64().unwrap_or_else(|| panic!("{name} in {storage}"));
        (field("databaseBytes"), field("sliverFileBytes"), field("sliverFileLength"))
    };
    let (database, empty_file, empty_length) = storage().await;
    assert!(database > 0);

    let encoded = cluster.encode(400_000, 31);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[1]).await;
    let held: u64 = encoded
        .pairs
        .iter()
        .filter(|pair| cluster.holder_of_pair(&blob_id, pair.index().0) == 1)
        .map(|pair| (pair.primary.data().len() + pair.secondary.data().len()) as u64)
        .sum();
    let (_, stored_file, stored_length) = storage().await;
    assert!(stored_length >= empty_length + held, "{empty_length} -> {stored_length}, {held} held");
    assert!(stored_file >= empty_file + held, "{empty_file} -> {stored_file}, {held} held");

    cluster.nodes[1].node.store().delete_blob_data(&blob_id).unwrap();
    let (_, removed_file, removed_length) = storage().await;
    assert_eq!(removed_length, stored_length, "removals punch holes; no record moves");
    // Each of the six records keeps at most its two partial blocks.
    assert!(removed_file <= stored_file - held + 6 * 2 * 4096, "{stored_file} -> {removed_file}, {held} removed");
}

#[tokio::test]
async fn requests_for_data_mark_a_node_serving_and_its_polls_do_not() {
    let cluster = cluster(&[4, 3, 3]).await;
    let node = &cluster.nodes[0];
    let window = std::time::Duration::from_secs(60);
    // Health and the challenge verdicts are polled all the time: they leave the node quiet.
    assert_eq!(cluster.get_json(&format!("{}/v1/health", node.url())).await.0, 200);
    let _ = cluster.get_bytes(&format!("{}/v1/challenges/{EPOCH}/outcomes", node.url())).await;
    assert_eq!(node.node.foreground().quiet_for(), None, "polls are not requests for data");
    // A read, even of something the node does not have, is.
    let encoded = cluster.encode(1000, 1);
    let blob_id = *encoded.metadata.blob_id();
    assert_eq!(cluster.get_bytes(&cluster.blob_url(0, &blob_id, "metadata")).await.0, 404);
    assert!(node.node.foreground().serving_within(window));
    // So is an upload, at a node that had served nothing.
    assert_eq!(cluster.nodes[1].node.foreground().quiet_for(), None);
    cluster.register(blob_id, 1);
    let bcs = encoded.metadata.metadata().to_bcs();
    assert_eq!(cluster.put(&cluster.blob_url(1, &blob_id, "metadata"), bcs).await.0, 201);
    assert!(cluster.nodes[1].node.foreground().serving_within(window));
}

#[tokio::test]
async fn metadata_is_stored_once_and_served_with_its_blob_id() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(1000, 1);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    let url = cluster.blob_url(0, &blob_id, "metadata");
    let bcs = encoded.metadata.metadata().to_bcs();
    let status_url = cluster.blob_url(0, &blob_id, "metadata/status");
    assert_eq!(cluster.get_json(&status_url).await.1["success"]["data"], "nonexistent");
    assert_eq!(cluster.put(&url, bcs.clone()).await.0, 201);
    let (status, body) = cluster.put(&url, bcs).await;
    assert_eq!(status, 200, "second PUT reports it was already there: {body}");
    assert_eq!(cluster.get_json(&status_url).await.1["success"]["data"], "stored");
    let (status, bytes) = cluster.get_bytes(&url).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, encoded.metadata.to_bcs_with_id());
    // A node that never got it says so.
    let (status, body) = cluster.get_json(&cluster.blob_url(1, &blob_id, "metadata")).await;
    assert_eq!(status, 404);
    assert!(message(&body).contains("metadata"), "{body}");
}

#[tokio::test]
async fn slivers_round_trip_through_the_node_holding_their_shard() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(3000, 2);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0, 1, 2]).await;
    for pair in &encoded.pairs {
        let holder = cluster.holder_of_pair(&blob_id, pair.index().0);
        for axis in [SliverType::Primary, SliverType::Secondary] {
            let url = cluster.blob_url(holder, &blob_id, &format!("slivers/{}/{axis}", pair.index()));
            let (status, bytes) = cluster.get_bytes(&url).await;
            assert_eq!(status, 200);
            assert_eq!(floe_encoder::Sliver::from_bcs(axis, &bytes).unwrap(), *pair.sliver(axis));
            let (status, body) = cluster.get_json(&format!("{url}/status")).await;
            assert_eq!((status, body["success"]["data"].as_str()), (200, Some("stored")));
            let elsewhere = (holder + 1) % 3;
            let url = cluster.blob_url(elsewhere, &blob_id, &format!("slivers/{}/{axis}/status", pair.index()));
            assert_eq!(cluster.get_json(&url).await.1["success"]["data"], "nonexistent");
        }
    }
    // Storing the same sliver again is acknowledged as already present.
    let pair = &encoded.pairs[0];
    let holder = cluster.holder_of_pair(&blob_id, 0);
    let url = cluster.blob_url(holder, &blob_id, "slivers/0/primary");
    assert_eq!(cluster.put(&url, pair.primary.to_bcs()).await.0, 200);
}

/// A reader asks for a sliver before it knows its length, taking at most `max_sliver_bytes`: a
/// longer one is refused by name, a short enough one served as without the bound.
#[tokio::test]
async fn a_sliver_longer_than_the_asker_takes_is_refused() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(3000, 2);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0, 1, 2]).await;
    let pair = &encoded.pairs[1];
    let len = pair.primary.data().len();
    let holder = cluster.holder_of_pair(&blob_id, 1);
    let url = cluster.blob_url(holder, &blob_id, "slivers/1/primary");
    let (status, bytes) = cluster.get_bytes(&format!("{url}?max_sliver_bytes={len}")).await;
    assert_eq!(status, 200);
    assert_eq!(floe_encoder::Sliver::from_bcs(SliverType::Primary, &bytes).unwrap(), pair.primary);
    let (status, body) = cluster.get_json(&format!("{url}?max_sliver_bytes={}", len - 1)).await;
    assert_eq!(status, 406, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("has {len} bytes of symbols, more than the {} asked for", len - 1)), "{message}");
    let (status, body) = cluster.get_json(&format!("{url}?max_sliver_bytes=lots")).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("max_sliver_bytes"), "{body}");
    // A blob the node does not know is still not found, bound or not.
    let other = cluster.encode(3000, 3);
    let url = cluster.blob_url(holder, other.metadata.blob_id(), "slivers/1/primary");
    assert_eq!(cluster.get_json(&format!("{url}?max_sliver_bytes=1")).await.0, 404);
}

#[tokio::test]
async fn data_of_unregistered_blobs_is_refused() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(500, 3);
    let blob_id = *encoded.metadata.blob_id();
    let (status, body) =
        cluster.put(&cluster.blob_url(0, &blob_id, "metadata"), encoded.metadata.metadata().to_bcs()).await;
    assert_eq!(status, 403);
    assert!(message(&body).contains("not registered"), "{body}");
    let (status, body) =
        cluster.put(&cluster.blob_url(0, &blob_id, "slivers/0/primary"), encoded.pairs[0].primary.to_bcs()).await;
    assert_eq!(status, 403, "{body}");
    // Deleted or invalidated registrations are refused as well.
    cluster.chain.apply([ChainChange::Registered {
        blob_id,
        object_id: Address::new([5; 32]),
        end_epoch: 10,
        deletable: true,
    }]);
    cluster.chain.apply([ChainChange::Deleted { blob_id, object_id: Address::new([5; 32]) }]);
    let (status, body) =
        cluster.put(&cluster.blob_url(0, &blob_id, "metadata"), encoded.metadata.metadata().to_bcs()).await;
    assert_eq!(status, 403);
    assert!(message(&body).contains("expired or was deleted"), "{body}");
    cluster.register(blob_id, 1);
    cluster.chain.apply([ChainChange::Invalidated { blob_id }]);
    let (status, body) =
        cluster.put(&cluster.blob_url(0, &blob_id, "metadata"), encoded.metadata.metadata().to_bcs()).await;
    assert_eq!(status, 403);
    assert!(message(&body).contains("invalidated"), "{body}");
}

#[tokio::test]
async fn slivers_of_shards_the_node_does_not_hold_are_refused() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(800, 4);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0]).await;
    let (_, foreign) = own_and_foreign_pair(&cluster, &blob_id, 0);
    let url = cluster.blob_url(0, &blob_id, &format!("slivers/{foreign}/primary"));
    let (status, body) = cluster.put(&url, encoded.pairs[usize::from(foreign)].primary.to_bcs()).await;
    assert_eq!(status, 403);
    assert!(message(&body).contains("does not hold"), "{body}");
    let (status, _) = cluster.put(&cluster.blob_url(0, &blob_id, "slivers/10/primary"), vec![0]).await;
    assert_eq!(status, 400, "pair 10 of 10 is out of range");
}

#[tokio::test]
async fn corrupted_or_misplaced_slivers_are_refused_and_nothing_is_stored() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(2000, 5);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    let (own, _) = own_and_foreign_pair(&cluster, &blob_id, 0);
    let url = cluster.blob_url(0, &blob_id, &format!("slivers/{own}/secondary"));
    let good = &encoded.pairs[usize::from(own)].secondary;

    let (status, body) = cluster.put(&url, good.to_bcs()).await;
    assert_eq!(status, 409, "slivers need the metadata first: {body}");
    assert!(message(&body).contains("PUT the metadata"), "{body}");
    cluster.put(&cluster.blob_url(0, &blob_id, "metadata"), encoded.metadata.metadata().to_bcs()).await;

    let mut data = good.data().to_vec();
    data[3] ^= 0x40;
    let corrupted = floe_encoder::Sliver::new(SliverType::Secondary, good.index(), good.symbol_size(), data).unwrap();
    let (status, body) = cluster.put(&url, corrupted.to_bcs()).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("does not match the metadata"), "{body}");

    // The right bytes under another pair's index.
    let other = &encoded.pairs[usize::from((own + 1) % 10)].secondary;
    let (status, body) = cluster.put(&url, other.to_bcs()).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("has index"), "{body}");

    // Secondary bytes sent as primary.
    let url_primary = cluster.blob_url(0, &blob_id, &format!("slivers/{own}/primary"));
    let (status, _) = cluster.put(&url_primary, good.to_bcs()).await;
    assert_eq!(status, 400);

    assert_eq!(cluster.get_bytes(&url).await.0, 404, "no refused sliver was stored");
    assert_eq!(cluster.put(&url, good.to_bcs()).await.0, 201);
}

/// `PUT /v1/blobs/{id}/slivers`: every sliver of a batch is checked before any is stored; one
/// bad sliver refuses the batch naming it, and nothing of it is stored.
#[tokio::test]
async fn a_batch_of_slivers_is_stored_whole_or_refused_whole() {
    use floe_node_api::SliverBatch;
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(5000, 15);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    let url = cluster.blob_url(0, &blob_id, "slivers");
    let own: Vec<&floe_encoder::SliverPair> =
        encoded.pairs.iter().filter(|pair| cluster.holder_of_pair(&blob_id, pair.index().0) == 0).collect();
    assert!(own.len() >= 2);
    let all = |pairs: &[&floe_encoder::SliverPair]| {
        SliverBatch::encode(pairs.iter().flat_map(|pair| {
            [(pair.index(), pair.sliver(SliverType::Primary)), (pair.index(), pair.sliver(SliverType::Secondary))]
        }))
    };
    let (status, body) = cluster.put(&url, all(&own).to_vec()).await;
    assert_eq!(status, 409, "slivers need the metadata first: {body}");
    cluster.put(&cluster.blob_url(0, &blob_id, "metadata"), encoded.metadata.metadata().to_bcs()).await;

    // One corrupted sliver among good ones: refused, naming it; none of the batch is stored.
    let bad_pair = own[1];
    let good = &bad_pair.primary;
    let mut data = good.data().to_vec();
    data[0] ^= 0x01;
    let corrupted = floe_encoder::Sliver::new(SliverType::Primary, good.index(), good.symbol_size(), data).unwrap();
    let body = SliverBatch::encode([(own[0].index(), &own[0].primary), (bad_pair.index(), &corrupted)]);
    let (status, answer) = cluster.put(&url, body.to_vec()).await;
    assert_eq!(status, 400, "{answer}");
    let text = message(&answer);
    assert!(text.contains(&format!("pair {}", bad_pair.index())) && text.contains("does not match"), "{text}");
    let first = cluster.blob_url(0, &blob_id, &format!("slivers/{}/primary", own[0].index()));
    assert_eq!(cluster.get_bytes(&first).await.0, 404, "a refused batch stored nothing");

    // A sliver of a shard the node does not hold refuses the batch too.
    let (_, foreign) = own_and_foreign_pair(&cluster, &blob_id, 0);
    let foreign = &encoded.pairs[usize::from(foreign)];
    let body = SliverBatch::encode([(own[0].index(), &own[0].primary), (foreign.index(), &foreign.primary)]);
    assert_eq!(cluster.put(&url, body.to_vec()).await.0, 403);

    // Not a batch at all.
    let (status, answer) = cluster.put(&url, vec![0xff; 7]).await;
    assert_eq!(status, 400);
    assert!(message(&answer).contains("sliver batch"), "{answer}");

    // The good batch: stored (201), each sliver readable on its own route; again: 200.
    assert_eq!(cluster.put(&url, all(&own).to_vec()).await.0, 201);
    for pair in &own {
        for axis in [SliverType::Primary, SliverType::Secondary] {
            let url = cluster.blob_url(0, &blob_id, &format!("slivers/{}/{axis}", pair.index()));
            let (status, bytes) = cluster.get_bytes(&url).await;
            assert_eq!(status, 200);
            assert_eq!(floe_encoder::Sliver::from_bcs(axis, &bytes).unwrap(), *pair.sliver(axis));
        }
    }
    assert_eq!(cluster.put(&url, all(&own).to_vec()).await.0, 200);
    // The node confirms: every sliver of its shards came in the batch.
    let confirm = cluster.blob_url(0, &blob_id, "confirmation/permanent");
    assert_eq!(cluster.get_json(&confirm).await.0, 200);
}

#[tokio::test]
async fn metadata_of_another_blob_or_malformed_bcs_is_refused() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(700, 6);
    let other = cluster.encode(700, 7);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    let url = cluster.blob_url(0, &blob_id, "metadata");
    let (status, body) = cluster.put(&url, other.metadata.metadata().to_bcs()).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("belongs to blob"), "{body}");
    let (status, body) = cluster.put(&url, vec![0, 1, 2, 3]).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("malformed metadata"), "{body}");
    // Metadata for a different committee size.
    let small = floe_encoder::encode(&floe_encoder::EncodingConfig::new(4).unwrap(), b"x").unwrap();
    let (status, body) = cluster.put(&url, small.metadata.metadata().to_bcs()).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("expected 10"), "{body}");

    cluster.put(&url, encoded.metadata.metadata().to_bcs()).await;
    let (own, _) = own_and_foreign_pair(&cluster, &blob_id, 0);
    let (status, body) =
        cluster.put(&cluster.blob_url(0, &blob_id, &format!("slivers/{own}/primary")), vec![0xff; 3]).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("malformed primary sliver"), "{body}");
    let (status, body) = cluster.put(&cluster.blob_url(0, &blob_id, "slivers/x/primary"), vec![]).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("sliver pair index"), "{body}");
    let response =
        cluster.http.get(format!("{}/v1/blobs/short/metadata", cluster.nodes[0].url())).send().await.unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn bodies_over_their_limit_get_413() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(100, 8);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    let metadata_limit = limits::max_metadata_body(&cluster.config);
    let (status, body) = cluster.put(&cluster.blob_url(0, &blob_id, "metadata"), vec![0; metadata_limit + 1]).await;
    assert_eq!(status, 413);
    assert!(message(&body).contains(&format!("limit of {metadata_limit} bytes")), "{body}");
    let sliver_limit = limits::max_sliver_body(&cluster.config);
    let (status, body) =
        cluster.put(&cluster.blob_url(0, &blob_id, "slivers/0/primary"), vec![0; sliver_limit + 1]).await;
    assert_eq!(status, 413);
    assert!(message(&body).contains("sliver body"), "{body}");
    // A chunked body without a declared length is cut off at the limit too.
    let chunks = futures::stream::iter((0..=metadata_limit / 1000).map(|_| Ok::<_, std::io::Error>(vec![0u8; 1000])));
    let response = cluster
        .http
        .put(cluster.blob_url(0, &blob_id, "metadata"))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn confirmation_is_signed_only_once_every_sliver_of_the_nodes_shards_is_stored() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(5000, 9);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    let url = cluster.blob_url(2, &blob_id, "confirmation/permanent");
    let (status, body) = cluster.get_json(&url).await;
    assert_eq!(status, 404, "no metadata yet: {body}");

    // Everything but one secondary sliver of node 2.
    cluster.put(&cluster.blob_url(2, &blob_id, "metadata"), encoded.metadata.metadata().to_bcs()).await;
    let own: Vec<u16> = (0..10).filter(|p| cluster.holder_of_pair(&blob_id, *p) == 2).collect();
    for (i, pair) in own.iter().enumerate() {
        let pair_slivers = &encoded.pairs[usize::from(*pair)];
        cluster
            .put(&cluster.blob_url(2, &blob_id, &format!("slivers/{pair}/primary")), pair_slivers.primary.to_bcs())
            .await;
        if i > 0 {
            cluster
                .put(
                    &cluster.blob_url(2, &blob_id, &format!("slivers/{pair}/secondary")),
                    pair_slivers.secondary.to_bcs(),
                )
                .await;
        }
    }
    let (status, body) = cluster.get_json(&url).await;
    assert_eq!(status, 409);
    assert!(message(&body).contains(&format!("missing 1: secondary sliver of pair {}", own[0])), "{body}");

    let last = &encoded.pairs[usize::from(own[0])].secondary;
    cluster.put(&cluster.blob_url(2, &blob_id, &format!("slivers/{}/secondary", own[0])), last.to_bcs()).await;
    let (status, body) = cluster.get_json(&url).await;
    assert_eq!(status, 200, "{body}");
    let signed = &body["success"]["data"]["signed"];
    let message_bytes = STANDARD.decode(signed["serializedMessage"].as_str().unwrap()).unwrap();
    let signature = BlsSignature::from_bytes(&STANDARD.decode(signed["signature"].as_str().unwrap()).unwrap()).unwrap();
    cluster.nodes[2].key.public_key().verify(&message_bytes, &signature).unwrap();
    let confirmation = StorageConfirmation::from_bytes(&message_bytes).unwrap();
    assert_eq!(confirmation, StorageConfirmation { epoch: EPOCH, blob_id, persistence: BlobPersistence::Permanent });

    // A deletable confirmation names a registered deletable object, not just any.
    let deletable = Address::new([0x77; 32]);
    let (status, body) =
        cluster.get_json(&cluster.blob_url(2, &blob_id, &format!("confirmation/deletable/{deletable}"))).await;
    assert_eq!(status, 403, "{body}");
    cluster.chain.apply([ChainChange::Registered { blob_id, object_id: deletable, end_epoch: 10, deletable: true }]);
    let (status, body) =
        cluster.get_json(&cluster.blob_url(2, &blob_id, &format!("confirmation/deletable/{deletable}"))).await;
    assert_eq!(status, 200, "{body}");
    let bytes = STANDARD.decode(body["success"]["data"]["signed"]["serializedMessage"].as_str().unwrap()).unwrap();
    assert_eq!(
        StorageConfirmation::from_bytes(&bytes).unwrap().persistence,
        BlobPersistence::Deletable { object_id: deletable.into_inner() }
    );
}

#[tokio::test]
async fn a_confirmation_may_wait_for_the_rest_of_its_upload() {
    use std::time::{Duration, Instant};
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(5000, 19);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    let confirm = cluster.blob_url(1, &blob_id, "confirmation/permanent");
    let (status, body) = cluster.get_json(&format!("{confirm}?upload_wait_millis=soon")).await;
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("upload_wait_millis"), "{body}");

    // Nothing arrives: the pause ends the wait, and the answer is the usual refusal.
    let started = Instant::now();
    let (status, body) = cluster.get_json(&format!("{confirm}?upload_wait_millis=200")).await;
    assert_eq!(status, 404, "{body}");
    assert!(started.elapsed() >= Duration::from_millis(200));

    // The metadata and then each sliver arrive while the confirmation waits, one every 200 ms:
    // well within the pause it sits through (1 s), and 1.4 s in all, more than one such pause.
    // It is answered once the last is stored.
    let own: Vec<u16> = (0..10).filter(|pair| cluster.holder_of_pair(&blob_id, *pair) == 1).collect();
    let mut puts = vec![("metadata".to_owned(), encoded.metadata.metadata().to_bcs())];
    for pair in &own {
        let slivers = &encoded.pairs[usize::from(*pair)];
        puts.push((format!("slivers/{pair}/primary"), slivers.primary.to_bcs()));
        puts.push((format!("slivers/{pair}/secondary"), slivers.secondary.to_bcs()));
    }
    let waiting_url = format!("{confirm}?upload_wait_millis=1000");
    let waiting = cluster.get_json(&waiting_url);
    let uploading = async {
        for (path, body) in &puts {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let (status, answer) = cluster.put(&cluster.blob_url(1, &blob_id, path), body.clone()).await;
            assert_eq!(status, 201, "{path}: {answer}");
        }
        Instant::now()
    };
    let ((status, body), last_stored) = tokio::join!(waiting, uploading);
    assert_eq!(status, 200, "{body}");
    let answered = Instant::now();
    assert!(answered >= last_stored, "answered before the last sliver was stored");
    let bytes = STANDARD.decode(body["success"]["data"]["signed"]["serializedMessage"].as_str().unwrap()).unwrap();
    assert_eq!(
        StorageConfirmation::from_bytes(&bytes).unwrap(),
        StorageConfirmation { epoch: EPOCH, blob_id, persistence: BlobPersistence::Permanent }
    );
}

#[tokio::test]
async fn a_sliver_batch_may_wait_for_its_metadata() {
    use floe_node_api::SliverBatch;
    use std::time::Duration;
    let cluster = cluster(&[4, 3, 3]).await;
    let node = &cluster.nodes[0].node;
    for (seed, registered) in [(24, true), (25, false)] {
        let encoded = cluster.encode(5000, seed);
        let blob_id = *encoded.metadata.blob_id();
        if registered {
            cluster.register(blob_id, seed);
        }
        let own: Vec<&floe_encoder::SliverPair> =
            encoded.pairs.iter().filter(|pair| cluster.holder_of_pair(&blob_id, pair.index().0) == 0).collect();
        let batch = SliverBatch::encode(own.iter().flat_map(|pair| {
            [(pair.index(), pair.sliver(SliverType::Primary)), (pair.index(), pair.sliver(SliverType::Secondary))]
        }))
        .to_vec();
        let query = if registered { "" } else { "pending=true&" };
        // The batch comes first; its metadata 200 ms later, while the batch waits.
        let slivers_url = cluster.blob_url(0, &blob_id, &format!("slivers?{query}upload_wait_millis=1000"));
        let metadata_url = cluster.blob_url(0, &blob_id, &format!("metadata?{query}"));
        let waiting = cluster.put(&slivers_url, batch);
        let metadata = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(node.pending().held_bytes() > 0, "the waiting body holds its place in the bound");
            cluster.put(&metadata_url, encoded.metadata.metadata().to_bcs()).await
        };
        let ((status, answer), (metadata_status, _)) = tokio::join!(waiting, metadata);
        let (expected_metadata, expected_slivers) = if registered { (201, 201) } else { (202, 202) };
        assert_eq!(metadata_status, expected_metadata);
        assert_eq!(status, expected_slivers, "registered {registered}: {answer}");
        if registered {
            assert!(node.missing_slivers(&blob_id).unwrap().is_empty());
            assert_eq!(node.pending().held_bytes(), 0, "the place is given back");
        }
    }
}

#[tokio::test]
async fn recovery_symbols_carry_proofs_and_rebuild_a_sliver() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(4000, 10);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0, 1, 2]).await;
    let target = SliverIndex(6);
    let mut symbols = Vec::new();
    for node in 0..3 {
        let url = cluster.blob_url(node, &blob_id, "recoverySymbols?target_type=primary&target_sliver=6");
        let (status, bytes) = cluster.get_bytes(&url).await;
        assert_eq!(status, 200);
        let batch: Vec<RecoverySymbol> = bcs::from_bytes(&bytes).unwrap();
        assert_eq!(batch.len(), cluster.nodes[node].shards.len(), "one symbol per shard held");
        for symbol in &batch {
            symbol.verify(&cluster.config, &encoded.metadata).unwrap();
            assert_eq!(symbol.source_axis(), SliverType::Secondary);
        }
        symbols.extend(batch);
    }
    let rebuilt = recover_sliver(&cluster.config, &encoded.metadata, SliverType::Primary, target, symbols).unwrap();
    assert_eq!(rebuilt, encoded.pairs[6].primary);

    // Several targets in one request: one symbol per shard held and per target.
    let url = cluster.blob_url(0, &blob_id, "recoverySymbols?target_type=secondary&target_sliver=1,8");
    let (status, bytes) = cluster.get_bytes(&url).await;
    assert_eq!(status, 200);
    let batch: Vec<RecoverySymbol> = bcs::from_bytes(&bytes).unwrap();
    assert_eq!(batch.len(), 2 * cluster.nodes[0].shards.len());
    assert!(batch.iter().all(|symbol| symbol.source_axis() == SliverType::Primary));
    assert_eq!(batch.iter().filter(|symbol| symbol.target_index() == SliverIndex(8)).count(), 4);
    let too_many = "recoverySymbols?target_type=secondary&target_sliver=0,1,2,3,4,5,6,7,8,9,0";
    let (status, body) = cluster.get_json(&cluster.blob_url(0, &blob_id, too_many)).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("at most 10"), "{body}");

    let (status, body) =
        cluster.get_json(&cluster.blob_url(0, &blob_id, "recoverySymbols?target_type=diagonal&target_sliver=1")).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("unknown sliver type"), "{body}");
    let (status, _) =
        cluster.get_json(&cluster.blob_url(0, &blob_id, "recoverySymbols?target_type=primary&target_sliver=10")).await;
    assert_eq!(status, 400);
    let (status, _) = cluster.get_json(&cluster.blob_url(0, &blob_id, "recoverySymbols?target_type=primary")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_inconsistency_proof_that_proves_nothing_is_refused() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(4000, 11);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0, 1, 2]).await;
    let target = SliverIndex(2);
    let symbols: Vec<RecoverySymbol> = encoded.pairs[..4]
        .iter()
        .map(|pair| {
            floe_encoder::recovery::recovery_symbols(&cluster.config, &pair.primary, &[target]).unwrap().remove(0)
        })
        .collect();
    let proof = InconsistencyProof::new(SliverType::Secondary, target, symbols);
    let url = cluster.blob_url(0, &blob_id, "inconsistencyProof/secondary");
    let response = cluster.http.post(&url).body(bcs::to_bytes(&proof).unwrap()).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert!(message(&body).contains("no inconsistency"), "{body}");
    let response = cluster
        .http
        .post(cluster.blob_url(0, &blob_id, "inconsistencyProof/primary"))
        .body(bcs::to_bytes(&proof).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "axis in the URL must match the proof");
    let response = cluster.http.post(&url).body(vec![9, 9, 9]).send().await.unwrap();
    assert_eq!(response.status(), 400, "malformed BCS");
}

#[tokio::test]
async fn status_follows_the_chain() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(100, 12);
    let blob_id = *encoded.metadata.blob_id();
    let url = cluster.blob_url(1, &blob_id, "status");
    let (status, body) = cluster.get_json(&url).await;
    assert_eq!(status, 200);
    assert_eq!(body["success"]["data"], "nonexistent");
    cluster.register(blob_id, 1);
    cluster.certify(blob_id, 1);
    let (_, body) = cluster.get_json(&url).await;
    let permanent = &body["success"]["data"]["permanent"];
    assert_eq!(permanent["endEpoch"], 10);
    assert_eq!(permanent["isCertified"], true);
    assert_eq!(permanent["initialCertifiedEpoch"], EPOCH);
    assert_eq!(permanent["deletableCounts"]["countDeletableTotal"], 0);
    cluster.chain.apply([ChainChange::Invalidated { blob_id }]);
    let (_, body) = cluster.get_json(&url).await;
    assert_eq!(body["success"]["data"], "invalid");
}

#[tokio::test]
async fn a_node_without_shards_in_the_epoch_confirms_nothing() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(600, 13);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    let dir = tempfile::tempdir().unwrap();
    let outsider = floe_node::StorageNode::new(
        cluster.chain.state(),
        floe_node::Store::open(dir.path()).unwrap(),
        floe_node::local_cluster::node_key(9),
    );
    outsider.store_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).unwrap();
    let error = outsider.confirmation(&blob_id, BlobPersistence::Permanent).unwrap_err();
    assert!(matches!(error, floe_node::NodeError::NoShards(EPOCH)), "{error}");
    let own_pair = &encoded.pairs[0];
    let error = outsider.store_sliver(&blob_id, own_pair.index(), SliverType::Primary, &own_pair.primary.to_bcs());
    assert!(matches!(error, Err(floe_node::NodeError::ForeignShard { .. })));
}

#[tokio::test]
async fn uploads_may_wait_for_the_registration_to_reach_the_node() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(800, 14);
    let blob_id = *encoded.metadata.blob_id();
    let body = encoded.metadata.metadata().to_bcs();
    // Never registered: a short wait ends in the usual refusal, after the wait.
    let started = std::time::Instant::now();
    let (status, _) = cluster.put(&cluster.blob_url(0, &blob_id, "metadata?wait_millis=150"), body.clone()).await;
    assert_eq!(status, 403);
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    let (status, body_json) =
        cluster.put(&cluster.blob_url(0, &blob_id, "metadata?wait_millis=soon"), body.clone()).await;
    assert_eq!(status, 400, "{body_json}");

    // The registration arrives while the request waits.
    let url = cluster.blob_url(0, &blob_id, "metadata?wait_millis=5000");
    let request = cluster.http.put(url).body(body).send();
    let chain = cluster.chain.clone();
    let register = async move {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        chain.apply([ChainChange::Registered {
            blob_id,
            object_id: Address::new([1; 32]),
            end_epoch: 10,
            deletable: false,
        }]);
    };
    let (response, ()) = tokio::join!(request, register);
    assert_eq!(response.unwrap().status(), 201);
}

#[tokio::test]
async fn data_sent_before_the_registration_is_checked_held_and_stored_once_it_is_seen() {
    use floe_node_api::SliverBatch;
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(5000, 21);
    let blob_id = *encoded.metadata.blob_id();
    let node = &cluster.nodes[0].node;
    let own: Vec<&floe_encoder::SliverPair> =
        encoded.pairs.iter().filter(|pair| cluster.holder_of_pair(&blob_id, pair.index().0) == 0).collect();
    let batch = || {
        SliverBatch::encode(own.iter().flat_map(|pair| {
            [(pair.index(), pair.sliver(SliverType::Primary)), (pair.index(), pair.sliver(SliverType::Secondary))]
        }))
        .to_vec()
    };
    let slivers_url = cluster.blob_url(0, &blob_id, "slivers?pending=true");
    let metadata_url = cluster.blob_url(0, &blob_id, "metadata?pending=true");

    // Held data is checked as stored data is: slivers need their metadata first, metadata must
    // be the blob's, a corrupted sliver is refused.
    assert_eq!(cluster.put(&slivers_url, batch()).await.0, 409);
    let other = cluster.encode(5000, 22);
    let (status, answer) = cluster.put(&metadata_url, other.metadata.metadata().to_bcs()).await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = cluster.put(&cluster.blob_url(0, &blob_id, "metadata?pending=soon"), vec![]).await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = cluster.put(&metadata_url, encoded.metadata.metadata().to_bcs()).await;
    assert_eq!(status, 202, "{answer}");
    assert!(answer["success"]["data"].as_str().unwrap_or_default().contains("held until the node sees"), "{answer}");
    assert_eq!(cluster.put(&metadata_url, encoded.metadata.metadata().to_bcs()).await.0, 200, "already held");
    let mut data = own[0].primary.data().to_vec();
    data[0] ^= 0x01;
    let corrupted =
        floe_encoder::Sliver::new(SliverType::Primary, own[0].primary.index(), own[0].primary.symbol_size(), data)
            .unwrap();
    let (status, answer) =
        cluster.put(&slivers_url, SliverBatch::encode([(own[0].index(), &corrupted)]).to_vec()).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(cluster.put(&slivers_url, batch()).await.0, 202);

    // Held, not stored: nothing is served, nothing confirmed.
    assert!(node.pending().held_bytes() > 0);
    assert_eq!(cluster.get_bytes(&cluster.blob_url(0, &blob_id, "metadata")).await.0, 404);
    let first = cluster.blob_url(0, &blob_id, &format!("slivers/{}/primary", own[0].index()));
    assert_eq!(cluster.get_bytes(&first).await.0, 404);
    let confirm = cluster.blob_url(0, &blob_id, "confirmation/permanent");
    assert_eq!(cluster.get_json(&confirm).await.0, 403);

    // The registration is seen: the confirmation counts what was held, which is stored now.
    cluster.register(blob_id, 1);
    let (status, answer) = cluster.get_json(&format!("{confirm}?wait_millis=1000")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(node.pending().held_bytes(), 0);
    assert_eq!(node.pending().blobs_taken(), 1);
    let (status, bytes) = cluster.get_bytes(&first).await;
    assert_eq!(status, 200);
    assert_eq!(floe_encoder::Sliver::from_bcs(SliverType::Primary, &bytes).unwrap(), own[0].primary);
    // Once registered, `pending` changes nothing: stored at once.
    assert_eq!(cluster.put(&slivers_url, batch()).await.0, 200);
}

#[tokio::test]
async fn a_node_holds_data_for_unregistered_blobs_only_within_its_bound() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(20_000, 23);
    let blob_id = *encoded.metadata.blob_id();
    let dir = tempfile::tempdir().unwrap();
    // A bound with room for the metadata and one sliver.
    let sliver_bytes = encoded.pairs[0].primary.data().len();
    let limits = floe_node::pending::PendingLimits {
        max_bytes: 10 * 64 + sliver_bytes,
        max_age: std::time::Duration::from_secs(60),
    };
    let node = floe_node::StorageNode::new(
        cluster.chain.state(),
        floe_node::Store::open(dir.path()).unwrap(),
        floe_node::local_cluster::node_key(0),
    )
    .with_pending_limits(limits);
    let held = node.store_or_hold_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).unwrap();
    assert_eq!(held, floe_node::Stored::Held);
    let own: Vec<_> =
        encoded.pairs.iter().filter(|pair| cluster.holder_of_pair(&blob_id, pair.index().0) == 0).collect();
    let (first, second) = (own[0], own[1]);
    let one = |pair: &floe_encoder::SliverPair| pair.primary.to_bcs();
    assert_eq!(
        node.store_or_hold_sliver(&blob_id, first.index(), SliverType::Primary, &one(first)).unwrap(),
        floe_node::Stored::Held
    );
    let error = node.store_or_hold_sliver(&blob_id, second.index(), SliverType::Primary, &one(second)).unwrap_err();
    assert!(matches!(error, floe_node::NodeError::Pending(floe_node::pending::PendingError::Full { .. })), "{error}");
    assert_eq!(error.kind(), floe_node::error::ErrorKind::Unavailable, "a 503: upload after the registration");
    // Once registered, the same sliver is stored, not held.
    cluster.register(blob_id, 1);
    assert!(node.store_held(&blob_id).unwrap());
    assert_eq!(node.pending().held_bytes(), 0);
    assert_eq!(
        node.store_or_hold_sliver(&blob_id, second.index(), SliverType::Primary, &one(second)).unwrap(),
        floe_node::Stored::New
    );
    assert!(node.has_sliver(&blob_id, first.index(), SliverType::Primary).unwrap(), "the held one was stored");
}
