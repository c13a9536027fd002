//! The publisher's answer to a store, typed, in Walrus's JSON shape: `{"newlyCreated":
//! {"blobObject", "resourceOperation", "cost"}}` or `{"alreadyCertified": {"blobId", "endEpoch",
//! "object"?}}`, and a quilt's `{"blobStoreResult", "storedQuiltBlobs"}`. The daemon answers with
//! these, and `floe store --json` prints them; readers take fields, not keys of untyped JSON.

use floe_chain::floe::blob::Blob;
use floe_encoder::{EncodingType, Epoch};
use serde::{Deserialize, Serialize};

use crate::client::StoreOutcome;

/// What a store did, as the publisher says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StoreAnswer {
    /// A `Blob` object was certified by this store.
    NewlyCreated(NewlyCreated),
    /// The blob was certified already; nothing was paid.
    AlreadyCertified(AlreadyCertified),
}

/// `newlyCreated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewlyCreated {
    /// The certified object.
    pub blob_object: BlobObject,
    /// How its storage was obtained.
    pub resource_operation: ResourceOperation,
    /// WAL (FROST) paid by this store.
    pub cost: u64,
}

/// How a newly certified blob got its storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ResourceOperation {
    /// Bought now.
    #[serde(rename_all = "camelCase")]
    RegisterFromScratch {
        /// The encoded size charged for.
        encoded_length: u64,
        /// Epochs bought.
        epochs_ahead: u32,
    },
    /// An earlier store's registration, certified now (nothing paid now).
    #[serde(rename_all = "camelCase")]
    ReuseRegistration {
        /// The encoded size it was charged for.
        encoded_length: u64,
    },
}

/// `alreadyCertified`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlreadyCertified {
    /// The blob id.
    pub blob_id: String,
    /// The end epoch: of the sender's certified object, or as nodes of f+1 shards report.
    pub end_epoch: Epoch,
    /// The sender's certified `Blob` object, when that is what was found.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub object: Option<String>,
}

/// A `Blob` object (Walrus's `blobObject`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobObject {
    /// The object id.
    pub id: String,
    /// The epoch it was registered in.
    pub registered_epoch: Epoch,
    /// The blob id.
    pub blob_id: String,
    /// The unencoded size.
    pub size: u64,
    /// `RS2`, or the type byte when it is not one floe knows.
    pub encoding_type: String,
    /// The epoch it was certified in.
    pub certified_epoch: Option<Epoch>,
    /// Its storage.
    pub storage: StorageObject,
    /// Whether its owner may delete it.
    pub deletable: bool,
}

/// A `Storage` object, inside a `blobObject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageObject {
    /// The object id.
    pub id: String,
    /// The first epoch covered.
    pub start_epoch: Epoch,
    /// The first epoch no longer covered.
    pub end_epoch: Epoch,
    /// The encoded bytes reserved.
    pub storage_size: u64,
}

impl From<&Blob> for BlobObject {
    fn from(blob: &Blob) -> Self {
        let encoding_type = match EncodingType::from_u8(blob.encoding_type) {
            Ok(EncodingType::RS2) => "RS2".to_owned(),
            _ => blob.encoding_type.to_string(),
        };
        Self {
            id: blob.id.to_string(),
            registered_epoch: blob.registered_epoch,
            blob_id: blob.blob_id.to_string(),
            size: blob.size,
            encoding_type,
            certified_epoch: blob.certified_epoch,
            storage: StorageObject {
                id: blob.storage.id.to_string(),
                start_epoch: blob.storage.start_epoch,
                end_epoch: blob.storage.end_epoch,
                storage_size: blob.storage.storage_size,
            },
            deletable: blob.deletable,
        }
    }
}

impl From<&StoreOutcome> for StoreAnswer {
    fn from(outcome: &StoreOutcome) -> Self {
        match outcome {
            StoreOutcome::NewlyCreated { blob, price, resumed } => {
                let resource_operation = if *resumed {
                    ResourceOperation::ReuseRegistration { encoded_length: price.encoded_length }
                } else {
                    ResourceOperation::RegisterFromScratch {
                        encoded_length: price.encoded_length,
                        epochs_ahead: price.epochs,
                    }
                };
                Self::NewlyCreated(NewlyCreated {
                    blob_object: BlobObject::from(blob),
                    resource_operation,
                    cost: outcome.paid(),
                })
            }
            StoreOutcome::AlreadyCertified { blob_id, end_epoch, object_id } => {
                Self::AlreadyCertified(AlreadyCertified {
                    blob_id: blob_id.to_string(),
                    end_epoch: *end_epoch,
                    object: object_id.map(|id| id.to_string()),
                })
            }
        }
    }
}

