//! Large sliver records live outside the database: appended to one file beside it
//! ([`SLIVER_FILE`]), with their table row holding only where the record is ([`Location`]).
//! Records under [`StoreSettings::file_sliver_min_bytes`](super::StoreSettings) stay in their
//! table row, as every record did before (store format 2).
//!
//! Why: redb copies a value into page buffers it zeroes first, checksums those pages, and to
//! insert a key reads the leaf beside it, which in a table of large values is a whole neighbouring
//! sliver; a read copies the value out of its pages once more. For a sliver of a megabyte that was
//! a large part of what a node spent storing and serving it (docs/performance.md, "Large slivers
//! outside the database"). Appended here, a record is written straight from the sliver's bytes
//! (its digest computed over them where they are) and read back with one copy.
//!
//! Crash safety is the database's: a record is written before the row that points at it is
//! committed, and the file is synced before every durable commit of the database
//! ([`SliverFile::sync`]; a durable commit also makes every deferred one before it durable), so a
//! durable row never points at bytes a crash can lose. Records are appended through
//! [`Appends`], one per write transaction: if the transaction does not commit (an I/O error
//! mid-way, a full disk), their blocks are punched out at once; after a crash, the records of
//! transactions that never became durable are reclaimed when the store opens
//! ([`SliverFile::keep_only`]). A failed transaction's space is punched rather than written over:
//! should a commit that reported an error have reached the disk after all, its rows point at a
//! hole, which reads as damage, never at another sliver's record. A removed record's
//! bytes are punched out of the file (`fallocate` with `PUNCH_HOLE`, after the removal commits):
//! the disk gets its blocks back while the file keeps its length, so no record moves and no row
//! is rewritten. A reader holds [`SliverFile::reading`] from before it reads a row until it has
//! read the bytes the row points at, and a punch waits for readers, so nobody reads a hole where
//! the row it saw pointed.

use std::{
    borrow::Cow,
    fs::File,
    io::IoSlice,
    os::unix::fs::{FileExt, MetadataExt},
    path::{Path, PathBuf},
    sync::{
        Mutex, RwLock, RwLockReadGuard,
        atomic::{AtomicBool, Ordering},
    },
};

use floe_encoder::Sliver;
use rustix::fs::FallocateFlags;

use super::StoreError;
use crate::stored_sliver::{self, DIGEST_LEN};

/// The sliver file inside the node's storage directory.
pub const SLIVER_FILE: &str = "slivers.dat";

/// Bytes of a row that points into the sliver file. A record kept in its row is at least its
/// digest (16 bytes), so the two never look alike.
const LOCATION_LEN: usize = 12;

/// Where a record is in the sliver file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Location {
    offset: u64,
    len: u32,
}

impl Location {
    /// The location a row holds, if it holds one rather than a record.
    pub(super) fn of_row(row: &[u8]) -> Option<Self> {
        let row: [u8; LOCATION_LEN] = row.try_into().ok()?;
        let (offset, len) = row.split_at(8);
        Some(Self {
            offset: u64::from_le_bytes(offset.try_into().expect("8 bytes")),
            len: u32::from_le_bytes(len.try_into().expect("4 bytes")),
        })
    }

    fn to_row(self) -> [u8; LOCATION_LEN] {
        let mut row = [0; LOCATION_LEN];
        row[..8].copy_from_slice(&self.offset.to_le_bytes());
        row[8..].copy_from_slice(&self.len.to_le_bytes());
        row
    }
}

/// The length of the record `row` holds or points at.
pub(super) fn record_len(row: &[u8]) -> usize {
    Location::of_row(row).map_or(row.len(), |location| location.len as usize)
}

/// What a sliver table's row holds for one sliver.
pub(super) enum Row {
    /// The record itself (digest, then BCS).
    Record(Vec<u8>),
    /// Where the record is in the sliver file.
    InFile([u8; LOCATION_LEN]),
}

impl Row {
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Self::Record(record) => record,
            Self::InFile(location) => location,
        }
    }
}

/// The sliver file of one store.
#[derive(Debug)]
pub(crate) struct SliverFile {
    path: PathBuf,
    file: File,
    min_bytes: usize,
    /// Where the next record goes: the file's length when it was opened, then past each record
    /// written. Writers are serialized by the database's write transaction, inside which they
    /// write; the lock only makes that explicit.
    end: Mutex<u64>,
    /// Records were written since the last sync.
    dirty: AtomicBool,
    /// Shared by readers from before they read a row until they have read its record; taken
    /// alone to punch removed records out.
    punching: RwLock<()>,
    /// Cleared when the file system refuses to punch holes (logged once): removed records then
    /// keep their space.
    punches: AtomicBool,
}

