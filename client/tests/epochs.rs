//! Reads across an epoch change: a shard's new holder may not have its slivers yet, so the
//! previous holder is asked; and a node caught lying is not asked again during the read.

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
use common::{ClientView as _, EPOCH, blob, cluster, quick_settings};
use floe_client::{FloeClient, NoProgress, ReadError, Settings, StorageCommittee};
use floe_encoder::{SliverIndex, SliverType, encode, messages::BlobPersistence};
use tokio::net::TcpListener;

/// A server in front of a node that counts the sliver requests it passes on, and corrupts the
/// slivers it serves when told to.
struct Proxy {
    upstream: String,
    corrupt: bool,
    http: reqwest::Client,
    /// Sliver requests the node answered with a sliver.
    served: AtomicUsize,
    /// Sliver requests the node refused.
    refused: AtomicUsize,
}

impl Proxy {
    fn requests(&self) -> usize {
        self.served.load(Ordering::SeqCst) + self.refused.load(Ordering::SeqCst)
    }
}

async fn metadata(State(proxy): State<Arc<Proxy>>, Path(id): Path<String>) -> (StatusCode, Bytes) {
    let answer = proxy.http.get(format!("{}/v1/blobs/{id}/metadata", proxy.upstream)).send().await.unwrap();
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    (status, answer.bytes().await.unwrap())
}

async fn sliver(
    State(proxy): State<Arc<Proxy>>,
    Path((id, pair, axis)): Path<(String, String, String)>,
) -> (StatusCode, Bytes) {
    let url = format!("{}/v1/blobs/{id}/slivers/{pair}/{axis}", proxy.upstream);
    let answer = proxy.http.get(url).send().await.unwrap();
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let mut body = answer.bytes().await.unwrap().to_vec();
    if status.is_success() {
        proxy.served.fetch_add(1, Ordering::SeqCst);
        if proxy.corrupt {
            // The last data byte: the BCS ends with the symbol size and the index (2 bytes each).
            let last = body.len() - 5;
            body[last] ^= 0xa5;
        }
    } else {
        proxy.refused.fetch_add(1, Ordering::SeqCst);
    }
    (status, Bytes::from(body))
}

async fn proxy(upstream: String, corrupt: bool) -> (Arc<Proxy>, String) {
    let state = Arc::new(Proxy {
        upstream,
        corrupt,
        http: reqwest::Client::new(),
        served: AtomicUsize::new(0),
        refused: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/v1/blobs/{id}/metadata", get(metadata))
        .route("/v1/blobs/{id}/slivers/{pair}/{axis}", get(sliver))
        .with_state(state.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (state, url)
}

/// `committee` with every member reached through a proxy (corrupting for the members in `liars`).
async fn behind_proxies(committee: &StorageCommittee, liars: &[usize]) -> (StorageCommittee, Vec<Arc<Proxy>>) {
    let mut members = committee.members().to_vec();
    let mut proxies = Vec::new();
    for (index, member) in members.iter_mut().enumerate() {
        let (state, url) = proxy(member.url.clone(), liars.contains(&index)).await;
        member.url = url;
        proxies.push(state);
    }
    (StorageCommittee::new(committee.epoch(), committee.n_shards(), members).unwrap(), proxies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_its_new_holder_lacks_is_read_from_its_previous_holder() {
    let cluster = cluster(&[3, 3, 3, 3]).await;
    let honest = cluster.client();
    let data = blob(40_000, 5);
    let encoded = encode(honest.committee().config(), &data).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 5);
    honest.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();

    // The epoch after: every node took over the shards of the next one, and has none of their
    // slivers yet.
    let (previous, proxies) = behind_proxies(&honest.committee(), &[]).await;
    let mut members = previous.members().to_vec();
    let shards: Vec<_> = members.iter().map(|member| member.shards.clone()).collect();
    for (index, member) in members.iter_mut().enumerate() {
        member.shards = shards[(index + 1) % shards.len()].clone();
    }
    let current = StorageCommittee::new(EPOCH + 1, previous.n_shards(), members).unwrap();

    let alone = FloeClient::with_committee(current.clone(), quick_settings());
    let error = alone.read(&blob_id, &NoProgress).await.unwrap_err();
    assert!(matches!(error, ReadError::NotEnoughSlivers { got: 0, .. }), "{error}");
    let refused_alone: usize = proxies.iter().map(|proxy| proxy.refused.load(Ordering::SeqCst)).sum();
    assert!(refused_alone > 0, "the new holders were asked");
    for proxy in &proxies {
        proxy.served.store(0, Ordering::SeqCst);
        proxy.refused.store(0, Ordering::SeqCst);
    }

    let client = FloeClient::with_committees(current, Some(previous.clone()), quick_settings());
    assert_eq!(client.read(&blob_id, &NoProgress).await.unwrap(), data);
    // Each of the n - 2f primary slivers needed was asked of its new holder (refused), then of
    // its previous holder (served), and no other pair was started.
    let needed = usize::from(previous.config().n_source_symbols(SliverType::Primary));
    let served: usize = proxies.iter().map(|proxy| proxy.served.load(Ordering::SeqCst)).sum();
    let refused: usize = proxies.iter().map(|proxy| proxy.refused.load(Ordering::SeqCst)).sum();
    assert_eq!((served, refused), (needed, needed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_sliver_fails_verification_is_not_asked_for_its_other_slivers() {
    let cluster = cluster(&[3, 3, 3, 3]).await;
    let honest = cluster.client();
    let data = blob(40_000, 9);
    let encoded = encode(honest.committee().config(), &data).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 9);
    honest.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();

    // One request at a time, so that the read knows of the lie before its next request. The read
    // asks the systematic primary slivers in order and needs n - 2f of them; the liar is the
    // node holding most of the first n - 2f + 1 (at least two of them, by pigeonhole).
    let settings = Settings { max_concurrent_requests: 1, ..quick_settings() };
    let committee = honest.committee();
    let n = committee.n_shards();
    let needed = committee.config().n_source_symbols(SliverType::Primary);
    let mut asked = vec![0usize; committee.members().len()];
    for index in 0..=needed {
        let pair = SliverIndex(index).pair_index(SliverType::Primary, n);
        asked[committee.holder_of_pair(&blob_id, pair)] += 1;
    }
    let liar = (0..asked.len()).max_by_key(|member| asked[*member]).unwrap();
    assert!(asked[liar] >= 2, "pairs per node among the first asked: {asked:?}");

    let (committee, proxies) = behind_proxies(&committee, &[liar]).await;
    let client = FloeClient::with_committees(committee, None, settings);
    assert_eq!(client.read(&blob_id, &NoProgress).await.unwrap(), data);
    assert_eq!(proxies[liar].requests(), 1, "the liar was asked again after its first corrupted sliver");
}
