//! What floe's end-to-end tests share: a small local network in a temporary directory.
//!
//! ```no_run
//! # #[tokio::main] async fn main() {
//! let net = floe_tests::TestNet::start(floe_tests::SMALL).await;
//! let client = net.localnet.client().await.unwrap();
//! # let _ = client;
//! net.shutdown().await;
//! # }
//! ```

pub mod bench;
mod daemon_http;

use std::time::{Duration, Instant};

use floe_chain::floe::state::{CommitteeInfo, FloeReader};
use floe_localnet::{Localnet, LocalnetConfig, Ports};
use rand::{RngCore, SeedableRng};
use sui_sdk_types::Address;

pub use daemon_http::{DaemonHttp, json_error};

/// How long [`TestNet::advance_epoch`] waits for the nodes to report the current epoch synced.
pub const EPOCH_SYNC_TIMEOUT: Duration = Duration::from_secs(90);

/// The size of a test network.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Storage nodes.
    pub nodes: usize,
    /// Shards.
    pub shards: u16,
}

/// The default local network: 10 nodes sharing 100 shards (f = 33 shards, 3 whole nodes).
pub const DEFAULT: Shape = Shape { nodes: 10, shards: 100 };
/// A smaller network for tests about one behaviour: 4 nodes, 12 shards (f = 3 shards, 1 node).
pub const SMALL: Shape = Shape { nodes: 4, shards: 12 };

/// A local network of test size, its directory removed when dropped.
#[derive(Debug)]
pub struct TestNet {
    /// The network.
    pub localnet: Localnet,
    dir: tempfile::TempDir,
}

impl TestNet {
    /// Starts a network of `shape` on free ports without key servers or indexer.
    pub async fn start(shape: Shape) -> Self {
        Self::start_with_key_servers(shape, 0).await
    }

    /// Starts a network of `shape` with `key_servers` Seal key servers (registered on chain) and
    /// no indexer.
    pub async fn start_with_key_servers(shape: Shape, key_servers: usize) -> Self {
        Self::start_configured(shape, |config| config.key_servers = key_servers).await
    }

    /// Starts a network of `shape` on free ports without key servers or indexer, after
    /// `configure` adjusted its configuration (the nodes' limits, say).
    pub async fn start_configured(shape: Shape, configure: impl FnOnce(&mut LocalnetConfig)) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = LocalnetConfig::new(dir.path());
        config.ports = Ports::ephemeral();
        config.n_nodes = shape.nodes;
        config.n_shards = shape.shards;
        config.key_servers = 0;
        config.indexer = false;
        configure(&mut config);
        let localnet = Localnet::start(config).await.expect("the local network starts");
        Self { localnet, dir }
    }

    /// The data directory.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Advances floe's epoch once nodes holding a quorum of shards reported the current one
    /// synced (`epoch_sync_done`), retrying until [`EPOCH_SYNC_TIMEOUT`]; returns the new epoch
    /// and the last checkpoint before the change.
    pub async fn advance_epoch(&self) -> (u32, u64) {
        let started = Instant::now();
        loop {
            let tip = self.localnet.devnet().ledger().tip();
            match self.localnet.devnet().advance_epoch().await {
                Ok(epoch) => return (epoch, tip),
                Err(error) if started.elapsed() > EPOCH_SYNC_TIMEOUT => {
                    panic!("the epoch did not advance within {EPOCH_SYNC_TIMEOUT:?}: {error}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Waits (up to [`EPOCH_SYNC_TIMEOUT`]) until node `index` has done every duty the chain gave
    /// it — recoveries, shard syncs, its `epoch_sync_done` report — so its operator account sends
    /// no transaction of its own meanwhile (a test signing as that operator would otherwise race
    /// the node for the same gas coin).
    pub async fn wait_for_duties(&self, index: usize) {
        let started = Instant::now();
        let node = self.localnet.node(index).expect("the node runs");
        // First the node must have read the chain up to now, or its newest duties are not
        // recorded yet.
        let tip = self.localnet.chain().service_info().await.expect("the chain answers").checkpoint_height;
        while node.chain_state().next_checkpoint() <= tip {
            assert!(started.elapsed() < EPOCH_SYNC_TIMEOUT, "node {index} did not reach checkpoint {tip}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        while !node.chain_state().duties().expect("the node's state reads").is_empty() {
            assert!(started.elapsed() < EPOCH_SYNC_TIMEOUT, "node {index} still has duties");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stakes `amount` FROST of the funded user's WAL with `node_id`; returns the StakedWal,
    /// which the user keeps.
    pub async fn stake(&self, node_id: Address, amount: u64) -> Address {
        let client = self.localnet.client().await.expect("a user client");
        client.chain().expect("a chain connection").stake(node_id, amount).await.expect("the stake executes")
    }

    /// The storage committee on chain now.
    pub async fn committee(&self) -> CommitteeInfo {
        FloeReader::new(self.localnet.chain(), self.localnet.deployment().clone())
            .committee()
            .await
            .expect("the committee")
    }

    /// Stops everything.
    pub async fn shutdown(self) {
        self.localnet.shutdown().await;
    }
}

/// `len` bytes of deterministic noise (incompressible, unlike zeros).
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}
