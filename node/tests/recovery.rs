//! Recovery between in-process nodes on loopback: a node that never received its slivers
//! rebuilds them from its peers' recovery symbols.

mod common;

use std::time::Duration;

use common::{EPOCH, cluster, inconsistent_blob};
use floe_encoder::{
    SliverIndex, SliverType,
    messages::{BlobPersistence, InvalidBlobIdMessage},
    recovery::RecoverySymbol,
};
use floe_node::{
    ChainView,
    recovery::{RecoveryFailure, RecoverySettings, recover_blob, recover_from_committee},
};
use floe_node_api::NodeClient;

fn fast() -> RecoverySettings {
    RecoverySettings { retry_delay: Duration::from_millis(5), ..RecoverySettings::default() }
}

/// Clients of the nodes at `urls`, sharing one connection pool.
fn clients(urls: &[String]) -> Vec<NodeClient> {
    let http = reqwest::Client::new();
    urls.iter().map(|url| NodeClient::new(http.clone(), url)).collect()
}

/// A loopback address nobody listens on.
async fn dead_peer() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[tokio::test]
async fn a_node_that_missed_the_upload_recovers_every_sliver_of_its_shards() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(20_000, 31);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0, 1]).await;
    cluster.certify(blob_id, 1);
    let lagging = &cluster.nodes[2].node;
    assert_eq!(lagging.missing_slivers(&blob_id).unwrap().len(), 6);

    // The committee's addresses of the other members, behind a peer that is down.
    let mut peers = vec![dead_peer().await];
    peers.extend(cluster.chain.committee().peer_addresses(&cluster.nodes[2].key.public_key()));
    assert_eq!(peers.len(), 3);
    let outcome = recover_blob(lagging, &clients(&peers), blob_id, &fast()).await.unwrap();
    assert!(outcome.fetched_metadata);
    assert_eq!(outcome.recovered.len(), 6);
    assert!(outcome.inconsistency.is_none());
    assert!(lagging.missing_slivers(&blob_id).unwrap().is_empty());
    for pair in &encoded.pairs {
        if cluster.holder_of_pair(&blob_id, pair.index().0) == 2 {
            for axis in [SliverType::Primary, SliverType::Secondary] {
                assert_eq!(lagging.sliver(&blob_id, pair.index(), axis).unwrap(), *pair.sliver(axis));
            }
        }
    }
    let signed = lagging.confirmation(&blob_id, BlobPersistence::Permanent).unwrap();
    signed.verify(&cluster.nodes[2].key.public_key()).unwrap();
    // A second run has nothing left to do.
    let again = recover_blob(lagging, &clients(&peers), blob_id, &fast()).await.unwrap();
    assert!(!again.fetched_metadata && again.recovered.is_empty());
}

#[tokio::test]
async fn a_node_recovers_from_the_committee_it_sees_on_chain() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let encoded = cluster.encode(7000, 37);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0, 1, 2]).await;
    cluster.certify(blob_id, 1);
    let outcome =
        recover_from_committee(&cluster.nodes[3].node, &reqwest::Client::new(), blob_id, &fast()).await.unwrap();
    assert_eq!(outcome.recovered.len(), 4);
    assert!(outcome.peer_errors.is_empty(), "{:?}", outcome.peer_errors);
    cluster.nodes[3].node.confirmation(&blob_id, BlobPersistence::Permanent).unwrap();
}

#[tokio::test]
async fn uncertified_blobs_are_not_recovered() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(1000, 32);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0, 1]).await;
    let peers = vec![cluster.nodes[0].url()];
    let error = recover_blob(&cluster.nodes[2].node, &clients(&peers), blob_id, &fast()).await.unwrap_err();
    assert!(matches!(error, RecoveryFailure::NotCertified(id) if id == blob_id), "{error}");
}

#[tokio::test]
async fn too_few_peers_is_reported_with_the_symbol_count() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(1000, 33);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0, 1]).await;
    cluster.certify(blob_id, 1);
    // Node 1 holds 3 shards; a secondary sliver needs n - 2f = 4 symbols.
    let peers = vec![cluster.nodes[1].url()];
    let error = recover_blob(&cluster.nodes[2].node, &clients(&peers), blob_id, &fast()).await.unwrap_err();
    match error {
        RecoveryFailure::NotEnoughSymbols { got, needed, sliver, .. } => {
            assert_eq!((got, needed, sliver.axis), (3, 4, SliverType::Secondary));
        }
        other => panic!("expected NotEnoughSymbols, got {other}"),
    }
    // Nothing was stored but the metadata, fetched from the peer.
    assert_eq!(cluster.nodes[2].node.missing_slivers(&blob_id).unwrap().len(), 6);
    assert!(cluster.nodes[2].node.store().metadata(&blob_id).unwrap().is_some());
}

