//! [`NodeClient`]: a typed client of one storage node's API. Every answer is untrusted: reads
//! are bounded by the largest valid answer ([`crate::bounds`]), metadata is verified against the
//! blob id, slivers against the metadata, and confirmations against the exact message the caller
//! expects (their signatures are checked by the caller, together: see [`NodeClient::confirmation`]). Recovery symbols are returned as decoded; the caller checks
//! each against the metadata (a bad symbol costs one symbol, not the whole answer).

use std::time::Duration;

use bytes::Bytes;

use crate::{
    answer::{bounded, json, transport},
    bounds::{self, BLOB_ID_BYTES, MAX_JSON_ANSWER},
    challenge::{ChallengeRequest, ChallengeResponse, SampleAnswer},
    error::{InvalidAnswer, NodeApiError},
    paths,
    signed::{ConfirmationAnswer, SignedMessageJson},
    slivers::SliverBatchBody,
    status::BlobStatus,
    sync::{SyncShardPage, SyncedSlivers},
};
use floe_encoder::{
    BlobId, EncodingConfig, Epoch, Sliver, SliverIndex, SliverPairIndex, SliverType,
    challenge::ChallengeSample,
    decode::VerifiedSliver,
    messages::{SignedMessage, StorageConfirmation, SyncShardRequest},
    metadata::{BlobMetadata, VerifiedBlobMetadata},
    network_key::NetworkPublicKey,
    recovery::RecoverySymbol,
};

/// Where the blob's registration is when its metadata or slivers are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Executed on chain: the node, whose follower may trail the client, waits up to `wait` to
    /// see it before judging the request (`?wait_millis=`).
    Landed {
        /// The longest the node may wait.
        wait: Duration,
    },
    /// Not yet executed (Walrus's optimistic upload): a node that has not seen it checks the
    /// data and holds it until it does (`?pending=true`), or refuses it with 503 if it holds too
    /// much already.
    OnItsWay,
}

/// What a node did with metadata or slivers it accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Stored, now or before (201 or 200).
    Stored,
    /// Checked and held until the node sees the registration (202).
    Held,
}

/// A sliver as a node served it, of the axis and index asked for, not yet checked against the
/// blob's metadata ([`NodeClient::sliver_at_most`]).
#[derive(Debug)]
pub struct FetchedSliver {
    url: String,
    sliver: Sliver,
}

impl FetchedSliver {
    /// Checks it against `metadata` (shape and hash): an answer that fails is the node's fault
    /// ([`NodeApiError::Invalid`]). Verification re-encodes the sliver, so it runs on the
    /// blocking pool.
    pub async fn verify(
        self,
        config: &EncodingConfig,
        metadata: &VerifiedBlobMetadata,
    ) -> Result<VerifiedSliver, NodeApiError> {
        let Self { url, sliver } = self;
        let invalid = |reason: InvalidAnswer| NodeApiError::invalid(&url, reason);
        let (config, metadata) = (*config, metadata.clone());
        tokio::task::spawn_blocking(move || VerifiedSliver::new(&config, &metadata, sliver))
            .await
            .map_err(|error| invalid(error.into()))?
            .map_err(|error| invalid(error.into()))
    }
}

/// A client of one node's API. Cheap to clone: clones share the connection pool.
#[derive(Debug, Clone)]
pub struct NodeClient {
    http: reqwest::Client,
    base: String,
}

impl NodeClient {
    /// A client of the node at `base_url` (e.g. `http://127.0.0.1:9185`) over `http`, which
    /// verifies certificates its own way (plain HTTP, or https with CA roots).
    pub fn new(http: reqwest::Client, base_url: &str) -> Self {
        Self { http, base: base_url.trim_end_matches('/').to_owned() }
    }

    /// A client of the node at `base_url` whose TLS key on chain is `network_key`: an
    /// `https://` URL with a key is reached with that key pinned ([`crate::tls`]); anything else
    /// through `http`.
    pub fn for_node(http: &reqwest::Client, base_url: &str, network_key: Option<&NetworkPublicKey>) -> Self {
        match network_key {
            Some(key) if base_url.starts_with("https://") => Self::new(crate::tls::pinned_http_client(key), base_url),
            _ => Self::new(http.clone(), base_url),
        }
    }

