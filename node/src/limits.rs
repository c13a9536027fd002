//! Every size and concurrency limit of the node, as named constants or derived from them.
//!
//! Body limits follow from the encoding and are part of the API's wire contract, so they are
//! defined in floe-node-api's `bounds` (re-exported here): the largest sliver a committee of `n`
//! shards can produce is a primary sliver of `n - f` symbols of the maximum symbol size; metadata
//! holds two hashes per shard. Anything larger than the bound plus a small headroom cannot be
//! valid, so it is refused with 413 before it is read in full.
//!
//! ```
//! use floe_encoder::EncodingConfig;
//! use floe_node::limits;
//!
//! let config = EncodingConfig::new(1000).unwrap();
//! // 667 symbols of 65,534 bytes, plus headroom: about 43.7 MB.
//! assert_eq!(limits::max_sliver_body(&config), 667 * 65_534 + limits::SLIVER_BODY_HEADROOM);
//! assert!(limits::max_metadata_body(&config) < 70_000);
//! ```

use std::time::Duration;

pub use floe_node_api::bounds::{
    INCONSISTENCY_PROOF_HEADROOM, MAX_RECOVERY_RESPONSE_BYTES, MAX_SYNC_PAGE_BYTES, MAX_SYNC_PAGE_SLIVERS,
    MAX_SYNC_REQUEST_BODY, METADATA_BODY_HEADROOM, RECOVERY_SYMBOL_OVERHEAD, SLIVER_BODY_HEADROOM,
    max_inconsistency_proof_body, max_metadata_body, max_recovery_response, max_recovery_targets,
    max_sliver_batch_body, max_sliver_body,
};

/// Peers asked for recovery symbols at once while recovering one sliver.
pub const RECOVERY_CONCURRENCY: usize = 8;

/// Attempts per request to a peer during recovery (the first try included).
pub const RECOVERY_ATTEMPTS: usize = 3;

/// The first pause between attempts; it doubles on each retry.
pub const RECOVERY_RETRY_DELAY: Duration = Duration::from_millis(100);

/// How long one request to a peer may take.
pub const PEER_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The longest a request may wait for its blob's registration to reach the node
/// (`?wait_millis=`): the node sees a registration only once its follower has read the
/// checkpoint, which may trail the client's transaction.
pub const MAX_REGISTRATION_WAIT: Duration = Duration::from_secs(30);

/// The longest pause in an upload that a request waiting for the rest of it (a confirmation, a
/// sliver batch sent alongside its metadata: `?upload_wait_millis=`) may sit through: the client
/// sends what it waits for at the same time, so it comes within its own transfer.
pub const MAX_UPLOAD_WAIT: Duration = Duration::from_secs(30);
