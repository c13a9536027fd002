//! Read speed and memory on an in-process local network (10 nodes, 100 shards):
//!
//! ```sh
//! cargo run -p floe-tests --example read_bench
//! FLOE_BENCH_MIB=1,16,64,256 FLOE_BENCH_CONCURRENT=30 FLOE_BENCH_CONCURRENT_MIB=20 cargo run -p floe-tests --example read_bench
//! FLOE_BENCH_SHAPE=10x1000 FLOE_BENCH_MIB=1024 FLOE_BENCH_RUNS=1 FLOE_BENCH_CONCURRENT=0 cargo run -p floe-tests --example read_bench
//! ```
//!
//! `FLOE_BENCH_SHAPE` (`NODESxSHARDS`, default 10x100) sizes the network: a blob of 1 GiB needs
//! more than 100 shards (at 100 the largest blob is about 142 MiB).
//!
//! For each size (`FLOE_BENCH_MIB`, default 1,16,64) one random blob is stored, then timed
//! (median of `FLOE_BENCH_RUNS`, default 3): the offline encoding of the same bytes at the same
//! shard count (`compute_metadata`, what `floe blob-id` does); `FloeClient::read` (what
//! `floe read` calls: slivers fetched, verified, decoded); a streamed read of the whole blob
//! (`open_blob` + rows in order); the aggregator's `GET /v1/blobs/{id}`, first byte and whole
//! body; and a 1 MiB `Range` from the middle. Every answer is compared with the stored bytes.
//!
//! Then memory: `FLOE_BENCH_CONCURRENT` (default 30) concurrent `GET`s of one
//! `FLOE_BENCH_CONCURRENT_MIB` (default 20) MiB blob through the aggregator, and, for
//! comparison, as many concurrent `FloeClient::read`s holding whole blobs (what the aggregator
//! did before it streamed). The figure is the process's peak RSS during each phase (Linux
//! `VmHWM`, reset through `/proc/self/clear_refs`); the process holds the chain, the nodes and
//! the daemon too, so the difference between the phases is what the reads cost.

use std::{ops::Range, sync::Arc, time::Instant};

use floe_client::{FloeClient, NoProgress, ReadBudget, ReadPlan, StoreOptions};
use floe_encoder::{BlobId, encode::compute_metadata};
use floe_tests::{DEFAULT, Shape, TestNet, bench, random_bytes};

/// The `floe` binary's allocator, so the figures are what `floe` would show.
#[global_allocator]
static ALLOCATOR: floe_alloc::Allocator = floe_alloc::Allocator;

const MIB: usize = 1024 * 1024;

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|text| text.split(',').filter_map(|part| part.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn median(mut seconds: Vec<f64>) -> f64 {
    seconds.sort_by(f64::total_cmp);
    seconds[seconds.len() / 2]
}

/// Peak resident memory of this process since the last reset, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn reset_peak_rss() {
    // "5" resets VmHWM to the current RSS (Linux 4.0 and later).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Seconds to the first body byte and to the last, checked against `expected`.
async fn get(http: &reqwest::Client, url: &str, range: Option<&str>, expected: &[u8]) -> (f64, f64) {
    let started = Instant::now();
    let mut request = http.get(url);
    if let Some(range) = range {
        request = request.header("range", range);
    }
    let mut response = request.send().await.expect("the aggregator answers");
    assert!(response.status().is_success(), "{url}: {}", response.status());
    let mut first = None;
    let mut body = Vec::with_capacity(expected.len());
    while let Some(chunk) = response.chunk().await.expect("the body arrives whole") {
        first.get_or_insert_with(|| started.elapsed().as_secs_f64());
        body.extend_from_slice(&chunk);
    }
    let total = started.elapsed().as_secs_f64();
    assert!(body == expected, "{url} answered other bytes");
    (first.unwrap_or(total), total)
}

async fn time<T>(runs: usize, mut run: impl AsyncFnMut() -> T) -> f64 {
    let mut seconds = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let _ = run().await;
        seconds.push(started.elapsed().as_secs_f64());
    }
    median(seconds)
}

