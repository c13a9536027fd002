//! Storage nodes on loopback sharing one [`TestChain`]: what the tests and benchmarks of the
//! node and of its clients start instead of a network. Each node has its own temporary store and
//! a deterministic BLS key, and holds a consecutive range of shards. Their stores have a node's
//! default settings unless started with [`LocalCluster::start_with`] (the node's own tests keep
//! every sliver record in the sliver file on the odd nodes: [`every_other_in_file`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use floe_node::local_cluster::LocalCluster;
//!
//! // Three nodes holding 4, 3 and 3 of 10 shards.
//! let mut cluster = LocalCluster::start(&[4, 3, 3]).await.unwrap();
//! assert_eq!(cluster.config.n_shards(), 10);
//! assert_eq!(cluster.nodes[1].shards.len(), 3);
//! assert!(cluster.nodes[0].url().starts_with("http://127.0.0.1:"));
//! cluster.stop(2).await; // node 2 stops answering
//! # }
//! ```

use std::sync::Arc;

use floe_encoder::{BlobId, EncodingConfig, ShardIndex, SliverPairIndex, bls::BlsSecretKey, mapping};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use sui_sdk_types::Address;

use crate::api::{self, Server};
use crate::chain_state::ChainChange;
use crate::chain_view::{Committee, CommitteeMember};
use crate::test_chain::TestChain;
use crate::{
    StorageNode, Store,
    store::{StoreClosing, StoreSettings},
};

/// The epoch the cluster's committee serves.
pub const EPOCH: u32 = 1;

/// The end epoch of the blobs [`LocalCluster::register`] registers.
pub const END_EPOCH: u32 = 10;

/// One node of a [`LocalCluster`].
#[derive(Debug)]
pub struct LocalNode {
    /// The node.
    pub node: Arc<StorageNode>,
    /// Its HTTP server.
    pub server: Server,
    stop: Option<oneshot::Sender<()>>,
    /// Its store's directory, removed when the node is dropped.
    pub dir: TempDir,
    /// Its BLS key.
    pub key: BlsSecretKey,
    /// The shards it holds.
    pub shards: Vec<ShardIndex>,
    /// How its store is opened.
    settings: StoreSettings,
}

/// Store settings for node `i` that keep every sliver record in the sliver file for odd `i`, and
/// only those of 64 KiB and more (a node's default) for even `i`: small test blobs then go both
/// ways through the store.
pub fn every_other_in_file(i: usize) -> StoreSettings {
    let mut settings = StoreSettings::default();
    if i % 2 == 1 {
        settings.file_sliver_min_bytes = 0;
    }
    settings
}

fn open_store(dir: &std::path::Path, settings: &StoreSettings) -> std::io::Result<Store> {
    Store::open_with(dir, settings).map_err(std::io::Error::other)
}

impl LocalNode {
    /// Its base URL.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Stops the server (the node stops answering) and waits until it has; idempotent.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
            (&mut self.server.task).await.expect("server task").expect("server stopped cleanly");
        }
    }

    /// Stops the node, closes its store and reopens the same directory in a new node on a new
    /// port (as after a crash and restart).
    pub async fn restart(self, chain: TestChain) -> std::io::Result<Self> {
        self.restart_after(chain, |_| {}).await
    }

    /// [`Self::restart`], with `offline` run on the store's directory while the node is down
    /// (to edit its database file as a failing disk would, say).
    pub async fn restart_after(
        mut self,
        chain: TestChain,
        offline: impl FnOnce(&std::path::Path),
    ) -> std::io::Result<Self> {
        self.stop().await;
        let Self { node, dir, key, shards, settings, .. } = self;
        // A blocking store call whose request was cancelled may hold the node a moment longer.
        let closing = node.store().closing();
        drop(node);
        assert!(closing.closed(StoreClosing::WAIT).await, "the stopped node let go of its store");
        offline(dir.path());
        let store = open_store(dir.path(), &settings)?;
        let node = Arc::new(StorageNode::new(chain.state(), store, key.clone()));
        let (server, stop) = serve(TcpListener::bind("127.0.0.1:0").await?, node.clone())?;
        Ok(Self { node, server, stop: Some(stop), dir, key, shards, settings })
    }
}

