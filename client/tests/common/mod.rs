//! Storage nodes on loopback sharing one in-memory chain, and the client's view of them.
#![allow(dead_code)]

use std::{sync::Arc, time::Duration};

use floe_client::{FloeClient, Settings, StorageCommittee, StorageMember};
use floe_encoder::{BlobId, ShardIndex, bls::BlsSecretKey};
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
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub dir: TempDir,
    pub shards: Vec<ShardIndex>,
    pub key: BlsSecretKey,
}

pub struct Cluster {
    pub chain: Arc<InMemoryChain>,
    pub nodes: Vec<TestNode>,
    pub n_shards: u16,
}

pub fn key(i: usize) -> BlsSecretKey {
    BlsSecretKey::from_seed(&[u8::try_from(i).unwrap() + 1; 32])
}

/// Settings with short waits, for tests.
pub fn quick_settings() -> Settings {
    Settings {
        registration_wait: Duration::from_millis(300),
        retry_delay: Duration::from_millis(50),
        quorum_grace: Duration::from_millis(500),
        request_timeout: Duration::from_secs(20),
        status_timeout: Duration::from_secs(2),
        ..Settings::default()
    }
}

/// Nodes holding consecutive shard ranges of the given sizes.
pub async fn cluster(shards_per_node: &[u16]) -> Cluster {
    let n_shards: u16 = shards_per_node.iter().sum();
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
    let chain = Arc::new(InMemoryChain::new(Committee::new(EPOCH, n_shards, members).unwrap()));
    let mut nodes = Vec::new();
    for (i, (listener, shards)) in listeners.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let node = Arc::new(StorageNode::new(chain.clone(), Store::open(dir.path()).unwrap(), key(i)));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = api::serve_until(listener, node.clone(), async move {
            let _ = stopped.await;
        })
        .unwrap();
        nodes.push(TestNode { node, server, stop: Some(stop), dir, shards, key: key(i) });
    }
    Cluster { chain, nodes, n_shards }
}

impl Cluster {
    /// The committee as the client sees it.
    pub fn committee(&self) -> StorageCommittee {
        let members = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| StorageMember {
                node_id: [u8::try_from(i).unwrap(); 32],
                name: format!("node-{i}"),
                public_key: node.key.public_key(),
                shards: node.shards.clone(),
                url: node.server.url(),
            })
            .collect();
        StorageCommittee::new(EPOCH, self.n_shards, members).unwrap()
    }

    /// A chain-less client of this cluster.
    pub fn client(&self) -> FloeClient {
        FloeClient::with_committee(self.committee(), quick_settings())
    }

    /// Registers `blob_id` permanently under object `[object; 32]` until epoch 10.
    pub fn register(&self, blob_id: BlobId, object: u8) {
        self.chain.blob_registered(blob_id, ObjectId([object; 32]), 10, false);
    }

    /// Stops node `i`'s server (it stops answering).
    pub async fn stop(&mut self, i: usize) {
        if let Some(stop) = self.nodes[i].stop.take() {
            let _ = stop.send(());
        }
        (&mut self.nodes[i].server.task).await.unwrap().unwrap();
    }
}

/// A deterministic, non-repetitive blob of `len` bytes.
pub fn blob(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed).collect()
}
