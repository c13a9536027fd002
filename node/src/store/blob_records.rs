//! What the store keeps once per blob rather than per shard: its metadata (verified by whoever
//! stored it, and sealed with a digest: [`crate::stored_metadata`]), its chain state as the node
//! last saw it ([`BlobInfo`]), and an inconsistency proof found while recovering it. Deleting a blob's data removes its metadata and its slivers in every
//! shard, and keeps its chain state.

use floe_encoder::{BlobId, inconsistency::InconsistencyProof, metadata::BlobMetadata};
use redb::{Durability, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};

use super::{Commit, Store, StoreError, Undecodable, sliver_file::Location, slivers::SHARD_TABLE_PREFIX};
use crate::{blob_info::BlobInfo, stored_metadata};

pub(super) const METADATA: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("metadata");
pub(super) const BLOB_INFO: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("blob-info");
pub(super) const INCONSISTENCY_PROOFS: TableDefinition<'static, &[u8], &[u8]> =
    TableDefinition::new("inconsistency-proofs");

impl Store {
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
        self.insert_new(METADATA, blob_id, &stored_metadata::seal(blob_id, metadata), commit)
    }

    /// Records the chain's state of `blob_id` (as [`Self::put_blob_info`]) and stores its metadata
    /// (already verified by the caller) in one transaction with `commit`, the state first in the
    /// same commit, as garbage collection needs; `false` if the metadata was already stored.
    pub fn put_blob_info_and_metadata(
        &self,
        blob_id: &BlobId,
        info: &BlobInfo,
        metadata: &BlobMetadata,
        commit: Commit,
    ) -> Result<bool, StoreError> {
        self.put_blob_data(blob_id, Some((info, metadata)), &[], commit).map(|(inserted, _)| inserted)
    }

    /// The stored metadata of `blob_id`, its record's digest checked (not the committee's checks:
    /// `StorageNode::metadata` verifies what it serves and checks against).
    pub fn metadata(&self, blob_id: &BlobId) -> Result<Option<BlobMetadata>, StoreError> {
        let corrupt =
            |reason: Undecodable| StoreError::Corrupt { what: "metadata", blob_id: *blob_id, reason: Box::new(reason) };
        self.get(METADATA, blob_id)?
            .map(|record| {
                let bcs = stored_metadata::checked_bcs(blob_id, &record).map_err(|damage| corrupt(damage.into()))?;
                BlobMetadata::from_bcs(bcs).map_err(|error| corrupt(error.into()))
            })
            .transpose()
    }

    /// Whether metadata of `blob_id` is stored (whatever its state: readers verify it).
    pub fn has_metadata(&self, blob_id: &BlobId) -> Result<bool, StoreError> {
        self.contains(METADATA, blob_id)
    }

    /// The stored metadata record of `blob_id` as it is on disk (digest, then BCS:
    /// [`stored_metadata::open`] reads it).
    pub fn metadata_record(&self, blob_id: &BlobId) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(METADATA, blob_id)
    }

    /// Removes the stored metadata of `blob_id` if it still is `damaged` (the record as read
    /// before).
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
        self.commit(txn, Commit::Durable)?;
        Ok(removed)
    }

    /// Records the chain's state of `blob_id` as the node last saw it.
    ///
    /// Not synced on its own (a sync per blob per chain event was most of a small store's disk
    /// time on a node): it becomes durable with the next durable commit of this database (the
    /// chain state's checkpoint, a confirmation's `persist`), in order, so data written after it
    /// is never durable without it. What a crash loses of it, the node records again from its
    /// chain state at start (`StorageNode::collect_garbage`).
    pub fn put_blob_info(&self, blob_id: &BlobId, info: &BlobInfo) -> Result<(), StoreError> {
        let bytes = bcs::to_bytes(info).expect("BCS of plain data cannot fail");
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::None).map_err(redb::Error::from)?;
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
        self.commit(txn, Commit::Durable)?;
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
        let mut in_file = Vec::new();
        for name in &shard_tables {
            let mut table = txn.open_table(TableDefinition::<&[u8], &[u8]>::new(name))?;
            if let Some(row) = table.remove(key)? {
                in_file.extend(Location::of_row(row.value()));
            }
        }
        txn.open_table(METADATA)?.remove(key)?;
        self.commit(txn, Commit::Durable)?;
        drop(vouched);
        self.file.punch(in_file);
        Ok(())
    }
}

/// Writes `blob_id`'s chain state `info` and, unless present, its metadata (verified by the
/// caller) in `txn`, the state first as garbage collection needs; whether the metadata was new.
pub(super) fn insert_blob_info_and_metadata(
    txn: &redb::WriteTransaction,
    blob_id: &BlobId,
    info: &BlobInfo,
    metadata: &BlobMetadata,
) -> Result<bool, StoreError> {
    let key = blob_id.0.as_slice();
    let info = bcs::to_bytes(info).expect("BCS of plain data cannot fail");
    txn.open_table(BLOB_INFO)?.insert(key, info.as_slice())?;
    let mut table = txn.open_table(METADATA)?;
    let present = table.get(key)?.is_some();
    if !present {
        table.insert(key, stored_metadata::seal(blob_id, metadata).as_slice())?;
    }
    Ok(!present)
}
