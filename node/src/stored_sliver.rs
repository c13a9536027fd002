//! How a sliver is kept on disk: its BLAKE2b-256 digest, then its BCS. Every sliver is checked
//! against its blob's metadata before it is stored (upload, recovery, shard sync); the digest
//! lets every later read check cheaply that the disk still holds those same bytes, without
//! re-encoding the sliver to recompute its Merkle root.
//!
//! ```
//! use floe_encoder::{EncodingConfig, SliverType, encode};
//! use floe_node::stored_sliver;
//!
//! let encoded = encode(&EncodingConfig::new(4).unwrap(), b"bytes the disk may change").unwrap();
//! let mut record = stored_sliver::seal(&encoded.pairs[0].primary);
//! assert_eq!(stored_sliver::open(SliverType::Primary, &record).unwrap(), encoded.pairs[0].primary);
//! let last = record.len() - 1;
//! record[last] ^= 1;
//! assert!(stored_sliver::open(SliverType::Primary, &record).is_err());
//! ```
//!
//! Cost: one BLAKE2b pass over the sliver per read (see `cargo bench -p floe-node --bench
//! sliver_digest` for figures), against a full re-encoding and Merkle tree for a check against
//! the metadata.

use floe_encoder::{Sliver, SliverType, error::SliverError};

/// Bytes of the digest in front of each stored sliver.
pub const DIGEST_LEN: usize = 32;

/// Why a stored record is not a sliver the node can vouch for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    /// The record is shorter than its digest.
    #[error("record of {0} bytes is shorter than its {DIGEST_LEN}-byte digest")]
    Truncated(usize),
    /// The bytes changed since they were stored.
    #[error("digest mismatch: the stored bytes changed since they were written")]
    DigestMismatch,
    /// The digest matches but the bytes are no sliver (written by something else).
    #[error("not a sliver: {0}")]
    Undecodable(#[source] SliverError),
}

fn digest(bytes: &[u8]) -> [u8; DIGEST_LEN] {
    let hash = blake2b_simd::Params::new().hash_length(DIGEST_LEN).hash(bytes);
    hash.as_bytes().try_into().expect("the hash length is DIGEST_LEN")
}

/// The on-disk record of a (verified) sliver: digest, then BCS.
pub fn seal(sliver: &Sliver) -> Vec<u8> {
    seal_bcs(&sliver.to_bcs())
}

/// The on-disk record of a sliver's BCS bytes.
pub(crate) fn seal_bcs(bcs: &[u8]) -> Vec<u8> {
    let mut record = Vec::with_capacity(DIGEST_LEN + bcs.len());
    record.extend_from_slice(&digest(bcs));
    record.extend_from_slice(bcs);
    record
}

/// The BCS bytes of a record, once its digest is checked.
pub fn checked_bcs(record: &[u8]) -> Result<&[u8], Damage> {
    if record.len() < DIGEST_LEN {
        return Err(Damage::Truncated(record.len()));
    }
    let (stored, bcs) = record.split_at(DIGEST_LEN);
    if digest(bcs) != stored { Err(Damage::DigestMismatch) } else { Ok(bcs) }
}

/// The sliver of `axis` a record holds, once its digest is checked.
pub fn open(axis: SliverType, record: &[u8]) -> Result<Sliver, Damage> {
    let bcs = checked_bcs(record)?;
    Sliver::from_bcs(axis, bcs).map_err(Damage::Undecodable)
}
