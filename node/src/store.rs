//! Crash-safe storage in one redb database: a table of metadata, a table of per-blob chain state,
//! a table of inconsistency proofs, and two tables per shard (`shard-{i}/primary-slivers`,
//! `shard-{i}/secondary-slivers`), all keyed by blob id.
//!
//! Every write is its own redb write transaction. Most are committed with immediate durability,
//! so a call that returned `Ok` survives a crash. The writes of an upload (a client's metadata
//! and slivers, [`Commit::Deferred`]) skip the disk sync: they become durable with the next
//! durable commit, which [`Store::persist`] forces before the node signs a storage confirmation
//! (its promise to keep them). A crash before that loses them as if they never arrived; the
//! database stays consistent, and the node recovers them after certification. One sync per
//! confirmation instead of one per sliver is what lets a node take a thousand-shard upload.
//!
//! Each sliver is stored with its digest ([`crate::stored_sliver`]) and checked on every read: a
//! sliver whose bytes changed on disk reads as [`StoreError::DamagedSliver`], never as a sliver.
//! Opening a damaged database file is an error naming the file and what to do, not a panic.
//!
//! The store also remembers, in memory, which slivers it inserted since it was opened
//! ([`crate::vouched`]): every sliver put is one its caller checked against the blob's metadata,
//! so a storage confirmation can vouch for those without reading them back
//! ([`Store::not_vouched_for`]). Every removal of a sliver, and every read that finds one
//! damaged, drops it from that record.
//!
//! ```
//! use floe_encoder::{EncodingConfig, ShardIndex, SliverType, encode};
//! use floe_node::Store;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let config = EncodingConfig::new(4).unwrap();
//! let encoded = encode(&config, b"kept across restarts").unwrap();
//! let blob_id = *encoded.metadata.blob_id();
//! {
//!     let store = Store::open(dir.path()).unwrap();
//!     assert!(store.put_metadata(&blob_id, encoded.metadata.metadata()).unwrap());
//!     store.put_sliver(ShardIndex(2), &blob_id, &encoded.pairs[0].primary).unwrap();
//! }
//! let store = Store::open(dir.path()).unwrap();
//! assert_eq!(store.sliver(ShardIndex(2), SliverType::Primary, &blob_id).unwrap().as_ref(), Some(&encoded.pairs[0].primary));
//! ```

use std::{
    ops::Bound,
    path::Path,
    sync::{Arc, Mutex, MutexGuard},
};

use floe_encoder::{
    BlobId, ShardIndex, Sliver, SliverType,
    error::{MetadataError, SliverError},
    inconsistency::InconsistencyProof,
    metadata::BlobMetadata,
};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};

use crate::{
    blob_info::BlobInfo,
    stored_sliver::{self, Damage},
    vouched::VouchedSlivers,
};

/// The database file inside the node's storage directory.
pub const DATABASE_FILE: &str = "node.redb";

/// When a write must survive a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// When the call returns.
    Durable,
    /// At the next durable commit ([`Store::persist`], or any durable write): for what the node
    /// vouches for only later.
    Deferred,
}

const METADATA: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("metadata");
const BLOB_INFO: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("blob-info");
const INCONSISTENCY_PROOFS: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("inconsistency-proofs");
/// Shard sync progress: key BCS `(epoch, shard, axis)`, value the next blob id to ask for, or
/// empty once the axis is synced.
const SYNC_PROGRESS: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("sync-progress");
/// Where the background scrub stopped: key [`SCRUB_CURSOR_KEY`], value BCS [`ScrubPosition`].
const SCRUB_CURSOR: TableDefinition<'static, &str, &[u8]> = TableDefinition::new("scrub-cursor");
const SCRUB_CURSOR_KEY: &str = "last-checked";
/// The store's format: key [`SLIVER_FORMAT_KEY`], value [`SLIVER_FORMAT_DIGEST`] once every sliver
/// record carries its digest (stores written before that are converted when opened).
const STORE_FORMAT: TableDefinition<'static, &str, u32> = TableDefinition::new("store-format");
const SLIVER_FORMAT_KEY: &str = "sliver-records";
const SLIVER_FORMAT_DIGEST: u32 = 1;
const SHARD_TABLE_PREFIX: &str = "shard-";

