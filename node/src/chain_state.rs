//! The node's persistent view of the chain: what the follower has read from checkpoints (every
//! blob's [`BlobInfo`], the current committee), how far it has read, and the work those
//! checkpoints left for the node to do ([`Duty`]).
//!
//! Its tables live in the node's redb file next to the slivers. Each checkpoint is applied in
//! one write transaction that moves the cursor, writes the blob infos and the committee it
//! changed and records the duties it created, so a node killed at any moment restarts at the
//! first checkpoint whose changes are not on disk: nothing is skipped and nothing applied twice.
//! Blob info is persisted (not rebuilt by replaying the chain from genesis) so a restart costs
//! nothing, and the node answers from memory: the tables are loaded once at open.
//!
//! ```
//! use std::sync::Arc;
//! use floe_encoder::{BlobId, ShardIndex, bls::BlsSecretKey};
//! use floe_node::{ChainView, Store};
//! use sui_sdk_types::Address;
//! use floe_node::chain_state::{ChainChange, ChainState, Duty};
//! use floe_node::chain_view::{Committee, CommitteeMember};
//!
//! let key = BlsSecretKey::from_seed(&[1; 32]);
//! let member = CommitteeMember {
//!     public_key: key.public_key(),
//!     shards: (0..4).map(ShardIndex).collect(),
//!     http_address: "http://127.0.0.1:9185".into(),
//!     network_key: None,
//! };
//! let dir = tempfile::tempdir().unwrap();
//! let blob_id = BlobId([5; 32]);
//! {
//!     let store = Store::open(dir.path()).unwrap();
//!     let state = ChainState::open(&store, Committee::new(1, 4, vec![member.clone()]).unwrap()).unwrap();
//!     let registered = ChainChange::Registered { blob_id, object_id: Address::new([6; 32]), end_epoch: 3, deletable: false };
//!     state.apply_checkpoint(0, &[registered], &[Duty::Recover(blob_id)]).unwrap();
//! }
//! // After a restart the cursor, the blob and the duty are all there.
//! let store = Store::open(dir.path()).unwrap();
//! let state = ChainState::open(&store, Committee::new(1, 4, vec![member]).unwrap()).unwrap();
//! assert_eq!(state.next_checkpoint(), 1);
//! assert!(state.blob_info(&blob_id).unwrap().is_registered(1));
//! assert_eq!(state.duties().unwrap(), vec![Duty::Recover(blob_id)]);
//! ```

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use floe_encoder::{
    BlobId, Epoch, ShardIndex,
    bls::{BlsError, BlsPublicKey},
    network_key::NetworkPublicKey,
};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;
use tokio::sync::watch;

use crate::{
    blob_info::BlobInfo,
    chain_view::{ChainView, Committee, CommitteeError, CommitteeMember},
    store::{SharedDatabase, Store, StoreError},
};

const CURSOR: TableDefinition<'static, &str, u64> = TableDefinition::new("chain/cursor");
const BLOBS: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("chain/blobs");
const COMMITTEE: TableDefinition<'static, &str, &[u8]> = TableDefinition::new("chain/committee");
const DUTIES: TableDefinition<'static, &[u8], ()> = TableDefinition::new("chain/duties");
const NEXT_CHECKPOINT: &str = "next-checkpoint";
const CURRENT: &str = "current";
const PREVIOUS: &str = "previous";

