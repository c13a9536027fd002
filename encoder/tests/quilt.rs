//! Quilts round-trip: any files (empty ones included) with any tags come back from the quilt
//! blob, and each patch from its own secondary slivers alone; malformed quilts and unknown
//! identifiers are refused with errors naming what was wrong.

use std::collections::BTreeMap;

use floe_encoder::{
    EncodingConfig, SliverType, encode,
    quilt::{
        ColumnSource, Quilt, QuiltError, QuiltFile, QuiltPatchId, SliverColumns, index_columns, max_patches,
        read_index, read_patch, read_patch_at,
    },
};
use proptest::prelude::*;

fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn make_files(sizes: &[usize], seed: u64) -> Vec<QuiltFile> {
    sizes
        .iter()
        .enumerate()
        .map(|(i, len)| {
            let mut tags = BTreeMap::new();
            if i % 3 == 0 {
                tags.insert("group".to_owned(), (i % 4).to_string());
            }
            if i % 5 == 0 {
                tags.insert("a-longer-key".to_owned(), "x".repeat(i % 40));
            }
            // Identifiers deliberately not in sorted order.
            QuiltFile::new(format!("file-{:04}", (i * 7919) % 10_000), bytes(*len, seed + i as u64))
                .unwrap()
                .with_tags(tags)
        })
        .collect()
}

fn sorted(mut files: Vec<QuiltFile>) -> Vec<QuiltFile> {
    files.sort_by(|a, b| a.identifier().cmp(b.identifier()));
    files
}

/// Every patch of `quilt` read back from only its own secondary slivers of the real encoding.
fn check_patches_from_their_slivers(config: &EncodingConfig, quilt: &Quilt, files: &[QuiltFile]) {
    let encoded = encode(config, quilt.bytes()).unwrap();
    let n = config.n_shards();
    let secondary = |index: floe_encoder::SliverIndex| {
        encoded.pairs[index.pair_index(SliverType::Secondary, n).as_usize()].secondary.clone()
    };
    // The index from its own columns: column 0 says how many.
    let mut columns = SliverColumns::new(config);
    columns.add([secondary(floe_encoder::SliverIndex(0))]).unwrap();
    let index_span = index_columns(&columns.column(0).unwrap()).unwrap();
    columns.add((1..index_span).map(|c| secondary(floe_encoder::SliverIndex(c)))).unwrap();
    let index = read_index(&columns).unwrap();
    assert_eq!(&index, quilt.index());

    for (patch, file) in index.patches().iter().zip(files) {
        let mut only = SliverColumns::new(config);
        only.add(patch.secondary_slivers().map(secondary)).unwrap();
        assert_eq!(&read_patch(&only, patch).unwrap(), file);
        assert_eq!(&read_patch_at(&only, patch.start(), patch.end()).unwrap(), file);
    }
}

fn sizes() -> impl Strategy<Value = usize> {
    prop_oneof![Just(0usize), 1usize..64, 64usize..4096, 4096usize..40_000]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn any_files_round_trip_through_the_quilt_blob_and_their_slivers(
        (n, sizes) in prop::sample::select(vec![7u16, 10, 31, 100])
            .prop_flat_map(|n| {
                let max = max_patches(&EncodingConfig::new(n).unwrap());
                (Just(n), prop::collection::vec(sizes(), 1..=max))
            }),
        seed: u64,
    ) {
        let config = EncodingConfig::new(n).unwrap();
        let files = make_files(&sizes, seed);
        let quilt = Quilt::encode(&config, &files).unwrap();
        let expected = sorted(files);
        let read = Quilt::from_bytes(&config, quilt.bytes().to_vec()).unwrap();
        prop_assert_eq!(read.files().unwrap(), expected.clone());
        prop_assert_eq!(read.index(), quilt.index());
        check_patches_from_their_slivers(&config, &quilt, &expected);
    }
}

#[test]
fn six_hundred_files_at_1000_shards_round_trip_and_read_patch_by_patch() {
    let config = EncodingConfig::new(1000).unwrap();
    let sizes: Vec<usize> = (0..600).map(|i| [0, 1, 1024, 3000, 77][i % 5]).collect();
    let files = make_files(&sizes, 42);
    let quilt = Quilt::encode(&config, &files).unwrap();
    let expected = sorted(files);
    let read = Quilt::from_bytes(&config, quilt.bytes().to_vec()).unwrap();
    assert_eq!(read.files().unwrap(), expected);
    assert_eq!(read.index().patches_with_tag("group", "1").count(), 50);
    check_patches_from_their_slivers(&config, &quilt, &expected);
}

#[test]
fn the_most_files_fit_and_one_more_is_refused() {
    let config = EncodingConfig::new(10).unwrap();
    assert_eq!(max_patches(&config), 6);
    let files = make_files(&[5; 6], 1);
    Quilt::encode(&config, &files).unwrap();
    let files = make_files(&[5; 7], 1);
    assert_eq!(Quilt::encode(&config, &files), Err(QuiltError::TooManyFiles { files: 7, max: 6 }));
    assert_eq!(Quilt::encode(&config, &[]), Err(QuiltError::NoFiles));
}

#[test]
fn duplicate_identifiers_are_refused() {
    let config = EncodingConfig::new(10).unwrap();
    let files = vec![QuiltFile::new("same", vec![1]).unwrap(), QuiltFile::new("same", vec![2]).unwrap()];
    assert_eq!(Quilt::encode(&config, &files), Err(QuiltError::DuplicateIdentifier("same".into())));
}