/// The redb cache of a node's database unless configured otherwise (redb's own default is 1 GiB
/// per database, which a process running many nodes cannot afford).
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// What to do about a database file that cannot be opened.
const MOVE_ASIDE: &str = "move it aside (or delete it) to start the node empty; it then recovers the slivers of its \
                          shards from its peers";

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed (I/O, corruption detected by redb, ...).
    #[error("storage database error: {0}")]
    Database(#[from] redb::Error),
    /// Bytes on disk do not decode: the file was damaged or written by something else.
    #[error("stored {what} of blob {blob_id} does not decode: {reason}")]
    Corrupt {
        /// What was read.
        what: &'static str,
        /// The blob.
        blob_id: BlobId,
        /// The decoding error (boxed: metadata errors carry two blob ids).
        #[source]
        reason: Box<Undecodable>,
    },
    /// A stored sliver's bytes no longer match the digest stored with them.
    #[error("stored {axis} sliver of blob {blob_id} in shard {shard} is damaged: {damage}")]
    DamagedSliver {
        /// The shard.
        shard: ShardIndex,
        /// The axis.
        axis: SliverType,
        /// The blob.
        blob_id: BlobId,
        /// What is wrong with it.
        damage: Damage,
    },
    /// The database file cannot be opened.
    #[error("{path} cannot be opened: {source}; {advice}")]
    Open {
        /// The file.
        path: String,
        /// redb's error.
        source: redb::DatabaseError,
        /// What the operator can do.
        advice: &'static str,
    },
    /// The database file is damaged in a way redb does not report as an error (it stopped on an
    /// internal assertion while opening it).
    #[error("{path} is damaged ({reason}); {MOVE_ASIDE}")]
    Damaged {
        /// The file.
        path: String,
        /// redb's panic message.
        reason: String,
    },
    /// The storage directory cannot be created.
    #[error("cannot create storage directory {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Why stored bytes are not the record written there.
#[derive(Debug, thiserror::Error)]
pub enum Undecodable {
    /// Not the BCS of the record.
    #[error(transparent)]
    Bcs(#[from] bcs::Error),
    /// Metadata that no longer decodes.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// A sliver that no longer has its shape.
    #[error(transparent)]
    Sliver(#[from] SliverError),
}

macro_rules! from_redb {
    ($($error:ty),*) => {$(
        impl From<$error> for StoreError {
            fn from(error: $error) -> Self {
                Self::Database(error.into())
            }
        }
    )*};
}
from_redb!(redb::DatabaseError, redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError);

pub(crate) fn shard_table_name(shard: ShardIndex, axis: SliverType) -> String {
    format!("{SHARD_TABLE_PREFIX}{}/{}-slivers", shard.0, axis.as_str())
}

/// How far the sync of one axis of a gained shard has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncProgress {
    /// Not started: ask from the first blob id.
    NotStarted,
    /// Pages up to (not including) this blob id are stored.
    Next(BlobId),
    /// Every page was stored.
    Done,
}

/// One page of a shard's stored slivers, for a peer that gained the shard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShardPage {
    /// `(blob id, sliver BCS)`, ascending, each checked against its stored digest.
    pub slivers: Vec<(BlobId, Vec<u8>)>,
    /// The first blob id not looked at, when the page stopped before the end of the table.
    pub next: Option<BlobId>,
    /// Blobs whose sliver failed its digest check: left out of the page, for the caller to
    /// set aside and repair.
    pub damaged: Vec<(BlobId, Damage)>,
}

fn sync_key(epoch: u32, shard: ShardIndex, axis: SliverType) -> Vec<u8> {
    bcs::to_bytes(&(epoch, shard.0, axis)).expect("BCS of plain data cannot fail")
}

/// A stored sliver's place in the scrub's walk: shards in order, primary before secondary, blob
/// ids in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScrubPosition {
    /// The shard.
    pub shard: ShardIndex,
    /// The axis.
    pub axis: SliverType,
    /// The blob.
    pub blob_id: BlobId,
}

fn axis_rank(axis: SliverType) -> u8 {
    match axis {
        SliverType::Primary => 0,
        SliverType::Secondary => 1,
    }
}

