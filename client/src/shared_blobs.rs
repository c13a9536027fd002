//! Shared blobs: a blob's owner gives a certified `Blob` up into a shared `SharedBlob`, which
//! anyone can then fund with WAL and extend, the extensions paid from those funds only (Walrus's
//! `shared_blob`). Every refusal visible on chain (not the owner, not certified, expired, funds
//! short) is made before a transaction is sent, so it costs no gas.

use floe_chain::floe::{FloeEvent, MoveType, ObjectMismatch, SharedObject, pricing, shared_blob::SharedBlob};
use sui_sdk_types::Address;

use crate::chain_ops::{ChainAccess, ChainError, owned};

/// A shared blob as the chain holds it, with what it takes to name it in a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedBlobState {
    /// The `SharedBlob` object, with the wrapped blob and its funds.
    pub shared: SharedBlob,
    /// Its shared-object input.
    pub input: SharedObject,
}

/// What extending a shared blob took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedExtension {
    /// FROST paid from the shared blob's funds.
    pub cost: u64,
    /// The blob's new end epoch.
    pub end_epoch: u32,
    /// The funds left, in FROST.
    pub funds_left: u64,
}

impl ChainAccess {
    /// The `SharedBlob` object `id`, refused with [`ChainError::NotASharedBlob`] when it is
    /// something else.
    pub async fn shared_blob(&self, id: Address) -> Result<SharedBlobState, ChainError> {
        let object = self.client().get_object(id).await?;
        let not_shared_blob = |reason: ObjectMismatch| ChainError::NotASharedBlob { id, reason };
        let shared = SharedBlob::from_object(&self.deployment().packages, &object).map_err(not_shared_blob)?;
        let input = SharedObject::from_object(&object).map_err(|error| not_shared_blob(error.into()))?;
        Ok(SharedBlobState { shared, input })
    }

    /// Shares the signer's certified, unexpired blob `id` (`shared_blob::new`, or `new_funded`
    /// with `funds` FROST of the signer's WAL when `funds > 0`). Returns the `SharedBlob` id.
    pub async fn share_blob(&self, id: Address, funds: u64) -> Result<Address, ChainError> {
        let (blob, reference) = self.blob(id).await?;
        self.owned_by_signer(id).await?;
        if !blob.is_certified() {
            return Err(ChainError::NotShareable {
                id,
                reason: "it is not certified, and nobody could certify it once shared".into(),
            });
        }
        let epoch = self.system().await?.epoch();
        if blob.end_epoch() <= epoch {
            return Err(ChainError::NotShareable {
                id,
                reason: format!("it expired at epoch {} (now {epoch}) and can no longer be extended", blob.end_epoch()),
            });
        }
        let mut builder = self.builder().await?;
        let blob = owned(&mut builder, &reference);
        if funds == 0 {
            self.calls.share_blob(&mut builder, blob);
        } else {
            let payment = self.wal_payment(&mut builder, funds).await?;
            self.calls.share_blob_funded(&mut builder, blob, payment);
        }
        let executed = self.execute(builder).await?;
        let packages = &self.deployment().packages;
        executed
            .events
            .iter()
            .find_map(|event| match FloeEvent::from_event(packages, event) {
                Ok(FloeEvent::BlobShared(shared)) => Some(shared.object_id),
                _ => None,
            })
            .ok_or(ChainError::MissingEvent { digest: executed.digest, event: "BlobShared" })
    }

    /// Adds `amount` FROST of the signer's WAL to shared blob `id`; returns its funds after.
    pub async fn fund_shared_blob(&self, id: Address, amount: u64) -> Result<u64, ChainError> {
        if amount == 0 {
            return Err(ChainError::ZeroFunding(id));
        }
        let state = self.shared_blob(id).await?;
        let mut builder = self.builder().await?;
        let payment = self.wal_payment(&mut builder, amount).await?;
        self.calls.fund_shared_blob(&mut builder, &state.input, payment);
        self.execute(builder).await?;
        Ok(state.shared.funds.saturating_add(amount))
    }

    /// Extends shared blob `id` by `epochs`, paid from its funds (the signer pays only gas).
    /// Refused before sending when the blob has expired or the funds fall short.
    pub async fn extend_shared_blob(&self, id: Address, epochs: u32) -> Result<SharedExtension, ChainError> {
        let state = self.shared_blob(id).await?;
        let system = self.system().await?;
        let blob = &state.shared.blob;
        if blob.end_epoch() <= system.epoch() {
            return Err(ChainError::NotShareable {
                id,
                reason: format!("its blob expired at epoch {} (now {})", blob.end_epoch(), system.epoch()),
            });
        }
        // What `shared_blob::extend` checks the funds for.
        let cost = pricing::storage_price(blob.storage.storage_size, system.storage_price_per_unit_size, epochs)?;
        if state.shared.funds < cost {
            return Err(ChainError::SharedBlobUnderfunded { id, funds: state.shared.funds, cost, epochs });
        }
        let mut builder = self.builder().await?;
        self.calls.extend_shared_blob(&mut builder, &state.input, epochs);
        self.execute(builder).await?;
        Ok(SharedExtension { cost, end_epoch: blob.end_epoch() + epochs, funds_left: state.shared.funds - cost })
    }
}
