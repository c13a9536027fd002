//! The store's side of moving a shard between nodes ([`crate::shard_sync`]): the previous owner
//! serves the shard's slivers a page at a time ([`ShardPage`]) and drops the shard's tables once
//! it moved; the new owner stores each verified page together with how far it has come
//! ([`SyncProgress`]), so a restart resumes after the last page stored.

use floe_encoder::{BlobId, ShardIndex, Sliver, SliverType, metadata::BlobMetadata};
use redb::{ReadableDatabase, ReadableTable, TableDefinition, TableHandle};

use super::{
    Commit, Store, StoreError,
    blob_records::METADATA,
    shard_table_name,
    sliver_file::{Location, record_len},
    slivers::parse_shard_table,
};
use crate::{stored_metadata, stored_sliver::Damage};

/// Shard sync progress: key BCS `(epoch, shard, axis)`, value the next blob id to ask for, or
/// empty once the axis is synced.
pub(super) const SYNC_PROGRESS: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("sync-progress");

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

impl Store {
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
        let reading = self.file.reading();
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
            let len = record_len(value.value());
            if page.slivers.len() >= max_count || (!page.slivers.is_empty() && bytes + len > max_bytes) {
                page.next = Some(blob_id);
                break;
            }
            if include(&blob_id) {
                match self.file.checked_bcs(value.value())? {
                    Ok(bcs) => {
                        bytes += bcs.len();
                        page.slivers.push((blob_id, bcs));
                    }
                    Err(damage) => page.damaged.push((blob_id, damage)),
                }
            }
        }
        drop((table, txn, reading));
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
        let mut in_file = Vec::new();
        for axis in [SliverType::Primary, SliverType::Secondary] {
            let name = shard_table_name(shard, axis);
            let definition = TableDefinition::<&[u8], &[u8]>::new(&name);
            let table = txn.open_table(definition)?;
            for entry in table.iter()? {
                in_file.extend(Location::of_row(entry?.1.value()));
            }
            drop(table);
            txn.delete_table(definition)?;
        }
        self.commit(txn, Commit::Durable)?;
        drop(vouched);
        self.file.punch(in_file);
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
        let mut appends = self.file.appends();
        {
            let mut metadata_table = txn.open_table(METADATA)?;
            for (blob_id, metadata) in metadata {
                if metadata_table.get(blob_id.0.as_slice())?.is_none() {
                    metadata_table.insert(blob_id.0.as_slice(), stored_metadata::seal(blob_id, metadata).as_slice())?;
                }
            }
            let name = shard_table_name(shard, axis);
            let mut table = txn.open_table(TableDefinition::<&[u8], &[u8]>::new(&name))?;
            for (blob_id, sliver) in slivers {
                if table.get(blob_id.0.as_slice())?.is_none() {
                    table.insert(blob_id.0.as_slice(), appends.row(sliver)?.bytes())?;
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
        self.commit(txn, Commit::Durable)?;
        appends.committed();
        for blob_id in inserted {
            vouched.record(blob_id, [(shard, axis)]);
        }
        Ok(())
    }
}
