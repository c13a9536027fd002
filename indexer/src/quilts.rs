//! Quilt patches: which certified blobs are quilts, and their files (identifier, tags, quilt
//! patch id), searchable by identifier and tag.
//!
//! The chain's events say that a blob was certified, not what is inside it, so the indexer asks
//! an aggregator (`floe indexer --aggregator URL`): [`QuiltFetcher`] takes the certified blob ids
//! it has not asked about yet, requests `GET {aggregator}/v1/quilts/{blob_id}/patches` for a few
//! at a time ([`QuiltSource::concurrency`]), and records one [`QuiltCheckRow`] per blob id with
//! the patches of the quilts. A blob that is not a quilt is cheap to tell: the aggregator reads
//! only the blob's metadata and first column before answering 422, and the indexer records the
//! answer, so it never asks about that blob id again. Answers that may change (the nodes do not
//! have the blob yet: 404, 409; a failing aggregator: 5xx, no connection) are retried with a
//! doubling pause up to [`QuiltSource::attempts`] times, then recorded as `failed` with the
//! reason.

use std::collections::BTreeMap;
use std::time::Duration;

use diesel::prelude::*;
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};

use crate::db::{DbConnection, DbError, Pool, with_connection};
use crate::queries::{Page, PageRequest};
use crate::rows::{QuiltCheckRow, QuiltPatchRow, QuiltPatchTagRow};
use crate::schema::{blobs, quilt_checks, quilt_patch_tags, quilt_patches};

/// `quilt_checks.state` of a quilt (its patches are recorded).
pub const QUILT: &str = "quilt";
/// `quilt_checks.state` of a blob the aggregator says is not a quilt.
pub const NOT_QUILT: &str = "not_quilt";
/// `quilt_checks.state` of a blob no usable answer came for.
pub const FAILED: &str = "failed";

/// Where and how to ask for patch lists.
#[derive(Debug, Clone)]
pub struct QuiltSource {
    /// The aggregator's base URL (`http://127.0.0.1:31415`).
    pub aggregator: String,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Requests per blob id before it is recorded as failed.
    pub attempts: u32,
    /// The pause after the first failed request; it doubles after each.
    pub first_backoff: Duration,
    /// The pause when there is nothing to ask about.
    pub idle: Duration,
    /// The time one request may take.
    pub timeout: Duration,
    /// For an https aggregator with a certificate no public CA signed (a localnet's
    /// self-signed one): the only certificates trusted. Empty: the system's roots.
    pub trusted_certificates: Vec<reqwest::Certificate>,
}

impl QuiltSource {
    /// The aggregator at `url` with the default pacing: 4 requests at once, 6 attempts from a
    /// 500 ms pause (about 15 s before giving up), a 1 s poll when idle.
    pub fn new(url: &str) -> Self {
        Self {
            aggregator: url.trim_end_matches('/').to_owned(),
            concurrency: 4,
            attempts: 6,
            first_backoff: Duration::from_millis(500),
            idle: Duration::from_secs(1),
            timeout: Duration::from_secs(30),
            trusted_certificates: Vec::new(),
        }
    }
}

/// One file as the aggregator lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ListedPatch {
    /// Its identifier.
    pub identifier: String,
    /// Its quilt patch id.
    pub patch_id: String,
    /// Its tags (values that are not strings are kept as their JSON text).
    #[serde(default)]
    pub tags: serde_json::Map<String, serde_json::Value>,
}

impl ListedPatch {
    fn tag_strings(&self) -> BTreeMap<String, String> {
        self.tags
            .iter()
            .map(|(key, value)| {
                let text = match value {
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                (key.clone(), text)
            })
            .collect()
    }
}

/// What was learnt about one blob id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A quilt with these files.
    Quilt(Vec<ListedPatch>),
    /// Not a quilt.
    NotQuilt,
    /// No usable answer: why.
    Failed(String),
}

/// One request's result: final, or worth asking again.
enum Answer {
    Final(Outcome),
    Retry(String),
}

/// A quilt patch as the explorer API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuiltPatch {
    /// Order of recording; the pagination cursor.
    pub id: i64,
    /// The quilt's blob id.
    pub quilt_id: String,
    /// The file's identifier.
    pub identifier: String,
    /// Its quilt patch id.
    pub patch_id: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

impl From<QuiltPatchRow> for QuiltPatch {
    fn from(row: QuiltPatchRow) -> Self {
        // Written by `record` from a map, so it reads back as one.
        let tags = serde_json::from_str(&row.tags).unwrap_or_default();
        Self { id: row.id, quilt_id: row.quilt_id, identifier: row.identifier, patch_id: row.patch_id, tags }
    }
}

/// Filters on the patch list; all given ones must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatchFilter {
    /// The quilt's blob id.
    pub quilt_id: Option<String>,
    /// The identifier, exactly.
    pub identifier: Option<String>,
    /// A tag key the patch has.
    pub tag_key: Option<String>,
    /// With `tag_key`: the value it must have.
    pub tag_value: Option<String>,
}

