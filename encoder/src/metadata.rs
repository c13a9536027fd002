//! Blob metadata: the encoding type, the unencoded length, and the hashes of every sliver pair.
//!
//! Metadata is what a node checks every sliver against, and what the blob id commits to: the id
//! is derived from the Merkle root over the pairs' `primary_hash ‖ secondary_hash`. Metadata
//! received from anyone is [`BlobMetadata`]; only [`BlobMetadata::verify`] against the expected
//! blob id turns it into [`VerifiedBlobMetadata`], the only form the rest of the crate trusts.
//!
//! ```
//! use floe_encoder::{EncodingConfig, encode, metadata::BlobMetadata};
//!
//! let config = EncodingConfig::new(10).unwrap();
//! let encoded = encode(&config, b"hello").unwrap();
//! let bytes = encoded.metadata.metadata().to_bcs();
//! let received = BlobMetadata::from_bcs(&bytes).unwrap();
//! let verified = received.verify(&config, encoded.metadata.blob_id()).unwrap();
//! assert_eq!(verified.unencoded_length(), 5);
//! ```

use serde::{Deserialize, Serialize};

use crate::{
    BlobId, EncodingConfig, EncodingType, SliverIndex, SliverPairIndex, SliverType,
    error::{MetadataError, SliverError},
    merkle::{self, Node},
    sliver::Sliver,
};

/// The hashes of one sliver pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SliverPairMetadata {
    /// Root over the expansion of primary sliver `p`.
    pub primary_hash: Node,
    /// Root over the expansion of secondary sliver `n - 1 - p`.
    pub secondary_hash: Node,
}

impl SliverPairMetadata {
    /// The hash of the pair's sliver on `axis`.
    pub fn hash(&self, axis: SliverType) -> &Node {
        match axis {
            SliverType::Primary => &self.primary_hash,
            SliverType::Secondary => &self.secondary_hash,
        }
    }

    pub(crate) fn leaf_input(&self) -> [u8; 64] {
        let mut input = [0u8; 64];
        input[..32].copy_from_slice(&self.primary_hash.bytes());
        input[32..].copy_from_slice(&self.secondary_hash.bytes());
        input
    }
}

/// Unverified metadata. BCS: the enum `V1 { encoding_type, unencoded_length, hashes }` (tag 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMetadata {
    encoding_type: EncodingType,
    unencoded_length: u64,
    hashes: Vec<SliverPairMetadata>,
}

/// The serde form of the BCS layout: the reference [`bcs_form`] is checked against, and the
/// decoder of what that reader refuses.
#[derive(Serialize, Deserialize)]
enum WireMetadata {
    V1 { encoding_type: EncodingType, unencoded_length: u64, hashes: Vec<SliverPairMetadata> },
}

/// The BCS form of [`BlobMetadata`], written and read directly. Through serde, BCS moves a
/// `[u8; 32]` one byte at a time, a call per byte, and a blob's metadata at 1000 shards is 66 KB
/// of hashes: every node decodes it on each upload and encodes it to store it, and the client
/// encodes it once per node. The layout is BCS's (`WireMetadata`): the variant index (ULEB128,
/// 0), the encoding type byte, the length as u64 little-endian, the pair count (ULEB128), then
/// per pair two `Node`s (a variant byte, 0 `Empty` or 1 `Digest`, and for a digest its 32
/// bytes). The tests hold both directions to the `bcs` crate, refusals included.
mod bcs_form {
    use super::{BlobMetadata, SliverPairMetadata};
    use crate::{EncodingType, merkle::Node};

    const V1: u8 = 0;
    const EMPTY: u8 = 0;
    const DIGEST: u8 = 1;
    /// BCS's longest sequence.
    const MAX_SEQUENCE_LENGTH: usize = (1 << 31) - 1;

    pub(super) fn encode(metadata: &BlobMetadata) -> Vec<u8> {
        let count = metadata.hashes.len();
        let mut bytes = Vec::with_capacity(1 + 1 + 8 + 5 + count * 2 * 33);
        bytes.push(V1);
        bytes.push(metadata.encoding_type.as_u8());
        bytes.extend_from_slice(&metadata.unencoded_length.to_le_bytes());
        write_uleb128(&mut bytes, count);
        for pair in &metadata.hashes {
            write_node(&mut bytes, &pair.primary_hash);
            write_node(&mut bytes, &pair.secondary_hash);
        }
        bytes
    }

