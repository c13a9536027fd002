//! [`FloeClient`]: the SDK's entry point. It reads blobs from a committee, and with a chain
//! connection and a key it stores them (encode, pay and register, upload, certify), checks their
//! status, and runs the owner's blob operations.
//!
//! The client lives through epoch changes: reads fall back to the previous committee for shards
//! whose new owners do not serve them yet, and a registered blob whose confirmations or
//! certificate belong to an epoch that ended is uploaded to the new committee and certified
//! there — the same `Blob` object, registered and paid for once.
//!
//! A store is resumable: before paying, it looks among the `Blob` objects the sender owns for
//! one of the same blob id and deletable flag whose storage covers the asked epochs. A certified
//! one is reported as already stored (nothing paid); a registered but uncertified one (a store
//! that stopped between register and certify: a chain restart, Ctrl-C, too few nodes) is
//! uploaded and certified instead of registering and paying again. Concurrent stores of the same
//! bytes through one client take turns, so the second finds the first's object.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, RwLock, Weak},
};

use bytes::Bytes;
use floe_chain::{ClientError, Deployment, Keypair, floe::blob::Blob};
use floe_encoder::{
    BlobId, EncodedBlob, EncodingConfig, Epoch,
    certificate::Certificate,
    encode,
    encode::BlobBuffer,
    error::EncodeError,
    messages::BlobPersistence,
    spill::{EncodeFileError, encode_to_file},
};
use sui_sdk_types::{Address, ObjectReference};

use crate::{
    chain_ops::{BLOBS_PER_TRANSACTION, ChainAccess, ChainError, Price, Registered},
    committee::{Committees, StorageCommittee},
    node_api::BlobStatus,
    progress::{Progress, ProgressEvent, StorePhase},
    read::{self, ReadError},
    settings::Settings,
    upload::{self, BlobRegistration, UploadError, UploadSource},
};

/// Why a store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The blob cannot be encoded for this committee.
    #[error("cannot encode a blob of {size} bytes for {n_shards} shards: {source}")]
    Encode {
        /// The blob's size.
        size: usize,
        /// The committee's shard count.
        n_shards: u16,
        /// The encoder's reason.
        #[source]
        source: EncodeError,
    },
    /// The encoding task panicked or was cancelled.
    #[error("the encoding task failed: {0}")]
    EncodeTask(#[from] tokio::task::JoinError),
    /// The task of a store detaching its tail ([`FloeClient::store_detaching_tail`]) panicked.
    #[error("the store's task failed: {0}")]
    StoreTask(#[source] tokio::task::JoinError),
    /// The file to store cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file could not be encoded to a spill file.
    #[error("encoding {} to a spill file in {}: {source}", path.display(), spill_dir.display())]
    EncodeFile {
        /// The file.
        path: PathBuf,
        /// Where the spill file was.
        spill_dir: PathBuf,
        /// Why.
        #[source]
        source: EncodeFileError,
    },
    /// A chain step failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// No attempt ended in a certificate the chain accepted; the blob stays registered but
    /// uncertified (storing the same bytes again, or [`FloeClient::certify_registered`], resumes
    /// it without paying again).
    #[error(
        "blob {blob_id} is paid for and registered (object {object_id}) but not certified after {} attempt(s): {}{last}; \
         storing the same bytes again resumes object {object_id} without paying again",
        earlier.len() + 1, earlier.iter().map(|attempt| format!("{attempt}; ")).collect::<String>()
    )]
    NotCertified {
        /// The blob.
        blob_id: BlobId,
        /// The registered `Blob` object, to retry with.
        object_id: Address,
        /// The attempts before the last one, each in an epoch that then ended.
        earlier: Vec<CertifyAttemptError>,
        /// Why the last attempt failed.
        #[source]
        last: Box<CertifyAttemptError>,
    },
    /// The `Blob` object to certify is registered for another blob than the one given.
    #[error("object {object_id} registers blob {registered}, not blob {given}")]
    OtherBlob {
        /// The `Blob` object.
        object_id: Address,
        /// The blob it registers.
        registered: BlobId,
        /// The blob given to upload.
        given: BlobId,
    },
    /// The store stopped after the blob was paid for and registered (the chain failed between
    /// register and certify).
    #[error(
        "blob {blob_id} is paid for and registered (object {object_id}) but the store stopped: {source}; \
         storing the same bytes again resumes object {object_id} without paying again"
    )]
    Unfinished {
        /// The blob.
        blob_id: BlobId,
        /// The registered `Blob` object.
        object_id: Address,
        /// What failed.
        #[source]
        source: ChainError,
    },
    /// Zero epochs asked for.
    #[error("a blob must be stored for at least one epoch")]
    ZeroEpochs,
    /// More epochs asked for than the chain sells ahead.
    #[error("{asked} epochs asked for, storage is sold at most {max} epochs ahead (max_epochs_ahead on chain)")]
    TooManyEpochs {
        /// Epochs asked for.
        asked: u32,
        /// The chain's `max_epochs_ahead`.
        max: u32,
    },
}

impl StoreError {
    /// The `Blob` object a failed store paid for and left uncertified, if it got that far:
    /// storing the same bytes again resumes it.
    pub fn unfinished_object(&self) -> Option<Address> {
        match self {
            Self::NotCertified { object_id, .. } | Self::Unfinished { object_id, .. } => Some(*object_id),
            _ => None,
        }
    }
}

/// One failed attempt at certifying a registered blob, in the epoch it was made.
#[derive(Debug, thiserror::Error)]
pub enum CertifyAttemptError {
    /// Too few nodes of the epoch's committee confirmed.
    #[error("in epoch {epoch}: {source}")]
    Upload {
        /// The epoch of the committee uploaded to.
        epoch: Epoch,
        /// Why.
        #[source]
        source: UploadError,
    },
    /// The certificate was of an epoch that ended before it reached the chain.
    #[error("the certificate of epoch {epoch} came too late, the chain had moved on: {source}")]
    EpochEnded {
        /// The certificate's epoch.
        epoch: Epoch,
        /// The chain's refusal (`messages::EIncorrectEpoch`, or a check of the signers the new
        /// committee fails first, such as `bls_aggregate::ENotEnoughStake`).
        #[source]
        source: ClientError,
    },
}

/// Epochs a registered blob is tried in before the store gives up: an epoch change during an
/// upload is common, two in a row rare, three a sign the chain moves faster than the upload.
pub const CERTIFY_EPOCHS: usize = 3;

/// How to store a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// Epochs to pay for, from the current one.
    pub epochs: u32,
    /// Whether the owner may delete it early.
    pub deletable: bool,
    /// Who gets the `Blob` object (default: the sender).
    pub send_object_to: Option<Address>,
    /// Store and pay even if the blob is already certified for long enough.
    pub force: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { epochs: 1, deletable: false, send_object_to: None, force: false }
    }
}

