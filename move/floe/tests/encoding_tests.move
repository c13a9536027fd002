#[test_only]
module floe::encoding_tests;

use floe::encoding;

#[test]
fun fault_tolerance_follows_n_minus_one_over_three() {
    assert!(encoding::max_faulty(1) == 0);
    assert!(encoding::max_faulty(4) == 1);
    assert!(encoding::max_faulty(10) == 3);
    assert!(encoding::max_faulty(1000) == 333);
    assert!(encoding::primary_source_symbols(10) == 4);
    assert!(encoding::secondary_source_symbols(10) == 7);
    assert!(encoding::primary_source_symbols(1000) == 334);
    assert!(encoding::secondary_source_symbols(1000) == 667);
}

#[test]
fun symbol_size_spreads_the_blob_and_rounds_up_to_even() {
    // n = 10: 4 x 7 = 28 source symbols.
    assert!(encoding::symbol_size(0, 10) == 2);
    assert!(encoding::symbol_size(1, 10) == 2);
    assert!(encoding::symbol_size(28 * 2, 10) == 2);
    assert!(encoding::symbol_size(28 * 2 + 1, 10) == 4);
    assert!(encoding::symbol_size(1000, 10) == 36);
    assert!(encoding::symbol_size(1001, 10) == 36);
    assert!(encoding::symbol_size(28 * 37, 10) == 38);
}

#[test]
fun encoded_length_counts_metadata_and_both_sliver_kinds() {
    // n = 10, 1000 bytes: metadata 10 * (10 * 64 + 32) = 6720; slivers 10 * (4 + 7) * 36 = 3960.
    assert!(encoding::encoded_blob_length(1000, 1, 10) == 10_680);
    assert!(encoding::encoded_blob_length(0, 1, 10) == 6_720 + 10 * 11 * 2);
    // n = 1000, 1 MiB: symbol size ceil(1048576 / (334 * 667)) = 5 -> 6.
    // The minimum storage at n = 1000, the same figure the Rust encoder's tests pin.
    assert!(encoding::encoded_blob_length(0, 1, 1000) == 66_034_000);
    let metadata = 1000 * (1000 * 64 + 32);
    assert!(encoding::encoded_blob_length(1_048_576, 1, 1000) == metadata + 1000 * 1001 * 6);
}

#[test]
fun the_largest_blob_has_symbol_size_65534() {
    let largest = 65_534 * 28;
    assert!(encoding::symbol_size(largest, 10) == 65_534);
}

#[test, expected_failure(abort_code = encoding::EBlobTooLarge)]
fun a_blob_past_the_largest_symbol_size_is_rejected() {
    encoding::symbol_size(65_534 * 28 + 1, 10);
}

#[test, expected_failure(abort_code = encoding::EInvalidEncodingType)]
fun only_rs2_is_accepted() {
    encoding::encoded_blob_length(1000, 0, 10);
}

#[test, expected_failure(abort_code = encoding::EInvalidShardCount)]
fun zero_shards_are_rejected() {
    encoding::max_faulty(0);
}
