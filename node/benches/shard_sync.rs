//! Shard migration between storage nodes on loopback, next to a plain transfer of the same bytes.
//!
//! `cargo bench -p floe-node --bench shard_sync` prints one line per figure. Three nodes of a
//! test chain share `FLOE_BENCH_SHARDS` shards (default 12, 4 each; node 0 takes what does not
//! divide by three); blobs of `FLOE_BENCH_BLOB_MIB` (default 2; at n = 12 a blob holds at most
//! 3.4 MiB) are stored until the committee holds `FLOE_BENCH_STORED_MIB` (default 256,
//! comma-separated for several runs) of blob data. Then node 0 leaves: its shards (a third) move,
//! the first half to node 1 and the rest to node 2, which pull them with the shard-sync protocol
//! (signed page requests, every sliver verified against its metadata, each page stored durably),
//! two shards at a time per node as the duty worker does. Figures:
//! - migration: time from the epoch change until both new owners hold every sliver of the moved
//!   shards, the sliver bytes and the slivers moved per second (at 1000 shards a blob's slivers
//!   are small, and the count is the figure that matters);
//! - one shard alone (`FLOE_BENCH_RUNS` times, default 3), pulled page by page, against the same
//!   number of bytes fetched in pages of the same size from a server that sends them from memory
//!   (plain transfer): the ratio is what the protocol (BCS, signature, verification, durable
//!   writes) costs over the wire itself.

use std::time::{Duration, Instant};

use axum::{Router, routing::get};
use floe_encoder::{ShardIndex, SliverType, encode};
use floe_node::chain_state::ChainChange;
use floe_node::chain_view::{Committee, CommitteeMember};
use floe_node::local_cluster::{EPOCH, LocalCluster};
use floe_node::shard_sync::{SyncOutcome, SyncSettings, sync_shard};
use floe_node::store::SyncProgress;
use floe_node_api::NodeClient;
use floe_node_api::SliverBatch;
use futures::StreamExt;
use sui_sdk_types::Address;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn blob(len: usize, seed: u32) -> Vec<u8> {
    (0..len).map(|i| (i as u32 ^ seed).wrapping_mul(2_654_435_761).to_le_bytes()[1]).collect()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// A cluster holding `stored_mib` of blobs, fully uploaded and certified.
async fn loaded_cluster(n_shards: u16, stored_mib: usize, blob_mib: usize) -> LocalCluster {
    let shares = [n_shards - 2 * (n_shards / 3), n_shards / 3, n_shards / 3];
    let cluster = LocalCluster::start(&shares).await.expect("a cluster");
    let count = stored_mib.div_ceil(blob_mib);
    for i in 0..count {
        let encoded = encode(&cluster.config, &blob(blob_mib << 20, i as u32)).expect("encodes");
        let blob_id = *encoded.metadata.blob_id();
        let object = Address::new([(i % 250) as u8 + 1; 32]);
        cluster.chain.apply([ChainChange::Registered { blob_id, object_id: object, end_epoch: 100, deletable: false }]);
        for node in &cluster.nodes {
            node.node.store_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).expect("metadata");
        }
        for (holder, node) in cluster.nodes.iter().enumerate() {
            let held = encoded.pairs.iter().filter(|pair| cluster.holder_of_pair(&blob_id, pair.index().0) == holder);
            let slivers = held.flat_map(|pair| [(pair.index(), &pair.primary), (pair.index(), &pair.secondary)]);
            let batch = SliverBatch::from_bcs(&SliverBatch::encode(slivers).to_vec()).expect("a batch");
            node.node.store_slivers(&blob_id, batch).expect("slivers");
        }
        cluster.chain.apply([ChainChange::Certified { blob_id, object_id: object, epoch: EPOCH, end_epoch: 100 }]);
    }
    cluster
}

/// Epoch 2: node 0 leaves; the first half of its shards go to node 1, the rest to node 2.
fn without_node_0(cluster: &LocalCluster) -> Committee {
    let leaving = &cluster.nodes[0].shards;
    let (to_1, to_2) = leaving.split_at(leaving.len() / 2);
    let members = cluster
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let shards: Vec<ShardIndex> = match i {
                0 => Vec::new(),
                1 => to_1.iter().chain(&node.shards).copied().collect(),
                _ => to_2.iter().chain(&node.shards).copied().collect(),
            };
            CommitteeMember { public_key: node.key.public_key(), shards, http_address: node.url(), network_key: None }
        })
        .collect();
    Committee::new(EPOCH + 1, cluster.config.n_shards(), members).expect("a committee")
}