/// The shard and axis a sliver table's name stands for.
fn parse_shard_table(name: &str) -> Option<(ShardIndex, SliverType)> {
    let rest = name.strip_prefix(SHARD_TABLE_PREFIX)?;
    let (shard, table) = rest.split_once('/')?;
    let shard = ShardIndex(shard.parse().ok()?);
    let axis = [SliverType::Primary, SliverType::Secondary]
        .into_iter()
        .find(|axis| table.strip_suffix("-slivers") == Some(axis.as_str()))?;
    Some((shard, axis))
}

/// How the node sizes its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSettings {
    /// redb's page cache, in bytes.
    pub cache_bytes: usize,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self { cache_bytes: DEFAULT_CACHE_BYTES }
    }
}

/// The advice for an error redb gives while opening the file.
fn open_advice(error: &redb::DatabaseError) -> &'static str {
    match error {
        redb::DatabaseError::DatabaseAlreadyOpen => "another process (another node?) has it open; stop that one first",
        redb::DatabaseError::UpgradeRequired(_) => {
            "it was written by an older redb: upgrade it with that version's tools"
        }
        _ => MOVE_ASIDE,
    }
}

/// The node's persistent storage.
#[derive(Debug)]
pub struct Store {
    // Shared with the chain follower's state (`crate::chain_state`), whose tables live in the
    // same file so one transaction can cover both.
    db: Arc<Database>,
    /// The slivers inserted since the store was opened. Locked around every write transaction
    /// that changes a sliver table (always before the transaction begins, so the two locks are
    /// taken in one order), so the record changes in the same order as the tables.
    vouched: Mutex<VouchedSlivers>,
}

