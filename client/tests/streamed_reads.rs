//! Streamed and ranged reads ([`floe_client::BlobReader`]): the stream equals the blob at any
//! size, a range costs only the slivers holding it, a node's rows are asked of it one at a time
//! only until one has verified (then a bounded number at once, also when a read decodes), a lying
//! node's sliver is refused and its row rebuilt from the others, and reads sharing a budget hold
//! no more than it. A whole read, streamed or decoding, asks each node for its first row together
//! with the metadata; a quilt read, the columns it knows it needs.

mod common;

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Request, State},
    http::StatusCode,
};
use common::{ClientView as _, blob, cluster};
use floe_client::{FloeClient, NoProgress, ReadBudget, ReadPlan, StorageCommittee};
use floe_encoder::{
    BlobId, SliverIndex, SliverType, encode,
    messages::BlobPersistence,
    quilt::{Quilt, QuiltFile, QuiltIndex, QuiltPatchId},
};
use futures::StreamExt;
use tokio::net::TcpListener;

/// A server in front of an honest node that counts the requests it forwards, by path, and
/// corrupts the slivers it serves if told to. Each sliver and metadata answer is held for
/// `delay`, and the most sliver requests it had in hand at once is kept, and when sliver
/// requests came and metadata answers left.
struct Proxy {
    honest: String,
    corrupt_slivers: bool,
    delay: Duration,
    http: reqwest::Client,
    asked: Mutex<HashMap<String, usize>>,
    slivers_in_hand: AtomicUsize,
    most_slivers_in_hand: AtomicUsize,
    sliver_requests: Mutex<Vec<Instant>>,
    metadata_answers: Mutex<Vec<Instant>>,
}

impl Proxy {
    /// Sliver requests forwarded, by `(pair, axis)` path tail.
    fn slivers_asked(&self) -> Vec<String> {
        let asked = self.asked.lock().unwrap();
        let mut paths: Vec<String> = asked
            .iter()
            .filter(|(path, _)| path.contains("/slivers/"))
            .flat_map(|(path, count)| std::iter::repeat_n(path.clone(), *count))
            .collect();
        paths.sort();
        paths
    }
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> (StatusCode, Bytes) {
    let path = request.uri().path_and_query().map(ToString::to_string).unwrap_or_default();
    *proxy.asked.lock().unwrap().entry(request.uri().path().to_owned()).or_default() += 1;
    let sliver = path.contains("/slivers/");
    let metadata = request.uri().path().ends_with("/metadata");
    if sliver {
        proxy.sliver_requests.lock().unwrap().push(Instant::now());
        let in_hand = proxy.slivers_in_hand.fetch_add(1, Ordering::SeqCst) + 1;
        proxy.most_slivers_in_hand.fetch_max(in_hand, Ordering::SeqCst);
    }
    if sliver || metadata {
        tokio::time::sleep(proxy.delay).await;
    }
    let honest = proxy.http.get(format!("{}{path}", proxy.honest)).send().await.unwrap();
    let status = StatusCode::from_u16(honest.status().as_u16()).unwrap();
    let mut body = honest.bytes().await.unwrap().to_vec();
    if proxy.corrupt_slivers && path.contains("/slivers/") && status.is_success() {
        // The last data byte: the BCS ends with the symbol size and the index (2 bytes each).
        let last = body.len() - 5;
        body[last] ^= 0xa5;
    }
    if sliver {
        proxy.slivers_in_hand.fetch_sub(1, Ordering::SeqCst);
    }
    if metadata {
        proxy.metadata_answers.lock().unwrap().push(Instant::now());
    }
    (status, Bytes::from(body))
}

async fn proxy(honest: String, corrupt_slivers: bool, delay: Duration) -> (String, Arc<Proxy>) {
    let state = Arc::new(Proxy {
        honest,
        corrupt_slivers,
        delay,
        http: reqwest::Client::new(),
        asked: Mutex::default(),
        slivers_in_hand: AtomicUsize::new(0),
        most_slivers_in_hand: AtomicUsize::new(0),
        sliver_requests: Mutex::default(),
        metadata_answers: Mutex::default(),
    });
    let app = Router::new().fallback(forward).with_state(state.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, state)
}

/// A client reaching every node through a proxy; node `i` corrupts slivers if `liars[i]`; every
/// sliver and metadata answer takes `delay` more.
async fn through_proxies(
    committee: &StorageCommittee,
    liars: &[usize],
    delay: Duration,
) -> (FloeClient, Vec<Arc<Proxy>>) {
    let mut members = committee.members().to_vec();
    let mut proxies = Vec::new();
    for (index, member) in members.iter_mut().enumerate() {
        let (url, state) = proxy(member.url.clone(), liars.contains(&index), delay).await;
        member.url = url;
        proxies.push(state);
    }
    let committee = StorageCommittee::new(committee.epoch(), committee.n_shards(), members).unwrap();
    (FloeClient::with_committee(committee, common::quick_settings()), proxies)
}

/// Stores `data` on `cluster` (registered and uploaded); its blob id and row length.
async fn stored(cluster: &common::Cluster, data: &[u8], object: u8) -> (BlobId, u64) {
    let client = cluster.client();
    let config = *client.committee().config();
    let encoded = encode(&config, data).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, object);
    client.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();
    let row_len = config.sliver_len(SliverType::Primary, encoded.metadata.symbol_size(&config)) as u64;
    (blob_id, row_len)
}