/// Fetches `total` bytes in `pages` pages from a server that holds one page in memory.
async fn plain_transfer(total: u64, pages: u64) -> Duration {
    let page = axum::body::Bytes::from(vec![7u8; usize::try_from(total / pages.max(1)).expect("fits")]);
    let app = Router::new().route("/page", get(move || std::future::ready(page.clone())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}/page", listener.local_addr().expect("an address"));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let started = Instant::now();
    for _ in 0..pages {
        let body = http.get(&url).send().await.expect("answers").bytes().await.expect("a body");
        std::hint::black_box(body);
    }
    let elapsed = started.elapsed();
    server.abort();
    elapsed
}

fn main() {
    let blob_mib: usize = env_or("FLOE_BENCH_BLOB_MIB", 2);
    let runs: usize = env_or("FLOE_BENCH_RUNS", 3);
    let n_shards: u16 = env_or("FLOE_BENCH_SHARDS", 12);
    let sizes: Vec<usize> = env_or("FLOE_BENCH_STORED_MIB", "256".to_owned())
        .split(',')
        .filter_map(|size| size.trim().parse().ok())
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        for stored_mib in sizes {
            let cluster = loaded_cluster(n_shards, stored_mib, blob_mib).await;
            let moved = cluster.nodes[0].shards.clone();
            let committee = without_node_0(&cluster);
            cluster.chain.apply([ChainChange::CommitteeChanged(committee.clone())]);
            let source = cluster.nodes[0].url();
            let http = reqwest::Client::new();
            let settings = SyncSettings::default();

            // The migration: both new owners pull their shards, two at a time each.
            let started = Instant::now();
            let owner_jobs = |owner: usize| {
                let node = cluster.nodes[owner].node.clone();
                let gained: Vec<ShardIndex> = moved
                    .iter()
                    .copied()
                    .filter(|shard| committee.holder_of(*shard).is_some_and(|holder| holder.public_key == cluster.nodes[owner].key.public_key()))
                    .collect();
                let (http, source, settings) = (http.clone(), source.clone(), settings.clone());
                futures::stream::iter(gained)
                    .map(move |shard| {
                        let (node, client, settings) = (node.clone(), NodeClient::new(http.clone(), &source), settings.clone());
                        async move { sync_shard(&node, &client, EPOCH + 1, shard, &settings).await.expect("syncs") }
                    })
                    .buffer_unordered(2)
                    .fold(SyncOutcome::default(), |sum, one| async move { sum + one })
            };
            let (to_1, to_2) = tokio::join!(owner_jobs(1), owner_jobs(2));
            let all_time = started.elapsed();
            for (i, node) in cluster.nodes.iter().enumerate().skip(1) {
                let holds = committee.members().iter().find(|member| member.public_key == node.key.public_key()).expect("a member").shards.len();
                assert_eq!(node.node.store().stored_shards().expect("a store").len(), holds, "new owner {i} holds its shards");
            }
            let (bytes, slivers) = (to_1.bytes + to_2.bytes, to_1.slivers + to_2.slivers);
            println!(
                "shard_sync n={n_shards} stored={stored_mib}MiB migration of {} of {n_shards} shards to 2 nodes: {slivers} slivers, {:.1} MiB, in {:.2} s = {:.0} MiB/s, {:.0} slivers/s",
                moved.len(),
                mib(bytes),
                all_time.as_secs_f64(),
                mib(bytes) / all_time.as_secs_f64(),
                slivers as f64 / all_time.as_secs_f64(),
            );

            // One shard alone (pulled again from scratch, `FLOE_BENCH_RUNS` times), then the same
            // bytes as a plain transfer.
            for _ in 0..runs {
                let store = cluster.nodes[1].node.store();
                store.drop_shard(ShardIndex(0)).expect("drops");
                for axis in [SliverType::Primary, SliverType::Secondary] {
                    store.put_synced_page(EPOCH + 1, ShardIndex(0), axis, &[], &[], SyncProgress::NotStarted).expect("resets");
                }
                let started = Instant::now();
                let one = sync_shard(&cluster.nodes[1].node, &NodeClient::new(http.clone(), &source), EPOCH + 1, ShardIndex(0), &settings)
                    .await
                    .expect("the shard syncs");
                let one_time = started.elapsed();
                let plain = plain_transfer(one.bytes, one.pages).await;
                println!(
                    "shard_sync n={n_shards} stored={stored_mib}MiB one shard: {} slivers, {:.1} MiB in {} pages, {:.0} ms = {:.0} MiB/s; plain transfer of the same pages {:.0} ms = {:.0} MiB/s; sync/plain throughput {:.2}",
                    one.slivers,
                    mib(one.bytes),
                    one.pages,
                    one_time.as_secs_f64() * 1e3,
                    mib(one.bytes) / one_time.as_secs_f64(),
                    plain.as_secs_f64() * 1e3,
                    mib(one.bytes) / plain.as_secs_f64(),
                    plain.as_secs_f64() / one_time.as_secs_f64(),
                );
            }
        }
    });
}
