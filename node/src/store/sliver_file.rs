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
//!
//! The file is written and read with direct I/O (`O_DIRECT`) where the file system allows it, so
//! sliver bytes do not pass through the page cache: a node's slivers are far more than its memory
//! and are read back rarely (a reader, a scrub, a shard's new owner), so caching what was just
//! written only costs the kernel a copy into fresh pages, which was 39% of a 10-node network's CPU
//! in 64 MiB stores on this project's virtual machine (docs/performance.md, "Sliver records
//! written with direct I/O"). Direct I/O moves whole aligned blocks between the disk and memory
//! aligned alike, so every record starts at a multiple of [`ALIGN`] (the space up to the next is
//! zeros) and is written through an aligned staging buffer of [`STAGING`] bytes, and a read
//! fetches the aligned blocks around a record. Where the file system refuses direct I/O (at open,
//! or `EINVAL` on a read or write), the file is used through the page cache as before, with the
//! same layout; records of stores written before the alignment read as well either way.

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

/// Records in the sliver file start at multiples of this many bytes, the alignment direct I/O
/// asks of offsets, lengths and memory: a page, a multiple of every block size Linux's direct I/O
/// asks for.
pub const RECORD_ALIGN: usize = 4096;

/// [`RECORD_ALIGN`], shorter for this module's arithmetic.
const ALIGN: usize = RECORD_ALIGN;

/// Bytes of the aligned buffer a record is written through, a chunk at a time.
const STAGING: usize = 1 << 20;

/// `at` rounded up to a multiple of [`ALIGN`].
fn align_up(at: u64) -> u64 {
    at.next_multiple_of(ALIGN as u64)
}

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
    /// Through the page cache: syncs, punches, lengths, and records where direct I/O is refused.
    file: File,
    /// The same file opened for direct I/O, while the file system takes it (see the module doc).
    direct: Option<File>,
    /// Cleared when the file system refuses a direct read or write (logged once).
    direct_works: AtomicBool,
    min_bytes: usize,
    /// Where the next record goes and the buffer it is written through. Writers are serialized
    /// by the database's write transaction, inside which they write; the lock only makes that
    /// explicit.
    tail: Mutex<Tail>,
    /// Records were written since the last sync.
    dirty: AtomicBool,
    /// Shared by readers from before they read a row until they have read its record; taken
    /// alone to punch removed records out.
    punching: RwLock<()>,
    /// Cleared when the file system refuses to punch holes (logged once): removed records then
    /// keep their space.
    punches: AtomicBool,
}

/// The end of the sliver file as records are appended.
#[derive(Debug)]
struct Tail {
    /// Where the next record goes: a multiple of [`ALIGN`] past the file's length when it was
    /// opened, then past each record written.
    end: u64,
    /// The staging buffer of direct writes, allocated at the first ([`STAGING`] bytes at an
    /// aligned offset inside it), kept since: written over and over, its pages stay in memory.
    staging: Vec<u8>,
}