/// A quilt's store, as Walrus's publisher answers `PUT /v1/quilts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuiltStoreAnswer {
    /// The quilt blob's store.
    pub blob_store_result: StoreAnswer,
    /// Each file's patch id.
    pub stored_quilt_blobs: Vec<StoredQuiltBlob>,
}

/// One file of a stored quilt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredQuiltBlob {
    /// The file's identifier in the quilt.
    pub identifier: String,
    /// Its quilt patch id.
    pub quilt_patch_id: String,
}

#[cfg(test)]
mod tests {
    use floe_chain::floe::storage::Storage;
    use floe_encoder::BlobId;
    use sui_sdk_types::Address;

    use super::*;
    use crate::chain_ops::Price;

    fn blob() -> Blob {
        Blob {
            id: Address::new([1; 32]),
            registered_epoch: 3,
            blob_id: BlobId([7; 32]),
            size: 1000,
            encoding_type: EncodingType::RS2.as_u8(),
            certified_epoch: Some(4),
            storage: Storage { id: Address::new([2; 32]), start_epoch: 3, end_epoch: 8, storage_size: 66_034_000 },
            deletable: false,
        }
    }

    fn price() -> Price {
        Price { encoded_length: 66_034_000, units: 63, epochs: 5, storage_cost: 315, write_cost: 1000 }
    }

    /// The shapes as the publisher served them when they were built with `json!`: a change to
    /// the wire fails here.
    #[test]
    fn answers_keep_walruss_json_shape() {
        let (blob, price) = (blob(), price());
        let object = serde_json::json!({
            "id": blob.id.to_string(), "registeredEpoch": 3, "blobId": blob.blob_id.to_string(), "size": 1000,
            "encodingType": "RS2", "certifiedEpoch": 4, "deletable": false,
            "storage": { "id": blob.storage.id.to_string(), "startEpoch": 3, "endEpoch": 8, "storageSize": 66_034_000 },
        });
        let created = StoreAnswer::from(&StoreOutcome::NewlyCreated { blob: blob.clone(), price, resumed: false });
        assert_eq!(
            serde_json::to_value(&created).unwrap(),
            serde_json::json!({ "newlyCreated": { "blobObject": object,
                "resourceOperation": { "registerFromScratch": { "encodedLength": 66_034_000, "epochsAhead": 5 } },
                "cost": 1315 } })
        );
        let resumed = StoreAnswer::from(&StoreOutcome::NewlyCreated { blob: blob.clone(), price, resumed: true });
        assert_eq!(
            serde_json::to_value(&resumed).unwrap(),
            serde_json::json!({ "newlyCreated": { "blobObject": object,
                "resourceOperation": { "reuseRegistration": { "encodedLength": 66_034_000 } }, "cost": 0 } })
        );
        let found = StoreOutcome::AlreadyCertified { blob_id: blob.blob_id, end_epoch: 8, object_id: Some(blob.id) };
        assert_eq!(
            serde_json::to_value(StoreAnswer::from(&found)).unwrap(),
            serde_json::json!({ "alreadyCertified": { "blobId": blob.blob_id.to_string(), "endEpoch": 8,
                "object": blob.id.to_string() } })
        );
        let reported = StoreOutcome::AlreadyCertified { blob_id: blob.blob_id, end_epoch: 8, object_id: None };
        let text = serde_json::to_string(&StoreAnswer::from(&reported)).unwrap();
        assert_eq!(text, format!(r#"{{"alreadyCertified":{{"blobId":"{}","endEpoch":8}}}}"#, blob.blob_id));
        // And back: what a client of the publisher parses.
        assert_eq!(serde_json::from_str::<StoreAnswer>(&text).unwrap(), StoreAnswer::from(&reported));
        let created_text = serde_json::to_string(&created).unwrap();
        assert_eq!(serde_json::from_str::<StoreAnswer>(&created_text).unwrap(), created);
    }

    #[test]
    fn an_unknown_encoding_type_is_shown_as_its_byte() {
        let blob = Blob { encoding_type: 9, ..blob() };
        assert_eq!(BlobObject::from(&blob).encoding_type, "9");
    }
}
