//! Which shard stores which sliver pair of a blob.
//!
//! Pair `p` of a blob is stored on shard `(p + offset) mod n`, where `offset` is the blob id read
//! as a big-endian integer modulo `n`. The rotation spreads the systematic slivers (the ones that
//! hold the raw data) of different blobs over different shards.
//!
//! ```
//! use floe_encoder::{BlobId, ShardIndex, SliverPairIndex, mapping};
//!
//! let blob_id = BlobId([7; 32]);
//! let shard = mapping::shard_for_pair(SliverPairIndex(0), &blob_id, 10);
//! assert_eq!(mapping::pair_for_shard(shard, &blob_id, 10), SliverPairIndex(0));
//! ```

use crate::{BlobId, ShardIndex, SliverPairIndex};

/// The rotation of a blob's pairs over the shards: the blob id as a big-endian integer mod `n`.
pub fn rotation_offset(blob_id: &BlobId, n_shards: u16) -> u16 {
    let n = u32::from(n_shards);
    let offset = blob_id.0.iter().fold(0u32, |acc, byte| (acc * 256 + u32::from(*byte)) % n);
    u16::try_from(offset).expect("a value mod a u16 fits in a u16")
}

/// The shard that stores sliver pair `pair` of `blob_id`.
pub fn shard_for_pair(pair: SliverPairIndex, blob_id: &BlobId, n_shards: u16) -> ShardIndex {
    let offset = u32::from(rotation_offset(blob_id, n_shards));
    let shard = (u32::from(pair.0) + offset) % u32::from(n_shards);
    ShardIndex(u16::try_from(shard).expect("a value mod a u16 fits in a u16"))
}

/// The sliver pair of `blob_id` that shard `shard` stores.
pub fn pair_for_shard(shard: ShardIndex, blob_id: &BlobId, n_shards: u16) -> SliverPairIndex {
    let n = u32::from(n_shards);
    let offset = u32::from(rotation_offset(blob_id, n_shards));
    let pair = (u32::from(shard.0) + n - offset) % n;
    SliverPairIndex(u16::try_from(pair).expect("a value mod a u16 fits in a u16"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_is_the_big_endian_blob_id_modulo_n() {
        let mut id = [0u8; 32];
        id[31] = 13; // the least significant byte in big-endian order
        assert_eq!(rotation_offset(&BlobId(id), 10), 3);
        id[30] = 1; // 256 + 13 = 269
        assert_eq!(rotation_offset(&BlobId(id), 10), 9);
        // 2^256 - 1 = ...039457584007913129639935 in decimal.
        assert_eq!(rotation_offset(&BlobId([0xff; 32]), 1000), 935);
    }

    #[test]
    fn shards_and_pairs_are_a_bijection() {
        let blob_id = BlobId([0xa5; 32]);
        for n in [4u16, 10, 1000] {
            let mut seen = vec![false; usize::from(n)];
            for p in 0..n {
                let shard = shard_for_pair(SliverPairIndex(p), &blob_id, n);
                assert!(!seen[shard.as_usize()]);
                seen[shard.as_usize()] = true;
                assert_eq!(pair_for_shard(shard, &blob_id, n), SliverPairIndex(p));
            }
        }
    }
}