    /// The metadata, or `None` for anything that is not exactly its BCS form.
    pub(super) fn decode(bytes: &[u8]) -> Option<BlobMetadata> {
        let (&version, rest) = bytes.split_first()?;
        let (&encoding_type, rest) = rest.split_first()?;
        if version != V1 {
            return None;
        }
        let encoding_type = EncodingType::from_u8(encoding_type).ok()?;
        let (length, rest) = rest.split_first_chunk::<8>()?;
        let (count, mut rest) = read_uleb128(rest)?;
        // Every pair takes at least two bytes: no allocation beyond what the input can fill.
        if count > rest.len() / 2 {
            return None;
        }
        let mut hashes = Vec::with_capacity(count);
        for _ in 0..count {
            let (primary_hash, after) = read_node(rest)?;
            let (secondary_hash, after) = read_node(after)?;
            hashes.push(SliverPairMetadata { primary_hash, secondary_hash });
            rest = after;
        }
        rest.is_empty().then(|| BlobMetadata { encoding_type, unencoded_length: u64::from_le_bytes(*length), hashes })
    }

    fn write_node(bytes: &mut Vec<u8>, node: &Node) {
        match node {
            Node::Empty => bytes.push(EMPTY),
            Node::Digest(digest) => {
                bytes.push(DIGEST);
                bytes.extend_from_slice(digest);
            }
        }
    }

    fn read_node(bytes: &[u8]) -> Option<(Node, &[u8])> {
        match bytes.split_first()? {
            (&EMPTY, rest) => Some((Node::Empty, rest)),
            (&DIGEST, rest) => {
                let (digest, rest) = rest.split_first_chunk::<32>()?;
                Some((Node::Digest(*digest), rest))
            }
            _ => None,
        }
    }

    fn write_uleb128(bytes: &mut Vec<u8>, mut value: usize) {
        while value >= 0x80 {
            bytes.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        bytes.push(value as u8);
    }

    /// A canonical ULEB128 sequence length (BCS refuses overlong encodings and lengths past
    /// [`MAX_SEQUENCE_LENGTH`]).
    fn read_uleb128(bytes: &[u8]) -> Option<(usize, &[u8])> {
        let mut value = 0usize;
        for (i, &byte) in bytes.iter().enumerate().take(5) {
            value |= usize::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                let canonical = i == 0 || byte != 0;
                return (canonical && value <= MAX_SEQUENCE_LENGTH).then(|| (value, &bytes[i + 1..]));
            }
        }
        None
    }
}

impl BlobMetadata {
    /// Metadata from its parts.
    pub fn new(encoding_type: EncodingType, unencoded_length: u64, hashes: Vec<SliverPairMetadata>) -> Self {
        Self { encoding_type, unencoded_length, hashes }
    }

    /// Decodes the BCS form.
    pub fn from_bcs(bytes: &[u8]) -> Result<Self, MetadataError> {
        if let Some(metadata) = bcs_form::decode(bytes) {
            return Ok(metadata);
        }
        // Refused by the direct reader: the `bcs` crate says why (or, should the reader be
        // stricter than BCS somewhere, decodes it).
        let WireMetadata::V1 { encoding_type, unencoded_length, hashes } =
            bcs::from_bytes(bytes).map_err(MetadataError::Malformed)?;
        Ok(Self { encoding_type, unencoded_length, hashes })
    }

    /// The BCS form.
    pub fn to_bcs(&self) -> Vec<u8> {
        bcs_form::encode(self)
    }

    /// The encoding type.
    pub fn encoding_type(&self) -> EncodingType {
        self.encoding_type
    }

    /// The blob's length before encoding.
    pub fn unencoded_length(&self) -> u64 {
        self.unencoded_length
    }

    /// The per-pair hashes, indexed by sliver pair.
    pub fn hashes(&self) -> &[SliverPairMetadata] {
        &self.hashes
    }

    /// The Merkle root over the pairs, which the blob id commits to.
    pub fn root_hash(&self) -> Node {
        // Every node checks this for every blob it is sent: the leaves are hashed in batches.
        let inputs: Vec<u8> = self.hashes.iter().flat_map(SliverPairMetadata::leaf_input).collect();
        let mut leaves: Vec<merkle::Digest> = vec![[0; 32]; self.hashes.len()];
        merkle::hash_leaves(&inputs, 64, &mut leaves);
        merkle::root_of_leaf_hashes(&leaves)
    }

    /// The blob id this metadata derives.
    pub fn compute_blob_id(&self) -> BlobId {
        BlobId::derive(self.encoding_type, self.unencoded_length, &self.root_hash())
    }

