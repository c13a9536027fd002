//! Shared blobs (`floe::shared_blob`): a certified blob given up by its owner into a shared
//! object with a WAL balance, which anyone may fund and spend on extending the blob.

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::blob::Blob;
use super::move_type::move_types;

/// `floe::shared_blob::SharedBlob`: the wrapped blob and the WAL that pays its extensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedBlob {
    /// The shared object's UID.
    pub id: Address,
    /// The blob, wrapped: it keeps its own object id.
    pub blob: Blob,
    /// `Balance<WAL>`: FROST available for extensions.
    pub funds: u64,
}

move_types!(Floe;
    "shared_blob" => SharedBlob,
);

#[cfg(test)]
mod tests {
    use floe_encoder::BlobId;

    use super::*;
    use crate::floe::move_type::assert_bcs_round_trip;
    use crate::floe::storage::Storage;

    #[test]
    fn shared_blob_bytes_are_id_blob_then_the_balance() {
        let blob = Blob {
            id: Address::new([0x0b; 32]),
            registered_epoch: 1,
            blob_id: BlobId([0xa4; 32]),
            size: 1000,
            encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
            certified_epoch: Some(1),
            storage: Storage { id: Address::new([0x5a; 32]), start_epoch: 1, end_epoch: 4, storage_size: 10_680 },
            deletable: false,
        };
        let shared = SharedBlob { id: Address::new([0x5b; 32]), blob: blob.clone(), funds: 0x0201 };
        let bytes = assert_bcs_round_trip(&shared);
        let mut expected = vec![0x5b; 32];
        expected.extend(bcs::to_bytes(&blob).unwrap());
        expected.extend(0x0201u64.to_le_bytes());
        assert_eq!(bytes, expected);
    }
}
