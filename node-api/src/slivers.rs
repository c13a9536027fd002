//! Several slivers of one blob in one request: `PUT /v1/blobs/{blob_id}/slivers`, floe's own
//! route beside Walrus's one-sliver `PUT .../slivers/{pair}/{type}` (which stays, for clients
//! that speak only Walrus's API). An upload sends each node its slivers in batches of up to
//! [`MAX_SLIVER_BATCH_BYTES`], so a small blob costs one request per node instead of two per
//! shard: at 1000 shards that is 100 requests instead of 2000 for a 100-node committee, each
//! with its TLS record, routing, registration check, blocking-pool hop and database commit.

use floe_encoder::{Sliver, SliverPairIndex, SliverType, WireSliver, error::SliverError};
use serde::{Deserialize, Serialize};

/// Sliver bytes a client packs into one batch before it starts another (a batch always holds at
/// least one sliver, however large). Small enough that a large blob's upload holds no more bytes
/// in flight than one sliver per request did (its slivers are hundreds of KiB: batching gains
/// nothing there), large enough that a node's share of a blob of a few MiB goes in one request.
/// With 4 MiB, a 16 MiB store's client peaked 15% higher (`store_phases`, 10 x 100).
pub const MAX_SLIVER_BATCH_BYTES: usize = 512 * 1024;

/// Slivers one batch may hold.
pub const MAX_SLIVER_BATCH_COUNT: usize = 1024;

/// The body of `PUT /v1/blobs/{blob_id}/slivers` (BCS): the slivers, each of a pair the node's
/// shards hold. Each sliver is laid out as the one-sliver route's body ([`WireSliver`], the
/// encoder's one definition of it), after its pair and axis, so the body is written from borrowed slivers in one copy
/// ([`SliverBatch::encode`]) and read back in one ([`SliverBatch::from_bcs`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SliverBatch {
    /// The slivers.
    pub slivers: Vec<BatchedSliver>,
}

/// One sliver of a batch, as it travels: its pair and axis, then the sliver in the one-sliver
/// route's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchedSliver {
    /// The sliver pair.
    pub pair: SliverPairIndex,
    /// The sliver's axis.
    pub axis: SliverType,
    /// The sliver, without its axis.
    pub sliver: WireSliver,
}

#[derive(Serialize)]
struct BatchRef<'a> {
    slivers: Vec<BatchedSliverRef<'a>>,
}

#[derive(Serialize)]
struct BatchedSliverRef<'a> {
    pair: SliverPairIndex,
    axis: SliverType,
    sliver: &'a Sliver,
}

impl SliverBatch {
    /// The BCS body of a batch of `slivers`, each with its pair: each sliver's bytes copied once
    /// (and not again by a retry: the body is cheap to clone).
    pub fn encode<'a>(slivers: impl IntoIterator<Item = (SliverPairIndex, &'a Sliver)>) -> bytes::Bytes {
        let slivers =
            slivers.into_iter().map(|(pair, sliver)| BatchedSliverRef { pair, axis: sliver.axis(), sliver }).collect();
        floe_encoder::wire::to_bcs(&BatchRef { slivers }).expect("BCS of plain data cannot fail").into()
    }

    /// Decodes a body.
    pub fn from_bcs(bytes: &[u8]) -> Result<Self, bcs::Error> {
        bcs::from_bytes(bytes)
    }
}

impl BatchedSliver {
    /// The sliver, if its symbols are well formed.
    pub fn into_sliver(self) -> Result<Sliver, SliverError> {
        self.sliver.into_sliver(self.axis)
    }
}

/// Splits `slivers` (each with its encoded length) into batches: consecutive runs of at most
/// [`MAX_SLIVER_BATCH_COUNT`] slivers and, unless a single sliver is larger,
/// [`MAX_SLIVER_BATCH_BYTES`] bytes. Returns the index ranges.
pub fn batch_ranges(lengths: impl IntoIterator<Item = usize>) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut bytes, mut end) = (0, 0usize, 0);
    for len in lengths {
        if end > start && (bytes + len > MAX_SLIVER_BATCH_BYTES || end - start == MAX_SLIVER_BATCH_COUNT) {
            ranges.push(start..end);
            (start, bytes) = (end, 0);
        }
        bytes += len;
        end += 1;
    }
    if end > start {
        ranges.push(start..end);
    }
    ranges
}

#[cfg(test)]
mod tests {
    use floe_encoder::{EncodingConfig, encode};

    use super::*;

    #[test]
    fn a_batch_round_trips_through_bcs_with_each_slivers_pair_and_axis() {
        let encoded = encode(&EncodingConfig::new(10).unwrap(), b"batched slivers").unwrap();
        let pairs = &encoded.pairs[2..5];
        let body = SliverBatch::encode(pairs.iter().flat_map(|pair| {
            [(pair.index(), pair.sliver(SliverType::Primary)), (pair.index(), pair.sliver(SliverType::Secondary))]
        }));
        let decoded = SliverBatch::from_bcs(&body).unwrap();
        assert_eq!(decoded.slivers.len(), 6);
        for (i, batched) in decoded.slivers.into_iter().enumerate() {
            let pair = &encoded.pairs[2 + i / 2];
            let axis = if i % 2 == 0 { SliverType::Primary } else { SliverType::Secondary };
            assert_eq!((batched.pair, batched.axis), (pair.index(), axis));
            assert_eq!(&batched.into_sliver().unwrap(), pair.sliver(axis));
        }
    }

    #[test]
    fn each_sliver_of_a_batch_is_laid_out_as_the_one_sliver_body_after_its_pair_and_axis() {
        let encoded = encode(&EncodingConfig::new(10).unwrap(), b"the same bytes").unwrap();
        let sliver = &encoded.pairs[3].primary;
        let body = SliverBatch::encode([(SliverPairIndex(3), sliver)]);
        // One sliver (ULEB128 count 1), pair 3 (u16 LE), axis Primary (variant 0), then the
        // sliver's own BCS.
        let mut expected = vec![1, 3, 0, 0];
        expected.extend(sliver.to_bcs());
        assert_eq!(body, expected);
    }

    #[test]
    fn batches_stop_at_the_byte_and_count_bounds_and_hold_at_least_one_sliver() {
        let quarter = MAX_SLIVER_BATCH_BYTES / 4;
        assert_eq!(batch_ranges([]), Vec::<std::ops::Range<usize>>::new());
        assert_eq!(batch_ranges([10; 5]), vec![0..5]);
        assert_eq!(batch_ranges([quarter; 5]), vec![0..4, 4..5]);
        assert_eq!(batch_ranges([9 * quarter, 1, 9 * quarter]), vec![0..1, 1..2, 2..3]);
        let ranges = batch_ranges(std::iter::repeat_n(1, 2 * MAX_SLIVER_BATCH_COUNT + 1));
        assert_eq!(ranges, vec![0..1024, 1024..2048, 2048..2049]);
    }
}
