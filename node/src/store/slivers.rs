//! The slivers: two tables per shard (`shard-{i}/primary-slivers`, `shard-{i}/secondary-slivers`),
//! keyed by blob id, each record a sliver sealed with its digest ([`crate::stored_sliver`]) and
//! checked on every read. A row holds its record, or for a large one where it is in the sliver
//! file ([`super::sliver_file`]). Each sliver put is recorded as vouched for ([`crate::vouched`]); each
//! removal, and each read that finds a sliver damaged, drops it from that record.

use bytes::Bytes;
use floe_encoder::{BlobId, ShardIndex, Sliver, SliverType, metadata::BlobMetadata};
use redb::{Durability, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};

use super::{Commit, Store, StoreError, blob_records::insert_blob_info_and_metadata, sliver_file::Location};
use crate::{blob_info::BlobInfo, stored_sliver};

pub(super) const SHARD_TABLE_PREFIX: &str = "shard-";

pub(crate) fn shard_table_name(shard: ShardIndex, axis: SliverType) -> String {
    format!("{SHARD_TABLE_PREFIX}{}/{}-slivers", shard.0, axis.as_str())
}

/// The shard and axis a sliver table's name stands for.
pub(super) fn parse_shard_table(name: &str) -> Option<(ShardIndex, SliverType)> {
    let rest = name.strip_prefix(SHARD_TABLE_PREFIX)?;
    let (shard, table) = rest.split_once('/')?;
    let shard = ShardIndex(shard.parse().ok()?);
    let axis = [SliverType::Primary, SliverType::Secondary]
        .into_iter()
        .find(|axis| table.strip_suffix("-slivers") == Some(axis.as_str()))?;
    Some((shard, axis))
}

impl Store {
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
        let (_, inserted) = self.put_blob_data(blob_id, None, &[(shard, sliver.clone())], commit)?;
        Ok(inserted == 1)
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
        self.put_blob_data(blob_id, None, slivers, commit).map(|(_, count)| count)
    }

    /// Stores in one transaction with `commit`: `records` (the blob's chain state and metadata,
    /// as [`Store::put_blob_info_and_metadata`] stores them) if given, and `slivers` as
    /// [`Store::put_slivers_with`] stores them. Whether the metadata was new, and how many
    /// slivers were.
    pub(crate) fn put_blob_data(
        &self,
        blob_id: &BlobId,
        records: Option<(&BlobInfo, &BlobMetadata)>,
        slivers: &[(ShardIndex, Sliver)],
        commit: Commit,
    ) -> Result<(bool, usize), StoreError> {
        let key = blob_id.0.as_slice();
        let mut vouched = self.vouched();
        let mut txn = self.db.begin_write()?;
        if commit == Commit::Deferred {
            txn.set_durability(Durability::None).map_err(redb::Error::from)?;
        }
        let new_metadata = match records {
            Some((info, metadata)) => insert_blob_info_and_metadata(&txn, blob_id, info, metadata)?,
            None => false,
        };
        let mut inserted = Vec::new();
        let mut appends = self.file.appends();
        for (shard, sliver) in slivers {
            let name = shard_table_name(*shard, sliver.axis());
            let mut table = txn.open_table(TableDefinition::<&[u8], &[u8]>::new(&name))?;
            // An upload of a sliver already stored writes nothing: what is on disk was not
            // checked now, and a confirmation reads it back.
            if table.get(key)?.is_none() {
                table.insert(key, appends.row(sliver)?.bytes())?;
                inserted.push((*shard, sliver.axis()));
            }
        }
        self.commit(txn, commit)?;
        appends.committed();
        self.committed(blob_id, commit)?;
        let count = inserted.len();
        vouched.record(*blob_id, inserted);
        Ok((new_metadata, count))
    }

    /// Gives back the sliver file's space that no row points at: after an unclean shutdown, the
    /// records written for transactions that did not become durable.
    pub(super) fn reclaim_unreferenced_records(&self) -> Result<(), StoreError> {
        let txn = self.db.begin_read()?;
        let mut live = Vec::new();
        for handle in txn.list_tables()? {
            if parse_shard_table(handle.name()).is_none() {
                continue;
            }
            let table: redb::ReadOnlyTable<&[u8], &[u8]> = txn.open_table(TableDefinition::new(handle.name()))?;
            for entry in table.iter()? {
                live.extend(Location::of_row(entry?.1.value()));
            }
        }
        self.file.keep_only(live)
    }

    /// The sliver of `axis` that `shard` stores for `blob_id`, checked against its digest: one
    /// whose bytes changed on disk is [`StoreError::DamagedSliver`].
    pub fn sliver(&self, shard: ShardIndex, axis: SliverType, blob_id: &BlobId) -> Result<Option<Sliver>, StoreError> {
        self.checked_record(shard, axis, blob_id, |record| stored_sliver::open(axis, &record))
    }

    /// The BCS bytes of the sliver [`Self::sliver`] reads, as stored: its digest checked, not
    /// decoded. What a reader is sent (it decodes and verifies the sliver itself); a record whose
    /// digest matches is bytes this node encoded from a checked sliver.
    pub fn sliver_bcs(
        &self,
        shard: ShardIndex,
        axis: SliverType,
        blob_id: &BlobId,
    ) -> Result<Option<Bytes>, StoreError> {
        self.checked_record(shard, axis, blob_id, |record| {
            stored_sliver::checked_bcs(&record)?;
            Ok(Bytes::from(record).slice(stored_sliver::DIGEST_LEN..))
        })
    }

    /// The stored record of a sliver, opened by `open`; a record it finds damaged is forgotten
    /// as vouched for and reported as [`StoreError::DamagedSliver`].
    fn checked_record<T>(
        &self,
        shard: ShardIndex,
        axis: SliverType,
        blob_id: &BlobId,
        open: impl FnOnce(Vec<u8>) -> Result<T, stored_sliver::Damage>,
    ) -> Result<Option<T>, StoreError> {
        self.sliver_record(shard, axis, blob_id)?
            .map(|record| {
                open(record).map_err(|damage| {
                    self.vouched().forget(blob_id, shard, axis);
                    StoreError::DamagedSliver { shard, axis, blob_id: *blob_id, damage }
                })
            })
            .transpose()
    }

    /// The record of a sliver as stored (from its row, or the sliver file), unchecked.
    fn sliver_record(
        &self,
        shard: ShardIndex,
        axis: SliverType,
        blob_id: &BlobId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let name = shard_table_name(shard, axis);
        let _reading = self.file.reading();
        let txn = self.db.begin_read()?;
        let table: redb::ReadOnlyTable<&[u8], &[u8]> = match txn.open_table(TableDefinition::new(&name)) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let Some(row) = table.get(blob_id.0.as_slice())? else { return Ok(None) };
        Ok(Some(self.file.record(row.value())?.into_owned()))
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
            let row = table.get(blob_id.0.as_slice())?.map(|row| row.value().to_vec());
            match row {
                Some(row) if still_damaged(&self.file.record(&row)?) => {
                    table.remove(blob_id.0.as_slice())?;
                    Some(Location::of_row(&row))
                }
                _ => None,
            }
        };
        self.commit(txn, Commit::Durable)?;
        drop(vouched);
        let was_removed = removed.is_some();
        self.file.punch(removed.flatten());
        Ok(was_removed)
    }
}