    /// The node's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn url_of(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, url: &str, limit: usize, timeout: Duration) -> Result<Vec<u8>, NodeApiError> {
        let response = self.http.get(url).timeout(timeout).send().await.map_err(transport(url))?;
        bounded(url, response, limit).await
    }

    /// PUT `body` to `path` as `registration` says, the node waiting up to `upload_wait` between
    /// arrivals of the rest of the upload unless it is zero ([`paths::UPLOAD_WAIT_MILLIS`]);
    /// `timeout` is the request's own, without the waits.
    async fn put(
        &self,
        path: &str,
        registration: Registration,
        upload_wait: Duration,
        body: impl Into<reqwest::Body>,
        timeout: Duration,
    ) -> Result<Accepted, NodeApiError> {
        let (mut url, timeout) = match registration {
            Registration::Landed { wait } => {
                (format!("{}?{}={}", self.url_of(path), paths::WAIT_MILLIS, wait.as_millis()), timeout + wait)
            }
            Registration::OnItsWay => (format!("{}?{}=true", self.url_of(path), paths::PENDING), timeout),
        };
        add_upload_wait(&mut url, upload_wait);
        let timeout = timeout + upload_wait;
        let response = self.http.put(&url).timeout(timeout).body(body).send().await.map_err(transport(&url))?;
        let held = response.status() == reqwest::StatusCode::ACCEPTED;
        bounded(&url, response, MAX_JSON_ANSWER).await?;
        Ok(if held { Accepted::Held } else { Accepted::Stored })
    }

    /// `PUT /v1/blobs/{id}/metadata`.
    pub async fn put_metadata(
        &self,
        metadata: &VerifiedBlobMetadata,
        registration: Registration,
        timeout: Duration,
    ) -> Result<Accepted, NodeApiError> {
        let body = metadata.metadata().to_bcs();
        self.put(&paths::metadata(metadata.blob_id()), registration, Duration::ZERO, body, timeout).await
    }

    /// `PUT /v1/blobs/{id}/slivers`: several slivers of the blob in one request (see
    /// [`crate::slivers`]). `body` is [`crate::SliverBatch::encode`]'s: cheap to clone, so a retry sends
    /// the same bytes. Unless `upload_wait` is zero, a node that has not got the blob's metadata
    /// yet waits for it ([`paths::UPLOAD_WAIT_MILLIS`]): it may be sent at the same time.
    pub async fn put_slivers(
        &self,
        blob_id: &BlobId,
        body: SliverBatchBody,
        registration: Registration,
        upload_wait: Duration,
        timeout: Duration,
    ) -> Result<Accepted, NodeApiError> {
        self.put(&paths::slivers(blob_id), registration, upload_wait, body, timeout).await
    }

    /// `GET /v1/blobs/{id}/metadata`, verified against `blob_id` for this committee size.
    pub async fn metadata(
        &self,
        config: &EncodingConfig,
        blob_id: &BlobId,
        timeout: Duration,
    ) -> Result<VerifiedBlobMetadata, NodeApiError> {
        let url = self.url_of(&paths::metadata(blob_id));
        let bytes = self.get(&url, bounds::max_metadata_answer(config), timeout).await?;
        let invalid = |reason: InvalidAnswer| NodeApiError::invalid(&url, reason);
        let (id, metadata) = bytes
            .split_at_checked(BLOB_ID_BYTES)
            .ok_or_else(|| invalid(String::from("shorter than a blob id").into()))?;
        if id != blob_id.0 {
            return Err(invalid(format!("answer is for blob {}", BlobId(id.try_into().expect("32 bytes"))).into()));
        }
        let metadata = BlobMetadata::from_bcs(metadata).map_err(|error| invalid(error.into()))?;
        metadata.verify(config, blob_id).map_err(|error| invalid(error.into()))
    }

    /// `GET /v1/blobs/{id}/slivers/{pair}/{axis}`, checked against `metadata` (shape, index and
    /// hash). Verification re-encodes the sliver, so it runs on the blocking pool.
    pub async fn sliver(
        &self,
        config: &EncodingConfig,
        metadata: &VerifiedBlobMetadata,
        pair: SliverPairIndex,
        axis: SliverType,
        timeout: Duration,
    ) -> Result<VerifiedSliver, NodeApiError> {
        let url = self.url_of(&paths::sliver(metadata.blob_id(), pair, axis));
        let limit = bounds::max_sliver_answer(config, axis, metadata.symbol_size(config));
        let fetched = self.fetch_sliver(url, limit, config, pair, axis, timeout).await?;
        fetched.verify(config, metadata).await
    }

    /// `GET /v1/blobs/{id}/slivers/{pair}/{axis}?max_sliver_bytes=M`, before the metadata is at
    /// hand: the node refuses (406) a sliver with more than `max_bytes` of symbols without reading
    /// it, and the answer is read within that bound. Checked for its axis and index only; verify
    /// it with [`FetchedSliver::verify`] once the metadata is in.
    pub async fn sliver_at_most(
        &self,
        config: &EncodingConfig,
        blob_id: &BlobId,
        pair: SliverPairIndex,
        axis: SliverType,
        max_bytes: usize,
        timeout: Duration,
    ) -> Result<FetchedSliver, NodeApiError> {
        let url =
            format!("{}?{}={max_bytes}", self.url_of(&paths::sliver(blob_id, pair, axis)), paths::MAX_SLIVER_BYTES);
        let limit = bounds::sliver_answer_of(max_bytes);
        self.fetch_sliver(url, limit, config, pair, axis, timeout).await
    }

    async fn fetch_sliver(
        &self,
        url: String,
        limit: usize,
        config: &EncodingConfig,
        pair: SliverPairIndex,
        axis: SliverType,
        timeout: Duration,
    ) -> Result<FetchedSliver, NodeApiError> {
        // The sliver's symbols are the answer's own bytes, not a copy.
        let bytes = Bytes::from(self.get(&url, limit, timeout).await?);
        let invalid = |reason: InvalidAnswer| NodeApiError::invalid(&url, reason);
        let sliver = Sliver::from_shared_bcs(axis, &bytes).map_err(|error| invalid(error.into()))?;
        let expected = pair.sliver_index(axis, config.n_shards());
        if sliver.index() != expected {
            return Err(invalid(
                format!("{axis} sliver has index {}, pair {pair} holds {expected}", sliver.index()).into(),
            ));
        }
        Ok(FetchedSliver { url, sliver })
    }

    /// `GET /v1/blobs/{id}/recoverySymbols`: the symbols the node offers for the `targets`
    /// slivers of `target_axis` of a blob with `symbol_size`, read within the bound for that
    /// many targets. Not verified: check each against the metadata
    /// ([`RecoverySymbol::verify`]).
    pub async fn recovery_symbols(
        &self,
        config: &EncodingConfig,
        blob_id: &BlobId,
        symbol_size: u16,
        target_axis: SliverType,
        targets: &[SliverIndex],
        timeout: Duration,
    ) -> Result<Vec<RecoverySymbol>, NodeApiError> {
        let list = targets.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        let url = format!(
            "{}?{}={target_axis}&{}={list}",
            self.url_of(&paths::recovery_symbols(blob_id)),
            paths::TARGET_TYPE,
            paths::TARGET_SLIVER
        );
        let limit = bounds::max_recovery_response(config, symbol_size, targets.len());
        let bytes = self.get(&url, limit, timeout).await?;
        bcs::from_bytes(&bytes).map_err(|error| NodeApiError::invalid(&url, error))
    }

    /// `GET /v1/blobs/{id}/confirmation/...`: the node's signed storage confirmation, checked to
    /// be exactly `expected`; the node waits up to `wait` for the registration and then, unless
    /// `upload_wait` is zero, for its share of the blob as long as the upload keeps bringing it
    /// with no pause longer than `upload_wait` ([`paths::UPLOAD_WAIT_MILLIS`]).
    ///
    /// Its signature is not checked here: an upload gathers the confirmations of a quorum and
    /// checks them together, as one aggregate (`Certificate::aggregate`: two pairings instead of
    /// one check per node, which at a hundred nodes was a cost that grew with the committee),
    /// and names and leaves out the members whose signature fails only if the aggregate does.
    /// Use [`SignedMessage::verify`] to check one alone.
    pub async fn confirmation(
        &self,
        expected: &StorageConfirmation,
        wait: Duration,
        upload_wait: Duration,
        timeout: Duration,
    ) -> Result<SignedMessage, NodeApiError> {
        let path = paths::confirmation(&expected.blob_id, &expected.persistence);
        let mut url = format!("{}?{}={}", self.url_of(&path), paths::WAIT_MILLIS, wait.as_millis());
        add_upload_wait(&mut url, upload_wait);
        // The upload's own transfer is bounded by its requests' timeouts; the answer, once the
        // data is in, by this one.
        let bytes = self.get(&url, MAX_JSON_ANSWER, timeout + wait + upload_wait).await?;
        let invalid = |reason: InvalidAnswer| NodeApiError::invalid(&url, reason);
        let ConfirmationAnswer { signed: SignedMessageJson(signed) } = json(&url, &bytes)?;
        if signed.serialized != expected.to_bytes() {
            if let Ok(got) = StorageConfirmation::from_bytes(&signed.serialized)
                && got.epoch != expected.epoch
                && (StorageConfirmation { epoch: expected.epoch, ..got }) == *expected
            {
                return Err(NodeApiError::OtherEpoch { url: url.clone(), signed: got.epoch, expected: expected.epoch });
            }
            let got = StorageConfirmation::from_bytes(&signed.serialized)
                .map_or_else(|error| format!("unparsable ({error})"), |message| format!("{message:?}"));
            return Err(invalid(format!("confirmation is {got}, expected {expected:?}").into()));
        }
        Ok(signed)
    }

    /// `POST /v1/migrate/sync_shard`: a page of the shard's slivers for `signed` (a signed
    /// [`SyncShardRequest`], parsed as `request`), its shape checked ([`SyncShardPage::check`]);
    /// each sliver still has to be checked against its blob's metadata.
    pub async fn sync_shard(
        &self,
        config: &EncodingConfig,
        request: &SyncShardRequest,
        signed: &SignedMessage,
        timeout: Duration,
    ) -> Result<SyncedSlivers, NodeApiError> {
        let url = self.url_of(&paths::sync_shard());
        let body = bcs::to_bytes(signed).expect("BCS of plain data cannot fail");
        let response = self.http.post(&url).timeout(timeout).body(body).send().await.map_err(transport(&url))?;
        let bytes = Bytes::from(bounded(&url, response, bounds::max_sync_page_answer(config, request.count)).await?);
        let invalid = |reason: InvalidAnswer| NodeApiError::invalid(&url, reason);
        // Decoding visits up to 32 MiB of slivers: on the blocking pool, like verification.
        let (config, request) = (*config, *request);
        tokio::task::spawn_blocking(move || {
            let page: SyncShardPage<'_> = bcs::from_bytes(&bytes)?;
            page.check(&config, &request, &bytes)
        })
        .await
        .map_err(|error| invalid(error.into()))?
        .map_err(invalid)
    }

    /// `POST /v1/challenge`: the node's answers to `samples`, one per sample in order (the count
    /// is checked; each answer still has to be verified against its sample).
    pub async fn challenge(
        &self,
        samples: &[ChallengeSample],
        timeout: Duration,
    ) -> Result<Vec<SampleAnswer>, NodeApiError> {
        let url = self.url_of(&paths::challenge());
        let body =
            bcs::to_bytes(&ChallengeRequest { samples: samples.to_vec() }).expect("BCS of plain data cannot fail");
        let response = self.http.post(&url).timeout(timeout).body(body).send().await.map_err(transport(&url))?;
        let bytes = bounded(&url, response, bounds::max_challenge_answer(samples.len())).await?;
        let invalid = |reason: InvalidAnswer| NodeApiError::invalid(&url, reason);
        let answer: ChallengeResponse = bcs::from_bytes(&bytes).map_err(|error| invalid(error.into()))?;
        if answer.answers.len() != samples.len() {
            return Err(invalid(format!("{} answers to {} samples", answer.answers.len(), samples.len()).into()));
        }
        Ok(answer.answers)
    }

    /// `GET /v1/challenges/{epoch}/outcomes`: the node's signed verdicts on `epoch`'s
    /// challenges, as sent (the caller checks each message and signature against the member).
    ///
    /// `about`: only the verdicts on these nodes (a reporter asks every member for the verdicts
    /// on the few nodes it is due to report: asking for all of them made each poll decode m^2
    /// signatures per node, m^3 over a committee of m, which kept a 100-node network busy).
    pub async fn challenge_outcomes(
        &self,
        epoch: Epoch,
        members: usize,
        about: Option<&[[u8; 32]]>,
        timeout: Duration,
    ) -> Result<Vec<SignedMessage>, NodeApiError> {
        let mut url = self.url_of(&paths::challenge_outcomes(epoch));
        if let Some(about) = about {
            let ids: Vec<String> = about.iter().map(|id| sui_sdk_types::Address::new(*id).to_string()).collect();
            url = format!("{url}?{}={}", paths::ABOUT, ids.join(","));
        }
        let bytes = self.get(&url, bounds::max_challenge_outcomes_answer(members), timeout).await?;
        bcs::from_bytes(&bytes).map_err(|error| NodeApiError::invalid(&url, error))
    }

    /// `GET /v1/health`.
    pub async fn health(&self, timeout: Duration) -> Result<crate::Health, NodeApiError> {
        let url = self.url_of(&paths::health());
        let bytes = self.get(&url, MAX_JSON_ANSWER, timeout).await?;
        json(&url, &bytes)
    }

    /// `GET /v1/blobs/{id}/status`.
    pub async fn status(&self, blob_id: &BlobId, timeout: Duration) -> Result<BlobStatus, NodeApiError> {
        let url = self.url_of(&paths::status(blob_id));
        let bytes = self.get(&url, MAX_JSON_ANSWER, timeout).await?;
        json(&url, &bytes)
    }
}

/// Appends `upload_wait_millis` to `url` (which has a query already), unless `upload_wait` is
/// zero ([`paths::UPLOAD_WAIT_MILLIS`]).
fn add_upload_wait(url: &mut String, upload_wait: Duration) {
    if !upload_wait.is_zero() {
        url.push_str(&format!("&{}={}", paths::UPLOAD_WAIT_MILLIS, upload_wait.as_millis()));
    }
}
