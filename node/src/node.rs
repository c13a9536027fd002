//! The storage node's request logic, independent of HTTP: what it accepts, checks, stores, signs
//! and serves. Every method is synchronous (redb and the encoder are blocking work); the HTTP
//! layer runs them on tokio's blocking pool.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;

use floe_encoder::{
    BlobId, EncodingConfig, Epoch, ShardIndex, Sliver, SliverIndex, SliverPairIndex, SliverType,
    bls::{BlsPublicKey, BlsSecretKey},
    inconsistency::InconsistencyProof,
    mapping,
    messages::{
        BlobPersistence, ChallengeOutcomeMessage, InvalidBlobIdMessage, SignedMessage, StorageConfirmation,
        SyncShardRequest,
    },
    metadata::{BlobMetadata, VerifiedBlobMetadata},
    recovery::{self, RecoverySymbol},
};
use floe_node_api::{BlobStatus, SliverBatch};

use crate::{
    blob_info::BlobInfo,
    chain_view::{ChainView, Committee},
    error::{MissingSliver, NodeError},
    foreground::Foreground,
    integrity::Integrity,
    limits,
    pending::{PendingLimits, PendingUploads},
    recent_metadata::RecentMetadata,
    store::{Commit, Store, StoreError},
    stored_metadata, stored_sliver,
    upload_activity::UploadActivity,
};

/// Whether a write stored something new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Stored now (HTTP 201).
    New,
    /// It was already stored (HTTP 200).
    AlreadyPresent,
    /// Checked and held until the node sees the blob's registration (HTTP 202; see
    /// [`crate::pending`]).
    Held,
}

/// The node's state as `GET /v1/health` reports it (a wire type, defined by floe-node-api).
pub use floe_node_api::Health;

/// A storage node: its store, its view of the chain and its signing key.
#[derive(Debug)]
pub struct StorageNode {
    chain: Arc<dyn ChainView>,
    store: Store,
    key: BlsSecretKey,
    started: Instant,
    integrity: Integrity,
    /// Metadata verified lately, so the slivers of an upload do not each verify it again.
    recent_metadata: RecentMetadata,
    /// Uploads checked before their registration was seen, held until it is.
    pending: PendingUploads,
    /// When each upload under way last brought data, for the recovery duty to wait on.
    uploads: UploadActivity,
    /// When the API last served a request for data, for background work to give way to.
    foreground: Foreground,
}

impl StorageNode {
    /// A node signing with `key`, storing in `store`, seeing the chain through `chain`.
    pub fn new(chain: Arc<dyn ChainView>, store: Store, key: BlsSecretKey) -> Self {
        Self {
            chain,
            store,
            key,
            started: Instant::now(),
            integrity: Integrity::default(),
            recent_metadata: RecentMetadata::default(),
            pending: PendingUploads::default(),
            uploads: UploadActivity::default(),
            foreground: Foreground::default(),
        }
    }

    /// The node holding at most `limits` of uploads that come before their registration.
    pub fn with_pending_limits(mut self, limits: PendingLimits) -> Self {
        self.pending = PendingUploads::new(limits);
        self
    }

    /// When the API last served a request for data (see [`crate::foreground`]).
    pub fn foreground(&self) -> &Foreground {
        &self.foreground
    }

    /// The uploads held until their registration is seen.
    pub fn pending(&self) -> &PendingUploads {
        &self.pending
    }

    /// How much longer until `blob_id`'s upload to this node, if one is under way (it brought
    /// data and the node has not confirmed since), has brought nothing for `quiet`; `None` if
    /// there is nothing to wait for (see [`crate::upload_activity`]).
    pub fn upload_wait(&self, blob_id: &BlobId, quiet: Duration) -> Option<Duration> {
        self.uploads.wait_for_quiet(blob_id, quiet)
    }

    /// A receiver woken each time an upload brings `blob_id`'s data to this node (see
    /// [`crate::upload_activity::UploadActivity::arrivals`]).
    pub fn upload_arrivals(&self, blob_id: &BlobId) -> tokio::sync::watch::Receiver<()> {
        self.uploads.arrivals(blob_id)
    }

    /// The node's self-check counters and its repair hook.
    pub fn integrity(&self) -> &Integrity {
        &self.integrity
    }

    /// The sliver `shard` stores, if it is intact. A damaged one is set aside (see
    /// [`Self::set_aside_sliver`]) and reads as missing.
    pub(crate) fn read_sliver(
        &self,
        shard: ShardIndex,
        axis: SliverType,
        blob_id: &BlobId,
    ) -> Result<Option<Sliver>, NodeError> {
        self.intact(shard, axis, blob_id, self.store.sliver(shard, axis, blob_id))
    }

