//! Stores per second through the publisher's HTTP API (`PUT /v1/blobs`) from one key, at several
//! concurrencies, on an in-process local network (10 nodes, 100 shards):
//!
//! ```sh
//! cargo run -p floe-tests --example publisher_concurrency
//! FLOE_BENCH_CONCURRENCY=1,4,16 FLOE_BENCH_STORES=32 FLOE_BENCH_KIB=1024 cargo run -p floe-tests --example publisher_concurrency
//! ```
//!
//! Each figure is `stores / wall time` for `FLOE_BENCH_STORES` distinct random blobs (default 32
//! of 1 MiB) with that many `PUT`s in flight; every store is checked to have certified.

use std::time::Instant;

use floe_tests::{DEFAULT, TestNet, random_bytes};

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|text| text.split(',').filter_map(|part| part.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let concurrencies = env_list("FLOE_BENCH_CONCURRENCY", &[1, 4, 16]);
    let stores = env_list("FLOE_BENCH_STORES", &[32])[0];
    let size = env_list("FLOE_BENCH_KIB", &[1024])[0] * 1024;
    let net = TestNet::start(DEFAULT).await;
    let base = net.localnet.daemon_url().expect("the daemon runs");
    let http = reqwest::Client::new();
    println!("publisher PUT /v1/blobs, {stores} stores of {} KiB, 10 nodes / 100 shards, one key", size / 1024);
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
                let response = http.put(url).body(blob).send().await.expect("the publisher answers");
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                assert!(status.is_success() && body.contains("certifiedEpoch"), "{status}: {body}");
            });
        }
        while let Some(done) = puts.join_next().await {
            done.expect("a store task panicked");
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "concurrency {concurrency:>2}: {stores} stores in {seconds:.2} s = {:.2} stores/s ({:.2} MiB/s)",
            stores as f64 / seconds,
            (stores * size) as f64 / seconds / (1024.0 * 1024.0)
        );
    }
    net.shutdown().await;
}
