//! What quilts save: `FLOE_BENCH_FILES` files of `FLOE_BENCH_KIB` KiB (default 1000 of 1 KiB)
//! stored as quilts versus one blob each, on an in-process local network (10 nodes, 100 shards),
//! through the client: WAL paid (FROST) and wall time.
//!
//! ```sh
//! cargo run -p floe-tests --example quilt_vs_blobs
//! FLOE_BENCH_FILES=200 FLOE_BENCH_CONCURRENCY=8 cargo run -p floe-tests --example quilt_vs_blobs
//! ```
//!
//! A QuiltV1 holds at most `n - f - 1` files (66 at 100 shards, 666 at 1000), so the files go
//! into as few quilts as fit. The blobs are stored with `FloeClient::store_batch`: registered
//! and certified 100 per transaction, uploaded `FLOE_BENCH_CONCURRENCY` at a time (default 16);
//! `FLOE_BENCH_SEPARATE=1` stores them one `FloeClient::store` each instead (two transactions
//! and an owned-object listing per blob: far slower for many small blobs). It also prints the
//! encoded sizes the chain charges at 1000 shards, computed offline.

use std::time::Instant;

use floe_client::{NoProgress, StoreOptions, StoreOutcome};
use floe_encoder::{
    EncodingConfig,
    quilt::{Quilt, QuiltFile, max_patches},
};
use floe_tests::{DEFAULT, TestNet, random_bytes};

/// The `floe` binary's allocator, so the figures are what `floe` would show.
#[global_allocator]
static ALLOCATOR: floe_alloc::Allocator = floe_alloc::Allocator;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|text| text.trim().parse().ok()).unwrap_or(default)
}

fn paid(outcome: &StoreOutcome) -> u64 {
    match outcome {
        StoreOutcome::NewlyCreated { price, resumed: false, .. } => price.total(),
        _ => 0,
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n_files = env("FLOE_BENCH_FILES", 1000);
    let size = env("FLOE_BENCH_KIB", 1) * 1024;
    let concurrency = env("FLOE_BENCH_CONCURRENCY", 16).max(1);
    let files: Vec<QuiltFile> = (0..n_files)
        .map(|i| QuiltFile::new(format!("file-{i:05}"), random_bytes(size, 7_000 + i as u64)).unwrap())
        .collect();

    let at_1000 = EncodingConfig::new(1000).unwrap();
    let per_quilt = max_patches(&at_1000);
    let quilt_bytes: u64 = files
        .chunks(per_quilt)
        .map(|chunk| at_1000.encoded_blob_length(Quilt::encode(&at_1000, chunk).unwrap().bytes().len() as u64).unwrap())
        .sum();
    let blob_bytes = n_files as u64 * at_1000.encoded_blob_length(size as u64).unwrap();
    println!(
        "at 1000 shards (offline): {n_files} files of {size} B take {} quilts, {:.1} GB encoded, versus {:.1} GB as blobs ({:.0}x)",
        n_files.div_ceil(per_quilt),
        quilt_bytes as f64 / 1e9,
        blob_bytes as f64 / 1e9,
        blob_bytes as f64 / quilt_bytes as f64
    );

    let net = TestNet::start(DEFAULT).await;
    let client = std::sync::Arc::new(net.localnet.client().await.unwrap());
    let config = *client.committee().config();
    let per_quilt = max_patches(&config);
    let options = StoreOptions::default();

    let started = Instant::now();
    let mut quilt_cost = 0;
    for chunk in files.chunks(per_quilt) {
        let stored = client.store_quilt(chunk, &options, &NoProgress).await.unwrap();
        quilt_cost += paid(&stored.outcome);
    }
    let quilt_time = started.elapsed();
    println!(
        "{} shards: {n_files} files as {} quilts: {quilt_cost} FROST, {:.1} s",
        config.n_shards(),
        n_files.div_ceil(per_quilt),
        quilt_time.as_secs_f64()
    );

    let separate = env("FLOE_BENCH_SEPARATE", 0) == 1;
    let started = Instant::now();
    let blob_cost = if separate {
        let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut stores = tokio::task::JoinSet::new();
        for file in files {
            let (client, semaphore, options) = (client.clone(), semaphore.clone(), options.clone());
            stores.spawn(async move {
                let _permit = semaphore.acquire_owned().await.unwrap();
                paid(&client.store(file.into_data(), &options, &NoProgress).await.unwrap())
            });
        }
        let mut cost = 0;
        while let Some(paid) = stores.join_next().await {
            cost += paid.unwrap();
        }
        cost
    } else {
        let blobs: Vec<Vec<u8>> = files.into_iter().map(QuiltFile::into_data).collect();
        let stored = client.store_batch(blobs, &options, concurrency).await.unwrap();
        assert_eq!(stored.len(), n_files);
        stored.iter().map(|blob| blob.price.total()).sum()
    };
    let blob_time = started.elapsed();
    let how = if separate {
        format!("one store each, {concurrency} at a time")
    } else {
        format!("registered and certified 100 per transaction, uploads {concurrency} at a time")
    };
    println!(
        "{} shards: {n_files} files as {n_files} blobs ({how}): {blob_cost} FROST, {:.1} s",
        config.n_shards(),
        blob_time.as_secs_f64()
    );
    println!(
        "quilts cost {:.1}x less WAL and {:.1}x less time",
        blob_cost as f64 / quilt_cost.max(1) as f64,
        blob_time.as_secs_f64() / quilt_time.as_secs_f64()
    );
    net.shutdown().await;
}
