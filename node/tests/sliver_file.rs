//! Sliver records of 64 KiB and more live in the sliver file beside the database: written there,
//! read back across restarts, damage in it found, their space given back when they are removed,
//! and rows made durable only with the bytes they point at.

mod common;

use std::{os::unix::fs::MetadataExt, path::Path};

use floe_encoder::{BlobId, EncodedBlob, EncodingConfig, ShardIndex, Sliver, SliverType, encode};
use floe_node::{
    Store,
    store::{Commit, DATABASE_FILE, RECORD_ALIGN, SLIVER_FILE, StoreError, StoreSettings},
    stored_sliver,
};

/// Every sliver record in the sliver file.
fn all_in_file() -> StoreSettings {
    StoreSettings { file_sliver_min_bytes: 0, ..StoreSettings::default() }
}

/// Both slivers of every pair of `encoded`, the pair's index as its shard.
fn slivers(encoded: &EncodedBlob) -> Vec<(ShardIndex, Sliver)> {
    let mut slivers = Vec::new();
    for (i, pair) in encoded.pairs.iter().enumerate() {
        let shard = ShardIndex(u16::try_from(i).unwrap());
        slivers.push((shard, pair.primary.clone()));
        slivers.push((shard, pair.secondary.clone()));
    }
    slivers
}

/// Whether the middle 32 bytes of `bytes` are somewhere in the file at `path`.
fn file_holds(path: &Path, bytes: &[u8]) -> bool {
    let window = &bytes[bytes.len() / 2 - 16..bytes.len() / 2 + 16];
    std::fs::read(path).unwrap().windows(window.len()).any(|candidate| candidate == window)
}

fn assert_reads_back(store: &Store, blob_id: &BlobId, slivers: &[(ShardIndex, Sliver)]) {
    for (shard, sliver) in slivers {
        let axis = sliver.axis();
        assert_eq!(store.sliver(*shard, axis, blob_id).unwrap().as_ref(), Some(sliver), "{shard} {axis}");
        let bcs = store.sliver_bcs(*shard, axis, blob_id).unwrap().unwrap();
        assert_eq!(bcs.as_ref(), sliver.to_bcs().as_slice(), "{shard} {axis}");
    }
}

#[test]
fn large_slivers_are_kept_in_the_sliver_file_and_read_back_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = EncodingConfig::new(10).unwrap();
    // At 10 shards a 1.5 MB blob's slivers are 210-380 KB: over the default threshold.
    let first = encode(&config, &common::blob(1_500_000, 1)).unwrap();
    let second = encode(&config, &common::blob(1_500_000, 2)).unwrap();
    let (first_id, second_id) = (*first.metadata.blob_id(), *second.metadata.blob_id());
    {
        let store = Store::open(dir.path()).unwrap();
        store.put_slivers(&first_id, &slivers(&first)).unwrap();
        assert_reads_back(&store, &first_id, &slivers(&first));
    }
    let sliver_bytes: usize = slivers(&first).iter().map(|(_, sliver)| sliver.data().len()).sum();
    assert!(std::fs::metadata(dir.path().join(SLIVER_FILE)).unwrap().len() as usize > sliver_bytes);
    let sample = first.pairs[3].secondary.data();
    assert!(file_holds(&dir.path().join(SLIVER_FILE), sample), "the sliver file holds the sliver");
    assert!(!file_holds(&dir.path().join(DATABASE_FILE), sample), "the database does not");

    // Reopened: the rows still point at their records, and new records go after them.
    let store = Store::open(dir.path()).unwrap();
    assert_reads_back(&store, &first_id, &slivers(&first));
    store.put_slivers(&second_id, &slivers(&second)).unwrap();
    assert_reads_back(&store, &first_id, &slivers(&first));
    assert_reads_back(&store, &second_id, &slivers(&second));
}

#[test]
fn small_slivers_stay_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let encoded = encode(&EncodingConfig::new(10).unwrap(), &common::blob(50_000, 3)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    let store = Store::open(dir.path()).unwrap();
    store.put_slivers(&blob_id, &slivers(&encoded)).unwrap();
    assert_eq!(std::fs::metadata(dir.path().join(SLIVER_FILE)).unwrap().len(), 0);
    assert_reads_back(&store, &blob_id, &slivers(&encoded));
}

