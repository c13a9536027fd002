//! Distributing an encoded, registered blob to the committee and gathering the signed storage
//! confirmations into a certificate.
//!
//! Every node gets the metadata and the two slivers of each pair its shards store, in batches
//! of up to 512 KiB (one request for all of a small blob's slivers: floe's
//! `PUT /v1/blobs/{id}/slivers`), and is asked for its confirmation; all nodes at once. The
//! three go in one round per node ([`Settings::upload_wait`], `?upload_wait_millis=`): the
//! metadata and the batches are sent at once, a batch that arrives first waiting on the node for
//! its metadata, and the confirmation is asked for as the last batch goes out, the node answering
//! once it has stored its share. On a network each round is a round trip; one after another they
//! were three. What does not come so (a node that did not wait) is sent, or asked for, again as
//! it would have been. Requests are bounded overall and per node; a
//! request a node refuses because it has not yet seen the registration (its chain follower
//! trails the client) or fails to answer is retried with exponential backoff. Each confirmation
//! is checked to be the expected message as it arrives. As soon as the confirming nodes hold a
//! quorum of shards the certificate is built: the signatures are added up and checked once, as
//! one aggregate against the signers' keys added up; only if that fails is each checked alone,
//! and the members whose signature fails are named and left out while the upload waits for
//! others. The certificate is then handed on to be certified on chain, while the slower nodes
//! keep uploading for a grace period: nodes that missed the upload recover their slivers from
//! the others after certification. Their confirmations are no longer needed: a node whose data
//! is delivered once the certificate is built is not asked for one (its recovery duty makes the
//! data durable; it did not sign, so it promised nothing), and a node waiting to be asked is
//! done. What is handed on may answer the store's caller before the
//! grace period ends (`FloeClient::store_detaching_tail`, for the publisher). Once the certificate
//! is handed on and done, nodes that gave no answer at all to their last attempt (connection
//! refused, reset or timed out, and waiting to be retried) are not waited for: a node that is
//! down would otherwise hold every store for the whole grace period. Nodes that answer, however
//! slowly, keep theirs.
//!
//! The slivers come from an [`UploadSource`]: an [`EncodedBlob`] in memory, or a [`SpilledBlob`]
//! whose slivers are read back from its spill file as they are sent. Either way at most
//! [`Settings::max_upload_bytes`] of slivers are loaded at once.
//!
//! A resumed upload (the blob was uploaded before, possibly to the committee of an epoch that
//! has since ended) first asks each node for its confirmation alone: a node that kept or
//! received its slivers confirms without any being sent again.
//!
//! A new blob's upload starts alongside its register transaction ([`BlobRegistration::on_its_way`],
//! Walrus's optimistic upload): until the transaction has executed, metadata and slivers are sent
//! once each with `?pending=true`, and a node that has not seen the registration checks them and
//! holds them (202) until it does. A request the node does not hold (it holds too much already:
//! 503) is sent again, as usual, once the registration has landed. The confirmation is asked for
//! only then (it names the registered object of a deletable blob), with the usual wait for the node
//! to see the registration; if the node lost what it held, the member's data is sent once more.

use std::{
    borrow::Cow,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use backon::{ExponentialBuilder, Retryable};
use floe_encoder::{
    EncodedBlob, Sliver, SliverPairIndex, SliverType,
    certificate::{Certificate, CertificateError},
    messages::{BlobPersistence, SignedMessage, StorageConfirmation},
    metadata::VerifiedBlobMetadata,
    spill::SpilledBlob,
};
use futures::{StreamExt, TryStreamExt, stream::FuturesUnordered};
use tokio::sync::{Semaphore, watch};

use crate::{
    committee::StorageCommittee,
    failures::{Failures, SourceFailure},
    node_api::{Accepted, InvalidAnswer, NodeApiError, NodeClient, Registration, SliverBatch, slivers::batch_ranges},
    progress::{Progress, ProgressEvent, StorePhase},
    settings::Settings,
};

/// Where an upload takes an encoded blob's metadata and slivers from.
pub trait UploadSource: Send + Sync {
    /// The blob's verified metadata.
    fn metadata(&self) -> &VerifiedBlobMetadata;

    /// The sliver of `axis` that pair `pair` holds. Called from async code: a source that reads
    /// a file reads one sliver (a few MiB at most) per call.
    fn sliver(&self, pair: SliverPairIndex, axis: SliverType) -> std::io::Result<Cow<'_, Sliver>>;

    /// The bytes of one sliver of `axis` (all slivers of an axis have the same length).
    fn sliver_len(&self, axis: SliverType) -> usize;
}

impl UploadSource for EncodedBlob {
    fn metadata(&self) -> &VerifiedBlobMetadata {
        &self.metadata
    }

    fn sliver(&self, pair: SliverPairIndex, axis: SliverType) -> std::io::Result<Cow<'_, Sliver>> {
        Ok(Cow::Borrowed(self.pairs[pair.as_usize()].sliver(axis)))
    }

    fn sliver_len(&self, axis: SliverType) -> usize {
        self.pairs.first().map_or(0, |pair| pair.sliver(axis).data().len())
    }
}

