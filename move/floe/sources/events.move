/// Every event floe emits, in one place. Each event carries the epoch it was emitted in.
module floe::events;

use sui::event;

// === Blob events ===

/// A blob was registered: nodes may accept its metadata and slivers.
public struct BlobRegistered has copy, drop {
    epoch: u32,
    blob_id: u256,
    size: u64,
    encoding_type: u8,
    end_epoch: u32,
    deletable: bool,
    object_id: ID,
}

/// A blob was certified (point of availability), or a certified blob's lifetime was extended
/// (`is_extension`, with the new `end_epoch`).
public struct BlobCertified has copy, drop {
    epoch: u32,
    blob_id: u256,
    end_epoch: u32,
    deletable: bool,
    object_id: ID,
    is_extension: bool,
}

/// A deletable blob was deleted; nodes may drop its slivers unless another object holds it.
public struct BlobDeleted has copy, drop {
    epoch: u32,
    blob_id: u256,
    end_epoch: u32,
    object_id: ID,
    was_certified: bool,
}

/// A blob id was shown to be inconsistently encoded (certified by at least one correct node).
public struct InvalidBlobID has copy, drop {
    epoch: u32,
    blob_id: u256,
}

/// A certified blob was wrapped in a `SharedBlob` (object `object_id`), which anyone can fund
/// and extend. Sharing needs no `System`, so unlike the others this event carries no epoch; the
/// blob keeps its object id and end epoch, and later extensions emit `BlobCertified` as for
/// any blob.
public struct BlobShared has copy, drop {
    object_id: ID,
    blob_object_id: ID,
    blob_id: u256,
    end_epoch: u32,
    funds: u64,
}

// === Epoch events ===

/// The epoch change to `epoch` started: the new committee is in charge; nodes move shards.
public struct EpochChangeStart has copy, drop {
    epoch: u32,
}

/// Nodes holding a quorum of shards have received theirs: the epoch change is done.
public struct EpochChangeDone has copy, drop {
    epoch: u32,
}

/// A node reported it holds its shards for `epoch`.
public struct ShardsReceived has copy, drop {
    epoch: u32,
    node_id: ID,
    shards: vector<u16>,
}

/// The committee and parameters of `next_epoch` were selected.
public struct EpochParametersSelected has copy, drop {
    epoch: u32,
    next_epoch: u32,
    total_capacity_size: u64,
    storage_price_per_unit_size: u64,
    write_price_per_unit_size: u64,
}

// === Staking events ===

/// A node registered as a committee candidate; its staking pool's id is its node id.
public struct StakingPoolRegistered has copy, drop {
    epoch: u32,
    node_id: ID,
    commission_rate: u16,
}

/// WAL was staked with a node.
public struct Staked has copy, drop {
    epoch: u32,
    node_id: ID,
    staked_wal_id: ID,
    amount: u64,
    activation_epoch: u32,
}

/// A staker asked to withdraw; the stake can be withdrawn from `withdraw_epoch` on.
public struct WithdrawalRequested has copy, drop {
    epoch: u32,
    node_id: ID,
    staked_wal_id: ID,
    principal: u64,
    withdraw_epoch: u32,
}

/// Stake was withdrawn: `amount` = principal + rewards.
public struct Withdrawn has copy, drop {
    epoch: u32,
    node_id: ID,
    staked_wal_id: ID,
    principal: u64,
    amount: u64,
}

/// A node's commission was collected by its capability holder.
public struct CommissionCollected has copy, drop {
    epoch: u32,
    node_id: ID,
    amount: u64,
}

/// The rewards of the epoch before `epoch` were paid to a pool (`commission` of them to the
/// node, the rest to its stakers).
public struct RewardsDistributed has copy, drop {
    epoch: u32,
    node_id: ID,
    amount: u64,
    commission: u64,
}

/// A node's share of the ended `epoch`'s rewards was withheld because a quorum attested that it
/// failed its storage challenges in that epoch; `amount` rolls over into the next epoch's rewards.
public struct RewardsWithheld has copy, drop {
    epoch: u32,
    node_id: ID,
    amount: u64,
}

// === Storage challenge events ===

/// The storage challenge window of `epoch` opened with `seed` (32 bytes from Sui's randomness)
/// at clock time `opened_at_ms`.
public struct ChallengeWindowOpened has copy, drop {
    epoch: u32,
    seed: vector<u8>,
    opened_at_ms: u64,
}

