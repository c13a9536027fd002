//! Durable state in redb: objects, transactions, checkpoints and the genesis description. Each
//! checkpoint is written in one redb transaction together with the objects it changed, so a
//! restart resumes exactly at the last sealed checkpoint.

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use sui_sdk_types::{
    Address, CheckpointContents, CheckpointSummary, Digest, Object, Transaction, TransactionEffects, TransactionEvents,
    UserSignature,
};

const OBJECTS: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("objects");
const TRANSACTIONS: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("transactions");
const CHECKPOINTS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("checkpoints");
/// Every version ever written, keyed by id followed by the big-endian version.
const OBJECT_VERSIONS: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("object_versions");
const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const GENESIS_KEY: &str = "genesis";

/// A storage failure. Cloned into the answer of every transaction of a failed group commit,
/// hence the `Arc` around redb's uncloneable error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// redb (or the file system under it) reported an error.
    #[error("devnet store at {path}: {source}")]
    Database {
        /// The database file.
        path: String,
        /// redb's error.
        #[source]
        source: Arc<redb::Error>,
    },
    /// A stored record did not decode (the file is corrupt or from another version).
    #[error("devnet store: record {what} does not decode: {source}")]
    Corrupt {
        /// Which record.
        what: String,
        /// The BCS error.
        #[source]
        source: bcs::Error,
    },
    /// The stored checkpoints skip or repeat a sequence number.
    #[error("devnet store: checkpoint {found} is stored where checkpoint {expected} belongs")]
    OutOfSequence {
        /// The sequence number found.
        found: u64,
        /// The one expected next.
        expected: u64,
    },
}

/// One executed transaction as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransactionRecord {
    /// The transaction.
    pub transaction: Transaction,
    /// Its signatures.
    pub signatures: Vec<UserSignature>,
    /// Its effects.
    pub effects: TransactionEffects,
    /// Its events (empty when it emitted none or failed).
    pub events: TransactionEvents,
    /// The checkpoint that holds it.
    pub checkpoint: u64,
    /// Its position in that checkpoint.
    pub index: u64,
    /// The checkpoint's timestamp.
    pub timestamp_ms: u64,
    /// Input objects as they were before it.
    pub input_objects: Vec<Object>,
    /// Objects as it wrote them.
    pub output_objects: Vec<Object>,
}

/// One sealed checkpoint as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointRecord {
    /// The summary (unsigned: the devnet has no validators).
    pub summary: CheckpointSummary,
    /// The contents (transaction and effects digests).
    pub contents: CheckpointContents,
    /// The digests of its transactions, in order.
    pub transactions: Vec<Digest>,
}

/// Everything a newly sealed checkpoint changes.
#[derive(Debug)]
pub(crate) struct CheckpointWrite<'a> {
    pub checkpoint: &'a CheckpointRecord,
    pub transactions: &'a [TransactionRecord],
    pub written: &'a [Object],
    pub deleted: &'a [Address],
}

/// Everything loaded back at startup.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub genesis: Option<Vec<u8>>,
    pub objects: Vec<Object>,
    pub transactions: Vec<TransactionRecord>,
    pub checkpoints: Vec<CheckpointRecord>,
}

/// The redb database under the data directory.
#[derive(Debug)]
pub(crate) struct Store {
    db: Database,
    path: String,
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bcs::to_bytes(value).expect("stored records serialize")
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8], what: impl FnOnce() -> String) -> Result<T, StoreError> {
    bcs::from_bytes(bytes).map_err(|source| StoreError::Corrupt { what: what(), source })
}

