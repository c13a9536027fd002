//! Crash-safe storage in one redb database: a table of metadata, a table of per-blob chain state,
//! a table of inconsistency proofs, and two tables per shard (`shard-{i}/primary-slivers`,
//! `shard-{i}/secondary-slivers`), all keyed by blob id. Sliver records of 64 KiB and more live in
//! one file beside the database, their rows holding where they are (`sliver_file`).
//!
//! Every write is its own redb write transaction. Most are committed with immediate durability,
//! so a call that returned `Ok` survives a crash. The writes of an upload (a client's metadata
//! and slivers, [`Commit::Deferred`]) skip the disk sync: they become durable with the next
//! durable commit, which [`Store::persist`] forces before the node signs a storage confirmation
//! (its promise to keep them). A crash before that loses them as if they never arrived; the
//! database stays consistent, and the node recovers them after certification. One sync per
//! confirmation instead of one per sliver is what lets a node take a thousand-shard upload.
//! A node is not always asked to confirm (the client stops asking once it has a certificate),
//! so the store remembers which blobs have writes not yet synced, and [`Store::persist_blob`]
//! syncs only when the blob asked about is one of them: what the recovery duty of a certified
//! blob calls before it ends, since after it nothing would bring back data lost in a crash.
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
//! The code is split by what it keeps: `slivers` (the two tables per shard), `sliver_file` (the
//! large records, outside the database), `blob_records`
//! (metadata, chain state and inconsistency proofs, one of each per blob), `shard_sync` (a shard's
//! pages for the peer that gained it, and the progress of syncing one gained here), `scrub` (the
//! walk over every sliver record and where it stopped), `database_file` (opening the file, and
//! converting one written in an older format). This file holds the store itself, its settings,
//! the commit policy and the errors.
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

mod blob_records;
mod database_file;
mod scrub;
mod shard_sync;
mod sliver_file;
mod slivers;

use std::{
    collections::HashSet,
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard, Weak},
};

use floe_encoder::{
    BlobId, ShardIndex, SliverType,
    error::{MetadataError, SliverError},
};
pub use floe_node_api::StorageUse;
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};

pub(crate) use self::slivers::shard_table_name;
use self::{
    blob_records::{BLOB_INFO, INCONSISTENCY_PROOFS, METADATA},
    database_file::{MOVE_ASIDE, open_database},
    scrub::SCRUB_CURSOR,
    shard_sync::SYNC_PROGRESS,
    sliver_file::SliverFile,
};
pub use self::{
    database_file::DATABASE_FILE,
    scrub::ScrubPosition,
    shard_sync::{ShardPage, SyncProgress},
    sliver_file::{RECORD_ALIGN, SLIVER_FILE},
};
use crate::{stored_sliver::Damage, vouched::VouchedSlivers};

/// When a write must survive a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// When the call returns.
    Durable,
    /// At the next durable commit ([`Store::persist`], or any durable write): for what the node
    /// vouches for only later.
    Deferred,
}

/// The redb cache of a node's database unless configured otherwise (redb's own default is 1 GiB
/// per database, which a process running many nodes cannot afford).
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The smallest sliver record (digest and BCS) kept in the sliver file rather than in its table
/// row, unless configured otherwise. Below it a record costs redb little, and a removed one
/// would give back few whole disk blocks.
pub const DEFAULT_FILE_SLIVER_MIN_BYTES: usize = 64 * 1024;

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
    /// The store's sliver records are of a format this node does not know: a newer node wrote
    /// them. Converting back is not supported.
    #[error(
        "the store's sliver records are of format {format}, newer than this node knows ({known}): run a newer node"
    )]
    UnknownFormat {
        /// The format recorded in the store.
        format: u32,
        /// The newest format this node knows.
        known: u32,
    },
    /// The sliver file failed (I/O).
    #[error("sliver file {path}: {source}")]
    SliverFile {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
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
    /// A metadata record whose digest no longer holds.
    #[error(transparent)]
    MetadataRecord(#[from] crate::stored_metadata::Damage),
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

/// How the node sizes its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSettings {
    /// redb's page cache, in bytes.
    pub cache_bytes: usize,
    /// The smallest sliver record kept in the sliver file rather than in the database (0: every
    /// record).
    pub file_sliver_min_bytes: usize,
    /// The sliver file is written and read with direct I/O, past the page cache, where the file
    /// system allows it (see `sliver_file`).
    pub direct_io: bool,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self { cache_bytes: DEFAULT_CACHE_BYTES, file_sliver_min_bytes: DEFAULT_FILE_SLIVER_MIN_BYTES, direct_io: true }
    }
}