/// A quorum attested `node_id`'s challenge outcome for `epoch`; `stake_support` is the signers'
/// shard weight.
public struct ChallengeOutcome has copy, drop {
    epoch: u32,
    node_id: ID,
    passed: bool,
    stake_support: u16,
}

// === Emitters ===

public(package) fun emit_blob_registered(
    epoch: u32,
    blob_id: u256,
    size: u64,
    encoding_type: u8,
    end_epoch: u32,
    deletable: bool,
    object_id: ID,
) {
    event::emit(BlobRegistered { epoch, blob_id, size, encoding_type, end_epoch, deletable, object_id })
}

public(package) fun emit_blob_certified(
    epoch: u32,
    blob_id: u256,
    end_epoch: u32,
    deletable: bool,
    object_id: ID,
    is_extension: bool,
) {
    event::emit(BlobCertified { epoch, blob_id, end_epoch, deletable, object_id, is_extension })
}

public(package) fun emit_blob_deleted(
    epoch: u32,
    blob_id: u256,
    end_epoch: u32,
    object_id: ID,
    was_certified: bool,
) {
    event::emit(BlobDeleted { epoch, blob_id, end_epoch, object_id, was_certified })
}

public(package) fun emit_invalid_blob_id(epoch: u32, blob_id: u256) {
    event::emit(InvalidBlobID { epoch, blob_id })
}

public(package) fun emit_blob_shared(
    object_id: ID,
    blob_object_id: ID,
    blob_id: u256,
    end_epoch: u32,
    funds: u64,
) {
    event::emit(BlobShared { object_id, blob_object_id, blob_id, end_epoch, funds })
}

public(package) fun emit_epoch_change_start(epoch: u32) {
    event::emit(EpochChangeStart { epoch })
}

public(package) fun emit_epoch_change_done(epoch: u32) {
    event::emit(EpochChangeDone { epoch })
}

public(package) fun emit_shards_received(epoch: u32, node_id: ID, shards: vector<u16>) {
    event::emit(ShardsReceived { epoch, node_id, shards })
}

public(package) fun emit_epoch_parameters_selected(
    epoch: u32,
    next_epoch: u32,
    total_capacity_size: u64,
    storage_price_per_unit_size: u64,
    write_price_per_unit_size: u64,
) {
    event::emit(EpochParametersSelected {
        epoch,
        next_epoch,
        total_capacity_size,
        storage_price_per_unit_size,
        write_price_per_unit_size,
    })
}

public(package) fun emit_staking_pool_registered(epoch: u32, node_id: ID, commission_rate: u16) {
    event::emit(StakingPoolRegistered { epoch, node_id, commission_rate })
}

public(package) fun emit_staked(
    epoch: u32,
    node_id: ID,
    staked_wal_id: ID,
    amount: u64,
    activation_epoch: u32,
) {
    event::emit(Staked { epoch, node_id, staked_wal_id, amount, activation_epoch })
}

public(package) fun emit_withdrawal_requested(
    epoch: u32,
    node_id: ID,
    staked_wal_id: ID,
    principal: u64,
    withdraw_epoch: u32,
) {
    event::emit(WithdrawalRequested { epoch, node_id, staked_wal_id, principal, withdraw_epoch })
}

public(package) fun emit_withdrawn(
    epoch: u32,
    node_id: ID,
    staked_wal_id: ID,
    principal: u64,
    amount: u64,
) {
    event::emit(Withdrawn { epoch, node_id, staked_wal_id, principal, amount })
}

public(package) fun emit_commission_collected(epoch: u32, node_id: ID, amount: u64) {
    event::emit(CommissionCollected { epoch, node_id, amount })
}

public(package) fun emit_rewards_distributed(epoch: u32, node_id: ID, amount: u64, commission: u64) {
    event::emit(RewardsDistributed { epoch, node_id, amount, commission })
}

public(package) fun emit_rewards_withheld(epoch: u32, node_id: ID, amount: u64) {
    event::emit(RewardsWithheld { epoch, node_id, amount })
}

public(package) fun emit_challenge_window_opened(epoch: u32, seed: vector<u8>, opened_at_ms: u64) {
    event::emit(ChallengeWindowOpened { epoch, seed, opened_at_ms })
}

public(package) fun emit_challenge_outcome(epoch: u32, node_id: ID, passed: bool, stake_support: u16) {
    event::emit(ChallengeOutcome { epoch, node_id, passed, stake_support })
}