    /// Checks the metadata against the committee size and the expected blob id.
    pub fn verify(self, config: &EncodingConfig, blob_id: &BlobId) -> Result<VerifiedBlobMetadata, MetadataError> {
        self.check_committee(config)?;
        let computed = self.compute_blob_id();
        if computed != *blob_id {
            return Err(MetadataError::BlobIdMismatch { expected: *blob_id, computed });
        }
        Ok(VerifiedBlobMetadata { blob_id: computed, metadata: self })
    }

    /// [`Self::verify`] of metadata that was verified against `blob_id` once and is known to be
    /// the same bytes since: a storage node's own record of it, sealed with a checksum of the
    /// blob id and the bytes when it was stored. Only the committee's checks run again; the root
    /// hash, which costs two hashes per shard (at 1000 shards more than checking a small sliver,
    /// and a shard sync checks one sliver of every blob), is not recomputed. Anything not known
    /// to be intact since its verification must go through [`Self::verify`].
    pub fn verified_before(
        self,
        config: &EncodingConfig,
        blob_id: &BlobId,
    ) -> Result<VerifiedBlobMetadata, MetadataError> {
        self.check_committee(config)?;
        Ok(VerifiedBlobMetadata { blob_id: *blob_id, metadata: self })
    }

    /// What a committee of `config`'s size accepts: one hash per shard, a length it can encode.
    fn check_committee(&self, config: &EncodingConfig) -> Result<(), MetadataError> {
        if self.hashes.len() != config.n_shards_usize() {
            return Err(MetadataError::WrongHashCount { actual: self.hashes.len(), expected: config.n_shards_usize() });
        }
        if self.unencoded_length > config.max_blob_size() {
            return Err(MetadataError::LengthTooLarge {
                unencoded_length: self.unencoded_length,
                max_blob_size: config.max_blob_size(),
            });
        }
        Ok(())
    }
}

/// Metadata known to derive its blob id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBlobMetadata {
    blob_id: BlobId,
    metadata: BlobMetadata,
}

impl VerifiedBlobMetadata {
    /// Wraps metadata the encoder just computed itself.
    pub(crate) fn new_trusted(metadata: BlobMetadata) -> Self {
        Self { blob_id: metadata.compute_blob_id(), metadata }
    }

    /// The blob id.
    pub fn blob_id(&self) -> &BlobId {
        &self.blob_id
    }

    /// The metadata itself.
    pub fn metadata(&self) -> &BlobMetadata {
        &self.metadata
    }

    /// Takes the metadata out.
    pub fn into_metadata(self) -> BlobMetadata {
        self.metadata
    }

    /// The blob's length before encoding.
    pub fn unencoded_length(&self) -> u64 {
        self.metadata.unencoded_length
    }

    /// The symbol size the blob was encoded with.
    pub fn symbol_size(&self, config: &EncodingConfig) -> u16 {
        config.symbol_size_for(self.metadata.unencoded_length).expect("verified metadata is within the maximum size")
    }

    /// The hash of the sliver of `axis` at `index`.
    pub fn sliver_hash(&self, axis: SliverType, index: SliverIndex) -> Option<&Node> {
        let n = u16::try_from(self.metadata.hashes.len()).ok()?;
        if index.0 >= n {
            return None;
        }
        Some(self.metadata.hashes[index.pair_index(axis, n).as_usize()].hash(axis))
    }

    /// The hashes of pair `pair`.
    pub fn pair(&self, pair: SliverPairIndex) -> Option<&SliverPairMetadata> {
        self.metadata.hashes.get(pair.as_usize())
    }

    /// Checks a sliver's shape and symbol size, then its hash, against this metadata.
    pub fn verify_sliver(&self, config: &EncodingConfig, sliver: &Sliver) -> Result<(), SliverError> {
        self.check_sliver_shape(config, sliver)?;
        self.check_hash(sliver, &sliver.hash(config))
    }

    /// Compares `hash`, a well-shaped sliver's, with the one this metadata lists for it.
    fn check_hash(&self, sliver: &Sliver, hash: &Node) -> Result<(), SliverError> {
        let expected = self.sliver_hash(sliver.axis(), sliver.index()).expect("index checked");
        if hash == expected {
            Ok(())
        } else {
            Err(SliverError::HashMismatch { axis: sliver.axis(), index: sliver.index() })
        }
    }

