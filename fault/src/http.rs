//! What the scenarios say to the network over HTTP: stores and reads through the
//! publisher/aggregator (Walrus's API shape) and plain requests to a node.

use std::time::Duration;

use rand::RngCore;

/// How long one store or read through the daemon may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// `size` random bytes.
pub fn blob_bytes(rng: &mut crate::Rng, size: usize) -> Vec<u8> {
    let mut bytes = vec![0; size];
    rng.fill_bytes(&mut bytes);
    bytes
}

/// Random bytes of a random length in `sizes`.
pub fn random_blob(rng: &mut crate::Rng, sizes: std::ops::Range<usize>) -> Vec<u8> {
    let size = rand::Rng::gen_range(rng, sizes);
    blob_bytes(rng, size)
}

/// The publisher/aggregator's HTTP API.
#[derive(Debug, Clone)]
pub struct Publisher {
    http: reqwest::Client,
    url: String,
}

/// A blob the publisher stored and acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Its blob id.
    pub blob_id: String,
    /// The WAL (FROST) the publisher says it paid.
    pub cost: u64,
    /// Whether the answer was `newlyCreated` (else `alreadyCertified`).
    pub newly_created: bool,
}

impl Publisher {
    /// The daemon at `url`.
    pub fn new(url: &str) -> Self {
        let http = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().expect("a reqwest client");
        Self { http, url: url.trim_end_matches('/').to_owned() }
    }

    /// `PUT /v1/blobs?epochs=N`: the blob id once certified, or why not.
    pub async fn store(&self, bytes: Vec<u8>, epochs: u32) -> Result<Stored, String> {
        let response = self
            .http
            .put(format!("{}/v1/blobs?epochs={epochs}", self.url))
            .body(bytes)
            .send()
            .await
            .map_err(|e| format!("PUT failed: {e}"))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| format!("PUT answer unreadable: {e}"))?;
        if !status.is_success() {
            return Err(format!("PUT answered {status}: {body}"));
        }
        let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("PUT answer {body}: {e}"))?;
        if let Some(created) = json.get("newlyCreated") {
            let blob_id = created["blobObject"]["blobId"].as_str().ok_or_else(|| format!("no blobId in {body}"))?;
            if created["blobObject"]["certifiedEpoch"].is_null() {
                return Err(format!("acknowledged but not certified: {body}"));
            }
            return Ok(Stored {
                blob_id: blob_id.to_owned(),
                cost: created["cost"].as_u64().unwrap_or(0),
                newly_created: true,
            });
        }
        let blob_id =
            json["alreadyCertified"]["blobId"].as_str().ok_or_else(|| format!("unexpected PUT answer {body}"))?;
        Ok(Stored { blob_id: blob_id.to_owned(), cost: 0, newly_created: false })
    }

    /// `GET /v1/blobs/{blob_id}`: the bytes, or why not.
    pub async fn read(&self, blob_id: &str) -> Result<Vec<u8>, String> {
        let response = self
            .http
            .get(format!("{}/v1/blobs/{blob_id}", self.url))
            .send()
            .await
            .map_err(|e| format!("GET failed: {e}"))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| format!("GET answer unreadable: {e}"))?;
        if !status.is_success() {
            return Err(format!("GET answered {status}: {}", String::from_utf8_lossy(&body)));
        }
        Ok(body.to_vec())
    }
}

/// `GET url` with a short timeout: the status and body, or why no answer came.
pub async fn node_get(http: &reqwest::Client, url: &str, timeout: Duration) -> Result<(u16, Vec<u8>), String> {
    let response = http.get(url).timeout(timeout).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|e| format!("GET {url}: {e}"))?;
    Ok((status, body.to_vec()))
}
