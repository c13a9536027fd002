//! Uploads that arrive before their registration (Walrus's optimistic uploads).
//!
//! A client may send a blob's metadata and slivers with `?pending=true` while its
//! `register_blob` transaction is still on its way, instead of after it: the upload then
//! overlaps the transaction and the node's follower catching up with it. The node checks such
//! data exactly as it checks any upload (the metadata against the blob id; each sliver against
//! the metadata and this node's shards), which is most of an upload's cost on the node, and holds
//! it here, in memory, until it sees the registration. Then it is stored as if uploaded at that
//! moment: by the chain follower as it applies the checkpoint, or by the blob's confirmation
//! request if that comes first (the two never store the same blob's data at once, see
//! [`PendingUploads::storing`]).
//!
//! Nothing here is paid for, so it is bounded: at most [`PendingLimits::max_bytes`] of metadata
//! and slivers over all blobs, each blob for at most [`PendingLimits::max_age`] after its
//! metadata arrived. A request that would go beyond the bound is refused
//! ([`PendingError::Full`], 503) and the client uploads after its registration instead. Held
//! data is never evicted to make room, so an answer of 202 stays true for the whole age.
//!
//! The same bound covers sliver batches that came before their blob's metadata and wait for it
//! (`?upload_wait_millis=`, a client sending both at once): such a body cannot be checked yet,
//! and holds its place ([`PendingUploads::wait_with`]) until it is stored or refused.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use floe_encoder::{BlobId, ShardIndex, Sliver, SliverType, metadata::VerifiedBlobMetadata};

use crate::node::Stored;

/// How much a node holds for blobs it has not seen registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingLimits {
    /// Bytes of metadata and slivers held over all blobs.
    pub max_bytes: usize,
    /// How long a blob's data is held, from its metadata's arrival, waiting for the registration.
    pub max_age: Duration,
}

/// The default bound of held bytes: a few small uploads in flight at once, or one of some tens
/// of MiB per node; larger shares are uploaded after the registration.
pub const DEFAULT_PENDING_BYTES: usize = 64 * 1024 * 1024;

/// The default age: a registration normally lands within seconds; a client that never
/// registers leaves nothing behind for long.
pub const DEFAULT_PENDING_AGE: Duration = Duration::from_secs(60);

impl Default for PendingLimits {
    fn default() -> Self {
        Self { max_bytes: DEFAULT_PENDING_BYTES, max_age: DEFAULT_PENDING_AGE }
    }
}

/// Why data for an unregistered blob was not held.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PendingError {
    /// Holding it would go beyond [`PendingLimits::max_bytes`].
    #[error(
        "{needed} more bytes for unregistered blobs would exceed this node's bound of {limit} (holding {held}); upload after the registration"
    )]
    Full {
        /// The bytes the request brings.
        needed: usize,
        /// The bytes held now.
        held: usize,
        /// The bound.
        limit: usize,
    },
    /// Slivers came before the blob's metadata.
    #[error("metadata of blob {0} is not held here: PUT it before its slivers")]
    MetadataFirst(BlobId),
}

/// The data held for one unregistered blob.
#[derive(Debug)]
pub struct HeldBlob {
    /// Its verified metadata.
    pub metadata: Arc<VerifiedBlobMetadata>,
    /// Its checked slivers, by the shard that stores them and their axis.
    pub slivers: BTreeMap<(ShardIndex, SliverType), Sliver>,
    bytes: usize,
    since: Instant,
}

#[derive(Debug, Default)]
struct Held {
    blobs: HashMap<BlobId, HeldBlob>,
    bytes: usize,
}

impl Held {
    /// Forgets the blobs held longer than `max_age`.
    fn expire(&mut self, max_age: Duration, now: Instant) {
        let bytes = &mut self.bytes;
        self.blobs.retain(|blob_id, blob| {
            let keep = now.saturating_duration_since(blob.since) <= max_age;
            if !keep {
                *bytes -= blob.bytes;
                tracing::debug!(%blob_id, bytes = blob.bytes, "data held for an unregistered blob expired");
            }
            keep
        });
    }

    fn reserve(&mut self, needed: usize, limit: usize) -> Result<(), PendingError> {
        if self.bytes.saturating_add(needed) > limit {
            return Err(PendingError::Full { needed, held: self.bytes, limit });
        }
        self.bytes += needed;
        Ok(())
    }
}

/// The metadata and slivers a node holds for blobs it has not seen registered.
#[derive(Debug, Default)]
pub struct PendingUploads {
    limits: PendingLimits,
    held: Mutex<Held>,
    /// Blobs whose held data was taken to be stored (their registration was seen in time).
    taken: AtomicU64,
    /// Taken by whoever moves a blob's held data to the store, for as long as that takes: a
    /// confirmation that finds nothing held for its blob knows the data is in the store, not
    /// half-way there.
    storing: Mutex<()>,
}

