//! The database file itself: opening it, so that damage (reported by redb, or met as a panic
//! inside it) becomes an error naming the file and what to do; and converting a file whose
//! sliver records are of an earlier format.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use redb::{Database, ReadableTable, TableDefinition, TableHandle};

use floe_encoder::BlobId;

use super::{StoreError, StoreSettings, blob_records::METADATA, slivers::parse_shard_table};
use crate::{stored_metadata, stored_sliver};

/// The database file inside the node's storage directory.
pub const DATABASE_FILE: &str = "node.redb";

/// The store's format: key [`SLIVER_FORMAT_KEY`] (named when it described the sliver records
/// alone), value the format of the records. None recorded: bare BCS (the first stores);
/// [`SLIVER_FORMAT_BLAKE2B`]: a BLAKE2b-256 digest in front of each sliver; [`SLIVER_FORMAT_XXH3`]:
/// the XXH3-128 digest of [`stored_sliver`]; [`SLIVER_FORMAT_FILE`]: the same records, the large
/// ones in the sliver file and their rows pointing there; [`METADATA_FORMAT_SEALED`]: the same,
/// and the metadata records sealed with a digest too ([`stored_metadata`]), written now. A store
/// of an earlier format is converted when it is opened (from format 2 the sliver records need
/// nothing: their rows all hold their records, as small ones still do); a node that knows only
/// an earlier format refuses a store of a later one rather than misread its rows (a node of
/// format 3 would take every sealed metadata record for damage).
const STORE_FORMAT: TableDefinition<'static, &str, u32> = TableDefinition::new("store-format");
const SLIVER_FORMAT_KEY: &str = "sliver-records";
const SLIVER_FORMAT_BLAKE2B: u32 = 1;
const SLIVER_FORMAT_XXH3: u32 = 2;
const SLIVER_FORMAT_FILE: u32 = 3;
const METADATA_FORMAT_SEALED: u32 = 4;

/// What to do about a database file that cannot be opened.
pub(super) const MOVE_ASIDE: &str = "move it aside (or delete it) to start the node empty (the sliver file beside it \
                                     is emptied then); it then recovers the slivers of its shards from its peers";

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

/// A database file just opened.
pub(super) struct Opened {
    pub(super) db: Database,
    /// It did not exist (or was empty): created now.
    pub(super) is_new: bool,
    /// It was left by an unclean shutdown and repaired.
    pub(super) was_repaired: bool,
}

/// Opens the database file at `path`: damage redb reports and damage it stops on (an internal
/// assertion, e.g. on a file cut short) both become an error naming the file and what to do.
pub(super) fn open_database(path: &Path, settings: &StoreSettings) -> Result<Opened, StoreError> {
    let shown = path.display().to_string();
    let mut builder = Database::builder();
    builder.set_cache_size(settings.cache_bytes);
    let file = shown.clone();
    // redb runs its repair pass on a file it has just created too; only an existing one was
    // left by an unclean shutdown and is worth a warning.
    let existed = std::fs::metadata(path).is_ok_and(|metadata| metadata.len() > 0);
    let repaired = Arc::new(AtomicBool::new(false));
    let repairing = repaired.clone();
    builder.set_repair_callback(move |session| {
        // redb repairs after an unclean shutdown by itself; say why start-up takes longer.
        if existed {
            repairing.store(true, Ordering::Relaxed);
            tracing::warn!(file = %file, progress = format!("{:.0}%", session.progress() * 100.0), "repairing the database");
        }
    });
    // redb asserts on some damage instead of returning an error. The panic is caught only to
    // report it; nothing of the half-opened database is used afterwards.
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.create(path)));
    match opened {
        Ok(Ok(db)) => Ok(Opened { db, is_new: !existed, was_repaired: repaired.load(Ordering::Relaxed) }),
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

/// Converts a store whose records are of an earlier format, once: the format table records that
/// it was done.
pub(super) fn update_format(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    let format = txn.open_table(STORE_FORMAT)?.get(SLIVER_FORMAT_KEY)?.map(|value| value.value());
    let slivers = match format {
        Some(METADATA_FORMAT_SEALED) => return Ok(()),
        Some(SLIVER_FORMAT_FILE | SLIVER_FORMAT_XXH3) => 0,
        // Written before records had a digest; those slivers were verified when stored, and the
        // scrub checks them against their metadata again.
        None => convert_records(txn, stored_sliver::seal_bcs)?,
        Some(SLIVER_FORMAT_BLAKE2B) => convert_records(txn, stored_sliver::reseal_blake2b)?,
        Some(unknown) => return Err(StoreError::UnknownFormat { format: unknown, known: METADATA_FORMAT_SEALED }),
    };
    let metadata = seal_metadata_records(txn)?;
    if slivers + metadata > 0 {
        tracing::info!(slivers, metadata, from_format = format.unwrap_or(0), "stored records converted");
    }
    txn.open_table(STORE_FORMAT)?.insert(SLIVER_FORMAT_KEY, METADATA_FORMAT_SEALED)?;
    Ok(())
}

/// Seals every metadata record (bare BCS before format 4) with its digest, once the metadata is
/// found to derive its blob id again: the seal vouches for that from then on
/// ([`stored_metadata::seal_bare`]); returns how many there were. At 1000 shards this verifies
/// about two thousand hashes' worth per blob, once.
fn seal_metadata_records(txn: &redb::WriteTransaction) -> Result<usize, StoreError> {
    let mut table = txn.open_table(METADATA)?;
    let mut records = Vec::new();
    for entry in table.iter()? {
        let (key, value) = entry?;
        // A key that is no blob id was not written by a node, and no read looks it up: left alone.
        let Ok(id) = <[u8; 32]>::try_from(key.value()) else { continue };
        records.push((id, stored_metadata::seal_bare(&BlobId(id), value.value())));
    }
    for (id, record) in &records {
        table.insert(id.as_slice(), record.as_slice())?;
    }
    Ok(records.len())
}

/// Rewrites every sliver record with `convert`; returns how many there were.
fn convert_records(txn: &redb::WriteTransaction, convert: fn(&[u8]) -> Vec<u8>) -> Result<usize, StoreError> {
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
            records.push((key.value().to_vec(), convert(value.value())));
        }
        for (key, record) in &records {
            table.insert(key.as_slice(), record.as_slice())?;
        }
        converted += records.len();
    }
    Ok(converted)
}
