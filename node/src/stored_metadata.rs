//! How a blob's metadata is kept on disk: a 128-bit XXH3 digest of the blob id and the BCS, then
//! the BCS. Metadata is verified against its blob id before it is stored (upload, recovery, shard
//! sync); the digest lets a later read know cheaply that the record still holds those bytes, for
//! that blob, so that the root hash need not be computed again
//! ([`BlobMetadata::verified_before`]).
//!
//! ```
//! use floe_encoder::{EncodingConfig, encode};
//! use floe_node::stored_metadata::{self, Damage};
//!
//! let config = EncodingConfig::new(4).unwrap();
//! let encoded = encode(&config, b"bytes the disk may change").unwrap();
//! let blob_id = *encoded.metadata.blob_id();
//! let mut record = stored_metadata::seal(&blob_id, encoded.metadata.metadata());
//! assert_eq!(stored_metadata::open(&config, &blob_id, &record).unwrap(), encoded.metadata);
//! // Under another blob's key the record is not that blob's.
//! let other = *encode(&config, b"another blob").unwrap().metadata.blob_id();
//! assert_eq!(stored_metadata::open(&config, &other, &record), Err(Damage::DigestMismatch));
//! let last = record.len() - 1;
//! record[last] ^= 1;
//! assert_eq!(stored_metadata::open(&config, &blob_id, &record), Err(Damage::DigestMismatch));
//! ```
//!
//! Why: a node reads a blob's stored metadata for every sliver it checks that is not of a blob
//! it has just verified (`crate::recent_metadata`), and a shard sync checks one sliver of every
//! blob per shard and axis. Verified again from scratch, the metadata of a blob at 1000 shards
//! cost two thousand hashes, about what checking the small sliver itself cost: the migration of
//! 334 of 1000 shards with 256 blobs of 1 MiB stored (`FLOE_BENCH_SHARDS=1000 FLOE_BENCH_BLOB_MIB=1
//! FLOE_BENCH_STORED_MIB=256 cargo bench --profile dev -p floe-node --bench shard_sync`) moved
//! 5646-6101 slivers a second with it and 8951-9173 with the digest (docs/performance.md, "Stored
//! metadata sealed, not verified again"). As for slivers
//! ([`crate::stored_sliver`]), the digest guards against the disk, not an adversary who can write
//! the node's files. Records of stores before format 4 were bare BCS; they are verified against
//! their blob ids and sealed when the store is opened (`store::database_file`).

use floe_encoder::{
    BlobId, EncodingConfig,
    error::MetadataError,
    metadata::{BlobMetadata, VerifiedBlobMetadata},
};

use crate::stored_sliver::{DIGEST_LEN, digest_of_parts};

/// Why a stored metadata record is not metadata the node can vouch for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    /// The record is shorter than its digest.
    #[error("record of {0} bytes is shorter than its {DIGEST_LEN}-byte digest")]
    Truncated(usize),
    /// The bytes changed since they were stored, or they are another blob's.
    #[error("digest mismatch: the stored bytes changed since they were written, or are not this blob's")]
    DigestMismatch,
    /// The digest matches but the bytes are not metadata this committee accepts.
    #[error("not metadata for this committee: {0}")]
    Invalid(#[source] MetadataError),
}

/// The on-disk record of `blob_id`'s metadata, verified against it by the caller.
pub fn seal(blob_id: &BlobId, metadata: &BlobMetadata) -> Vec<u8> {
    seal_bcs(blob_id, &metadata.to_bcs())
}

/// The on-disk record of `blob_id`'s metadata given as BCS, verified against it by the caller.
pub(crate) fn seal_bcs(blob_id: &BlobId, bcs: &[u8]) -> Vec<u8> {
    let mut record = Vec::with_capacity(DIGEST_LEN + bcs.len());
    record.extend_from_slice(&digest_of_parts(&[blob_id.0.as_slice(), bcs]));
    record.extend_from_slice(bcs);
    record
}

/// The BCS of `blob_id`'s metadata in `record`, once its digest is checked.
pub fn checked_bcs<'a>(blob_id: &BlobId, record: &'a [u8]) -> Result<&'a [u8], Damage> {
    let (stored, bcs) = record.split_at_checked(DIGEST_LEN).ok_or(Damage::Truncated(record.len()))?;
    if digest_of_parts(&[blob_id.0.as_slice(), bcs]) != stored { Err(Damage::DigestMismatch) } else { Ok(bcs) }
}

/// `blob_id`'s metadata in `record`, verified: its digest checked, then the committee's checks
/// ([`BlobMetadata::verified_before`]).
pub fn open(config: &EncodingConfig, blob_id: &BlobId, record: &[u8]) -> Result<VerifiedBlobMetadata, Damage> {
    let bcs = checked_bcs(blob_id, record)?;
    BlobMetadata::from_bcs(bcs).and_then(|metadata| metadata.verified_before(config, blob_id)).map_err(Damage::Invalid)
}

/// A record of a store before format 4 (bare BCS) as a record of this format, if it is
/// `blob_id`'s metadata; otherwise a record that cannot match (the digest inverted), so that the
/// first read sets it aside and has it repaired, as for any damage found on disk.
pub(crate) fn seal_bare(blob_id: &BlobId, bcs: &[u8]) -> Vec<u8> {
    let derives = BlobMetadata::from_bcs(bcs).is_ok_and(|metadata| metadata.compute_blob_id() == *blob_id);
    let mut record = seal_bcs(blob_id, bcs);
    if !derives {
        record[..DIGEST_LEN].iter_mut().for_each(|byte| *byte = !*byte);
    }
    record
}

#[cfg(test)]
mod tests {
    use floe_encoder::encode;

    use super::*;

    #[test]
    fn a_bare_record_is_sealed_only_if_it_derives_its_blob_id() {
        let config = EncodingConfig::new(7).unwrap();
        let encoded = encode(&config, b"stored before records were sealed").unwrap();
        let blob_id = *encoded.metadata.blob_id();
        let bcs = encoded.metadata.metadata().to_bcs();
        assert_eq!(open(&config, &blob_id, &seal_bare(&blob_id, &bcs)).unwrap(), encoded.metadata);

        let mut damaged = bcs.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert_eq!(open(&config, &blob_id, &seal_bare(&blob_id, &damaged)), Err(Damage::DigestMismatch));
        assert_eq!(open(&config, &blob_id, &seal_bare(&blob_id, b"no metadata")), Err(Damage::DigestMismatch));
        let other = *encode(&config, b"another blob").unwrap().metadata.blob_id();
        assert_eq!(open(&config, &other, &seal_bare(&other, &bcs)), Err(Damage::DigestMismatch));
    }

    #[test]
    fn a_sealed_record_is_refused_for_another_committee_or_when_cut_short() {
        let config = EncodingConfig::new(7).unwrap();
        let encoded = encode(&config, b"payload").unwrap();
        let blob_id = *encoded.metadata.blob_id();
        let record = seal(&blob_id, encoded.metadata.metadata());
        assert_eq!(
            open(&EncodingConfig::new(10).unwrap(), &blob_id, &record),
            Err(Damage::Invalid(MetadataError::WrongHashCount { actual: 7, expected: 10 }))
        );
        assert_eq!(open(&config, &blob_id, &record[..5]), Err(Damage::Truncated(5)));
        assert_eq!(open(&config, &blob_id, &record[..DIGEST_LEN + 3]), Err(Damage::DigestMismatch));
    }
}
