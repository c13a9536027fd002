//! The floe storage node: crash-safe sliver storage in redb, the node's view of the chain (fed
//! from checkpoints by the chain follower), the Walrus-shaped HTTP API, recovery of
//! missing slivers from peers, and a runner that starts it all from a config file.
//!
//! ```
//! use std::sync::Arc;
//! use floe_encoder::{EncodingConfig, ShardIndex, bls::BlsSecretKey, encode, mapping};
//! use floe_node::{StorageNode, Store, chain_state::ChainChange, test_chain::TestChain};
//! use floe_node::chain_view::{Committee, CommitteeMember};
//! use floe_encoder::messages::BlobPersistence;
//! use sui_sdk_types::Address;
//!
//! // A one-node committee of 4 shards, at epoch 1.
//! let key = BlsSecretKey::from_seed(&[3; 32]);
//! let member = CommitteeMember {
//!     public_key: key.public_key(),
//!     shards: (0..4).map(ShardIndex).collect(),
//!     http_address: "http://127.0.0.1:9185".into(),
//!     network_key: None,
//! };
//! let chain = TestChain::new(Committee::new(1, 4, vec![member]).unwrap());
//! let dir = tempfile::tempdir().unwrap();
//! let node = StorageNode::new(chain.state(), Store::open(dir.path()).unwrap(), key.clone());
//!
//! // A client encodes a blob and registers it on chain; the node then accepts its data.
//! let config = EncodingConfig::new(4).unwrap();
//! let encoded = encode(&config, b"hello, floe").unwrap();
//! let blob_id = *encoded.metadata.blob_id();
//! let object_id = Address::new([9; 32]);
//! chain.apply([ChainChange::Registered { blob_id, object_id, end_epoch: 5, deletable: false }]);
//! node.store_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).unwrap();
//! for pair in &encoded.pairs {
//!     for sliver in [&pair.primary, &pair.secondary] {
//!         node.store_sliver(&blob_id, pair.index(), sliver.axis(), &sliver.to_bcs()).unwrap();
//!     }
//! }
//! // Everything of its shards is stored: it signs a confirmation a client can aggregate.
//! let signed = node.confirmation(&blob_id, BlobPersistence::Permanent).unwrap();
//! assert!(signed.verify(&key.public_key()).is_ok());
//! ```
//!
//! Modules: [`store`] (redb), [`blob_info`] (per-blob chain state), [`chain_view`] (the trait
//! the node reads the chain through), [`chain_state`] (the persisted view the follower writes),
//! [`follower`] (checkpoints to state changes and duties), [`duties`] (recovery and epoch sync
//! in the background), [`chain_committee`] (the committee read from the chain), [`node`]
//! (request logic), [`api`] (HTTP, on the routes of floe-node-api), [`recovery`] (rebuilding
//! slivers from peers, through floe-node-api's client), [`stored_sliver`] (a sliver on disk with
//! its digest), [`vouched`] (the slivers a confirmation need not read back), [`integrity`]
//! (damage found and repaired), [`scrub`] (the background check of every stored sliver),
//! [`config`] (the TOML file), [`runner`] (a whole node), `local_cluster` (nodes on loopback for
//! tests and benchmarks) and `test_chain` (a chain state tests feed by hand), both behind the
//! `test-utils` feature, [`challenges`] (storage challenges: answering, challenging peers,
//! recording outcomes), [`operator`] (the node's own transactions), [`pending`] (uploads held until their
//! registration is seen), [`limits`], [`error`].

pub mod api;
pub mod blob_info;
pub mod chain_committee;
pub mod chain_state;
pub mod chain_view;
pub mod challenges;
pub mod config;
pub mod duties;
pub mod error;
pub mod follower;
pub mod foreground;
pub mod integrity;
pub mod limits;
#[cfg(feature = "test-utils")]
pub mod local_cluster;
pub mod node;
pub mod operator;
pub mod pending;
pub mod recent_metadata;
pub mod recovery;
pub mod runner;
pub mod scrub;
pub mod shard_sync;
pub mod store;
pub mod stored_metadata;
pub mod stored_sliver;
#[cfg(feature = "test-utils")]
pub mod test_chain;
pub mod upload_activity;
pub mod vouched;

pub use chain_view::ChainView;
pub use error::NodeError;
pub use node::{Health, StorageNode, Stored};
pub use store::Store;