impl SliverFile {
    /// Opens (or creates) the sliver file in `dir`, for direct I/O if `direct` and the file
    /// system allows it. A database created just now has no row pointing into it, so whatever
    /// an earlier one left there is dropped.
    pub(super) fn open(dir: &Path, min_bytes: usize, database_is_new: bool, direct: bool) -> Result<Self, StoreError> {
        let path = dir.join(SLIVER_FILE);
        let failed = |source| StoreError::SliverFile { path: path.display().to_string(), source };
        let file = File::options().read(true).write(true).create(true).truncate(false).open(&path).map_err(failed)?;
        if database_is_new {
            file.set_len(0).map_err(failed)?;
        }
        let end = align_up(file.metadata().map_err(failed)?.len());
        let direct = direct.then(|| open_direct(&path)).flatten();
        Ok(Self {
            path,
            file,
            direct_works: AtomicBool::new(direct.is_some()),
            direct,
            min_bytes,
            tail: Mutex::new(Tail { end, staging: Vec::new() }),
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
        let pieces: [&[u8]; 4] = [&digest, &parts[0], &parts[1], &parts[2]];
        let mut tail = self.tail.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let offset = tail.end;
        // Marked before writing: a sync after a failed write costs nothing, a missed one would.
        self.dirty.store(true, Ordering::Release);
        let written = match self.direct_file() {
            Some(direct) => match write_direct(direct, &mut tail.staging, &pieces, offset) {
                // Written again from its start, over whatever the refused attempt left.
                Err(DirectWriteError::Refused) => {
                    self.direct_refused("write");
                    write_buffered(&self.file, &pieces, offset)
                }
                Err(DirectWriteError::Failed(failed)) => Err(failed),
                Ok(()) => Ok(()),
            },
            None => write_buffered(&self.file, &pieces, offset),
        };
        match written {
            Ok(()) => {
                tail.end = align_up(offset + u64::from(len));
                Ok(Row::InFile(Location { offset, len }.to_row()))
            }
            // Nothing points at a record cut short: its bytes are punched out, and the next
            // record is written from where it started.
            Err(WriteFailed { reached, error }) => {
                drop(tail);
                if reached > offset {
                    self.punch_ranges([(offset, reached - offset)]);
                }
                Err(self.failed(error))
            }
        }
    }

    /// The file for direct I/O, unless the file system refused it.
    fn direct_file(&self) -> Option<&File> {
        self.direct.as_ref().filter(|_| self.direct_works.load(Ordering::Acquire))
    }

    /// The file system refused a direct `what`: the page cache is used from now on.
    fn direct_refused(&self, what: &str) {
        if self.direct_works.swap(false, Ordering::AcqRel) {
            tracing::warn!(file = %self.path.display(), what, "the file system refused direct I/O: sliver records go through the page cache");
        }
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
        Ok(Cow::Owned(self.read(location)?.into_vec_from(0)))
    }

    /// The BCS of the sliver `row` holds or points at, checked against its digest (the inner
    /// `Err` names the damage).
    pub(super) fn checked_bcs(&self, row: &[u8]) -> Result<Result<Vec<u8>, stored_sliver::Damage>, StoreError> {
        let Some(location) = Location::of_row(row) else {
            return Ok(stored_sliver::checked_bcs(row).map(<[u8]>::to_vec));
        };
        let read = self.read(location)?;
        let Some(digest) = read.bytes().first_chunk::<DIGEST_LEN>().copied() else {
            return Ok(Err(stored_sliver::Damage::Truncated(read.bytes().len())));
        };
        let bcs = read.into_vec_from(DIGEST_LEN);
        Ok(stored_sliver::check_parts(&digest, &bcs).map(|()| bcs))
    }

    /// The bytes at `location`, fewer where the file ends first.
    fn read(&self, location: Location) -> Result<Read, StoreError> {
        if let Some(direct) = self.direct_file() {
            match read_direct(direct, location.offset, location.len as usize) {
                Err(rustix::io::Errno::INVAL) => self.direct_refused("read"),
                read => return read.map_err(|errno| self.failed(errno.into())),
            }
        }
        let mut buffer = vec![0; location.len as usize];
        let mut read = 0;
        while read < buffer.len() {
            match self.file.read_at(&mut buffer[read..], location.offset + read as u64) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(self.failed(error)),
            }
        }
        Ok(Read { buffer, range: 0..read })
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
        let mut tail = self.tail.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if at < tail.end {
            let length = self.file.metadata().map_err(|error| self.failed(error))?.len();
            if at < length {
                tracing::info!(file = %self.path.display(), bytes = length - at, "cut unreferenced records off the sliver file");
                self.file.set_len(at).map_err(|error| self.failed(error))?;
            }
            tail.end = align_up(at);
        }
        drop(tail);
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

/// Opens the sliver file at `path` for direct I/O; `None` where the file system refuses it.
fn open_direct(path: &Path) -> Option<File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDWR | OFlags::DIRECT | OFlags::CLOEXEC;
    match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => Some(File::from(fd)),
        Err(error) => {
            tracing::info!(file = %path.display(), %error, "no direct I/O on the sliver file: records go through the page cache");
            None
        }
    }
}

/// A record's write that failed once the bytes up to `reached` were written.
struct WriteFailed {
    reached: u64,
    error: std::io::Error,
}

/// Why a direct write did not complete.
enum DirectWriteError {
    /// The file system refused it (`EINVAL`): nothing is wrong with the file.
    Refused,
    Failed(WriteFailed),
}

/// Writes `pieces`, one after the other, at `offset` through the page cache.
fn write_buffered(file: &File, pieces: &[&[u8]], offset: u64) -> Result<(), WriteFailed> {
    let mut slices: Vec<IoSlice<'_>> = pieces.iter().map(|piece| IoSlice::new(piece)).collect();
    let mut slices = &mut slices[..];
    let mut at = offset;
    while !slices.is_empty() {
        let error = match rustix::io::pwritev(file, slices, at) {
            Ok(0) => std::io::ErrorKind::WriteZero.into(),
            Ok(written) => {
                at += written as u64;
                IoSlice::advance_slices(&mut slices, written);
                continue;
            }
            Err(rustix::io::Errno::INTR) => continue,
            Err(error) => error.into(),
        };
        return Err(WriteFailed { reached: at, error });
    }
    Ok(())
}

/// Writes `pieces`, one after the other, at `offset` (a multiple of [`ALIGN`]) with direct I/O:
/// through `staging` a chunk at a time, the last chunk padded with zeros to a whole block.
fn write_direct(file: &File, staging: &mut Vec<u8>, pieces: &[&[u8]], offset: u64) -> Result<(), DirectWriteError> {
    if staging.is_empty() {
        *staging = vec![0; STAGING + ALIGN];
    }
    let front = staging.as_ptr().align_offset(ALIGN);
    let buffer = &mut staging[front..front + STAGING];
    let (mut piece, mut within, mut at) = (0, 0, offset);
    while piece < pieces.len() {
        let mut filled = 0;
        while filled < STAGING && piece < pieces.len() {
            let from = &pieces[piece][within..];
            let n = from.len().min(STAGING - filled);
            buffer[filled..filled + n].copy_from_slice(&from[..n]);
            (filled, within) = (filled + n, within + n);
            if within == pieces[piece].len() {
                (piece, within) = (piece + 1, 0);
            }
        }
        let padded = filled.next_multiple_of(ALIGN);
        buffer[filled..padded].fill(0);
        let mut done = 0;
        while done < padded {
            let error = match rustix::io::pwrite(file, &buffer[done..padded], at + done as u64) {
                Ok(0) => std::io::ErrorKind::WriteZero.into(),
                Ok(written) => {
                    done += written;
                    continue;
                }
                Err(rustix::io::Errno::INTR) => continue,
                Err(rustix::io::Errno::INVAL) => return Err(DirectWriteError::Refused),
                Err(error) => error.into(),
            };
            return Err(DirectWriteError::Failed(WriteFailed { reached: at + done as u64, error }));
        }
        at += padded as u64;
    }
    Ok(())
}

/// Bytes read from the file: `buffer[range]`.
struct Read {
    buffer: Vec<u8>,
    range: std::ops::Range<usize>,
}

impl Read {
    fn bytes(&self) -> &[u8] {
        &self.buffer[self.range.clone()]
    }

