//! Which of its `Blob` objects hold a blob id, for the key's own stores, without listing every
//! `Blob` the key owns on every store.
//!
//! Before paying, a store looks for a `Blob` of the same blob id the sender owns, to reuse a
//! certified one or resume a registration (see [`FloeClient::store`](crate::FloeClient::store)).
//! The chain indexes owned objects by type, not by field, so finding it means listing every `Blob`
//! the key owns: a cost that grows with everything the key ever stored and kept (a publisher that
//! keeps its objects would list all of them for each store). So the client lists them once,
//! remembers which object ids hold which blob id, adds each registration it makes itself, and
//! lists again once the listing is [`RELIST_AFTER`] old. The ids it remembers are only
//! candidates: each is read again from the chain before a store relies on it, so an object
//! deleted, transferred away or certified since is seen as it is now.
//!
//! What a listing cannot know is a `Blob` the key gained after it by other means (a transfer to
//! the key, or a registration by another process signing with the same key). Until the next
//! listing a store of that blob id pays for a registration of its own rather than resuming or
//! reusing that object; nothing is lost but that payment.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use floe_chain::floe::blob::Blob;
use floe_encoder::BlobId;
use sui_sdk_types::Address;

/// How long a listing of the key's `Blob` objects is trusted, for objects gained by other means.
pub(crate) const RELIST_AFTER: Duration = Duration::from_secs(600);

/// The key's `Blob` objects by blob id, as last listed plus its own registrations since.
#[derive(Debug)]
pub(crate) struct OwnedBlobs {
    relist_after: Duration,
    listing: tokio::sync::Mutex<Option<Listing>>,
}

impl Default for OwnedBlobs {
    fn default() -> Self {
        Self::relisting_after(RELIST_AFTER)
    }
}

#[derive(Debug)]
struct Listing {
    owner: Address,
    listed_at: Instant,
    by_blob_id: HashMap<BlobId, Vec<Address>>,
}

impl OwnedBlobs {
    /// No objects known yet; a listing is trusted for `relist_after`.
    pub(crate) fn relisting_after(relist_after: Duration) -> Self {
        Self { relist_after, listing: tokio::sync::Mutex::new(None) }
    }

    /// The objects that may hold `blob_id` among `owner`'s `Blob`s; `list` lists them all when
    /// there is no listing of `owner` young enough. Concurrent callers share one listing.
    pub(crate) async fn candidates<E, Fut>(
        &self,
        owner: Address,
        blob_id: &BlobId,
        list: impl FnOnce() -> Fut,
    ) -> Result<Vec<Address>, E>
    where
        Fut: Future<Output = Result<Vec<Blob>, E>>,
    {
        let mut listing = self.listing.lock().await;
        let fresh = listing
            .as_ref()
            .is_some_and(|listed| listed.owner == owner && listed.listed_at.elapsed() < self.relist_after);
        if !fresh {
            let listed_at = Instant::now();
            let mut by_blob_id: HashMap<BlobId, Vec<Address>> = HashMap::new();
            for blob in list().await? {
                by_blob_id.entry(blob.blob_id).or_default().push(blob.id);
            }
            *listing = Some(Listing { owner, listed_at, by_blob_id });
        }
        Ok(listing.as_ref().and_then(|listed| listed.by_blob_id.get(blob_id)).cloned().unwrap_or_default())
    }

    /// Object `id`, of blob `blob_id`, was registered for `owner`. Without a listing of `owner`
    /// nothing is recorded: the next listing finds it.
    pub(crate) async fn registered(&self, owner: Address, blob_id: BlobId, id: Address) {
        let mut listing = self.listing.lock().await;
        if let Some(listed) = listing.as_mut().filter(|listed| listed.owner == owner) {
            let ids = listed.by_blob_id.entry(blob_id).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use floe_chain::floe::storage::Storage;

    use super::*;

    fn blob(id: u8, blob_id: u8) -> Blob {
        Blob {
            id: Address::new([id; 32]),
            registered_epoch: 1,
            blob_id: BlobId([blob_id; 32]),
            size: 10,
            encoding_type: 1,
            certified_epoch: None,
            storage: Storage { id: Address::new([id ^ 0xff; 32]), start_epoch: 1, end_epoch: 2, storage_size: 100 },
            deletable: true,
        }
    }

    #[tokio::test]
    async fn one_listing_serves_every_blob_id_and_the_keys_own_registrations_are_added_to_it() {
        let owned = OwnedBlobs::default();
        let (alice, bob) = (Address::new([0xa; 32]), Address::new([0xb; 32]));
        let listings = AtomicUsize::new(0);
        let list = |blobs: Vec<Blob>| {
            listings.fetch_add(1, Ordering::SeqCst);
            async move { Ok::<_, ()>(blobs) }
        };
        // Registered before any listing: nothing to add to, the listing finds it.
        owned.registered(alice, BlobId([9; 32]), Address::new([9; 32])).await;
        let found = owned.candidates(alice, &BlobId([1; 32]), || list(vec![blob(1, 1), blob(2, 1), blob(3, 2)])).await;
        assert_eq!(found, Ok(vec![Address::new([1; 32]), Address::new([2; 32])]));
        let found = owned.candidates(alice, &BlobId([2; 32]), || list(vec![])).await;
        assert_eq!(found, Ok(vec![Address::new([3; 32])]));
        assert_eq!(owned.candidates(alice, &BlobId([9; 32]), || list(vec![])).await, Ok(vec![]));
        assert_eq!(listings.load(Ordering::SeqCst), 1, "the listing was not reused");

        // The key's own registration is a candidate at once, recorded once however often told.
        for _ in 0..2 {
            owned.registered(alice, BlobId([2; 32]), Address::new([4; 32])).await;
        }
        let found = owned.candidates(alice, &BlobId([2; 32]), || list(vec![])).await;
        assert_eq!(found, Ok(vec![Address::new([3; 32]), Address::new([4; 32])]));
        // Another owner's registration does not land in alice's listing; bob gets his own listing.
        owned.registered(bob, BlobId([1; 32]), Address::new([5; 32])).await;
        assert_eq!(
            owned.candidates(bob, &BlobId([1; 32]), || list(vec![blob(6, 1)])).await,
            Ok(vec![Address::new([6; 32])])
        );
        assert_eq!(listings.load(Ordering::SeqCst), 2);
        // A failed listing is an error, and the next call lists again.
        assert_eq!(owned.candidates(alice, &BlobId([1; 32]), || async { Err::<Vec<Blob>, _>(()) }).await, Err(()));
        assert_eq!(
            owned.candidates(alice, &BlobId([1; 32]), || list(vec![blob(7, 1)])).await,
            Ok(vec![Address::new([7; 32])])
        );
    }

    #[tokio::test]
    async fn a_listing_older_than_the_bound_is_made_again() {
        let owned = OwnedBlobs::relisting_after(Duration::ZERO);
        let alice = Address::new([0xa; 32]);
        let first = owned.candidates(alice, &BlobId([1; 32]), || async { Ok::<_, ()>(vec![blob(1, 1)]) }).await;
        assert_eq!(first, Ok(vec![Address::new([1; 32])]));
        let again = owned.candidates(alice, &BlobId([1; 32]), || async { Ok::<_, ()>(vec![blob(2, 1)]) }).await;
        assert_eq!(again, Ok(vec![Address::new([2; 32])]));
    }
}
