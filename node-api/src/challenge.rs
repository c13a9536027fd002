//! Storage challenges on the wire: anyone may ask a node for [`ChallengeSample`]s of what it
//! holds (`POST /v1/challenge`, BCS [`ChallengeRequest`] in, BCS [`ChallengeResponse`] out, one
//! [`SampleAnswer`] per sample in order); nodes publish their signed verdicts on the epoch's
//! challenges (`GET /v1/challenges/{epoch}/outcomes`, BCS `Vec<SignedMessage>` of
//! `ChallengeOutcomeMessage`s), from which any node aggregates a certificate for the chain.
//! The protocol itself is in `floe_encoder::challenge` and in the node's `challenges` module.

use floe_encoder::challenge::{ChallengeAnswer, ChallengeSample};
use serde::{Deserialize, Serialize};

/// The most samples one request may name: a node re-expands one sliver per sample, so this
/// bounds the work a single request can cause.
pub const MAX_CHALLENGE_SAMPLES: usize = 256;

/// The body of `POST /v1/challenge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeRequest {
    /// What to prove, at most [`MAX_CHALLENGE_SAMPLES`].
    pub samples: Vec<ChallengeSample>,
}

/// The node's answer to one sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SampleAnswer {
    /// The symbol with its proofs.
    Answered(ChallengeAnswer),
    /// The node does not hold the sliver (not stored, not its shard, or unknown blob).
    Missing,
}

/// The answer to `POST /v1/challenge`: one entry per sample, in the request's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeResponse {
    /// The answers.
    pub answers: Vec<SampleAnswer>,
}