/// Up to `limit` blob ids certified, not deleted nor invalid, and not asked about yet, in the
/// order they were registered.
pub fn pending(conn: &mut DbConnection, limit: i64) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String, i64)> = with_connection!(conn, c => blobs::table
        .filter(blobs::certified_epoch.is_not_null())
        .filter(blobs::deleted.eq(false))
        .filter(blobs::invalid.eq(false))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            quilt_checks::table.filter(quilt_checks::blob_id.eq(blobs::blob_id)),
        )))
        .select((blobs::blob_id, blobs::registered_event))
        .order(blobs::registered_event.asc())
        .limit(limit)
        .load(c))?;
    let mut ids: Vec<String> = Vec::with_capacity(rows.len());
    for (blob_id, _) in rows {
        // Several Blob objects may share a blob id: ask once.
        if !ids.contains(&blob_id) {
            ids.push(blob_id);
        }
    }
    Ok(ids)
}

/// Records what was learnt about `blob_id` after `attempts` requests, in one transaction. A
/// blob id already recorded is left as it is.
pub fn record(
    conn: &mut DbConnection,
    blob_id: &str,
    outcome: &Outcome,
    attempts: u32,
    now_ms: i64,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        let known = with_connection!(conn, c => quilt_checks::table
            .find(blob_id)
            .select(quilt_checks::blob_id)
            .first::<String>(c)
            .optional())?;
        if known.is_some() {
            return Ok(());
        }
        let (state, patches, error) = match outcome {
            Outcome::Quilt(patches) => (QUILT, patches.as_slice(), None),
            Outcome::NotQuilt => (NOT_QUILT, &[][..], None),
            Outcome::Failed(reason) => (FAILED, &[][..], Some(reason.clone())),
        };
        let next: Option<i64> =
            with_connection!(conn, c => quilt_patches::table.select(diesel::dsl::max(quilt_patches::id)).first(c))?;
        let first = next.map_or(0, |max| max + 1);
        let mut rows = Vec::with_capacity(patches.len());
        let mut tags = Vec::new();
        for (offset, patch) in patches.iter().enumerate() {
            let id = first + offset as i64;
            let strings = patch.tag_strings();
            tags.extend(strings.iter().map(|(key, value)| QuiltPatchTagRow {
                patch_row: id,
                tag_key: key.clone(),
                tag_value: value.clone(),
            }));
            rows.push(QuiltPatchRow {
                id,
                quilt_id: blob_id.to_owned(),
                identifier: patch.identifier.clone(),
                patch_id: patch.patch_id.clone(),
                tags: serde_json::to_string(&strings).expect("a map of strings serializes"),
            });
        }
        // Batches stay well below both backends' limits on bound parameters.
        for chunk in rows.chunks(1_000) {
            with_connection!(conn, c => diesel::insert_into(quilt_patches::table).values(chunk).execute(c))?;
        }
        for chunk in tags.chunks(1_000) {
            with_connection!(conn, c => diesel::insert_into(quilt_patch_tags::table).values(chunk).execute(c))?;
        }
        let check = QuiltCheckRow {
            blob_id: blob_id.to_owned(),
            state: state.to_owned(),
            patch_count: i32::try_from(patches.len()).unwrap_or(i32::MAX),
            attempts: i32::try_from(attempts).unwrap_or(i32::MAX),
            checked_at_ms: now_ms,
            error,
        };
        with_connection!(conn, c => diesel::insert_into(quilt_checks::table).values(&check).execute(c))?;
        Ok(())
    })
}

/// Quilt patches matching `filter`, newest first.
pub fn patches(conn: &mut DbConnection, filter: &PatchFilter, page: PageRequest) -> Result<Page<QuiltPatch>, DbError> {
    let rows: Vec<QuiltPatchRow> = with_connection!(conn, c => {
        let mut query = quilt_patches::table.select(QuiltPatchRow::as_select()).into_boxed();
        if let Some(quilt_id) = &filter.quilt_id {
            query = query.filter(quilt_patches::quilt_id.eq(quilt_id));
        }
        if let Some(identifier) = &filter.identifier {
            query = query.filter(quilt_patches::identifier.eq(identifier));
        }
        if let Some(key) = &filter.tag_key {
            let mut tagged = quilt_patch_tags::table
                .filter(quilt_patch_tags::tag_key.eq(key))
                .select(quilt_patch_tags::patch_row)
                .into_boxed();
            if let Some(value) = &filter.tag_value {
                tagged = tagged.filter(quilt_patch_tags::tag_value.eq(value));
            }
            query = query.filter(quilt_patches::id.eq_any(tagged));
        }
        if let Some(before) = page.before {
            query = query.filter(quilt_patches::id.lt(before));
        }
        query.order(quilt_patches::id.desc()).limit(page.limit + 1).load(c)
    })?;
    let page = Page::from_rows(rows, page.limit, |row| row.id);
    Ok(Page { items: page.items.into_iter().map(QuiltPatch::from).collect(), next_cursor: page.next_cursor })
}

