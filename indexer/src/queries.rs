//! The explorer's reads: every list is newest first and paged by a cursor (the id of the last
//! row returned), so a page is one index range scan whatever the table's size.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde::Serialize;

use crate::db::{DbConnection, DbError, with_connection};
use crate::rows::{
    BlobRow, ChallengeOutcomeRow, ChallengeWindowRow, CommitteeMemberRow, CommitteeShardRow, EpochRow, EventRow,
    PoolRow, RewardsWithheldRow, StakeRow, TotalsRow, Watermark,
};
use crate::schema::{
    blobs, challenge_outcomes, challenge_windows, committee_members, committee_shards, epochs, events, pools,
    rewards_withheld, stakes, totals, watermarks,
};

/// Rows per page when the caller does not say.
pub const DEFAULT_PAGE: i64 = 50;
/// Most rows per page.
pub const MAX_PAGE: i64 = 500;

/// One page of a list, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows (the extra one only says there is more).
    pub(crate) fn from_rows(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> i64) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        let next_cursor = if more { rows.last().map(|r| key(r).to_string()) } else { None };
        Self { items: rows, next_cursor }
    }
}

/// Which part of a list to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Only rows older than this cursor (from a previous page's `next_cursor`).
    pub before: Option<i64>,
    /// Rows wanted, 1..=[`MAX_PAGE`].
    pub limit: i64,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { before: None, limit: DEFAULT_PAGE }
    }
}

/// Filters on the event list; all given ones must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Event kind (`BlobRegistered`, ..., `unknown`, `malformed`).
    pub kind: Option<String>,
    /// Blob id (text form).
    pub blob_id: Option<String>,
    /// Transaction digest.
    pub tx_digest: Option<String>,
    /// Blob or StakedWal object.
    pub object_id: Option<String>,
    /// Storage node.
    pub node_id: Option<String>,
}

/// A committee member with its shards and its pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitteeMember {
    /// The reported member.
    #[serde(flatten)]
    pub member: CommitteeMemberRow,
    /// Its shards, ascending.
    pub shards: Vec<i32>,
    /// Its staking pool, if registered in the indexed history.
    pub pool: Option<PoolRow>,
}

/// Network-wide figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Unencoded bytes of blobs not deleted.
    pub stored_bytes: i64,
    /// Blob objects not deleted.
    pub blob_count: i64,
    /// Of those, certified ones.
    pub certified_count: i64,
    /// WAL staked over all pools (FROST).
    pub wal_staked: i64,
    /// Event rows.
    pub event_count: i64,
    /// The last indexed checkpoint, if any.
    pub checkpoint: Option<i64>,
}

/// Filters on the challenge outcome list; all given ones must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChallengeFilter {
    /// The challenged node.
    pub node_id: Option<String>,
    /// The epoch the outcomes are about.
    pub epoch: Option<i64>,
}

/// A node's challenge outcome in an epoch with what followed from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChallengeRecord {
    /// The recorded outcome.
    #[serde(flatten)]
    pub outcome: ChallengeOutcomeRow,
    /// The rewards withheld for the epoch (FROST), once the epoch change withheld them: only
    /// failures are withheld, and only when the epoch has ended.
    pub rewards_withheld: Option<i64>,
    /// The seed of the epoch's challenge window (hex), if its opening was indexed.
    pub seed: Option<String>,
}

/// Blob objects with this blob id (text form), newest first.
pub fn blobs_by_blob_id(conn: &mut DbConnection, blob_id: &str) -> Result<Vec<BlobRow>, DbError> {
    Ok(with_connection!(conn, c => blobs::table
        .filter(blobs::blob_id.eq(blob_id))
        .order(blobs::registered_event.desc())
        .limit(MAX_PAGE)
        .select(BlobRow::as_select())
        .load(c))?)
}

/// The blob object `object_id`.
pub fn blob_by_object_id(conn: &mut DbConnection, object_id: &str) -> Result<Option<BlobRow>, DbError> {
    Ok(with_connection!(conn, c => blobs::table.find(object_id).select(BlobRow::as_select()).first(c).optional())?)
}

/// Blobs newest first, all or those of one owner.
pub fn blobs(conn: &mut DbConnection, owner: Option<&str>, page: PageRequest) -> Result<Page<BlobRow>, DbError> {
    let rows = with_connection!(conn, c => {
        let mut query = blobs::table.select(BlobRow::as_select()).into_boxed();
        if let Some(owner) = owner {
            query = query.filter(blobs::owner.eq(owner));
        }
        if let Some(before) = page.before {
            query = query.filter(blobs::registered_event.lt(before));
        }
        query.order(blobs::registered_event.desc()).limit(page.limit + 1).load(c)
    })?;
    Ok(Page::from_rows(rows, page.limit, |b| b.registered_event))
}

