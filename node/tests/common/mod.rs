//! A cluster of in-process storage nodes on loopback, sharing one in-memory chain.
#![allow(dead_code)]

use std::sync::Arc;

use floe_encoder::{BlobId, EncodedBlob, EncodingConfig, ShardIndex, SliverType, bls::BlsSecretKey, encode, mapping};
use floe_node::{
    ChainFeed, InMemoryChain, StorageNode, Store,
    api::{self, Server},
    blob_info::ObjectId,
    chain_view::{Committee, CommitteeMember},
};
use tempfile::TempDir;
use tokio::net::TcpListener;

pub const EPOCH: u32 = 1;

pub struct TestNode {
    pub node: Arc<StorageNode>,
    pub server: Server,
    pub stop: tokio::sync::oneshot::Sender<()>,
    pub dir: TempDir,
    pub key: BlsSecretKey,
    pub shards: Vec<ShardIndex>,
}

impl TestNode {
    pub fn url(&self) -> String {
        self.server.url()
    }
}

pub struct Cluster {
    pub chain: Arc<InMemoryChain>,
    pub nodes: Vec<TestNode>,
    pub config: EncodingConfig,
    pub http: reqwest::Client,
}

pub fn key(i: usize) -> BlsSecretKey {
    BlsSecretKey::from_seed(&[u8::try_from(i).unwrap() + 1; 32])
}

/// Nodes holding consecutive shard ranges of the given sizes.
pub async fn cluster(shards_per_node: &[u16]) -> Cluster {
    let n: u16 = shards_per_node.iter().sum();
    let mut next = 0u16;
    let mut members = Vec::new();
    let mut listeners = Vec::new();
    for (i, count) in shards_per_node.iter().enumerate() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let shards: Vec<ShardIndex> = (next..next + count).map(ShardIndex).collect();
        next += count;
        members.push(CommitteeMember {
            public_key: key(i).public_key(),
            shards: shards.clone(),
            http_address: format!("http://{}", listener.local_addr().unwrap()),
        });
        listeners.push((listener, shards));
    }
    let chain = Arc::new(InMemoryChain::new(Committee::new(EPOCH, n, members).unwrap()));
    let mut nodes = Vec::new();
    for (i, (listener, shards)) in listeners.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let node = Arc::new(StorageNode::new(chain.clone(), Store::open(dir.path()).unwrap(), key(i)));
        let (server, stop) = serve(listener, node.clone());
        nodes.push(TestNode { node, server, stop, dir, key: key(i), shards });
    }
    Cluster { chain, nodes, config: EncodingConfig::new(n).unwrap(), http: reqwest::Client::new() }
}

/// A deterministic, non-repetitive blob of `len` bytes.
pub fn blob(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed).collect()
}

impl Cluster {
    pub fn encode(&self, len: usize, seed: u8) -> EncodedBlob {
        encode(&self.config, &blob(len, seed)).unwrap()
    }

    /// Registers `blob_id` permanently under object `[object; 32]` until epoch 10.
    pub fn register(&self, blob_id: BlobId, object: u8) {
        self.chain.blob_registered(blob_id, ObjectId([object; 32]), 10, false);
    }

    /// The index of the node holding the shard of `pair`.
    pub fn holder_of_pair(&self, blob_id: &BlobId, pair: u16) -> usize {
        let shard = mapping::shard_for_pair(floe_encoder::SliverPairIndex(pair), blob_id, self.config.n_shards());
        self.nodes.iter().position(|node| node.shards.contains(&shard)).unwrap()
    }

    pub fn blob_url(&self, node: usize, blob_id: &BlobId, rest: &str) -> String {
        format!("{}/v1/blobs/{blob_id}/{rest}", self.nodes[node].url())
    }

    pub async fn put(&self, url: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
        let response = self.http.put(url).body(body).send().await.unwrap();
        let status = response.status().as_u16();
        (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap())
    }

    pub async fn get_json(&self, url: &str) -> (u16, serde_json::Value) {
        let response = self.http.get(url).send().await.unwrap();
        let status = response.status().as_u16();
        (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap())
    }

    pub async fn get_bytes(&self, url: &str) -> (u16, Vec<u8>) {
        let response = self.http.get(url).send().await.unwrap();
        (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
    }

    /// PUTs the metadata to the given nodes and every pair to its holder among them.
    pub async fn upload(&self, encoded: &EncodedBlob, to_nodes: &[usize]) {
        let blob_id = *encoded.metadata.blob_id();
        for &node in to_nodes {
            let (status, body) =
                self.put(&self.blob_url(node, &blob_id, "metadata"), encoded.metadata.metadata().to_bcs()).await;
            assert!(status == 201 || status == 200, "metadata to node {node}: {status} {body}");
        }
        for pair in &encoded.pairs {
            let holder = self.holder_of_pair(&blob_id, pair.index().0);
            if !to_nodes.contains(&holder) {
                continue;
            }
            for axis in [SliverType::Primary, SliverType::Secondary] {
                let url = self.blob_url(holder, &blob_id, &format!("slivers/{}/{axis}", pair.index()));
                let (status, body) = self.put(&url, pair.sliver(axis).to_bcs()).await;
                assert_eq!(status, 201, "{axis} sliver of pair {} to node {holder}: {body}", pair.index());
            }
        }
    }
}

/// The error message of a JSON error body.
pub fn message(body: &serde_json::Value) -> String {
    body["error"]["message"].as_str().unwrap_or_default().to_owned()
}

/// Serves `node` until the returned sender fires.
fn serve(listener: TcpListener, node: Arc<StorageNode>) -> (Server, tokio::sync::oneshot::Sender<()>) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = api::serve_until(listener, node, async move {
        let _ = stopped.await;
    })
    .unwrap();
    (server, stop)
}

/// Stops `node`'s server, closes its store and reopens the same directory in a new node
/// on a new port.
pub async fn restart(node: TestNode, chain: Arc<InMemoryChain>) -> TestNode {
    let TestNode { node, server, stop, dir, key, shards } = node;
    stop.send(()).unwrap();
    server.task.await.unwrap().unwrap();
    assert_eq!(Arc::strong_count(&node), 1, "the server released the node");
    drop(node);
    let node = Arc::new(StorageNode::new(chain, Store::open(dir.path()).unwrap(), key.clone()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (server, stop) = serve(listener, node.clone());
    TestNode { node, server, stop, dir, key, shards }
}

/// A blob whose writer lied: primary sliver `pair` is altered and the metadata commits to the
/// altered sliver, so every sliver matches the metadata but they are not one codeword.
pub fn inconsistent_blob(config: &EncodingConfig, len: usize, seed: u8, pair: usize) -> EncodedBlob {
    use floe_encoder::{EncodingType, Sliver, metadata::BlobMetadata};
    let honest = encode(config, &blob(len, seed)).unwrap();
    let mut pairs = honest.pairs.clone();
    let original = &pairs[pair].primary;
    let mut data = original.data().to_vec();
    data[0] ^= 0x5a;
    let altered = Sliver::new(SliverType::Primary, original.index(), original.symbol_size(), data).unwrap();
    let mut hashes = honest.metadata.metadata().hashes().to_vec();
    hashes[pair].primary_hash = altered.hash(config);
    pairs[pair].primary = altered;
    let metadata = BlobMetadata::new(EncodingType::RS2, honest.metadata.unencoded_length(), hashes);
    let blob_id = metadata.compute_blob_id();
    EncodedBlob { metadata: metadata.verify(config, &blob_id).unwrap(), pairs }
}
