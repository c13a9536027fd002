//! floe-localnet: a whole floe network in one process — the devnet with floe's packages and a
//! staked committee, the storage nodes following it, the publisher/aggregator, the indexer and
//! Seal key servers — for `floe localnet`, end-to-end tests and benchmarks.
//!
//! Every key derives from [`LocalnetConfig::seed`], and the ports of the first start are recorded
//! in the data directory (`ports.json`), so a network restarted on the same data directory resumes
//! with the same keys, objects, stored blobs and addresses, even when its first ports were the OS's
//! picks ([`Ports::ephemeral`]).
//!
//! ```no_run
//! # #[tokio::main] async fn main() {
//! use floe_client::{NoProgress, StoreOptions};
//! use floe_localnet::{Localnet, LocalnetConfig, Ports};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut config = LocalnetConfig::new(dir.path());
//! config.ports = Ports::ephemeral();
//! let localnet = Localnet::start(config).await.unwrap();
//!
//! let client = localnet.client().await.unwrap();
//! let stored = client.store(b"hello floe".to_vec(), &StoreOptions::default(), &NoProgress).await.unwrap();
//! let read = client.read(&stored.blob_id(), &NoProgress).await.unwrap();
//! assert_eq!(read, b"hello floe");
//! localnet.shutdown().await;
//! # }
//! ```

mod config;
mod network;
mod ports;

pub use config::{
    DEFAULT_EPOCH_DURATION, DEFAULT_KEY_SERVERS, DEFAULT_NODES, DEFAULT_SHARDS, LocalnetConfig, NODE_STAKE, Ports,
    USER_SUI_COINS, USER_WAL_COINS,
};
pub use network::{KeyServerEntry, Localnet, LocalnetError};
pub use ports::{BoundPorts, PORTS_FILE, PortsFileError};