impl PendingUploads {
    /// Holding within `limits`.
    pub fn new(limits: PendingLimits) -> Self {
        Self { limits, ..Self::default() }
    }

    /// The limits.
    pub fn limits(&self) -> PendingLimits {
        self.limits
    }

    fn held(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Holds `metadata` (verified against its blob id); `AlreadyPresent` if it is held already.
    pub fn hold_metadata(&self, metadata: Arc<VerifiedBlobMetadata>) -> Result<Stored, PendingError> {
        let now = Instant::now();
        let mut held = self.held();
        held.expire(self.limits.max_age, now);
        let blob_id = *metadata.blob_id();
        if held.blobs.contains_key(&blob_id) {
            return Ok(Stored::AlreadyPresent);
        }
        // Two 32-byte hashes per sliver pair: what the metadata costs in memory.
        let bytes = metadata.metadata().hashes().len() * 64;
        held.reserve(bytes, self.limits.max_bytes)?;
        held.blobs.insert(blob_id, HeldBlob { metadata, slivers: BTreeMap::new(), bytes, since: now });
        Ok(Stored::Held)
    }

    /// The held metadata of `blob_id`.
    pub fn metadata(&self, blob_id: &BlobId) -> Option<Arc<VerifiedBlobMetadata>> {
        self.held().blobs.get(blob_id).map(|blob| blob.metadata.clone())
    }

    /// Holds `slivers` of `blob_id` (checked against its held metadata), all or none; `Held`
    /// if any was new.
    pub fn hold_slivers(&self, blob_id: &BlobId, slivers: Vec<(ShardIndex, Sliver)>) -> Result<Stored, PendingError> {
        let mut held = self.held();
        held.expire(self.limits.max_age, Instant::now());
        let blob = held.blobs.get(blob_id).ok_or(PendingError::MetadataFirst(*blob_id))?;
        let new: Vec<_> = slivers
            .into_iter()
            .filter(|(shard, sliver)| !blob.slivers.contains_key(&(*shard, sliver.axis())))
            .collect();
        if new.is_empty() {
            return Ok(Stored::AlreadyPresent);
        }
        let bytes: usize = new.iter().map(|(_, sliver)| sliver.data().len()).sum();
        held.reserve(bytes, self.limits.max_bytes)?;
        let blob = held.blobs.get_mut(blob_id).expect("looked up above, under the same lock");
        blob.bytes += bytes;
        blob.slivers.extend(new.into_iter().map(|(shard, sliver)| ((shard, sliver.axis()), sliver)));
        Ok(Stored::Held)
    }

    /// Whether anything is held for `blob_id`.
    pub fn holds(&self, blob_id: &BlobId) -> bool {
        self.held().blobs.contains_key(blob_id)
    }

    /// Removes and returns what is held for `blob_id`, to be stored. Call under
    /// [`PendingUploads::storing`].
    pub fn take(&self, blob_id: &BlobId) -> Option<HeldBlob> {
        let mut held = self.held();
        let blob = held.blobs.remove(blob_id)?;
        held.bytes -= blob.bytes;
        self.taken.fetch_add(1, Ordering::Relaxed);
        Some(blob)
    }

    /// Held while a blob's held data moves to the store.
    pub fn storing(&self) -> MutexGuard<'_, ()> {
        self.storing.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Forgets the blobs held longer than the limits allow (also done on every new hold).
    pub fn expire(&self) {
        self.held().expire(self.limits.max_age, Instant::now());
    }

    /// How many blobs' held data was taken to be stored since the node started.
    pub fn blobs_taken(&self) -> u64 {
        self.taken.load(Ordering::Relaxed)
    }

    /// Bytes held now, over all blobs (bodies waiting for their metadata included).
    pub fn held_bytes(&self) -> usize {
        self.held().bytes
    }

    /// A place for a body of `bytes` that waits for its blob's metadata, within the bound of
    /// held bytes; given back when the returned place is dropped.
    pub fn wait_with(&self, bytes: usize) -> Result<WaitingBody<'_>, PendingError> {
        let mut held = self.held();
        held.expire(self.limits.max_age, Instant::now());
        held.reserve(bytes, self.limits.max_bytes)?;
        Ok(WaitingBody { pending: self, bytes })
    }
}

/// A request body's place among the bytes a node holds before it can check them (see
/// [`PendingUploads::wait_with`]).
#[derive(Debug)]
pub struct WaitingBody<'a> {
    pending: &'a PendingUploads,
    bytes: usize,
}

impl Drop for WaitingBody<'_> {
    fn drop(&mut self) {
        self.pending.held().bytes -= self.bytes;
    }
}

#[cfg(test)]
mod tests {
    use floe_encoder::{EncodingConfig, encode, mapping};

    use super::*;

