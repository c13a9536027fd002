//! The node's part in an epoch's challenges, as two duties: opening the window when its turn
//! comes ([`open_window`]), and the round itself once the window is open ([`run_round`]):
//! challenge every member, keep a signed verdict on each, then record outcomes on chain as
//! reporter or backup until every member's outcome is recorded or the epoch ends.

use std::{collections::BTreeSet, sync::Arc, time::Instant};

use floe_chain::floe::{CertificateBytes, state::CommitteeInfo};
use floe_encoder::{
    EncodingConfig, Epoch,
    certificate::CertificateError,
    challenge::EligibleBlobs,
    error::EncodeError,
    messages::{ChallengeOutcomeMessage, SignedMessage},
};
use floe_node_api::NodeClient;
use futures::StreamExt;

use super::{
    ChallengeSettings, answer_deadline_ms,
    challenger::{Deadline, Verdict, challenge, samples_of, targets},
    reporter::ready_outcomes,
    verdicts::Verdicts,
};
use crate::{
    chain_state::ChainState,
    chain_view::ChainView,
    node::StorageNode,
    operator::{Operator, OperatorError},
    store::StoreError,
};

/// An epoch's open challenge window, as its event told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The epoch.
    pub epoch: Epoch,
    /// The seed drawn from Sui's randomness.
    pub seed: [u8; 32],
    /// When it opened (chain time, ms).
    pub opened_at_ms: u64,
}