    /// What a read of a stored sliver gave, with a damaged one set aside (see
    /// [`Self::set_aside_sliver`]) and read as missing.
    fn intact<T>(
        &self,
        shard: ShardIndex,
        axis: SliverType,
        blob_id: &BlobId,
        read: Result<Option<T>, StoreError>,
    ) -> Result<Option<T>, NodeError> {
        match read {
            Ok(found) => Ok(found),
            Err(StoreError::DamagedSliver { damage, .. }) => {
                let still_damaged = |record: &[u8]| stored_sliver::open(axis, record).is_err();
                self.set_aside_sliver(shard, axis, blob_id, &damage, still_damaged)?;
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Removes a sliver the node cannot vouch for (if `still_damaged` holds for what is stored
    /// now), logs it and asks for its repair: from now on it is missing, as if never received.
    pub(crate) fn set_aside_sliver(
        &self,
        shard: ShardIndex,
        axis: SliverType,
        blob_id: &BlobId,
        reason: &dyn std::error::Error,
        still_damaged: impl Fn(&[u8]) -> bool,
    ) -> Result<(), NodeError> {
        if self.store.remove_damaged_sliver(shard, axis, blob_id, still_damaged)? {
            tracing::warn!(%blob_id, %shard, %axis, %reason, "damaged sliver removed; it is repaired by recovery");
            self.integrity.found_damage(*blob_id, Some((shard, axis)));
        }
        Ok(())
    }

    /// The node's BLS public key.
    pub fn public_key(&self) -> BlsPublicKey {
        self.key.public_key()
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The chain view.
    pub fn chain(&self) -> &Arc<dyn ChainView> {
        &self.chain
    }

    /// The current committee and the encoding parameters of its shard count.
    pub fn committee(&self) -> (Arc<Committee>, EncodingConfig) {
        let committee = self.chain.committee();
        let config = committee.encoding_config();
        (committee, config)
    }

    /// The shards this node holds in the current epoch.
    pub fn owned_shards(&self) -> Vec<ShardIndex> {
        self.chain.committee().shards_of(&self.key.public_key())
    }

    /// The chain's state of a blob that must be live (registered, not expired, not invalid).
    fn registered(&self, blob_id: &BlobId) -> Result<BlobInfo, NodeError> {
        let epoch = self.chain.current_epoch();
        let info = self.chain.blob_info(blob_id).ok_or(NodeError::NotRegistered {
            blob_id: *blob_id,
            epoch,
            reason: "no Blob object was ever registered for it",
        })?;
        if info.invalid {
            return Err(NodeError::Invalid(*blob_id));
        }
        if !info.is_registered(epoch) {
            return Err(NodeError::NotRegistered {
                blob_id: *blob_id,
                epoch,
                reason: "every registration has expired or was deleted",
            });
        }
        Ok(info)
    }

    /// Whether `blob_id` is registered and live (with `persistence`, if given) in the current epoch.
    pub fn is_registered(&self, blob_id: &BlobId, persistence: Option<&BlobPersistence>) -> bool {
        let epoch = self.chain.current_epoch();
        self.chain.blob_info(blob_id).is_some_and(|info| match persistence {
            Some(persistence) => info.is_registered_as(persistence, epoch),
            None => info.is_registered(epoch),
        })
    }

    /// Refuses a blob the chain proved inconsistently encoded.
    fn not_invalid(&self, blob_id: &BlobId) -> Result<(), NodeError> {
        match self.chain.blob_info(blob_id) {
            Some(info) if info.invalid => Err(NodeError::Invalid(*blob_id)),
            _ => Ok(()),
        }
    }

    /// `body` (BCS metadata), verified against `blob_id` for the committee's shard count.
    fn verify_metadata(&self, blob_id: &BlobId, body: &[u8]) -> Result<VerifiedBlobMetadata, NodeError> {
        let (_, config) = self.committee();
        let metadata = BlobMetadata::from_bcs(body).map_err(NodeError::MalformedMetadata)?;
        metadata.verify(&config, blob_id).map_err(|source| NodeError::WrongMetadata { blob_id: *blob_id, source })
    }

    /// Checks `body` (BCS metadata) against `blob_id` and stores it.
    pub fn store_metadata(&self, blob_id: &BlobId, body: &[u8]) -> Result<Stored, NodeError> {
        let info = self.registered(blob_id)?;
        let verified = self.verify_metadata(blob_id, body)?;
        let stored = self.keep_metadata(blob_id, &info, Arc::new(verified))?;
        self.uploads.touch(blob_id);
        Ok(if stored { Stored::New } else { Stored::AlreadyPresent })
    }

    /// Writes the verified metadata of live blob `blob_id` (chain state `info`), uploaded or held
    /// until its registration; whether it was new.
    fn keep_metadata(
        &self,
        blob_id: &BlobId,
        info: &BlobInfo,
        verified: Arc<VerifiedBlobMetadata>,
    ) -> Result<bool, NodeError> {
        // The chain state with the metadata: garbage collection finds data through it. Made
        // durable before the node confirms (see `confirmation`).
        let stored = self.store.put_blob_info_and_metadata(blob_id, info, verified.metadata(), Commit::Deferred)?;
        self.recent_metadata.insert(verified);
        Ok(stored)
    }

    /// Writes checked slivers of `blob_id` (each with its shard), uploaded or held until the
    /// registration, in one transaction; how many were new.
    fn keep_slivers(&self, blob_id: &BlobId, slivers: &[(ShardIndex, Sliver)]) -> Result<usize, NodeError> {
        // Made durable before the node confirms (see `confirmation`).
        let inserted = self.store.put_slivers_with(blob_id, slivers, Commit::Deferred)?;
        self.integrity.stored(*blob_id, slivers.iter().map(|(shard, sliver)| (*shard, sliver.axis())));
        Ok(inserted)
    }

    /// The verified metadata to check `blob_id`'s slivers against: a recently verified one, or
    /// the stored one, verified now (see [`crate::recent_metadata`]).
    fn metadata_for_slivers(&self, blob_id: &BlobId) -> Result<Arc<VerifiedBlobMetadata>, NodeError> {
        if let Some(metadata) = self.recent_metadata.get(blob_id) {
            return Ok(metadata);
        }
        let metadata = Arc::new(self.metadata(blob_id)?);
        self.recent_metadata.insert(metadata.clone());
        Ok(metadata)
    }

    /// The stored metadata, verified: its record's digest (of the blob id and the bytes, written
    /// when the metadata was verified and stored) and the committee's checks
    /// ([`stored_metadata::open`]; the disk is not trusted blindly). A record that fails them is
    /// set aside like a damaged sliver and reads as not stored.
    pub fn metadata(&self, blob_id: &BlobId) -> Result<VerifiedBlobMetadata, NodeError> {
        let (_, config) = self.committee();
        let not_stored = || NodeError::NotStored { what: "metadata".into(), blob_id: *blob_id };
        let record = self.store.metadata_record(blob_id)?.ok_or_else(not_stored)?;
        match stored_metadata::open(&config, blob_id, &record) {
            Ok(verified) => Ok(verified),
            Err(reason) => {
                if self.store.remove_damaged_metadata(blob_id, &record)? {
                    tracing::warn!(%blob_id, %reason, "damaged metadata removed; it is repaired by recovery");
                    self.integrity.found_damage(*blob_id, None);
                }
                Err(not_stored())
            }
        }
    }

    fn check_pair(&self, pair: SliverPairIndex, n_shards: u16) -> Result<(), NodeError> {
        if pair.0 >= n_shards { Err(NodeError::PairOutOfRange { pair, n_shards }) } else { Ok(()) }
    }

    /// Checks `body` (a BCS sliver of `axis`) for pair `pair` of `blob_id` and stores it in the
    /// shard the pair maps to, which this node must hold.
    pub fn store_sliver(
        &self,
        blob_id: &BlobId,
        pair: SliverPairIndex,
        axis: SliverType,
        body: &[u8],
    ) -> Result<Stored, NodeError> {
        let upload = self.sliver_upload(blob_id)?;
        let (shard, sliver) = upload.check(blob_id, pair, axis, || Sliver::from_bcs(axis, body))?;
        // Made durable before the node confirms (see `confirmation`).
        let stored = self.store.put_sliver_with(shard, blob_id, &sliver, Commit::Deferred)?;
        self.integrity.stored(*blob_id, [(shard, axis)]);
        self.uploads.touch(blob_id);
        Ok(if stored { Stored::New } else { Stored::AlreadyPresent })
    }

    /// Checks every sliver of `batch` (all of `blob_id`) as [`StorageNode::store_sliver`] checks
    /// one and, if all pass, stores them in one database transaction; one that fails refuses the
    /// whole batch, naming it (an honest client never sends one). `New` if any was new here.
    pub fn store_slivers(&self, blob_id: &BlobId, batch: SliverBatch) -> Result<Stored, NodeError> {
        let checked = self.sliver_upload(blob_id)?.check_batch(blob_id, batch)?;
        let inserted = self.keep_slivers(blob_id, &checked)?;
        self.uploads.touch(blob_id);
        Ok(if inserted > 0 { Stored::New } else { Stored::AlreadyPresent })
    }

    /// What checking an uploaded sliver of `blob_id` needs: the blob registered, the committee,
    /// this node's shards and the blob's verified metadata (stored first).
    fn sliver_upload(&self, blob_id: &BlobId) -> Result<SliverUpload, NodeError> {
        self.registered(blob_id)?;
        let metadata = match self.metadata_for_slivers(blob_id) {
            Err(NodeError::NotStored { .. }) => {
                // Metadata held until the registration may not be in the store yet: the follower
                // stores it as it applies the registration, and may be doing so now or not have
                // come to it. Store it here (`store_held` waits for a move under way), then look
                // again, rather than refuse slivers the client sent after their metadata.
                self.store_held(blob_id)?;
                match self.metadata_for_slivers(blob_id) {
                    Err(NodeError::NotStored { .. }) => None,
                    other => Some(other?),
                }
            }
            other => Some(other?),
        };
        Ok(self.sliver_upload_with(metadata))
    }

    fn sliver_upload_with(&self, metadata: Option<Arc<VerifiedBlobMetadata>>) -> SliverUpload {
        let (committee, config) = self.committee();
        let shards = committee.shards_of(&self.key.public_key());
        SliverUpload { epoch: committee.epoch(), config, shards, metadata }
    }

    /// Like [`StorageNode::store_metadata`], except that metadata of a blob the node has not
    /// seen registered (yet) is verified and held until it is ([`crate::pending`]): `Held`.
    pub fn store_or_hold_metadata(&self, blob_id: &BlobId, body: &[u8]) -> Result<Stored, NodeError> {
        if self.is_registered(blob_id, None) {
            return self.store_metadata(blob_id, body);
        }
        self.not_invalid(blob_id)?;
        let verified = self.verify_metadata(blob_id, body)?;
        let held = self.pending.hold_metadata(Arc::new(verified))?;
        let stored = self.store_if_registered_meanwhile(blob_id, held);
        self.uploads.touch(blob_id);
        stored
    }

    /// Like [`StorageNode::store_slivers`], except that the slivers of a blob the node has not
    /// seen registered (yet) are checked against its held metadata and held with it: `Held`.
    pub fn store_or_hold_slivers(&self, blob_id: &BlobId, batch: SliverBatch) -> Result<Stored, NodeError> {
        if self.is_registered(blob_id, None) {
            return self.store_slivers(blob_id, batch);
        }
        self.not_invalid(blob_id)?;
        let EarlyCheck::Against(metadata) = self.early_check(blob_id) else {
            return self.store_slivers(blob_id, batch);
        };
        let checked = self.sliver_upload_with(metadata).check_batch(blob_id, batch)?;
        self.hold_checked(blob_id, checked)
    }

    /// Holds slivers checked against the held metadata of `blob_id`, or stores them if the
    /// registration was applied while they were checked and the held data stored meanwhile. A
    /// check takes long enough (a whole batch, on a busy node) for that to happen to a good share
    /// of a large committee's nodes on every store: refused, each of those batches was sent and
    /// checked a second time once the client saw its registration land.
    fn hold_checked(&self, blob_id: &BlobId, checked: Vec<(ShardIndex, Sliver)>) -> Result<Stored, NodeError> {
        let stored = (|| {
            // Held metadata moves to the store under this lock (`store_held`), so the look below
            // and the hold see it in one place or the other.
            let storing = self.pending.storing();
            if !self.pending.holds(blob_id) && self.is_registered(blob_id, None) && self.has_metadata(blob_id)? {
                drop(storing);
                // Checked against the held metadata, which was verified against the blob id as the
                // stored one was: the same metadata.
                let inserted = self.keep_owned_slivers(blob_id, checked)?;
                return Ok(if inserted > 0 { Stored::New } else { Stored::AlreadyPresent });
            }
            let held = self.pending.hold_slivers(blob_id, checked);
            drop(storing);
            self.store_if_registered_meanwhile(blob_id, held?)
        })();
        // After the data is in place: a request woken by it finds it.
        self.uploads.touch(blob_id);
        stored
    }

    /// Like [`StorageNode::store_sliver`], holding the sliver of a blob not seen registered
    /// (yet) as [`StorageNode::store_or_hold_slivers`] does.
    pub fn store_or_hold_sliver(
        &self,
        blob_id: &BlobId,
        pair: SliverPairIndex,
        axis: SliverType,
        body: &[u8],
    ) -> Result<Stored, NodeError> {
        if self.is_registered(blob_id, None) {
            return self.store_sliver(blob_id, pair, axis, body);
        }
        self.not_invalid(blob_id)?;
        let EarlyCheck::Against(metadata) = self.early_check(blob_id) else {
            return self.store_sliver(blob_id, pair, axis, body);
        };
        let checked = self.sliver_upload_with(metadata).check(blob_id, pair, axis, || Sliver::from_bcs(axis, body))?;
        self.hold_checked(blob_id, vec![checked])
    }

    /// How slivers of `blob_id`, found not registered a moment ago, are to be checked.
    fn early_check(&self, blob_id: &BlobId) -> EarlyCheck {
        match self.pending.metadata(blob_id) {
            None if self.is_registered(blob_id, None) => EarlyCheck::Registered,
            held => EarlyCheck::Against(held),
        }
    }

    /// The registration may have been applied (and the held data of its checkpoint stored)
    /// between the look that found the blob unregistered and the hold: then what was just held
    /// is stored now, not left waiting for the confirmation.
    fn store_if_registered_meanwhile(&self, blob_id: &BlobId, held: Stored) -> Result<Stored, NodeError> {
        Ok(if self.store_held(blob_id)? { Stored::New } else { held })
    }

    /// Stores what is held for `blob_id` ([`crate::pending`]) if the node now sees it
    /// registered: its metadata and the slivers of the shards this node holds now (an epoch may
    /// have ended since they were checked). Whether anything was stored.
    pub fn store_held(&self, blob_id: &BlobId) -> Result<bool, NodeError> {
        // Taken before looking, so a caller that finds nothing held knows it is all stored.
        let _storing = self.pending.storing();
        if !self.pending.holds(blob_id) {
            return Ok(false);
        }
        let Ok(info) = self.registered(blob_id) else { return Ok(false) };
        let Some(held) = self.pending.take(blob_id) else { return Ok(false) };
        let slivers = self.owned_only(held.slivers.into_iter().map(|((shard, _), sliver)| (shard, sliver)));
        // The metadata, the chain state and the slivers in one transaction: this runs on every
        // node for every blob uploaded ahead of its registration. Made durable before the node
        // confirms (see `confirmation`).
        let (_, new_slivers) =
            self.store.put_blob_data(blob_id, Some((&info, held.metadata.metadata())), &slivers, Commit::Deferred)?;
        self.recent_metadata.insert(held.metadata);
        self.integrity.stored(*blob_id, slivers.iter().map(|(shard, sliver)| (*shard, sliver.axis())));
        tracing::debug!(%blob_id, new_slivers, "data held until the registration stored");
        Ok(true)
    }

    /// Stores slivers checked before the registration was seen, those of the shards this node
    /// holds now (an epoch may have ended since they were checked). How many were new.
    fn keep_owned_slivers(
        &self,
        blob_id: &BlobId,
        checked: impl IntoIterator<Item = (ShardIndex, Sliver)>,
    ) -> Result<usize, NodeError> {
        self.keep_slivers(blob_id, &self.owned_only(checked))
    }

    /// Those of `checked` (slivers with their shards) whose shards this node holds now.
    fn owned_only(&self, checked: impl IntoIterator<Item = (ShardIndex, Sliver)>) -> Vec<(ShardIndex, Sliver)> {
        let owned = self.owned_shards();
        checked.into_iter().filter(|(shard, _)| owned.contains(shard)).collect()
    }

    /// The stored sliver of `axis` of pair `pair`.
    pub fn sliver(&self, blob_id: &BlobId, pair: SliverPairIndex, axis: SliverType) -> Result<Sliver, NodeError> {
        let (_, config) = self.committee();
        self.check_pair(pair, config.n_shards())?;
        let shard = mapping::shard_for_pair(pair, blob_id, config.n_shards());
        self.read_sliver(shard, axis, blob_id)?
            .ok_or_else(|| NodeError::NotStored { what: format!("{axis} sliver of pair {pair}"), blob_id: *blob_id })
    }

    /// The stored sliver of `axis` of pair `pair` as BCS, to send to a reader (see
    /// [`crate::store::Store::sliver_bcs`]): the same sliver [`Self::sliver`] gives, without
    /// decoding it and encoding it again.
    pub fn sliver_bcs(
        &self,
        blob_id: &BlobId,
        pair: SliverPairIndex,
        axis: SliverType,
        max_bytes: Option<usize>,
    ) -> Result<Bytes, NodeError> {
        let (_, config) = self.committee();
        self.check_pair(pair, config.n_shards())?;
        if let Some(max) = max_bytes {
            // Told by the metadata, so a sliver the asker does not take is not read.
            let len = config.sliver_len(axis, self.metadata(blob_id)?.symbol_size(&config));
            if len > max {
                return Err(NodeError::SliverLongerThanAsked { blob_id: *blob_id, pair, axis, len, max });
            }
        }
        let shard = mapping::shard_for_pair(pair, blob_id, config.n_shards());
        self.intact(shard, axis, blob_id, self.store.sliver_bcs(shard, axis, blob_id))?
            .ok_or_else(|| NodeError::NotStored { what: format!("{axis} sliver of pair {pair}"), blob_id: *blob_id })
    }

    /// Makes this node's writes of `blob_id` durable if some are not yet (see
    /// [`crate::store::Store::persist_blob`]); whether it synced.
    pub fn persist_blob(&self, blob_id: &BlobId) -> Result<bool, NodeError> {
        Ok(self.store.persist_blob(blob_id)?)
    }

    /// Whether the metadata of `blob_id` is stored.
    pub fn has_metadata(&self, blob_id: &BlobId) -> Result<bool, NodeError> {
        Ok(self.store.has_metadata(blob_id)?)
    }

    /// Whether the sliver of `axis` of pair `pair` is stored.
    pub fn has_sliver(&self, blob_id: &BlobId, pair: SliverPairIndex, axis: SliverType) -> Result<bool, NodeError> {
        let (_, config) = self.committee();
        self.check_pair(pair, config.n_shards())?;
        let shard = mapping::shard_for_pair(pair, blob_id, config.n_shards());
        Ok(self.store.has_sliver(shard, axis, blob_id)?)
    }

    /// The slivers of `blob_id` this node should store in the current epoch but does not.
    pub fn missing_slivers(&self, blob_id: &BlobId) -> Result<Vec<MissingSliver>, NodeError> {
        let (committee, config) = self.committee();
        let mut missing = Vec::new();
        for shard in committee.shards_of(&self.key.public_key()) {
            let pair = mapping::pair_for_shard(shard, blob_id, config.n_shards());
            // Walrus' recovery order: secondary slivers first, they need fewer symbols.
            for axis in crate::recovery::RECOVERY_ORDER {
                if !self.store.has_sliver(shard, axis, blob_id)? {
                    missing.push(MissingSliver { shard, pair, axis });
                }
            }
        }
        Ok(missing)
    }

    /// Signs "I store all my slivers of `blob_id`" for the current epoch, only if the blob is
    /// registered with `persistence` and every sliver of this node's shards is stored.
    pub fn confirmation(&self, blob_id: &BlobId, persistence: BlobPersistence) -> Result<SignedMessage, NodeError> {
        let info = self.registered(blob_id)?;
        // Data uploaded before the registration counts once stored (the follower may not have
        // stored it yet).
        self.store_held(blob_id)?;
        let epoch = self.chain.current_epoch();
        if !info.is_registered_as(&persistence, epoch) {
            return Err(NodeError::NotRegistered {
                blob_id: *blob_id,
                epoch,
                reason: match persistence {
                    BlobPersistence::Permanent => "it has no live permanent registration",
                    BlobPersistence::Deletable { .. } => "that deletable Blob object is not registered for it",
                },
            });
        }
        if self.owned_shards().is_empty() {
            return Err(NodeError::NoShards(epoch));
        }
        if !self.store.has_metadata(blob_id)? {
            return Err(NodeError::NotStored { what: "metadata".into(), blob_id: *blob_id });
        }
        // The node signs only for bytes it can vouch for. The slivers this process checked
        // against the metadata and stored itself are vouched for by one look-up each in memory
        // (the store forgets a sliver as it removes it): reading the node's whole share of the
        // blob back and hashing it again made a confirmation cost as much as the upload. Damage
        // to those bytes after their write, while the node runs, is left to the scrub (see
        // `crate::vouched`). Every other sliver (stored before a restart, or already stored when
        // the upload brought it) must be present, and is read back and checked against its digest.
        let (_, config) = self.committee();
        let slivers =
            self.owned_shards().into_iter().flat_map(|shard| crate::recovery::RECOVERY_ORDER.map(|axis| (shard, axis)));
        let to_check = self.store.not_vouched_for(blob_id, slivers);
        let missing_sliver = |(shard, axis)| MissingSliver {
            shard,
            pair: mapping::pair_for_shard(shard, blob_id, config.n_shards()),
            axis,
        };
        let mut missing = Vec::new();
        for &(shard, axis) in &to_check {
            if !self.store.has_sliver(shard, axis, blob_id)? {
                missing.push(missing_sliver((shard, axis)));
            }
        }
        if !missing.is_empty() {
            return Err(NodeError::MissingSlivers { blob_id: *blob_id, missing });
        }
        let mut damaged = Vec::new();
        for (shard, axis) in to_check {
            if self.read_sliver(shard, axis, blob_id)?.is_none() {
                damaged.push(missing_sliver((shard, axis)));
            }
        }
        if !damaged.is_empty() {
            return Err(NodeError::MissingSlivers { blob_id: *blob_id, missing: damaged });
        }
        // The upload's writes skipped the disk sync; the signature promises they survive.
        self.store.persist()?;
        self.uploads.done(blob_id);
        Ok(StorageConfirmation { epoch, blob_id: *blob_id, persistence }.sign(&self.key))
    }

    /// One recovery symbol for each target sliver of `target_axis` from every orthogonal sliver
    /// this node stores for its shards, each with its Merkle proof. Each source sliver is expanded
    /// once for all targets, so batching targets saves the peer most of the work. The number of
    /// targets is bounded by [`limits::max_recovery_targets`] so the answer stays bounded.
    pub fn recovery_symbols(
        &self,
        blob_id: &BlobId,
        target_axis: SliverType,
        targets: &[SliverIndex],
    ) -> Result<Vec<RecoverySymbol>, NodeError> {
        let (_, config) = self.committee();
        if let Some(bad) = targets.iter().find(|target| target.0 >= config.n_shards()) {
            return Err(NodeError::BadQuery(format!(
                "target sliver {bad} is out of range for {} shards",
                config.n_shards()
            )));
        }
        if targets.is_empty() {
            return Err(NodeError::BadQuery("no target sliver given".into()));
        }
        if self.chain.blob_info(blob_id).is_some_and(|info| info.invalid) {
            return Err(NodeError::Invalid(*blob_id));
        }
        // The recently verified metadata: nodes recovering a blob's slivers ask every holder, and
        // verifying the stored metadata again for each request means decoding it and hashing every
        // pair (a thousand at 1000 shards) to its blob id. Only its symbol size is used here.
        let metadata = self.metadata_for_slivers(blob_id)?;
        let max_targets = limits::max_recovery_targets(&config, metadata.symbol_size(&config));
        if targets.len() > max_targets {
            return Err(NodeError::BadQuery(format!(
                "{} target slivers asked at once; at most {max_targets} for this blob's symbol size",
                targets.len()
            )));
        }
        let source_axis = target_axis.orthogonal();
        let mut symbols = Vec::new();
        // Every shard stored here serves, also one that moved to another node at the last epoch
        // change and is kept until its new owner has it: while shards migrate, recovery needs
        // the symbols their previous owners can still give (each is checked against the metadata).
        for shard in self.store.stored_shards()? {
            if let Some(sliver) = self.read_sliver(shard, source_axis, blob_id)? {
                let mut produced = recovery::recovery_symbols(&config, &sliver, targets).map_err(|error| {
                    NodeError::Store(crate::store::StoreError::Corrupt {
                        what: "sliver",
                        blob_id: *blob_id,
                        reason: Box::new(error.into()),
                    })
                })?;
                symbols.append(&mut produced);
            }
        }
        if symbols.is_empty() {
            return Err(NodeError::NotStored {
                what: format!("every {source_axis} sliver (the sources of recovery symbols)"),
                blob_id: *blob_id,
            });
        }
        Ok(symbols)
    }

    /// Checks an inconsistency proof (BCS) against the stored metadata and, if it holds, signs
    /// "`blob_id` is invalid" for the current epoch.
    pub fn attest_invalid(&self, blob_id: &BlobId, axis: SliverType, body: &[u8]) -> Result<SignedMessage, NodeError> {
        let proof: InconsistencyProof = bcs::from_bytes(body).map_err(NodeError::MalformedProof)?;
        if proof.target_axis() != axis {
            return Err(NodeError::ProofAxisMismatch { expected: axis, actual: proof.target_axis() });
        }
        let (_, config) = self.committee();
        let metadata = self.metadata(blob_id)?;
        proof.verify(&config, &metadata).map_err(|source| NodeError::ProofRejected { blob_id: *blob_id, source })?;
        Ok(InvalidBlobIdMessage { epoch: self.chain.current_epoch(), blob_id: *blob_id }.sign(&self.key))
    }

    /// Serves a page of a shard's slivers to the node the current committee assigns the shard to
    /// (the new owner after an epoch change moved it here from this node). `body` is a BCS
    /// [`SignedMessage`] of a [`SyncShardRequest`] signed by the requester's key. Only slivers of
    /// blobs certified and live in the current epoch are served: the rest the new owner either
    /// does not need or receives from the writer.
    pub fn sync_shard(&self, body: &[u8]) -> Result<floe_node_api::SyncShardPage<'static>, NodeError> {
        let signed: SignedMessage =
            bcs::from_bytes(body).map_err(|error| NodeError::BadQuery(format!("sync request: {error}")))?;
        // Malformed is 400; well formed but not signed by the requester's key is 401; signed by a
        // key the committee does not give the shard to is 403.
        let request = SyncShardRequest::from_bytes(&signed.serialized)
            .map_err(|error| NodeError::BadQuery(format!("sync request: {error}")))?;
        SyncShardRequest::verify(&signed)
            .map_err(|source| NodeError::Unauthenticated { what: "the shard sync request", source })?;
        let committee = self.chain.committee();
        let epoch = committee.epoch();
        if request.epoch > epoch {
            return Err(NodeError::EpochAhead { asked: request.epoch, current: epoch });
        }
        if request.epoch < epoch {
            return Err(NodeError::BadQuery(format!(
                "sync request for epoch {}, which is over (this is epoch {epoch})",
                request.epoch
            )));
        }
        if committee.holder_of(request.shard).is_none_or(|holder| holder.public_key != request.requester) {
            return Err(NodeError::NotShardOwner { shard: request.shard, epoch });
        }
        if request.count == 0 || request.count > limits::MAX_SYNC_PAGE_SLIVERS {
            return Err(NodeError::BadQuery(format!(
                "{} slivers asked for; between 1 and {} per page",
                request.count,
                limits::MAX_SYNC_PAGE_SLIVERS
            )));
        }
        let page = self.store.shard_page(
            request.shard,
            request.axis,
            &request.start,
            usize::from(request.count),
            limits::MAX_SYNC_PAGE_BYTES,
            |blob_id| self.chain.blob_info(blob_id).is_some_and(|info| info.is_certified(epoch)),
        )?;
        for (blob_id, damage) in &page.damaged {
            let axis = request.axis;
            let still_damaged = |record: &[u8]| stored_sliver::open(axis, record).is_err();
            self.set_aside_sliver(request.shard, axis, blob_id, &damage, still_damaged)?;
        }
        let slivers = page
            .slivers
            .into_iter()
            .map(|(blob_id, sliver)| floe_node_api::PageSliver { blob_id, sliver: sliver.into() })
            .collect();
        Ok(floe_node_api::SyncShardPage { slivers, next: page.next })
    }

    /// Signs this node's verdict on a challenged member with the node's key.
    pub(crate) fn sign_challenge_outcome(&self, outcome: &ChallengeOutcomeMessage) -> SignedMessage {
        outcome.sign(&self.key)
    }

    /// The verdicts this node signed on `epoch`'s challenges (on the nodes in `about`, if given).
    pub fn challenge_outcomes(
        &self,
        epoch: floe_encoder::Epoch,
        about: Option<&std::collections::BTreeSet<[u8; 32]>>,
    ) -> Result<Vec<SignedMessage>, NodeError> {
        Ok(crate::challenges::verdicts::Verdicts::of(self).of_epoch_about(epoch, about)?)
    }

    /// Signs a shard-sync request with the node's key.
    pub fn sign_sync_request(&self, request: &SyncShardRequest) -> SignedMessage {
        request.sign(&self.key)
    }

    /// The blob's lifecycle state according to the chain.
    pub fn status(&self, blob_id: &BlobId) -> BlobStatus {
        let epoch = self.chain.current_epoch();
        self.chain.blob_info(blob_id).map_or(BlobStatus::Nonexistent, |info| info.status(epoch))
    }

    /// Uptime, epoch, key, shards, self-checks and disk use.
    pub fn health(&self) -> Health {
        use base64::Engine as _;
        let committee = self.chain.committee();
        Health {
            uptime_secs: self.started.elapsed().as_secs(),
            epoch: committee.epoch(),
            public_key: base64::engine::general_purpose::STANDARD.encode(self.key.public_key().to_bytes()),
            n_shards: committee.n_shards(),
            owned_shards: committee.shards_of(&self.key.public_key()).iter().map(|shard| shard.0).collect(),
            next_checkpoint: self.chain.next_checkpoint(),
            integrity: self.integrity.status(),
            storage: self
                .store
                .disk_use()
                .inspect_err(|error| tracing::debug!(%error, "cannot read the store's disk use"))
                .ok(),
        }
    }

    /// Brings the stored state of `blob_id` in line with the chain (the follower calls this after
    /// feeding an event about it): records the chain's view, and deletes the blob's data once
    /// nothing pays for it any more (deleted, expired or invalid). Returns whether data was deleted.
    pub fn sync_blob(&self, blob_id: &BlobId) -> Result<bool, NodeError> {
        let Some(info) = self.chain.blob_info(blob_id) else {
            return Ok(false);
        };
        self.store.put_blob_info(blob_id, &info)?;
        if info.is_dead(self.chain.current_epoch()) {
            self.store.delete_blob_data(blob_id)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Runs [`sync_blob`](Self::sync_blob) over every blob the node has data for (at an epoch
    /// change, to drop expired blobs). Returns the blobs whose data was deleted.
    pub fn collect_garbage(&self) -> Result<Vec<BlobId>, NodeError> {
        let mut deleted = Vec::new();
        for blob_id in self.store.blob_ids()? {
            if self.sync_blob(&blob_id)? {
                deleted.push(blob_id);
            }
        }
        Ok(deleted)
    }

    /// Keeps the proof that `blob_id` is inconsistently encoded.
    pub(crate) fn keep_inconsistency_proof(
        &self,
        blob_id: &BlobId,
        proof: &InconsistencyProof,
    ) -> Result<(), NodeError> {
        Ok(self.store.put_inconsistency_proof(blob_id, proof)?)
    }

    /// Stores metadata already verified elsewhere (by recovery).
    pub(crate) fn store_verified_metadata(&self, metadata: &VerifiedBlobMetadata) -> Result<(), NodeError> {
        if let Some(info) = self.chain.blob_info(metadata.blob_id()) {
            self.store.put_blob_info(metadata.blob_id(), &info)?;
        }
        self.store.put_metadata(metadata.blob_id(), metadata.metadata())?;
        Ok(())
    }

    /// Stores recovered slivers (their hashes were checked by recovery), each in its shard.
    pub(crate) fn store_recovered_slivers(
        &self,
        blob_id: &BlobId,
        slivers: &[(ShardIndex, Sliver)],
    ) -> Result<(), NodeError> {
        self.store.put_slivers(blob_id, slivers)?;
        self.integrity.stored(*blob_id, slivers.iter().map(|(shard, sliver)| (*shard, sliver.axis())));
        Ok(())
    }

    /// Whether the blob is certified and live, the precondition of recovery.
    pub(crate) fn is_certified(&self, blob_id: &BlobId) -> bool {
        let epoch = self.chain.current_epoch();
        self.chain.blob_info(blob_id).is_some_and(|info| info.is_certified(epoch))
    }
}

/// How slivers uploaded before their blob's registration are checked ([`StorageNode::early_check`]).
enum EarlyCheck {
    /// Against the blob's held metadata; none held, and the check refuses them, naming the
    /// missing metadata.
    Against(Option<Arc<VerifiedBlobMetadata>>),
    /// As any upload: the registration was applied since the look, and what was held stored.
    Registered,
}

/// The checks of an uploaded sliver, shared by the one-sliver and the batch routes.
struct SliverUpload {
    epoch: Epoch,
    config: EncodingConfig,
    shards: Vec<ShardIndex>,
    /// `None` until the metadata is stored (a sliver is then refused, after the checks that
    /// need no metadata).
    metadata: Option<Arc<VerifiedBlobMetadata>>,
}

impl SliverUpload {
    /// Checks every sliver of `batch` (all of `blob_id`) as [`SliverUpload::check`] checks one,
    /// hashing them together (`VerifiedBlobMetadata::verify_slivers`): all pass, or one that
    /// fails is named (a misplaced or malformed one before any is hashed, then the first whose
    /// hash is wrong).
    fn check_batch(&self, blob_id: &BlobId, batch: SliverBatch) -> Result<Vec<(ShardIndex, Sliver)>, NodeError> {
        let placed = batch
            .slivers
            .into_iter()
            .map(|batched| {
                let (pair, axis) = (batched.pair, batched.axis);
                self.place(blob_id, pair, axis, || batched.into_sliver()).map(|(shard, sliver)| (pair, shard, sliver))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let slivers: Vec<(SliverPairIndex, &Sliver)> = placed.iter().map(|(pair, _, sliver)| (*pair, sliver)).collect();
        self.verify(blob_id, &slivers)?;
        Ok(placed.into_iter().map(|(_, shard, sliver)| (shard, sliver)).collect())
    }

    /// Checks a sliver of `axis` for pair `pair`: [`SliverUpload::place`], then its hash against
    /// the metadata. Returns its shard and the sliver.
    fn check(
        &self,
        blob_id: &BlobId,
        pair: SliverPairIndex,
        axis: SliverType,
        decode: impl FnOnce() -> Result<Sliver, floe_encoder::error::SliverError>,
    ) -> Result<(ShardIndex, Sliver), NodeError> {
        let (shard, sliver) = self.place(blob_id, pair, axis, decode)?;
        self.verify(blob_id, &[(pair, &sliver)])?;
        Ok((shard, sliver))
    }

    /// The hashes of placed `slivers` against the metadata, computed together; the first that
    /// fails is named.
    fn verify(&self, blob_id: &BlobId, slivers: &[(SliverPairIndex, &Sliver)]) -> Result<(), NodeError> {
        let metadata = self.metadata(blob_id)?;
        let bare: Vec<&Sliver> = slivers.iter().map(|(_, sliver)| *sliver).collect();
        for ((pair, sliver), verdict) in slivers.iter().zip(metadata.verify_slivers(&self.config, &bare)) {
            verdict.map_err(|source| NodeError::WrongSliver {
                blob_id: *blob_id,
                pair: *pair,
                axis: sliver.axis(),
                source,
            })?;
        }
        Ok(())
    }

    /// The blob's verified metadata, which must be stored before any of its slivers.
    fn metadata(&self, blob_id: &BlobId) -> Result<&VerifiedBlobMetadata, NodeError> {
        self.metadata.as_deref().ok_or(NodeError::MetadataFirst(*blob_id))
    }

    /// Everything but the hash: the pair in range and of a shard this node holds, the metadata
    /// stored, then the sliver (`decode`d only now) of the pair's index. Returns its shard and
    /// the sliver.
    fn place(
        &self,
        blob_id: &BlobId,
        pair: SliverPairIndex,
        axis: SliverType,
        decode: impl FnOnce() -> Result<Sliver, floe_encoder::error::SliverError>,
    ) -> Result<(ShardIndex, Sliver), NodeError> {
        let n_shards = self.config.n_shards();
        if pair.0 >= n_shards {
            return Err(NodeError::PairOutOfRange { pair, n_shards });
        }
        let shard = mapping::shard_for_pair(pair, blob_id, n_shards);
        if !self.shards.contains(&shard) {
            return Err(NodeError::ForeignShard { blob_id: *blob_id, pair, shard, epoch: self.epoch });
        }
        self.metadata(blob_id)?;
        let sliver = decode().map_err(|source| NodeError::MalformedSliver { axis, source })?;
        let expected = pair.sliver_index(axis, n_shards);
        if sliver.index() != expected {
            return Err(NodeError::WrongSliverIndex { axis, pair, expected, actual: sliver.index() });
        }
        Ok((shard, sliver))
    }
}

#[cfg(test)]
mod tests {
    use floe_encoder::{EncodedBlob, EncodingConfig, ShardIndex, bls::BlsSecretKey, encode};
    use sui_sdk_types::Address;

    use super::*;
    use crate::{
        chain_state::ChainChange,
        chain_view::{Committee, CommitteeMember},
        test_chain::TestChain,
    };

    /// A node holding every shard of 4, the metadata of a blob it has not seen registered held.
    fn node_holding_metadata() -> (StorageNode, TestChain, tempfile::TempDir, EncodedBlob) {
        let key = BlsSecretKey::from_seed(&[1; 32]);
        let member = CommitteeMember {
            public_key: key.public_key(),
            shards: (0..4).map(ShardIndex).collect(),
            http_address: "http://127.0.0.1:9185".into(),
            network_key: None,
        };
        let chain = TestChain::new(Committee::new(1, 4, vec![member]).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let node = StorageNode::new(chain.state(), Store::open(dir.path()).unwrap(), key);
        let encoded = encode(&EncodingConfig::new(4).unwrap(), b"uploaded as the registration lands").unwrap();
        let blob_id = *encoded.metadata.blob_id();
        let held = node.store_or_hold_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).unwrap();
        assert_eq!(held, Stored::Held);
        (node, chain, dir, encoded)
    }

    fn all_slivers(encoded: &EncodedBlob) -> SliverBatch {
        let batch = SliverBatch::encode(encoded.pairs.iter().flat_map(|pair| {
            [(pair.index(), pair.sliver(SliverType::Primary)), (pair.index(), pair.sliver(SliverType::Secondary))]
        }));
        SliverBatch::from_bcs(&batch.to_vec()).unwrap()
    }

    fn register(chain: &TestChain, blob_id: BlobId) {
        let object_id = Address::new([6; 32]);
        chain.apply([ChainChange::Registered { blob_id, object_id, end_epoch: 3, deletable: false }]);
    }

    fn assert_all_stored(node: &StorageNode, encoded: &EncodedBlob) {
        let blob_id = encoded.metadata.blob_id();
        for pair in &encoded.pairs {
            for axis in [SliverType::Primary, SliverType::Secondary] {
                assert!(node.has_sliver(blob_id, pair.index(), axis).unwrap(), "{axis} sliver of {}", pair.index());
            }
        }
        assert_eq!(node.pending().held_bytes(), 0, "nothing left held");
    }

    #[test]
    fn slivers_checked_while_their_registration_is_applied_are_stored_not_refused() {
        let (node, chain, _dir, encoded) = node_holding_metadata();
        let blob_id = *encoded.metadata.blob_id();
        // The slivers are checked against the held metadata, as `store_or_hold_slivers` does...
        let upload = node.sliver_upload_with(node.pending.metadata(&blob_id));
        let checked = upload.check_batch(&blob_id, all_slivers(&encoded)).unwrap();
        // ... while the follower applies the registration and stores what was held.
        register(&chain, blob_id);
        assert!(node.store_held(&blob_id).unwrap());

        assert_eq!(node.hold_checked(&blob_id, checked).unwrap(), Stored::New, "stored, not refused as 409");
        assert_all_stored(&node, &encoded);
    }

    #[test]
    fn slivers_that_come_before_the_follower_stored_the_held_metadata_are_stored() {
        let (node, chain, _dir, encoded) = node_holding_metadata();
        let blob_id = *encoded.metadata.blob_id();
        // The registration is applied; the follower has not yet stored what was held.
        register(&chain, blob_id);
        assert!(!node.has_metadata(&blob_id).unwrap());

        assert_eq!(node.store_slivers(&blob_id, all_slivers(&encoded)).unwrap(), Stored::New);
        assert!(node.has_metadata(&blob_id).unwrap());
        assert_all_stored(&node, &encoded);
    }
}
