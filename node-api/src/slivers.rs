//! Several slivers of one blob in one request: `PUT /v1/blobs/{blob_id}/slivers`, floe's own
//! route beside Walrus's one-sliver `PUT .../slivers/{pair}/{type}` (which stays, for clients
//! that speak only Walrus's API). An upload sends each node its slivers in batches of up to
//! [`MAX_SLIVER_BATCH_BYTES`], so a small blob costs one request per node instead of two per
//! shard: at 1000 shards that is 100 requests instead of 2000 for a 100-node committee, each
//! with its TLS record, routing, registration check, blocking-pool hop and database commit.

use std::{
    collections::VecDeque,
    convert::Infallible,
    pin::Pin,
    task::{Context, Poll},
};

use bytes::Bytes;
use floe_encoder::{Sliver, SliverPairIndex, SliverType, WireSliver, WireSliverIn, error::SliverError, wire};
use http_body::{Frame, SizeHint};
use serde::{Deserialize, Serialize};

/// Sliver bytes a client packs into one batch before it starts another (a batch always holds at
/// least one sliver, however large). Small enough that a node holds little of an upload at once
/// (it reads, checks and holds a batch whole; a large blob's slivers are hundreds of KiB, so
/// batching gains nothing there), large enough that a node's share of a blob of a few MiB goes in
/// one request. (When request bodies were copies of the slivers, 4 MiB made a 16 MiB store's
/// client peak 15% higher, `store_phases`, 10 x 100; bodies now share the slivers' bytes.)
pub const MAX_SLIVER_BATCH_BYTES: usize = 512 * 1024;

/// Slivers one batch may hold.
pub const MAX_SLIVER_BATCH_COUNT: usize = 1024;

/// The body of `PUT /v1/blobs/{blob_id}/slivers` (BCS): the slivers, each of a pair the node's
/// shards hold. Each sliver is laid out as the one-sliver route's body ([`WireSliver`], the
/// encoder's one definition of it), after its pair and axis, so the body is sent made of the
/// slivers' own bytes ([`SliverBatch::encode`]) and read back as slices of it
/// ([`SliverBatch::from_body`]).
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

/// [`SliverBatch`] borrowed from its body, for [`SliverBatch::from_body`].
#[derive(Deserialize)]
struct SliverBatchIn<'a> {
    #[serde(borrow)]
    slivers: Vec<BatchedSliverIn<'a>>,
}

#[derive(Deserialize)]
struct BatchedSliverIn<'a> {
    pair: SliverPairIndex,
    axis: SliverType,
    #[serde(borrow)]
    sliver: WireSliverIn<'a>,
}

/// A batch's body ([`SliverBatch`]'s BCS) as the slivers' own shared symbols between the few
/// bytes of BCS around them: building it copies no symbols, and a retry clones reference counts.
/// An HTTP body of known length (sent with a `content-length`, one piece after another).
///
/// Before, the body was one buffer the slivers were copied into: at 100 nodes an upload kept
/// up to 64 such buffers of 512 KiB in flight beside the slivers themselves.
#[derive(Debug, Clone, Default)]
pub struct SliverBatchBody {
    pieces: VecDeque<Bytes>,
    len: usize,
}

impl SliverBatchBody {
    /// The body's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the body is empty (never, for a batch: it holds at least its count).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The body in one buffer (a copy).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.len);
        for piece in &self.pieces {
            bytes.extend_from_slice(piece);
        }
        bytes
    }

    fn push(&mut self, piece: Bytes) {
        if !piece.is_empty() {
            self.len += piece.len();
            self.pieces.push_back(piece);
        }
    }
}

impl http_body::Body for SliverBatchBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let piece = self.pieces.pop_front();
        if let Some(piece) = &piece {
            self.len -= piece.len();
        }
        Poll::Ready(piece.map(|piece| Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.pieces.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len as u64)
    }
}

impl From<SliverBatchBody> for reqwest::Body {
    fn from(body: SliverBatchBody) -> Self {
        reqwest::Body::wrap(body)
    }
}