impl Store {
    /// Opens (or creates) the store in directory `dir`, with the default settings.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, &StoreSettings::default())
    }

    /// Opens (or creates) the store in directory `dir`.
    pub fn open_with(dir: &Path, settings: &StoreSettings) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| StoreError::Directory { path: dir.display().to_string(), source })?;
        let db = open_database(&dir.join(DATABASE_FILE), settings)?;
        // Create the fixed tables up front, so readers never meet a missing one.
        let txn = db.begin_write()?;
        for table in [METADATA, BLOB_INFO, INCONSISTENCY_PROOFS, SYNC_PROGRESS] {
            txn.open_table(table)?;
        }
        txn.open_table(SCRUB_CURSOR)?;
        let format = txn.open_table(STORE_FORMAT)?.get(SLIVER_FORMAT_KEY)?.map(|value| value.value());
        if format != Some(SLIVER_FORMAT_DIGEST) {
            let converted = add_digests(&txn)?;
            if converted > 0 {
                tracing::info!(slivers = converted, "stored slivers converted to records with a digest");
            }
            txn.open_table(STORE_FORMAT)?.insert(SLIVER_FORMAT_KEY, SLIVER_FORMAT_DIGEST)?;
        }
        txn.commit()?;
        Ok(Self { db: Arc::new(db), vouched: Mutex::default() })
    }

    fn vouched(&self) -> MutexGuard<'_, VouchedSlivers> {
        // Each change to the record is one call, made before or after the transaction, never
        // half done; a panic inside a transaction at worst leaves a sliver forgotten too early,
        // which costs a read.
        self.vouched.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The slivers of `blob_id` among `slivers` that a storage confirmation must read back and
    /// check: all but those this store inserted since it was opened (each checked against the
    /// metadata by its writer) and has not removed or found damaged since. What this leaves to
    /// the scrub is in [`crate::vouched`].
    pub fn not_vouched_for(
        &self,
        blob_id: &BlobId,
        slivers: impl IntoIterator<Item = (ShardIndex, SliverType)>,
    ) -> Vec<(ShardIndex, SliverType)> {
        let vouched = self.vouched();
        slivers.into_iter().filter(|(shard, axis)| !vouched.contains(blob_id, *shard, *axis)).collect()
    }

    /// The database itself, for the chain state's tables.
    pub(crate) fn database(&self) -> Arc<Database> {
        self.db.clone()
    }

    fn get(&self, table: TableDefinition<'_, &[u8], &[u8]>, key: &BlobId) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(table) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        Ok(table.get(key.0.as_slice())?.map(|value| value.value().to_vec()))
    }

    /// Inserts `value` unless the key is present; returns whether it was inserted.
    fn insert_new(
        &self,
        table: TableDefinition<'_, &[u8], &[u8]>,
        key: &BlobId,
        value: &[u8],
        commit: Commit,
    ) -> Result<bool, StoreError> {
        let mut txn = self.db.begin_write()?;
        if commit == Commit::Deferred {
            txn.set_durability(Durability::None).map_err(redb::Error::from)?;
        }
        let inserted = {
            let mut table = txn.open_table(table)?;
            let present = table.get(key.0.as_slice())?.is_some();
            if !present {
                table.insert(key.0.as_slice(), value)?;
            }
            !present
        };
        txn.commit()?;
        Ok(inserted)
    }

    /// Stores metadata (already verified by the caller), durably; `false` if it was already
    /// stored.
    pub fn put_metadata(&self, blob_id: &BlobId, metadata: &BlobMetadata) -> Result<bool, StoreError> {
        self.put_metadata_with(blob_id, metadata, Commit::Durable)
    }

    /// Stores metadata (already verified by the caller) with `commit`; `false` if it was already
    /// stored.
    pub fn put_metadata_with(
        &self,
        blob_id: &BlobId,
        metadata: &BlobMetadata,
        commit: Commit,
    ) -> Result<bool, StoreError> {
        self.insert_new(METADATA, blob_id, &metadata.to_bcs(), commit)
    }

    /// Makes every write so far durable (one durable commit of nothing: it syncs what the
    /// [`Commit::Deferred`] writes before it left unsynced).
    pub fn persist(&self) -> Result<(), StoreError> {
        self.db.begin_write()?.commit()?;
        Ok(())
    }

    /// The stored metadata of `blob_id` (as stored: the caller re-verifies if it must).
    pub fn metadata(&self, blob_id: &BlobId) -> Result<Option<BlobMetadata>, StoreError> {
        self.get(METADATA, blob_id)?
            .map(|bytes| {
                BlobMetadata::from_bcs(&bytes).map_err(|error| StoreError::Corrupt {
                    what: "metadata",
                    blob_id: *blob_id,
                    reason: Box::new(error.into()),
                })
            })
            .transpose()
    }

    /// Stores a sliver (already verified) in `shard`'s table of its axis, durably; `false` if
    /// present.
    pub fn put_sliver(&self, shard: ShardIndex, blob_id: &BlobId, sliver: &Sliver) -> Result<bool, StoreError> {
        self.put_sliver_with(shard, blob_id, sliver, Commit::Durable)
    }

    /// Stores a sliver (already verified) in `shard`'s table of its axis with `commit`; `false`
    /// if present.
    pub fn put_sliver_with(
        &self,
        shard: ShardIndex,
        blob_id: &BlobId,
        sliver: &Sliver,
        commit: Commit,
    ) -> Result<bool, StoreError> {
        let name = shard_table_name(shard, sliver.axis());
        let sealed = stored_sliver::seal(sliver);
        let mut vouched = self.vouched();
        let inserted = self.insert_new(TableDefinition::new(&name), blob_id, &sealed, commit)?;
        // An upload of a sliver already stored writes nothing: what is on disk was not checked
        // now, and a confirmation reads it back.
        if inserted {
            vouched.record(*blob_id, [(shard, sliver.axis())]);
        }
        Ok(inserted)
    }

    /// Stores several verified slivers of `blob_id` (each with its shard) in one transaction, so
    /// a batch costs one durable commit; slivers already present are left as they are.
    pub fn put_slivers(&self, blob_id: &BlobId, slivers: &[(ShardIndex, Sliver)]) -> Result<(), StoreError> {
        self.put_slivers_with(blob_id, slivers, Commit::Durable).map(|_| ())
    }

    /// [`Store::put_slivers`] with `commit`; returns how many were new.
    pub fn put_slivers_with(
        &self,
        blob_id: &BlobId,
        slivers: &[(ShardIndex, Sliver)],
        commit: Commit,
    ) -> Result<usize, StoreError> {
        let key = blob_id.0.as_slice();
        let mut vouched = self.vouched();
        let mut txn = self.db.begin_write()?;
        if commit == Commit::Deferred {
            txn.set_durability(Durability::None).map_err(redb::Error::from)?;
        }
        let mut inserted = Vec::new();
        for (shard, sliver) in slivers {
            let name = shard_table_name(*shard, sliver.axis());
            let mut table = txn.open_table(TableDefinition::<&[u8], &[u8]>::new(&name))?;
            if table.get(key)?.is_none() {
                table.insert(key, stored_sliver::seal(sliver).as_slice())?;
                inserted.push((*shard, sliver.axis()));
            }
        }
        txn.commit()?;
        let count = inserted.len();
        vouched.record(*blob_id, inserted);
        Ok(count)
    }

    /// The sliver of `axis` that `shard` stores for `blob_id`, checked against its digest: one
    /// whose bytes changed on disk is [`StoreError::DamagedSliver`].
    pub fn sliver(&self, shard: ShardIndex, axis: SliverType, blob_id: &BlobId) -> Result<Option<Sliver>, StoreError> {
        let name = shard_table_name(shard, axis);
        self.get(TableDefinition::new(&name), blob_id)?
            .map(|record| {
                stored_sliver::open(axis, &record).map_err(|damage| {
                    self.vouched().forget(blob_id, shard, axis);
                    StoreError::DamagedSliver { shard, axis, blob_id: *blob_id, damage }
                })
            })
            .transpose()
    }

    /// Removes the sliver of `axis` that `shard` stores for `blob_id` if `still_damaged` says so of
    /// the record stored now (checked in the removing transaction, so a good copy stored
    /// meanwhile, by recovery say, stays). Returns whether it was removed.
    pub fn remove_damaged_sliver(
        &self,
        shard: ShardIndex,
        axis: SliverType,
        blob_id: &BlobId,
        still_damaged: impl Fn(&[u8]) -> bool,
    ) -> Result<bool, StoreError> {
        let name = shard_table_name(shard, axis);
        // Damage was found, whether or not it is still there to remove: read it back next time.
        let mut vouched = self.vouched();
        vouched.forget(blob_id, shard, axis);
        let txn = self.db.begin_write()?;
        let removed = {
            let mut table = txn.open_table(TableDefinition::<&[u8], &[u8]>::new(&name))?;
            let damaged = table.get(blob_id.0.as_slice())?.is_some_and(|record| still_damaged(record.value()));
            if damaged {
                table.remove(blob_id.0.as_slice())?;
            }
            damaged
        };
        txn.commit()?;
        Ok(removed)
    }

    /// Removes the stored metadata of `blob_id` if it still is `damaged` (bytes as read before).
    pub fn remove_damaged_metadata(&self, blob_id: &BlobId, damaged: &[u8]) -> Result<bool, StoreError> {
        let txn = self.db.begin_write()?;
        let removed = {
            let mut table = txn.open_table(METADATA)?;
            let same = table.get(blob_id.0.as_slice())?.is_some_and(|stored| stored.value() == damaged);
            if same {
                table.remove(blob_id.0.as_slice())?;
            }
            same
        };
        txn.commit()?;
        Ok(removed)
    }

    /// The stored metadata bytes of `blob_id`, as they are on disk.
    pub fn metadata_bytes(&self, blob_id: &BlobId) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(METADATA, blob_id)
    }

    /// The first stored sliver record after `after` (from the start when `None`) in the scrub's
    /// order ([`ScrubPosition`]), with its position; `None` once every table is walked.
    pub fn next_sliver_record(
        &self,
        after: Option<&ScrubPosition>,
    ) -> Result<Option<(ScrubPosition, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read()?;
        let mut tables: Vec<(ShardIndex, SliverType, String)> = txn
            .list_tables()?
            .filter_map(|handle| {
                let (shard, axis) = parse_shard_table(handle.name())?;
                Some((shard, axis, handle.name().to_owned()))
            })
            .collect();
        tables.sort_by_key(|(shard, axis, _)| (*shard, axis_rank(*axis)));
        for (shard, axis, name) in tables {
            let start = match after {
                Some(after) if (shard, axis_rank(axis)) < (after.shard, axis_rank(after.axis)) => continue,
                Some(after) if (shard, axis) == (after.shard, after.axis) => {
                    Bound::Excluded(after.blob_id.0.as_slice())
                }
                _ => Bound::Unbounded,
            };
            let table: redb::ReadOnlyTable<&[u8], &[u8]> = txn.open_table(TableDefinition::new(&name))?;
            for entry in table.range::<&[u8]>((start, Bound::Unbounded))? {
                let (key, value) = entry?;
                // Keys are always written from 32-byte ids; anything else is not ours to check.
                let Ok(id) = <[u8; 32]>::try_from(key.value()) else { continue };
                return Ok(Some((ScrubPosition { shard, axis, blob_id: BlobId(id) }, value.value().to_vec())));
            }
        }
        Ok(None)
    }

    /// Where the scrub stopped last (`None`: at the start of a pass).
    pub fn scrub_cursor(&self) -> Result<Option<ScrubPosition>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(SCRUB_CURSOR)?;
        // An undecodable cursor only costs a pass started over.
        Ok(table.get(SCRUB_CURSOR_KEY)?.and_then(|value| bcs::from_bytes(value.value()).ok()))
    }

    /// Records where the scrub stopped (`None`: a pass ended, the next starts at the beginning).
    pub fn put_scrub_cursor(&self, cursor: Option<&ScrubPosition>) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(SCRUB_CURSOR)?;
            match cursor {
                Some(cursor) => {
                    let bytes = bcs::to_bytes(cursor).expect("BCS of plain data cannot fail");
                    table.insert(SCRUB_CURSOR_KEY, bytes.as_slice())?;
                }
                None => {
                    table.remove(SCRUB_CURSOR_KEY)?;
                }
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Whether `shard` stores the sliver of `axis` for `blob_id`.
    pub fn has_sliver(&self, shard: ShardIndex, axis: SliverType, blob_id: &BlobId) -> Result<bool, StoreError> {
        let name = shard_table_name(shard, axis);
        let txn = self.db.begin_read()?;
        let table: redb::ReadOnlyTable<&[u8], &[u8]> = match txn.open_table(TableDefinition::new(&name)) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(false),
            Err(error) => return Err(error.into()),
        };
        Ok(table.get(blob_id.0.as_slice())?.is_some())
    }

    /// Records the chain's state of `blob_id` as the node last saw it.
    pub fn put_blob_info(&self, blob_id: &BlobId, info: &BlobInfo) -> Result<(), StoreError> {
        let bytes = bcs::to_bytes(info).expect("BCS of plain data cannot fail");
        let txn = self.db.begin_write()?;
        txn.open_table(BLOB_INFO)?.insert(blob_id.0.as_slice(), bytes.as_slice())?;
        txn.commit()?;
        Ok(())
    }

    /// The recorded chain state of `blob_id`.
    pub fn blob_info(&self, blob_id: &BlobId) -> Result<Option<BlobInfo>, StoreError> {
        self.get(BLOB_INFO, blob_id)?
            .map(|bytes| {
                bcs::from_bytes(&bytes).map_err(|error| StoreError::Corrupt {
                    what: "blob info",
                    blob_id: *blob_id,
                    reason: Box::new(error.into()),
                })
            })
            .transpose()
    }

    /// Every blob id with a recorded chain state, in id order.
    pub fn blob_ids(&self) -> Result<Vec<BlobId>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(BLOB_INFO)?;
        let mut ids = Vec::new();
        for entry in table.iter()? {
            let (key, _) = entry?;
            // Keys are always written from 32-byte ids; anything else is not ours to serve.
            if let Ok(id) = <[u8; 32]>::try_from(key.value()) {
                ids.push(BlobId(id));
            }
        }
        Ok(ids)
    }

    /// Keeps an inconsistency proof found while recovering `blob_id`.
    pub fn put_inconsistency_proof(&self, blob_id: &BlobId, proof: &InconsistencyProof) -> Result<(), StoreError> {
        let bytes = bcs::to_bytes(proof).expect("BCS of plain data cannot fail");
        let txn = self.db.begin_write()?;
        txn.open_table(INCONSISTENCY_PROOFS)?.insert(blob_id.0.as_slice(), bytes.as_slice())?;
        txn.commit()?;
        Ok(())
    }

    /// The inconsistency proof kept for `blob_id`.
    pub fn inconsistency_proof(&self, blob_id: &BlobId) -> Result<Option<InconsistencyProof>, StoreError> {
        self.get(INCONSISTENCY_PROOFS, blob_id)?
            .map(|bytes| {
                bcs::from_bytes(&bytes).map_err(|error| StoreError::Corrupt {
                    what: "inconsistency proof",
                    blob_id: *blob_id,
                    reason: Box::new(error.into()),
                })
            })
            .transpose()
    }

    /// Up to `max_count` slivers of `axis` stored for `shard`, of the blobs from `start` on (in id
    /// order) that `include` accepts, stopping early once `max_bytes` are gathered (a page holds
    /// at least one sliver). Blobs `include` refuses are skipped.
    pub fn shard_page(
        &self,
        shard: ShardIndex,
        axis: SliverType,
        start: &BlobId,
        max_count: usize,
        max_bytes: usize,
        include: impl Fn(&BlobId) -> bool,
    ) -> Result<ShardPage, StoreError> {
        let name = shard_table_name(shard, axis);
        let txn = self.db.begin_read()?;
        let table: redb::ReadOnlyTable<&[u8], &[u8]> = match txn.open_table(TableDefinition::new(&name)) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(ShardPage::default()),
            Err(error) => return Err(error.into()),
        };
        let mut page = ShardPage::default();
        let mut bytes = 0;
        for entry in table.range(start.0.as_slice()..)? {
            let (key, value) = entry?;
            let Ok(id) = <[u8; 32]>::try_from(key.value()) else { continue };
            let blob_id = BlobId(id);
            if page.slivers.len() >= max_count || (!page.slivers.is_empty() && bytes + value.value().len() > max_bytes)
            {
                page.next = Some(blob_id);
                break;
            }
            if include(&blob_id) {
                match stored_sliver::checked_bcs(value.value()) {
                    Ok(bcs) => {
                        bytes += bcs.len();
                        page.slivers.push((blob_id, bcs.to_vec()));
                    }
                    Err(damage) => page.damaged.push((blob_id, damage)),
                }
            }
        }
        if !page.damaged.is_empty() {
            let mut vouched = self.vouched();
            for (blob_id, _) in &page.damaged {
                vouched.forget(blob_id, shard, axis);
            }
        }
        Ok(page)
    }

    /// The shards this store holds any sliver table of (held now or not yet dropped).
    pub fn stored_shards(&self) -> Result<Vec<ShardIndex>, StoreError> {
        let txn = self.db.begin_read()?;
        let mut shards: Vec<ShardIndex> =
            txn.list_tables()?.filter_map(|handle| parse_shard_table(handle.name()).map(|(shard, _)| shard)).collect();
        shards.sort();
        shards.dedup();
        Ok(shards)
    }

    /// Deletes both sliver tables of `shard` (after it moved to another node that now holds it).
    pub fn drop_shard(&self, shard: ShardIndex) -> Result<(), StoreError> {
        let mut vouched = self.vouched();
        vouched.forget_shard(shard);
        let txn = self.db.begin_write()?;
        for axis in [SliverType::Primary, SliverType::Secondary] {
            let name = shard_table_name(shard, axis);
            txn.delete_table(TableDefinition::<&[u8], &[u8]>::new(&name))?;
        }
        txn.commit()?;
        Ok(())
    }

    /// How far the sync of `axis` of `shard`, gained in `epoch`, has come.
    pub fn sync_progress(&self, epoch: u32, shard: ShardIndex, axis: SliverType) -> Result<SyncProgress, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(SYNC_PROGRESS)?;
        Ok(match table.get(sync_key(epoch, shard, axis).as_slice())? {
            None => SyncProgress::NotStarted,
            Some(value) => match <[u8; 32]>::try_from(value.value()) {
                Ok(next) => SyncProgress::Next(BlobId(next)),
                Err(_) => SyncProgress::Done,
            },
        })
    }

    /// Stores a synced page's slivers (already verified) and the metadata they were verified
    /// against, and moves the sync's progress to `progress`, in one transaction: a restart
    /// resumes after the last page stored, never before it.
    pub fn put_synced_page(
        &self,
        epoch: u32,
        shard: ShardIndex,
        axis: SliverType,
        slivers: &[(BlobId, Sliver)],
        metadata: &[(BlobId, BlobMetadata)],
        progress: SyncProgress,
    ) -> Result<(), StoreError> {
        let mut vouched = self.vouched();
        let txn = self.db.begin_write()?;
        let mut inserted = Vec::new();
        {
            let mut stored_metadata = txn.open_table(METADATA)?;
            for (blob_id, metadata) in metadata {
                if stored_metadata.get(blob_id.0.as_slice())?.is_none() {
                    stored_metadata.insert(blob_id.0.as_slice(), metadata.to_bcs().as_slice())?;
                }
            }
            let name = shard_table_name(shard, axis);
            let mut table = txn.open_table(TableDefinition::<&[u8], &[u8]>::new(&name))?;
            for (blob_id, sliver) in slivers {
                if table.get(blob_id.0.as_slice())?.is_none() {
                    table.insert(blob_id.0.as_slice(), stored_sliver::seal(sliver).as_slice())?;
                    inserted.push(*blob_id);
                }
            }
            let value: &[u8] = match &progress {
                SyncProgress::Next(next) => next.0.as_slice(),
                SyncProgress::Done | SyncProgress::NotStarted => &[],
            };
            let mut progress_table = txn.open_table(SYNC_PROGRESS)?;
            match progress {
                SyncProgress::NotStarted => {
                    progress_table.remove(sync_key(epoch, shard, axis).as_slice())?;
                }
                _ => {
                    progress_table.insert(sync_key(epoch, shard, axis).as_slice(), value)?;
                }
            }
        }
        txn.commit()?;
        for blob_id in inserted {
            vouched.record(blob_id, [(shard, axis)]);
        }
        Ok(())
    }

    /// Deletes the blob's metadata and every sliver of it in every shard, in one transaction.
    /// The recorded chain state stays, so the node remembers why the data is gone.
    pub fn delete_blob_data(&self, blob_id: &BlobId) -> Result<(), StoreError> {
        let key = blob_id.0.as_slice();
        let mut vouched = self.vouched();
        vouched.forget_blob(blob_id);
        let txn = self.db.begin_write()?;
        let shard_tables: Vec<String> = txn
            .list_tables()?
            .map(|handle| handle.name().to_owned())
            .filter(|name| name.starts_with(SHARD_TABLE_PREFIX))
            .collect();
        for name in &shard_tables {
            txn.open_table(TableDefinition::<&[u8], &[u8]>::new(name))?.remove(key)?;
        }
        txn.open_table(METADATA)?.remove(key)?;
        txn.commit()?;
        Ok(())
    }
}