    /// [`verify_sliver`](Self::verify_sliver) for each of `slivers`, in order, with their hashes
    /// computed together ([`Sliver::hashes`]): what a node does with a batch of uploaded slivers.
    pub fn verify_slivers(&self, config: &EncodingConfig, slivers: &[&Sliver]) -> Vec<Result<(), SliverError>> {
        let checks: Vec<(&Self, &Sliver)> = slivers.iter().map(|sliver| (self, *sliver)).collect();
        Self::verify_each(config, &checks)
    }

    /// [`verify_sliver`](Self::verify_sliver) of each sliver against its own blob's metadata, in
    /// order, with the hashes computed together: slivers of many blobs, such as a page of a
    /// shard being synced. [`Sliver::hashes`] groups them by shape, not by blob, so small slivers
    /// of different blobs still share codec passes and hash lanes.
    pub fn verify_each(config: &EncodingConfig, checks: &[(&Self, &Sliver)]) -> Vec<Result<(), SliverError>> {
        let shapes: Vec<Result<(), SliverError>> =
            checks.iter().map(|(metadata, sliver)| metadata.check_sliver_shape(config, sliver)).collect();
        let well_shaped: Vec<&Sliver> =
            checks.iter().zip(&shapes).filter(|(_, shape)| shape.is_ok()).map(|((_, sliver), _)| *sliver).collect();
        let mut hashes = Sliver::hashes(config, &well_shaped).into_iter();
        checks
            .iter()
            .zip(shapes)
            .map(|((metadata, sliver), shape)| {
                shape?;
                metadata.check_hash(sliver, &hashes.next().expect("one hash per well-shaped sliver"))
            })
            .collect()
    }

    /// Checks a sliver's index, symbol size and symbol count, without hashing it.
    pub fn check_sliver_shape(&self, config: &EncodingConfig, sliver: &Sliver) -> Result<(), SliverError> {
        let expected = self.symbol_size(config);
        if sliver.symbol_size() != expected {
            return Err(SliverError::WrongSymbolSize { actual: sliver.symbol_size(), expected });
        }
        sliver.check_shape(config)
    }

