//! Every size and concurrency limit of the node, as named constants or derived from them.
//!
//! Body limits follow from the encoding: the largest sliver a committee of `n` shards can
//! produce is a primary sliver of `n - f` symbols of the maximum symbol size; metadata holds two
//! hashes per shard. Anything larger than the bound plus a small headroom cannot be valid, so it
//! is refused with 413 before it is read in full.
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

use floe_encoder::{EncodingConfig, SliverType, config::MAX_SYMBOL_SIZE};

/// Bytes allowed above the largest possible sliver, for the BCS framing (a length prefix, the
/// symbol size and the index take 9 bytes) with generous slack.
pub const SLIVER_BODY_HEADROOM: usize = 4 * 1024;

/// Bytes allowed above the metadata's hashes, for its BCS framing (version, encoding type,
/// length and the vector's length prefix take at most 14 bytes).
pub const METADATA_BODY_HEADROOM: usize = 1024;

/// BCS bytes of one hash in the metadata: the `Empty`/`Digest` tag and 32 bytes.
const METADATA_HASH_BYTES: usize = 33;

/// Upper bound of a recovery symbol's BCS size beyond its data: axis, two indices, two length
/// prefixes, and a Merkle path of at most 17 nodes (enough for 2^16 leaves) of 33 bytes each.
pub const RECOVERY_SYMBOL_OVERHEAD: usize = 1 + 2 + 2 + 6 + 17 * 33;

/// Bytes allowed above an inconsistency proof's symbols.
pub const INCONSISTENCY_PROOF_HEADROOM: usize = 1024;

/// The largest `PUT .../slivers/...` body a node of this committee size accepts.
pub fn max_sliver_body(config: &EncodingConfig) -> usize {
    config.sliver_len(SliverType::Primary, MAX_SYMBOL_SIZE) + SLIVER_BODY_HEADROOM
}

/// The largest `PUT .../metadata` body a node of this committee size accepts.
pub fn max_metadata_body(config: &EncodingConfig) -> usize {
    config.n_shards_usize() * 2 * METADATA_HASH_BYTES + METADATA_BODY_HEADROOM
}

/// The largest `POST .../inconsistencyProof/...` body: a proof carries at most as many symbols
/// as a primary sliver needs (`n - f`), each at most the maximum symbol size.
pub fn max_inconsistency_proof_body(config: &EncodingConfig) -> usize {
    let symbols = usize::from(config.sliver_symbols(SliverType::Primary));
    symbols * (usize::from(MAX_SYMBOL_SIZE) + RECOVERY_SYMBOL_OVERHEAD) + INCONSISTENCY_PROOF_HEADROOM
}

/// The largest recovery-symbols answer a node builds or a recovering node reads.
pub const MAX_RECOVERY_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// How many target slivers one recovery-symbols request may name: as many as keep the answer
/// within [`MAX_RECOVERY_RESPONSE_BYTES`] even from a node holding all `n` shards (at least one).
pub fn max_recovery_targets(config: &EncodingConfig, symbol_size: u16) -> usize {
    let per_target = config.n_shards_usize() * (usize::from(symbol_size) + RECOVERY_SYMBOL_OVERHEAD);
    (MAX_RECOVERY_RESPONSE_BYTES / per_target).clamp(1, config.n_shards_usize())
}

/// The largest recovery-symbols answer for `targets` target slivers (one symbol per shard each).
pub fn max_recovery_response(config: &EncodingConfig, symbol_size: u16, targets: usize) -> usize {
    targets * config.n_shards_usize() * (usize::from(symbol_size) + RECOVERY_SYMBOL_OVERHEAD) + 16
}

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

/// How often a waiting request looks at the chain view again.
pub const REGISTRATION_POLL_INTERVAL: Duration = Duration::from_millis(50);