#[test]
fn a_record_damaged_or_cut_short_in_the_sliver_file_reads_as_damage_and_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let config = EncodingConfig::new(4).unwrap();
    let encoded = encode(&config, b"kept in the sliver file even though it is small").unwrap();
    let blob_id = *encoded.metadata.blob_id();
    let slivers = slivers(&encoded);
    let store = Store::open_with(dir.path(), &all_in_file()).unwrap();
    store.put_slivers(&blob_id, &slivers).unwrap();
    drop(store);

    // One byte of the first record (shard 0's primary sliver) flipped; the file's last record
    // (shard 3's secondary sliver, starting the file's last block: records start at aligned
    // offsets) cut short.
    let path = dir.path().join(SLIVER_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[stored_sliver::DIGEST_LEN + 3] ^= 0x40;
    let last = stored_sliver::DIGEST_LEN + slivers.last().unwrap().1.to_bcs().len();
    assert!(last < RECORD_ALIGN);
    bytes.truncate((bytes.len() - 1) / RECORD_ALIGN * RECORD_ALIGN + last - 2);
    std::fs::write(&path, bytes).unwrap();

    let store = Store::open_with(dir.path(), &all_in_file()).unwrap();
    for (shard, axis) in [(ShardIndex(0), SliverType::Primary), (ShardIndex(3), SliverType::Secondary)] {
        let read = store.sliver(shard, axis, &blob_id);
        assert!(matches!(read, Err(StoreError::DamagedSliver { .. })), "{shard} {axis}: {read:?}");
        let page = store.shard_page(shard, axis, &BlobId([0; 32]), 10, 1 << 20, |_| true).unwrap();
        assert!(page.slivers.is_empty() && page.damaged.len() == 1, "{page:?}");
        let removed =
            store.remove_damaged_sliver(shard, axis, &blob_id, |record| stored_sliver::checked_bcs(record).is_err());
        assert!(removed.unwrap());
        assert!(!store.has_sliver(shard, axis, &blob_id).unwrap());
    }
    // The others are intact.
    assert_eq!(store.sliver(ShardIndex(0), SliverType::Secondary, &blob_id).unwrap().as_ref(), Some(&slivers[1].1));
    assert_eq!(store.sliver(ShardIndex(3), SliverType::Primary, &blob_id).unwrap().as_ref(), Some(&slivers[6].1));
}

#[test]
fn a_shard_page_serves_records_from_the_sliver_file_and_measures_them_by_their_length() {
    let dir = tempfile::tempdir().unwrap();
    let config = EncodingConfig::new(4).unwrap();
    let store = Store::open_with(dir.path(), &all_in_file()).unwrap();
    let mut stored: Vec<(BlobId, Vec<u8>)> = (0..5)
        .map(|seed| {
            let encoded = encode(&config, &common::blob(4000, seed)).unwrap();
            let blob_id = *encoded.metadata.blob_id();
            store.put_sliver(ShardIndex(2), &blob_id, &encoded.pairs[2].secondary).unwrap();
            (blob_id, encoded.pairs[2].secondary.to_bcs())
        })
        .collect();
    stored.sort();
    let page = store.shard_page(ShardIndex(2), SliverType::Secondary, &BlobId([0; 32]), 10, 1 << 20, |_| true).unwrap();
    assert_eq!(page.slivers, stored);
    assert_eq!(page.next, None);
    // Two records' worth of bytes: the page stops before the third, which is where the next starts.
    let two = stored[0].1.len() + stored[1].1.len() + 2 * stored_sliver::DIGEST_LEN;
    let page = store.shard_page(ShardIndex(2), SliverType::Secondary, &BlobId([0; 32]), 10, two, |_| true).unwrap();
    assert_eq!(page.slivers, stored[..2]);
    assert_eq!(page.next, Some(stored[2].0));
}

