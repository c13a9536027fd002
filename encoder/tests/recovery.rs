//! Sliver recovery and inconsistency proofs.

use floe_encoder::{
    EncodedBlob, EncodingConfig, EncodingType, Sliver, SliverIndex, SliverType,
    decode::BlobDecoder,
    encode,
    error::{DecodeError, RecoveryError},
    inconsistency::InconsistencyProof,
    merkle::MerkleProofError,
    metadata::{BlobMetadata, VerifiedBlobMetadata},
    recovery::{RecoverySymbol, recover_sliver, recovery_symbols},
};
use proptest::prelude::*;
use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 + 7) as u8).collect()
}

/// Symbols for `target` from the orthogonal slivers at `sources`.
fn symbols_for(
    config: &EncodingConfig,
    encoded: &EncodedBlob,
    target_axis: SliverType,
    target: SliverIndex,
    sources: &[usize],
) -> Vec<RecoverySymbol> {
    let n = config.n_shards();
    let source_axis = target_axis.orthogonal();
    sources
        .iter()
        .map(|s| {
            let pair = SliverIndex(*s as u16).pair_index(source_axis, n);
            recovery_symbols(config, encoded.pairs[pair.as_usize()].sliver(source_axis), &[target]).unwrap().remove(0)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn a_lost_sliver_is_rebuilt_from_any_sufficient_set_of_symbols(
        n in prop::sample::select(vec![4u16, 7, 10, 31, 100]),
        len in 0usize..100_000,
        axis in prop::sample::select(vec![SliverType::Primary, SliverType::Secondary]),
        seed: u64,
    ) {
        let config = EncodingConfig::new(n).unwrap();
        let encoded = encode(&config, &data(len)).unwrap();
        let mut rng = StdRng::seed_from_u64(seed);
        let target = SliverIndex((seed % u64::from(n)) as u16);
        let needed = usize::from(config.sliver_symbols(axis));
        let mut sources: Vec<usize> = (0..usize::from(n)).collect();
        sources.shuffle(&mut rng);
        sources.truncate(needed);
        let symbols = symbols_for(&config, &encoded, axis, target, &sources);
        let rebuilt = recover_sliver(&config, &encoded.metadata, axis, target, symbols).unwrap();
        let pair = target.pair_index(axis, n);
        prop_assert_eq!(&rebuilt, encoded.pairs[pair.as_usize()].sliver(axis));
    }
}

#[test]
fn recovery_at_1000_shards_uses_n_minus_f_and_n_minus_2f_symbols() {
    let config = EncodingConfig::new(1000).unwrap();
    let encoded = encode(&config, &data(1 << 20)).unwrap();
    let all: Vec<usize> = (0..1000).rev().collect();
    let primary = symbols_for(&config, &encoded, SliverType::Primary, SliverIndex(17), &all[..667]);
    let rebuilt =
        recover_sliver(&config, &encoded.metadata, SliverType::Primary, SliverIndex(17), primary.clone()).unwrap();
    assert_eq!(&rebuilt, &encoded.pairs[17].primary);
    assert_eq!(
        recover_sliver(&config, &encoded.metadata, SliverType::Primary, SliverIndex(17), primary[..666].to_vec()),
        Err(RecoveryError::NotEnoughSymbols { axis: SliverType::Primary, got: 666, needed: 667 })
    );
    let secondary = symbols_for(&config, &encoded, SliverType::Secondary, SliverIndex(900), &all[..334]);
    let rebuilt =
        recover_sliver(&config, &encoded.metadata, SliverType::Secondary, SliverIndex(900), secondary).unwrap();
    assert_eq!(&rebuilt, &encoded.pairs[99].secondary);
}

#[test]
fn a_tampered_symbol_is_refused_naming_its_source() {
    let config = EncodingConfig::new(7).unwrap();
    // 300 bytes over 15 source symbols: 20-byte symbols, so the length prefix is one byte.
    let encoded = encode(&config, &data(300)).unwrap();
    let mut symbols = symbols_for(&config, &encoded, SliverType::Primary, SliverIndex(2), &[0, 1, 2, 3, 4]);
    let mut bytes = bcs::to_bytes(&symbols[3]).unwrap();
    // The symbol data sits after axis (1), source (2), target (2) and the length byte.
    bytes[6] ^= 0xff;
    symbols[3] = bcs::from_bytes(&bytes).unwrap();
    assert_eq!(
        recover_sliver(&config, &encoded.metadata, SliverType::Primary, SliverIndex(2), symbols.clone()),
        Err(RecoveryError::BadProof {
            source_axis: SliverType::Secondary,
            source_index: SliverIndex(3),
            error: MerkleProofError::RootMismatch
        })
    );
    // A symbol meant for another target is refused before its proof is even looked at.
    let other = symbols_for(&config, &encoded, SliverType::Primary, SliverIndex(5), &[0]);
    assert!(matches!(
        recover_sliver(&config, &encoded.metadata, SliverType::Primary, SliverIndex(2), other),
        Err(RecoveryError::WrongTarget { .. })
    ));
}

/// A writer that lies: primary sliver `row` is replaced and the metadata recomputed to match it,
/// so the metadata is self-consistent but the other slivers encode different data.
fn inconsistent_blob(config: &EncodingConfig, row: usize) -> (EncodedBlob, VerifiedBlobMetadata) {
    let encoded = encode(config, &data(4000)).unwrap();
    let honest = &encoded.pairs[row].primary;
    let mut bytes = honest.data().to_vec();
    bytes[0] ^= 0x55;
    let forged = Sliver::new(SliverType::Primary, honest.index(), honest.symbol_size(), bytes).unwrap();
    let mut hashes = encoded.metadata.metadata().hashes().to_vec();
    hashes[row].primary_hash = forged.hash(config);
    let metadata = BlobMetadata::new(EncodingType::RS2, 4000, hashes);
    let blob_id = metadata.compute_blob_id();
    let verified = metadata.verify(config, &blob_id).unwrap();
    let mut lying = encoded.clone();
    lying.pairs[row].primary = forged;
    (lying, verified)
}

#[test]
fn a_node_proves_an_inconsistent_encoding_and_anyone_can_check_it() {
    let config = EncodingConfig::new(10).unwrap();
    let (lying, metadata) = inconsistent_blob(&config, 1);
    let sources: Vec<usize> = (0..7).collect();
    let symbols = symbols_for(&config, &lying, SliverType::Primary, SliverIndex(1), &sources);
    let proof = match recover_sliver(&config, &metadata, SliverType::Primary, SliverIndex(1), symbols) {
        Err(RecoveryError::InconsistentEncoding(proof)) => *proof,
        other => panic!("expected an inconsistency proof, got {other:?}"),
    };
    proof.verify(&config, &metadata).unwrap();
    let bytes = bcs::to_bytes(&proof).unwrap();
    let received: InconsistencyProof = bcs::from_bytes(&bytes).unwrap();
    received.verify(&config, &metadata).unwrap();

    // Cut short by one symbol, or padded with a duplicate, it proves nothing.
    let mut short = proof.symbols().to_vec();
    short.pop();
    let short = InconsistencyProof::new(SliverType::Primary, SliverIndex(1), short);
    assert!(matches!(short.verify(&config, &metadata), Err(RecoveryError::WrongSymbolCount { got: 6, needed: 7, .. })));
    let mut duplicated = proof.symbols().to_vec();
    duplicated[6] = duplicated[0].clone();
    let duplicated = InconsistencyProof::new(SliverType::Primary, SliverIndex(1), duplicated);
    assert!(matches!(duplicated.verify(&config, &metadata), Err(RecoveryError::DuplicateSource { .. })));
}

#[test]
fn readers_detect_an_inconsistent_encoding_instead_of_returning_other_bytes() {
    let config = EncodingConfig::new(10).unwrap();
    let (lying, metadata) = inconsistent_blob(&config, 2);
    let decoder = BlobDecoder::new(&config, &metadata);
    // Every sliver given verifies against the lying metadata, yet the blob is refused.
    let slivers = [0usize, 1, 3, 9].iter().map(|i| lying.pairs[*i].primary.clone());
    assert_eq!(
        decoder.decode(slivers),
        Err(DecodeError::InconsistentEncoding { axis: SliverType::Primary, index: SliverIndex(2) })
    );
}

#[test]
fn honest_symbols_never_make_a_proof() {
    let config = EncodingConfig::new(7).unwrap();
    let encoded = encode(&config, &data(999)).unwrap();
    let symbols = symbols_for(&config, &encoded, SliverType::Secondary, SliverIndex(6), &[6, 5, 4]);
    let proof = InconsistencyProof::new(SliverType::Secondary, SliverIndex(6), symbols);
    assert_eq!(proof.verify(&config, &encoded.metadata), Err(RecoveryError::Consistent));
}