    /// The BCS of `{ blob_id, metadata }`, the form nodes serve.
    pub fn to_bcs_with_id(&self) -> Vec<u8> {
        let mut bytes = self.blob_id.0.to_vec();
        bytes.extend_from_slice(&self.metadata.to_bcs());
        bytes
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::encode;

    fn node() -> impl Strategy<Value = Node> {
        prop_oneof![Just(Node::Empty), any::<[u8; 32]>().prop_map(Node::Digest)]
    }

    fn metadata() -> impl Strategy<Value = BlobMetadata> {
        let pair = (node(), node())
            .prop_map(|(primary_hash, secondary_hash)| SliverPairMetadata { primary_hash, secondary_hash });
        // Up to 200 pairs: pair counts of one and two ULEB128 bytes.
        (any::<u64>(), prop::collection::vec(pair, 0..200))
            .prop_map(|(length, hashes)| BlobMetadata::new(EncodingType::RS2, length, hashes))
    }

    /// What the `bcs` crate makes of `bytes`, as `from_bcs` reports it.
    fn through_serde(bytes: &[u8]) -> Result<BlobMetadata, ()> {
        bcs::from_bytes::<WireMetadata>(bytes)
            .map(|WireMetadata::V1 { encoding_type, unencoded_length, hashes }| BlobMetadata {
                encoding_type,
                unencoded_length,
                hashes,
            })
            .map_err(|_| ())
    }

    proptest! {
        #[test]
        fn metadata_bcs_is_the_bcs_crates_both_ways(metadata in metadata()) {
            let wire = WireMetadata::V1 {
                encoding_type: metadata.encoding_type,
                unencoded_length: metadata.unencoded_length,
                hashes: metadata.hashes.clone(),
            };
            let bytes = metadata.to_bcs();
            prop_assert_eq!(&bytes, &bcs::to_bytes(&wire).unwrap());
            prop_assert_eq!(bcs_form::decode(&bytes), Some(metadata));
        }

        #[test]
        fn the_direct_reader_accepts_exactly_what_bcs_accepts(
            metadata in metadata(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
            cut in any::<prop::sample::Index>(),
            extra in prop::collection::vec(any::<u8>(), 0..3),
        ) {
            let mut bytes = metadata.to_bcs();
            for (at, byte) in edits {
                let at = at.index(bytes.len());
                bytes[at] = byte;
            }
            // Truncated, or with bytes added, or as it is.
            match extra.len() {
                0 => bytes.truncate(cut.index(bytes.len() + 1)),
                1 => {}
                _ => bytes.extend_from_slice(&extra),
            }
            prop_assert_eq!(bcs_form::decode(&bytes).ok_or(()), through_serde(&bytes));
        }
    }

    #[test]
    fn overlong_and_oversized_pair_counts_are_refused_as_bcs_refuses_them() {
        let header = [0u8, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        for count in
            [&[0x80, 0x00][..], &[0x81, 0x00], &[0xff, 0xff, 0xff, 0xff, 0x0f], &[0x80, 0x80, 0x80, 0x80, 0x08]]
        {
            let bytes = [&header[..], count].concat();
            assert!(bcs_form::decode(&bytes).is_none(), "{count:?}");
            assert!(through_serde(&bytes).is_err(), "{count:?}");
            assert!(matches!(BlobMetadata::from_bcs(&bytes), Err(MetadataError::Malformed(_))), "{count:?}");
        }
        // 128 empty pairs: a two-byte count.
        let bytes = [&header[..], &[0x80, 0x01], &[0u8; 256][..]].concat();
        assert_eq!(bcs_form::decode(&bytes).unwrap().hashes().len(), 128);
        assert_eq!(through_serde(&bytes).unwrap().hashes().len(), 128);
    }

    #[test]
    fn metadata_bcs_starts_with_version_and_encoding_type() {
        let config = EncodingConfig::new(4).unwrap();
        let encoded = encode(&config, &[1, 2, 3]).unwrap();
        let bytes = encoded.metadata.metadata().to_bcs();
        // V1 tag, RS2, length 3 as u64 LE, four hash pairs.
        assert_eq!(&bytes[..11], &[0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 4]);
        assert_eq!(bytes.len(), 11 + 4 * 2 * 33);
        assert_eq!(BlobMetadata::from_bcs(&bytes).unwrap(), *encoded.metadata.metadata());
    }

    #[test]
    fn tampered_metadata_is_refused_with_the_reason() {
        let config = EncodingConfig::new(7).unwrap();
        let encoded = encode(&config, b"payload").unwrap();
        let id = *encoded.metadata.blob_id();
        let good = encoded.metadata.metadata().clone();

        let mut hashes = good.hashes().to_vec();
        hashes[3].secondary_hash = Node::Digest([0xee; 32]);
        let tampered = BlobMetadata::new(EncodingType::RS2, 7, hashes);
        assert!(matches!(tampered.verify(&config, &id), Err(MetadataError::BlobIdMismatch { .. })));

        let longer = BlobMetadata::new(EncodingType::RS2, 8, good.hashes().to_vec());
        assert!(matches!(longer.verify(&config, &id), Err(MetadataError::BlobIdMismatch { .. })));

        let fewer = BlobMetadata::new(EncodingType::RS2, 7, good.hashes()[..6].to_vec());
        assert_eq!(fewer.verify(&config, &id), Err(MetadataError::WrongHashCount { actual: 6, expected: 7 }));

        let huge = BlobMetadata::new(EncodingType::RS2, u64::MAX, good.hashes().to_vec());
        assert!(matches!(huge.verify(&config, &id), Err(MetadataError::LengthTooLarge { .. })));

        assert!(matches!(BlobMetadata::from_bcs(&[1, 2, 3]), Err(MetadataError::Malformed(_))));
        assert!(good.verify(&config, &id).is_ok());
    }

    #[test]
    fn metadata_verified_before_is_checked_against_the_committee_only() {
        let config = EncodingConfig::new(7).unwrap();
        let encoded = encode(&config, b"payload").unwrap();
        let id = *encoded.metadata.blob_id();
        let good = encoded.metadata.metadata().clone();
        assert_eq!(good.clone().verified_before(&config, &id).unwrap(), encoded.metadata);

        // The committee's checks still run: another committee size, a length it cannot encode.
        let other = EncodingConfig::new(10).unwrap();
        assert_eq!(
            good.clone().verified_before(&other, &id),
            Err(MetadataError::WrongHashCount { actual: 7, expected: 10 })
        );
        let huge = BlobMetadata::new(EncodingType::RS2, u64::MAX, good.hashes().to_vec());
        assert!(matches!(huge.verified_before(&config, &id), Err(MetadataError::LengthTooLarge { .. })));
        // The root hash does not: that is what the caller's record vouches for.
        let mut hashes = good.hashes().to_vec();
        hashes[3].secondary_hash = Node::Digest([0xee; 32]);
        let tampered = BlobMetadata::new(EncodingType::RS2, 7, hashes);
        assert!(tampered.verified_before(&config, &id).is_ok());
    }
}