/// Disk blocks the file at `path` takes, in bytes.
fn allocated(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().blocks() * 512
}

#[test]
fn removed_slivers_give_their_disk_space_back_and_the_file_keeps_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let config = EncodingConfig::new(10).unwrap();
    let blobs: Vec<EncodedBlob> = (0..2).map(|seed| encode(&config, &common::blob(1_500_000, seed)).unwrap()).collect();
    let store = Store::open(dir.path()).unwrap();
    for blob in &blobs {
        store.put_slivers(blob.metadata.blob_id(), &slivers(blob)).unwrap();
    }
    let path = dir.path().join(SLIVER_FILE);
    let length = std::fs::metadata(&path).unwrap().len();
    let before = allocated(&path);
    let size = |blob: &EncodedBlob| slivers(blob).iter().map(|(_, sliver)| sliver.data().len() as u64).sum::<u64>();
    assert!(before >= size(&blobs[0]) + size(&blobs[1]), "{before}");

    store.delete_blob_data(blobs[0].metadata.blob_id()).unwrap();
    let after_delete = allocated(&path);
    // Each record gives back its whole blocks: all but at most 8 KiB of it.
    let freed = size(&blobs[0]) - 20 * 8192;
    assert!(before - after_delete >= freed, "{before} -> {after_delete}, at least {freed} freed");
    assert_reads_back(&store, blobs[1].metadata.blob_id(), &slivers(&blobs[1]));

    // A dropped shard gives back its records too (blob 1's two slivers in shard 4).
    store.drop_shard(ShardIndex(4)).unwrap();
    let after_drop = allocated(&path);
    let shard_4 = (blobs[1].pairs[4].primary.data().len() + blobs[1].pairs[4].secondary.data().len()) as u64;
    assert!(after_delete - after_drop >= shard_4 - 2 * 8192, "{after_delete} -> {after_drop}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), length, "no record moved");
    assert_eq!(
        store.sliver(ShardIndex(5), SliverType::Primary, blobs[1].metadata.blob_id()).unwrap().as_ref(),
        Some(&blobs[1].pairs[5].primary)
    );
}

#[test]
fn a_database_started_anew_empties_the_sliver_file_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let encoded = encode(&EncodingConfig::new(4).unwrap(), b"nothing points here once the database is gone").unwrap();
    let blob_id = *encoded.metadata.blob_id();
    let store = Store::open_with(dir.path(), &all_in_file()).unwrap();
    store.put_slivers(&blob_id, &slivers(&encoded)).unwrap();
    drop(store);
    assert!(std::fs::metadata(dir.path().join(SLIVER_FILE)).unwrap().len() > 0);
    // What the error opening a damaged database advises: move the database aside.
    std::fs::rename(dir.path().join(DATABASE_FILE), dir.path().join("node.redb.damaged")).unwrap();
    let store = Store::open_with(dir.path(), &all_in_file()).unwrap();
    assert_eq!(std::fs::metadata(dir.path().join(SLIVER_FILE)).unwrap().len(), 0);
    assert_eq!(store.sliver(ShardIndex(1), SliverType::Primary, &blob_id).unwrap(), None);
}

