//! The shared test vectors of `move/README.md` ("Shared test vectors", from
//! `move/floe/tests/bls_vectors.move`) that concern encodings, and the checks that the Rust
//! mirrors reproduce them.

use floe_encoder::BlobId;
use sui_sdk_types::Address;

/// The epoch the vector certificates are for.
pub(crate) const EPOCH: u32 = 1;
/// The vector blob's unencoded size.
pub(crate) const SIZE: u64 = 1000;
/// `0x0123456789ABCDEF` repeated, as a decimal `u256`.
const ROOT_HASH_DECIMAL: &str = "514631507721405306298073637848375664226723355710112857507800679889911926255";
/// The blob id of (RS2, 1000, root hash), as a decimal `u256`.
const BLOB_ID_DECIMAL: &str = "48279502997014083846800168105543577526307667972928613397437513834138991417764";
const DELETABLE_OBJECT_ID: &str = "0x3545e4579801a352350fbdef9cfe1130e3c8c662c571f6535501f996395d5dc8";
const CERTIFY_MESSAGE: &str = "01000301000000a459e1d068b799b7dc25c7be505ec3dd7e51018e0d08df8447aec2aff63abd6a00";
const CERTIFY_DELETABLE_MESSAGE: &str = "01000301000000a459e1d068b799b7dc25c7be505ec3dd7e51018e0d08df8447aec2aff63abd6a013545e4579801a352350fbdef9cfe1130e3c8c662c571f6535501f996395d5dc8";
const INVALID_BLOB_ID_MESSAGE: &str = "02000301000000a459e1d068b799b7dc25c7be505ec3dd7e51018e0d08df8447aec2aff63abd6a";
/// The aggregate signature of nodes 0, 1, 2 over [`certify_message`].
const CERTIFY_SIGNATURE: &str = "829dc9b78d853da3e4570002930c0c4d6abe004c0a29e273956d6f65804662427b77e6ea45ea74904bd2cf9b6033e1730e9353d54725bc68d43f12b3fbb2303d3594647a23353ce4e509d7793e22ab089e370fcaf5818472fa19bfe7c58480e1";
/// Node 0's BLS public key.
const NODE_0_PUBLIC_KEY: &str =
    "95a254501b7733239ed3cec4d56737977bd09ede881d8a234560e83e5525017add3b1dcc3eabfb85e12a4131b19c253b";

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd-length hex in a test vector");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("test vectors are hex")).collect()
}

/// The root hash as little-endian `u256` bytes.
pub(crate) fn root_hash() -> [u8; 32] {
    BlobId::from_u256_decimal(ROOT_HASH_DECIMAL).expect("a u256").0
}

/// The blob id.
pub(crate) fn blob_id() -> BlobId {
    BlobId::from_u256_decimal(BLOB_ID_DECIMAL).expect("a u256")
}

/// The deletable Blob object the deletable confirmation names.
pub(crate) fn deletable_object_id() -> Address {
    DELETABLE_OBJECT_ID.parse().expect("an address")
}

/// The permanent storage confirmation of the blob.
pub(crate) fn certify_message() -> Vec<u8> {
    hex(CERTIFY_MESSAGE)
}

/// The deletable storage confirmation of the blob.
pub(crate) fn certify_deletable_message() -> Vec<u8> {
    hex(CERTIFY_DELETABLE_MESSAGE)
}

/// The invalid-blob-id message of the blob.
pub(crate) fn invalid_blob_id_message() -> Vec<u8> {
    hex(INVALID_BLOB_ID_MESSAGE)
}

/// The quorum signature over [`certify_message`] (signer bitmap `[7]`).
pub(crate) fn certify_signature() -> Vec<u8> {
    hex(CERTIFY_SIGNATURE)
}

/// Node 0's public key.
pub(crate) fn node_0_public_key() -> Vec<u8> {
    hex(NODE_0_PUBLIC_KEY)
}

#[cfg(test)]
mod tests {
    use floe_encoder::EncodingType;
    use floe_encoder::merkle::{Node, blake2b256};

    use super::*;
    use crate::floe::blob::BlobIdDerivation;

    #[test]
    fn root_hash_is_the_pattern_repeated_in_little_endian() {
        let pattern_le = [0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01];
        let expected: Vec<u8> = pattern_le.iter().copied().cycle().take(32).collect();
        assert_eq!(root_hash().to_vec(), expected);
    }

    #[test]
    fn blob_id_is_blake2b_of_the_derivation_mirror() {
        let derivation =
            BlobIdDerivation { encoding_type: EncodingType::RS2.as_u8(), size: SIZE, root_hash: root_hash() };
        let bytes = bcs::to_bytes(&derivation).unwrap();
        assert_eq!(BlobId(blake2b256(&bytes)), blob_id());
        // The encoder derives the same id.
        assert_eq!(BlobId::derive(EncodingType::RS2, SIZE, &Node::Digest(root_hash())), blob_id());
    }

    #[test]
    fn blob_id_decimal_round_trips() {
        assert_eq!(blob_id().to_u256_decimal(), BLOB_ID_DECIMAL);
        // The messages carry the id as 32 little-endian bytes after the 7-byte header.
        assert_eq!(&certify_message()[7..39], &blob_id().0);
    }

    #[test]
    fn vector_lengths_match_the_contract() {
        assert_eq!(certify_signature().len(), 96);
        assert_eq!(node_0_public_key().len(), 48);
        assert_eq!(certify_message().len(), 3 + 4 + 32 + 1);
        assert_eq!(certify_deletable_message().len(), 3 + 4 + 32 + 1 + 32);
        assert_eq!(invalid_blob_id_message().len(), 3 + 4 + 32);
    }
}