/// Why the chain state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ChainStateError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored value does not decode.
    #[error("stored {what} does not decode: {source}")]
    Corrupt {
        /// What was read.
        what: &'static str,
        /// The decoding error.
        #[source]
        source: bcs::Error,
    },
    /// A stored committee member's key is not a BLS public key.
    #[error("stored committee key does not decode: {0}")]
    CorruptKey(#[source] BlsError),
    /// A stored blob key is not a 32-byte blob id.
    #[error("stored blob key does not decode: {0} bytes, not 32")]
    CorruptBlobKey(usize),
    /// The stored committee is not a valid committee.
    #[error("stored committee: {0}")]
    Committee(#[from] CommitteeError),
    /// A checkpoint was applied out of order.
    #[error("checkpoint {given} applied, but the next one to apply is {expected}")]
    OutOfOrder {
        /// The next checkpoint the state expects.
        expected: u64,
        /// The checkpoint given.
        given: u64,
    },
}

macro_rules! from_redb {
    ($($error:ty),*) => {$(
        impl From<$error> for ChainStateError {
            fn from(error: $error) -> Self {
                Self::Store(StoreError::Database(error.into()))
            }
        }
    )*};
}
from_redb!(redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError, redb::SetDurabilityError);

/// One change a checkpoint makes to what the node knows of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainChange {
    /// `BlobRegistered`.
    Registered {
        /// The blob.
        blob_id: BlobId,
        /// Its new `Blob` object.
        object_id: Address,
        /// The first epoch it is no longer stored.
        end_epoch: Epoch,
        /// Whether its owner may delete it.
        deletable: bool,
    },
    /// `BlobCertified`: a certification, or the extension of a certified blob.
    Certified {
        /// The blob.
        blob_id: BlobId,
        /// The `Blob` object.
        object_id: Address,
        /// The epoch of the certificate.
        epoch: Epoch,
        /// The (possibly extended) end epoch.
        end_epoch: Epoch,
    },
    /// `BlobDeleted`.
    Deleted {
        /// The blob.
        blob_id: BlobId,
        /// The deleted `Blob` object.
        object_id: Address,
    },
    /// `InvalidBlobID`.
    Invalidated {
        /// The blob.
        blob_id: BlobId,
    },
    /// A new committee (after `EpochChangeStart` or `EpochChangeDone`); one of an older epoch
    /// than the current committee's is ignored: epochs never go back.
    CommitteeChanged(Committee),
}

impl ChainChange {
    /// The blob it is about, if it is about one.
    pub fn blob_id(&self) -> Option<BlobId> {
        match self {
            Self::Registered { blob_id, .. }
            | Self::Certified { blob_id, .. }
            | Self::Deleted { blob_id, .. }
            | Self::Invalidated { blob_id } => Some(*blob_id),
            Self::CommitteeChanged(_) => None,
        }
    }

    /// Applies a blob change to `info` (idempotent: applying it twice changes nothing more).
    fn apply_to(&self, info: &mut BlobInfo) {
        match *self {
            Self::Registered { object_id, end_epoch, deletable, .. } => {
                if !info.objects.contains_key(&object_id) {
                    info.register(object_id, end_epoch, deletable);
                }
            }
            Self::Certified { object_id, epoch, end_epoch, .. } => {
                info.certify(object_id, epoch);
                info.extend(object_id, end_epoch);
            }
            Self::Deleted { object_id, .. } => info.delete(object_id),
            Self::Invalidated { .. } => info.invalidate(),
            Self::CommitteeChanged(_) => {}
        }
    }
}

/// Work a checkpoint left for the node, kept on disk until it is done, so a restart resumes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Duty {
    /// Recover the slivers of this certified blob that the node's shards lack.
    Recover(BlobId),
    /// Report `staking::epoch_sync_done` for this epoch.
    EpochSyncDone(Epoch),
    /// Pull the slivers of a shard gained in `epoch` from its previous owner (falling back to
    /// recovery from the committee).
    SyncShard {
        /// The epoch in which the node holds the shard.
        epoch: Epoch,
        /// The shard.
        shard: ShardIndex,
    },
    /// Open `epoch`'s challenge window when this node's turn comes, unless someone did.
    OpenChallengeWindow(Epoch),
    /// Take part in `epoch`'s challenges: challenge every member, sign verdicts, record outcomes.
    Challenge {
        /// The epoch.
        epoch: Epoch,
        /// The window's seed.
        seed: [u8; 32],
        /// When the window opened (chain time, ms).
        opened_at_ms: u64,
    },
}

