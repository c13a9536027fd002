//! floe's client SDK: store files on a committee of storage nodes and read them back, the
//! owner's blob operations on Sui, and the publisher/aggregator HTTP daemon.
//!
//! A store encodes the file, pays for and registers it in one transaction, uploads metadata and
//! slivers to the nodes, gathers their signed confirmations into a certificate and posts it on
//! chain; a read fetches verified metadata and slivers and decodes. Every node answer is
//! verified, so nodes that are down or lie cost only retries.
//!
//! ```no_run
//! # async fn example(deployment: floe_chain::Deployment, key: floe_chain::Keypair) -> Result<(), Box<dyn std::error::Error>> {
//! use floe_client::{FloeClient, NoProgress, Settings, StoreOptions};
//!
//! let client = FloeClient::connect(deployment, Some(key), Settings::default()).await?;
//! let options = StoreOptions { epochs: 3, ..StoreOptions::default() };
//! let outcome = client.store(b"hello, floe".to_vec(), &options, &NoProgress).await?;
//! let blob_id = outcome.blob_id();
//! assert_eq!(client.read(&blob_id, &NoProgress).await?, b"hello, floe");
//! # Ok(()) }
//! ```
//!
//! Without a chain, a [`FloeClient::with_committee`] reads from a known committee and uploads
//! blobs registered by other means ([`FloeClient::upload`]).
//!
//! Modules by concept: [`committee`] (who stores what), [`node_api`] (one node's HTTP API,
//! floe-node-api's client re-exported), `upload` and `read` (the two data paths), [`chain_ops`]
//! (transactions), `coin_pool` (each transaction its own coins, so concurrent stores from one key
//! do not collide), [`staking`] (staking WAL and operating a node), [`client`] (the facade), [`daemon`] (publisher and aggregator),
//! [`progress`], [`settings`].

pub mod audit;
pub mod blob_ownership;
pub mod blob_stream;
pub mod chain_ops;
pub mod client;
mod coin_pool;
pub mod committee;
pub mod daemon;
pub mod failures;
pub mod node_api;
mod owned_blobs;
pub mod progress;
pub mod quilt;
mod read;
pub mod settings;
pub mod shared_blobs;
mod sliver_fetch;
pub mod staking;
pub mod store_answer;
mod upload;

pub use blob_ownership::BurntBlobs;
pub use blob_stream::{BlobReader, BlobStream, ReadBudget, ReadPlan};
pub use chain_ops::{ChainAccess, ChainError, Price};
pub use client::{
    BatchStoreError, BatchStored, CERTIFY_EPOCHS, Certification, CertifyAttemptError, DEFAULT_SPILL_THRESHOLD,
    FloeClient, SpillOptions, StatusReport, StoreError, StoreOptions, StoreOutcome,
};
pub use committee::{Committees, NodeId, StorageCommittee, StorageMember};
pub use failures::{Failures, SourceFailure};
pub use progress::{NoProgress, PhaseTimes, Progress, ProgressEvent, StorePhase};
pub use quilt::{QuiltReadError, QuiltSelector, StoreQuiltError, StoredQuilt};
pub use read::ReadError;
pub use settings::Settings;
pub use shared_blobs::{SharedBlobState, SharedExtension};
pub use staking::{NodeVotes, StakeInfo, StakingError};
pub use store_answer::{QuiltStoreAnswer, StoreAnswer};
pub use upload::{UploadError, UploadSource};