/// The node's persistent storage.
#[derive(Debug)]
pub struct Store {
    // Shared with the chain follower's state (`crate::chain_state`), whose tables live in the
    // same file so one transaction can cover both.
    db: Arc<Database>,
    /// The database's file, for its disk use.
    database_path: PathBuf,
    /// The large sliver records; synced before every durable commit of `db`.
    file: Arc<SliverFile>,
    /// The slivers inserted since the store was opened. Locked around every write transaction
    /// that changes a sliver table (always before the transaction begins, so the two locks are
    /// taken in one order), so the record changes in the same order as the tables.
    vouched: Mutex<VouchedSlivers>,
    /// Blobs with writes committed [`Commit::Deferred`] since the last [`Store::persist`]. It
    /// may still name a blob another durable commit (a checkpoint's) has synced since: then
    /// [`Store::persist_blob`] syncs once more for nothing, never less than it must.
    unsynced: Mutex<HashSet<BlobId>>,
}

/// How many blobs may have unsynced writes before a deferred write syncs them all itself: a
/// node that is never asked to confirm, nor runs recovery duties, still syncs now and then.
const MAX_UNSYNCED_BLOBS: usize = 1024;

impl Store {
    /// Opens (or creates) the store in directory `dir`, with the default settings.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, &StoreSettings::default())
    }

    /// Opens (or creates) the store in directory `dir`.
    pub fn open_with(dir: &Path, settings: &StoreSettings) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| StoreError::Directory { path: dir.display().to_string(), source })?;
        let database_path = dir.join(DATABASE_FILE);
        let opened = open_database(&database_path, settings)?;
        let db = opened.db;
        let file = SliverFile::open(dir, settings.file_sliver_min_bytes, opened.is_new, settings.direct_io)?;
        // Create the fixed tables up front, so readers never meet a missing one.
        let txn = db.begin_write()?;
        for table in [METADATA, BLOB_INFO, INCONSISTENCY_PROOFS, SYNC_PROGRESS] {
            txn.open_table(table)?;
        }
        txn.open_table(SCRUB_CURSOR)?;
        database_file::update_format(&txn)?;
        txn.commit()?;
        let store = Self {
            db: Arc::new(db),
            database_path,
            file: Arc::new(file),
            vouched: Mutex::default(),
            unsynced: Mutex::default(),
        };
        if opened.was_repaired {
            // Records written for transactions a crash kept from becoming durable.
            store.reclaim_unreferenced_records()?;
        }
        Ok(store)
    }

    fn unsynced(&self) -> MutexGuard<'_, HashSet<BlobId>> {
        self.unsynced.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Notes a write of `blob_id` just committed with `commit`.
    fn committed(&self, blob_id: &BlobId, commit: Commit) -> Result<(), StoreError> {
        if commit == Commit::Deferred {
            let mut unsynced = self.unsynced();
            unsynced.insert(*blob_id);
            if unsynced.len() > MAX_UNSYNCED_BLOBS {
                drop(unsynced);
                self.persist()?;
            }
        }
        Ok(())
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

    /// The disk space the store's two files take.
    pub fn disk_use(&self) -> std::io::Result<StorageUse> {
        let database = std::fs::metadata(&self.database_path)?;
        let (sliver_file_bytes, sliver_file_length) = self.file.disk_use()?;
        Ok(StorageUse { database_bytes: database.blocks() * 512, sliver_file_bytes, sliver_file_length })
    }

    /// A watch on this store's files being closed: they stay open while anything holds the
    /// store or its database (the node, its chain state, and blocking work a cancelled request
    /// or duty left running), and the directory cannot be opened again until then.
    pub fn closing(&self) -> StoreClosing {
        StoreClosing { db: Arc::downgrade(&self.db), file: Arc::downgrade(&self.file) }
    }

    /// The database itself, for the tables kept beside the store's (the chain state's, the
    /// verdicts').
    pub(crate) fn database(&self) -> SharedDatabase {
        SharedDatabase { db: self.db.clone(), file: self.file.clone() }
    }

    /// Commits `txn` with `commit`; a durable commit syncs the sliver file first, so that no row
    /// made durable points at bytes a crash can lose.
    fn commit(&self, txn: WriteTransaction, commit: Commit) -> Result<(), StoreError> {
        if commit == Commit::Durable {
            self.file.sync()?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Whether `table` holds `key`, without copying its value out.
    fn contains(&self, table: TableDefinition<'_, &[u8], &[u8]>, key: &BlobId) -> Result<bool, StoreError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(table) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(false),
            Err(error) => return Err(error.into()),
        };
        Ok(table.get(key.0.as_slice())?.is_some())
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
        self.commit(txn, commit)?;
        self.committed(key, commit)?;
        Ok(inserted)
    }

    /// Makes every write so far durable (one durable commit of nothing: it syncs what the
    /// [`Commit::Deferred`] writes before it left unsynced).
    pub fn persist(&self) -> Result<(), StoreError> {
        // Taken before the commit: a deferred write committed after this point stays noted
        // (transactions are serial, so every one noted before it is covered by the commit).
        let taken = std::mem::take(&mut *self.unsynced());
        let synced = self.db.begin_write().map_err(StoreError::from).and_then(|txn| self.commit(txn, Commit::Durable));
        if synced.is_err() {
            self.unsynced().extend(taken);
        }
        synced
    }

    /// Makes `blob_id`'s writes durable if some are not yet ([`Store::persist`] if so); whether
    /// it synced.
    pub fn persist_blob(&self, blob_id: &BlobId) -> Result<bool, StoreError> {
        if !self.unsynced().contains(blob_id) {
            return Ok(false);
        }
        self.persist()?;
        Ok(true)
    }

    /// Whether every write of `blob_id` so far is known to be durable (`false` may also mean
    /// that a durable commit other than [`Store::persist`] synced them unnoticed).
    pub fn is_synced(&self, blob_id: &BlobId) -> bool {
        !self.unsynced().contains(blob_id)
    }
}

/// Tells when a [`Store`]'s files are closed (see [`Store::closing`]).
#[derive(Debug)]
pub struct StoreClosing {
    db: Weak<Database>,
    file: Weak<SliverFile>,
}

impl StoreClosing {
    /// How long whoever opens a stopped node's directory again waits for its store to close:
    /// the work that may still hold it is bounded, so reaching this means something holds it
    /// for good.
    pub const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

    /// How often [`StoreClosing::closed`] looks.
    const POLL: std::time::Duration = std::time::Duration::from_millis(5);

    /// Whether both files are closed.
    pub fn is_closed(&self) -> bool {
        self.db.strong_count() == 0 && self.file.strong_count() == 0
    }

    /// Waits until the files are closed, or `within` has passed; returns whether they are.
    /// What may still hold them is work already under way, each piece bounded, so the wait is
    /// short; polling keeps every holder free of any part in it.
    pub async fn closed(&self, within: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while !self.is_closed() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Self::POLL).await;
        }
        true
    }
}

/// The store's database, for tables kept beside the store's. A durable commit of it must go
/// through [`SharedDatabase::commit`]: it also makes the store's deferred writes durable, and
/// those may point into the sliver file, which is synced first.
#[derive(Debug, Clone)]
pub(crate) struct SharedDatabase {
    db: Arc<Database>,
    file: Arc<SliverFile>,
}

impl SharedDatabase {
    /// Commits `txn` durably, the sliver file synced first.
    pub(crate) fn commit(&self, txn: WriteTransaction) -> Result<(), StoreError> {
        self.file.sync()?;
        txn.commit()?;
        Ok(())
    }
}

impl std::ops::Deref for SharedDatabase {
    type Target = Database;

    fn deref(&self) -> &Database {
        &self.db
    }
}