impl Duty {
    fn key(&self) -> Vec<u8> {
        bcs::to_bytes(self).expect("BCS of plain data cannot fail")
    }
}

/// A committee member as stored: BLS public key bytes, shards, network address and the TLS
/// network key published on chain (none for a plain-HTTP node).
type StoredMember = (Vec<u8>, Vec<u16>, String, Option<[u8; 32]>);

/// A committee as stored: keys as bytes, so the table does not depend on the BLS library's
/// own encoding.
#[derive(Serialize, Deserialize)]
struct StoredCommittee {
    epoch: Epoch,
    n_shards: u16,
    members: Vec<StoredMember>,
}

impl StoredCommittee {
    fn of(committee: &Committee) -> Self {
        Self {
            epoch: committee.epoch(),
            n_shards: committee.n_shards(),
            members: committee
                .members()
                .iter()
                .map(|member| {
                    let shards = member.shards.iter().map(|shard| shard.0).collect();
                    let network_key = member.network_key.map(|key| key.to_bytes());
                    (member.public_key.to_bytes().to_vec(), shards, member.http_address.clone(), network_key)
                })
                .collect(),
        }
    }

    fn committee(self) -> Result<Committee, ChainStateError> {
        let members = self
            .members
            .into_iter()
            .map(|(key, shards, http_address, network_key)| {
                let public_key = BlsPublicKey::from_bytes(&key).map_err(ChainStateError::CorruptKey)?;
                Ok(CommitteeMember {
                    public_key,
                    shards: shards.into_iter().map(ShardIndex).collect(),
                    http_address,
                    network_key: network_key.map(NetworkPublicKey),
                })
            })
            .collect::<Result<Vec<_>, ChainStateError>>()?;
        Ok(Committee::new(self.epoch, self.n_shards, members)?)
    }
}

#[derive(Debug)]
struct Snapshot {
    committee: Arc<Committee>,
    /// The committee before `committee`, as the follower saw it (none before the first change).
    previous: Option<Arc<Committee>>,
    blobs: HashMap<BlobId, BlobInfo>,
}

fn decode_committee(bytes: Option<redb::AccessGuard<'_, &[u8]>>) -> Result<Option<Committee>, ChainStateError> {
    match bytes {
        Some(bytes) => {
            Ok(Some(bcs::from_bytes::<StoredCommittee>(bytes.value()).map_err(corrupt("committee"))?.committee()?))
        }
        None => Ok(None),
    }
}

fn encode_committee(committee: &Committee) -> Vec<u8> {
    bcs::to_bytes(&StoredCommittee::of(committee)).expect("BCS of plain data cannot fail")
}

/// The chain as the node's follower has read it, persisted in the node's database.
#[derive(Debug)]
pub struct ChainState {
    db: SharedDatabase,
    snapshot: RwLock<Snapshot>,
    /// The next checkpoint to apply; watchers learn when the follower moves on.
    progress: watch::Sender<u64>,
    /// When a checkpoint was last committed with a sync (see [`ChainState::apply_checkpoint`]).
    last_sync: Mutex<Instant>,
}

/// The longest the follower goes without syncing a checkpoint it applied: what a restart after a
/// crash replays from the chain.
pub const CHECKPOINT_SYNC_INTERVAL: Duration = Duration::from_secs(5);

fn corrupt(what: &'static str) -> impl Fn(bcs::Error) -> ChainStateError {
    move |source| ChainStateError::Corrupt { what, source }
}

