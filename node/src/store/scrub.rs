//! The store's side of the background scrub ([`crate::scrub`]): a walk over every stored sliver
//! record in one fixed order ([`ScrubPosition`]), and the cursor that remembers where the walk
//! stopped, so that a restarted node goes on from there instead of starting the pass over.

use std::ops::Bound;

use floe_encoder::{BlobId, ShardIndex, SliverType};
use redb::{ReadableDatabase, TableDefinition, TableHandle};

use super::{Store, StoreError, slivers::parse_shard_table};

/// Where the background scrub stopped: key [`SCRUB_CURSOR_KEY`], value BCS [`ScrubPosition`].
pub(super) const SCRUB_CURSOR: TableDefinition<'static, &str, &[u8]> = TableDefinition::new("scrub-cursor");
const SCRUB_CURSOR_KEY: &str = "last-checked";

/// A stored sliver's place in the scrub's walk: shards in order, primary before secondary, blob
/// ids in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScrubPosition {
    /// The shard.
    pub shard: ShardIndex,
    /// The axis.
    pub axis: SliverType,
    /// The blob.
    pub blob_id: BlobId,
}

fn axis_rank(axis: SliverType) -> u8 {
    match axis {
        SliverType::Primary => 0,
        SliverType::Secondary => 1,
    }
}

impl Store {
    /// The first stored sliver record after `after` (from the start when `None`) in the scrub's
    /// order ([`ScrubPosition`]), with its position; `None` once every table is walked.
    pub fn next_sliver_record(
        &self,
        after: Option<&ScrubPosition>,
    ) -> Result<Option<(ScrubPosition, Vec<u8>)>, StoreError> {
        let _reading = self.file.reading();
        let txn = self.db.begin_read()?;
        let mut tables: Vec<(ShardIndex, SliverType, String)> = txn
            .list_tables()?
            .filter_map(|handle| {
                let (shard, axis) = parse_shard_table(handle.name())?;
                Some((shard, axis, handle.name().to_owned()))
            })
            .collect();
        tables.sort_by_key(|(shard, axis, _)| (*shard, axis_rank(*axis)));
        for (shard, axis, name) in tables {
            let start = match after {
                Some(after) if (shard, axis_rank(axis)) < (after.shard, axis_rank(after.axis)) => continue,
                Some(after) if (shard, axis) == (after.shard, after.axis) => {
                    Bound::Excluded(after.blob_id.0.as_slice())
                }
                _ => Bound::Unbounded,
            };
            let table: redb::ReadOnlyTable<&[u8], &[u8]> = txn.open_table(TableDefinition::new(&name))?;
            for entry in table.range::<&[u8]>((start, Bound::Unbounded))? {
                let (key, value) = entry?;
                // Keys are always written from 32-byte ids; anything else is not ours to check.
                let Ok(id) = <[u8; 32]>::try_from(key.value()) else { continue };
                let record = self.file.record(value.value())?.into_owned();
                return Ok(Some((ScrubPosition { shard, axis, blob_id: BlobId(id) }, record)));
            }
        }
        Ok(None)
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