// === Test-only constructors, to compare emitted events ===

#[test_only]
public fun blob_registered(
    epoch: u32,
    blob_id: u256,
    size: u64,
    encoding_type: u8,
    end_epoch: u32,
    deletable: bool,
    object_id: ID,
): BlobRegistered {
    BlobRegistered { epoch, blob_id, size, encoding_type, end_epoch, deletable, object_id }
}

#[test_only]
public fun blob_certified(
    epoch: u32,
    blob_id: u256,
    end_epoch: u32,
    deletable: bool,
    object_id: ID,
    is_extension: bool,
): BlobCertified {
    BlobCertified { epoch, blob_id, end_epoch, deletable, object_id, is_extension }
}

#[test_only]
public fun blob_deleted(
    epoch: u32,
    blob_id: u256,
    end_epoch: u32,
    object_id: ID,
    was_certified: bool,
): BlobDeleted {
    BlobDeleted { epoch, blob_id, end_epoch, object_id, was_certified }
}

#[test_only]
public fun blob_shared(object_id: ID, blob_object_id: ID, blob_id: u256, end_epoch: u32, funds: u64): BlobShared {
    BlobShared { object_id, blob_object_id, blob_id, end_epoch, funds }
}

#[test_only]
public fun invalid_blob_id(epoch: u32, blob_id: u256): InvalidBlobID {
    InvalidBlobID { epoch, blob_id }
}

#[test_only]
public fun epoch_change_start(epoch: u32): EpochChangeStart { EpochChangeStart { epoch } }

#[test_only]
public fun epoch_change_done(epoch: u32): EpochChangeDone { EpochChangeDone { epoch } }

#[test_only]
public fun shards_received(epoch: u32, node_id: ID, shards: vector<u16>): ShardsReceived {
    ShardsReceived { epoch, node_id, shards }
}

#[test_only]
public fun epoch_parameters_selected(
    epoch: u32,
    next_epoch: u32,
    total_capacity_size: u64,
    storage_price_per_unit_size: u64,
    write_price_per_unit_size: u64,
): EpochParametersSelected {
    EpochParametersSelected { epoch, next_epoch, total_capacity_size, storage_price_per_unit_size, write_price_per_unit_size }
}

#[test_only]
public fun staked(epoch: u32, node_id: ID, staked_wal_id: ID, amount: u64, activation_epoch: u32): Staked {
    Staked { epoch, node_id, staked_wal_id, amount, activation_epoch }
}

#[test_only]
public fun withdrawal_requested(
    epoch: u32,
    node_id: ID,
    staked_wal_id: ID,
    principal: u64,
    withdraw_epoch: u32,
): WithdrawalRequested {
    WithdrawalRequested { epoch, node_id, staked_wal_id, principal, withdraw_epoch }
}

#[test_only]
public fun withdrawn(epoch: u32, node_id: ID, staked_wal_id: ID, principal: u64, amount: u64): Withdrawn {
    Withdrawn { epoch, node_id, staked_wal_id, principal, amount }
}

#[test_only]
public fun commission_collected(epoch: u32, node_id: ID, amount: u64): CommissionCollected {
    CommissionCollected { epoch, node_id, amount }
}

#[test_only]
public fun rewards_distributed(epoch: u32, node_id: ID, amount: u64, commission: u64): RewardsDistributed {
    RewardsDistributed { epoch, node_id, amount, commission }
}

#[test_only]
public fun staking_pool_registered(epoch: u32, node_id: ID, commission_rate: u16): StakingPoolRegistered {
    StakingPoolRegistered { epoch, node_id, commission_rate }
}

#[test_only]
public fun rewards_withheld(epoch: u32, node_id: ID, amount: u64): RewardsWithheld {
    RewardsWithheld { epoch, node_id, amount }
}

#[test_only]
public fun challenge_window_opened(epoch: u32, seed: vector<u8>, opened_at_ms: u64): ChallengeWindowOpened {
    ChallengeWindowOpened { epoch, seed, opened_at_ms }
}

#[test_only]
public fun challenge_outcome(epoch: u32, node_id: ID, passed: bool, stake_support: u16): ChallengeOutcome {
    ChallengeOutcome { epoch, node_id, passed, stake_support }
}

#[test_only]
/// The seed of a `ChallengeWindowOpened` event.
public fun challenge_window_opened_seed(self: &ChallengeWindowOpened): vector<u8> { self.seed }