#[test]
fn a_store_of_the_previous_format_opens_with_its_rows_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let encoded = encode(&EncodingConfig::new(4).unwrap(), b"every record in its row").unwrap();
    let blob_id = *encoded.metadata.blob_id();
    let store = Store::open(dir.path()).unwrap();
    store.put_slivers(&blob_id, &slivers(&encoded)).unwrap();
    drop(store);
    let format = redb::TableDefinition::<&str, u32>::new("store-format");
    let set_format = |value: u32| {
        let db = redb::Database::create(dir.path().join(DATABASE_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(format).unwrap().insert("sliver-records", value).unwrap();
        txn.commit().unwrap();
    };
    set_format(2);
    let store = Store::open(dir.path()).unwrap();
    assert_reads_back(&store, &blob_id, &slivers(&encoded));
    drop(store);
    let db = redb::Database::create(dir.path().join(DATABASE_FILE)).unwrap();
    let txn = redb::ReadableDatabase::begin_read(&db).unwrap();
    let recorded = txn.open_table(format).unwrap().get("sliver-records").unwrap().map(|value| value.value());
    assert_eq!(recorded, Some(4), "recorded as this node's format, which an older node refuses");
}

/// A reader racing stores and removals of the same sliver sees it or sees it absent, never
/// damage. (The window in which a reader could meet a punched hole is microseconds wide; that a
/// punch waits for readers is `sliver_file::tests::a_punch_waits_for_the_readers_of_the_rows_it_removes`.)
#[test]
fn a_read_racing_a_removal_sees_the_sliver_or_nothing() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let dir = tempfile::tempdir().unwrap();
    let encoded = encode(&EncodingConfig::new(4).unwrap(), &common::blob(300_000, 9)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    let slivers = slivers(&encoded);
    let store = Store::open_with(dir.path(), &all_in_file()).unwrap();
    let (done, seen) = (AtomicBool::new(false), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::Acquire) {
                match store.sliver(ShardIndex(1), SliverType::Primary, &blob_id) {
                    Ok(Some(sliver)) => {
                        assert_eq!(sliver, slivers[2].1);
                        seen.fetch_add(1, Ordering::AcqRel);
                    }
                    Ok(None) => {}
                    Err(error) => panic!("a read met {error}"),
                }
            }
        });
        for _ in 0..100 {
            store.put_slivers_with(&blob_id, &slivers, Commit::Deferred).unwrap();
            // Removed once the reader has seen it: its next reads race the removal.
            let before = seen.load(Ordering::Acquire);
            let started = std::time::Instant::now();
            while seen.load(Ordering::Acquire) == before {
                assert!(started.elapsed().as_secs() < 30, "the reader never saw the sliver");
                std::thread::yield_now();
            }
            store.delete_blob_data(&blob_id).unwrap();
        }
        done.store(true, Ordering::Release);
    });
}

/// Deferred writes into the sliver file are durable once persisted; those after the last persist
/// are gone after a crash, their records cut off the file when the store opens again, and the
/// file then takes new records after what it holds.
#[test]
fn records_in_the_sliver_file_survive_a_crash_once_persisted() {
    let config = EncodingConfig::new(7).unwrap();
    let encoded: Vec<EncodedBlob> =
        (0..3).map(|seed| encode(&config, &common::blob(6000, 60 + seed)).unwrap()).collect();
    let ids: Vec<BlobId> = encoded.iter().map(|blob| *blob.metadata.blob_id()).collect();
    if let Some(dir) = common::crash_dir() {
        let store = Store::open_with(&dir, &all_in_file()).unwrap();
        store.put_slivers_with(&ids[0], &slivers(&encoded[0]), Commit::Deferred).unwrap();
        store.persist().unwrap();
        store.put_slivers_with(&ids[1], &slivers(&encoded[1]), Commit::Deferred).unwrap();
        common::crash();
    }
    let dir = common::crashed_child("records_in_the_sliver_file_survive_a_crash_once_persisted");
    let store = Store::open_with(dir.path(), &all_in_file()).unwrap();
    assert_reads_back(&store, &ids[0], &slivers(&encoded[0]));
    for (shard, sliver) in slivers(&encoded[1]) {
        assert_eq!(store.sliver(shard, sliver.axis(), &ids[1]).unwrap(), None, "never persisted");
    }
    // Opened after a crash: the records no row points at (blob 1's) were cut off the file, which
    // now ends inside the block of blob 0's last record (each record, under a block, starts a
    // block of its own).
    let kept = slivers(&encoded[0]);
    assert!(kept.iter().all(|(_, sliver)| stored_sliver::DIGEST_LEN + sliver.to_bcs().len() < RECORD_ALIGN));
    let len = std::fs::metadata(dir.path().join(SLIVER_FILE)).unwrap().len() as usize;
    assert_eq!(len.div_ceil(RECORD_ALIGN), kept.len(), "{len} bytes");
    store.put_slivers(&ids[2], &slivers(&encoded[2])).unwrap();
    assert_reads_back(&store, &ids[0], &slivers(&encoded[0]));
    assert_reads_back(&store, &ids[2], &slivers(&encoded[2]));
}

