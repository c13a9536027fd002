//! How a sliver is kept on disk: a 128-bit XXH3 digest of its BCS, then the BCS. Every sliver is
//! checked against its blob's metadata before it is stored (upload, recovery, shard sync); the
//! digest lets every later read check cheaply that the disk still holds those same bytes,
//! without re-encoding the sliver to recompute its Merkle root.
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
//! The digest guards against the disk, not against an adversary: whoever can write the node's
//! files can write any digest beside them, so a cryptographic hash buys nothing here that a
//! good checksum does not. Records carried a BLAKE2b-256 digest before (store format 1): at
//! about 1 GB/s on one lane it was a pass over every sliver a node stored or served, 8% of the
//! nodes' time in a profile of 64 MiB stores; XXH3 runs at memory speed. A store of the older
//! format is converted when it is opened (`reseal_blake2b`).
//!
//! Cost: see `cargo bench -p floe-node --bench sliver_digest`, against a full re-encoding and
//! Merkle tree for a check against the metadata.

use floe_encoder::{Sliver, SliverType, error::SliverError};

/// Bytes of the digest in front of each stored sliver.
pub const DIGEST_LEN: usize = 16;

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
    xxhash_rust::xxh3::xxh3_128(bytes).to_le_bytes()
}

/// The on-disk record of a (verified) sliver: digest, then BCS.
pub fn seal(sliver: &Sliver) -> Vec<u8> {
    // Serialized in place behind room for the digest: one copy of the sliver's bytes, not a BCS
    // copy and then a record copy (every sliver a node stores passes here).
    sealed(floe_encoder::wire::to_bcs_after(DIGEST_LEN, sliver).expect("BCS of bytes and integers cannot fail"))
}

/// The on-disk record of a sliver's BCS bytes.
pub(crate) fn seal_bcs(bcs: &[u8]) -> Vec<u8> {
    let mut record = Vec::with_capacity(DIGEST_LEN + bcs.len());
    record.resize(DIGEST_LEN, 0);
    record.extend_from_slice(bcs);
    sealed(record)
}

/// `record` (room for the digest, then the BCS) with the digest of its BCS written in.
fn sealed(mut record: Vec<u8>) -> Vec<u8> {
    let digest = digest(&record[DIGEST_LEN..]);
    record[..DIGEST_LEN].copy_from_slice(&digest);
    record
}

/// The digest of a sliver's BCS given in pieces (as [`Sliver::wire_parts`] gives it): the same
/// as [`seal`] writes in front of the BCS whole, without joining the pieces first. (A metadata
/// record's digest is this one's too, over the blob id and the BCS: [`crate::stored_metadata`].)
pub(crate) fn digest_of_parts<P: AsRef<[u8]>>(parts: &[P]) -> [u8; DIGEST_LEN] {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    parts.iter().for_each(|part| hasher.update(part.as_ref()));
    hasher.digest128().to_le_bytes()
}

/// The BCS bytes of a record, once its digest is checked.
pub fn checked_bcs(record: &[u8]) -> Result<&[u8], Damage> {
    if record.len() < DIGEST_LEN {
        return Err(Damage::Truncated(record.len()));
    }
    let (stored, bcs) = record.split_at(DIGEST_LEN);
    check_parts(stored, bcs).map(|()| bcs)
}

/// Checks a record read as its digest and its BCS apart.
pub(crate) fn check_parts(stored_digest: &[u8], bcs: &[u8]) -> Result<(), Damage> {
    if digest(bcs) != stored_digest { Err(Damage::DigestMismatch) } else { Ok(()) }
}

/// The sliver of `axis` a record holds, once its digest is checked.
pub fn open(axis: SliverType, record: &[u8]) -> Result<Sliver, Damage> {
    let bcs = checked_bcs(record)?;
    Sliver::from_bcs(axis, bcs).map_err(Damage::Undecodable)
}

/// Bytes of the BLAKE2b-256 digest in front of each record of store format 1.
const BLAKE2B_DIGEST_LEN: usize = 32;

/// A record of store format 1 (BLAKE2b-256 digest, then BCS) as a record of this format. A
/// record whose old digest no longer matches stays damaged: it gets a digest that cannot match
/// (the right one, inverted), so the first read or the scrub sets it aside and has it repaired,
/// as for any damage found on disk.
pub(crate) fn reseal_blake2b(record: &[u8]) -> Vec<u8> {
    let Some((stored, bcs)) = record.split_at_checked(BLAKE2B_DIGEST_LEN) else {
        // Too short to be a record at all: leave it too short now as well.
        return record[..record.len().min(DIGEST_LEN.saturating_sub(1))].to_vec();
    };
    let intact = blake2b_simd::Params::new().hash_length(BLAKE2B_DIGEST_LEN).hash(bcs).as_bytes() == stored;
    let mut resealed = seal_bcs(bcs);
    if !intact {
        resealed[..DIGEST_LEN].iter_mut().for_each(|byte| *byte = !*byte);
    }
    resealed
}

#[cfg(test)]
mod tests {
    use floe_encoder::{EncodingConfig, encode};

    use super::*;

    fn blake2b_record(bcs: &[u8]) -> Vec<u8> {
        let mut record = blake2b_simd::Params::new().hash_length(BLAKE2B_DIGEST_LEN).hash(bcs).as_bytes().to_vec();
        record.extend_from_slice(bcs);
        record
    }

    #[test]
    fn the_digest_of_a_slivers_wire_parts_is_the_digest_its_record_carries() {
        let encoded = encode(&EncodingConfig::new(10).unwrap(), &[7u8; 100_000]).unwrap();
        for sliver in [&encoded.pairs[0].primary, &encoded.pairs[9].secondary] {
            let record = seal(sliver);
            assert_eq!(digest_of_parts(&sliver.wire_parts()), record[..DIGEST_LEN]);
            assert_eq!(check_parts(&record[..DIGEST_LEN], &record[DIGEST_LEN..]), Ok(()));
            assert_eq!(check_parts(&record[..DIGEST_LEN], &record[DIGEST_LEN + 1..]), Err(Damage::DigestMismatch));
        }
    }

    #[test]
    fn format_1_records_are_resealed_and_damaged_ones_stay_damaged() {
        let encoded = encode(&EncodingConfig::new(4).unwrap(), b"converted when the store opens").unwrap();
        let sliver = &encoded.pairs[1].secondary;
        let old = blake2b_record(&sliver.to_bcs());
        assert_eq!(open(SliverType::Secondary, &reseal_blake2b(&old)).unwrap(), *sliver);

        let mut damaged = old.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 0x40;
        assert_eq!(open(SliverType::Secondary, &reseal_blake2b(&damaged)), Err(Damage::DigestMismatch));
        assert!(matches!(open(SliverType::Secondary, &reseal_blake2b(&old[..20])), Err(Damage::Truncated(_))));
    }

    #[test]
    fn a_sealed_sliver_is_its_digest_then_its_bcs_and_opens_to_itself() {
        let encoded = encode(&EncodingConfig::new(7).unwrap(), &[5u8; 3000]).unwrap();
        for sliver in [&encoded.pairs[0].primary, &encoded.pairs[6].secondary] {
            let record = seal(sliver);
            assert_eq!(record, seal_bcs(&sliver.to_bcs()));
            assert_eq!(&record[DIGEST_LEN..], sliver.to_bcs().as_slice());
            assert_eq!(record[..DIGEST_LEN], digest(&sliver.to_bcs()));
            assert_eq!(open(sliver.axis(), &record).unwrap(), *sliver);
        }
    }
}
