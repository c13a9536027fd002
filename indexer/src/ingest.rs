//! Exactly-once ingestion: a batch of consecutive checkpoints is written with the watermark in
//! one database transaction. Checkpoints at or below the watermark are skipped, so replaying
//! after a crash (or re-delivering a checkpoint) changes nothing, and a gap is refused.

use diesel::prelude::*;
use floe_chain::Packages;

use crate::batch::Batch;
use crate::checkpoint::IndexedCheckpoint;
use crate::db::{DbConnection, DbError, with_connection};
use crate::rows::Watermark;
use crate::schema::watermarks;

/// The watermark row this indexer's pipeline owns.
pub const PIPELINE: &str = "floe";

/// Largest number of checkpoints written in one transaction when catching up.
pub const MAX_BATCH_CHECKPOINTS: usize = 500;

/// Ingesting a batch failed; nothing of the batch was committed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The database refused.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The batch does not continue the watermark.
    #[error("checkpoint {got} does not follow checkpoint {expected_after} (gap or reordering)")]
    Gap {
        /// The last committed (or previous in batch) checkpoint.
        expected_after: u64,
        /// The checkpoint that came instead of its successor.
        got: u64,
    },
    /// A chain value does not fit its column.
    #[error("{field} = {value} does not fit a signed 64-bit column")]
    OutOfRange {
        /// Which value.
        field: &'static str,
        /// The value.
        value: u64,
    },
}

impl From<diesel::result::Error> for IngestError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

/// What one call to [`Ingester::apply`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Checkpoints written.
    pub checkpoints: usize,
    /// Checkpoints skipped because they were at or below the watermark.
    pub skipped: usize,
    /// Event rows written.
    pub events: usize,
}

/// Writes checkpoints into the database, owning the writer connection.
#[derive(Debug)]
pub struct Ingester {
    conn: DbConnection,
    packages: Packages,
}

impl Ingester {
    /// An ingester writing through `conn` (migrated), decoding events of `packages`.
    pub fn new(conn: DbConnection, packages: Packages) -> Self {
        Self { conn, packages }
    }

    /// The committed watermark, if anything was ever committed.
    pub fn watermark(&mut self) -> Result<Option<Watermark>, DbError> {
        read_watermark(&mut self.conn)
    }

    /// The checkpoint to ask the chain for next: one past the watermark, or `first` when
    /// nothing was committed yet.
    pub fn next_checkpoint(&mut self, first: u64) -> Result<u64, DbError> {
        Ok(match self.watermark()? {
            Some(w) => u64::try_from(w.checkpoint).map_or(first, |c| c + 1),
            None => first,
        })
    }

    /// Writes `checkpoints` (in order, consecutive) and the new watermark in one transaction.
    /// Those at or below the watermark are skipped; the first new one must follow it.
    pub fn apply(&mut self, checkpoints: &[IndexedCheckpoint]) -> Result<Applied, IngestError> {
        let packages = self.packages;
        self.conn.transaction(|conn| write_checkpoints(conn, &packages, checkpoints))
    }

    /// The connection, for tests that need to misbehave on purpose.
    #[cfg(test)]
    pub(crate) fn connection(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

fn read_watermark(conn: &mut DbConnection) -> Result<Option<Watermark>, DbError> {
    Ok(with_connection!(conn, c => watermarks::table
        .find(PIPELINE)
        .select(Watermark::as_select())
        .first(c)
        .optional())?)
}

/// Writes the batch without committing: the caller owns the transaction.
pub(crate) fn write_checkpoints(
    conn: &mut DbConnection,
    packages: &Packages,
    checkpoints: &[IndexedCheckpoint],
) -> Result<Applied, IngestError> {
    let watermark = read_watermark(conn)?;
    let committed = watermark.as_ref().and_then(|w| u64::try_from(w.checkpoint).ok());
    // Already committed checkpoints lead the batch; anything older later on is a gap below.
    let skipped = checkpoints.iter().take_while(|c| committed.is_some_and(|w| c.sequence_number <= w)).count();
    let fresh = &checkpoints[skipped..];
    let Some(last) = fresh.last() else {
        return Ok(Applied { skipped, ..Applied::default() });
    };
    let mut previous = committed;
    for checkpoint in fresh {
        if let Some(p) = previous
            && checkpoint.sequence_number != p + 1
        {
            return Err(IngestError::Gap { expected_after: p, got: checkpoint.sequence_number });
        }
        previous = Some(checkpoint.sequence_number);
    }
    let next_event_id = watermark.as_ref().map_or(0, |w| w.next_event_id);
    let batch = Batch::stage(conn, packages, fresh, next_event_id)?;
    let events = batch.events.len();
    batch.write(conn)?;
    let new_watermark = Watermark {
        pipeline: PIPELINE.to_owned(),
        checkpoint: i64::try_from(last.sequence_number)
            .map_err(|_| IngestError::OutOfRange { field: "checkpoint", value: last.sequence_number })?,
        epoch: i64::try_from(last.epoch).map_err(|_| IngestError::OutOfRange { field: "epoch", value: last.epoch })?,
        timestamp_ms: i64::try_from(last.timestamp_ms)
            .map_err(|_| IngestError::OutOfRange { field: "timestamp_ms", value: last.timestamp_ms })?,
        next_event_id: next_event_id + events as i64,
    };
    if watermark.is_some() {
        with_connection!(conn, c => diesel::update(watermarks::table.find(PIPELINE)).set(&new_watermark).execute(c))?;
    } else {
        with_connection!(conn, c => diesel::insert_into(watermarks::table).values(&new_watermark).execute(c))?;
    }
    Ok(Applied { checkpoints: fresh.len(), skipped, events })
}