impl UploadSource for SpilledBlob {
    fn metadata(&self) -> &VerifiedBlobMetadata {
        SpilledBlob::metadata(self)
    }

    fn sliver(&self, pair: SliverPairIndex, axis: SliverType) -> std::io::Result<Cow<'_, Sliver>> {
        SpilledBlob::sliver(self, pair, axis).map(Cow::Owned)
    }

    fn sliver_len(&self, axis: SliverType) -> usize {
        SpilledBlob::sliver_len(self, axis)
    }
}

/// Why an upload did not end in a certificate.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Too few nodes confirmed.
    #[error(
        "nodes holding {weight} of {n_shards} shards confirmed storage, {needed} are needed for a certificate; failures: {failures}"
    )]
    NotEnoughConfirmations {
        /// Shards confirmed.
        weight: u64,
        /// Shards needed.
        needed: u64,
        /// All shards.
        n_shards: u16,
        /// What went wrong with the other nodes, one per node.
        failures: Failures,
    },
    /// The confirmations do not aggregate (cannot happen with verified confirmations of one
    /// committee, but named rather than unwrapped).
    #[error("aggregating confirmations: {0}")]
    Aggregate(#[from] CertificateError),
}

/// The smallest weight that is a quorum of `n_shards`.
pub(crate) fn quorum_weight(committee: &StorageCommittee) -> u64 {
    (0..=u64::from(committee.n_shards())).find(|weight| committee.is_quorum(*weight)).unwrap_or(u64::MAX)
}

/// The registration an upload's confirmations are for: executed on chain already, or on its way
/// (the upload then starts alongside the register transaction, see the module doc).
#[derive(Debug, Clone)]
pub(crate) struct BlobRegistration(watch::Receiver<Option<BlobPersistence>>);

impl BlobRegistration {
    /// A registration executed on chain, with `persistence`.
    pub(crate) fn landed(persistence: BlobPersistence) -> Self {
        Self(watch::channel(Some(persistence)).1)
    }

    /// A registration on its way: the upload sends optimistically until the returned sender
    /// sends its persistence; dropped without sending, the registration failed.
    pub(crate) fn on_its_way() -> (watch::Sender<Option<BlobPersistence>>, Self) {
        let (landing, registration) = watch::channel(None);
        (landing, Self(registration))
    }

    /// The persistence, if the registration has landed.
    fn now(&self) -> Option<BlobPersistence> {
        *self.0.borrow()
    }

    /// Waits for the registration to land; `None` if it failed.
    async fn landing(&self) -> Option<BlobPersistence> {
        self.0.clone().wait_for(Option::is_some).await.ok().and_then(|persistence| *persistence)
    }
}

/// Uploads `encoded`'s slivers (registered as `registration` says) to `committee` and returns
/// the certificate of a quorum of confirmations for the committee's epoch, after the slower
/// nodes had their grace period. With `resume`, nodes are asked for their confirmation before
/// anything is sent to them.
pub(crate) async fn upload(
    committee: &StorageCommittee,
    encoded: &dyn UploadSource,
    registration: BlobRegistration,
    resume: bool,
    settings: &Settings,
    http: &reqwest::Client,
    progress: &dyn Progress,
) -> Result<Certificate, UploadError> {
    upload_then(committee, encoded, registration, resume, settings, http, progress, std::future::ready).await
}

