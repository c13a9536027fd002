//! How large each body of the API can be: pure functions of the committee size (and, for
//! answers about one blob, its symbol size). The node refuses larger request bodies with 413
//! before reading them in full; the client stops reading an answer once it passes its bound.
//!
//! The largest sliver a committee of `n` shards can produce is a primary sliver of `n - f`
//! symbols of the maximum symbol size; metadata holds two hashes per shard. Anything larger than
//! the bound plus a small headroom cannot be valid.

use floe_encoder::{EncodingConfig, SliverType, config::MAX_SYMBOL_SIZE};

/// Bytes of a blob id, which precedes the metadata in a GET metadata answer.
pub const BLOB_ID_BYTES: usize = 32;

/// Bytes allowed for a JSON answer (a confirmation, a status, a success or error message).
pub const MAX_JSON_ANSWER: usize = 16 * 1024;

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

/// The largest recovery-symbols answer a node builds or a recovering node reads.
pub const MAX_RECOVERY_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Sliver bytes a node packs into one shard-sync page before it stops (a page always holds at
/// least one sliver, however large).
pub const MAX_SYNC_PAGE_BYTES: usize = 32 * 1024 * 1024;

/// Slivers one shard-sync request may ask for.
pub const MAX_SYNC_PAGE_SLIVERS: u16 = 1024;

/// The largest `POST /v1/migrate/sync_shard` body: a BCS `SignedMessage` of a sync request.
pub const MAX_SYNC_REQUEST_BODY: usize = 1024;

/// The largest request body a node reads at all, whatever the route: above every valid body of
/// committees up to 5,000 shards (a sliver of 3,334 symbols of 65,534 bytes is 218 MB); each
/// route then holds its body to its own bound. A larger declared length is refused up front.
pub const MAX_REQUEST_BODY: usize = 256 * 1024 * 1024;

/// The largest valid shard-sync page of `count` slivers: the page bound, one more sliver of the
/// largest size, and per sliver its blob id and length prefixes.
pub fn max_sync_page_answer(config: &EncodingConfig, count: u16) -> usize {
    MAX_SYNC_PAGE_BYTES + max_sliver_body(config) + usize::from(count) * (BLOB_ID_BYTES + 16) + 64
}

/// Bytes one challenge answer may take beyond its symbol: the pair, two Merkle paths of at
/// most 17 nodes of 33 bytes, two hashes, the encoding type and the length, with headroom.
pub const CHALLENGE_ANSWER_OVERHEAD: usize = 2 * 17 * 33 + 2 * 33 + 64;

/// The largest `POST /v1/challenge` body: [`crate::challenge::MAX_CHALLENGE_SAMPLES`] samples
/// of a 32-byte blob id, a shard, an axis and a symbol, with headroom.
pub const MAX_CHALLENGE_REQUEST_BODY: usize = crate::challenge::MAX_CHALLENGE_SAMPLES * 48 + 16;

/// The largest valid answer to a challenge of `samples` samples: every symbol at the largest
/// symbol size.
pub fn max_challenge_answer(samples: usize) -> usize {
    samples * (usize::from(MAX_SYMBOL_SIZE) + CHALLENGE_ANSWER_OVERHEAD) + 16
}

/// The largest valid list of signed challenge outcomes: one per committee member, each a
/// 7-byte header, a 33-byte body, a 96-byte signature and length prefixes.
pub fn max_challenge_outcomes_answer(members: usize) -> usize {
    members * 160 + 16
}

/// The largest `PUT /v1/blobs/{id}/slivers` body a node of this committee size accepts: a
/// batch's byte bound plus one more sliver of the largest size (a batch always holds at least
/// one), and per sliver its pair, axis and length prefix.
pub fn max_sliver_batch_body(config: &EncodingConfig) -> usize {
    crate::slivers::MAX_SLIVER_BATCH_BYTES + max_sliver_body(config) + crate::slivers::MAX_SLIVER_BATCH_COUNT * 16 + 16
}

/// The largest `PUT .../slivers/...` body a node of this committee size accepts.
pub fn max_sliver_body(config: &EncodingConfig) -> usize {
    config.sliver_len(SliverType::Primary, MAX_SYMBOL_SIZE) + SLIVER_BODY_HEADROOM
}

/// The largest valid `GET .../slivers/{pair}/{axis}` answer for a blob of `symbol_size`.
pub fn max_sliver_answer(config: &EncodingConfig, axis: SliverType, symbol_size: u16) -> usize {
    sliver_answer_of(config.sliver_len(axis, symbol_size))
}

/// The largest valid `GET .../slivers/{pair}/{axis}` answer for a sliver of `sliver_bytes` bytes
/// of symbols.
pub fn sliver_answer_of(sliver_bytes: usize) -> usize {
    sliver_bytes + SLIVER_BODY_HEADROOM
}

/// The largest `PUT .../metadata` body a node of this committee size accepts.
pub fn max_metadata_body(config: &EncodingConfig) -> usize {
    config.n_shards_usize() * 2 * METADATA_HASH_BYTES + METADATA_BODY_HEADROOM
}

/// The largest valid `GET .../metadata` answer: the blob id, then the metadata.
pub fn max_metadata_answer(config: &EncodingConfig) -> usize {
    BLOB_ID_BYTES + max_metadata_body(config)
}

/// The largest `POST .../inconsistencyProof/...` body: a proof carries at most as many symbols
/// as a primary sliver needs (`n - f`), each at most the maximum symbol size.
pub fn max_inconsistency_proof_body(config: &EncodingConfig) -> usize {
    let symbols = usize::from(config.sliver_symbols(SliverType::Primary));
    symbols * (usize::from(MAX_SYMBOL_SIZE) + RECOVERY_SYMBOL_OVERHEAD) + INCONSISTENCY_PROOF_HEADROOM
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_recovery_batch_fits_the_response_bound() {
        let config = EncodingConfig::new(1000).unwrap();
        let targets = max_recovery_targets(&config, MAX_SYMBOL_SIZE);
        assert!(targets >= 1);
        if targets > 1 {
            assert!(max_recovery_response(&config, MAX_SYMBOL_SIZE, targets) <= MAX_RECOVERY_RESPONSE_BYTES + 16);
        }
        // Small symbols: every target fits in one request.
        assert_eq!(max_recovery_targets(&EncodingConfig::new(10).unwrap(), 16), 10);
    }

    #[test]
    fn a_sliver_answer_bound_is_within_the_upload_bound() {
        let config = EncodingConfig::new(10).unwrap();
        for axis in [SliverType::Primary, SliverType::Secondary] {
            assert!(max_sliver_answer(&config, axis, MAX_SYMBOL_SIZE) <= max_sliver_body(&config));
        }
        assert_eq!(max_metadata_answer(&config), 32 + 10 * 66 + METADATA_BODY_HEADROOM);
    }
}
