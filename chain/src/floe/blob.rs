//! Registered blobs and their attributes (`floe::blob`).

use floe_encoder::BlobId;
use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::framework::{DynamicField, VecMap};
use super::move_type::move_types;
use super::storage::Storage;

/// `floe::blob::Blob`: a blob registered (and maybe certified) on chain, owning the storage
/// that keeps it available until `storage.end_epoch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob {
    /// The object's UID.
    pub id: Address,
    /// The epoch the blob was registered in.
    pub registered_epoch: u32,
    /// The blob id (`u256`, little-endian bytes).
    pub blob_id: BlobId,
    /// The unencoded size in bytes.
    pub size: u64,
    /// The encoding type byte (1 = RS2, the only one the contract accepts).
    pub encoding_type: u8,
    /// The epoch the blob was certified in, if it is.
    pub certified_epoch: Option<u32>,
    /// The storage backing the blob.
    pub storage: Storage,
    /// Whether the owner may delete the blob before its end epoch.
    pub deletable: bool,
}

impl Blob {
    /// The first epoch the blob is no longer stored.
    pub fn end_epoch(&self) -> u32 {
        self.storage.end_epoch
    }

    /// Whether a quorum certified the blob.
    pub fn is_certified(&self) -> bool {
        self.certified_epoch.is_some()
    }
}

/// `floe::blob::BlobIdDerivation`: the BCS whose Blake2b-256 is the blob id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobIdDerivation {
    /// The encoding type byte.
    pub encoding_type: u8,
    /// The unencoded size.
    pub size: u64,
    /// The Merkle root over the sliver pairs (`u256`, little-endian bytes).
    pub root_hash: [u8; 32],
}

move_types!(Floe;
    "blob" => Blob,
    "blob" => BlobIdDerivation,
);

/// The name of the dynamic field holding a blob's attributes (`vector<u8>` `b"attributes"`).
pub const ATTRIBUTES_FIELD_NAME: &[u8] = b"attributes";

/// A blob's attributes: the value of its `b"attributes"` dynamic field.
pub type BlobAttributes = VecMap<String, String>;

/// The dynamic-field object holding a blob's attributes
/// (`0x2::dynamic_field::Field<vector<u8>, VecMap<String, String>>`).
pub type BlobAttributesField = DynamicField<Vec<u8>, BlobAttributes>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floe::move_type::assert_bcs_round_trip;

    fn blob(certified_epoch: Option<u32>) -> Blob {
        let mut blob_id = [0u8; 32];
        blob_id[0] = 0xa4;
        blob_id[31] = 0x6a;
        Blob {
            id: Address::new([0x0b; 32]),
            registered_epoch: 3,
            blob_id: BlobId(blob_id),
            size: 1000,
            encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
            certified_epoch,
            storage: Storage { id: Address::new([0x5a; 32]), start_epoch: 3, end_epoch: 5, storage_size: 1 << 20 },
            deletable: true,
        }
    }

    #[test]
    fn blob_bytes_follow_the_move_field_order() {
        let blob = blob(Some(4));
        let bytes = assert_bcs_round_trip(&blob);
        let mut expected = vec![0x0b; 32];
        expected.extend(3u32.to_le_bytes());
        expected.extend(blob.blob_id.0); // u256: 32 little-endian bytes, no length prefix
        expected.extend(1000u64.to_le_bytes());
        expected.push(1);
        expected.extend([1, 4, 0, 0, 0]); // Some(4u32)
        expected.extend([0x5a; 32]);
        expected.extend(3u32.to_le_bytes());
        expected.extend(5u32.to_le_bytes());
        expected.extend((1u64 << 20).to_le_bytes());
        expected.push(1);
        assert_eq!(bytes, expected);
        assert_eq!(blob.end_epoch(), 5);
        assert!(blob.is_certified());
    }

    #[test]
    fn uncertified_blob_has_a_none_byte() {
        let bytes = assert_bcs_round_trip(&blob(None));
        assert_eq!(bytes[32 + 4 + 32 + 8 + 1], 0);
        assert!(!blob(None).is_certified());
    }

    #[test]
    fn derivation_bytes_are_type_size_root() {
        let derivation =
            BlobIdDerivation { encoding_type: floe_encoder::EncodingType::RS2.as_u8(), size: 1000, root_hash: [7; 32] };
        let bytes = assert_bcs_round_trip(&derivation);
        let mut expected = vec![1];
        expected.extend(1000u64.to_le_bytes());
        expected.extend([7; 32]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn attributes_field_round_trips() {
        let field = BlobAttributesField {
            id: Address::new([1; 32]),
            name: ATTRIBUTES_FIELD_NAME.to_vec(),
            value: [("content-type".to_owned(), "text/plain".to_owned())].into_iter().collect(),
        };
        let bytes = assert_bcs_round_trip(&field);
        assert_eq!(&bytes[32..43], b"\x0aattributes");
        assert_eq!(field.value.get(&"content-type".to_owned()).map(String::as_str), Some("text/plain"));
    }
}