impl SliverFile {
    /// Opens (or creates) the sliver file in `dir`. A database created just now has no row
    /// pointing into it, so whatever an earlier one left there is dropped.
    pub(super) fn open(dir: &Path, min_bytes: usize, database_is_new: bool) -> Result<Self, StoreError> {
        let path = dir.join(SLIVER_FILE);
        let failed = |source| StoreError::SliverFile { path: path.display().to_string(), source };
        let file = File::options().read(true).write(true).create(true).truncate(false).open(&path).map_err(failed)?;
        if database_is_new {
            file.set_len(0).map_err(failed)?;
        }
        let end = file.metadata().map_err(failed)?.len();
        Ok(Self {
            path,
            file,
            min_bytes,
            end: Mutex::new(end),
            dirty: AtomicBool::new(false),
            punching: RwLock::new(()),
            punches: AtomicBool::new(true),
        })
    }

    fn failed(&self, source: std::io::Error) -> StoreError {
        StoreError::SliverFile { path: self.path.display().to_string(), source }
    }

    /// Appends for one write transaction, to be [`Appends::committed`] once it commits.
    pub(super) fn appends(&self) -> Appends<'_> {
        Appends { file: self, written: Vec::new() }
    }

    /// The row to store for `sliver` (already verified): its record, or, for a record of at least
    /// the threshold, where it was just appended to the file. Called inside the write transaction
    /// that inserts the row.
    fn row(&self, sliver: &Sliver) -> Result<Row, StoreError> {
        let parts = sliver.wire_parts();
        let record_len = DIGEST_LEN + parts.iter().map(|part| part.len()).sum::<usize>();
        if record_len < self.min_bytes {
            return Ok(Row::Record(stored_sliver::seal(sliver)));
        }
        let len = u32::try_from(record_len).map_err(|_| self.failed(std::io::Error::other("sliver over 4 GiB")))?;
        let digest = stored_sliver::digest_of_parts(&parts);
        let mut end = self.end.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let offset = *end;
        let mut slices =
            [IoSlice::new(&digest), IoSlice::new(&parts[0]), IoSlice::new(&parts[1]), IoSlice::new(&parts[2])];
        let mut slices = &mut slices[..];
        let mut at = offset;
        // Marked before writing: a sync after a failed write costs nothing, a missed one would.
        self.dirty.store(true, Ordering::Release);
        while !slices.is_empty() {
            let error = match rustix::io::pwritev(&self.file, slices, at) {
                Ok(0) => std::io::ErrorKind::WriteZero.into(),
                Ok(written) => {
                    at += written as u64;
                    IoSlice::advance_slices(&mut slices, written);
                    continue;
                }
                Err(rustix::io::Errno::INTR) => continue,
                Err(error) => error.into(),
            };
            // Nothing points at a record cut short: its bytes are punched out, and the next
            // record is written from where it started.
            drop(end);
            if at > offset {
                self.punch_ranges([(offset, at - offset)]);
            }
            return Err(self.failed(error));
        }
        *end = at;
        Ok(Row::InFile(Location { offset, len }.to_row()))
    }

    /// The bytes of disk the file takes (its records, not its holes), and its length.
    pub(super) fn disk_use(&self) -> std::io::Result<(u64, u64)> {
        let metadata = self.file.metadata()?;
        Ok((metadata.blocks() * 512, metadata.len()))
    }

    /// Held from before a row is read until the record it points at is read.
    pub(super) fn reading(&self) -> RwLockReadGuard<'_, ()> {
        self.punching.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The record `row` holds or points at. A record cut short or punched out reads as the
    /// bytes the file holds there, which its digest check reports as damage.
    pub(super) fn record<'r>(&self, row: &'r [u8]) -> Result<Cow<'r, [u8]>, StoreError> {
        let Some(location) = Location::of_row(row) else { return Ok(Cow::Borrowed(row)) };
        let mut record = vec![0; location.len as usize];
        let read = self.read_at(&mut record, location.offset)?;
        record.truncate(read);
        Ok(Cow::Owned(record))
    }

    /// The BCS of the sliver `row` holds or points at, checked against its digest (the inner
    /// `Err` names the damage).
    pub(super) fn checked_bcs(&self, row: &[u8]) -> Result<Result<Vec<u8>, stored_sliver::Damage>, StoreError> {
        let Some(location) = Location::of_row(row) else {
            return Ok(stored_sliver::checked_bcs(row).map(<[u8]>::to_vec));
        };
        // Read apart, so the BCS is not copied once more to drop the digest in front.
        let mut digest = [0; DIGEST_LEN];
        let mut bcs = vec![0; (location.len as usize).saturating_sub(DIGEST_LEN)];
        let read = self.read_at(&mut digest, location.offset)?;
        if read < DIGEST_LEN {
            return Ok(Err(stored_sliver::Damage::Truncated(read)));
        }
        let read = self.read_at(&mut bcs, location.offset + DIGEST_LEN as u64)?;
        bcs.truncate(read);
        Ok(stored_sliver::check_parts(&digest, &bcs).map(|()| bcs))
    }

    /// Reads into `buf` from `offset` until it is full or the file ends; how many bytes were read.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<usize, StoreError> {
        let mut read = 0;
        while read < buf.len() {
            match self.file.read_at(&mut buf[read..], offset + read as u64) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(self.failed(error)),
            }
        }
        Ok(read)
    }

    /// Makes every record written so far durable. Called before each durable commit of the
    /// database (inside its write transaction, so no record is being written meanwhile).
    pub(crate) fn sync(&self) -> Result<(), StoreError> {
        if self.dirty.swap(false, Ordering::AcqRel)
            && let Err(error) = self.file.sync_data()
        {
            self.dirty.store(true, Ordering::Release);
            return Err(self.failed(error));
        }
        Ok(())
    }

    /// Gives the space of removed records back to the disk. Called after the removal committed,
    /// with no lock of the store held.
    pub(super) fn punch(&self, removed: impl IntoIterator<Item = Location>) {
        self.punch_ranges(removed.into_iter().map(|location| (location.offset, u64::from(location.len))));
    }

    /// Keeps only the records at `live` (every location a row holds): the space between them is
    /// given back and the file cut after the last. For a store just opened, before any write.
    pub(super) fn keep_only(&self, mut live: Vec<Location>) -> Result<(), StoreError> {
        live.sort_unstable_by_key(|location| location.offset);
        let mut gaps = Vec::new();
        let mut at = 0;
        for location in live {
            if location.offset > at {
                gaps.push((at, location.offset - at));
            }
            at = at.max(location.offset + u64::from(location.len));
        }
        let mut end = self.end.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if at < *end {
            tracing::info!(file = %self.path.display(), bytes = *end - at, "cut unreferenced records off the sliver file");
            self.file.set_len(at).map_err(|error| self.failed(error))?;
            *end = at;
        }
        drop(end);
        self.punch_ranges(gaps);
        Ok(())
    }

    fn punch_ranges(&self, ranges: impl IntoIterator<Item = (u64, u64)>) {
        let mut ranges = ranges.into_iter().peekable();
        if ranges.peek().is_none() || !self.punches.load(Ordering::Acquire) {
            return;
        }
        let _alone = self.punching.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (offset, len) in ranges {
            let flags = FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE;
            match rustix::fs::fallocate(&self.file, flags, offset, len) {
                Ok(()) => {}
                Err(rustix::io::Errno::OPNOTSUPP) => {
                    self.punches.store(false, Ordering::Release);
                    tracing::warn!(file = %self.path.display(), "the file system does not punch holes: removed slivers keep their disk space");
                    return;
                }
                // The removal is committed; only the space is not reclaimed.
                Err(error) => {
                    tracing::warn!(file = %self.path.display(), %error, "could not reclaim a removed sliver's space")
                }
            }
        }
    }
}