impl SliverBatch {
    /// The BCS body of a batch of `slivers`, each with its pair: the slivers' symbols shared, not
    /// copied, and a clone for a retry as cheap.
    pub fn encode<'a>(slivers: impl IntoIterator<Item = (SliverPairIndex, &'a Sliver)>) -> SliverBatchBody {
        let slivers: Vec<_> = slivers.into_iter().collect();
        let mut body = SliverBatchBody::default();
        // The bytes between one sliver's symbols and the next's.
        let mut between = Vec::new();
        wire::push_length(slivers.len(), &mut between);
        for (pair, sliver) in slivers {
            between.extend(bcs::to_bytes(&(pair, sliver.axis())).expect("BCS of plain data cannot fail"));
            let [prefix, symbols, suffix] = sliver.wire_parts();
            between.extend_from_slice(&prefix);
            body.push(std::mem::take(&mut between).into());
            body.push(symbols);
            between.extend_from_slice(&suffix);
        }
        body.push(between.into());
        body
    }

    /// Decodes a body held in a plain buffer (copied once, then as [`SliverBatch::from_body`]).
    pub fn from_bcs(bytes: &[u8]) -> Result<Self, bcs::Error> {
        Self::from_body(&Bytes::copy_from_slice(bytes))
    }

    /// Decodes a body, the slivers' symbols shared with `body` (slices of it) rather than copied
    /// out of it.
    pub fn from_body(body: &Bytes) -> Result<Self, bcs::Error> {
        let batch: SliverBatchIn<'_> = bcs::from_bytes(body)?;
        let slivers = batch
            .slivers
            .into_iter()
            .map(|batched| BatchedSliver {
                pair: batched.pair,
                axis: batched.axis,
                sliver: batched.sliver.within(body),
            })
            .collect();
        Ok(Self { slivers })
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
        let decoded = SliverBatch::from_bcs(&body.to_vec()).unwrap();
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
        assert_eq!(body.to_vec(), expected);
        assert_eq!(body.len(), expected.len());
    }

    #[test]
    fn a_body_decodes_into_slivers_that_share_its_bytes_and_equal_the_copied_ones() {
        let encoded = encode(&EncodingConfig::new(10).unwrap(), &vec![5u8; 200_000]).unwrap();
        let body = Bytes::from(
            SliverBatch::encode(encoded.pairs[..3].iter().flat_map(|pair| [(pair.index(), &pair.primary)])).to_vec(),
        );
        let shared = SliverBatch::from_body(&body).unwrap();
        // The same batch as serde's own decoding of the type gives.
        assert_eq!(shared, bcs::from_bytes::<SliverBatch>(&body).unwrap());
        let range = body.as_ptr_range();
        for batched in shared.slivers {
            let sliver = batched.into_sliver().unwrap();
            assert!(range.contains(&sliver.data().as_ptr()), "sliver {} was copied", sliver.index());
        }
        // What the plain decoding refuses, this refuses too: a cut body, a byte too many.
        for bad in [body.slice(..body.len() - 1), Bytes::from([&body[..], &[0]].concat())] {
            assert!(bcs::from_bytes::<SliverBatch>(&bad).is_err());
            assert!(SliverBatch::from_body(&bad).is_err());
        }
    }

    #[test]
    fn a_batch_body_is_the_bcs_of_its_slivers_and_shares_their_symbols() {
        // Enough slivers (129) that the count takes two bytes of ULEB128, and slivers of
        // both axes whose lengths take one and two.
        for (n, blob) in [(10, 100usize), (10, 1_000_000), (200, 5_000)] {
            let encoded = encode(&EncodingConfig::new(n).unwrap(), &vec![3u8; blob]).unwrap();
            let slivers: Vec<(SliverPairIndex, &Sliver)> = encoded
                .pairs
                .iter()
                .flat_map(|pair| [(pair.index(), &pair.primary), (pair.index(), &pair.secondary)])
                .take(129)
                .collect();
            let body = SliverBatch::encode(slivers.iter().copied());
            let plain = SliverBatch {
                slivers: slivers
                    .iter()
                    .map(|(pair, sliver)| BatchedSliver {
                        pair: *pair,
                        axis: sliver.axis(),
                        sliver: bcs::from_bytes::<WireSliver>(&sliver.to_bcs()).unwrap(),
                    })
                    .collect(),
            };
            assert_eq!(body.to_vec(), bcs::to_bytes(&plain).unwrap(), "n = {n}, {blob} bytes");
            assert_eq!(body.len(), body.to_vec().len());
            let symbols: Vec<*const u8> = slivers.iter().map(|(_, sliver)| sliver.data().as_ptr()).collect();
            let shared = body.pieces.iter().filter(|piece| symbols.contains(&piece.as_ptr())).count();
            assert_eq!(shared, slivers.iter().filter(|(_, sliver)| !sliver.data().is_empty()).count());
        }
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
