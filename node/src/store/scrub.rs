//! The store's side of the background scrub ([`crate::scrub`]): a walk over every stored sliver
//! record in one fixed order ([`ScrubPosition`]), a blob's records together, and the cursor that
//! remembers where the walk stopped, so that a restarted node goes on from there instead of
//! starting the pass over.

use std::ops::Bound;

use floe_encoder::{BlobId, ShardIndex, SliverType};
use redb::{ReadableDatabase, TableDefinition, TableHandle};

use super::{Store, StoreError, sliver_file::record_len, slivers::parse_shard_table};

/// Where the background scrub stopped: key [`SCRUB_CURSOR_KEY`], value BCS [`ScrubPosition`].
pub(super) const SCRUB_CURSOR: TableDefinition<'static, &str, &[u8]> = TableDefinition::new("scrub-cursor");
const SCRUB_CURSOR_KEY: &str = "last-checked";

/// A stored sliver's place in the scrub's walk: blob ids in order, and a blob's slivers by shard
/// in order, primary before secondary. Blob by blob, so that a step checks a blob's slivers
/// together: its metadata verified once for all of them, their hashes computed in one batch.
/// (A cursor saved when the walk went shard by shard decodes the same; a node that resumes from
/// one goes on from that blob, and the pass it was in skips or repeats some slivers, once.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScrubPosition {
    /// The shard.
    pub shard: ShardIndex,
    /// The axis.
    pub axis: SliverType,
    /// The blob.
    pub blob_id: BlobId,
}

/// A sliver table's place among a blob's slivers.
fn table_rank(shard: ShardIndex, axis: SliverType) -> (ShardIndex, u8) {
    let axis = match axis {
        SliverType::Primary => 0,
        SliverType::Secondary => 1,
    };
    (shard, axis)
}

type SliverTable = redb::ReadOnlyTable<&'static [u8], &'static [u8]>;

impl Store {
    /// The records that follow `after` (from the start when `None`) in the scrub's order
    /// ([`ScrubPosition`]), each with its position: only the next blob's (or the rest of
    /// `after`'s), and only as many as fit in `budget` bytes, one at least. Empty once every
    /// record is walked.
    pub fn next_scrub_records(
        &self,
        after: Option<&ScrubPosition>,
        budget: u64,
    ) -> Result<Vec<(ScrubPosition, Vec<u8>)>, StoreError> {
        let _reading = self.file.reading();
        let txn = self.db.begin_read()?;
        let mut names: Vec<(ShardIndex, SliverType, String)> = txn
            .list_tables()?
            .filter_map(|handle| {
                let (shard, axis) = parse_shard_table(handle.name())?;
                Some((shard, axis, handle.name().to_owned()))
            })
            .collect();
        names.sort_by_key(|(shard, axis, _)| table_rank(*shard, *axis));
        let mut tables: Vec<(ShardIndex, SliverType, SliverTable)> = Vec::with_capacity(names.len());
        for (shard, axis, name) in names {
            tables.push((shard, axis, txn.open_table(TableDefinition::new(&name))?));
        }
        // `after`'s blob while a table past `after`'s holds it, else the lowest id past it.
        let past = |shard: ShardIndex, axis: SliverType| {
            after.is_none_or(|after| table_rank(shard, axis) > table_rank(after.shard, after.axis))
        };
        let mut blob = None;
        if let Some(after) = after {
            for (shard, axis, table) in &tables {
                if past(*shard, *axis) && table.get(after.blob_id.0.as_slice())?.is_some() {
                    blob = Some(after.blob_id);
                    break;
                }
            }
        }
        let continues = blob.is_some();
        if blob.is_none() {
            let start = after.map_or(Bound::Unbounded, |after| Bound::Excluded(after.blob_id.0.as_slice()));
            for (_, _, table) in &tables {
                for entry in table.range::<&[u8]>((start, Bound::Unbounded))? {
                    let (key, _) = entry?;
                    // Keys are always written from 32-byte ids; anything else is not ours to check.
                    if let Ok(id) = <[u8; 32]>::try_from(key.value()) {
                        blob = Some(blob.map_or(BlobId(id), |lowest: BlobId| lowest.min(BlobId(id))));
                        break;
                    }
                }
            }
        }
        let Some(blob_id) = blob else { return Ok(Vec::new()) };
        let (mut records, mut bytes) = (Vec::new(), 0u64);
        for (shard, axis, table) in &tables {
            if continues && !past(*shard, *axis) {
                continue;
            }
            let Some(value) = table.get(blob_id.0.as_slice())? else { continue };
            // Sized from the row, so a record past the budget is not read for nothing.
            bytes += record_len(value.value()) as u64;
            if bytes > budget && !records.is_empty() {
                break;
            }
            let record = self.file.record(value.value())?.into_owned();
            records.push((ScrubPosition { shard: *shard, axis: *axis, blob_id }, record));
        }
        Ok(records)
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
        self.commit(txn, super::Commit::Durable)?;
        Ok(())
    }
}
