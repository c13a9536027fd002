//! Auditing a storage node as any user can: challenge it now with samples nobody could predict
//! and check every answer against the blob ids alone.
//!
//! The samples are drawn exactly as the committee's own challenges draw them
//! ([`floe_encoder::challenge::draw_samples`] over the node's current shards and a list of blobs
//! it must hold), but from a seed of fresh OS randomness instead of the chain's challenge seed,
//! so the node cannot have prepared for them. The answers come from the node's public
//! `POST /v1/challenge` route, in batches of at most [`MAX_CHALLENGE_SAMPLES`], and each is
//! checked with [`ChallengeAnswer::verify`]: no metadata download and no trust in the node or in
//! whoever listed the blobs (a blob id that was never stored simply comes back missing).
//!
//! An audit records facts for the user; it changes nothing on chain. Only the committee's
//! quorum-certified outcomes withhold rewards.
//!
//! [`ChallengeAnswer::verify`]: floe_encoder::challenge::ChallengeAnswer::verify

use std::fmt;
use std::time::Duration;

use floe_encoder::challenge::{ChallengeSample, EligibleBlobs, draw_samples};
use floe_encoder::{Epoch, SliverType};
use floe_node_api::challenge::MAX_CHALLENGE_SAMPLES;
use floe_node_api::{NodeApiError, SampleAnswer};
use rand::RngCore;
use serde::Serialize;

use crate::committee::{NodeId, StorageCommittee};

/// How long one batch of samples may take to be answered by default: the node re-expands one
/// sliver per sample, a fraction of a second each.
pub const DEFAULT_BATCH_TIMEOUT: Duration = Duration::from_secs(60);

/// Why an audit could not be run at all (a node that answers badly is a finding, not an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// The node is not in the current committee, so it holds nothing it could be asked for.
    #[error("node {node_id} is not a member of the epoch {epoch} committee; its members are: {}", .members.join(", "))]
    NotAMember {
        /// The node asked for.
        node_id: String,
        /// The committee's epoch.
        epoch: Epoch,
        /// Each member as `name (0x...)`.
        members: Vec<String>,
    },
    /// The member holds no shard this epoch.
    #[error("node {node_id} holds no shards in epoch {epoch}: there is nothing to challenge")]
    NoShards {
        /// The node.
        node_id: String,
        /// The committee's epoch.
        epoch: Epoch,
    },
    /// No blob to draw samples from.
    #[error("no certified live blob to challenge the node with")]
    NoBlobs,
}

/// What became of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleResult {
    /// Answered, and the answer proves into the blob id.
    Valid,
    /// The node said it does not hold the sliver.
    Missing,
    /// The node answered, but not with a proof of the sampled symbol.
    Invalid,
    /// The node could not be reached for this sample's batch.
    Unreachable,
}

impl SampleResult {
    /// The word the text report uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Missing => "missing",
            Self::Invalid => "invalid",
            Self::Unreachable => "unreachable",
        }
    }
}

/// One sample and what the node made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SampleReport {
    /// The blob (base64url).
    pub blob_id: String,
    /// The node's shard sampled.
    pub shard: u16,
    /// The sliver's axis (`Primary` or `Secondary` in JSON).
    pub axis: SliverType,
    /// The symbol's position in the sliver's expansion.
    pub symbol: u16,
    /// The outcome.
    pub result: SampleResult,
    /// Why it is not valid: the verification error, or the transport or protocol error of the
    /// batch.
    pub reason: Option<String>,
}

/// Everything an audit found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// The audited node (0x hex).
    pub node_id: String,
    /// Its name on chain.
    pub name: String,
    /// The URL it was asked at.
    pub url: String,
    /// The committee's epoch.
    pub epoch: Epoch,
    /// The node's shards this epoch.
    pub shards: Vec<u16>,
    /// How many distinct blobs the samples were drawn from.
    pub eligible_blobs: usize,
    /// The seed the samples were drawn from (hex), to reproduce the draw.
    pub seed: String,
    /// Samples sent.
    pub samples: usize,
    /// Samples answered with a valid proof.
    pub valid: usize,
    /// Samples the node said it does not hold.
    pub missing: usize,
    /// Samples answered with something that does not prove the symbol.
    pub invalid: usize,
    /// Samples whose batch got no answer.
    pub unreachable: usize,
    /// Each sample, in the order drawn.
    pub results: Vec<SampleReport>,
}

impl AuditReport {
    /// Whether every sample was answered with a valid proof.
    pub fn passed(&self) -> bool {
        self.valid == self.samples
    }
}