impl ChainState {
    /// Opens the chain state stored with `store`. `committee` is the chain's committee as read at
    /// start-up, used only by a node that has none stored yet.
    pub fn open(store: &Store, committee: Committee) -> Result<Self, ChainStateError> {
        let db = store.database();
        let txn = db.begin_write()?;
        let (next, stored_committee, previous, blobs) = {
            let cursor = txn.open_table(CURSOR)?;
            let next = cursor.get(NEXT_CHECKPOINT)?.map_or(0, |value| value.value());
            let committees = txn.open_table(COMMITTEE)?;
            let stored_committee = decode_committee(committees.get(CURRENT)?)?;
            let previous = decode_committee(committees.get(PREVIOUS)?)?;
            let mut blobs = HashMap::new();
            for entry in txn.open_table(BLOBS)?.iter()? {
                let (key, value) = entry?;
                let id = <[u8; 32]>::try_from(key.value())
                    .map_err(|_| ChainStateError::CorruptBlobKey(key.value().len()))?;
                blobs.insert(BlobId(id), bcs::from_bytes(value.value()).map_err(corrupt("blob info"))?);
            }
            txn.open_table(DUTIES)?;
            (next, stored_committee, previous, blobs)
        };
        // The stored committee wins even when the chain has moved on since: the follower then
        // replays the epoch changes the node missed from its cursor and plans each one (shards
        // gained, shards to drop). Only a new node starts from the chain's committee.
        let (committee, previous) = match stored_committee {
            Some(stored) => (stored, previous),
            None => {
                txn.open_table(COMMITTEE)?.insert(CURRENT, encode_committee(&committee).as_slice())?;
                (committee, None)
            }
        };
        db.commit(txn)?;
        let snapshot =
            RwLock::new(Snapshot { committee: Arc::new(committee), previous: previous.map(Arc::new), blobs });
        Ok(Self { db, snapshot, progress: watch::Sender::new(next), last_sync: Mutex::new(Instant::now()) })
    }

    fn read<T>(&self, f: impl FnOnce(&Snapshot) -> T) -> T {
        // Only `apply_checkpoint` writes, replacing whole entries; a poisoned lock still holds
        // a consistent map.
        f(&self.snapshot.read().unwrap_or_else(|poison| poison.into_inner()))
    }

    /// The next checkpoint to apply (0 before the first).
    pub fn next_checkpoint(&self) -> u64 {
        *self.progress.borrow()
    }

    /// Watches [`next_checkpoint`](Self::next_checkpoint).
    pub fn progress(&self) -> watch::Receiver<u64> {
        self.progress.subscribe()
    }

    /// Waits until checkpoint `sequence_number` is applied.
    pub async fn applied(&self, sequence_number: u64) {
        let mut progress = self.progress();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = progress.wait_for(|next| *next > sequence_number).await;
    }