/// Events newest first, filtered.
pub fn events(conn: &mut DbConnection, filter: &EventFilter, page: PageRequest) -> Result<Page<EventRow>, DbError> {
    let rows = with_connection!(conn, c => {
        let mut query = events::table.select(EventRow::as_select()).into_boxed();
        if let Some(kind) = &filter.kind {
            query = query.filter(events::kind.eq(kind));
        }
        if let Some(blob_id) = &filter.blob_id {
            query = query.filter(events::blob_id.eq(blob_id));
        }
        if let Some(tx) = &filter.tx_digest {
            query = query.filter(events::tx_digest.eq(tx));
        }
        if let Some(object_id) = &filter.object_id {
            query = query.filter(events::object_id.eq(object_id));
        }
        if let Some(node_id) = &filter.node_id {
            query = query.filter(events::node_id.eq(node_id));
        }
        if let Some(before) = page.before {
            query = query.filter(events::id.lt(before));
        }
        query.order(events::id.desc()).limit(page.limit + 1).load(c)
    })?;
    Ok(Page::from_rows(rows, page.limit, |e| e.id))
}

/// Epochs newest first.
pub fn epochs(conn: &mut DbConnection, page: PageRequest) -> Result<Page<EpochRow>, DbError> {
    let rows = with_connection!(conn, c => {
        let mut query = epochs::table.select(EpochRow::as_select()).into_boxed();
        if let Some(before) = page.before {
            query = query.filter(epochs::epoch.lt(before));
        }
        query.order(epochs::epoch.desc()).limit(page.limit + 1).load(c)
    })?;
    Ok(Page::from_rows(rows, page.limit, |e| e.epoch))
}

/// The committee of `epoch` (default: the latest epoch any node reported shards for), with
/// each member's shards and pool.
pub fn committee(conn: &mut DbConnection, epoch: Option<i64>) -> Result<(Option<i64>, Vec<CommitteeMember>), DbError> {
    let epoch = match epoch {
        Some(e) => Some(e),
        None => with_connection!(conn, c => committee_members::table
            .select(diesel::dsl::max(committee_members::epoch))
            .first::<Option<i64>>(c))?,
    };
    let Some(epoch) = epoch else {
        return Ok((None, Vec::new()));
    };
    let members: Vec<CommitteeMemberRow> = with_connection!(conn, c => committee_members::table
        .filter(committee_members::epoch.eq(epoch))
        .order(committee_members::node_id)
        .select(CommitteeMemberRow::as_select())
        .load(c))?;
    let shards: Vec<CommitteeShardRow> = with_connection!(conn, c => committee_shards::table
        .filter(committee_shards::epoch.eq(epoch))
        .order(committee_shards::shard)
        .select(CommitteeShardRow::as_select())
        .load(c))?;
    let node_ids: Vec<&str> = members.iter().map(|m| m.node_id.as_str()).collect();
    let member_pools: Vec<PoolRow> = with_connection!(conn, c => pools::table
        .filter(pools::node_id.eq_any(&node_ids))
        .select(PoolRow::as_select())
        .load(c))?;
    let members = members
        .into_iter()
        .map(|member| CommitteeMember {
            shards: shards.iter().filter(|s| s.node_id == member.node_id).map(|s| s.shard).collect(),
            pool: member_pools.iter().find(|p| p.node_id == member.node_id).cloned(),
            member,
        })
        .collect();
    Ok((Some(epoch), members))
}

/// Every staking pool, largest stake first.
pub fn pools(conn: &mut DbConnection) -> Result<Vec<PoolRow>, DbError> {
    Ok(with_connection!(conn, c => pools::table
        .order((pools::staked.desc(), pools::node_id))
        .limit(MAX_PAGE)
        .select(PoolRow::as_select())
        .load(c))?)
}

/// Stakes of one owner or with one node, newest first.
pub fn stakes(
    conn: &mut DbConnection,
    owner: Option<&str>,
    node_id: Option<&str>,
    page: PageRequest,
) -> Result<Page<StakeRow>, DbError> {
    let rows = with_connection!(conn, c => {
        let mut query = stakes::table.select(StakeRow::as_select()).into_boxed();
        if let Some(owner) = owner {
            query = query.filter(stakes::owner.eq(owner));
        }
        if let Some(node_id) = node_id {
            query = query.filter(stakes::node_id.eq(node_id));
        }
        if let Some(before) = page.before {
            query = query.filter(stakes::staked_event.lt(before));
        }
        query.order(stakes::staked_event.desc()).limit(page.limit + 1).load(c)
    })?;
    Ok(Page::from_rows(rows, page.limit, |s| s.staked_event))
}