/// What the aggregator said about one blob id, if it was asked.
pub fn check(conn: &mut DbConnection, blob_id: &str) -> Result<Option<QuiltCheckRow>, DbError> {
    Ok(with_connection!(conn, c => quilt_checks::table
        .find(blob_id)
        .select(QuiltCheckRow::as_select())
        .first(c)
        .optional())?)
}

/// Asks an aggregator for the patch lists of certified blobs and records them.
#[derive(Debug, Clone)]
pub struct QuiltFetcher {
    http: reqwest::Client,
    source: QuiltSource,
}

impl QuiltFetcher {
    /// A fetcher asking `source`.
    pub fn new(source: QuiltSource) -> Result<Self, reqwest::Error> {
        let mut http = reqwest::Client::builder();
        if !source.trusted_certificates.is_empty() {
            http = http.tls_certs_only(source.trusted_certificates.clone());
        }
        Ok(Self { http: http.build()?, source })
    }

    /// The patch list of `blob_id`, with the requests it took.
    pub async fn fetch(&self, blob_id: &str) -> (Outcome, u32) {
        let mut pause = self.source.first_backoff;
        let mut last = String::new();
        for attempt in 1..=self.source.attempts.max(1) {
            match self.ask(blob_id).await {
                Answer::Final(outcome) => return (outcome, attempt),
                Answer::Retry(reason) => last = reason,
            }
            if attempt < self.source.attempts {
                tokio::time::sleep(pause).await;
                pause = pause.saturating_mul(2);
            }
        }
        let attempts = self.source.attempts.max(1);
        (Outcome::Failed(format!("no usable answer after {attempts} requests: {last}")), attempts)
    }

    async fn ask(&self, blob_id: &str) -> Answer {
        let url = format!("{}/v1/quilts/{blob_id}/patches", self.source.aggregator);
        let response = match self.http.get(&url).timeout(self.source.timeout).send().await {
            Ok(response) => response,
            Err(error) => return Answer::Retry(format!("GET {url}: {error}")),
        };
        let status = response.status();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(error) => return Answer::Retry(format!("reading the answer of {url}: {error}")),
        };
        match status.as_u16() {
            200 => match serde_json::from_slice::<Vec<ListedPatch>>(&body) {
                Ok(patches) => Answer::Final(Outcome::Quilt(patches)),
                Err(error) => Answer::Final(Outcome::Failed(format!("{url} answered no patch list: {error}"))),
            },
            // Read, and not a well-formed quilt: the ordinary answer for most blobs.
            422 => Answer::Final(Outcome::NotQuilt),
            // Not (yet) known or certified at the nodes, or the aggregator is failing.
            404 | 409 | 429 | 500..=599 => {
                Answer::Retry(format!("{url} answered {status}: {}", String::from_utf8_lossy(&body)))
            }
            _ => Answer::Final(Outcome::Failed(format!("{url} answered {status}: {}", String::from_utf8_lossy(&body)))),
        }
    }

    /// Asks about every pending blob id once (up to `batch`), [`QuiltSource::concurrency`] at a
    /// time, recording each answer as it comes; returns how many were recorded.
    pub async fn run_once(&self, pool: &Pool, batch: i64) -> Result<usize, DbError> {
        let ids = blocking(pool, move |conn| pending(conn, batch)).await?;
        let count = ids.len();
        let mut answers = futures::stream::iter(ids)
            .map(|blob_id| async move {
                let (outcome, attempts) = self.fetch(&blob_id).await;
                (blob_id, outcome, attempts)
            })
            .buffer_unordered(self.source.concurrency.max(1));
        while let Some((blob_id, outcome, attempts)) = answers.next().await {
            if let Outcome::Failed(reason) = &outcome {
                tracing::warn!(%blob_id, %reason, "no quilt patch list");
            }
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX));
            blocking(pool, move |conn| record(conn, &blob_id, &outcome, attempts, now_ms)).await?;
        }
        Ok(count)
    }

    /// Runs until the database fails: asks about new certified blobs as the follower records
    /// them, pausing [`QuiltSource::idle`] when there are none.
    pub async fn run(self, pool: Pool) -> DbError {
        loop {
            match self.run_once(&pool, 64).await {
                Ok(0) => tokio::time::sleep(self.source.idle).await,
                Ok(_) => {}
                Err(error) => return error,
            }
        }
    }
}

/// Runs a database call on a pooled connection off the async runtime (diesel is blocking).
async fn blocking<T: Send + 'static>(
    pool: &Pool,
    work: impl FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
) -> Result<T, DbError> {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await
    .unwrap_or_else(|join| Err(DbError::Task(join)))
}