#[test]
fn unknown_identifiers_and_patch_ids_are_named() {
    let config = EncodingConfig::new(10).unwrap();
    let quilt = Quilt::encode(&config, &make_files(&[10, 20], 3)).unwrap();
    assert_eq!(quilt.file("nope"), Err(QuiltError::UnknownIdentifier("nope".into())));
    let id = QuiltPatchId { quilt_id: floe_encoder::BlobId([0; 32]), patch: quilt.index().patches()[0].internal_id() };
    let mut wrong = id.patch;
    wrong.end += 1;
    assert_eq!(
        quilt.index().patch_by_internal_id(wrong),
        Err(QuiltError::UnknownPatch { start: wrong.start, end: wrong.end })
    );
    assert_eq!(quilt.index().patch_by_internal_id(id.patch).unwrap(), &quilt.index().patches()[0]);
}

/// A quilt of two files at n = 10 whose bytes a test then damages.
fn small_quilt() -> (EncodingConfig, Quilt) {
    let config = EncodingConfig::new(10).unwrap();
    let files =
        vec![QuiltFile::new("a", vec![1; 30]).unwrap().with_tag("k", "v"), QuiltFile::new("b", vec![2; 40]).unwrap()];
    (config, Quilt::encode(&config, &files).unwrap())
}

/// Writes `value` at `offset` bytes down column `column` (bytes run down the rows).
fn poke(quilt: &Quilt, column: u16, offset: usize, value: &[u8]) -> Vec<u8> {
    let symbol = usize::from(quilt.symbol_size());
    let row_len = symbol * 7; // n = 10: 7 columns, 4 rows
    let mut bytes = quilt.bytes().to_vec();
    for (i, byte) in value.iter().enumerate() {
        let at = offset + i;
        let (row, within) = (at / symbol, at % symbol);
        bytes[row * row_len + usize::from(column) * symbol + within] = *byte;
    }
    bytes
}

#[test]
fn malformed_quilts_get_errors_naming_the_fault() {
    let (config, quilt) = small_quilt();
    let reparse = |bytes: Vec<u8>| Quilt::from_bytes(&config, bytes).unwrap_err();

    assert!(matches!(reparse(vec![]), QuiltError::NotAligned { len: 0, .. }));
    assert!(matches!(reparse(vec![1; 29]), QuiltError::NotAligned { len: 29, source_symbols: 28 }));
    // 28 bytes: 1-byte symbols, which RS2 cannot have.
    assert!(matches!(reparse(vec![1; 28]), QuiltError::NotAligned { .. }));

    match reparse(poke(&quilt, 0, 0, &[7])) {
        QuiltError::UnsupportedVersion { found: 7, place } => assert_eq!(place, "the quilt index"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(reparse(poke(&quilt, 0, 1, &u32::MAX.to_le_bytes())), QuiltError::IndexTooLarge { .. }));
    // An index of 3 bytes that are not a vector of patches.
    assert!(matches!(reparse(poke(&quilt, 0, 1, &[3, 0, 0, 0, 9, 9, 9])), QuiltError::MalformedIndex(_)));
    // The index's first end column (u16 right after the vector length) set past the matrix.
    let text = reparse(poke(&quilt, 0, 6, &[200, 0])).to_string();
    assert!(text.contains("patch 0") && text.contains("\"a\""), "{text}");

    let (first, second) = (&quilt.index().patches()[0], &quilt.index().patches()[1]);
    let damaged = Quilt::from_bytes(&config, poke(&quilt, first.start(), 0, &[9])).unwrap();
    assert!(matches!(damaged.file("a"), Err(QuiltError::UnsupportedVersion { found: 9, .. })));
    let damaged = Quilt::from_bytes(&config, poke(&quilt, first.start(), 1, &u32::MAX.to_le_bytes())).unwrap();
    match damaged.file("a") {
        Err(QuiltError::MalformedPatch { column, reason }) => {
            assert_eq!(column, first.start());
            assert!(reason.contains("claims 4294967295 bytes"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Identifier length field pointing past the patch's length.
    let damaged = Quilt::from_bytes(&config, poke(&quilt, second.start(), 6, &[0xff, 0x00])).unwrap();
    assert!(matches!(damaged.file("b"), Err(QuiltError::MalformedPatch { .. })));
    // A patch whose bytes hold another identifier than the index says.
    let damaged = Quilt::from_bytes(&config, poke(&quilt, second.start(), 9, b"c")).unwrap();
    let err = damaged.file("b").unwrap_err().to_string();
    assert!(err.contains("holds \"c\" but the index says \"b\""), "{err}");
}

#[test]
fn sliver_columns_refuse_primary_parity_and_ragged_slivers_and_name_missing_ones() {
    let (config, quilt) = small_quilt();
    let encoded = encode(&config, quilt.bytes()).unwrap();
    let mut columns = SliverColumns::new(&config);
    let err = columns.add([encoded.pairs[0].primary.clone()]).unwrap_err();
    assert!(matches!(err, QuiltError::InconsistentColumns(ref m) if m.contains("primary")), "{err}");
    // Pair 0's secondary sliver is sliver 9: parity at n = 10 (7 columns).
    let err = columns.add([encoded.pairs[0].secondary.clone()]).unwrap_err();
    assert!(matches!(err, QuiltError::InconsistentColumns(ref m) if m.contains("parity")), "{err}");

    let patch = quilt.index().patches()[1].clone();
    columns.add([encoded.pairs[9].secondary.clone()]).unwrap(); // sliver 0: the index
    assert_eq!(read_patch(&columns, &patch), Err(QuiltError::MissingColumns(patch.columns().collect())));
}
