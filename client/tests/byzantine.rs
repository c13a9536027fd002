//! Reads succeed while some nodes lie: a node serving metadata of another blob or corrupted
//! slivers is caught by verification and its answers are replaced by other nodes', and is not
//! asked again during the same read.

mod common;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use common::{ClientView as _, blob, cluster};
use floe_client::{FloeClient, NoProgress, StorageCommittee};
use floe_encoder::{EncodingConfig, SliverIndex, SliverType, encode, messages::BlobPersistence};
use tokio::net::TcpListener;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lie {
    Metadata,
    Slivers,
    Both,
}

struct Liar {
    honest: String,
    lie: Lie,
    http: reqwest::Client,
    /// Metadata of some other blob, sent as if it were the one asked for.
    other_metadata: Vec<u8>,
    /// Sliver requests received.
    slivers_asked: AtomicUsize,
}

async fn metadata(State(liar): State<Arc<Liar>>, Path(id): Path<String>) -> (StatusCode, Vec<u8>) {
    let honest = liar.http.get(format!("{}/v1/blobs/{id}/metadata", liar.honest)).send().await.unwrap();
    let mut body = honest.bytes().await.unwrap().to_vec();
    if liar.lie != Lie::Slivers {
        body.truncate(32);
        body.extend_from_slice(&liar.other_metadata);
    }
    (StatusCode::OK, body)
}

async fn sliver(
    State(liar): State<Arc<Liar>>,
    Path((id, pair, axis)): Path<(String, String, String)>,
) -> (StatusCode, Bytes) {
    liar.slivers_asked.fetch_add(1, Ordering::SeqCst);
    let url = format!("{}/v1/blobs/{id}/slivers/{pair}/{axis}", liar.honest);
    let honest = liar.http.get(url).send().await.unwrap();
    let status = StatusCode::from_u16(honest.status().as_u16()).unwrap();
    let mut body = honest.bytes().await.unwrap().to_vec();
    if liar.lie != Lie::Metadata && status.is_success() {
        // The last data byte: the BCS ends with the symbol size and the index (2 bytes each).
        let last = body.len() - 5;
        body[last] ^= 0xa5;
    }
    (status, Bytes::from(body))
}

/// A server in front of an honest node that lies as told.
async fn liar(honest: String, lie: Lie) -> String {
    counted_liar(honest, lie).await.0
}