    /// Applies checkpoint `sequence_number`'s changes and records its duties, all in one
    /// transaction with the cursor; then shows the changes to readers.
    ///
    /// A checkpoint that changes only blobs, with no duty but recoveries, is committed without a
    /// sync (one per checkpoint at every node was the largest part of the nodes' own work in a
    /// small store at 100 nodes). A crash loses it together with everything written after it
    /// (the database comes back at its last sync) and the follower applies it again from the
    /// chain: replayed changes change nothing. What the node promises on the strength of a
    /// checkpoint comes after a sync of the same database, which makes the checkpoint durable
    /// first: a storage confirmation (`Store::persist`), a deletion of stored data. A committee
    /// change, the duties that act on the chain or on shards (epoch and shard syncs, challenges),
    /// and the first checkpoint [`CHECKPOINT_SYNC_INTERVAL`] after the last sync are synced at
    /// once.
    pub fn apply_checkpoint(
        &self,
        sequence_number: u64,
        changes: &[ChainChange],
        duties: &[Duty],
    ) -> Result<(), ChainStateError> {
        let expected = self.next_checkpoint();
        if sequence_number != expected {
            return Err(ChainStateError::OutOfOrder { expected, given: sequence_number });
        }
        // Only the follower writes, so what is read here is still current at commit time.
        let mut updated: HashMap<BlobId, BlobInfo> = HashMap::new();
        let mut committee = None;
        let current_epoch = self.current_epoch();
        for change in changes {
            match (change, change.blob_id()) {
                (ChainChange::CommitteeChanged(new), _) if new.epoch() >= current_epoch => {
                    committee = Some(new.clone());
                }
                (ChainChange::CommitteeChanged(_), _) => {}
                (_, Some(blob_id)) => {
                    let info = updated.entry(blob_id).or_insert_with(|| {
                        self.read(|snapshot| snapshot.blobs.get(&blob_id).cloned()).unwrap_or_default()
                    });
                    change.apply_to(info);
                }
                (_, None) => {}
            }
        }
        let mut last_sync = self.last_sync.lock().unwrap_or_else(|poison| poison.into_inner());
        let sync = committee.is_some()
            || duties.iter().any(|duty| !matches!(duty, Duty::Recover(_)))
            || last_sync.elapsed() >= CHECKPOINT_SYNC_INTERVAL;
        let mut txn = self.db.begin_write()?;
        if !sync {
            txn.set_durability(redb::Durability::None)?;
        }
        {
            let mut blobs = txn.open_table(BLOBS)?;
            for (blob_id, info) in &updated {
                let bytes = bcs::to_bytes(info).expect("BCS of plain data cannot fail");
                blobs.insert(blob_id.0.as_slice(), bytes.as_slice())?;
            }
            if let Some(committee) = &committee {
                let mut table = txn.open_table(COMMITTEE)?;
                table.insert(CURRENT, encode_committee(committee).as_slice())?;
                let previous = self.committee();
                if previous.epoch() < committee.epoch() {
                    table.insert(PREVIOUS, encode_committee(&previous).as_slice())?;
                }
            }
            let mut pending = txn.open_table(DUTIES)?;
            for duty in duties {
                pending.insert(duty.key().as_slice(), ())?;
            }
            txn.open_table(CURSOR)?.insert(NEXT_CHECKPOINT, sequence_number + 1)?;
        }
        if sync {
            self.db.commit(txn)?;
            *last_sync = Instant::now();
        } else {
            txn.commit()?;
        }
        drop(last_sync);
        {
            let mut snapshot = self.snapshot.write().unwrap_or_else(|poison| poison.into_inner());
            snapshot.blobs.extend(updated);
            if let Some(committee) = committee {
                if snapshot.committee.epoch() < committee.epoch() {
                    snapshot.previous = Some(snapshot.committee.clone());
                }
                snapshot.committee = Arc::new(committee);
            }
        }
        self.progress.send_replace(sequence_number + 1);
        Ok(())
    }