/// A write transaction that fails mid-way (here the file size limit a full disk would be) punches
/// out the records it wrote, the one cut short included, and leaves the store as it was: nothing
/// of the failed write is pointed at or takes disk space, and the next write succeeds. It runs in
/// a child process, whose file size limit is its own, and checks everything there: reopened after
/// the child's abort, a store would reclaim unreferenced records anyway and hide a leak.
#[test]
fn a_write_failing_mid_way_punches_out_the_records_it_wrote() {
    // Far above the database file's size, so only the sliver file meets the limit.
    const LIMIT: u64 = 1 << 30;
    let config = EncodingConfig::new(7).unwrap();
    let encoded: Vec<EncodedBlob> =
        (0..3).map(|seed| encode(&config, &common::blob(600_000, 70 + seed)).unwrap()).collect();
    let ids: Vec<BlobId> = encoded.iter().map(|blob| *blob.metadata.blob_id()).collect();
    if let Some(dir) = common::crash_dir() {
        let path = dir.join(SLIVER_FILE);
        let store = Store::open_with(&dir, &all_in_file()).unwrap();
        store.put_slivers(&ids[0], &slivers(&encoded[0])).unwrap();
        drop(store);
        // Blob 1's records start where two and a half of them fit below the limit.
        let record_len = |sliver: &Sliver| (stored_sliver::DIGEST_LEN + sliver.to_bcs().len()) as u64;
        let failing = slivers(&encoded[1]);
        let fitting = record_len(&failing[0].1) + record_len(&failing[1].1) + record_len(&failing[2].1) / 2;
        let start = LIMIT - fitting;
        std::fs::File::options().write(true).open(&path).unwrap().set_len(start).unwrap();
        let allocated_before = allocated(&path);
        // SAFETY: plain libc calls on this single-threaded child, before any thread it starts:
        // ignore the signal a write past the limit raises, so the write fails with EFBIG instead.
        unsafe {
            assert_ne!(libc::signal(libc::SIGXFSZ, libc::SIG_IGN), libc::SIG_ERR);
            let limit = libc::rlimit { rlim_cur: LIMIT, rlim_max: LIMIT };
            assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
        }

        let store = Store::open_with(&dir, &all_in_file()).unwrap();
        let error = store.put_slivers(&ids[1], &failing).unwrap_err();
        assert!(matches!(error, StoreError::SliverFile { .. }), "{error}");
        let mut tail = vec![1u8; fitting as usize];
        std::os::unix::fs::FileExt::read_exact_at(&std::fs::File::open(&path).unwrap(), &mut tail, start).unwrap();
        assert!(tail.iter().all(|&byte| byte == 0), "the failed write's records are punched out");
        // Left allocated: the partial blocks at the punched ranges' ends, and the file system's
        // own blocks for the extents the punch split (hundreds of KiB were written).
        assert!(allocated(&path) <= allocated_before + 4 * 4096, "{} > {allocated_before}", allocated(&path));
        for (shard, sliver) in &failing {
            assert_eq!(store.sliver(*shard, sliver.axis(), &ids[1]).unwrap(), None, "no row of the failed write");
        }
        assert_reads_back(&store, &ids[0], &slivers(&encoded[0]));
        // The file takes new records: a small blob's, in the room left below the limit.
        let small = encode(&config, b"fits below the limit").unwrap();
        store.put_slivers(small.metadata.blob_id(), &slivers(&small)).unwrap();
        assert_reads_back(&store, small.metadata.blob_id(), &slivers(&small));
        common::crash();
    }
    let dir = common::crashed_child("a_write_failing_mid_way_punches_out_the_records_it_wrote");
    let store = Store::open_with(dir.path(), &all_in_file()).unwrap();
    assert_reads_back(&store, &ids[0], &slivers(&encoded[0]));
    store.put_slivers(&ids[2], &slivers(&encoded[2])).unwrap();
    assert_reads_back(&store, &ids[2], &slivers(&encoded[2]));
}
