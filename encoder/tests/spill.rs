//! The spilled encoding ([`floe_encoder::spill`]) against the in-memory one: same metadata,
//! same blob id, same slivers, over sizes, shard counts and step sizes.

use std::io;

use floe_encoder::{
    EncodingConfig, SliverPairIndex, SliverType, encode,
    error::EncodeError,
    spill::{EncodeFileError, WORKING_BUDGET, encode_to_file, encode_to_file_with_budget},
};
use proptest::prelude::*;

fn spill_file() -> std::fs::File {
    tempfile::tempfile().expect("a temporary file")
}

/// Encodes `blob` for `n` shards in steps of about `budget` bytes and compares everything with
/// [`encode`].
fn assert_same_as_encode(n: u16, blob: &[u8], budget: usize) {
    let config = EncodingConfig::new(n).unwrap();
    let spilled = encode_to_file_with_budget(&config, blob.len() as u64, blob, spill_file(), budget).unwrap();
    let encoded = encode(&config, blob).unwrap();
    assert_eq!(spilled.metadata(), &encoded.metadata, "n={n} len={}", blob.len());
    assert_eq!(spilled.metadata().blob_id(), encoded.metadata.blob_id());
    assert_eq!(spilled.sliver_len(SliverType::Primary), encoded.pairs[0].primary.data().len());
    assert_eq!(spilled.sliver_len(SliverType::Secondary), encoded.pairs[0].secondary.data().len());
    for (p, pair) in encoded.pairs.iter().enumerate() {
        let index = SliverPairIndex(p as u16);
        assert_eq!(spilled.sliver(index, SliverType::Primary).unwrap(), pair.primary, "n={n} pair {p}");
        assert_eq!(spilled.sliver(index, SliverType::Secondary).unwrap(), pair.secondary, "n={n} pair {p}");
    }
    let metadata = u64::from(n) * config.metadata_len_per_shard();
    assert_eq!(spilled.spilled_bytes(), config.encoded_blob_length(blob.len() as u64).unwrap() - metadata);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn spilled_encoding_equals_encode(n in 4u16..40, len in 0usize..30_000, seed: u8, budget in 0usize..100_000) {
        let blob: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
        assert_same_as_encode(n, &blob, budget);
    }
}

#[test]
fn spilled_encoding_equals_encode_at_100_and_1000_shards() {
    // 300-byte symbols at n = 100: steps of 7 rows or columns (34 rows, 100 columns: the last
    // step of each is short), and the default budget (one step of each)...
    let blob: Vec<u8> = (0..100 * 67 * 34 * 3 + 11).map(|i| (i * 7 + i / 256) as u8).collect();
    assert_same_as_encode(100, &blob, 7 * 100 * 300);
    assert_same_as_encode(100, &blob, WORKING_BUDGET);
    // ...and n = 1000 with the default budget.
    let blob: Vec<u8> = (0..334 * 667 * 2 - 5).map(|i| (i % 253) as u8).collect();
    assert_same_as_encode(1000, &blob, WORKING_BUDGET);
}

#[test]
fn a_reader_shorter_than_announced_is_refused_with_both_lengths() {
    let config = EncodingConfig::new(10).unwrap();
    let error = encode_to_file(&config, 1000, &[1u8; 600][..], spill_file()).unwrap_err();
    assert!(matches!(error, EncodeFileError::ShortInput { read: 600, expected: 1000 }), "{error}");
}

#[test]
fn an_oversized_blob_is_refused_before_reading() {
    let config = EncodingConfig::new(4).unwrap();
    let error = encode_to_file(&config, 6 * 65_534 + 1, io::empty(), spill_file()).unwrap_err();
    assert!(matches!(error, EncodeFileError::Encode(EncodeError::BlobTooLarge { .. })), "{error}");
}