    /// The duties not done yet, in order (recoveries by blob id, then epoch syncs by epoch, then
    /// shard syncs).
    pub fn duties(&self) -> Result<Vec<Duty>, ChainStateError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(DUTIES)?;
        let mut duties = Vec::new();
        for entry in table.iter()? {
            let (key, _) = entry?;
            duties.push(bcs::from_bytes(key.value()).map_err(corrupt("duty"))?);
        }
        duties.sort();
        Ok(duties)
    }

    /// Records `duty` outside a checkpoint (e.g. at start-up); recording it twice keeps one.
    pub fn add_duty(&self, duty: &Duty) -> Result<(), ChainStateError> {
        let txn = self.db.begin_write()?;
        txn.open_table(DUTIES)?.insert(duty.key().as_slice(), ())?;
        self.db.commit(txn)?;
        Ok(())
    }

    /// Marks `duty` done (or given up): it is not resumed after a restart.
    ///
    /// A finished recovery is marked without a sync of its own (the next durable commit, such as
    /// the next checkpoint's, makes it durable): every certified blob leaves one at every node,
    /// and a crash before that commit only makes the node check the blob's slivers once more.
    pub fn finish(&self, duty: &Duty) -> Result<(), ChainStateError> {
        let mut txn = self.db.begin_write()?;
        let deferred = matches!(duty, Duty::Recover(_));
        if deferred {
            txn.set_durability(redb::Durability::None)?;
        }
        txn.open_table(DUTIES)?.remove(duty.key().as_slice())?;
        if deferred {
            txn.commit()?;
        } else {
            self.db.commit(txn)?;
        }
        Ok(())
    }

    /// The committee before the current one, as the follower saw it (`None` before the node saw
    /// an epoch change). Its members held the shards the current members gained.
    pub fn previous_committee(&self) -> Option<Arc<Committee>> {
        self.read(|snapshot| snapshot.previous.clone())
    }

    /// The blobs challenged in `epoch`: a live registration (end epoch after `epoch`, not
    /// deleted, id not invalid) certified in an earlier epoch. Unordered.
    pub fn challengeable_blobs(&self, epoch: Epoch) -> Vec<BlobId> {
        self.read(|snapshot| {
            snapshot
                .blobs
                .iter()
                .filter(|(_, info)| {
                    !info.invalid
                        && info.objects.values().any(|object| {
                            object.end_epoch > epoch
                                && object.certified_epoch.is_some_and(|certified| certified < epoch)
                        })
                })
                .map(|(id, _)| *id)
                .collect()
        })
    }

    /// The blobs with a certified, live registration in the current epoch, in id order.
    pub fn certified_blobs(&self) -> Vec<BlobId> {
        self.read(|snapshot| {
            let epoch = snapshot.committee.epoch();
            let mut ids: Vec<BlobId> =
                snapshot.blobs.iter().filter(|(_, info)| info.is_certified(epoch)).map(|(id, _)| *id).collect();
            ids.sort();
            ids
        })
    }
}

impl ChainView for ChainState {
    fn current_epoch(&self) -> Epoch {
        self.read(|snapshot| snapshot.committee.epoch())
    }

    fn committee(&self) -> Arc<Committee> {
        self.read(|snapshot| snapshot.committee.clone())
    }

    fn blob_info(&self, blob_id: &BlobId) -> Option<BlobInfo> {
        self.read(|snapshot| snapshot.blobs.get(blob_id).cloned())
    }

    fn next_checkpoint(&self) -> Option<u64> {
        Some(ChainState::next_checkpoint(self))
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.progress()
    }
}

#[cfg(test)]
mod tests {
    use floe_encoder::bls::BlsSecretKey;

    use super::*;

    fn committee(epoch: Epoch, shards: &[u16]) -> Committee {
        let holder = CommitteeMember {
            public_key: BlsSecretKey::from_seed(&[1; 32]).public_key(),
            shards: shards.iter().copied().map(ShardIndex).collect(),
            http_address: "http://127.0.0.1:1".into(),
            network_key: None,
        };
        let rest: Vec<ShardIndex> = (0..4).map(ShardIndex).filter(|shard| !holder.shards.contains(shard)).collect();
        let other = CommitteeMember {
            public_key: BlsSecretKey::from_seed(&[2; 32]).public_key(),
            shards: rest,
            http_address: "http://127.0.0.1:2".into(),
            network_key: None,
        };
        Committee::new(epoch, 4, vec![holder, other]).unwrap()
    }