/// Files from this size on are encoded to a spill file by [`FloeClient::store_file`] unless told
/// otherwise: 256 MiB, whose slivers take about 1.2 GB in memory at 1000 shards.
pub const DEFAULT_SPILL_THRESHOLD: u64 = 256 << 20;

/// When [`FloeClient::store_file`] encodes to a spill file instead of memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpillOptions {
    /// Files of at least this many bytes are encoded to a spill file (0: every file).
    pub threshold: u64,
    /// Where the spill file is made: an anonymous temporary file, gone when the store ends,
    /// however it ends. It takes the blob's encoded size (about 4.5x the file at 1000 shards),
    /// on disk unless the directory is on a tmpfs (where it takes RAM).
    pub dir: PathBuf,
}

impl Default for SpillOptions {
    fn default() -> Self {
        Self { threshold: DEFAULT_SPILL_THRESHOLD, dir: std::env::temp_dir() }
    }
}

/// One blob stored by [`FloeClient::store_batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchStored {
    /// The blob id.
    pub blob_id: BlobId,
    /// Its certified `Blob` object.
    pub object_id: Address,
    /// Its end epoch.
    pub end_epoch: Epoch,
    /// What it paid.
    pub price: Price,
}

/// Why a batch store failed.
#[derive(Debug, thiserror::Error)]
pub enum BatchStoreError {
    /// A check before paying, or the encoding, failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A chain step failed (registrations already sent stay registered).
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A blob's upload failed after the batch was registered.
    #[error(
        "blob {blob_id} is paid for and registered (object {object_id}) but its upload failed: {source}; storing \
         the same bytes again resumes object {object_id} without paying again"
    )]
    Upload {
        /// The blob.
        blob_id: BlobId,
        /// Its registered `Blob` object.
        object_id: Address,
        /// Why.
        #[source]
        source: UploadError,
    },
}

/// What a store did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOutcome {
    /// A `Blob` object was certified: newly registered, or registered by an earlier store that
    /// stopped before certifying (`resumed`).
    NewlyCreated {
        /// The certified blob object as on chain.
        blob: Blob,
        /// The price of the registration: paid now, or by the earlier store when `resumed`.
        price: Price,
        /// Whether an existing registration was certified (nothing paid now).
        resumed: bool,
    },
    /// The blob was already certified until at least the asked end epoch; nothing was paid.
    AlreadyCertified {
        /// The blob.
        blob_id: BlobId,
        /// The end epoch: of the sender's certified `Blob` object, or as nodes of at least f+1
        /// shards report.
        end_epoch: Epoch,
        /// The sender's certified `Blob` object, when that is what was found.
        object_id: Option<Address>,
    },
}

impl StoreOutcome {
    /// The blob id.
    pub fn blob_id(&self) -> BlobId {
        match self {
            Self::NewlyCreated { blob, .. } => blob.blob_id,
            Self::AlreadyCertified { blob_id, .. } => *blob_id,
        }
    }

    /// The WAL (FROST) this store paid: nothing when it reused or resumed a registration.
    pub fn paid(&self) -> u64 {
        match self {
            Self::NewlyCreated { price, resumed: false, .. } => price.total(),
            Self::NewlyCreated { resumed: true, .. } | Self::AlreadyCertified { .. } => 0,
        }
    }

    /// The answer in the shape of Walrus' publisher (`newlyCreated` / `alreadyCertified`).
    pub fn answer(&self) -> crate::store_answer::StoreAnswer {
        self.into()
    }
}

/// What the committee says about a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// The status reported by the largest shard weight, if that weight includes a correct node
    /// (`3w >= n + 1`); `None` when the nodes disagree too much or too few answered.
    pub status: Option<BlobStatus>,
    /// Shards behind `status`.
    pub weight: u64,
    /// Shards that answered at all.
    pub answered: u64,
    /// The latest end epoch until which the blob is certified permanently, by f+1 shards.
    pub certified_until: Option<Epoch>,
}

/// The sender's `Blob` object that a store of `blob_id` for `deletable` until `wanted_end` can use
/// instead of paying: one whose storage runs from at most `epoch` to at least `wanted_end`, a
/// certified one first, then the one that lasts longest.
pub fn reusable_blob<'a>(
    owned: &'a [Blob],
    blob_id: &BlobId,
    deletable: bool,
    epoch: Epoch,
    wanted_end: Epoch,
) -> Option<&'a Blob> {
    owned
        .iter()
        .filter(|blob| blob.blob_id == *blob_id && blob.deletable == deletable)
        .filter(|blob| blob.storage.start_epoch <= epoch && blob.storage.end_epoch >= wanted_end)
        .max_by_key(|blob| (blob.is_certified(), blob.storage.end_epoch))
}

/// How the nodes report a blob id certified ([`FloeClient::certification`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certification {
    /// Not certified.
    Uncertified,
    /// Certified, but not (as far as f+1 shards say) as a permanent blob: it may be deleted.
    Deletable,
    /// Certified as a permanent blob by f+1 shards' nodes.
    Permanent,
}

/// The floe client.
#[derive(Debug)]
pub struct FloeClient {
    http: reqwest::Client,
    settings: Settings,
    committees: RwLock<Committees>,
    chain: Option<ChainAccess>,
    /// Stores in progress by blob id: a second store of the same bytes waits for the first, then
    /// finds its `Blob` object instead of paying for another.
    storing: Mutex<HashMap<BlobId, Weak<tokio::sync::Mutex<()>>>>,
    /// Room for the tails of stores that answered before their grace period ended
    /// ([`FloeClient::store_detaching_tail`]; [`Settings::max_detached_tails`]).
    detached_tails: Arc<tokio::sync::Semaphore>,
    /// When [`FloeClient::open_connections`] last opened connections, and to which epoch's
    /// committee.
    connections_opened: Mutex<Option<(Epoch, std::time::Instant)>>,
}

/// How long connections opened ahead of a store are taken to be still open: under the node
/// client's idle timeout ([`floe_node_api::tls::POOL_IDLE`], itself under the nodes' own), so a
/// client storing often (the publisher) opens them once in a while, not for every store.
const CONNECTIONS_KEPT: std::time::Duration =
    std::time::Duration::from_secs(floe_node_api::tls::POOL_IDLE.as_secs().saturating_sub(1));

impl FloeClient {
    /// A client of a fixed committee, without a chain: it reads, and uploads blobs registered by
    /// other means.
    pub fn with_committee(committee: StorageCommittee, settings: Settings) -> Self {
        Self::with_committees(committee, None, settings)
    }

    /// A client of a fixed committee and the one of the epoch before it, without a chain: reads
    /// ask a pair of the previous holder of its shard when the current one does not serve it.
    pub fn with_committees(current: StorageCommittee, previous: Option<StorageCommittee>, settings: Settings) -> Self {
        let committees = Committees::new(Arc::new(current), previous.map(Arc::new));
        let detached_tails = Arc::new(tokio::sync::Semaphore::new(settings.max_detached_tails));
        Self {
            http: reqwest::Client::new(),
            settings,
            committees: RwLock::new(committees),
            chain: None,
            storing: Mutex::new(HashMap::new()),
            detached_tails,
            connections_opened: Mutex::new(None),
        }
    }