/// A blob of 60,000 bytes whose rows' holders (by row, node indices in `committee`) satisfy
/// `wanted`, with its blob id.
fn blob_whose_rows(
    config: &floe_encoder::EncodingConfig,
    committee: &StorageCommittee,
    wanted: impl Fn(&[usize]) -> bool,
) -> (Vec<u8>, BlobId) {
    let n_rows = config.n_source_symbols(SliverType::Primary);
    (0u8..=255)
        .map(|seed| {
            let data = blob(60_000, seed);
            let blob_id = *encode(config, &data).unwrap().metadata.blob_id();
            (data, blob_id)
        })
        .find(|(_, blob_id)| {
            let holders: Vec<usize> = (0..n_rows)
                .map(|row| {
                    let pair = floe_encoder::SliverIndex(row).pair_index(SliverType::Primary, config.n_shards());
                    committee.holder_of_pair(blob_id, pair)
                })
                .collect();
            wanted(&holders)
        })
        .expect("one of 256 blobs has its rows so placed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_reads_equal_the_blob_at_any_size_and_ranges_at_any_boundary() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let client = cluster.client();
    for (seed, len) in [0usize, 1, 13, 999, 50_001, 200_000].into_iter().enumerate() {
        let data = blob(len, seed as u8);
        let (blob_id, row_len) = stored(&cluster, &data, seed as u8 + 1).await;
        // A window of one row, so even small blobs stream in several windows; and the default
        // window with each node's first row fetched with the metadata.
        let ways = [(ReadBudget::new(1 << 30, 1), ReadPlan::Ranges), (ReadBudget::default(), ReadPlan::Whole)];
        for (budget, plan) in ways {
            let reader = client.open_blob(&blob_id, Arc::new(budget), plan).await.unwrap();
            assert_eq!(reader.len(), len as u64);
            let mut streamed = Vec::new();
            let mut chunks = reader.stream(0..reader.len());
            while let Some(chunk) = chunks.next().await {
                streamed.extend_from_slice(&chunk.unwrap());
            }
            assert!(streamed == data, "the stream of {len} bytes differs from the blob ({plan:?})");
            if len == 0 {
                continue;
            }
            let len = len as u64;
            let row = row_len.min(len - 1).max(1);
            let ranges = [0..1, len - 1..len, row - 1..(row + 1).min(len), len.saturating_sub(10)..len, 0..len];
            for range in ranges {
                let part = reader.read(range.clone()).await.unwrap();
                assert!(part == data[range.start as usize..range.end as usize], "range {range:?} of {len} bytes");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_fetches_only_the_slivers_holding_it() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let data = blob(100_000, 21);
    let (blob_id, row_len) = stored(&cluster, &data, 21).await;
    let (client, proxies) = through_proxies(&cluster.committee(), &[], Duration::ZERO).await;
    let asked = |proxies: &[Arc<Proxy>]| proxies.iter().flat_map(|proxy| proxy.slivers_asked()).collect::<Vec<_>>();
    let n_rows = data.len().div_ceil(row_len as usize);

    let reader = client.open_blob(&blob_id, Arc::default(), ReadPlan::Ranges).await.unwrap();
    assert!(asked(&proxies).is_empty(), "opened for ranges, slivers were asked for: {:?}", asked(&proxies));
    // Within row 1: one primary sliver, the one of row 1.
    let range = row_len + 10..row_len + 20;
    assert!(reader.read(range.clone()).await.unwrap() == data[range.start as usize..range.end as usize]);
    let slivers = asked(&proxies);
    assert_eq!(slivers.len(), 1, "{slivers:?}");
    let pair = floe_encoder::SliverIndex(1).pair_index(SliverType::Primary, cluster.config.n_shards());
    assert!(slivers[0].ends_with(&format!("/slivers/{pair}/primary")), "{slivers:?}");

    // Across the boundary of rows 1 and 2: two.
    let range = 2 * row_len - 1..2 * row_len + 1;
    assert!(reader.read(range.clone()).await.unwrap() == data[range.start as usize..range.end as usize]);
    assert_eq!(asked(&proxies).len(), 3);

    // The whole blob: each row once, no secondary sliver, nothing decoded.
    let before = asked(&proxies).len();
    assert!(reader.read(0..reader.len()).await.unwrap() == data);
    let slivers = asked(&proxies);
    assert_eq!(slivers.len() - before, n_rows, "{slivers:?}");
    assert!(slivers.iter().all(|path| path.ends_with("/primary")), "{slivers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodes_rows_are_asked_one_at_a_time_only_until_one_has_verified() {
    let cluster = cluster(&[6, 2, 2]).await;
    let committee = cluster.committee();
    let config = cluster.config;
    let n_rows = usize::from(config.n_source_symbols(SliverType::Primary));
    // A blob of which node 0 holds every row (systematic primary slivers).
    let (data, blob_id) = blob_whose_rows(&config, &committee, |holders| holders.iter().all(|holder| *holder == 0));
    assert!(n_rows >= 4);
    let (stored_id, _) = stored(&cluster, &data, 60).await;
    assert_eq!(stored_id, blob_id);
    // Its first row alone; once that verified, its other rows at once (they used to follow one
    // another, each waiting for the one before), up to the requests a node may have in hand.
    for (per_node, most) in [(8, n_rows - 1), (2, 2)] {
        let settings = floe_client::Settings { max_requests_per_node: per_node, ..common::quick_settings() };
        // Each sliver answer held long enough that requests sent together are in hand together.
        let (client, proxies) = through_proxies(&committee, &[], Duration::from_millis(200)).await;
        let client = FloeClient::with_committee(client.committee().as_ref().clone(), settings.clone());
        let reader = client.open_blob(&blob_id, Arc::default(), ReadPlan::Whole).await.unwrap();
        assert!(reader.read(0..reader.len()).await.unwrap() == data, "the stream returned other bytes");
        let asked = proxies[0].slivers_asked();
        assert_eq!(asked.len(), n_rows, "{asked:?}");
        assert_eq!(proxies[0].most_slivers_in_hand.load(Ordering::SeqCst), most, "{per_node} per node");
        // A whole read that decodes (`FloeClient::read`) asks the same way.
        let (client, proxies) = through_proxies(&committee, &[], Duration::from_millis(200)).await;
        let client = FloeClient::with_committee(client.committee().as_ref().clone(), settings.clone());
        assert!(client.read(&blob_id, &NoProgress).await.unwrap() == data, "the read returned other bytes");
        let asked = proxies[0].slivers_asked();
        assert_eq!(asked.len(), n_rows, "{asked:?}");
        assert_eq!(proxies[0].most_slivers_in_hand.load(Ordering::SeqCst), most, "{per_node} per node, decoding");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_nodes_sliver_is_refused_mid_stream_and_its_row_rebuilt_from_the_others() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let committee = cluster.committee();
    let config = cluster.config;
    // A blob of which node 0 holds two of the rows (systematic primary slivers), not the first.
    let (data, blob_id) = blob_whose_rows(&config, &committee, |holders| {
        holders[0] != 0 && holders.iter().filter(|holder| **holder == 0).count() >= 2
    });
    let (stored_id, _) = stored(&cluster, &data, 40).await;
    assert_eq!(stored_id, blob_id);
    let (client, proxies) = through_proxies(&committee, &[0], Duration::ZERO).await;
    // Its first row asked for with the metadata, as `floe read` does.
    let reader = client.open_blob(&blob_id, Arc::default(), ReadPlan::Whole).await.unwrap();
    assert!(reader.read(0..reader.len()).await.unwrap() == data, "the stream returned other bytes");
    // Asked once: its second row was not requested of it but rebuilt from recovery symbols.
    let liar_slivers = proxies[0].slivers_asked();
    assert_eq!(liar_slivers.len(), 1, "{liar_slivers:?}");
    let recovery: usize = proxies[1..]
        .iter()
        .map(|proxy| {
            let asked = proxy.asked.lock().unwrap();
            asked.iter().filter(|(path, _)| path.ends_with("/recoverySymbols")).map(|(_, count)| count).sum::<usize>()
        })
        .sum();
    assert!(recovery >= 3, "the other nodes were asked for recovery symbols {recovery} times");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_sharing_a_budget_wait_for_its_bytes_and_all_finish() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let client = cluster.client();
    let data = blob(80_000, 50);
    let (blob_id, row_len) = stored(&cluster, &data, 50).await;
    // Room for two rows in all, a window of ten.
    let budget = Arc::new(ReadBudget::new(2 * row_len as usize, 10 * row_len as usize));
    let reader = client.open_blob(&blob_id, budget.clone(), ReadPlan::Ranges).await.unwrap();
    let mut first = reader.stream(0..reader.len());
    let chunk = first.next().await.unwrap().unwrap();
    assert!(chunk == data[..row_len as usize]);
    // The first read, paused after one row, holds the whole budget: the next row in flight and
    // the one after it waiting for the bytes the first row gave back.
    assert_eq!(budget.available(), 0);
    let mut second = reader.stream(0..reader.len());
    assert!(futures::poll!(second.next()).is_pending(), "a read went past the budget");
    drop(first);
    let mut streamed = Vec::new();
    while let Some(chunk) = second.next().await {
        streamed.extend_from_slice(&chunk.unwrap());
    }
    assert!(streamed == data);
    assert_eq!(budget.available(), budget.total());

    // Many reads at once on a budget of one row: each finishes, none deadlocks.
    let budget = Arc::new(ReadBudget::new(row_len as usize, 10 * row_len as usize));
    let reader = client.open_blob(&blob_id, budget.clone(), ReadPlan::Ranges).await.unwrap();
    let reads = (0..8).map(|_| reader.read(0..reader.len()));
    for read in futures::future::join_all(reads).await {
        assert!(read.unwrap() == data);
    }
    assert_eq!(budget.available(), budget.total());
}

/// Each row's holder, by row.
fn holders_of_rows(
    config: &floe_encoder::EncodingConfig,
    committee: &StorageCommittee,
    blob_id: &BlobId,
) -> Vec<usize> {
    (0..config.n_source_symbols(SliverType::Primary))
        .map(|row| {
            let pair = floe_encoder::SliverIndex(row).pair_index(SliverType::Primary, config.n_shards());
            committee.holder_of_pair(blob_id, pair)
        })
        .collect()
}

/// The distinct nodes among `holders`.
fn distinct(holders: &[usize]) -> Vec<usize> {
    let mut nodes = holders.to_vec();
    nodes.sort_unstable();
    nodes.dedup();
    nodes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_read_asks_each_node_for_its_first_row_with_the_metadata() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let committee = cluster.committee();
    let config = cluster.config;
    // Rows on two nodes at least, one of them holding two at least (its others follow its first).
    let (data, blob_id) = blob_whose_rows(&config, &committee, |holders| {
        distinct(holders).len() >= 2
            && distinct(holders).iter().any(|node| holders.iter().filter(|h| *h == node).count() >= 2)
    });
    let (stored_id, _) = stored(&cluster, &data, 70).await;
    assert_eq!(stored_id, blob_id);
    let holders = holders_of_rows(&config, &committee, &blob_id);
    // Every metadata and sliver answer held 300 ms: what is asked before the metadata's answer
    // has left a proxy was asked without waiting for it.
    for plan in [ReadPlan::Whole, ReadPlan::Ranges] {
        let (client, proxies) = through_proxies(&committee, &[], Duration::from_millis(300)).await;
        let reader = client.open_blob(&blob_id, Arc::default(), plan).await.unwrap();
        assert!(reader.read(0..reader.len()).await.unwrap() == data, "the stream returned other bytes ({plan:?})");
        for (node, early) in asked_before_the_metadata(&proxies, &holders) {
            match plan {
                ReadPlan::Whole => assert!(early, "node {node}'s first row waited for the metadata"),
                ReadPlan::Ranges => assert!(!early, "node {node} was asked for a row before the metadata"),
            }
        }
    }
    // A read that decodes (`FloeClient::read`) needs every row: it asks the same way.
    let (client, proxies) = through_proxies(&committee, &[], Duration::from_millis(300)).await;
    assert!(client.read(&blob_id, &NoProgress).await.unwrap() == data, "the read returned other bytes");
    for (node, early) in asked_before_the_metadata(&proxies, &holders) {
        assert!(early, "node {node}'s first row waited for the metadata, decoding");
    }
}

/// For each node holding rows (`holders`, by row), whether its first sliver request came before
/// any metadata answer left a proxy; each of its rows must have been asked for once.
fn asked_before_the_metadata(proxies: &[Arc<Proxy>], holders: &[usize]) -> Vec<(usize, bool)> {
    let metadata_in = proxies.iter().flat_map(|proxy| proxy.metadata_answers.lock().unwrap().clone()).min().unwrap();
    distinct(holders)
        .into_iter()
        .map(|node| {
            let rows = holders.iter().filter(|holder| **holder == node).count();
            assert_eq!(proxies[node].slivers_asked().len(), rows, "node {node}");
            let first = *proxies[node].sliver_requests.lock().unwrap().iter().min().unwrap();
            (node, first < metadata_in)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_rows_longer_than_their_share_of_the_window_are_refused_unread_and_asked_for_again() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let committee = cluster.committee();
    let config = cluster.config;
    let (data, blob_id) = blob_whose_rows(&config, &committee, |holders| distinct(holders).len() >= 2);
    let (stored_id, row_len) = stored(&cluster, &data, 71).await;
    assert_eq!(stored_id, blob_id);
    let holders = holders_of_rows(&config, &committee, &blob_id);
    // A window of one row, shared by two nodes' first rows at least: each share is too short.
    let (client, proxies) = through_proxies(&committee, &[], Duration::ZERO).await;
    let budget = Arc::new(ReadBudget::new(1 << 30, row_len as usize));
    let reader = client.open_blob(&blob_id, budget, ReadPlan::Whole).await.unwrap();
    assert!(reader.read(0..reader.len()).await.unwrap() == data, "the stream returned other bytes");
    for node in distinct(&holders) {
        let rows = holders.iter().filter(|holder| **holder == node).count();
        let asked = proxies[node].slivers_asked();
        // The first row twice (refused, then served), the others once; no row rebuilt, so the
        // refusal did not count against the node.
        assert_eq!(asked.len(), rows + 1, "node {node}: {asked:?}");
        let recovery =
            proxies[node].asked.lock().unwrap().keys().filter(|path| path.ends_with("/recoverySymbols")).count();
        assert_eq!(recovery, 0, "node {node} was asked for recovery symbols");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_reads_first_rows_hold_their_own_bytes_of_the_budget_and_never_block_it() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let client = cluster.client();
    let committee = cluster.committee();
    let data = blob(80_000, 72);
    let (blob_id, row_len) = stored(&cluster, &data, 72).await;
    let row_len = row_len as usize;
    let firsts = distinct(&holders_of_rows(&cluster.config, &committee, &blob_id)).len();
    // Each first row reserved with an equal share of the window (here four rows), then only its
    // own length kept once it is in.
    let budget = Arc::new(ReadBudget::new(100 * row_len, 4 * firsts * row_len));
    let reader = client.open_blob(&blob_id, budget.clone(), ReadPlan::Whole).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while budget.available() != budget.total() - firsts * row_len {
        assert!(Instant::now() < deadline, "the first rows hold {} bytes", budget.total() - budget.available());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(reader.read(0..reader.len()).await.unwrap() == data);
    assert_eq!(budget.available(), budget.total());

    // A budget the first rows fill but for half a row, shared by four whole reads at once: the
    // first to open holds them all, the others ask for none; each read's rows that were not asked
    // for with the metadata wait only for bytes rows behind them give back, and all finish.
    let budget = Arc::new(ReadBudget::new(firsts * row_len + row_len / 2, firsts * row_len));
    let client = &client;
    let reads = (0..4).map(|_| {
        let budget = budget.clone();
        async move {
            let reader = client.open_blob(&blob_id, budget, ReadPlan::Whole).await.unwrap();
            reader.read(0..reader.len()).await.unwrap()
        }
    });
    let read = tokio::time::timeout(Duration::from_secs(60), futures::future::join_all(reads)).await;
    for bytes in read.expect("reads sharing a budget with first rows waited for ever") {
        assert!(bytes == data);
    }
    assert_eq!(budget.available(), budget.total());
}

async fn daemon_over(client: FloeClient) -> (floe_client::daemon::Daemon, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let daemon = floe_client::daemon::serve(listener, Arc::new(client), Default::default(), async move {
        let _ = stopped.await;
    })
    .unwrap();
    (daemon, stop)
}

async fn error_message(response: reqwest::Response) -> String {
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    body["error"]["message"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aggregator_streams_blobs_and_serves_walrus_byte_ranges() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let empty = blob(0, 0);
    let data = blob(50_001, 60);
    let (empty_id, _) = stored(&cluster, &empty, 60).await;
    let (blob_id, _) = stored(&cluster, &data, 61).await;
    for (id, object) in [(empty_id, 60), (blob_id, 61)] {
        cluster.certify(id, object);
    }
    let (daemon, _stop) = daemon_over(cluster.client()).await;
    let http = reqwest::Client::new();

    let answer = http.get(format!("{}/v1/blobs/{empty_id}", daemon.url())).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-length"], "0");
    assert!(answer.bytes().await.unwrap().is_empty());
    let answer = http.get(format!("{}/v1/blobs/{blob_id}", daemon.url())).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-length"], "50001");
    assert!(answer.bytes().await.unwrap() == data);

    let range = |query: &str| http.get(format!("{}/v1/blobs/{blob_id}/byte-range?{query}", daemon.url())).send();
    let answer = range("start=49000&length=1001").await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.bytes().await.unwrap() == data[49_000..]);
    let answer = range("start=0&length=1").await.unwrap();
    assert!(answer.bytes().await.unwrap() == data[..1]);

    let answer = range("length=10").await.unwrap();
    assert_eq!(answer.status(), 400);
    assert!(error_message(answer).await.contains("start"));
    let answer = range("start=-1&length=10").await.unwrap();
    assert_eq!(answer.status(), 400);
    assert!(error_message(answer).await.contains("start=\"-1\""));
    let answer = range("start=0&length=0").await.unwrap();
    assert_eq!(answer.status(), 400);
    assert!(error_message(answer).await.contains("length"));
    let answer = range("start=49000&length=1002").await.unwrap();
    assert_eq!(answer.status(), 416);
    assert_eq!(answer.headers()["content-range"], "bytes */50001");
    assert!(error_message(answer).await.contains("50001 bytes"));
    let answer = range(&format!("start={}&length=1", u64::MAX)).await.unwrap();
    assert_eq!(answer.status(), 416);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_unreadable_after_the_headers_ends_the_body_early_never_with_wrong_bytes() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let data = blob(30_000, 70);
    let (blob_id, _) = stored(&cluster, &data, 70).await;
    cluster.certify(blob_id, 70);
    // Every node serves the true metadata and corrupted slivers.
    let (client, _proxies) = through_proxies(&cluster.committee(), &[0, 1, 2, 3], Duration::ZERO).await;
    let (daemon, _stop) = daemon_over(client).await;
    let answer = reqwest::get(format!("{}/v1/blobs/{blob_id}", daemon.url())).await.unwrap();
    assert_eq!(answer.status(), 200, "the metadata verified, so the headers went out");
    assert!(answer.bytes().await.is_err(), "a body that could not be verified was not cut short");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quilt_read_asks_for_the_columns_it_knows_it_needs_with_the_metadata() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let committee = cluster.committee();
    let (files, index, quilt_id) = stored_quilt(&cluster, 80).await;
    let holder = |column: u16| holder_of_column(&cluster, &quilt_id, column);
    let columns_asked = |proxies: &[Arc<Proxy>]| proxies.iter().map(|proxy| proxy.slivers_asked().len()).sum::<usize>();

    // Every metadata and sliver answer held 300 ms. The index starts in column 0.
    let (client, proxies) = through_proxies(&committee, &[], Duration::from_millis(300)).await;
    assert_eq!(client.quilt_index(&quilt_id).await.unwrap(), index);
    assert!(first_sliver_asked_before_the_metadata(&proxies, holder(0)), "column 0 waited for the metadata");

    // A file named by its patch id: its columns are known before the metadata.
    let patch = &index.patches()[1];
    let id = QuiltPatchId { quilt_id, patch: patch.internal_id() };
    let (client, proxies) = through_proxies(&committee, &[], Duration::from_millis(300)).await;
    let file = client.read_quilt_patch(&id).await.unwrap();
    assert!(file.data() == files[1].data(), "the patch read returned other bytes");
    assert!(
        first_sliver_asked_before_the_metadata(&proxies, holder(patch.start())),
        "the patch's first column waited for the metadata"
    );
    // Each column asked for once: none refused, none asked for again after the metadata.
    assert_eq!(columns_asked(&proxies), patch.columns().len());
}

/// A quilt of three files (seeds from `seed`) stored on `cluster`: the files, its index and id.
async fn stored_quilt(cluster: &common::Cluster, seed: u8) -> (Vec<QuiltFile>, QuiltIndex, BlobId) {
    let files: Vec<QuiltFile> =
        (0..3u8).map(|i| QuiltFile::new(format!("file-{i}"), blob(2_000, seed + i)).unwrap()).collect();
    let quilt = Quilt::encode(&cluster.config, &files).unwrap();
    let (quilt_id, _) = stored(cluster, quilt.bytes(), seed).await;
    (files, quilt.index().clone(), quilt_id)
}

/// The index in the committee of the node holding `column` of quilt `quilt_id`.
fn holder_of_column(cluster: &common::Cluster, quilt_id: &BlobId, column: u16) -> usize {
    let pair = SliverIndex(column).pair_index(SliverType::Secondary, cluster.config.n_shards());
    cluster.committee().holder_of_pair(quilt_id, pair)
}

/// Whether node `node`'s first sliver request came before any metadata answer left a proxy.
fn first_sliver_asked_before_the_metadata(proxies: &[Arc<Proxy>], node: usize) -> bool {
    let metadata_in = proxies.iter().flat_map(|proxy| proxy.metadata_answers.lock().unwrap().clone()).min().unwrap();
    let first = proxies[node].sliver_requests.lock().unwrap().iter().min().copied();
    first.is_some_and(|first| first < metadata_in)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quilt_column_a_liar_served_with_the_metadata_costs_one_request_and_the_file_still_reads() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let (files, index, quilt_id) = stored_quilt(&cluster, 90).await;
    let patch = &index.patches()[2];
    let liar = holder_of_column(&cluster, &quilt_id, patch.start());
    let (client, proxies) = through_proxies(&cluster.committee(), &[liar], Duration::ZERO).await;
    let id = QuiltPatchId { quilt_id, patch: patch.internal_id() };
    let file = client.read_quilt_patch(&id).await.unwrap();
    assert!(file.data() == files[2].data(), "the patch read returned other bytes");
    // Its column was refused once checked, and the liar not asked for another: the file came
    // from the whole quilt, decoded from the others' rows (and any of the liar's that verify).
    let columns: Vec<String> =
        proxies[liar].slivers_asked().into_iter().filter(|path| path.ends_with("/secondary")).collect();
    assert_eq!(columns.len(), 1, "the liar was asked for columns {columns:?}");
}
