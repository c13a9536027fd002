//! Store and read through real storage nodes on loopback, next to encoding and decoding alone.
//!
//! `cargo bench -p floe-client --bench store_read` prints one line per figure. The nodes are
//! floe-node instances in this process with a test chain (registration is instant, no Sui
//! transaction is timed), so "store" is encode + upload of metadata and slivers (each verified
//! by its node) + confirmations + certificate aggregation, and "read" is metadata + primary
//! slivers (each verified) + decode with the consistency check. Nodes and client share the
//! machine's cores. `FLOE_BENCH_SHARDS` (default 100) and `FLOE_BENCH_NODES` (default 10) set the
//! committee; `FLOE_BENCH_MIB` (default "1,16,64") the blob sizes.

use std::time::{Duration, Instant};

use floe_client::{FloeClient, NoProgress, Settings, StorageCommittee, StorageMember};
use floe_encoder::{EncodingConfig, decode::BlobDecoder, encode, messages::BlobPersistence};
use floe_node::chain_state::ChainChange;
use floe_node::local_cluster::{self, LocalCluster};
use sui_sdk_types::Address;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn blob(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1]).collect()
}

fn best_of<T>(runs: usize, mut run: impl FnMut() -> (Duration, T)) -> Duration {
    (0..runs).map(|_| run().0).min().expect("at least one run")
}

fn mib_per_s(len: usize, time: Duration) -> f64 {
    len as f64 / (1 << 20) as f64 / time.as_secs_f64()
}

fn main() {
    let n_shards: u16 = env_or("FLOE_BENCH_SHARDS", 100);
    let n_nodes: u16 = env_or("FLOE_BENCH_NODES", 10);
    let sizes: Vec<usize> =
        env_or("FLOE_BENCH_MIB", "1,16,64".to_owned()).split(',').filter_map(|size| size.trim().parse().ok()).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let (cluster, committee) = runtime.block_on(start_nodes(n_shards, n_nodes));
    let chain = &cluster.chain;
    let settings =
        Settings { quorum_grace: floe_client::settings::Grace::fixed(Duration::from_secs(30)), ..Settings::default() };
    let client = FloeClient::with_committee(committee, settings);
    let config = EncodingConfig::new(n_shards).expect("shard count");
    println!("store/read benchmark: n = {n_shards} shards on {n_nodes} local nodes, best of 2 runs");
    for (round, mib) in sizes.into_iter().enumerate() {
        let len = mib << 20;
        let data = blob(len);
        let encode_time = best_of(2, || {
            let start = Instant::now();
            let encoded = encode(&config, &data).expect("encode");
            (start.elapsed(), encoded)
        });
        let store_time = best_of(2, || {
            // A fresh blob id per run, so every run uploads everything again.
            let mut data = data.clone();
            data[0] = data[0].wrapping_add(1 + round as u8);
            let start = Instant::now();
            let encoded = encode(&config, &data).expect("encode");
            chain.apply([ChainChange::Registered {
                blob_id: *encoded.metadata.blob_id(),
                object_id: Address::new([7; 32]),
                end_epoch: 100,
                deletable: false,
            }]);
            runtime
                .block_on(client.upload(&encoded, BlobPersistence::Permanent, &NoProgress))
                .expect("upload reaches a quorum");
            (start.elapsed(), ())
        });
        let encoded = encode(&config, &data).expect("encode");
        let blob_id = *encoded.metadata.blob_id();
        chain.apply([ChainChange::Registered {
            blob_id,
            object_id: Address::new([8; 32]),
            end_epoch: 100,
            deletable: false,
        }]);
        runtime.block_on(client.upload(&encoded, BlobPersistence::Permanent, &NoProgress)).expect("upload");
        let rows = usize::from(config.n_rows());
        let decode_time = best_of(2, || {
            let slivers = encoded.pairs[..rows].iter().map(|pair| pair.primary.clone()).collect::<Vec<_>>();
            let start = Instant::now();
            let decoded = BlobDecoder::new(&config, &encoded.metadata).decode(slivers).expect("decode");
            (start.elapsed(), decoded)
        });
        let read_time = best_of(2, || {
            let start = Instant::now();
            let read = runtime.block_on(client.read(&blob_id, &NoProgress)).expect("read");
            let elapsed = start.elapsed();
            assert!(read == data, "read back different bytes");
            (elapsed, ())
        });
        println!(
            "{mib:>3} MiB: encode {:>7.1} ms ({:>5.0} MiB/s) | store {:>7.1} ms = {:.2}x encode | decode (verified) {:>7.1} ms | read {:>7.1} ms = {:.2}x decode ({:.0} MiB/s)",
            encode_time.as_secs_f64() * 1e3,
            mib_per_s(len, encode_time),
            store_time.as_secs_f64() * 1e3,
            store_time.as_secs_f64() / encode_time.as_secs_f64(),
            decode_time.as_secs_f64() * 1e3,
            read_time.as_secs_f64() * 1e3,
            read_time.as_secs_f64() / decode_time.as_secs_f64(),
            mib_per_s(len, read_time),
        );
    }
}

/// Starts `n_nodes` nodes sharing `n_shards` shards in consecutive, near-even ranges; returns
/// them with the committee as the client sees it.
async fn start_nodes(n_shards: u16, n_nodes: u16) -> (LocalCluster, StorageCommittee) {
    let boundary = |i: u16| u32::from(i) * u32::from(n_shards) / u32::from(n_nodes);
    let sizes: Vec<u16> = (0..n_nodes).map(|i| u16::try_from(boundary(i + 1) - boundary(i)).expect("fits")).collect();
    let cluster = LocalCluster::start(&sizes).await.expect("nodes start");
    let members = cluster
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| StorageMember {
            node_id: [i as u8; 32],
            name: format!("node-{i}"),
            public_key: node.key.public_key(),
            shards: node.shards.clone(),
            url: node.url(),
            network_key: None,
        })
        .collect();
    let committee = StorageCommittee::new(local_cluster::EPOCH, n_shards, members).expect("client committee");
    (cluster, committee)
}
