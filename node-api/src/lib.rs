//! The storage-node API's wire contract, shared by the node that serves it and every client of
//! it: the route paths, how large each body and answer can be, the error a request ends in, and
//! one client that verifies every answer it reads.
//!
//! ```
//! use floe_encoder::{BlobId, EncodingConfig, SliverPairIndex, SliverType};
//! use floe_node_api::{bounds, paths::{self, Capture}};
//!
//! // The router and the client build their paths with the same function.
//! let template = paths::sliver(Capture("blob_id"), Capture("pair_index"), Capture("sliver_type"));
//! assert_eq!(template, "/v1/blobs/{blob_id}/slivers/{pair_index}/{sliver_type}");
//! let blob_id = BlobId([0; 32]);
//! assert_eq!(
//!     paths::sliver(&blob_id, SliverPairIndex(7), SliverType::Primary),
//!     format!("/v1/blobs/{blob_id}/slivers/7/primary"),
//! );
//!
//! // Bounds are pure functions of the committee size: a node of 1000 shards accepts slivers of
//! // 667 symbols of 65,534 bytes plus headroom, and metadata of two 33-byte hashes per shard.
//! let config = EncodingConfig::new(1000).unwrap();
//! assert_eq!(bounds::max_sliver_body(&config), 667 * 65_534 + bounds::SLIVER_BODY_HEADROOM);
//! assert_eq!(bounds::max_metadata_body(&config), 1000 * 2 * 33 + bounds::METADATA_BODY_HEADROOM);
//! ```
//!
//! Talking to a node ([`NodeClient`]):
//!
//! ```no_run
//! # async fn example(config: floe_encoder::EncodingConfig, blob_id: floe_encoder::BlobId) -> Result<(), floe_node_api::NodeApiError> {
//! use std::time::Duration;
//! use floe_node_api::NodeClient;
//!
//! let node = NodeClient::new(reqwest::Client::new(), "http://127.0.0.1:9185");
//! // Read within the largest valid answer, then verified against the blob id.
//! let metadata = node.metadata(&config, &blob_id, Duration::from_secs(10)).await?;
//! assert_eq!(metadata.blob_id(), &blob_id);
//! # Ok(()) }
//! ```
//!
//! Modules: [`paths`] (routes and query parameters), [`bounds`] (size bounds), [`error`]
//! ([`NodeApiError`]), [`envelope`] (the JSON answers' `{"success"}` / `{"error"}` envelope),
//! [`status`] ([`BlobStatus`]), [`signed`] (signed messages in JSON answers), [`slivers`] (several slivers in one
//! request), [`health`]
//! ([`Health`]), [`sync`] (shard sync pages), [`challenge`] (storage challenges), [`client`]
//! ([`NodeClient`]), [`tls`] (https with the node's key pinned from the chain). Object ids are
//! `sui_sdk_types::Address`, as everywhere on the chain side.

mod answer;
pub mod bounds;
pub mod challenge;
pub mod client;
pub mod envelope;
pub mod error;
pub mod health;
pub mod paths;
pub mod signed;
pub mod slivers;
pub mod status;
pub mod sync;
pub mod tls;

pub use challenge::{ChallengeRequest, ChallengeResponse, SampleAnswer};
pub use client::{Accepted, FetchedSliver, NodeClient, Registration};
pub use envelope::{Envelope, ErrorEnvelope};
pub use error::{InvalidAnswer, NodeApiError};
pub use health::{Health, IntegrityStatus, StorageUse};
pub use signed::{ConfirmationAnswer, SignedJsonError, SignedMessageJson};
pub use slivers::{BatchedSliver, SliverBatch, SliverBatchBody};
pub use status::{BlobStatus, DeletableCounts};
pub use sync::{PageSliver, SyncShardPage, SyncedSlivers};