/// The pipeline's watermark.
pub fn watermark(conn: &mut DbConnection) -> Result<Option<Watermark>, DbError> {
    Ok(with_connection!(conn, c => watermarks::table
        .find(crate::ingest::PIPELINE)
        .select(Watermark::as_select())
        .first(c)
        .optional())?)
}

/// Network-wide totals: blob figures from the running totals the ingester keeps, stake summed
/// over the (few) pools. `SUM` is cast because PostgreSQL sums BIGINT as NUMERIC.
pub fn totals(conn: &mut DbConnection) -> Result<Totals, DbError> {
    let blob_totals: Option<TotalsRow> = with_connection!(conn, c => totals::table
        .find(crate::ingest::PIPELINE)
        .select(TotalsRow::as_select())
        .first(c)
        .optional())?;
    let TotalsRow { stored_bytes, blob_count, certified_count, .. } = blob_totals.unwrap_or_default();
    let wal_staked = with_connection!(conn, c => pools::table
        .select(sql::<BigInt>("CAST(COALESCE(SUM(staked), 0) AS BIGINT)"))
        .first::<i64>(c))?;
    let watermark = watermark(conn)?;
    Ok(Totals {
        stored_bytes,
        blob_count,
        certified_count,
        wal_staked,
        // Event ids are gapless from 0, so the next id is the count.
        event_count: watermark.as_ref().map_or(0, |w| w.next_event_id),
        checkpoint: watermark.map(|w| w.checkpoint),
    })
}

/// Challenge outcomes newest first, filtered, each with its epoch's seed and the rewards
/// withheld for it. The page's withholdings and seeds are read with one `IN` query each and
/// joined here: the same SQL on both backends, and a page holds at most [`MAX_PAGE`] rows.
pub fn challenge_outcomes(
    conn: &mut DbConnection,
    filter: &ChallengeFilter,
    page: PageRequest,
) -> Result<Page<ChallengeRecord>, DbError> {
    let rows: Vec<ChallengeOutcomeRow> = with_connection!(conn, c => {
        let mut query = challenge_outcomes::table
            .select(ChallengeOutcomeRow::as_select())
            .into_boxed();
        if let Some(node_id) = &filter.node_id {
            query = query.filter(challenge_outcomes::node_id.eq(node_id));
        }
        if let Some(epoch) = filter.epoch {
            query = query.filter(challenge_outcomes::epoch.eq(epoch));
        }
        if let Some(before) = page.before {
            query = query.filter(challenge_outcomes::event_id.lt(before));
        }
        query.order(challenge_outcomes::event_id.desc()).limit(page.limit + 1).load(c)
    })?;
    let mut page_epochs: Vec<i64> = rows.iter().map(|r| r.epoch).collect();
    page_epochs.sort_unstable();
    page_epochs.dedup();
    let withheld: Vec<RewardsWithheldRow> = with_connection!(conn, c => rewards_withheld::table
        .filter(rewards_withheld::epoch.eq_any(&page_epochs))
        .select(RewardsWithheldRow::as_select())
        .load(c))?;
    let windows: Vec<ChallengeWindowRow> = with_connection!(conn, c => challenge_windows::table
        .filter(challenge_windows::epoch.eq_any(&page_epochs))
        .select(ChallengeWindowRow::as_select())
        .load(c))?;
    let records = rows
        .into_iter()
        .map(|outcome| ChallengeRecord {
            rewards_withheld: withheld
                .iter()
                .find(|w| w.epoch == outcome.epoch && w.node_id == outcome.node_id)
                .map(|w| w.amount),
            seed: windows.iter().find(|w| w.epoch == outcome.epoch).map(|w| w.seed.clone()),
            outcome,
        })
        .collect();
    Ok(Page::from_rows(records, page.limit, |r| r.outcome.event_id))
}

/// Challenge windows, newest epoch first.
pub fn challenge_windows(conn: &mut DbConnection, page: PageRequest) -> Result<Page<ChallengeWindowRow>, DbError> {
    let rows = with_connection!(conn, c => {
        let mut query = challenge_windows::table
            .select(ChallengeWindowRow::as_select())
            .into_boxed();
        if let Some(before) = page.before {
            query = query.filter(challenge_windows::epoch.lt(before));
        }
        query.order(challenge_windows::epoch.desc()).limit(page.limit + 1).load(c)
    })?;
    Ok(Page::from_rows(rows, page.limit, |w| w.epoch))
}
