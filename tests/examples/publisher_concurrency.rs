//! Stores per second through the publisher's HTTP API (`PUT /v1/blobs`) from one key, at several
//! concurrencies, on an in-process local network (10 nodes, 100 shards; `FLOE_BENCH_SHAPE=100x1000`
//! for another shape; `FLOE_BENCH_NODES_DOWN=N` stops the last N nodes first; `FLOE_BENCH_OWNED=N`
//! has the publisher's key own N `Blob` objects first):
//!
//! ```sh
//! cargo run -p floe-tests --example publisher_concurrency
//! FLOE_BENCH_CONCURRENCY=1,4,16 FLOE_BENCH_STORES=32 FLOE_BENCH_KIB=1024 cargo run -p floe-tests --example publisher_concurrency
//! ```
//!
//! Each figure is `stores / wall time` for `FLOE_BENCH_STORES` distinct random blobs (default 32
//! of 1 MiB) with that many `PUT`s in flight, and the time from a `PUT` to its answer; every
//! store is checked to have certified. With
//! `FLOE_BENCH_PHASES=1` the publisher logs each store's phases (`StorePhase`) to stderr.

use std::time::Instant;

use floe_tests::{DEFAULT, Shape, TestNet, random_bytes};

/// The `floe` binary's allocator, so the figures are what `floe` would show.
#[global_allocator]
static ALLOCATOR: floe_alloc::Allocator = floe_alloc::Allocator;

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|text| text.split(',').filter_map(|part| part.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if std::env::var_os("FLOE_BENCH_PHASES").is_some() {
        use tracing_subscriber::{Layer, layer::SubscriberExt, util::SubscriberInitExt};
        let publisher = tracing_subscriber::filter::Targets::new()
            .with_target("floe_client::daemon", tracing_subscriber::filter::LevelFilter::DEBUG);
        let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(publisher);
        tracing_subscriber::registry().with(layer).init();
    }
    let concurrencies = env_list("FLOE_BENCH_CONCURRENCY", &[1, 4, 16]);
    let stores = env_list("FLOE_BENCH_STORES", &[32])[0];
    let size = env_list("FLOE_BENCH_KIB", &[1024])[0] * 1024;
    let shape = match std::env::var("FLOE_BENCH_SHAPE") {
        Ok(text) => {
            let (nodes, shards) = text.split_once('x').expect("FLOE_BENCH_SHAPE is NODESxSHARDS, e.g. 100x1000");
            Shape { nodes: nodes.parse().expect("a node count"), shards: shards.parse().expect("a shard count") }
        }
        Err(_) => DEFAULT,
    };
    let mut net = TestNet::start(shape).await;
    // Nodes down: their requests fail and are retried until the upload's grace period ends.
    let down = env_list("FLOE_BENCH_NODES_DOWN", &[0])[0];
    for index in shape.nodes - down..shape.nodes {
        net.localnet.stop_node(index).await.expect("the node stops");
    }
    // Blob objects the publisher's key owns already (100-byte blobs stored in batches): each store
    // looks among them for one to reuse before paying.
    let owned = env_list("FLOE_BENCH_OWNED", &[0])[0];
    if owned > 0 {
        let client = net.localnet.client().await.expect("a client of the local network");
        let blobs: Vec<Vec<u8>> = (0..owned).map(|i| random_bytes(100, 50_000 + i as u64)).collect();
        let options = floe_client::StoreOptions { deletable: true, ..Default::default() };
        client.store_batch(blobs, &options, 16).await.expect("the owned blobs are stored");
        // What a store's look for a `Blob` to reuse costs: the first lists them all, the next use
        // what the client keeps of the listing.
        let chain = client.chain().expect("a chain");
        let sender = chain.sender().expect("a key");
        let wanted = floe_encoder::BlobId([7; 32]);
        for look in ["first look (lists them)", "second look"] {
            let started = Instant::now();
            let found = chain.owned_blobs(sender, &wanted).await.expect("the chain answers");
            assert!(found.is_empty());
            println!("{look} among {owned} owned Blobs: {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
        }
    }
    let base = net.localnet.daemon_url().expect("the daemon runs");
    let http = reqwest::Client::new();
    println!(
        "publisher PUT /v1/blobs, {stores} stores of {} KiB, {} nodes ({down} down) / {} shards, one key owning {owned} Blobs",
        size / 1024,
        shape.nodes,
        shape.shards
    );
    let mut seed = 0u64;
    for concurrency in concurrencies {
        let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
        let started = Instant::now();
        let mut puts = tokio::task::JoinSet::new();
        for _ in 0..stores {
            seed += 1;
            let blob = random_bytes(size, 90_000 + seed);
            let (http, url, semaphore) = (http.clone(), format!("{base}/v1/blobs?epochs=1"), semaphore.clone());
            puts.spawn(async move {
                let _permit = semaphore.acquire_owned().await.expect("never closed");
                let sent = Instant::now();
                let response = http.put(url).body(blob).send().await.expect("the publisher answers");
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                assert!(status.is_success() && body.contains("certifiedEpoch"), "{status}: {body}");
                sent.elapsed()
            });
        }
        let mut latencies = Vec::with_capacity(stores);
        while let Some(done) = puts.join_next().await {
            latencies.push(done.expect("a store task panicked"));
        }
        let seconds = started.elapsed().as_secs_f64();
        latencies.sort_unstable();
        let at = |fraction: f64| latencies[((latencies.len() - 1) as f64 * fraction).round() as usize].as_millis();
        println!(
            "concurrency {concurrency:>2}: {stores} stores in {seconds:.2} s = {:.2} stores/s ({:.2} MiB/s); \
             answer after {} ms (median), {} ms (90th percentile)",
            stores as f64 / seconds,
            (stores * size) as f64 / seconds / (1024.0 * 1024.0),
            at(0.5),
            at(0.9)
        );
    }
    net.shutdown().await;
}