    #[test]
    fn a_checkpoint_is_applied_once_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let state = ChainState::open(&store, committee(1, &[0, 1])).unwrap();
        let (blob_id, object_id) = (BlobId([3; 32]), Address::new([4; 32]));
        let register = ChainChange::Registered { blob_id, object_id, end_epoch: 4, deletable: true };
        state.apply_checkpoint(0, std::slice::from_ref(&register), &[]).unwrap();
        let again = state.apply_checkpoint(0, &[register], &[]).unwrap_err();
        assert!(matches!(again, ChainStateError::OutOfOrder { expected: 1, given: 0 }), "{again}");
        let skipped = state.apply_checkpoint(2, &[], &[]).unwrap_err();
        assert!(matches!(skipped, ChainStateError::OutOfOrder { expected: 1, given: 2 }), "{skipped}");
        state.apply_checkpoint(1, &[ChainChange::Deleted { blob_id, object_id }], &[]).unwrap();
        assert!(!state.blob_info(&blob_id).unwrap().is_registered(1));
        assert_eq!(state.next_checkpoint(), 2);
    }

    #[test]
    fn committee_changes_persist_and_an_older_chain_view_does_not_win() {
        let dir = tempfile::tempdir().unwrap();
        let key = BlsSecretKey::from_seed(&[1; 32]).public_key();
        {
            let store = Store::open(dir.path()).unwrap();
            let state = ChainState::open(&store, committee(1, &[0, 1])).unwrap();
            state
                .apply_checkpoint(0, &[ChainChange::CommitteeChanged(committee(3, &[2]))], &[Duty::EpochSyncDone(3)])
                .unwrap();
            assert_eq!(state.committee().shards_of(&key), vec![ShardIndex(2)]);
        }
        let store = Store::open(dir.path()).unwrap();
        // An endpoint lagging behind still reports epoch 2 at start-up; one ahead reports 5,
        // whose changes the follower replays. Either way the stored state stands.
        let state = ChainState::open(&store, committee(2, &[0])).unwrap();
        assert_eq!(state.current_epoch(), 3);
        assert_eq!(state.committee().shards_of(&key), vec![ShardIndex(2)]);
        assert_eq!(state.previous_committee().unwrap().shards_of(&key), vec![ShardIndex(0), ShardIndex(1)]);
        drop(state);
        let state = ChainState::open(&store, committee(5, &[3])).unwrap();
        assert_eq!(state.current_epoch(), 3);
        assert_eq!(state.previous_committee().unwrap().epoch(), 1);
        assert_eq!(state.duties().unwrap(), vec![Duty::EpochSyncDone(3)]);
        state.finish(&Duty::EpochSyncDone(3)).unwrap();
        assert!(state.duties().unwrap().is_empty());
    }

    #[test]
    fn replayed_changes_change_nothing_and_epochs_never_go_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let state = ChainState::open(&store, committee(2, &[0, 1])).unwrap();
        let (blob_id, object_id) = (BlobId([7; 32]), Address::new([8; 32]));
        let registered = ChainChange::Registered { blob_id, object_id, end_epoch: 5, deletable: false };
        let certified = |epoch, end_epoch| ChainChange::Certified { blob_id, object_id, epoch, end_epoch };
        state.apply_checkpoint(0, &[registered.clone(), certified(2, 5)], &[]).unwrap();
        let before = state.blob_info(&blob_id).unwrap();
        // A follower restarted from an older checkpoint replays both changes.
        state.apply_checkpoint(1, &[registered, certified(3, 5)], &[]).unwrap();
        assert_eq!(state.blob_info(&blob_id).unwrap(), before);
        assert!(before.is_certified(2));
        // An extension of a certified blob comes as a certification with a later end epoch.
        state.apply_checkpoint(2, &[certified(2, 9)], &[]).unwrap();
        assert_eq!(state.blob_info(&blob_id).unwrap().end_epoch(2), Some(9));
        state.apply_checkpoint(3, &[ChainChange::CommitteeChanged(committee(1, &[0]))], &[]).unwrap();
        assert_eq!(state.current_epoch(), 2);
        assert!(state.previous_committee().is_none());
        state.apply_checkpoint(4, &[ChainChange::CommitteeChanged(committee(3, &[0]))], &[]).unwrap();
        assert_eq!(state.current_epoch(), 3);
        drop(state);
        // The ignored older committee was not stored either.
        let state = ChainState::open(&store, committee(1, &[0])).unwrap();
        assert_eq!((state.current_epoch(), state.previous_committee().unwrap().epoch()), (3, 2));
    }
}