    /// A client of `deployment`, signing with `signer` when given (reads need no key).
    pub async fn connect(
        deployment: Deployment,
        signer: Option<Keypair>,
        settings: Settings,
    ) -> Result<Self, ChainError> {
        let chain = ChainAccess::connect(deployment, signer).await?;
        Self::with_chain(chain, settings).await
    }

    /// A client over an established chain access.
    pub async fn with_chain(chain: ChainAccess, settings: Settings) -> Result<Self, ChainError> {
        let (committee, previous) = futures::try_join!(chain.committee(), chain.previous_committee())?;
        let mut client = Self::with_committees(committee, previous, settings);
        client.chain = Some(chain);
        Ok(client)
    }

    /// The chain access, if connected.
    pub fn chain(&self) -> Option<&ChainAccess> {
        self.chain.as_ref()
    }

    fn chain_or_err(&self) -> Result<&ChainAccess, ChainError> {
        self.chain.as_ref().ok_or(ChainError::NoChain)
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The committee in use.
    pub fn committee(&self) -> Arc<StorageCommittee> {
        self.committees().current
    }

    /// The committee in use and the one of the epoch before it.
    pub fn committees(&self) -> Committees {
        self.committees.read().unwrap_or_else(|poison| poison.into_inner()).clone()
    }

    /// Re-reads the committee (and the previous one with it) from the chain if it is not of
    /// `epoch` (no-op without a chain).
    pub async fn refresh_committee(&self, epoch: Option<Epoch>) -> Result<Arc<StorageCommittee>, ChainError> {
        let current = self.committee();
        let Some(chain) = &self.chain else { return Ok(current) };
        if epoch.is_some_and(|epoch| epoch == current.epoch()) {
            return Ok(current);
        }
        let (fresh, previous) = futures::try_join!(chain.committee(), chain.previous_committee())?;
        let fresh = Committees::new(Arc::new(fresh), previous.map(Arc::new));
        let current = fresh.current.clone();
        *self.committees.write().unwrap_or_else(|poison| poison.into_inner()) = fresh;
        Ok(current)
    }

    /// Opens a connection to every member of `committee` in the background (a health request
    /// each, its answer not needed), for the requests that follow to find it open. A store calls
    /// this as it starts encoding: at a hundred nodes the TLS handshakes take about as long as
    /// encoding a small blob, and made after it they delayed the status check and the upload
    /// (the status check, decided before every node answered, also dropped the handshakes still
    /// under way, and the upload made them again).
    fn open_connections(&self, committee: &StorageCommittee) {
        {
            let mut opened = self.connections_opened.lock().unwrap_or_else(|poison| poison.into_inner());
            let now = std::time::Instant::now();
            if opened.is_some_and(|(epoch, at)| epoch == committee.epoch() && now - at < CONNECTIONS_KEPT) {
                return;
            }
            *opened = Some((committee.epoch(), now));
        }
        let timeout = self.settings.status_timeout;
        for member in committee.members() {
            let node = member.client(&self.http);
            tokio::spawn(async move { node.health(timeout).await.ok() });
        }
    }

    /// The HTTP client every node request goes through.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Reads blob `blob_id`, verified against its id.
    pub async fn read(&self, blob_id: &BlobId, progress: &dyn Progress) -> Result<Vec<u8>, ReadError> {
        let committees = self.committees();
        let first = read::read(&committees, blob_id, &self.settings, &self.http, progress).await;
        // After an epoch change the old committee may no longer serve; retry with the new one.
        if first.is_err()
            && let Ok(fresh) = self.refresh_committee(None).await
            && fresh.epoch() != committees.current.epoch()
        {
            return read::read(&self.committees(), blob_id, &self.settings, &self.http, progress).await;
        }
        first
    }

    /// Uploads an encoded blob, registered on chain with `persistence`, to the committee and
    /// returns the certificate of a quorum of confirmations.
    pub async fn upload(
        &self,
        encoded: &dyn UploadSource,
        persistence: BlobPersistence,
        progress: &dyn Progress,
    ) -> Result<Certificate, UploadError> {
        let committee = self.committee();
        let registration = BlobRegistration::landed(persistence);
        upload::upload(&committee, encoded, registration, false, &self.settings, &self.http, progress).await
    }

    /// Asks every member of the committee in use for `blob_id`'s status at once: the committee,
    /// and the answers as they arrive, each with its member's shard weight (`None` for a node
    /// that failed or did not answer within `status_timeout`). Callers decide as early as the
    /// answers allow.
    fn status_answers(
        &self,
        blob_id: &BlobId,
    ) -> (
        Arc<StorageCommittee>,
        futures::stream::FuturesUnordered<impl Future<Output = (u64, Option<BlobStatus>)> + Send + '_>,
    ) {
        let committee = self.committee();
        // Built up front (not in a stream combinator) so the futures stay `Send` for any lifetime.
        let answers = committee
            .members()
            .iter()
            .enumerate()
            .map(|(index, member)| {
                let node = member.client(&self.http);
                let (weight, blob_id, timeout) = (committee.weight(index), *blob_id, self.settings.status_timeout);
                async move { (weight, node.status(&blob_id, timeout).await.ok()) }
            })
            .collect();
        (committee, answers)
    }

    /// Asks every node for the blob's status and weighs the answers by shards.
    pub async fn status(&self, blob_id: &BlobId) -> StatusReport {
        let (committee, requests) = self.status_answers(blob_id);
        let answers: Vec<(u64, BlobStatus)> = futures::StreamExt::collect::<Vec<_>>(requests)
            .await
            .into_iter()
            .filter_map(|(weight, status)| status.map(|status| (weight, status)))
            .collect();
        let answered = answers.iter().map(|(weight, _)| weight).sum();
        let mut tally: Vec<(BlobStatus, u64)> = Vec::new();
        for (weight, status) in &answers {
            match tally.iter_mut().find(|(seen, _)| seen == status) {
                Some((_, total)) => *total += weight,
                None => tally.push((*status, *weight)),
            }
        }
        let best =
            tally.into_iter().max_by_key(|(_, weight)| *weight).filter(|(_, weight)| committee.is_one_correct(*weight));
        let mut certified: Vec<(Epoch, u64)> = answers
            .iter()
            .filter_map(|(weight, status)| match status {
                BlobStatus::Permanent { end_epoch, is_certified: true, .. } => Some((*end_epoch, *weight)),
                _ => None,
            })
            .collect();
        certified.sort_unstable_by_key(|(end_epoch, _)| std::cmp::Reverse(*end_epoch));
        let mut behind = 0;
        let certified_until = certified.into_iter().find_map(|(end_epoch, weight)| {
            behind += weight;
            committee.is_one_correct(behind).then_some(end_epoch)
        });
        StatusReport {
            status: best.map(|(status, _)| status),
            weight: best.map_or(0, |(_, weight)| weight),
            answered,
            certified_until,
        }
    }

    /// Whether nodes of f+1 shards (so one correct node at least) report `blob_id` certified
    /// permanently until `wanted_end` or later: the end epoch they all vouch for, or `None`.
    /// Decided as soon as the answers allow, either way, like [`FloeClient::certification`]:
    /// a store asks this before paying and should not wait for the slowest node, or for a dead
    /// one's timeout.
    pub async fn certified_until_at_least(&self, blob_id: &BlobId, wanted_end: Epoch) -> Option<Epoch> {
        let (committee, mut answers) = self.status_answers(blob_id);
        let n_shards = u64::from(committee.n_shards());
        let (mut vouching, mut against, mut until) = (0u64, 0u64, Epoch::MAX);
        while let Some((weight, status)) = futures::StreamExt::next(&mut answers).await {
            match status {
                Some(BlobStatus::Permanent { end_epoch, is_certified: true, .. }) if end_epoch >= wanted_end => {
                    vouching += weight;
                    until = until.min(end_epoch);
                }
                _ => against += weight,
            }
            if committee.is_one_correct(vouching) {
                return Some(until);
            }
            if !committee.is_one_correct(n_shards.saturating_sub(against)) {
                return None;
            }
        }
        None
    }

    /// Whether `blob_id` is certified, decided as soon as the answers allow: `Some(true)` once
    /// nodes of f+1 shards report a certified object (one of them is correct), `Some(false)` once
    /// so many shards report it uncertified or unknown that f+1 no longer can, `None` if the
    /// nodes that answer decide neither. With up to f shards' nodes down it never waits for
    /// them.
    pub async fn is_certified(&self, blob_id: &BlobId) -> Option<bool> {
        self.certification(blob_id).await.map(|certification| certification != Certification::Uncertified)
    }

    /// As [`FloeClient::is_certified`], decided at the same moment, also saying whether the
    /// certified answers were all of a permanent blob (an aggregator may let caches keep those;
    /// a deletable blob can vanish at its owner's word).
    pub async fn certification(&self, blob_id: &BlobId) -> Option<Certification> {
        let (committee, mut answers) = self.status_answers(blob_id);
        let n_shards = u64::from(committee.n_shards());
        let (mut certified, mut permanent, mut not) = (0u64, 0u64, 0u64);
        while let Some((weight, status)) = futures::StreamExt::next(&mut answers).await {
            match status {
                Some(BlobStatus::Permanent { is_certified: true, .. }) => {
                    certified += weight;
                    permanent += weight;
                }
                Some(
                    BlobStatus::Permanent { initial_certified_epoch: Some(_), .. }
                    | BlobStatus::Deletable { initial_certified_epoch: Some(_), .. },
                ) => certified += weight,
                Some(_) => not += weight,
                None => {}
            }
            if committee.is_one_correct(certified) {
                let permanent = committee.is_one_correct(permanent);
                return Some(if permanent { Certification::Permanent } else { Certification::Deletable });
            }
            if !committee.is_one_correct(n_shards.saturating_sub(not)) {
                return Some(Certification::Uncertified);
            }
        }
        None
    }

    /// Stores `blob`: encodes it, pays for and registers it, uploads it, certifies it. Nothing
    /// is paid when the sender owns a certified `Blob` of the same bytes and deletable flag that
    /// lasts long enough, or (permanent blobs) the committee reports the blob certified that
    /// long; a `Blob` the sender registered but never certified is certified instead of paying
    /// again. `epochs` must be within the chain's `max_epochs_ahead` (checked before anything is
    /// spent).
    ///
    /// `blob` is taken as shared bytes (a `Vec<u8>` converts without a copy, and so does a
    /// request body already in memory), held until it is encoded and dropped then.
    pub async fn store(
        &self,
        blob: impl Into<Bytes>,
        options: &StoreOptions,
        progress: &dyn Progress,
    ) -> Result<StoreOutcome, StoreError> {
        let blob = blob.into();
        let size = blob.len() as u64;
        self.store_with(size, encode_in_memory(blob), options, progress, None).await
    }

    /// Stores `blob` as [`FloeClient::store`] does, but answers as soon as the blob is certified:
    /// the upload to the nodes that had not confirmed by then goes on in a task of its own for the
    /// rest of their grace period ([`Settings::quorum_grace`] from the quorum), instead of delaying
    /// the answer. Nothing of the outcome depends on them: the certificate is on chain, and a
    /// node that misses its slivers recovers them from the others. For a process that lives on,
    /// such as the publisher; a process that exits after the store would cut that upload short,
    /// and should call [`FloeClient::store`]. A detached tail holds the encoded blob until it
    /// ends; at most [`Settings::max_detached_tails`] run at once, and a store finding no room
    /// answers at its end.
    ///
    /// Dropping the returned future before it answers cancels the store, as it does for
    /// [`FloeClient::store`]. A store that resumes a registration or meets an epoch change answers
    /// only once its grace period is over.
    pub async fn store_detaching_tail(
        self: &Arc<Self>,
        blob: impl Into<Bytes>,
        options: StoreOptions,
        progress: Arc<dyn Progress>,
    ) -> Result<StoreOutcome, StoreError> {
        let blob = blob.into();
        let (answer, mut answered) = tokio::sync::oneshot::channel();
        let client = Arc::clone(self);
        let mut task = tokio::spawn(async move {
            let early = EarlyAnswer::new(answer, Arc::clone(&client.detached_tails));
            let size = blob.len() as u64;
            let encoder = encode_in_memory(blob);
            client.store_with(size, encoder, &options, progress.as_ref(), Some(&early)).await
        });
        // Until the answer, the store is the caller's: dropping this future aborts it.
        let mut abort = AbortUnlessAnswered(Some(task.abort_handle()));
        // The early answer, or the store's own at its end when none came (the early sender is
        // then dropped, which disables the first branch).
        let outcome = tokio::select! {
            Ok(outcome) = &mut answered => Ok(outcome),
            joined = &mut task => joined.map_err(StoreError::StoreTask)?,
        };
        abort.0 = None;
        outcome
    }

    /// Stores the file at `path` as [`FloeClient::store`] stores bytes; a file of at least
    /// `spill.threshold` bytes is encoded to a spill file in `spill.dir` (never held in memory
    /// whole, nor its slivers: they are read back from the spill file as they are uploaded), a
    /// smaller one in memory. The spill file is removed when the store ends, however it ends.
    pub async fn store_file(
        &self,
        path: &Path,
        spill: &SpillOptions,
        options: &StoreOptions,
        progress: &dyn Progress,
    ) -> Result<StoreOutcome, StoreError> {
        let read_error = |source| StoreError::ReadFile { path: path.to_owned(), source };
        let size = std::fs::metadata(path).map_err(read_error)?.len();
        if size < spill.threshold {
            return self.store_with(size, encode_file_in_memory(path.to_owned(), size), options, progress, None).await;
        }
        let (path, spill_dir) = (path.to_owned(), spill.dir.clone());
        let encode_to_spill = move |config: EncodingConfig| {
            let input = std::fs::File::open(&path)
                .map_err(|source| Box::new(StoreError::ReadFile { path: path.clone(), source }))?;
            // Anonymous (unlinked at once where the system allows): nothing is left behind,
            // whether the store succeeds, fails or the process is killed.
            let encoded = tempfile::tempfile_in(&spill_dir)
                .map_err(EncodeFileError::Spill)
                .and_then(|scratch| encode_to_file(&config, size, input, scratch));
            encoded
                .map(|encoded| Box::new(encoded) as Box<dyn UploadSource>)
                .map_err(|source| Box::new(StoreError::EncodeFile { path, spill_dir, source }))
        };
        self.store_with(size, encode_to_spill, options, progress, None).await
    }

    /// A store of `size` bytes that `encoder` encodes for the committee's configuration (on a
    /// blocking thread; its error crosses the thread boxed, small): what [`FloeClient::store`]
    /// and [`FloeClient::store_file`] share.
    async fn store_with(
        &self,
        size: u64,
        encoder: impl FnOnce(EncodingConfig) -> Result<Box<dyn UploadSource>, Box<StoreError>> + Send + 'static,
        options: &StoreOptions,
        progress: &dyn Progress,
        early: Option<&EarlyAnswer>,
    ) -> Result<StoreOutcome, StoreError> {
        if options.epochs == 0 {
            return Err(StoreError::ZeroEpochs);
        }
        let started = std::time::Instant::now();
        let chain = self.chain_or_err()?;
        let sender = chain.sender().ok_or(ChainError::NoSigner)?;
        let system = chain.system().await?;
        if options.epochs > system.max_epochs_ahead {
            return Err(StoreError::TooManyEpochs { asked: options.epochs, max: system.max_epochs_ahead });
        }
        let committee = self.refresh_committee(Some(system.epoch())).await?;
        let config = *committee.config();
        // Priced before encoding: a blob too large for the committee is refused without the work.
        let price = Price::of(&system, &config, size, options.epochs)?;
        self.open_connections(&committee);
        let encoding = std::time::Instant::now();
        // The coins that will pay are read while the blob encodes: on a real network each read
        // is a round trip to the full node (docs/performance.md, "What a distant chain costs a
        // store").
        let (encoded, ()) = tokio::join!(tokio::task::spawn_blocking(move || encoder(config)), chain.warm_payment());
        let encoded = encoded?.map_err(|error| *error)?;
        let encode_took = encoding.elapsed();
        let blob_id = *encoded.metadata().blob_id();
        progress.event(ProgressEvent::PhaseDone { phase: StorePhase::Encode, took: encode_took });
        progress.event(ProgressEvent::Encoded { blob_id, slivers: 2 * u64::from(config.n_shards()) });
        // Everything before paying but the encoding: the chain reads and the nodes' status.
        let checked = || {
            let took = started.elapsed().saturating_sub(encode_took);
            progress.event(ProgressEvent::PhaseDone { phase: StorePhase::Check, took });
        };

        let turn = self.store_turn(blob_id);
        let _turn = turn.lock().await;
        // Read again after the encoding (an epoch may have ended meanwhile), with the sender's
        // `Blob`s at once.
        let (system, owned) = futures::try_join!(chain.system(), chain.owned_blobs(sender, &blob_id))?;
        let epoch = system.epoch();
        let wanted_end = epoch.saturating_add(options.epochs);
        let existing = reusable_blob(&owned, &blob_id, options.deletable, epoch, wanted_end);
        // A certified object stays with the sender; a store for someone else makes them one.
        let to_sender = options.send_object_to.is_none_or(|recipient| recipient == sender);
        if !options.force {
            if let Some(blob) = existing.filter(|blob| blob.is_certified() && to_sender) {
                checked();
                progress.event(ProgressEvent::AlreadyCertified { blob_id });
                return Ok(StoreOutcome::AlreadyCertified {
                    blob_id,
                    end_epoch: blob.storage.end_epoch,
                    object_id: Some(blob.id),
                });
            }
            if !options.deletable
                && let Some(end_epoch) = self.certified_until_at_least(&blob_id, wanted_end).await
            {
                checked();
                progress.event(ProgressEvent::AlreadyCertified { blob_id });
                return Ok(StoreOutcome::AlreadyCertified { blob_id, end_epoch, object_id: None });
            }
        }
        let persistence = |object_id: Address| {
            if options.deletable {
                BlobPersistence::Deletable { object_id: object_id.into_inner() }
            } else {
                BlobPersistence::Permanent
            }
        };
        checked();
        if let Some(registered) = existing.filter(|blob| !blob.is_certified()) {
            let object_id = registered.id;
            tracing::info!(%blob_id, %object_id, "resuming the sender's uncertified registration instead of paying again");
            progress.event(ProgressEvent::Registered { object_id: object_id.to_string() });
            let price = Price::of(&system, &config, size, registered.storage.end_epoch.saturating_sub(epoch))?;
            let blob = self
                .certify_across_epochs(
                    encoded.as_ref(),
                    object_id,
                    persistence(object_id),
                    options.send_object_to,
                    true,
                    Vec::new(),
                    progress,
                )
                .await
                .map_err(|error| unfinished(error, blob_id, object_id))?;
            return Ok(StoreOutcome::NewlyCreated { blob, price, resumed: true });
        }

        // The upload starts alongside the register transaction (see `crate::upload`): nodes
        // check and hold the data until they see the registration (unless the settings say to
        // wait for it).
        let committee = self.refresh_committee(Some(epoch)).await?;
        let (landing, registration) = BlobRegistration::on_its_way();
        let registered = std::sync::OnceLock::new();
        let register = async {
            let registering = std::time::Instant::now();
            let done = chain.register(encoded.metadata().metadata(), &price, options.deletable).await?;
            progress.event(ProgressEvent::PhaseDone { phase: StorePhase::Register, took: registering.elapsed() });
            let object_id = *done.object.object_id();
            progress.event(ProgressEvent::Registered { object_id: object_id.to_string() });
            // Set before the landing is told: confirmations, hence a certificate, come only after.
            let _ = registered.set(done);
            landing.send_replace(Some(persistence(object_id)));
            Ok::<_, StoreError>(())
        };
        let registration_done = &registered;
        let certify = |certificate: Certificate| async move {
            let registered: &Registered =
                registration_done.get().expect("nodes are asked to confirm only once the registration landed");
            let (certified, done) =
                self.certify_timed(&registered.object, &certificate, options.send_object_to, progress).await;
            // Certified: a caller that does not wait for the slower nodes gets its answer now.
            let mut blob = None;
            if let (Ok(()), Some(early)) = (&certified, early) {
                blob = chain.blob(*registered.object.object_id()).await.ok().map(|(blob, _)| blob);
                if let Some(blob) = &blob {
                    early.certified(StoreOutcome::NewlyCreated { blob: blob.clone(), price, resumed: false });
                }
            }
            ((certified, done), blob)
        };
        let upload = async {
            let uploaded = upload::upload_then(
                &committee,
                encoded.as_ref(),
                registration,
                false,
                &self.settings,
                &self.http,
                progress,
                certify,
            );
            Ok(uploaded.await)
        };
        let ((), uploaded) = if self.settings.upload_before_registration {
            // A failed registration stops the upload: nothing was paid, and the nodes forget what
            // they hold.
            tokio::try_join!(register, upload)?
        } else {
            register.await?;
            ((), upload.await?)
        };
        let object_id = *registered.get().expect("the registration succeeded").object.object_id();
        let (uploaded, certified_blob) = match uploaded {
            Ok((attempt, blob)) => (Ok(attempt), blob),
            Err(error) => (Err(error), None),
        };
        let first = self.judge_attempt(&committee, uploaded, progress).await;
        let blob = match first.map_err(|error| unfinished(error, blob_id, object_id))? {
            AttemptEnd::Certified => match certified_blob {
                Some(blob) => blob,
                None => chain.blob(object_id).await.map_err(|error| unfinished(error.into(), blob_id, object_id))?.0,
            },
            AttemptEnd::Failed { error, again: true } => self
                .certify_across_epochs(
                    encoded.as_ref(),
                    object_id,
                    persistence(object_id),
                    options.send_object_to,
                    true,
                    vec![error],
                    progress,
                )
                .await
                .map_err(|error| unfinished(error, blob_id, object_id))?,
            AttemptEnd::Failed { error, again: false } => {
                return Err(StoreError::NotCertified {
                    blob_id,
                    object_id,
                    earlier: Vec::new(),
                    last: Box::new(error),
                });
            }
        };
        Ok(StoreOutcome::NewlyCreated { blob, price, resumed: false })
    }

    /// Stores many blobs as separate `Blob` objects at once: encodes them all, registers them
    /// [`BLOBS_PER_TRANSACTION`] per transaction (one WAL payment each), uploads
    /// `concurrency` at a time alongside those transactions, and certifies them
    /// [`BLOBS_PER_TRANSACTION`] per transaction.
    /// Unlike [`FloeClient::store`] it does not look for blobs already stored or registered
    /// (every blob is paid for) and does not span an epoch change: a batch whose epoch ends
    /// between upload and certify fails with the blobs registered, and storing one of them again
    /// with [`FloeClient::store`] resumes it without paying again. Returns the stored blobs in
    /// the order given.
    pub async fn store_batch(
        &self,
        blobs: Vec<Vec<u8>>,
        options: &StoreOptions,
        concurrency: usize,
    ) -> Result<Vec<BatchStored>, BatchStoreError> {
        if options.epochs == 0 {
            return Err(StoreError::ZeroEpochs.into());
        }
        let chain = self.chain_or_err()?;
        let system = chain.system().await?;
        if options.epochs > system.max_epochs_ahead {
            return Err(StoreError::TooManyEpochs { asked: options.epochs, max: system.max_epochs_ahead }.into());
        }
        let committee = self.refresh_committee(Some(system.epoch())).await?;
        let config = *committee.config();
        let mut prices = Vec::with_capacity(blobs.len());
        for blob in &blobs {
            prices.push(Price::of(&system, &config, blob.len() as u64, options.epochs)?);
        }
        let n_shards = config.n_shards();
        // The encoder's own error crosses the thread (small), and becomes a StoreError here.
        let encoded: Vec<EncodedBlob> = tokio::task::spawn_blocking(move || {
            blobs
                .iter()
                .map(|blob| encode(&config, blob).map_err(|error| (blob.len(), error)))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(StoreError::EncodeTask)?
        .map_err(|(size, source)| StoreError::Encode { size, n_shards, source })?;

        let persistence = |object_id: Address| {
            if options.deletable {
                BlobPersistence::Deletable { object_id: object_id.into_inner() }
            } else {
                BlobPersistence::Permanent
            }
        };
        // As in a single store, the uploads start alongside the register transactions (unless the
        // settings say to wait): each blob's upload learns its persistence when the transaction
        // that registers it lands. A failed transaction drops the landings of the blobs it and
        // the later ones would have registered, which stops their uploads: nothing was paid for
        // them, and the nodes forget what they hold.
        let (landings, registrations): (Vec<_>, Vec<_>) =
            encoded.iter().map(|_| BlobRegistration::on_its_way()).unzip();
        let register = async {
            let mut registered = Vec::with_capacity(encoded.len());
            let mut landings = landings.into_iter();
            for (blobs, prices) in encoded.chunks(BLOBS_PER_TRANSACTION).zip(prices.chunks(BLOBS_PER_TRANSACTION)) {
                let batch: Vec<_> = blobs.iter().map(|e| e.metadata.metadata()).zip(prices.iter().copied()).collect();
                let done = chain.register_many(&batch, options.deletable).await?;
                for (blob, landing) in done.iter().zip(landings.by_ref()) {
                    landing.send_replace(Some(persistence(*blob.object.object_id())));
                }
                registered.extend(done);
            }
            Ok::<_, BatchStoreError>(registered)
        };
        let uploads = futures::stream::iter(encoded.iter().zip(registrations).map(|(encoded, registration)| {
            let committee = committee.clone();
            async move {
                upload::upload(
                    &committee,
                    encoded,
                    registration,
                    false,
                    &self.settings,
                    &self.http,
                    &crate::progress::NoProgress,
                )
                .await
            }
        }));
        use futures::StreamExt as _;
        let uploads = uploads.buffered(concurrency.max(1)).collect::<Vec<_>>();
        let (registered, uploaded) = if self.settings.upload_before_registration {
            let (registered, uploaded) = tokio::join!(register, uploads);
            (registered?, uploaded)
        } else {
            let registered = register.await?;
            (registered, uploads.await)
        };
        let mut certificates: Vec<Certificate> = Vec::with_capacity(uploaded.len());
        for (uploaded, (encoded, registered)) in uploaded.into_iter().zip(encoded.iter().zip(&registered)) {
            certificates.push(uploaded.map_err(|source| BatchStoreError::Upload {
                blob_id: *encoded.metadata.blob_id(),
                object_id: *registered.object.object_id(),
                source,
            })?);
        }

        let pairs: Vec<_> =
            registered.iter().map(|registered| registered.object.clone()).zip(certificates.iter()).collect();
        for batch in pairs.chunks(BLOBS_PER_TRANSACTION) {
            chain.certify_many(batch).await?;
        }
        Ok(encoded
            .iter()
            .zip(registered)
            .zip(prices)
            .map(|((encoded, registered), price)| BatchStored {
                blob_id: *encoded.metadata.blob_id(),
                object_id: *registered.object.object_id(),
                end_epoch: registered.end_epoch,
                price,
            })
            .collect())
    }

    /// The lock that stores of `blob_id` through this client take turns on.
    fn store_turn(&self, blob_id: BlobId) -> Arc<tokio::sync::Mutex<()>> {
        let mut storing = self.storing.lock().unwrap_or_else(|poison| poison.into_inner());
        if let Some(turn) = storing.get(&blob_id).and_then(Weak::upgrade) {
            return turn;
        }
        storing.retain(|_, turn| turn.strong_count() > 0);
        let turn = Arc::new(tokio::sync::Mutex::new(()));
        storing.insert(blob_id, Arc::downgrade(&turn));
        turn
    }

    /// Finishes the store of a blob already registered as `Blob` object `object_id` with
    /// `persistence`: uploads `encoded` to the current committee (nodes that already hold their
    /// slivers confirm without them) and certifies that same object, in a later epoch if the
    /// current one ends meanwhile. Nothing is registered or paid for again; an object already
    /// certified is returned as it is.
    pub async fn certify_registered(
        &self,
        encoded: &dyn UploadSource,
        object_id: Address,
        persistence: BlobPersistence,
        progress: &dyn Progress,
    ) -> Result<Blob, StoreError> {
        self.certify_across_epochs(encoded, object_id, persistence, None, true, Vec::new(), progress).await
    }

    /// Upload and certify, up to [`CERTIFY_EPOCHS`] attempts in all (`earlier` counted) while
    /// epochs end under them. `resume`: the nodes may already hold the blob, so each is first
    /// asked for its confirmation alone.
    #[allow(clippy::too_many_arguments)]
    async fn certify_across_epochs(
        &self,
        encoded: &dyn UploadSource,
        object_id: Address,
        persistence: BlobPersistence,
        recipient: Option<Address>,
        resume: bool,
        earlier: Vec<CertifyAttemptError>,
        progress: &dyn Progress,
    ) -> Result<Blob, StoreError> {
        let chain = self.chain_or_err()?;
        let blob_id = *encoded.metadata().blob_id();
        let mut failures = earlier;
        let mut resume = resume;
        while failures.len() < CERTIFY_EPOCHS {
            let (blob, reference) = chain.blob(object_id).await?;
            if blob.blob_id != blob_id {
                return Err(StoreError::OtherBlob { object_id, registered: blob.blob_id, given: blob_id });
            }
            if blob.certified_epoch.is_some() {
                return Ok(blob);
            }
            let epoch = chain.system().await?.epoch();
            let committee = self.refresh_committee(Some(epoch)).await?;
            // The certify transaction goes out as soon as a quorum confirmed; the slower nodes
            // finish their upload meanwhile.
            let certify = |certificate: Certificate| {
                let reference = &reference;
                async move { self.certify_timed(reference, &certificate, recipient, progress).await }
            };
            let uploaded = upload::upload_then(
                &committee,
                encoded,
                BlobRegistration::landed(persistence),
                resume,
                &self.settings,
                &self.http,
                progress,
                certify,
            )
            .await;
            // Every later attempt follows an epoch change: the nodes that stay hold their slivers.
            resume = true;
            match self.judge_attempt(&committee, uploaded, progress).await? {
                AttemptEnd::Certified => return Ok(chain.blob(object_id).await?.0),
                AttemptEnd::Failed { error, again } => {
                    failures.push(error);
                    if !again {
                        break;
                    }
                }
            }
        }
        let last = Box::new(failures.pop().expect("at least one attempt was made"));
        Err(StoreError::NotCertified { blob_id, object_id, earlier: failures, last })
    }

    /// The certify transaction of `blob` with `certificate`, timed; and when it ended.
    async fn certify_timed(
        &self,
        blob: &ObjectReference,
        certificate: &Certificate,
        recipient: Option<Address>,
        progress: &dyn Progress,
    ) -> (Result<(), ChainError>, std::time::Instant) {
        let certifying = std::time::Instant::now();
        let certified = match self.chain_or_err() {
            Ok(chain) => chain.certify(blob, certificate, recipient).await,
            Err(error) => Err(error),
        };
        progress.event(ProgressEvent::PhaseDone { phase: StorePhase::Certify, took: certifying.elapsed() });
        (certified, std::time::Instant::now())
    }

    /// How an attempt (an upload to `committee`, then the certify transaction) ended.
    async fn judge_attempt(
        &self,
        committee: &StorageCommittee,
        uploaded: Result<(Result<(), ChainError>, std::time::Instant), UploadError>,
        progress: &dyn Progress,
    ) -> Result<AttemptEnd, StoreError> {
        let chain = self.chain_or_err()?;
        let epoch = committee.epoch();
        match uploaded {
            Ok((certified, certify_done)) => {
                progress
                    .event(ProgressEvent::PhaseDone { phase: StorePhase::Stragglers, took: certify_done.elapsed() });
                match certified {
                    Ok(()) => {
                        progress.event(ProgressEvent::Certified);
                        Ok(AttemptEnd::Certified)
                    }
                    // A certificate of an ended epoch is refused by whichever check of the new
                    // committee it fails first: the signers' weight when shards moved, their keys
                    // when members changed, the message's epoch only when neither did (Move checks
                    // the signers before the message). So any abort once the chain has moved to
                    // another epoch means "sign again", whatever its code.
                    Err(ChainError::Client(source)) if source.move_abort().is_some() => {
                        if chain.system().await?.epoch() == epoch {
                            return Err(ChainError::Client(source).into());
                        }
                        tracing::info!(epoch, %source, "the epoch ended before the certificate landed; again");
                        Ok(AttemptEnd::Failed { error: CertifyAttemptError::EpochEnded { epoch, source }, again: true })
                    }
                    Err(error) => Err(error.into()),
                }
            }
            Err(source) => {
                // Only a new epoch (confirmations of the old one refused, shards moved away)
                // makes another attempt worthwhile.
                let again = chain.system().await?.epoch() != epoch;
                if again {
                    tracing::info!(epoch, "the epoch ended during the upload; again");
                }
                Ok(AttemptEnd::Failed { error: CertifyAttemptError::Upload { epoch, source }, again })
            }
        }
    }
}

/// How one attempt at uploading and certifying a registered blob ended.
enum AttemptEnd {
    /// The blob is certified.
    Certified,
    /// It failed; `again` if the epoch ended meanwhile, so the next committee may succeed.
    Failed { error: CertifyAttemptError, again: bool },
}

/// The encoder of a store from memory: `blob`'s slivers and metadata for the committee's
/// configuration. The blob is dropped once encoded: the upload needs only its slivers.
fn encode_in_memory(
    blob: Bytes,
) -> impl FnOnce(EncodingConfig) -> Result<Box<dyn UploadSource>, Box<StoreError>> + Send + 'static {
    move |config: EncodingConfig| {
        encode(&config, &blob)
            .map(|encoded| Box::new(encoded) as Box<dyn UploadSource>)
            .map_err(|source| Box::new(StoreError::Encode { size: blob.len(), n_shards: config.n_shards(), source }))
    }
}

/// The encoder of a store of a file in memory: the file of `size` bytes at `path` read straight
/// into the encoder's memory ([`BlobBuffer`]), not into a buffer of its own that the encoder would
/// copy, then encoded. A file whose length is no longer `size` is refused as unreadable.
fn encode_file_in_memory(
    path: PathBuf,
    size: u64,
) -> impl FnOnce(EncodingConfig) -> Result<Box<dyn UploadSource>, Box<StoreError>> + Send + 'static {
    move |config: EncodingConfig| {
        let mut buffer = BlobBuffer::new(&config, size).map_err(|source| {
            Box::new(StoreError::Encode { size: size as usize, n_shards: config.n_shards(), source })
        })?;
        std::fs::File::open(&path)
            .and_then(|file| buffer.read_exactly(file))
            .map_err(|source| Box::new(StoreError::ReadFile { path, source }))?;
        Ok(Box::new(buffer.encode()) as Box<dyn UploadSource>)
    }
}

/// Where a store detaching its tail ([`FloeClient::store_detaching_tail`]) sends its outcome as
/// soon as the blob is certified, if the client has room for one more detached tail (otherwise
/// the store answers at its end).
struct EarlyAnswer {
    answer: Mutex<Option<tokio::sync::oneshot::Sender<StoreOutcome>>>,
    tails: Arc<tokio::sync::Semaphore>,
    /// Held from the early answer to the end of the store.
    tail: Mutex<Option<tokio::sync::OwnedSemaphorePermit>>,
}

impl EarlyAnswer {
    fn new(answer: tokio::sync::oneshot::Sender<StoreOutcome>, tails: Arc<tokio::sync::Semaphore>) -> Self {
        Self { answer: Mutex::new(Some(answer)), tails, tail: Mutex::new(None) }
    }

