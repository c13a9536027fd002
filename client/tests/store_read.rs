//! The client's data paths against real storage nodes (floe-node over loopback, with an
//! test chain standing in for Sui): upload to a certificate, read back, status.

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use common::{ClientView as _, EPOCH, blob, cluster};
use floe_client::{NoProgress, ReadError, UploadError};
use floe_encoder::{
    EncodingConfig,
    certificate::Threshold,
    encode,
    messages::{BlobPersistence, StorageConfirmation},
};
use floe_node::chain_state::ChainChange;
use sui_sdk_types::Address;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_of_0_1_and_3_mib_bytes_upload_to_a_valid_certificate_and_read_back_identical() {
    let cluster = cluster(&[8, 8, 8, 8, 8]).await;
    let client = cluster.client();
    let config = EncodingConfig::new(40).unwrap();
    for (len, seed) in [(0, 1), (1, 2), (3 << 20, 3)] {
        let data = blob(len, seed);
        let encoded = encode(&config, &data).unwrap();
        let blob_id = *encoded.metadata.blob_id();
        cluster.register(blob_id, seed);
        let certificate = client.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();
        let committee = client.committee();
        certificate.verify(committee.certificate_committee(), Threshold::Quorum).unwrap();
        let expected = StorageConfirmation { epoch: EPOCH, blob_id, persistence: BlobPersistence::Permanent };
        assert_eq!(certificate.message, expected.to_bytes());
        let read = client.read(&blob_id, &NoProgress).await.unwrap();
        assert_eq!(read.len(), len);
        assert!(read == data, "blob of {len} bytes read back different");
    }
    // A client without a chain reads and uploads, and says why it cannot store.
    let refused = client.store(blob(10, 4), &floe_client::StoreOptions::default(), &NoProgress).await.unwrap_err();
    assert!(matches!(refused, floe_client::StoreError::Chain(floe_client::ChainError::NoChain)), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_stored_with_f_nodes_down_reads_back_identical() {
    // 40 shards tolerate f = 13 faulty; nodes 5 and 6 hold 10 of them.
    let mut cluster = cluster(&[6, 6, 6, 6, 6, 5, 5]).await;
    cluster.stop(5).await;
    cluster.stop(6).await;
    let client = cluster.client();
    let data = blob(200_000, 7);
    let encoded = encode(client.committee().config(), &data).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 7);
    let certificate = client.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();
    assert_eq!(certificate.signers, vec![0, 1, 2, 3, 4]);
    assert_eq!(client.read(&blob_id, &NoProgress).await.unwrap(), data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_does_not_wait_for_nodes_that_never_answer_beyond_the_grace_period() {
    upload_past_two_silent_nodes(floe_client::settings::Grace::fixed(Duration::from_millis(300))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grace_period_follows_the_time_the_quorum_took_not_only_its_bound() {
    // Twice the quorum's time, with a bound of ten minutes: a quorum of loopback nodes takes
    // well under a second, so the upload ends long before the bound.
    let grace = floe_client::settings::Grace { base: Duration::ZERO, percent: 200, most: Duration::from_secs(600) };
    upload_past_two_silent_nodes(grace).await;
}

/// Uploads to a committee whose nodes 5 and 6 (10 of 40 shards; f = 13) take connections and
/// never answer, the client willing to wait ten minutes for each request: the upload must end by
/// the grace period, within a bound far below the request timeout.
async fn upload_past_two_silent_nodes(grace: floe_client::settings::Grace) {
    let cluster = cluster(&[6, 6, 6, 6, 6, 5, 5]).await;
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let mut members = cluster.committee().members().to_vec();
    for member in &mut members[5..] {
        member.url = silent_url.clone();
    }
    let committee = floe_client::StorageCommittee::new(EPOCH, 40, members).unwrap();
    let settings = floe_client::Settings {
        request_timeout: Duration::from_secs(600),
        quorum_grace: grace,
        ..common::quick_settings()
    };
    let client = floe_client::FloeClient::with_committee(committee, settings);
    let encoded = encode(client.committee().config(), &blob(100_000, 9)).unwrap();
    cluster.register(*encoded.metadata.blob_id(), 9);
    let upload = client.upload(&encoded, BlobPersistence::Permanent, &NoProgress);
    let certificate = tokio::time::timeout(Duration::from_secs(60), upload)
        .await
        .expect("the upload ends with the grace period, not the request timeout")
        .unwrap();
    assert_eq!(certificate.signers, vec![0, 1, 2, 3, 4]);
    certificate.verify(client.committee().certificate_committee(), Threshold::Quorum).unwrap();
    holder.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_certified_an_upload_does_not_wait_out_the_grace_period_for_a_node_that_refuses_connections() {
    // 10 shards need 7 for a quorum; node 3 (2 shards) is stopped, so its connections are
    // refused. It is retried far longer than the test's bound, and its grace period is longer
    // still: only giving up on a node that does not answer ends the upload in time.
    let mut cluster = cluster(&[3, 3, 2, 2]).await;
    cluster.stop(3).await;
    let settings = floe_client::Settings {
        store_attempts: 10_000,
        retry_delay: Duration::from_millis(100),
        quorum_grace: floe_client::settings::Grace::fixed(Duration::from_secs(600)),
        ..common::quick_settings()
    };
    let client = floe_client::FloeClient::with_committee(cluster.committee(), settings);
    let encoded = encode(client.committee().config(), &blob(20_000, 12)).unwrap();
    cluster.register(*encoded.metadata.blob_id(), 12);
    let upload = client.upload(&encoded, BlobPersistence::Permanent, &NoProgress);
    let certificate = tokio::time::timeout(Duration::from_secs(60), upload)
        .await
        .expect("the upload stops waiting for the node that refuses connections")
        .unwrap();
    assert_eq!(certificate.signers, vec![0, 1, 2]);
    certificate.verify(client.committee().certificate_committee(), Threshold::Quorum).unwrap();
}

/// A server in front of node `honest` that passes every request on, holding each PUT (metadata,
/// slivers) back for `delay` and each confirmation's answer for a minute; it counts the
/// confirmation answers it has let go.
async fn slow_proxy(honest: String, delay: Duration) -> (String, Arc<AtomicUsize>) {
    use axum::{
        extract::{Request, State},
        http::{StatusCode, Uri},
    };

    type Shared = (String, Duration, Arc<AtomicUsize>);
    async fn forward(State(shared): State<Arc<Shared>>, uri: Uri, request: Request) -> (StatusCode, Vec<u8>) {
        let (honest, delay, confirmations) = &*shared;
        if request.method() == axum::http::Method::PUT {
            tokio::time::sleep(*delay).await;
        }
        let (_, status, body) = common::forward(honest, &uri, request).await;
        if uri.path().contains("/confirmation/") {
            tokio::time::sleep(Duration::from_secs(60)).await;
            confirmations.fetch_add(1, Ordering::SeqCst);
        }
        (StatusCode::from_u16(status).unwrap(), body)
    }

    let confirmations = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().fallback(forward).with_state(Arc::new((honest, delay, confirmations.clone())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, confirmations)
}

/// What an answer-delaying proxy saw: when each request came in and when its answer went out,
/// since the proxy started.
#[derive(Default)]
struct Seen {
    /// `(path, came in, answered)` of every request.
    requests: std::sync::Mutex<Vec<(String, Duration, Duration)>>,
}

/// A server in front of node `honest` that passes every request on at once and holds each
/// answer back for `delay` before returning it, as a network's round trip would.
async fn answer_delaying_proxy(honest: String, delay: Duration) -> (String, Arc<Seen>) {
    use axum::{
        extract::{Request, State},
        http::{StatusCode, Uri},
    };

    type Shared = (String, Duration, std::time::Instant, Arc<Seen>);
    async fn forward(State(shared): State<Arc<Shared>>, uri: Uri, request: Request) -> (StatusCode, Vec<u8>) {
        let (honest, delay, started, seen) = &*shared;
        let came = started.elapsed();
        let (path, status, body) = common::forward(honest, &uri, request).await;
        tokio::time::sleep(*delay).await;
        seen.requests.lock().unwrap().push((path, came, started.elapsed()));
        (StatusCode::from_u16(status).unwrap(), body)
    }

    let seen = Arc::new(Seen::default());
    let shared = Arc::new((honest, delay, std::time::Instant::now(), seen.clone()));
    let app = axum::Router::new().fallback(forward).with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

/// A store is one round per node: the metadata and the slivers go at once, and the confirmation
/// is asked for while the last slivers are on their way. With every answer held back as a round
/// trip would, each node gets its slivers before its metadata's answer goes out and its
/// confirmation request before its slivers' answers do; it signs once it has them, asked once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_asks_each_node_for_metadata_slivers_and_confirmation_in_one_round() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let honest = cluster.committee();
    let mut members = honest.members().to_vec();
    let mut proxies = Vec::new();
    for member in &mut members {
        let (url, seen) = answer_delaying_proxy(member.url.clone(), Duration::from_millis(300)).await;
        member.url = url;
        proxies.push(seen);
    }
    let committee = floe_client::StorageCommittee::new(honest.epoch(), honest.n_shards(), members).unwrap();
    let settings = floe_client::Settings {
        quorum_grace: floe_client::settings::Grace::fixed(Duration::from_secs(600)),
        ..common::quick_settings()
    };
    let client = floe_client::FloeClient::with_committee(committee, settings);
    // 200 KB: each node's slivers in one batch.
    let encoded = encode(client.committee().config(), &blob(200_000, 33)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 33);
    let certificate = client.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();
    certificate.verify(client.committee().certificate_committee(), Threshold::Quorum).unwrap();
    for (node, seen) in proxies.iter().enumerate() {
        let requests = seen.requests.lock().unwrap();
        let of = |kind: &str| requests.iter().filter(|(path, ..)| path.contains(kind)).collect::<Vec<_>>();
        let (metadata, slivers, confirmations) = (of("/metadata"), of("/slivers"), of("/confirmation/"));
        assert_eq!(metadata.len(), 1, "node {node}: {metadata:?}");
        assert_eq!(slivers.len(), 1, "node {node}: one batch, sent once: {slivers:?}");
        let first_sliver_asked = slivers.iter().map(|(_, asked, _)| *asked).min().expect("slivers sent");
        let last_sliver_answer = slivers.iter().map(|(_, _, answered)| *answered).max().expect("slivers sent");
        let metadata_answer = metadata[0].2;
        assert!(
            first_sliver_asked < metadata_answer,
            "node {node}: slivers sent at {first_sliver_asked:?}, after the metadata's answer at {metadata_answer:?}"
        );
        if certificate.signers.contains(&(node as u16)) {
            assert_eq!(confirmations.len(), 1, "node {node}: {confirmations:?}");
            let (_, asked, _) = confirmations[0];
            assert!(slivers.iter().all(|(_, _, answered)| answered > asked), "node {node}: {slivers:?}");
            assert!(
                *asked < last_sliver_answer,
                "node {node}: confirmation asked at {asked:?}, after its last sliver answer at {last_sliver_answer:?}"
            );
        }
    }
}

/// Once the certificate is built, a slower node's confirmation is not waited for (nothing needs
/// it): the upload waits for its data, within the grace period, and not for a signature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_the_certificate_is_built_a_slower_node_gets_its_data_and_its_confirmation_is_not_waited_for() {
    // Nodes 1-3 hold 7 of the 10 shards, a quorum without node 0, whose metadata and slivers a
    // proxy holds back a second each.
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let honest = cluster.committee();
    let mut members = honest.members().to_vec();
    let (url, confirmations) = slow_proxy(members[0].url.clone(), Duration::from_secs(1)).await;
    members[0].url = url;
    let committee = floe_client::StorageCommittee::new(honest.epoch(), honest.n_shards(), members).unwrap();
    let settings = floe_client::Settings {
        quorum_grace: floe_client::settings::Grace::fixed(Duration::from_secs(600)),
        ..common::quick_settings()
    };
    let client = floe_client::FloeClient::with_committee(committee, settings);
    let encoded = encode(client.committee().config(), &blob(20_000, 31)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 31);
    let upload = client.upload(&encoded, BlobPersistence::Permanent, &NoProgress);
    // Its confirmation's answer is held a minute.
    let certificate = tokio::time::timeout(Duration::from_secs(20), upload)
        .await
        .expect("the upload ends once the slower node has its data, without its confirmation")
        .unwrap();
    assert_eq!(certificate.signers, vec![1, 2, 3]);
    assert!(cluster.nodes[0].node.missing_slivers(&blob_id).unwrap().is_empty(), "node 0 has all its slivers");
    assert!(cluster.nodes[0].node.has_metadata(&blob_id).unwrap());
    assert_eq!(confirmations.load(Ordering::SeqCst), 0, "node 0's confirmation came through the proxy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_to_too_few_live_nodes_fails_naming_the_weight_and_the_failures() {
    let mut cluster = cluster(&[3, 3, 2, 2]).await;
    // 10 shards need 7 for a quorum; with 5 shards down at most 5 confirm.
    cluster.stop(0).await;
    cluster.stop(2).await;
    let mut client_settings = common::quick_settings();
    client_settings.store_attempts = 2;
    let client = floe_client::FloeClient::with_committee(cluster.committee(), client_settings);
    let encoded = encode(client.committee().config(), &blob(1000, 1)).unwrap();
    cluster.register(*encoded.metadata.blob_id(), 1);
    let error = client.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap_err();
    let UploadError::NotEnoughConfirmations { weight, needed, ref failures, .. } = error else {
        panic!("unexpected error {error}")
    };
    assert_eq!((weight, needed), (5, 7));
    // Each failure is the node's own error, held against the nodes that were down.
    let mut failed: Vec<&str> = failures.iter().filter_map(|failure| failure.url()).collect();
    failed.sort_unstable();
    failed.dedup();
    let down = [cluster.nodes[0].url(), cluster.nodes[2].url()];
    assert!(!failed.is_empty(), "{failures}");
    for url in &failed {
        assert!(down.iter().any(|node| url.starts_with(node.as_str())), "{url} is not a stopped node: {failures}");
    }
    for node in &down {
        assert!(failed.iter().any(|url| url.starts_with(node.as_str())), "{node} not named: {failures}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_waits_for_a_registration_that_reaches_the_nodes_late() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let client = cluster.client();
    let encoded = encode(client.committee().config(), &blob(5000, 9)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    let chain = cluster.chain.clone();
    // The chain follower sees the registration a second after the client starts uploading.
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        chain.apply([ChainChange::Registered {
            blob_id,
            object_id: Address::new([9; 32]),
            end_epoch: 10,
            deletable: false,
        }]);
    });
    let certificate = client.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();
    // The certificate is built as soon as nodes of a quorum of shards confirmed.
    certificate.verify(client.committee().certificate_committee(), Threshold::Quorum).unwrap();
    assert!(certificate.signers.len() >= 3, "{:?}", certificate.signers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletable_blobs_are_confirmed_for_their_object() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let client = cluster.client();
    let encoded = encode(client.committee().config(), &blob(3000, 4)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    cluster.chain.apply([ChainChange::Registered {
        blob_id,
        object_id: Address::new([0x44; 32]),
        end_epoch: 10,
        deletable: true,
    }]);
    let persistence = BlobPersistence::Deletable { object_id: [0x44; 32] };
    let certificate = client.upload(&encoded, persistence, &NoProgress).await.unwrap();
    let expected = StorageConfirmation { epoch: EPOCH, blob_id, persistence };
    assert_eq!(certificate.message, expected.to_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_nobody_stored_is_not_found() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let client = cluster.client();
    let blob_id = *encode(client.committee().config(), b"never stored").unwrap().metadata.blob_id();
    let error = client.read(&blob_id, &NoProgress).await.unwrap_err();
    assert!(matches!(error, ReadError::NotFound(id) if id == blob_id), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_certification_backed_by_one_correct_node() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let client = cluster.client();
    let encoded = encode(client.committee().config(), &blob(100, 5)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    assert_eq!(client.status(&blob_id).await.certified_until, None);
    cluster.register(blob_id, 5);
    let report = client.status(&blob_id).await;
    assert_eq!((report.certified_until, report.weight, report.answered), (None, 10, 10));
    cluster.certify(blob_id, 5);
    assert_eq!(client.status(&blob_id).await.certified_until, Some(10));
}