    /// The bytes from `from` on as a vector of their own: moved to the front of the buffer they
    /// were read into, not copied to another.
    fn into_vec_from(mut self, from: usize) -> Vec<u8> {
        self.buffer.truncate(self.range.end);
        self.buffer.drain(..(self.range.start + from).min(self.range.end));
        self.buffer
    }
}

/// Reads `len` bytes at `offset` with direct I/O: the whole blocks around them, into memory
/// aligned alike; fewer bytes where the file ends first.
fn read_direct(file: &File, offset: u64, len: usize) -> Result<Read, rustix::io::Errno> {
    let start = offset - offset % ALIGN as u64;
    let skip = (offset - start) as usize;
    let span = (skip + len).next_multiple_of(ALIGN);
    let mut buffer = vec![0; span + ALIGN];
    let front = buffer.as_ptr().align_offset(ALIGN);
    let mut read = 0;
    while read < span {
        match rustix::io::pread(file, &mut buffer[front + read..front + span], start + read as u64) {
            Ok(0) => break,
            Ok(n) => {
                read += n;
                // Only the file's end reads as less than whole blocks.
                if n % ALIGN != 0 {
                    break;
                }
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(error) => return Err(error),
        }
    }
    let from = front + skip;
    Ok(Read { range: from..from + read.saturating_sub(skip).min(len), buffer })
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
        let file = SliverFile::open(dir.path(), 0, true, true).unwrap();
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
        let file = SliverFile::open(dir.path(), 0, true, true).unwrap();
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

    /// Records written with direct I/O and through the page cache start at aligned offsets and
    /// read back alike either way, whatever their size against the staging buffer's.
    #[test]
    fn records_written_and_read_with_or_without_direct_io_agree() {
        let dir = tempfile::tempdir().unwrap();
        let file = SliverFile::open(dir.path(), 0, true, true).unwrap();
        assert!(
            file.direct_file().is_some() || open_direct(&dir.path().join(SLIVER_FILE)).is_none(),
            "direct I/O is used where the file system takes it"
        );
        // Records under, near and over the staging buffer's size (a chunk, a chunk and a padded
        // tail, several chunks).
        let lengths = [100_000, STAGING - 3000, STAGING + 10, 3 * STAGING + 4000];
        let mut written = Vec::new();
        for (i, len) in lengths.into_iter().enumerate() {
            let data: Vec<u8> = (0..len).map(|at| (at * 7 % 251) as u8).collect();
            let sliver = Sliver::new(SliverType::Primary, floe_encoder::SliverIndex(i as u16), 2, data).unwrap();
            // Every other record through the page cache.
            file.direct_works.store(i % 2 == 0 && file.direct.is_some(), Ordering::Release);
            let Row::InFile(row) = file.row(&sliver).unwrap() else { panic!("every record goes to the file") };
            assert_eq!(Location::of_row(&row).unwrap().offset % ALIGN as u64, 0, "records start at aligned offsets");
            written.push((row, sliver));
        }
        for direct in [true, false] {
            file.direct_works.store(direct && file.direct.is_some(), Ordering::Release);
            for (row, sliver) in &written {
                assert_eq!(file.record(row).unwrap().as_ref(), crate::stored_sliver::seal(sliver).as_slice());
                assert_eq!(file.checked_bcs(row).unwrap().unwrap(), sliver.to_bcs());
            }
        }
    }

    /// A store written before records were aligned holds them one right after another: they read
    /// back whole with direct I/O too, and a new record goes after them at an aligned offset.
    #[test]
    fn records_of_the_unaligned_layout_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let encoded = encode(&EncodingConfig::new(4).unwrap(), &[9; 30_000]).unwrap();
        let records: Vec<Vec<u8>> =
            encoded.pairs.iter().take(3).map(|pair| crate::stored_sliver::seal(&pair.primary)).collect();
        let mut rows = Vec::new();
        {
            let old = File::create(dir.path().join(SLIVER_FILE)).unwrap();
            let mut offset = 0;
            for record in &records {
                old.write_all_at(record, offset).unwrap();
                rows.push(Location { offset, len: record.len() as u32 }.to_row());
                offset += record.len() as u64;
            }
            assert_ne!(offset % ALIGN as u64, 0, "the old file ends mid-block");
        }
        let file = SliverFile::open(dir.path(), 0, false, true).unwrap();
        for (row, record) in rows.iter().zip(&records) {
            assert_eq!(file.record(row).unwrap().as_ref(), record.as_slice());
            assert_eq!(file.checked_bcs(row).unwrap().unwrap(), record[DIGEST_LEN..]);
        }
        let Row::InFile(new) = file.row(&encoded.pairs[3].primary).unwrap() else { panic!("to the file") };
        let location = Location::of_row(&new).unwrap();
        assert_eq!(location.offset, align_up((records.iter().map(Vec::len).sum::<usize>()) as u64));
        assert_eq!(
            file.record(&new).unwrap().as_ref(),
            crate::stored_sliver::seal(&encoded.pairs[3].primary).as_slice()
        );
    }

    /// A record the file holds only part of (a crash cut it) reads as the bytes that are there,
    /// with direct I/O as through the page cache, and its check reports the damage.
    #[test]
    fn a_record_cut_short_reads_as_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let file = SliverFile::open(dir.path(), 0, true, true).unwrap();
        let encoded = encode(&EncodingConfig::new(4).unwrap(), &[3; 50_000]).unwrap();
        let Row::InFile(row) = file.row(&encoded.pairs[0].primary).unwrap() else { panic!("to the file") };
        let location = Location::of_row(&row).unwrap();
        file.file.set_len(location.offset + 5000).unwrap();
        for direct in [true, false] {
            file.direct_works.store(direct && file.direct.is_some(), Ordering::Release);
            assert_eq!(file.record(&row).unwrap().len(), 5000);
            assert!(matches!(file.checked_bcs(&row).unwrap(), Err(stored_sliver::Damage::DigestMismatch)));
        }
        file.file.set_len(location.offset + 10).unwrap();
        assert!(matches!(file.checked_bcs(&row).unwrap(), Err(stored_sliver::Damage::Truncated(10))));
    }

    #[test]
    fn a_row_holds_a_small_record_itself_and_a_large_one_s_location() {
        let dir = tempfile::tempdir().unwrap();
        let file = SliverFile::open(dir.path(), 1700, true, true).unwrap();
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
