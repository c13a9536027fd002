/// RS2 (RedStuff) size arithmetic, equal to floe's Rust encoder: how many bytes a blob occupies
/// once encoded for `n_shards` shards, which is what storage is reserved and paid for.
module floe::encoding;

/// The only accepted encoding type: RedStuff over Reed-Solomon (RS2).
const RS2: u8 = 1;
/// Largest symbol size the encoder produces (the largest even u16).
const MAX_SYMBOL_SIZE: u64 = 65_534;
/// Bytes of one sliver-pair hash entry in the metadata (primary + secondary hash).
const HASHES_PER_PAIR_BYTES: u64 = 64;
/// Fixed metadata bytes besides the hashes (blob id, length, encoding type).
const METADATA_FIXED_BYTES: u64 = 32;

/// The encoding type is not RS2.
const EInvalidEncodingType: u64 = 0;
/// The blob is too large: its symbol size would exceed 65,534 bytes.
const EBlobTooLarge: u64 = 1;
/// The shard count is zero.
const EInvalidShardCount: u64 = 2;

/// The RS2 encoding type (1).
public fun rs2(): u8 { RS2 }

/// The maximum number of faulty shards tolerated: f = (n - 1) / 3.
public fun max_faulty(n_shards: u16): u16 {
    assert!(n_shards > 0, EInvalidShardCount);
    (n_shards - 1) / 3
}

/// Source symbols of a primary sliver (rows of the matrix): n - 2f.
public fun primary_source_symbols(n_shards: u16): u16 {
    n_shards - 2 * max_faulty(n_shards)
}

/// Source symbols of a secondary sliver (columns of the matrix): n - f.
public fun secondary_source_symbols(n_shards: u16): u16 {
    n_shards - max_faulty(n_shards)
}

/// Symbol size in bytes for a blob of `unencoded_length` bytes: the length (at least 1) spread
/// over (n-2f)(n-f) source symbols, rounded up to an even number.
public fun symbol_size(unencoded_length: u64, n_shards: u16): u64 {
    let sources =
        (primary_source_symbols(n_shards) as u64) * (secondary_source_symbols(n_shards) as u64);
    let length = if (unencoded_length == 0) 1 else unencoded_length;
    let mut size = length.divide_and_round_up(sources);
    if (size % 2 == 1) size = size + 1;
    assert!(size <= MAX_SYMBOL_SIZE, EBlobTooLarge);
    size
}

/// Encoded length in bytes: n copies of the metadata (n hash pairs + fixed part) plus n sliver
/// pairs of (n-2f) + (n-f) symbols each.
public fun encoded_blob_length(unencoded_length: u64, encoding_type: u8, n_shards: u16): u64 {
    assert!(encoding_type == RS2, EInvalidEncodingType);
    let n = n_shards as u64;
    let metadata = n * (n * HASHES_PER_PAIR_BYTES + METADATA_FIXED_BYTES);
    let symbols_per_pair =
        (primary_source_symbols(n_shards) as u64) + (secondary_source_symbols(n_shards) as u64);
    metadata + n * symbols_per_pair * symbol_size(unencoded_length, n_shards)
}