async fn store(client: &FloeClient, data: Vec<u8>) -> BlobId {
    client.store(data, &StoreOptions::default(), &NoProgress).await.expect("the blob stores").blob_id()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let sizes = env_list("FLOE_BENCH_MIB", &[1, 16, 64]);
    let runs = env_list("FLOE_BENCH_RUNS", &[3])[0].max(1);
    let concurrent = env_list("FLOE_BENCH_CONCURRENT", &[30])[0];
    let concurrent_size = env_list("FLOE_BENCH_CONCURRENT_MIB", &[20])[0] * MIB;
    let shape = std::env::var("FLOE_BENCH_SHAPE")
        .map(|text| {
            let (nodes, shards) = bench::parse_shape(&text);
            Shape { nodes, shards }
        })
        .unwrap_or(DEFAULT);
    let net = TestNet::start(shape).await;
    let client = Arc::new(net.localnet.client().await.expect("a client"));
    let base = net.localnet.daemon_url().expect("the daemon runs");
    let http = reqwest::Client::new();
    let config = *client.committee().config();
    println!(
        "reads on an in-process local network: {} nodes, {} shards; median of {runs}",
        shape.nodes,
        config.n_shards()
    );
    println!(
        "{:>8} {:>9} {:>14} {:>14} {:>11} {:>11} {:>12}",
        "MiB", "encode s", "client read s", "streamed s", "GET 1st s", "GET all s", "1 MiB range s"
    );
    for (seed, mib) in sizes.iter().enumerate() {
        let data = random_bytes(mib * MIB, 7_000 + seed as u64);
        let blob_id = store(&client, data.clone()).await;
        let encode = time(runs, async || compute_metadata(&config, &data).expect("encodes")).await;
        let read = time(runs, async || {
            let bytes = client.read(&blob_id, &NoProgress).await.expect("reads");
            assert!(bytes == data, "client read returned other bytes");
        })
        .await;
        let streamed = time(runs, async || {
            let reader =
                client.open_blob(&blob_id, Arc::new(ReadBudget::default()), ReadPlan::Whole).await.expect("opens");
            let bytes = reader.read(0..reader.len()).await.expect("reads");
            assert!(bytes == data, "streamed read returned other bytes");
        })
        .await;
        let url = format!("{base}/v1/blobs/{blob_id}");
        let mut firsts = Vec::new();
        let mut wholes = Vec::new();
        for _ in 0..runs {
            let (first, whole) = get(&http, &url, None, &data).await;
            firsts.push(first);
            wholes.push(whole);
        }
        let middle: Range<usize> = {
            let start = data.len().saturating_sub(MIB) / 2;
            start..(start + MIB).min(data.len())
        };
        let header = format!("bytes={}-{}", middle.start, middle.end - 1);
        let mut ranges = Vec::new();
        for _ in 0..runs {
            ranges.push(get(&http, &url, Some(&header), &data[middle.clone()]).await.1);
        }
        println!(
            "{mib:>8} {encode:>9.3} {read:>14.3} {streamed:>14.3} {:>11.3} {:>11.3} {:>12.3}",
            median(firsts),
            median(wholes),
            median(ranges)
        );
    }

    if concurrent > 0 {
        let data = random_bytes(concurrent_size, 99);
        let blob_id = store(&client, data.clone()).await;
        let data = Arc::new(data);
        let url = format!("{base}/v1/blobs/{blob_id}");
        println!("{concurrent} concurrent reads of one {} MiB blob:", concurrent_size / MIB);
        let baseline = {
            reset_peak_rss();
            peak_rss_mib()
        };
        let started = Instant::now();
        let mut gets = tokio::task::JoinSet::new();
        for _ in 0..concurrent {
            let (http, url, data) = (http.clone(), url.clone(), data.clone());
            gets.spawn(async move { get(&http, &url, None, &data).await });
        }
        while let Some(done) = gets.join_next().await {
            done.expect("a read task panicked");
        }
        println!(
            "  aggregator GET (streamed):       {:.2} s, peak RSS {:.0} MiB (from {baseline:.0} MiB before)",
            started.elapsed().as_secs_f64(),
            peak_rss_mib()
        );
        let baseline = {
            reset_peak_rss();
            peak_rss_mib()
        };
        let started = Instant::now();
        let mut reads = tokio::task::JoinSet::new();
        for _ in 0..concurrent {
            let (client, data) = (client.clone(), data.clone());
            reads.spawn(async move {
                let bytes = client.read(&blob_id, &NoProgress).await.expect("reads");
                assert!(bytes == *data, "client read returned other bytes");
                bytes
            });
        }
        // Held until all are done, as an aggregator serving them whole would.
        let mut held = Vec::new();
        while let Some(done) = reads.join_next().await {
            held.push(done.expect("a read task panicked"));
        }
        println!(
            "  whole-blob reads (held, as before): {:.2} s, peak RSS {:.0} MiB (from {baseline:.0} MiB before)",
            started.elapsed().as_secs_f64(),
            peak_rss_mib()
        );
        drop(held);
    }
    net.shutdown().await;
}