/// The records one write transaction appends. Dropped without [`Appends::committed`] (the
/// transaction failed or was abandoned), it punches them out: no row will ever point at them.
#[must_use = "records appended for a transaction are punched out unless it is marked committed"]
pub(super) struct Appends<'f> {
    file: &'f SliverFile,
    written: Vec<Location>,
}

impl Appends<'_> {
    /// [`SliverFile::row`], remembering where a record went.
    pub(super) fn row(&mut self, sliver: &Sliver) -> Result<Row, StoreError> {
        let row = self.file.row(sliver)?;
        if let Row::InFile(location) = &row {
            self.written.extend(Location::of_row(location));
        }
        Ok(row)
    }

    /// The transaction committed: its rows point at the records.
    pub(super) fn committed(mut self) {
        self.written.clear();
    }
}

impl Drop for Appends<'_> {
    fn drop(&mut self) {
        if !self.written.is_empty() {
            tracing::warn!(
                file = %self.file.path.display(),
                records = self.written.len(),
                "a write transaction failed: its sliver records are punched out"
            );
            self.file.punch(self.written.drain(..));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::mpsc, time::Duration};

    use floe_encoder::{EncodingConfig, SliverType, encode};

    use super::*;

    /// A removal's punch waits for every reader that may have read a row pointing at the record
    /// before the removal committed: the reader reads the record, not a hole.
    #[test]
    fn a_punch_waits_for_the_readers_of_the_rows_it_removes() {
        let dir = tempfile::tempdir().unwrap();
        let file = SliverFile::open(dir.path(), 0, true).unwrap();
        let encoded = encode(&EncodingConfig::new(4).unwrap(), &[5; 20_000]).unwrap();
        let sliver = &encoded.pairs[1].primary;
        let Row::InFile(row) = file.row(sliver).unwrap() else { panic!("every record goes to the file") };
        let location = Location::of_row(&row).unwrap();

        let reading = file.reading();
        let (punched, was_punched) = mpsc::channel();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                file.punch([location]);
                punched.send(()).unwrap();
            });
            assert!(was_punched.recv_timeout(Duration::from_millis(300)).is_err(), "the punch waits for the reader");
            let record = file.record(&row).unwrap();
            assert_eq!(crate::stored_sliver::open(SliverType::Primary, &record).unwrap(), *sliver);
            drop(reading);
            was_punched.recv_timeout(Duration::from_secs(30)).expect("the punch goes ahead once the reader is done");
        });
        let record = file.record(&row).unwrap();
        assert!(crate::stored_sliver::open(SliverType::Primary, &record).is_err(), "a hole, read after the punch");
    }

    #[test]
    fn the_records_of_a_transaction_that_did_not_commit_are_punched_out() {
        let dir = tempfile::tempdir().unwrap();
        let file = SliverFile::open(dir.path(), 0, true).unwrap();
        let encoded = encode(&EncodingConfig::new(4).unwrap(), &[7; 20_000]).unwrap();
        let (kept, abandoned) = (&encoded.pairs[0].primary, &encoded.pairs[1].primary);
        let mut appends = file.appends();
        let Row::InFile(kept_row) = appends.row(kept).unwrap() else { panic!("every record goes to the file") };
        appends.committed();
        let mut appends = file.appends();
        let Row::InFile(abandoned_row) = appends.row(abandoned).unwrap() else { panic!("to the file") };
        drop(appends);
        let open = |row: &[u8]| crate::stored_sliver::open(SliverType::Primary, &file.record(row).unwrap());
        assert_eq!(open(&kept_row).unwrap(), *kept);
        assert!(open(&abandoned_row).is_err(), "a hole where the abandoned record was");
    }

    #[test]
    fn a_row_holds_a_small_record_itself_and_a_large_one_s_location() {
        let dir = tempfile::tempdir().unwrap();
        let file = SliverFile::open(dir.path(), 1700, true).unwrap();
        let encoded = encode(&EncodingConfig::new(4).unwrap(), &[6; 4000]).unwrap();
        let (small, large) = (&encoded.pairs[0].secondary, &encoded.pairs[0].primary);
        assert!(small.to_bcs().len() + DIGEST_LEN < 1700 && large.to_bcs().len() + DIGEST_LEN >= 1700);
        let Row::Record(record) = file.row(small).unwrap() else { panic!("a small record stays in its row") };
        assert_eq!(record, crate::stored_sliver::seal(small));
        let Row::InFile(row) = file.row(large).unwrap() else { panic!("a large record goes to the file") };
        assert_eq!(file.record(&row).unwrap().as_ref(), crate::stored_sliver::seal(large).as_slice());
        assert_eq!(file.checked_bcs(&row).unwrap().unwrap(), large.to_bcs());
        assert_eq!(record_len(&row), DIGEST_LEN + large.to_bcs().len());
        assert_eq!(record_len(&record), record.len());
    }
}
