/// The on-chain half of storage challenges: one challenge window per epoch and the outcomes
/// the committee attests for it. The state lives in `StakingInnerV1` (its last field) and is
/// driven by `staking::open_challenge_window` and `staking::record_challenge_outcome`.
///
/// Rules:
/// - The window: once per epoch, from epoch 1 on and only after the epoch change is done
///   (`EpochChangeDone` or `NextParamsSelected`), anyone may open it. Opening draws a 32-byte seed
///   from Sui's on-chain randomness (`sui::random`, a generator over the current round's bytes
///   and the transaction's fresh object address), so nobody knows the seed before the opening
///   transaction runs. The seed and the clock time are recorded and `ChallengeWindowOpened` is
///   emitted. How the seed is expanded into (blob, sliver, symbol) samples and how nodes answer
///   and check them is off chain, documented by the storage node.
/// - Outcomes: a node's pass or failure for the epoch is recorded from a certificate signed by a
///   quorum (2f+1 shards) of the current committee over a `ChallengeOutcome` message (intent
///   type 4; body: node id, then one byte 1 = passed, 0 = failed), once per node and epoch, only
///   while a window is open in this epoch, and only for a node of the current committee.
///   `ChallengeOutcome` is emitted with the signers' shard weight.
/// - Rewards: at the epoch change, a node of the ended committee with a recorded failure for the
///   ended epoch gets no rewards for it: its share stays in the rewards balance and rolls over
///   into the new epoch's rewards (`RewardsWithheld` instead of `RewardsDistributed`); its pool
///   still advances, with nothing added. A node without a recorded outcome is paid as before: a
///   missing record never penalizes a node (an honest node must not lose rewards because the
///   others did not get around to attesting for it). A recorded pass changes nothing either.
/// - The state is reset at each epoch change: the new epoch, no seed, no outcomes.
module floe::challenges;

/// Length of a challenge seed, in bytes.
const SEED_LENGTH: u64 = 32;

/// The challenge state of one epoch.
public struct ChallengeState has store, drop {
    /// The epoch this state is about.
    epoch: u32,
    /// The 32-byte seed, once the window opened in this epoch.
    seed: Option<vector<u8>>,
    /// The clock time (ms) the window opened; 0 before.
    opened_at_ms: u64,
    /// Nodes with a quorum-attested pass in this epoch.
    passed: vector<ID>,
    /// Nodes with a quorum-attested failure in this epoch.
    failed: vector<ID>,
}

/// The state of `epoch` before its window opens.
public(package) fun new(epoch: u32): ChallengeState {
    ChallengeState { epoch, seed: option::none(), opened_at_ms: 0, passed: vector[], failed: vector[] }
}

/// Records the window's opening with `seed` at `now_ms`. The caller checks that it was not open.
public(package) fun open(self: &mut ChallengeState, seed: vector<u8>, now_ms: u64) {
    self.seed = option::some(seed);
    self.opened_at_ms = now_ms;
}

/// Records `node_id`'s outcome. The caller checks that none was recorded yet.
public(package) fun record(self: &mut ChallengeState, node_id: ID, passed: bool) {
    if (passed) self.passed.push_back(node_id) else self.failed.push_back(node_id)
}

/// Starts over for `epoch`: no seed, no outcomes.
public(package) fun reset(self: &mut ChallengeState, epoch: u32) {
    *self = new(epoch)
}

// === Accessors ===

/// The epoch this state is about.
public fun epoch(self: &ChallengeState): u32 { self.epoch }

/// The window's seed, once opened in this epoch.
public fun seed(self: &ChallengeState): Option<vector<u8>> { self.seed }

/// Whether the window opened in this epoch.
public fun is_open(self: &ChallengeState): bool { self.seed.is_some() }

/// The clock time (ms) the window opened; 0 before.
public fun opened_at_ms(self: &ChallengeState): u64 { self.opened_at_ms }

/// The nodes with a recorded pass, in recording order.
public fun passed(self: &ChallengeState): &vector<ID> { &self.passed }

/// The nodes with a recorded failure, in recording order.
public fun failed(self: &ChallengeState): &vector<ID> { &self.failed }

/// Whether `node_id` has a recorded outcome (pass or failure).
public fun is_recorded(self: &ChallengeState, node_id: &ID): bool {
    self.passed.contains(node_id) || self.failed.contains(node_id)
}

/// Whether `node_id` has a recorded failure: its rewards for this epoch are withheld.
public fun has_failed(self: &ChallengeState, node_id: &ID): bool { self.failed.contains(node_id) }

/// The length of a seed, in bytes.
public fun seed_length(): u64 { SEED_LENGTH }
