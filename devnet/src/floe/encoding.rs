//! `floe::encoding` natively: the RS2 size arithmetic that storage is reserved and paid for,
//! with the Move module's aborts.

use floe_chain::floe::aborts::abort_code;
use floe_encoder::EncodingType;
use floe_encoder::config::{DIGEST_LEN, MAX_SYMBOL_SIZE};

use super::abort_in;
use crate::native::CallError;

const MODULE: &str = "encoding";
/// The only accepted encoding type's byte.
const RS2: u8 = EncodingType::RS2.as_u8();
/// Bytes of one sliver pair's two hashes in the metadata (`HASHES_PER_PAIR_BYTES`).
const HASHES_PER_PAIR_BYTES: u64 = 2 * DIGEST_LEN as u64;
/// Fixed metadata bytes besides the hashes, the blob id (`METADATA_FIXED_BYTES`).
const METADATA_FIXED_BYTES: u64 = DIGEST_LEN as u64;
const E_INVALID_ENCODING_TYPE: u64 = abort_code(MODULE, "EInvalidEncodingType");
const E_BLOB_TOO_LARGE: u64 = abort_code(MODULE, "EBlobTooLarge");
const E_INVALID_SHARD_COUNT: u64 = abort_code(MODULE, "EInvalidShardCount");

fn max_faulty(n_shards: u16) -> Result<u64, CallError> {
    if n_shards == 0 {
        return Err(abort_in(MODULE, "max_faulty", E_INVALID_SHARD_COUNT));
    }
    Ok((n_shards as u64 - 1) / 3)
}

/// Source symbols of a primary and of a secondary sliver: n - 2f and n - f.
fn source_symbols(n_shards: u16) -> Result<(u64, u64), CallError> {
    let f = max_faulty(n_shards)?;
    let n = n_shards as u64;
    Ok((n - 2 * f, n - f))
}

fn symbol_size(unencoded_length: u64, n_shards: u16) -> Result<u64, CallError> {
    let (primary, secondary) = source_symbols(n_shards)?;
    let mut size = unencoded_length.max(1).div_ceil(primary * secondary);
    if size % 2 == 1 {
        size += 1;
    }
    if size > u64::from(MAX_SYMBOL_SIZE) {
        return Err(abort_in(MODULE, "symbol_size", E_BLOB_TOO_LARGE));
    }
    Ok(size)
}

/// The encoded length of a blob for `n_shards` shards: n copies of the metadata plus n sliver
/// pairs (`encoding::encoded_blob_length`).
pub(crate) fn encoded_blob_length(unencoded_length: u64, encoding_type: u8, n_shards: u16) -> Result<u64, CallError> {
    if encoding_type != RS2 {
        return Err(abort_in(MODULE, "encoded_blob_length", E_INVALID_ENCODING_TYPE));
    }
    let n = n_shards as u64;
    let metadata = n * (n * HASHES_PER_PAIR_BYTES + METADATA_FIXED_BYTES);
    let (primary, secondary) = source_symbols(n_shards)?;
    Ok(metadata + n * (primary + secondary) * symbol_size(unencoded_length, n_shards)?)
}

#[cfg(test)]
mod tests {
    use floe_encoder::EncodingConfig;

    use super::*;

    #[test]
    fn encoded_length_matches_the_contract_figures() {
        // move/README.md: 10,680 bytes for 1000 bytes at n = 10; 66,034,000 for an empty blob at n = 1000.
        assert_eq!(encoded_blob_length(1000, RS2, 10).unwrap(), 10_680);
        assert_eq!(encoded_blob_length(0, RS2, 1000).unwrap(), 66_034_000);
    }

    #[test]
    fn encoded_length_equals_the_encoders() {
        for (size, n) in [(1u64, 4u16), (1000, 10), (123_456, 7), (5_000_000, 100)] {
            let config = EncodingConfig::new(n).unwrap();
            assert_eq!(
                encoded_blob_length(size, RS2, n).unwrap(),
                config.encoded_blob_length(size).unwrap(),
                "size {size}, {n} shards"
            );
        }
    }

    #[test]
    fn other_encodings_and_oversized_blobs_abort() {
        assert_eq!(encoded_blob_length(1, 0, 10).unwrap_err(), abort_in(MODULE, "encoded_blob_length", 0));
        // At n = 4 (f = 1) a symbol carries size / 6 bytes: 6 * 65,534 is the largest blob.
        assert!(encoded_blob_length(6 * 65_534, RS2, 4).is_ok());
        assert_eq!(encoded_blob_length(6 * 65_534 + 1, RS2, 4).unwrap_err(), abort_in(MODULE, "symbol_size", 1));
        assert_eq!(encoded_blob_length(1, RS2, 0).unwrap_err(), abort_in(MODULE, "max_faulty", 2));
    }
}