/// Uploads `encoded` like [`upload`], but as soon as the confirmations reach a quorum runs
/// `then` on the certificate (the certify transaction) while the slower nodes keep uploading:
/// they get [`Settings::quorum_grace`] after the quorum, or until `then` is done if that
/// takes longer, and are left to recover their slivers after certification if they are not
/// done by then. Returns what `then` returned.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn upload_then<T, Then, Fut>(
    committee: &StorageCommittee,
    encoded: &dyn UploadSource,
    registration: BlobRegistration,
    resume: bool,
    settings: &Settings,
    http: &reqwest::Client,
    progress: &dyn Progress,
    then: Then,
) -> Result<T, UploadError>
where
    Then: FnOnce(Certificate) -> Fut,
    Fut: Future<Output = T>,
{
    let started = Instant::now();
    let clock = QuorumClock::new(committee, progress, started);
    let global = Arc::new(Semaphore::new(settings.max_concurrent_requests.max(1)));
    // Loaded slivers are counted in KiB (a semaphore's permits are bounded).
    let loaded = Semaphore::new((settings.max_upload_bytes >> 10).max(1));
    let total_slivers = 2 * u64::from(committee.n_shards());
    let stored = std::sync::atomic::AtomicU64::new(0);
    let reachability = Reachability::new(committee.members().len());
    let (built, certificate_built) = watch::channel(false);
    let job = MemberUpload {
        committee,
        encoded,
        registration,
        resume,
        settings,
        http,
        global,
        loaded: &loaded,
        loaded_total: (settings.max_upload_bytes >> 10).max(1),
        progress,
        stored: &stored,
        total_slivers,
        clock: &clock,
        reachability: &reachability,
        certificate_built,
    };
    let mut tasks: FuturesUnordered<_> = (0..committee.members().len())
        .map(|member| {
            let job = &job;
            async move { (member, job.run(member).await) }
        })
        .collect();

    let mut gathered = Gathered { needed: quorum_weight(committee), ..Gathered::default() };
    let certificate = loop {
        while !committee.is_quorum(gathered.weight) {
            let Some((member, result)) = tasks.next().await else {
                return Err(gathered.too_few(committee));
            };
            gathered.record(committee, member, result, progress);
        }
        // The signatures are checked here, together; members whose signature fails are left out
        // and the upload waits for others.
        match Certificate::aggregate(committee.certificate_committee(), gathered.confirmations.clone()) {
            Ok(certificate) => break certificate,
            Err(CertificateError::BadSigners(bad)) => gathered.leave_out(committee, &bad),
            Err(error) => return Err(error.into()),
        }
    };
    let grace_deadline = tokio::time::Instant::now() + settings.quorum_grace.after(started.elapsed());
    clock.certificate_built();
    built.send_replace(true);

    // Nobody waits for the slower nodes any more: they run alongside `then`, then until the
    // grace deadline at most.
    let then = then(certificate);
    let mut then = std::pin::pin!(then);
    let output = loop {
        tokio::select! {
            output = &mut then => break output,
            Some((member, result)) = tasks.next() => gathered.record(committee, member, result, progress),
        }
    };
    let mut changes = reachability.changes();
    let stragglers = async {
        loop {
            let running = (0..committee.members().len()).filter(|member| !gathered.finished.contains(member));
            let unreachable: Vec<usize> =
                running.clone().filter(|&member| reachability.is_unreachable(member)).collect();
            if unreachable.len() == running.count() {
                if !unreachable.is_empty() {
                    let names: Vec<&str> =
                        unreachable.iter().map(|&member| committee.members()[member].name.as_str()).collect();
                    tracing::info!(
                        nodes = ?names,
                        "not waiting for nodes that do not answer; they recover their slivers after certification"
                    );
                }
                break;
            }
            tokio::select! {
                next = tasks.next() => match next {
                    Some((member, result)) => gathered.record(committee, member, result, progress),
                    None => break,
                },
                // A member that stops answering may be the last one running.
                _ = changes.changed() => {}
            }
        }
    };
    if tokio::time::timeout_at(grace_deadline, stragglers).await.is_err() {
        tracing::info!(
            confirmed = gathered.weight,
            n_shards = committee.n_shards(),
            "grace period over; the nodes still uploading recover their slivers after certification"
        );
    }
    Ok(output)
}

/// The confirmations gathered so far, and what went wrong with the other nodes.
#[derive(Default)]
struct Gathered {
    needed: u64,
    weight: u64,
    /// Members whose upload ended, confirmed or failed.
    finished: std::collections::BTreeSet<usize>,
    confirmations: Vec<(u16, SignedMessage)>,
    failures: Failures,
}