/// [`liar`], with its request counts.
async fn counted_liar(honest: String, lie: Lie) -> (String, Arc<Liar>) {
    let other = encode(&EncodingConfig::new(10).unwrap(), b"some other blob").unwrap();
    let state = Arc::new(Liar {
        honest,
        lie,
        http: reqwest::Client::new(),
        other_metadata: other.metadata.metadata().to_bcs(),
        slivers_asked: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/v1/blobs/{id}/metadata", get(metadata))
        .route("/v1/blobs/{id}/slivers/{pair}/{axis}", get(sliver))
        .with_state(state.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, state)
}

/// The committee with the given members reached through liars.
async fn with_liars(committee: &StorageCommittee, liars: &[(usize, Lie)]) -> FloeClient {
    let mut members = committee.members().to_vec();
    for (index, lie) in liars {
        members[*index].url = liar(members[*index].url.clone(), *lie).await;
    }
    let committee = StorageCommittee::new(committee.epoch(), committee.n_shards(), members).unwrap();
    FloeClient::with_committee(committee, common::quick_settings())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_serving_corrupted_slivers_and_wrong_metadata_does_not_stop_a_read() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let honest = cluster.client();
    let data = blob(50_000, 3);
    let encoded = encode(honest.committee().config(), &data).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 3);
    honest.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();

    // Node 0 holds f = 3 of the 10 shards and lies about everything.
    let client = with_liars(&honest.committee(), &[(0, Lie::Both)]).await;
    for _ in 0..4 {
        assert_eq!(client.read(&blob_id, &NoProgress).await.unwrap(), data);
    }
    // Slivers only: the primary slivers of node 0 fail verification and others replace them.
    let client = with_liars(&honest.committee(), &[(0, Lie::Slivers)]).await;
    assert_eq!(client.read(&blob_id, &NoProgress).await.unwrap(), data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_taken_only_from_a_node_whose_answer_matches_the_blob_id() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let honest = cluster.client();
    let data = blob(10_000, 8);
    let encoded = encode(honest.committee().config(), &data).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 8);
    honest.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();
    // Three of four nodes send another blob's metadata; only node 3 tells the truth.
    let client = with_liars(&honest.committee(), &[(0, Lie::Metadata), (1, Lie::Metadata), (2, Lie::Metadata)]).await;
    for _ in 0..4 {
        assert_eq!(client.read(&blob_id, &NoProgress).await.unwrap(), data);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_lies_is_not_asked_again_during_the_same_read() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let honest = cluster.client();
    let committee = honest.committee();
    let config = *committee.config();
    let needed = config.n_source_symbols(SliverType::Primary);
    // A blob of which node 0 holds at least two of the systematic primary slivers a read asks
    // for first, so that a liar could be asked for several at once.
    let (data, encoded) = (0u8..=255)
        .map(|seed| {
            let data = blob(20_000, seed);
            let encoded = encode(&config, &data).unwrap();
            (data, encoded)
        })
        .find(|(_, encoded)| {
            let blob_id = encoded.metadata.blob_id();
            let pairs = (0..needed).map(|index| SliverIndex(index).pair_index(SliverType::Primary, config.n_shards()));
            pairs.filter(|pair| committee.holder_of_pair(blob_id, *pair) == 0).count() >= 2
        })
        .unwrap();
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 3);
    honest.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();

    let client_through = |url: String| {
        let mut members = committee.members().to_vec();
        members[0].url = url;
        FloeClient::with_committee(
            StorageCommittee::new(committee.epoch(), committee.n_shards(), members).unwrap(),
            common::quick_settings(),
        )
    };
    // Corrupted slivers: one request finds out, the node's other slivers come from elsewhere.
    let (url, liar) = counted_liar(committee.members()[0].url.clone(), Lie::Slivers).await;
    let client = client_through(url);
    for _ in 0..4 {
        let before = liar.slivers_asked.load(Ordering::SeqCst);
        assert_eq!(client.read(&blob_id, &NoProgress).await.unwrap(), data);
        let asked = liar.slivers_asked.load(Ordering::SeqCst) - before;
        assert_eq!(asked, 1, "the lying node was asked for {asked} slivers in one read");
    }
}

/// A server in front of an honest node that passes every request on, but signs the storage
/// confirmations it returns with another key than the node's.
async fn forging_proxy(honest: String) -> String {
    use axum::{extract::Request, http::Uri};
    use base64::{Engine as _, engine::general_purpose::STANDARD};

    async fn forward(State(honest): State<Arc<String>>, uri: Uri, request: Request) -> (StatusCode, Vec<u8>) {
        let (path, status, mut body) = common::forward(&honest, &uri, request).await;
        let status = StatusCode::from_u16(status).unwrap();
        if path.contains("/confirmation/") && status.is_success() {
            let mut json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let signed = &mut json["success"]["data"]["signed"];
            let message = STANDARD.decode(signed["serializedMessage"].as_str().unwrap()).unwrap();
            let forger = floe_encoder::bls::BlsSecretKey::from_seed(&[0xf0; 32]);
            signed["signature"] = STANDARD.encode(forger.sign(&message).to_bytes()).into();
            body = serde_json::to_vec(&json).unwrap();
        }
        (status, body)
    }

    let app = Router::new().fallback(forward).with_state(Arc::new(honest));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// The upload checks the confirmations' signatures together, once, at the quorum: a node whose
/// confirmation does not verify with its key is named and left out, and the certificate is made
/// of the others' (or the upload fails naming it, when it cannot be made without that node).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_signed_with_another_key_is_left_out_of_the_certificate_and_named() {
    let mut cluster = cluster(&[3, 3, 2, 2]).await;
    let honest = cluster.committee();
    let mut members = honest.members().to_vec();
    members[0].url = forging_proxy(members[0].url.clone()).await;
    let forged = members[0].url.clone();
    let committee = StorageCommittee::new(honest.epoch(), honest.n_shards(), members).unwrap();
    let client = FloeClient::with_committee(committee.clone(), common::quick_settings());

    // Nodes 1-3 hold 7 of the 10 shards, a quorum without node 0.
    let encoded = encode(committee.config(), &blob(30_000, 21)).unwrap();
    cluster.register(*encoded.metadata.blob_id(), 21);
    let certificate = client.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();
    assert!(!certificate.signers.contains(&0), "the forged confirmation is in the certificate");
    certificate.verify(committee.certificate_committee(), floe_encoder::certificate::Threshold::Quorum).unwrap();

    // Without node 3 (2 shards), node 0's 3 are needed: the upload fails and names it.
    cluster.stop(3).await;
    let encoded = encode(committee.config(), &blob(30_000, 22)).unwrap();
    cluster.register(*encoded.metadata.blob_id(), 22);
    let error = client.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap_err();
    let floe_client::UploadError::NotEnoughConfirmations { weight, ref failures, .. } = error else {
        panic!("unexpected error {error}")
    };
    assert_eq!(weight, 5, "{error}");
    let named = failures.iter().any(|failure| {
        matches!(
            failure,
            floe_client::SourceFailure::Node(floe_client::node_api::NodeApiError::Invalid {
                url,
                reason: floe_client::node_api::InvalidAnswer::Signature(_),
            }) if url.starts_with(&forged)
        )
    });
    assert!(named, "node 0's bad signature is not among the failures: {failures}");
}