    fn blob(bytes: &[u8]) -> floe_encoder::EncodedBlob {
        encode(&EncodingConfig::new(4).unwrap(), bytes).unwrap()
    }

    fn slivers_of(encoded: &floe_encoder::EncodedBlob) -> Vec<(ShardIndex, Sliver)> {
        let blob_id = encoded.metadata.blob_id();
        encoded
            .pairs
            .iter()
            .flat_map(|pair| {
                let shard = mapping::shard_for_pair(pair.index(), blob_id, 4);
                [(shard, pair.primary.clone()), (shard, pair.secondary.clone())]
            })
            .collect()
    }

    #[test]
    fn slivers_are_held_after_their_metadata_and_counted_once() {
        let pending = PendingUploads::default();
        let encoded = blob(b"held until registered");
        let blob_id = *encoded.metadata.blob_id();
        assert_eq!(
            pending.hold_slivers(&blob_id, slivers_of(&encoded)),
            Err(PendingError::MetadataFirst(blob_id)),
            "slivers need their metadata first"
        );
        assert_eq!(pending.hold_metadata(Arc::new(encoded.metadata.clone())), Ok(Stored::Held));
        assert_eq!(pending.hold_metadata(Arc::new(encoded.metadata.clone())), Ok(Stored::AlreadyPresent));
        let metadata_bytes = pending.held_bytes();
        assert_eq!(metadata_bytes, 4 * 64);
        assert_eq!(pending.hold_slivers(&blob_id, slivers_of(&encoded)), Ok(Stored::Held));
        let sliver_bytes: usize = slivers_of(&encoded).iter().map(|(_, sliver)| sliver.data().len()).sum();
        assert_eq!(pending.held_bytes(), metadata_bytes + sliver_bytes);
        assert_eq!(pending.hold_slivers(&blob_id, slivers_of(&encoded)), Ok(Stored::AlreadyPresent));
        assert_eq!(pending.held_bytes(), metadata_bytes + sliver_bytes, "a sliver sent twice is held once");

        let taken = pending.take(&blob_id).expect("held");
        assert_eq!(taken.slivers.len(), 8);
        assert_eq!(pending.blobs_taken(), 1);
        assert_eq!(pending.held_bytes(), 0);
        assert!(!pending.holds(&blob_id));
    }

    #[test]
    fn beyond_the_bound_a_request_is_refused_whole_and_nothing_held_is_evicted() {
        let first = blob(&[1; 4000]);
        let sliver_bytes: usize = slivers_of(&first).iter().map(|(_, sliver)| sliver.data().len()).sum();
        // Room for two blobs' metadata and one blob's slivers.
        let limit = 2 * 4 * 64 + sliver_bytes;
        let pending = PendingUploads::new(PendingLimits { max_bytes: limit, max_age: Duration::from_secs(60) });
        let second = blob(&[2; 4000]);
        pending.hold_metadata(Arc::new(first.metadata.clone())).unwrap();
        pending.hold_metadata(Arc::new(second.metadata.clone())).unwrap();
        pending.hold_slivers(first.metadata.blob_id(), slivers_of(&first)).unwrap();
        let refused = pending.hold_slivers(second.metadata.blob_id(), slivers_of(&second));
        assert_eq!(refused, Err(PendingError::Full { needed: sliver_bytes, held: limit, limit }));
        assert_eq!(pending.held_bytes(), limit);
        assert_eq!(pending.take(first.metadata.blob_id()).expect("still held").slivers.len(), 8);
        assert!(pending.take(second.metadata.blob_id()).expect("its metadata is held").slivers.is_empty());
    }

    #[test]
    fn a_blob_held_past_its_age_is_forgotten() {
        let pending = PendingUploads::new(PendingLimits { max_bytes: 1 << 20, max_age: Duration::ZERO });
        let encoded = blob(b"never registered");
        pending.hold_metadata(Arc::new(encoded.metadata.clone())).unwrap();
        std::thread::sleep(Duration::from_millis(2));
        pending.expire();
        assert!(!pending.holds(encoded.metadata.blob_id()));
        assert_eq!(pending.held_bytes(), 0);
    }

    #[test]
    fn a_body_waiting_for_its_metadata_holds_its_place_in_the_bound() {
        let pending = PendingUploads::new(PendingLimits { max_bytes: 1000, max_age: Duration::from_secs(60) });
        let first = pending.wait_with(600).unwrap();
        assert_eq!(pending.held_bytes(), 600);
        assert!(
            matches!(pending.wait_with(500), Err(PendingError::Full { needed: 500, held: 600, limit: 1000 })),
            "beyond the bound"
        );
        let second = pending.wait_with(400).unwrap();
        drop(first);
        assert_eq!(pending.held_bytes(), 400, "a place is given back when its body is done");
        drop(second);
        assert_eq!(pending.held_bytes(), 0);
    }
}