impl Gathered {
    fn record(
        &mut self,
        committee: &StorageCommittee,
        member: usize,
        result: Result<Delivered, SourceFailure>,
        progress: &dyn Progress,
    ) {
        self.finished.insert(member);
        match result {
            Ok(Delivered::WithoutConfirmation) => {}
            Ok(Delivered::Confirmed(signed)) => {
                self.weight += committee.weight(member);
                self.confirmations.push((member as u16, *signed));
                progress.event(ProgressEvent::Confirmed { weight: self.weight, needed: self.needed });
            }
            Err(error) => {
                tracing::warn!(node = %committee.members()[member].name, %error, "node did not confirm");
                self.failures.push(error);
            }
        }
    }

    /// Leaves out the confirmations of `members`, whose signatures do not verify with their keys.
    fn leave_out(&mut self, committee: &StorageCommittee, members: &[u16]) {
        for &member in members {
            let info = &committee.members()[usize::from(member)];
            tracing::warn!(node = %info.name, "node's storage confirmation does not verify with its key");
            self.confirmations.retain(|(signer, _)| *signer != member);
            self.weight -= committee.weight(usize::from(member));
            let reason = InvalidAnswer::Signature(floe_encoder::bls::BlsError::BadSignature);
            self.failures.push(NodeApiError::invalid(&info.url, reason));
        }
    }

    fn too_few(self, committee: &StorageCommittee) -> UploadError {
        UploadError::NotEnoughConfirmations {
            weight: self.weight,
            needed: self.needed,
            n_shards: committee.n_shards(),
            failures: self.failures,
        }
    }
}

/// The upload's steps, in the order each node passes them.
const STEPS: [StorePhase; 3] = [StorePhase::Metadata, StorePhase::Slivers, StorePhase::Confirmations];

/// Reports when nodes holding a quorum of shards have passed each step of the upload
/// ([`STEPS`]), as [`ProgressEvent::PhaseDone`] with the time since the previous quorum point.
struct QuorumClock<'a> {
    committee: &'a StorageCommittee,
    progress: &'a dyn Progress,
    started: Instant,
    state: Mutex<ClockState>,
}

#[derive(Default)]
struct ClockState {
    /// Steps each member has passed.
    passed: Vec<usize>,
    /// Shards whose node passed each step.
    weight: [u64; STEPS.len()],
    /// When each step's quorum was reached, since the upload started.
    reached: [Option<Duration>; STEPS.len()],
}

impl<'a> QuorumClock<'a> {
    fn new(committee: &'a StorageCommittee, progress: &'a dyn Progress, started: Instant) -> Self {
        let state = ClockState { passed: vec![0; committee.members().len()], ..ClockState::default() };
        Self { committee, progress, started, state: Mutex::new(state) }
    }

    /// Member `member` passed step `step` (and so every step before it: a node asked for its
    /// confirmation alone on a resumed upload skips the others).
    fn passed(&self, member: usize, step: usize) {
        let now = self.started.elapsed();
        let mut state = self.state.lock().unwrap_or_else(|poison| poison.into_inner());
        // `each` is a step number indexing four per-step tables (and the one before it): a
        // zip of iterators over them would hide which step is which.
        #[allow(clippy::needless_range_loop)]
        for each in state.passed[member]..=step {
            state.weight[each] += self.committee.weight(member);
            if state.reached[each].is_none() && self.committee.is_quorum(state.weight[each]) {
                state.reached[each] = Some(now);
                let since = each.checked_sub(1).and_then(|before| state.reached[before]).unwrap_or_default();
                self.progress.event(ProgressEvent::PhaseDone { phase: STEPS[each], took: now.saturating_sub(since) });
            }
        }
        state.passed[member] = state.passed[member].max(step + 1);
    }

    /// The certificate is built: reports the time since the quorum of confirmations.
    fn certificate_built(&self) {
        let now = self.started.elapsed();
        let state = self.state.lock().unwrap_or_else(|poison| poison.into_inner());
        let since = state.reached[STEPS.len() - 1].unwrap_or(now);
        self.progress
            .event(ProgressEvent::PhaseDone { phase: StorePhase::Certificate, took: now.saturating_sub(since) });
    }
}

/// Which members gave no answer at all to their last attempt (a transport failure: refused,
/// reset, timed out) and wait for a retry. Once the blob is certified the upload stops waiting
/// for them.
struct Reachability {
    unreachable: Vec<std::sync::atomic::AtomicBool>,
    /// Bumped whenever a member becomes unreachable.
    changed: watch::Sender<()>,
}