#[tokio::test]
async fn recovering_an_inconsistently_encoded_blob_yields_a_proof_other_nodes_attest() {
    let cluster = cluster(&[4, 3, 3]).await;
    // The altered primary sliver is one node 2 must recover.
    let probe = inconsistent_blob(&cluster.config, 5000, 34, 0);
    let pair = (0..10u16).find(|p| cluster.holder_of_pair(probe.metadata.blob_id(), *p) == 2).unwrap();
    let encoded = inconsistent_blob(&cluster.config, 5000, 34, usize::from(pair));
    let blob_id = *encoded.metadata.blob_id();
    assert_eq!(cluster.holder_of_pair(&blob_id, pair), 2, "the altered pair still maps to node 2");
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0, 1]).await;
    cluster.certify(blob_id, 1);

    let peers = vec![cluster.nodes[0].url(), cluster.nodes[1].url()];
    let lagging = &cluster.nodes[2].node;
    let outcome = recover_blob(lagging, &clients(&peers), blob_id, &fast()).await.unwrap();
    let proof = outcome.inconsistency.expect("the rebuilt sliver contradicts the metadata");
    assert_eq!(proof.target_axis(), SliverType::Primary);
    assert_eq!(proof.target_index().0, pair);
    assert_eq!(lagging.store().inconsistency_proof(&blob_id).unwrap().as_ref(), Some(&proof));

    let response = cluster
        .http
        .post(cluster.blob_url(0, &blob_id, "inconsistencyProof/primary"))
        .body(bcs::to_bytes(&proof).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    use base64::Engine as _;
    let decode = |field: &str| {
        base64::engine::general_purpose::STANDARD.decode(body["success"]["data"][field].as_str().unwrap()).unwrap()
    };
    let message = decode("serializedMessage");
    let signature = floe_encoder::bls::BlsSignature::from_bytes(&decode("signature")).unwrap();
    cluster.nodes[0].key.public_key().verify(&message, &signature).unwrap();
    assert_eq!(InvalidBlobIdMessage::from_bytes(&message).unwrap(), InvalidBlobIdMessage { epoch: EPOCH, blob_id });
}

/// A peer that answers every recovery-symbols request with symbols of another blob: well-formed,
/// with proofs, but against the wrong metadata.
async fn lying_peer(symbols: Vec<RecoverySymbol>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let body = bcs::to_bytes(&symbols).unwrap();
    let app = axum::Router::new()
        .route("/v1/blobs/{blob_id}/recoverySymbols", axum::routing::get(move || async move { body.clone() }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn symbols_that_fail_their_proofs_are_dropped_and_recovery_goes_on() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(3000, 35);
    let other = cluster.encode(3000, 36);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0, 1]).await;
    cluster.certify(blob_id, 1);
    // The first secondary sliver node 2 will ask for; the liar offers symbols for all of them.
    let targets: Vec<SliverIndex> = cluster.nodes[2]
        .node
        .missing_slivers(&blob_id)
        .unwrap()
        .iter()
        .filter(|sliver| sliver.axis == SliverType::Secondary)
        .map(|sliver| sliver.pair.sliver_index(SliverType::Secondary, 10))
        .collect();
    let forged: Vec<RecoverySymbol> = other
        .pairs
        .iter()
        .flat_map(|pair| floe_encoder::recovery::recovery_symbols(&cluster.config, &pair.primary, &targets).unwrap())
        .collect();
    let peers = vec![lying_peer(forged).await, cluster.nodes[0].url(), cluster.nodes[1].url()];
    // One peer at a time, the liar first: its answer is certainly read.
    let settings = RecoverySettings { concurrency: 1, shuffle_peers: false, ..fast() };
    let outcome = recover_blob(&cluster.nodes[2].node, &clients(&peers), blob_id, &settings).await.unwrap();
    assert_eq!(outcome.recovered.len(), 6);
    assert!(cluster.nodes[2].node.missing_slivers(&blob_id).unwrap().is_empty());
    let rejected = outcome.peer_errors.iter().filter(|error| error.contains("bad proof")).count();
    // Asked once per axis, the liar's 10 * 3 symbols were refused both times.
    assert_eq!(rejected, 2 * 10 * targets.len(), "every forged symbol was rejected: {:?}", outcome.peer_errors);
    for pair in &encoded.pairs {
        if cluster.holder_of_pair(&blob_id, pair.index().0) == 2 {
            assert_eq!(
                cluster.nodes[2].node.sliver(&blob_id, pair.index(), SliverType::Secondary).unwrap(),
                pair.secondary
            );
        }
    }
}