    /// The blob is certified: answers with `outcome` now, unless the client already runs as many
    /// detached tails as [`Settings::max_detached_tails`] (the store then answers at its end).
    fn certified(&self, outcome: StoreOutcome) {
        let Ok(permit) = Arc::clone(&self.tails).try_acquire_owned() else { return };
        *self.tail.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(permit);
        if let Some(sender) = self.answer.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            // The caller gone means the store was cancelled; nobody is left to tell.
            let _ = sender.send(outcome);
        }
    }
}

/// Aborts a detached store's task when dropped, unless emptied once the store answered.
struct AbortUnlessAnswered(Option<tokio::task::AbortHandle>);

impl Drop for AbortUnlessAnswered {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// A chain failure after `object_id` was registered becomes [`StoreError::Unfinished`], so the
/// caller learns which paid object storing again resumes.
fn unfinished(error: StoreError, blob_id: BlobId, object_id: Address) -> StoreError {
    match error {
        StoreError::Chain(source) => StoreError::Unfinished { blob_id, object_id, source },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_encodes_as_its_bytes_do_and_one_whose_length_changed_is_refused_as_unreadable() {
        let config = EncodingConfig::new(10).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file.bin");
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let encoded = encode_file_in_memory(path.clone(), bytes.len() as u64)(config).unwrap();
        assert_eq!(encoded.metadata().blob_id(), encode(&config, &bytes).unwrap().metadata.blob_id());
        for (size, kind) in [(99_999, std::io::ErrorKind::InvalidData), (100_001, std::io::ErrorKind::UnexpectedEof)] {
            let Err(error) = encode_file_in_memory(path.clone(), size)(config) else {
                panic!("a file of 100000 bytes was encoded as {size}");
            };
            assert!(
                matches!(&*error, StoreError::ReadFile { path: named, source } if *named == path && source.kind() == kind),
                "{size}: {error}"
            );
        }
    }

    fn short(weight: u64) -> UploadError {
        UploadError::NotEnoughConfirmations { weight, needed: 9, n_shards: 12, failures: Default::default() }
    }

    fn owned(id: u8, blob_id: u8, deletable: bool, epochs: (u32, u32), certified: bool) -> Blob {
        Blob {
            id: Address::new([id; 32]),
            registered_epoch: epochs.0,
            blob_id: BlobId([blob_id; 32]),
            size: 10,
            encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
            certified_epoch: certified.then_some(epochs.0),
            storage: floe_chain::floe::storage::Storage {
                id: Address::new([id + 100; 32]),
                start_epoch: epochs.0,
                end_epoch: epochs.1,
                storage_size: 1 << 20,
            },
            deletable,
        }
    }

    #[test]
    fn a_store_reuses_the_senders_blob_of_the_same_bytes_and_flag_that_lasts_long_enough() {
        let blob_id = BlobId([7; 32]);
        let pick = |owned: &[Blob], deletable, wanted_end| {
            reusable_blob(owned, &blob_id, deletable, 5, wanted_end).map(|blob| blob.id.into_inner()[0])
        };
        let candidates = [
            owned(1, 7, true, (3, 9), false),
            owned(2, 7, true, (4, 8), true),
            owned(3, 7, false, (5, 20), false),
            owned(4, 8, true, (5, 30), true),
        ];
        // Certified first, then the longest-lasting registration.
        assert_eq!(pick(&candidates, true, 8), Some(2));
        assert_eq!(pick(&candidates, true, 9), Some(1), "object 2 ends too early");
        assert_eq!(pick(&candidates, true, 10), None, "nothing lasts until epoch 10");
        // The deletable flag must match: a permanent registration is no deletable blob.
        assert_eq!(pick(&candidates, false, 10), Some(3));
        assert_eq!(pick(&[owned(5, 7, false, (6, 20), true)], false, 10), None, "storage from a later epoch");
    }

    #[test]
    fn a_store_that_stopped_after_paying_names_the_object_a_retry_resumes() {
        let error = StoreError::Unfinished {
            blob_id: BlobId([1; 32]),
            object_id: Address::new([2; 32]),
            source: ChainError::NoChain,
        };
        let text = error.to_string();
        assert!(text.contains(&Address::new([2; 32]).to_string()) && text.contains("resumes"), "{text}");
        assert_eq!(error.unfinished_object(), Some(Address::new([2; 32])));
        assert!(std::error::Error::source(&error).is_some());
    }

    #[test]
    fn a_store_that_never_certified_names_every_attempt_and_keeps_the_last_as_source() {
        let error = StoreError::NotCertified {
            blob_id: BlobId([1; 32]),
            object_id: Address::new([2; 32]),
            earlier: vec![CertifyAttemptError::Upload { epoch: 4, source: short(3) }],
            last: Box::new(CertifyAttemptError::Upload { epoch: 5, source: short(6) }),
        };
        let text = error.to_string();
        assert!(text.contains("after 2 attempt(s)"), "{text}");
        let (first, second) = (text.find("in epoch 4").unwrap(), text.find("in epoch 5").unwrap());
        assert!(first < second, "{text}");
        assert!(text.contains("holding 3 of 12") && text.contains("holding 6 of 12"), "{text}");
        let source = std::error::Error::source(&error).expect("the last attempt");
        assert!(source.to_string().starts_with("in epoch 5"), "{source}");
    }
}