impl Reachability {
    fn new(members: usize) -> Self {
        Self {
            unreachable: (0..members).map(|_| std::sync::atomic::AtomicBool::new(false)).collect(),
            changed: watch::channel(()).0,
        }
    }

    /// Member `member`'s attempt ended with `outcome`.
    fn attempted<T>(&self, member: usize, outcome: &Result<T, NodeApiError>) {
        let unreachable = matches!(outcome, Err(NodeApiError::Transport { .. }));
        let was = self.unreachable[member].swap(unreachable, std::sync::atomic::Ordering::Relaxed);
        if unreachable && !was {
            self.changed.send_replace(());
        }
    }

    fn is_unreachable(&self, member: usize) -> bool {
        self.unreachable[member].load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A receiver woken by each member that becomes unreachable from now on.
    fn changes(&self) -> watch::Receiver<()> {
        self.changed.subscribe()
    }
}

/// What every member's upload shares.
#[derive(Clone)]
struct MemberUpload<'a> {
    committee: &'a StorageCommittee,
    encoded: &'a dyn UploadSource,
    registration: BlobRegistration,
    resume: bool,
    settings: &'a Settings,
    http: &'a reqwest::Client,
    global: Arc<Semaphore>,
    /// KiB of slivers loaded from the source and not yet sent (or given up), over all nodes:
    /// the upload's memory bound ([`Settings::max_upload_bytes`]).
    loaded: &'a Semaphore,
    /// The permits of `loaded`.
    loaded_total: usize,
    progress: &'a dyn Progress,
    stored: &'a std::sync::atomic::AtomicU64,
    total_slivers: u64,
    clock: &'a QuorumClock<'a>,
    reachability: &'a Reachability,
    /// Turns true when the certificate is built: confirmations are no longer needed.
    certificate_built: watch::Receiver<bool>,
}

/// How a member's upload ended well.
enum Delivered {
    /// The member has its data and signed for it (boxed: a signed message is large).
    Confirmed(Box<SignedMessage>),
    /// The member has its data; the certificate was built without its confirmation.
    WithoutConfirmation,
}

