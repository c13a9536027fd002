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

#[derive(Serialize, Deserialize)]
enum WireMetadata {
    V1 { encoding_type: EncodingType, unencoded_length: u64, hashes: Vec<SliverPairMetadata> },
}

impl BlobMetadata {
    /// Metadata from its parts.
    pub fn new(encoding_type: EncodingType, unencoded_length: u64, hashes: Vec<SliverPairMetadata>) -> Self {
        Self { encoding_type, unencoded_length, hashes }
    }

    /// Decodes the BCS form.
    pub fn from_bcs(bytes: &[u8]) -> Result<Self, MetadataError> {
        let WireMetadata::V1 { encoding_type, unencoded_length, hashes } =
            bcs::from_bytes(bytes).map_err(MetadataError::Malformed)?;
        Ok(Self { encoding_type, unencoded_length, hashes })
    }

    /// The BCS form.
    pub fn to_bcs(&self) -> Vec<u8> {
        let wire = WireMetadata::V1 {
            encoding_type: self.encoding_type,
            unencoded_length: self.unencoded_length,
            hashes: self.hashes.clone(),
        };
        bcs::to_bytes(&wire).expect("BCS of plain data cannot fail")
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
        let leaves = self.hashes.iter().map(|pair| merkle::leaf_hash(&pair.leaf_input())).collect::<Vec<_>>();
        merkle::root_of_leaf_hashes(&leaves)
    }

    /// The blob id this metadata derives.
    pub fn compute_blob_id(&self) -> BlobId {
        BlobId::derive(self.encoding_type, self.unencoded_length, &self.root_hash())
    }

    /// Checks the metadata against the committee size and the expected blob id.
    pub fn verify(self, config: &EncodingConfig, blob_id: &BlobId) -> Result<VerifiedBlobMetadata, MetadataError> {
        if self.hashes.len() != config.n_shards_usize() {
            return Err(MetadataError::WrongHashCount { actual: self.hashes.len(), expected: config.n_shards_usize() });
        }
        if self.unencoded_length > config.max_blob_size() {
            return Err(MetadataError::LengthTooLarge {
                unencoded_length: self.unencoded_length,
                max_blob_size: config.max_blob_size(),
            });
        }
        let computed = self.compute_blob_id();
        if computed != *blob_id {
            return Err(MetadataError::BlobIdMismatch { expected: *blob_id, computed });
        }
        Ok(VerifiedBlobMetadata { blob_id: computed, metadata: self })
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
        let shapes: Vec<Result<(), SliverError>> =
            slivers.iter().map(|sliver| self.check_sliver_shape(config, sliver)).collect();
        let well_shaped: Vec<&Sliver> =
            slivers.iter().zip(&shapes).filter(|(_, shape)| shape.is_ok()).map(|(sliver, _)| *sliver).collect();
        let mut hashes = Sliver::hashes(config, &well_shaped).into_iter();
        slivers
            .iter()
            .zip(shapes)
            .map(|(sliver, shape)| {
                shape?;
                self.check_hash(sliver, &hashes.next().expect("one hash per well-shaped sliver"))
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
    use super::*;
    use crate::encode;

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
}