/// Challenges `node_id` of `committee` with `count` samples over `blobs`, drawn from a fresh
/// random seed, and verifies every answer. Each batch of at most [`MAX_CHALLENGE_SAMPLES`]
/// may take `timeout`.
pub async fn audit(
    http: &reqwest::Client,
    committee: &StorageCommittee,
    node_id: &NodeId,
    blobs: &EligibleBlobs,
    count: usize,
    timeout: Duration,
) -> Result<AuditReport, AuditError> {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    audit_with_seed(http, committee, node_id, blobs, count, timeout, seed).await
}

/// [`audit`] with a given seed: the same seed, committee and blobs draw the same samples, which
/// reproduces an audit (a seed the node could know in advance proves nothing, though).
pub async fn audit_with_seed(
    http: &reqwest::Client,
    committee: &StorageCommittee,
    node_id: &NodeId,
    blobs: &EligibleBlobs,
    count: usize,
    timeout: Duration,
    seed: [u8; 32],
) -> Result<AuditReport, AuditError> {
    let epoch = committee.epoch();
    let Some(member) = committee.members().iter().find(|m| &m.node_id == node_id) else {
        return Err(AuditError::NotAMember {
            node_id: hex_id(node_id),
            epoch,
            members: committee.members().iter().map(|m| format!("{} ({})", m.name, hex_id(&m.node_id))).collect(),
        });
    };
    if member.shards.is_empty() {
        return Err(AuditError::NoShards { node_id: hex_id(node_id), epoch });
    }
    if blobs.is_empty() {
        return Err(AuditError::NoBlobs);
    }
    let config = committee.config();
    let samples = draw_samples(&seed, node_id, blobs, &member.shards, committee.n_shards(), count);
    let node = member.client(http);
    let mut results = Vec::with_capacity(samples.len());
    for batch in samples.chunks(MAX_CHALLENGE_SAMPLES) {
        match node.challenge(batch, timeout).await {
            Ok(answers) => {
                for (sample, answer) in batch.iter().zip(answers) {
                    let (result, reason) = match answer {
                        SampleAnswer::Answered(answer) => match answer.verify(config, sample) {
                            Ok(()) => (SampleResult::Valid, None),
                            Err(error) => (SampleResult::Invalid, Some(error.to_string())),
                        },
                        SampleAnswer::Missing => (SampleResult::Missing, None),
                    };
                    results.push(sample_report(sample, result, reason));
                }
            }
            Err(error) => {
                // No answer at all is unreachable; an answer that is not a valid response
                // (error status, undecodable, wrong count) fails every sample it covers.
                let result = match error {
                    NodeApiError::Transport { .. } => SampleResult::Unreachable,
                    _ => SampleResult::Invalid,
                };
                let reason = error.to_string();
                results.extend(batch.iter().map(|s| sample_report(s, result, Some(reason.clone()))));
            }
        }
    }
    let counted = |wanted: SampleResult| results.iter().filter(|r| r.result == wanted).count();
    Ok(AuditReport {
        node_id: hex_id(node_id),
        name: member.name.clone(),
        url: member.url.clone(),
        epoch,
        shards: member.shards.iter().map(|s| s.0).collect(),
        eligible_blobs: blobs.len(),
        seed: hex_bytes(&seed),
        samples: results.len(),
        valid: counted(SampleResult::Valid),
        missing: counted(SampleResult::Missing),
        invalid: counted(SampleResult::Invalid),
        unreachable: counted(SampleResult::Unreachable),
        results,
    })
}

fn sample_report(sample: &ChallengeSample, result: SampleResult, reason: Option<String>) -> SampleReport {
    SampleReport {
        blob_id: sample.blob_id.to_string(),
        shard: sample.shard.0,
        axis: sample.axis,
        symbol: sample.symbol,
        result,
        reason,
    }
}

fn hex_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_id(node_id: &NodeId) -> String {
    format!("0x{}", hex_bytes(node_id))
}

impl fmt::Display for AuditReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "audit of {} ({}) at {}, epoch {}", self.name, self.node_id, self.url, self.epoch)?;
        writeln!(
            f,
            "{} samples over {} shards and {} blobs (seed {})",
            self.samples,
            self.shards.len(),
            self.eligible_blobs,
            self.seed
        )?;
        write!(
            f,
            "valid {}, missing {}, invalid {}, unreachable {}: {}",
            self.valid,
            self.missing,
            self.invalid,
            self.unreachable,
            if self.passed() { "PASSED" } else { "FAILED" }
        )?;
        for sample in self.results.iter().filter(|r| r.result != SampleResult::Valid) {
            write!(
                f,
                "\n  {} {} shard {} {} symbol {}",
                sample.result.as_str(),
                sample.blob_id,
                sample.shard,
                sample.axis,
                sample.symbol
            )?;
            if let Some(reason) = &sample.reason {
                write!(f, ": {reason}")?;
            }
        }
        Ok(())
    }
}
