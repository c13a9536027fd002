//! Measures a store and a recovery on in-process nodes over loopback HTTP:
//! encode, upload (metadata + every sliver, verified and committed by the nodes), confirmations,
//! then recovery of every sliver of one node that missed the upload.
//!
//! `cargo run --release -p floe-node --example measure -- [n_shards] [nodes] [blob_mib]`
//! (defaults: 1000 shards, 4 nodes, 16 MiB).

use std::{sync::Arc, time::Instant};

use floe_encoder::{EncodingConfig, ShardIndex, SliverType, bls::BlsSecretKey, encode, mapping};
use floe_node::{
    StorageNode, Store, api,
    chain_state::ChainChange,
    chain_view::{Committee, CommitteeMember},
    recovery::{RecoverySettings, recover_blob},
    test_chain::TestChain,
};
use floe_node_api::NodeClient;
use futures::{StreamExt, stream};
use sui_sdk_types::Address;

/// Sliver uploads in flight at once.
const UPLOAD_CONCURRENCY: usize = 32;

fn arg(position: usize, default: usize) -> usize {
    std::env::args().nth(position).and_then(|text| text.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let n_shards = u16::try_from(arg(1, 1000)).expect("shard count fits in u16");
    let n_nodes = arg(2, 4);
    let blob_len = arg(3, 16) << 20;
    let config = EncodingConfig::new(n_shards).expect("supported shard count");

    // Consecutive shard ranges, as even as possible.
    let mut members = Vec::new();
    let mut listeners = Vec::new();
    for i in 0..n_nodes {
        let first = usize::from(n_shards) * i / n_nodes;
        let end = usize::from(n_shards) * (i + 1) / n_nodes;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        members.push(CommitteeMember {
            public_key: key(i).public_key(),
            shards: (first..end).map(|s| ShardIndex(u16::try_from(s).unwrap())).collect(),
            http_address: format!("http://{}", listener.local_addr().unwrap()),
            network_key: None,
        });
        listeners.push(listener);
    }
    let committee = Committee::new(1, n_shards, members.clone()).unwrap();
    let chain = TestChain::new(committee);
    let dirs: Vec<_> = (0..n_nodes).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut nodes = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let node = Arc::new(StorageNode::new(chain.state(), Store::open(dirs[i].path()).unwrap(), key(i)));
        api::serve(listener, node.clone()).unwrap();
        nodes.push(node);
    }

    let blob: Vec<u8> = (0..blob_len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1]).collect();
    let started = Instant::now();
    let encoded = encode(&config, &blob).unwrap();
    let encode_time = started.elapsed();
    let blob_id = *encoded.metadata.blob_id();
    chain.apply([ChainChange::Registered {
        blob_id,
        object_id: Address::new([1; 32]),
        end_epoch: 5,
        deletable: false,
    }]);
    let symbol_size = encoded.metadata.symbol_size(&config);
    println!("n={n_shards} nodes={n_nodes} blob={blob_len} B symbol={symbol_size} B; encode {encode_time:.2?}");

    // Upload to every node but the last.
    let http = reqwest::Client::new();
    let uploaded = &members[..n_nodes - 1];
    let started = Instant::now();
    for member in uploaded {
        let url = format!("{}/v1/blobs/{blob_id}/metadata", member.http_address);
        let response = http.put(url).body(encoded.metadata.metadata().to_bcs()).send().await.unwrap();
        assert!(response.status().is_success(), "metadata: {}", response.status());
    }
    let mut puts = Vec::new();
    for pair in &encoded.pairs {
        let shard = mapping::shard_for_pair(pair.index(), &blob_id, n_shards);
        if let Some(member) = uploaded.iter().find(|member| member.shards.contains(&shard)) {
            for axis in [SliverType::Primary, SliverType::Secondary] {
                let url = format!("{}/v1/blobs/{blob_id}/slivers/{}/{axis}", member.http_address, pair.index());
                puts.push((url, pair.sliver(axis).to_bcs()));
            }
        }
    }
    let sliver_bytes: usize = puts.iter().map(|(_, body)| body.len()).sum();
    let count = puts.len();
    stream::iter(puts)
        .map(|(url, body)| {
            let http = http.clone();
            async move {
                let response = http.put(url).body(body).send().await.unwrap();
                assert!(response.status().is_success(), "sliver: {}", response.status());
            }
        })
        .buffer_unordered(UPLOAD_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
    let upload_time = started.elapsed();
    println!(
        "upload to {} nodes: {count} slivers, {:.1} MB in {upload_time:.2?} ({:.1} MB/s, {:.0} slivers/s)",
        n_nodes - 1,
        sliver_bytes as f64 / 1e6,
        sliver_bytes as f64 / 1e6 / upload_time.as_secs_f64(),
        count as f64 / upload_time.as_secs_f64()
    );

    let started = Instant::now();
    for member in uploaded {
        let url = format!("{}/v1/blobs/{blob_id}/confirmation/permanent", member.http_address);
        let response = http.get(url).send().await.unwrap();
        assert!(response.status().is_success(), "confirmation: {}", response.status());
    }
    println!("{} confirmations in {:.2?}", n_nodes - 1, started.elapsed());

    chain.apply([ChainChange::Certified { blob_id, object_id: Address::new([1; 32]), epoch: 1, end_epoch: 5 }]);
    let lagging = &nodes[n_nodes - 1];
    let peers: Vec<NodeClient> =
        uploaded.iter().map(|member| NodeClient::new(http.clone(), &member.http_address)).collect();
    let started = Instant::now();
    let outcome = recover_blob(lagging, &peers, blob_id, &RecoverySettings::default()).await.unwrap();
    let recovery_time = started.elapsed();
    let own_shards = members[n_nodes - 1].shards.len();
    let recovered_bytes = own_shards
        * (config.sliver_len(SliverType::Primary, symbol_size) + config.sliver_len(SliverType::Secondary, symbol_size));
    println!(
        "recovery of {} slivers ({own_shards} shards, {:.1} MB) in {recovery_time:.2?}; peer errors: {}",
        outcome.recovered.len(),
        recovered_bytes as f64 / 1e6,
        outcome.peer_errors.len()
    );
    assert!(lagging.missing_slivers(&blob_id).unwrap().is_empty());
    lagging.confirmation(&blob_id, floe_encoder::messages::BlobPersistence::Permanent).unwrap();
    println!("the recovered node confirms the blob");
}

fn key(i: usize) -> BlsSecretKey {
    let mut seed = [7u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    BlsSecretKey::from_seed(&seed)
}
