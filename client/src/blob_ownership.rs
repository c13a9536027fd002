//! What a `Blob`'s owner does with the object itself, beyond storing, deleting and extending:
//! burning it (one, or every expired one at once) and removing an attribute. Each refusal that
//! can be seen from the chain's state is made before a transaction is sent, so it costs no gas.

use floe_chain::floe::{MoveType, blob::Blob};
use sui_sdk_types::{Address, ObjectData, ObjectReference};

use crate::chain_ops::{ChainAccess, ChainError, owned};

/// How many blobs one transaction burns: well within Sui's limits on a transaction's inputs
/// (2,048 objects) and commands (1,024), and small enough for the default gas budget.
pub const BURNS_PER_TRANSACTION: usize = 200;

/// What burning every expired blob did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BurntBlobs {
    /// The burnt `Blob` objects, in the order they were burnt.
    pub object_ids: Vec<Address>,
    /// Transactions sent.
    pub transactions: usize,
    /// The epoch the blobs had reached their end in.
    pub epoch: u32,
}

impl ChainAccess {
    /// Burns the signer's `Blob` `id` at any time, expired or not, certified or not
    /// (`blob::burn`): its storage is not refunded. Refused before sending when `id` is not a
    /// floe `Blob` the signer owns.
    pub async fn burn(&self, id: Address) -> Result<(), ChainError> {
        let reference = self.signer_owned_blob(id).await?;
        let mut builder = self.builder().await?;
        let blob = owned(&mut builder, &reference);
        self.calls.burn_blob(&mut builder, blob);
        self.execute(builder).await.map(drop)
    }

    /// Burns every `Blob` of the signer whose end epoch has come, [`BURNS_PER_TRANSACTION`] per
    /// transaction. Stops at the first failed transaction (the blobs of the ones before are
    /// burnt).
    pub async fn burn_all_expired(&self) -> Result<BurntBlobs, ChainError> {
        let sender = self.signer()?.address();
        let epoch = self.system().await?.epoch();
        let expired: Vec<ObjectReference> = self
            .blob_references(sender)
            .await?
            .into_iter()
            .filter(|(blob, _)| blob.storage.end_epoch <= epoch)
            .map(|(_, reference)| reference)
            .collect();
        let mut burnt = BurntBlobs { epoch, ..BurntBlobs::default() };
        for batch in expired.chunks(BURNS_PER_TRANSACTION) {
            let mut builder = self.builder().await?;
            for reference in batch {
                let blob = owned(&mut builder, reference);
                self.calls.burn_blob(&mut builder, blob);
            }
            self.execute(builder).await?;
            burnt.transactions += 1;
            burnt.object_ids.extend(batch.iter().map(|reference| *reference.object_id()));
        }
        Ok(burnt)
    }

    /// Removes attribute `key` of the signer's blob `id` and returns its value. Refused before
    /// sending when the blob has no such attribute, naming those it has.
    pub async fn remove_attribute(&self, id: Address, key: &str) -> Result<String, ChainError> {
        let reference = self.signer_owned_blob(id).await?;
        let attributes = self.attributes(id).await?;
        let Some((_, value)) = attributes.iter().find(|(name, _)| name == key) else {
            return Err(ChainError::NoSuchAttribute {
                id,
                key: key.to_owned(),
                present: attributes.into_iter().map(|(name, _)| name).collect(),
            });
        };
        let mut builder = self.builder().await?;
        let blob = owned(&mut builder, &reference);
        self.calls.remove_attribute(&mut builder, blob, key);
        self.execute(builder).await?;
        Ok(value.clone())
    }

    /// The current reference of `id`, checked to be a floe `Blob` the signer owns.
    async fn signer_owned_blob(&self, id: Address) -> Result<ObjectReference, ChainError> {
        let (_, reference) = self.blob(id).await?;
        self.owned_by_signer(id).await?;
        Ok(reference)
    }

    /// Every `Blob` `owner` owns, with its current reference.
    async fn blob_references(&self, owner: Address) -> Result<Vec<(Blob, ObjectReference)>, ChainError> {
        let tag = <Blob as MoveType>::struct_tag(&self.deployment().packages);
        let objects = self.client().owned_objects(owner, Some(&tag)).await?;
        Ok(objects
            .iter()
            .filter_map(|object| match object.data() {
                ObjectData::Struct(data) => {
                    let blob: Blob = bcs::from_bytes(data.contents()).ok()?;
                    Some((blob, ObjectReference::new(object.object_id(), object.version(), object.digest())))
                }
                ObjectData::Package(_) => None,
            })
            .collect())
    }
}
