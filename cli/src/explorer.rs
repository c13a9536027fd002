//! Reading the indexer's explorer API (`floe indexer`, or the one `floe localnet` runs): the
//! recorded challenge outcomes and the certified live blobs. The rows are the API's JSON, read
//! into the fields these commands use.

use anyhow::Context as _;
use floe_encoder::BlobId;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Where `floe localnet` serves its explorer by default (it prints `explorer:` with the URL it
/// used; with `--any-ports` the port differs).
pub const DEFAULT_INDEXER_URL: &str = "http://127.0.0.1:8080";

/// Rows asked per page (the API's most).
const PAGE: u32 = 500;

/// Pages read at most per listing, so a huge history cannot keep a command busy forever.
const MAX_PAGES: usize = 20;

/// Where the explorer API is.
#[derive(Debug, Clone, clap::Args)]
pub struct IndexerArg {
    /// The indexer's explorer URL: `floe localnet` prints it as `explorer:` (default port 8080),
    /// `floe indexer` serves it at its --listen address.
    #[arg(long = "indexer", default_value = DEFAULT_INDEXER_URL)]
    pub url: String,
}

/// One recorded challenge outcome as `GET /v1/challenges` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeRow {
    /// The epoch the outcome is about.
    pub epoch: u64,
    /// The challenged node.
    pub node_id: String,
    /// Whether it passed.
    pub passed: bool,
    /// Shards held by the certificate's signers.
    pub stake_support: u64,
    /// Rewards withheld for the epoch (FROST), once withheld.
    pub rewards_withheld: Option<u64>,
    /// The epoch's challenge seed (hex), if indexed.
    pub seed: Option<String>,
    /// The checkpoint of the record.
    pub checkpoint: u64,
    /// The recording transaction.
    pub tx_digest: String,
}

/// The fields of a `GET /v1/blobs` row a challenge needs.
#[derive(Debug, Clone, Deserialize)]
struct BlobRow {
    blob_id: String,
    certified_epoch: Option<u64>,
    end_epoch: u64,
    deleted: bool,
    invalid: bool,
}

#[derive(Debug, Deserialize)]
struct Page<T> {
    items: Vec<T>,
    next_cursor: Option<String>,
}

/// One `Blob` object of a blob id, as `GET /v1/blobs/{blob_id}` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobObjectRow {
    /// The Blob object id.
    pub object_id: String,
    /// Its owner (an address, `object:<id>`, `shared`, ...), none once deleted or wrapped.
    pub owner: Option<String>,
    /// The epoch it was certified in, if it was.
    pub certified_epoch: Option<u64>,
    /// The first epoch it is no longer stored.
    pub end_epoch: u64,
    /// Whether its owner may delete it.
    pub deletable: bool,
    /// Whether it was deleted or burnt.
    pub deleted: bool,
}

/// The part of an event row `shared_blobs` reads.
#[derive(Debug, Deserialize)]
struct EventObject {
    object_id: Option<String>,
}

/// A client of one explorer API.
#[derive(Debug, Clone)]
pub struct Explorer {
    http: reqwest::Client,
    base: String,
}

impl Explorer {
    /// The explorer at `url`.
    pub fn new(url: &str) -> Self {
        Self { http: reqwest::Client::new(), base: url.trim_end_matches('/').to_owned() }
    }

    /// Every row of the list at `path` with `query`, following the cursor (at most
    /// [`MAX_PAGES`] pages).
    async fn list<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> anyhow::Result<Vec<T>> {
        let url = format!("{}{path}", self.base);
        let mut rows = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = query.to_vec();
            params.push(("limit", PAGE.to_string()));
            if let Some(cursor) = &cursor {
                params.push(("cursor", cursor.clone()));
            }
            // Every value is a number or a validated 0x address: nothing to escape.
            let pairs: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let page_url = format!("{url}?{}", pairs.join("&"));
            let response = self.http.get(&page_url).send().await.with_context(|| {
                format!(
                    "cannot reach the indexer at {}; pass --indexer with the explorer URL `floe localnet` printed",
                    self.base
                )
            })?;
            let status = response.status();
            let body = response.text().await.with_context(|| format!("reading the answer of {url}"))?;
            anyhow::ensure!(status.is_success(), "{url} answered {status}: {body}");
            let page: Page<T> =
                serde_json::from_str(&body).with_context(|| format!("{url} did not answer an explorer API page"))?;
            rows.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(rows)
    }

    /// The recorded challenge outcomes, newest first, of one node and/or epoch if given.
    pub async fn challenges(&self, node: Option<&str>, epoch: Option<u32>) -> anyhow::Result<Vec<ChallengeRow>> {
        let mut query = Vec::new();
        if let Some(node) = node {
            query.push(("node", node.to_owned()));
        }
        if let Some(epoch) = epoch {
            query.push(("epoch", epoch.to_string()));
        }
        self.list("/v1/challenges", &query).await
    }

    /// The `SharedBlob` objects the indexer saw created for `blob_id` (from their `BlobShared`
    /// events), oldest first.
    pub async fn shared_blobs(&self, blob_id: &BlobId) -> anyhow::Result<Vec<String>> {
        // Blob ids are base64url: nothing to escape in the query either.
        let query = [("kind", "BlobShared".to_owned()), ("blob_id", blob_id.to_string())];
        let rows: Vec<EventObject> = self.list("/v1/events", &query).await?;
        let mut ids: Vec<String> = rows.into_iter().filter_map(|row| row.object_id).collect();
        ids.reverse();
        Ok(ids)
    }

    /// Every `Blob` object the indexer saw for `blob_id` (none when it knows none).
    pub async fn blob_objects(&self, blob_id: &BlobId) -> anyhow::Result<Vec<BlobObjectRow>> {
        let url = format!("{}/v1/blobs/{blob_id}", self.base);
        let response = self.http.get(&url).send().await.with_context(|| {
            format!(
                "cannot reach the indexer at {}; pass --indexer with the explorer URL `floe localnet` printed",
                self.base
            )
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(Vec::new());
        }
        let body = response.text().await.with_context(|| format!("reading the answer of {url}"))?;
        anyhow::ensure!(status.is_success(), "{url} answered {status}: {body}");
        serde_json::from_str(&body).with_context(|| format!("{url} did not answer a list of Blob objects"))
    }

    /// The blob ids certified, not deleted, not invalid and still stored in `epoch`: what every
    /// node of that epoch's committee must hold.
    pub async fn live_blobs(&self, epoch: u32) -> anyhow::Result<Vec<BlobId>> {
        let rows: Vec<BlobRow> = self.list("/v1/blobs", &[]).await?;
        rows.into_iter()
            .filter(|b| b.certified_epoch.is_some() && !b.deleted && !b.invalid && b.end_epoch > u64::from(epoch))
            .map(|b| {
                b.blob_id
                    .parse::<BlobId>()
                    .with_context(|| format!("the indexer lists a malformed blob id {:?}", b.blob_id))
            })
            .collect()
    }
}
