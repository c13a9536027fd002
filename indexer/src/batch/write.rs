//! Writing the staged rows: bulk inserts for new rows, updates for changed ones, running totals.

use diesel::prelude::*;

use super::{Batch, Tracked};
use crate::db::{DbConnection, DbError, with_connection};
use crate::ingest::PIPELINE;
use crate::rows::{BlobRow, TotalsRow};
use crate::schema::{
    blobs, challenge_outcomes, challenge_windows, committee_members, committee_shards, epochs, events, pools,
    rewards_withheld, stakes, totals,
};

/// Rows per multi-row INSERT; stays under SQLite's 32,766 and PostgreSQL's 65,535 bind
/// parameters with the widest table (15 columns).
const INSERT_CHUNK: usize = 1_000;

/// Inserts many rows: binary `COPY` on PostgreSQL (several times faster than multi-row
/// INSERTs there), multi-row INSERTs of [`INSERT_CHUNK`] rows on SQLite.
macro_rules! bulk_insert {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            DbConnection::Postgres(c) => {
                if !$rows.is_empty() {
                    diesel::copy_from($table).from_insertable($rows).execute(c)?;
                }
            }
            DbConnection::Sqlite(c) => {
                for chunk in $rows.chunks(INSERT_CHUNK) {
                    diesel::insert_into($table).values(chunk).execute(c)?;
                }
            }
        }
    };
}

impl Batch {
    /// Writes every staged row.
    pub(crate) fn write(self, conn: &mut DbConnection) -> Result<(), DbError> {
        bulk_insert!(conn, events::table, &self.events);
        let mut delta = [0i64; 3];
        for tracked in self.blobs.values().filter(|t| t.dirty) {
            let (after, before) = (counted(Some(&tracked.row)), counted(tracked.original.as_ref()));
            for k in 0..3 {
                delta[k] += after[k] - before[k];
            }
        }
        add_to_totals(conn, delta)?;
        let (new_blobs, changed_blobs) = split(self.blobs.into_values());
        bulk_insert!(conn, blobs::table, &new_blobs);
        for row in &changed_blobs {
            with_connection!(conn, c => diesel::update(blobs::table.find(&row.object_id)).set(row).execute(c))?;
        }
        for blob_id in &self.invalid_blob_ids {
            with_connection!(conn, c => diesel::update(blobs::table.filter(blobs::blob_id.eq(blob_id)))
                .set(blobs::invalid.eq(true))
                .execute(c))?;
        }
        let (new_stakes, changed_stakes) = split(self.stakes.into_values());
        for chunk in new_stakes.chunks(INSERT_CHUNK) {
            with_connection!(conn, c => diesel::insert_into(stakes::table).values(chunk).execute(c))?;
        }
        for row in &changed_stakes {
            with_connection!(conn, c => diesel::update(stakes::table.find(&row.staked_wal_id)).set(row).execute(c))?;
        }
        let (new_pools, changed_pools) = split(self.pools.into_values());
        for chunk in new_pools.chunks(INSERT_CHUNK) {
            with_connection!(conn, c => diesel::insert_into(pools::table).values(chunk).execute(c))?;
        }
        for row in &changed_pools {
            with_connection!(conn, c => diesel::update(pools::table.find(&row.node_id)).set(row).execute(c))?;
        }
        let (new_epochs, changed_epochs) = split(self.epochs.into_values());
        for chunk in new_epochs.chunks(INSERT_CHUNK) {
            with_connection!(conn, c => diesel::insert_into(epochs::table).values(chunk).execute(c))?;
        }
        for row in &changed_epochs {
            with_connection!(conn, c => diesel::update(epochs::table.find(row.epoch)).set(row).execute(c))?;
        }
        // A node may report its shards again; the latest report wins.
        for row in self.members.values() {
            with_connection!(conn, c => diesel::insert_into(committee_members::table)
                .values(row)
                .on_conflict((committee_members::epoch, committee_members::node_id))
                .do_update()
                .set(committee_members::shard_count.eq(row.shard_count))
                .execute(c))?;
        }
        for row in self.shards.values() {
            with_connection!(conn, c => diesel::insert_into(committee_shards::table)
                .values(row)
                .on_conflict((committee_shards::epoch, committee_shards::shard))
                .do_update()
                .set(committee_shards::node_id.eq(&row.node_id))
                .execute(c))?;
        }
        // A few rows per epoch: one upsert each.
        for row in self.challenge_windows.values() {
            with_connection!(conn, c => diesel::insert_into(challenge_windows::table)
                .values(row)
                .on_conflict(challenge_windows::epoch)
                .do_update()
                .set(row)
                .execute(c))?;
        }
        for row in self.challenge_outcomes.values() {
            with_connection!(conn, c => diesel::insert_into(challenge_outcomes::table)
                .values(row)
                .on_conflict((challenge_outcomes::node_id, challenge_outcomes::epoch))
                .do_update()
                .set(row)
                .execute(c))?;
        }
        for row in self.rewards_withheld.values() {
            with_connection!(conn, c => diesel::insert_into(rewards_withheld::table)
                .values(row)
                .on_conflict((rewards_withheld::epoch, rewards_withheld::node_id))
                .do_update()
                .set(row)
                .execute(c))?;
        }
        Ok(())
    }
}

/// What a blob adds to the totals: stored bytes, count, certified count.
fn counted(row: Option<&BlobRow>) -> [i64; 3] {
    match row {
        Some(blob) if !blob.deleted => [blob.size, 1, i64::from(blob.certified_epoch.is_some())],
        _ => [0; 3],
    }
}

fn add_to_totals(conn: &mut DbConnection, [bytes, count, certified]: [i64; 3]) -> Result<(), DbError> {
    if bytes == 0 && count == 0 && certified == 0 {
        return Ok(());
    }
    let current: Option<TotalsRow> = with_connection!(conn, c => totals::table
        .find(PIPELINE)
        .select(TotalsRow::as_select())
        .first(c)
        .optional())?;
    let exists = current.is_some();
    let mut row = current.unwrap_or_else(|| TotalsRow { pipeline: PIPELINE.to_owned(), ..TotalsRow::default() });
    row.stored_bytes += bytes;
    row.blob_count += count;
    row.certified_count += certified;
    if exists {
        with_connection!(conn, c => diesel::update(totals::table.find(PIPELINE)).set(&row).execute(c))?;
    } else {
        with_connection!(conn, c => diesel::insert_into(totals::table).values(&row).execute(c))?;
    }
    Ok(())
}

/// Splits dirty rows into those to insert and those to update.
fn split<T>(tracked: impl Iterator<Item = Tracked<T>>) -> (Vec<T>, Vec<T>) {
    let mut inserts = Vec::new();
    let mut updates = Vec::new();
    for t in tracked.filter(|t| t.dirty) {
        if t.original.is_some() { updates.push(t.row) } else { inserts.push(t.row) }
    }
    (inserts, updates)
}
