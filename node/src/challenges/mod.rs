//! Storage challenges: every epoch, every committee node proves to the others that it still
//! holds a random sample of what it was paid to keep, and the chain records who failed.
//!
//! # The protocol
//! 1. **The window.** Once an epoch's change is done (nodes holding a quorum of shards reported
//!    `epoch_sync_done`), a committee member calls `staking::open_challenge_window`, which draws a
//!    32-byte seed from Sui's on-chain randomness as that transaction executes: nobody can know
//!    it before. It is emitted in `ChallengeWindowOpened` and kept in the Staking object, so
//!    anyone can check it afterwards. The member at position `epoch mod size` of the committee
//!    opens at once; the others follow, each [`ChallengeSettings::open_stagger`] later than the
//!    one before it, only if the window is still closed.
//! 2. **The scope** of node X in epoch `e`: the blobs certified in an epoch before `e` that are
//!    live through `e` (end epoch after `e`, not deleted, not invalid), and the shards X holds in
//!    `e` *and* held in `e - 1`. A shard that moved at the epoch change is challenged from its
//!    second epoch with its new holder, and a blob certified during the epoch from the next one:
//!    nobody is challenged on data still migrating in or on a certification of the last moments.
//! 3. **The samples**: [`floe_encoder::challenge::draw_samples`] of the seed, X's node id, those
//!    blobs (sorted) and shards, [`SAMPLES_PER_NODE`] of them. A node holding 90% of its slivers
//!    fails with probability above 99.9% (the arithmetic is in that module).
//! 4. **Who challenges**: every member challenges every member, itself included, through the
//!    public route `POST /v1/challenge`, and checks each answer against the blob id alone
//!    ([`floe_encoder::challenge::ChallengeAnswer::verify`]). `floe audit` does the same for
//!    anyone, with samples of its own.
//! 5. **Answers until the deadline**: the window opening plus a quarter of the epoch, in chain
//!    time ([`answer_deadline_ms`]). A sample answered "missing", or not answered (the node is
//!    down or slow), is asked again with backoff until then: a node down for less than a quarter
//!    of an epoch after the window opened (6 hours of a 1-day epoch) — *briefly* — passes. A wrong
//!    answer (a proof that does not verify) fails at once: an honest node never sends one.
//!    Samples whose blob died meanwhile (deleted) are excused.
//! 6. **Verdicts**: each challenger signs `ChallengeOutcomeMessage { epoch, node_id, passed }`
//!    with its BLS key for every member and serves them at `GET /v1/challenges/{epoch}/outcomes`
//!    ([`verdicts`]).
//! 7. **Recording**: the member after X in committee order collects the verdicts on X from every
//!    member; once members holding a quorum of shards (2f+1) signed the same verdict, it
//!    aggregates them and calls `staking::record_challenge_outcome` ([`reporter`]). The others
//!    do the same as backups, each [`ChallengeSettings::report_stagger`] later by its distance.
//!    The chain checks the certificate; a recorded failure withholds X's rewards for the epoch
//!    (they roll over to the next epoch), and every outcome is an event the indexer keeps.
//!
//! Honest nodes are never penalized: an honest node answers every sample correctly, so no
//! quorum can sign its failure (at most f shards are faulty), and a node without a recorded
//! outcome is paid.

mod answer;
pub mod challenger;
pub mod reporter;
pub mod round;
pub mod verdicts;

use std::time::Duration;

pub use floe_encoder::challenge::SAMPLES_PER_NODE;

/// How long after the window opened, as a fraction of the epoch, challenged nodes may answer.
pub const ANSWER_WINDOW_DIVISOR: u64 = 4;

/// The chain time (ms) until which challenged nodes may answer: the window's opening plus a
/// quarter of the epoch.
pub fn answer_deadline_ms(opened_at_ms: u64, epoch_duration_ms: u64) -> u64 {
    opened_at_ms.saturating_add(epoch_duration_ms / ANSWER_WINDOW_DIVISOR)
}

/// How a node takes part in challenges.
#[derive(Debug, Clone)]
pub struct ChallengeSettings {
    /// Timeout of one challenge request.
    pub request_timeout: Duration,
    /// The first pause before asking unanswered samples again (doubling).
    pub retry_delay: Duration,
    /// The longest pause between asks.
    pub max_retry_delay: Duration,
    /// Members challenged at once.
    pub parallel_targets: usize,
    /// How much later each member in turn tries to open the window.
    pub open_stagger: Duration,
    /// How much later each backup reporter in turn records an outcome.
    pub report_stagger: Duration,
    /// How often the reporter looks for verdicts and recorded outcomes.
    pub report_poll: Duration,
}

impl Default for ChallengeSettings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            retry_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(10),
            parallel_targets: 8,
            open_stagger: Duration::from_secs(5),
            report_stagger: Duration::from_secs(10),
            report_poll: Duration::from_secs(2),
        }
    }
}