/// Opens the database file at `path`: damage redb reports and damage it stops on (an internal
/// assertion, e.g. on a file cut short) both become an error naming the file and what to do.
fn open_database(path: &Path, settings: &StoreSettings) -> Result<Database, StoreError> {
    let shown = path.display().to_string();
    let mut builder = Database::builder();
    builder.set_cache_size(settings.cache_bytes);
    let file = shown.clone();
    // redb runs its repair pass on a file it has just created too; only an existing one was
    // left by an unclean shutdown and is worth a warning.
    let existed = std::fs::metadata(path).is_ok_and(|metadata| metadata.len() > 0);
    builder.set_repair_callback(move |session| {
        // redb repairs after an unclean shutdown by itself; say why start-up takes longer.
        if existed {
            tracing::warn!(file = %file, progress = format!("{:.0}%", session.progress() * 100.0), "repairing the database");
        }
    });
    // redb asserts on some damage instead of returning an error. The panic is caught only to
    // report it; nothing of the half-opened database is used afterwards.
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.create(path)));
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(source)) => Err(StoreError::Open { path: shown, advice: open_advice(&source), source }),
        Err(panic) => {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "redb stopped on an internal check".into());
            Err(StoreError::Damaged { path: shown, reason })
        }
    }
}

/// Puts a digest in front of every sliver record of a store written before records had one;
/// returns how many were converted. Those slivers were verified when stored; the scrub checks
/// them against their metadata again.
fn add_digests(txn: &redb::WriteTransaction) -> Result<usize, StoreError> {
    let names: Vec<String> = txn
        .list_tables()?
        .map(|handle| handle.name().to_owned())
        .filter(|name| parse_shard_table(name).is_some())
        .collect();
    let mut converted = 0;
    for name in names {
        let mut table = txn.open_table(TableDefinition::<&[u8], &[u8]>::new(&name))?;
        let mut records = Vec::new();
        for entry in table.iter()? {
            let (key, value) = entry?;
            records.push((key.value().to_vec(), stored_sliver::seal_bcs(value.value())));
        }
        for (key, record) in &records {
            table.insert(key.as_slice(), record.as_slice())?;
        }
        converted += records.len();
    }
    Ok(converted)
}
