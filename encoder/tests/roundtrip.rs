//! Encode/decode round trips: any `n - 2f` primary or `n - f` secondary slivers give the blob back.

use floe_encoder::{
    EncodingConfig, Sliver, SliverType,
    decode::{BlobDecoder, ConsistencyCheck},
    encode,
    error::DecodeError,
};
use proptest::prelude::*;
use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};

fn blob(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// `k` distinct random indices below `n`.
fn random_subset(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..n).collect();
    indices.shuffle(&mut StdRng::seed_from_u64(seed));
    indices.truncate(k);
    indices
}

fn slivers(encoded: &floe_encoder::EncodedBlob, axis: SliverType, picks: &[usize], n: u16) -> Vec<Sliver> {
    picks
        .iter()
        .map(|i| {
            let sliver_index = floe_encoder::SliverIndex(*i as u16);
            encoded.pairs[sliver_index.pair_index(axis, n).as_usize()].sliver(axis).clone()
        })
        .collect()
}

fn round_trip(n: u16, len: usize, seed: u64, axis: SliverType) {
    let config = EncodingConfig::new(n).unwrap();
    // Small committees cannot hold multi-MiB blobs; stay within this one's maximum.
    let len = len.min(config.max_blob_size() as usize);
    let data = blob(len, seed);
    let encoded = encode(&config, &data).unwrap();
    let k = usize::from(config.n_source_symbols(axis));
    let picks = random_subset(usize::from(n), k, seed);
    let decoder = BlobDecoder::new(&config, &encoded.metadata);
    let decoded = decoder.decode(slivers(&encoded, axis, &picks, n)).unwrap();
    assert_eq!(decoded.len(), data.len());
    assert!(decoded == data, "n={n} len={len} axis={axis} picks={picks:?}");
}

fn sizes() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 0usize..2_000, 3 => 0usize..300_000, 1 => 0usize..4_000_000]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn decodes_from_any_n_minus_2f_primary_slivers(n in prop::sample::select(vec![4u16, 7, 10, 31, 100]), len in sizes(), seed: u64) {
        round_trip(n, len, seed, SliverType::Primary);
    }

    #[test]
    fn decodes_from_any_n_minus_f_secondary_slivers(n in prop::sample::select(vec![4u16, 7, 10, 31, 100]), len in sizes(), seed: u64) {
        round_trip(n, len, seed, SliverType::Secondary);
    }
}

#[test]
fn blobs_at_1000_shards_decode_from_random_slivers_of_both_axes() {
    for (len, seed) in [(0usize, 1u64), (1, 2), (1 << 20, 3), ((3 << 20) + 7, 4)] {
        round_trip(1000, len, seed, SliverType::Primary);
        round_trip(1000, len, seed + 100, SliverType::Secondary);
    }
}

#[test]
fn one_sliver_short_of_the_threshold_is_refused_with_the_counts() {
    let config = EncodingConfig::new(10).unwrap();
    let encoded = encode(&config, &blob(5000, 9)).unwrap();
    let decoder = BlobDecoder::new(&config, &encoded.metadata);
    let three = slivers(&encoded, SliverType::Primary, &[1, 5, 8], 10);
    assert_eq!(
        decoder.decode(three),
        Err(DecodeError::NotEnoughSlivers { axis: SliverType::Primary, got: 3, needed: 4 })
    );
    // Duplicates do not count twice.
    let duplicated = slivers(&encoded, SliverType::Primary, &[1, 5, 8, 8, 5], 10);
    assert!(matches!(decoder.decode(duplicated), Err(DecodeError::NotEnoughSlivers { got: 3, .. })));
}

#[test]
fn a_corrupted_sliver_is_named_and_refused() {
    let config = EncodingConfig::new(7).unwrap();
    let encoded = encode(&config, &blob(2000, 5)).unwrap();
    let decoder = BlobDecoder::new(&config, &encoded.metadata);
    let mut chosen = slivers(&encoded, SliverType::Primary, &[0, 3, 6], 7);
    let mut data = chosen[1].data().to_vec();
    data[5] ^= 1;
    chosen[1] = Sliver::new(SliverType::Primary, chosen[1].index(), chosen[1].symbol_size(), data).unwrap();
    assert!(matches!(
        decoder.decode(chosen),
        Err(DecodeError::Sliver(floe_encoder::error::SliverError::HashMismatch {
            index: floe_encoder::SliverIndex(3),
            ..
        }))
    ));
}

#[test]
fn slivers_of_mixed_axes_or_wrong_symbol_size_are_refused() {
    let config = EncodingConfig::new(7).unwrap();
    let encoded = encode(&config, &blob(2000, 6)).unwrap();
    let decoder = BlobDecoder::new(&config, &encoded.metadata);
    let mixed = vec![encoded.pairs[0].primary.clone(), encoded.pairs[1].secondary.clone()];
    assert!(matches!(
        decoder.decode(mixed),
        Err(DecodeError::Sliver(floe_encoder::error::SliverError::WrongAxis { .. }))
    ));
    let other = encode(&config, &blob(100, 6)).unwrap();
    let foreign = vec![other.pairs[0].primary.clone()];
    assert!(matches!(
        decoder.decode(foreign),
        Err(DecodeError::Sliver(floe_encoder::error::SliverError::WrongSymbolSize { .. }))
    ));
}

#[test]
fn strict_check_accepts_honest_blobs() {
    let config = EncodingConfig::new(10).unwrap();
    let data = blob(12_345, 8);
    let encoded = encode(&config, &data).unwrap();
    let decoder = BlobDecoder::new(&config, &encoded.metadata).with_check(ConsistencyCheck::Strict);
    assert_eq!(decoder.decode(slivers(&encoded, SliverType::Primary, &[9, 2, 4, 7], 10)).unwrap(), data);
}