impl MemberUpload<'_> {
    fn policy(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.settings.retry_delay)
            .with_max_times(self.settings.store_attempts.saturating_sub(1))
    }

    /// One attempt of a request to member `member`, under the global limit; its outcome tells
    /// whether the member answers at all.
    async fn attempt<T>(
        &self,
        member: usize,
        request: impl Future<Output = Result<T, NodeApiError>>,
    ) -> Result<T, NodeApiError> {
        // The semaphore is never closed, so acquiring only waits.
        let _permit = self.global.acquire().await.ok();
        let outcome = request.await;
        self.reachability.attempted(member, &outcome);
        outcome
    }

    /// Runs `request` to member `member` under the global limit, retrying transient failures.
    async fn with_retries<T, F, Fut>(&self, member: usize, request: F) -> Result<T, NodeApiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, NodeApiError>>,
    {
        let mut request = request;
        (|| self.attempt(member, request())).retry(self.policy()).when(NodeApiError::is_transient).await
    }

    /// The confirmation the member is asked for, once the registration has landed.
    async fn expected(&self) -> Option<StorageConfirmation> {
        let persistence = self.registration.landing().await?;
        Some(StorageConfirmation {
            epoch: self.committee.epoch(),
            blob_id: *self.encoded.metadata().blob_id(),
            persistence,
        })
    }

    /// Sends one store request: while the registration is on its way, once, for the node to
    /// hold; if the node does not hold it (it holds too much already, or predates optimistic
    /// uploads), again once the registration has landed, with retries.
    async fn send<F, Fut>(&self, member: usize, request: F) -> Result<Accepted, NodeApiError>
    where
        F: Fn(Registration) -> Fut,
        Fut: Future<Output = Result<Accepted, NodeApiError>>,
    {
        if self.registration.now().is_none() {
            match self.attempt(member, request(Registration::OnItsWay)).await {
                Ok(accepted) => return Ok(accepted),
                Err(error) => {
                    tracing::debug!(%error, "not held before the registration; sending again once it lands");
                    if self.registration.landing().await.is_none() {
                        return Err(error);
                    }
                }
            }
        }
        let wait = self.settings.registration_wait;
        self.with_retries(member, || request(Registration::Landed { wait })).await
    }

    /// Resolves once the certificate is built (never, if the upload ends without one).
    async fn certificate_built(&self) {
        let mut built = self.certificate_built.clone();
        if built.wait_for(|built| *built).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// The member's metadata and slivers (at once, see [`Self::send_data`]) and its confirmation,
    /// unless the certificate was built meanwhile. The confirmation is asked for as the last
    /// slivers go out (see [`Self::confirmation_as_stored`]); only if that does not bring it is it
    /// asked for again once they are delivered.
    async fn run(&self, member: usize) -> Result<Delivered, SourceFailure> {
        let info = &self.committee.members()[member];
        let node = info.client(self.http);
        let (wait, timeout) = (self.settings.registration_wait, self.settings.request_timeout);
        if self.resume
            && let Some(expected) = self.expected().await
        {
            // No wait: the registration is old. Any refusal (slivers missing, shards new to the
            // node) just means the upload below is needed.
            match node.confirmation(&expected, Duration::ZERO, Duration::ZERO, timeout).await {
                Ok(signed) => {
                    self.clock.passed(member, 2);
                    return Ok(Delivered::Confirmed(Box::new(signed)));
                }
                Err(error) => tracing::debug!(node = %info.name, %error, "no confirmation yet; uploading"),
            }
        }
        // The data goes on until delivered (a node that gets it after the certificate is built
        // holds its share without recovering it); the confirmation asked for alongside stops
        // once the certificate is built.
        let (all_sent, last_going) = watch::channel(false);
        let mut data = std::pin::pin!(self.send_data(member, &node, false, Some(&all_sent)));
        let mut early = std::pin::pin!(async {
            tokio::select! {
                biased;
                () = self.certificate_built() => None,
                signed = self.confirmation_as_stored(member, &node, last_going) => signed,
            }
        });
        let (held, early) = tokio::select! {
            held = &mut data => (held?, early.await),
            early = &mut early => (data.await?, early),
        };
        if let Some(signed) = early {
            self.clock.passed(member, 2);
            return Ok(Delivered::Confirmed(Box::new(signed)));
        }
        let confirm = async {
            let Some(expected) = self.expected().await else {
                return Err(SourceFailure::Unregistered);
            };
            let ask = || node.confirmation(&expected, wait, Duration::ZERO, timeout);
            let confirmed = match self.with_retries(member, ask).await {
                Err(error) if held => {
                    // What the node held before the registration is gone (it expired, or storing
                    // it failed): send it all again, now that the registration has landed.
                    tracing::info!(node = %info.name, %error, "data held before the registration is missing; sending it again");
                    self.send_data(member, &node, true, None).await?;
                    self.with_retries(member, ask).await
                }
                confirmed => confirmed,
            };
            Ok(confirmed?)
        };
        // Biased: a certificate built before the data was delivered ends the member here, before
        // any confirmation is asked for.
        let signed = tokio::select! {
            biased;
            () = self.certificate_built() => return Ok(Delivered::WithoutConfirmation),
            signed = confirm => signed?,
        };
        self.clock.passed(member, 2);
        Ok(Delivered::Confirmed(Box::new(signed)))
    }

    /// The member's confirmation, asked for once the registration has landed and the member's
    /// last sliver batch is on its way (`last_going` turns true), and answered by the node once
    /// it has stored its share ([`Settings::upload_wait`]): the confirmation's round
    /// trip overlaps the last slivers'. Its own request, outside the overall bound: it waits on
    /// slivers that hold their places in it. `None` if it did not come so (turned off, or any
    /// failure: the caller asks again once the slivers are delivered).
    async fn confirmation_as_stored(
        &self,
        member: usize,
        node: &NodeClient,
        mut last_going: watch::Receiver<bool>,
    ) -> Option<SignedMessage> {
        let upload_wait = self.settings.upload_wait;
        if upload_wait.is_zero() {
            return None;
        }
        // Closed without turning true: the data's sending ended early (it failed).
        last_going.wait_for(|going| *going).await.ok()?;
        let expected = self.expected().await?;
        let (wait, timeout) = (self.settings.registration_wait, self.settings.request_timeout);
        match node.confirmation(&expected, wait, upload_wait, timeout).await {
            Ok(signed) => Some(signed),
            Err(error) => {
                let name = &self.committee.members()[member].name;
                tracing::debug!(node = %name, %error, "no confirmation as the slivers were stored; asking again");
                None
            }
        }
    }

    /// Sends the member its metadata and its slivers, together unless [`Settings::upload_wait`]
    /// is zero (`again`: after the node lost what it held; the progress counts them once),
    /// turning `all_sent` true as the last batch goes out.
    /// Whether the node held any of it until the registration.
    async fn send_data(
        &self,
        member: usize,
        node: &NodeClient,
        again: bool,
        all_sent: Option<&watch::Sender<bool>>,
    ) -> Result<bool, SourceFailure> {
        let timeout = self.settings.request_timeout;
        let held = std::sync::atomic::AtomicBool::new(false);
        let note = |accepted: Accepted| {
            if accepted == Accepted::Held {
                held.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        };
        let metadata = self.encoded.metadata();
        let upload_wait = self.settings.upload_wait;
        let metadata_sent = async {
            note(self.send(member, |registration| node.put_metadata(metadata, registration, timeout)).await?);
            self.clock.passed(member, 0);
            Ok::<_, SourceFailure>(())
        };
        // Without the wait, a node would refuse slivers that arrive before their metadata.
        let metadata_sent = if upload_wait.is_zero() {
            metadata_sent.await?;
            None
        } else {
            Some(metadata_sent)
        };

        let blob_id = *metadata.blob_id();
        let slivers: Vec<(SliverPairIndex, SliverType)> = self
            .committee
            .pairs_of_member(&blob_id, member)
            .into_iter()
            .flat_map(|pair| [(pair, SliverType::Primary), (pair, SliverType::Secondary)])
            .collect();
        // The member's slivers go in batches (one request for all of a small blob's).
        let batches = batch_ranges(slivers.iter().map(|(_, axis)| self.encoded.sliver_len(*axis)));
        let (count, built) = (batches.len(), std::sync::atomic::AtomicUsize::new(0));
        let built_one = || {
            if built.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1 == count
                && let Some(all_sent) = all_sent
            {
                all_sent.send_replace(true);
            }
        };
        // The requests are built up front (not in a stream combinator's closure) so the future
        // stays `Send` for any lifetime, as an axum handler needs.
        let requests: Vec<_> = batches
            .into_iter()
            .map(|range| {
                let batch = &slivers[range];
                let (note, built_one) = (&note, &built_one);
                async move {
                    // The semaphore is never closed, so acquiring only waits; a batch larger than
                    // the whole budget takes all of it.
                    let bytes: usize = batch.iter().map(|(_, axis)| self.encoded.sliver_len(*axis)).sum();
                    let kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX);
                    let kib = kib.min(u32::try_from(self.loaded_total).unwrap_or(u32::MAX)).max(1);
                    let _loaded = self.loaded.acquire_many(kib).await.ok();
                    let loaded = batch
                        .iter()
                        .map(|&(pair, axis)| {
                            let sliver = self.encoded.sliver(pair, axis);
                            sliver.map(|sliver| (pair, sliver)).map_err(|source| SourceFailure::SpillRead {
                                pair,
                                axis,
                                source,
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    // The body shares the slivers' bytes (no copy): a spilled sliver read into
                    // memory lives on in it, under the same `loaded` permits, until it is sent.
                    let body = SliverBatch::encode(loaded.iter().map(|(pair, sliver)| (*pair, sliver.as_ref())));
                    drop(loaded);
                    built_one();
                    note(
                        self.send(member, |registration| {
                            node.put_slivers(&blob_id, body.clone(), registration, upload_wait, timeout)
                        })
                        .await?,
                    );
                    if !again {
                        let count = batch.len() as u64;
                        let done = self.stored.fetch_add(count, std::sync::atomic::Ordering::Relaxed) + count;
                        self.progress.event(ProgressEvent::SliverStored { done, total: self.total_slivers });
                    }
                    Ok::<_, SourceFailure>(())
                }
            })
            .collect();
        let slivers_sent =
            futures::stream::iter(requests).buffer_unordered(self.settings.max_requests_per_node.max(1)).try_collect();
        match metadata_sent {
            Some(metadata_sent) => futures::try_join!(metadata_sent, slivers_sent).map(|((), ())| ())?,
            None => slivers_sent.await?,
        }
        if let Some(all_sent) = all_sent {
            // Also when there was no batch at all.
            all_sent.send_replace(true);
        }
        self.clock.passed(member, 1);
        Ok(held.load(std::sync::atomic::Ordering::Relaxed))
    }
}