/// Why a challenge duty could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RoundError {
    /// Reading floe's state failed.
    #[error("reading the chain: {0}")]
    State(#[from] floe_chain::floe::state::StateError),
    /// A transaction failed.
    #[error(transparent)]
    Operator(#[from] OperatorError),
    /// The node's database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The committee is not one the encoding or certificates accept.
    #[error("the committee of epoch {epoch} cannot be used: {source}")]
    ShardCount {
        /// The epoch.
        epoch: Epoch,
        /// Why its shard count cannot encode.
        #[source]
        source: EncodeError,
    },
    /// The committee cannot weigh certificates of challenge outcomes.
    #[error("the committee of epoch {epoch} cannot be used: {source}")]
    Committee {
        /// The epoch.
        epoch: Epoch,
        /// Why.
        #[source]
        source: CertificateError,
    },
    /// A blocking task failed.
    #[error("challenge task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Opens `epoch`'s challenge window if it is still closed when this node's turn comes (the
/// member at position `epoch mod size` first, each next one [`ChallengeSettings::open_stagger`]
/// later). Returns whether this node opened it.
pub async fn open_window(
    node: &StorageNode,
    operator: &Operator,
    settings: &ChallengeSettings,
    epoch: Epoch,
) -> Result<bool, RoundError> {
    let reader = operator.reader();
    let committee = reader.committee().await?;
    let Some(position) = committee.position_of(&node.public_key()) else { return Ok(false) };
    if committee.epoch != epoch {
        return Ok(false);
    }
    let size = committee.members.len();
    let turn = (position + size - (epoch as usize % size)) % size;
    tokio::time::sleep(settings.open_stagger * u32::try_from(turn).unwrap_or(u32::MAX)).await;
    let staking = reader.staking().await?;
    if staking.epoch != epoch || (staking.challenges.epoch == epoch && staking.challenges.seed.is_some()) {
        return Ok(false);
    }
    match operator.execute(floe_chain::gas_budget::CALL, |builder, calls| calls.open_challenge_window(builder)).await {
        Ok(()) => Ok(true),
        // Another member opened it first, or the epoch moved on: nothing left to do.
        Err(error) if error.abort_code().is_some() => {
            tracing::debug!(epoch, %error, "challenge window not opened by this node");
            Ok(false)
        }
        Err(error) => Err(error.into()),
    }
}

/// The epoch's committee, and the previous one if the chain still has it.
async fn committees(
    operator: &Operator,
    epoch: Epoch,
) -> Result<Option<(CommitteeInfo, Option<CommitteeInfo>)>, RoundError> {
    let reader = operator.reader();
    let current = reader.committee().await?;
    if current.epoch != epoch {
        return Ok(None);
    }
    let previous = reader.previous_committee().await?.filter(|previous| previous.epoch + 1 == epoch);
    Ok(Some((current, previous)))
}

/// The round of `window`: challenges every member (keeping one signed verdict on each, so a
/// restart re-serves them), then records outcomes until all are recorded or the epoch is over.
pub async fn run_round(
    node: Arc<StorageNode>,
    state: Arc<ChainState>,
    operator: &Operator,
    http: &reqwest::Client,
    settings: &ChallengeSettings,
    window: Window,
) -> Result<(), RoundError> {
    let epoch = window.epoch;
    let Some((current, previous)) = committees(operator, epoch).await? else { return Ok(()) };
    let config = EncodingConfig::new(current.n_shards).map_err(|source| RoundError::ShardCount { epoch, source })?;
    let epoch_duration_ms = operator.reader().system().await?.epoch_duration_ms;
    let deadline_ms = answer_deadline_ms(window.opened_at_ms, epoch_duration_ms);
    let blobs = {
        let state = state.clone();
        EligibleBlobs::new(tokio::task::spawn_blocking(move || state.challengeable_blobs(epoch)).await?)
    };
    let verdicts = Verdicts::of(&node);
    let kept: BTreeSet<[u8; 32]> = verdicts
        .of_epoch(epoch)?
        .iter()
        .filter_map(|signed| ChallengeOutcomeMessage::from_bytes(&signed.serialized).ok())
        .map(|outcome| outcome.node_id)
        .collect();
    tracing::info!(epoch, blobs = blobs.len(), members = current.members.len(), "challenging the committee");

    // Verdicts are signed and served as each member is judged, and reporting runs alongside:
    // a member that answers nothing only delays its own outcome, not the others'.
    let to_challenge =
        targets(&current, previous.as_ref()).into_iter().filter(|target| !kept.contains(&target.node_id));
    let challenging = futures::stream::iter(to_challenge)
        .map(|target| {
            let (node, state, blobs, config, verdicts) = (&node, &state, &blobs, &config, &verdicts);
            async move {
                let samples = samples_of(&window.seed, &target, blobs, config.n_shards());
                let live = |blob_id: &floe_encoder::BlobId| {
                    state.blob_info(blob_id).is_some_and(|info| info.is_certified(epoch))
                };
                let deadline = Deadline { client: operator.client(), at_ms: deadline_ms, epoch, state };
                let member = NodeClient::for_node(http, &target.url, Some(&target.network_key));
                let verdict = challenge(&member, config, samples, settings, live, &deadline).await;
                if state.current_epoch() != epoch {
                    return;
                }
                let node_id = sui_sdk_types::Address::new(target.node_id);
                match &verdict {
                    Verdict::Passed => tracing::info!(epoch, node = %node_id, "challenge passed"),
                    Verdict::Failed(reason) => tracing::warn!(epoch, node = %node_id, %reason, "challenge failed"),
                }
                let outcome = ChallengeOutcomeMessage { epoch, node_id: target.node_id, passed: verdict.passed() };
                if let Err(error) = verdicts.keep(epoch, &target.node_id, node.sign_challenge_outcome(&outcome)) {
                    tracing::error!(epoch, node = %node_id, %error, "cannot keep a challenge verdict");
                }
            }
        })
        .buffer_unordered(settings.parallel_targets.max(1))
        .collect::<Vec<()>>();
    let reporting = report(&node, &state, operator, http, settings, &current, &verdicts);
    let (_, reported) = tokio::join!(challenging, reporting);
    reported
}

/// Records the outcome of every member whose verdict a quorum signed: this node first for the
/// member before it in committee order, as a backup for the others, each
/// [`ChallengeSettings::report_stagger`] later by its distance. Ends when every member's
/// outcome is recorded or the epoch is over.
async fn report(
    node: &StorageNode,
    state: &ChainState,
    operator: &Operator,
    http: &reqwest::Client,
    settings: &ChallengeSettings,
    committee: &CommitteeInfo,
    verdicts: &Verdicts,
) -> Result<(), RoundError> {
    let epoch = committee.epoch;
    let size = committee.members.len();
    let Some(own) = committee.position_of(&node.public_key()) else { return Ok(()) };
    let reader = operator.reader();
    let started = Instant::now();
    loop {
        if state.current_epoch() != epoch {
            return Ok(());
        }
        let staking = reader.staking().await?;
        if staking.epoch != epoch {
            return Ok(());
        }
        let recorded: BTreeSet<[u8; 32]> = if staking.challenges.epoch == epoch {
            staking.challenges.passed.iter().chain(&staking.challenges.failed).map(|id| id.into_inner()).collect()
        } else {
            BTreeSet::new()
        };
        let unrecorded: Vec<(usize, [u8; 32])> = committee
            .members
            .iter()
            .enumerate()
            .map(|(index, member)| (index, member.node_id.into_inner()))
            .filter(|(_, node_id)| !recorded.contains(node_id))
            .collect();
        if unrecorded.is_empty() {
            tracing::info!(epoch, "every member's challenge outcome is recorded");
            return Ok(());
        }
        // The member after X reports X first (distance 1); this node itself last.
        let due: Vec<[u8; 32]> = unrecorded
            .iter()
            .filter(|(index, _)| {
                let distance = match (own + size - index) % size {
                    0 => size,
                    distance => distance,
                };
                started.elapsed() >= settings.report_stagger * u32::try_from(distance - 1).unwrap_or(u32::MAX)
            })
            .map(|(_, node_id)| *node_id)
            .collect();
        if !due.is_empty() {
            let served = gather(committee, own, verdicts, &due, http, settings).await?;
            let ready = ready_outcomes(committee, epoch, &served, &due)
                .map_err(|source| RoundError::Committee { epoch, source })?;
            if !ready.is_empty() {
                let result = operator
                    .execute(floe_chain::gas_budget::CALL, |builder, calls| {
                        for outcome in &ready {
                            calls.record_challenge_outcome(builder, &CertificateBytes::from(&outcome.certificate));
                        }
                    })
                    .await;
                match result {
                    Ok(()) => tracing::info!(epoch, outcomes = ready.len(), "challenge outcomes recorded"),
                    // Someone recorded one of them first: the next look at the chain says which.
                    Err(error) => tracing::debug!(epoch, %error, "recording challenge outcomes failed"),
                }
            }
        }
        tokio::time::sleep(settings.report_poll).await;
    }
}

/// What every member serves of its verdicts (this node's own from its database; nothing from
/// a member that does not answer).
async fn gather(
    committee: &CommitteeInfo,
    own: usize,
    verdicts: &Verdicts,
    about: &[[u8; 32]],
    http: &reqwest::Client,
    settings: &ChallengeSettings,
) -> Result<Vec<Vec<SignedMessage>>, RoundError> {
    let epoch = committee.epoch;
    let size = committee.members.len();
    let own_verdicts = verdicts.of_epoch(epoch)?;
    let served = futures::future::join_all(committee.members.iter().enumerate().map(|(index, member)| {
        let own_verdicts = &own_verdicts;
        async move {
            if index == own {
                return own_verdicts.clone();
            }
            NodeClient::for_node(http, &member.http_url(), Some(&member.network_public_key))
                .challenge_outcomes(epoch, size, Some(about), settings.request_timeout)
                .await
                .unwrap_or_default()
        }
    }))
    .await;
    Ok(served)
}