impl Store {
    /// Opens (or creates) `devnet.redb` in `data_dir`.
    pub(crate) fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let path = data_dir.join("devnet.redb");
        let shown = path.display().to_string();
        let fail = |error: redb::Error| StoreError::Database { path: shown.clone(), source: Arc::new(error) };
        std::fs::create_dir_all(data_dir).map_err(|e| fail(e.into()))?;
        let db = Database::create(&path).map_err(|e| fail(e.into()))?;
        Ok(Self { db, path: shown })
    }

    fn fail(&self, error: impl Into<redb::Error>) -> StoreError {
        StoreError::Database { path: self.path.clone(), source: Arc::new(error.into()) }
    }

    /// Reads the whole state back.
    pub(crate) fn load(&self) -> Result<Loaded, StoreError> {
        let read = self.db.begin_read().map_err(|e| self.fail(e))?;
        let mut loaded = Loaded::default();
        let meta = match read.open_table(META) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(loaded),
            Err(e) => return Err(self.fail(e)),
        };
        loaded.genesis = meta.get(GENESIS_KEY).map_err(|e| self.fail(e))?.map(|v| v.value().to_vec());
        let objects = read.open_table(OBJECTS).map_err(|e| self.fail(e))?;
        for row in objects.iter().map_err(|e| self.fail(e))? {
            let (key, value) = row.map_err(|e| self.fail(e))?;
            loaded.objects.push(decode(value.value(), || format!("object {}", hex_of(key.value())))?);
        }
        let transactions = read.open_table(TRANSACTIONS).map_err(|e| self.fail(e))?;
        for row in transactions.iter().map_err(|e| self.fail(e))? {
            let (key, value) = row.map_err(|e| self.fail(e))?;
            loaded.transactions.push(decode(value.value(), || format!("transaction {}", hex_of(key.value())))?);
        }
        let checkpoints = read.open_table(CHECKPOINTS).map_err(|e| self.fail(e))?;
        for row in checkpoints.iter().map_err(|e| self.fail(e))? {
            let (key, value) = row.map_err(|e| self.fail(e))?;
            let sequence = key.value();
            let record: CheckpointRecord = decode(value.value(), || format!("checkpoint {sequence}"))?;
            if record.summary.sequence_number != loaded.checkpoints.len() as u64 {
                return Err(StoreError::OutOfSequence { found: sequence, expected: loaded.checkpoints.len() as u64 });
            }
            loaded.checkpoints.push(record);
        }
        Ok(loaded)
    }

    /// Persists a sealed checkpoint with its transactions and object changes, atomically. The
    /// genesis description is written with checkpoint 0.
    pub(crate) fn commit(&self, write: &CheckpointWrite<'_>, genesis: Option<&[u8]>) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(|e| self.fail(e))?;
        {
            let mut objects = txn.open_table(OBJECTS).map_err(|e| self.fail(e))?;
            for object in write.written {
                objects.insert(object.object_id().as_bytes(), encode(object).as_slice()).map_err(|e| self.fail(e))?;
            }
            for id in write.deleted {
                objects.remove(id.as_bytes()).map_err(|e| self.fail(e))?;
            }
            let mut versions = txn.open_table(OBJECT_VERSIONS).map_err(|e| self.fail(e))?;
            for object in write.written {
                versions
                    .insert(version_key(object.object_id(), object.version()).as_slice(), encode(object).as_slice())
                    .map_err(|e| self.fail(e))?;
            }
            let mut transactions = txn.open_table(TRANSACTIONS).map_err(|e| self.fail(e))?;
            for record in write.transactions {
                let digest = record.transaction.digest();
                transactions.insert(digest.as_bytes(), encode(record).as_slice()).map_err(|e| self.fail(e))?;
            }
            let mut checkpoints = txn.open_table(CHECKPOINTS).map_err(|e| self.fail(e))?;
            checkpoints
                .insert(write.checkpoint.summary.sequence_number, encode(write.checkpoint).as_slice())
                .map_err(|e| self.fail(e))?;
            let mut meta = txn.open_table(META).map_err(|e| self.fail(e))?;
            if let Some(genesis) = genesis {
                meta.insert(GENESIS_KEY, genesis).map_err(|e| self.fail(e))?;
            }
        }
        txn.commit().map_err(|e| self.fail(e))
    }
}

impl Store {
    /// A past (or current) version of an object, if it was ever written.
    pub(crate) fn object_version(&self, id: Address, version: u64) -> Result<Option<Object>, StoreError> {
        let read = self.db.begin_read().map_err(|e| self.fail(e))?;
        let table = match read.open_table(OBJECT_VERSIONS) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.fail(e)),
        };
        match table.get(version_key(id, version).as_slice()).map_err(|e| self.fail(e))? {
            Some(bytes) => decode(bytes.value(), || format!("object {id} version {version}")).map(Some),
            None => Ok(None),
        }
    }
}

fn version_key(id: Address, version: u64) -> Vec<u8> {
    let mut key = id.as_bytes().to_vec();
    key.extend_from_slice(&version.to_be_bytes());
    key
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