/// Nodes on loopback sharing one test chain.
#[derive(Debug)]
pub struct LocalCluster {
    /// The chain every node follows; register blobs on it.
    pub chain: TestChain,
    /// The nodes, in committee order.
    pub nodes: Vec<LocalNode>,
    /// The encoding of the committee's shard count.
    pub config: EncodingConfig,
}

/// Node `i`'s BLS key: a fixed seed, so reruns sign alike.
pub fn node_key(i: usize) -> BlsSecretKey {
    BlsSecretKey::from_seed(&[u8::try_from(i + 1).expect("fewer than 255 nodes"); 32])
}

impl LocalCluster {
    /// Starts one node per entry of `shards_per_node`, holding consecutive shard ranges of those
    /// sizes, in a committee of epoch [`EPOCH`].
    pub async fn start(shards_per_node: &[u16]) -> std::io::Result<Self> {
        Self::start_with(shards_per_node, |_| StoreSettings::default()).await
    }

    /// [`Self::start`], node `i`'s store opened with `store_settings(i)`.
    pub async fn start_with(
        shards_per_node: &[u16],
        store_settings: impl Fn(usize) -> StoreSettings,
    ) -> std::io::Result<Self> {
        let n_shards: u16 = shards_per_node.iter().sum();
        let mut next = 0u16;
        let (mut members, mut listeners) = (Vec::new(), Vec::new());
        for (i, count) in shards_per_node.iter().enumerate() {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let shards: Vec<ShardIndex> = (next..next + count).map(ShardIndex).collect();
            next += count;
            members.push(CommitteeMember {
                public_key: node_key(i).public_key(),
                shards: shards.clone(),
                http_address: format!("http://{}", listener.local_addr()?),
                network_key: None,
            });
            listeners.push((listener, shards));
        }
        let committee = Committee::new(EPOCH, n_shards, members).map_err(std::io::Error::other)?;
        let chain = TestChain::new(committee);
        let mut nodes = Vec::new();
        for (i, (listener, shards)) in listeners.into_iter().enumerate() {
            let dir = tempfile::tempdir()?;
            let settings = store_settings(i);
            let store = open_store(dir.path(), &settings)?;
            let node = Arc::new(StorageNode::new(chain.state(), store, node_key(i)));
            let (server, stop) = serve(listener, node.clone())?;
            nodes.push(LocalNode { node, server, stop: Some(stop), dir, key: node_key(i), shards, settings });
        }
        let config = EncodingConfig::new(n_shards).map_err(std::io::Error::other)?;
        Ok(Self { chain, nodes, config })
    }

    /// Registers `blob_id` permanently under object `[object; 32]` until [`END_EPOCH`].
    pub fn register(&self, blob_id: BlobId, object: u8) {
        let object_id = Address::new([object; 32]);
        self.chain.apply([ChainChange::Registered { blob_id, object_id, end_epoch: END_EPOCH, deletable: false }]);
    }

    /// Certifies, in epoch [`EPOCH`], the registration [`Self::register`] made under `object`.
    pub fn certify(&self, blob_id: BlobId, object: u8) {
        let object_id = Address::new([object; 32]);
        self.chain.apply([ChainChange::Certified { blob_id, object_id, epoch: EPOCH, end_epoch: END_EPOCH }]);
    }

    /// The index of the node holding the shard of `pair` for `blob_id`.
    pub fn holder_of_pair(&self, blob_id: &BlobId, pair: u16) -> usize {
        let shard = mapping::shard_for_pair(SliverPairIndex(pair), blob_id, self.config.n_shards());
        self.nodes.iter().position(|node| node.shards.contains(&shard)).expect("every shard has a holder")
    }

    /// Stops node `i`'s server: it stops answering.
    pub async fn stop(&mut self, i: usize) {
        self.nodes[i].stop().await;
    }
}

/// Serves `node` until the returned sender fires (or is dropped).
fn serve(listener: TcpListener, node: Arc<StorageNode>) -> std::io::Result<(Server, oneshot::Sender<()>)> {
    let (stop, stopped) = oneshot::channel::<()>();
    let server = api::serve_until(listener, node, async move {
        let _ = stopped.await;
    })?;
    Ok((server, stop))
}
