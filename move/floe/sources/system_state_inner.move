/// The state behind the `System` object (version 1): the committee of the current epoch,
/// capacity, prices and the future accounting; all storage and blob operations.
module floe::system_state_inner;

use floe::blob::{Self, Blob};
use floe::bls_aggregate::{Self, BlsCommittee};
use floe::epoch_parameters::EpochParams;
use floe::events;
use floe::messages;
use floe::storage_accounting::{Self, FutureAccountingRingBuffer};
use floe::storage_resource::{Self, Storage};
use sui::balance::Balance;
use sui::coin::Coin;
use wal::wal::WAL;

/// Storage is sold in units of 1 MiB of encoded size.
const BYTES_PER_UNIT_SIZE: u64 = 1_048_576;

/// The epoch range is empty, starts in the past or ends beyond the allowed horizon.
const EInvalidEpochsAhead: u64 = 0;
/// Not enough free capacity in one of the epochs asked for.
const EStorageExceeded: u64 = 1;
/// The payment coin holds less than the price.
const EInsufficientFunds: u64 = 2;
/// The new committee is not for the next epoch.
const EWrongCommitteeEpoch: u64 = 3;
/// The storage size is zero.
const EInvalidStorageSize: u64 = 4;

/// System state, version 1.
public struct SystemStateInnerV1 has store {
    committee: BlsCommittee,
    total_capacity_size: u64,
    used_capacity_size: u64,
    storage_price_per_unit_size: u64,
    write_price_per_unit_size: u64,
    epoch_duration_ms: u64,
    max_epochs_ahead: u32,
    future_accounting: FutureAccountingRingBuffer,
}

/// The state at epoch 0: no committee, no capacity until the first epoch change.
public(package) fun new(
    n_shards: u16,
    epoch_duration_ms: u64,
    max_epochs_ahead: u32,
): SystemStateInnerV1 {
    SystemStateInnerV1 {
        committee: bls_aggregate::empty_committee(0, n_shards),
        total_capacity_size: 0,
        used_capacity_size: 0,
        storage_price_per_unit_size: 0,
        write_price_per_unit_size: 0,
        epoch_duration_ms,
        max_epochs_ahead,
        future_accounting: storage_accounting::new(0, max_epochs_ahead + 1),
    }
}

/// The number of 1 MiB units that `encoded_size` bytes occupy (rounded up).
public fun storage_units(encoded_size: u64): u64 {
    encoded_size.divide_and_round_up(BYTES_PER_UNIT_SIZE)
}

/// Reserves `storage_amount` encoded bytes for [current epoch, current + epochs_ahead), paid
/// from `payment`.
public(package) fun reserve_space(
    self: &mut SystemStateInnerV1,
    storage_amount: u64,
    epochs_ahead: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): Storage {
    let start = self.epoch();
    self.reserve_space_for_epochs(storage_amount, start, start + epochs_ahead, payment, ctx)
}

/// Reserves `storage_amount` encoded bytes for [start_epoch, end_epoch), paid from `payment`:
/// storage price × units for each epoch, each epoch's share going to that epoch's rewards.
public(package) fun reserve_space_for_epochs(
    self: &mut SystemStateInnerV1,
    storage_amount: u64,
    start_epoch: u32,
    end_epoch: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): Storage {
    let current = self.epoch();
    assert!(storage_amount > 0, EInvalidStorageSize);
    assert!(
        start_epoch >= current && end_epoch > start_epoch && end_epoch - current <= self.max_epochs_ahead,
        EInvalidEpochsAhead,
    );
    let units = storage_units(storage_amount);
    let price_per_epoch = units * self.storage_price_per_unit_size;
    assert!(
        payment.value() >= price_per_epoch * ((end_epoch - start_epoch) as u64),
        EInsufficientFunds,
    );
    let mut epoch = start_epoch;
    while (epoch < end_epoch) {
        let capacity = self.total_capacity_size;
        let accounting = self.future_accounting.ring_lookup_mut(epoch - current);
        assert!(accounting.used_capacity() + storage_amount <= capacity, EStorageExceeded);
        accounting.increase_used_capacity(storage_amount);
        accounting.add_rewards(payment.balance_mut().split(price_per_epoch));
        epoch = epoch + 1;
    };
    if (start_epoch == current) {
        self.used_capacity_size = self.used_capacity_size + storage_amount;
    };
    storage_resource::create_storage(start_epoch, end_epoch, storage_amount, ctx)
}

/// Extends `storage` by `extended_epochs` past its end epoch, paid from `payment`.
public(package) fun extend_storage(
    self: &mut SystemStateInnerV1,
    storage: &mut Storage,
    extended_epochs: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
) {
    let start = storage.end_epoch();
    let extension = self.reserve_space_for_epochs(storage.size(), start, start + extended_epochs, payment, ctx);
    storage.fuse_periods(extension);
}

/// Registers a blob on `storage`; the write fee (write price × units) goes to the current
/// epoch's rewards.
public(package) fun register_blob(
    self: &mut SystemStateInnerV1,
    storage: Storage,
    blob_id: u256,
    root_hash: u256,
    size: u64,
    encoding_type: u8,
    deletable: bool,
    write_payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): Blob {
    let blob = blob::new(
        storage,
        blob_id,
        root_hash,
        size,
        encoding_type,
        deletable,
        self.epoch(),
        self.n_shards(),
        ctx,
    );
    let fee = storage_units(blob.encoded_size(self.n_shards())) * self.write_price_per_unit_size;
    assert!(write_payment.value() >= fee, EInsufficientFunds);
    self.future_accounting.ring_lookup_mut(0).add_rewards(write_payment.balance_mut().split(fee));
    blob
}

/// Certifies `blob` with a quorum certificate of the current committee.
public(package) fun certify_blob(
    self: &SystemStateInnerV1,
    blob: &mut Blob,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
) {
    let certified = self.committee.verify_quorum_in_epoch(signature, signers_bitmap, message);
    let message = messages::certify_blob_message(certified);
    blob.certify_with_certified_msg(self.epoch(), message);
}

/// Deletes a deletable blob and returns its storage.
public(package) fun delete_blob(self: &SystemStateInnerV1, blob: Blob): Storage {
    blob.delete(self.epoch())
}

/// Drops an expired blob object.
public(package) fun burn_expired_blob(self: &SystemStateInnerV1, blob: Blob) {
    blob.burn_expired(self.epoch())
}

/// Extends a certified blob with a reservation that starts where it ends.
public(package) fun extend_blob_with_resource(
    self: &SystemStateInnerV1,
    blob: &mut Blob,
    extension: Storage,
) {
    blob.extend_with_resource(extension, self.epoch());
}

/// Extends a certified blob by `extended_epochs`, buying the storage from `payment`.
public(package) fun extend_blob(
    self: &mut SystemStateInnerV1,
    blob: &mut Blob,
    extended_epochs: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
) {
    let start = blob.end_epoch();
    let size = blob.storage().size();
    let extension = self.reserve_space_for_epochs(size, start, start + extended_epochs, payment, ctx);
    blob.extend_with_resource(extension, self.epoch());
}

/// Records that `blob_id` is invalid, on a certificate of at least one correct node. Emits
/// `InvalidBlobID` and returns the blob id.
public(package) fun invalidate_blob_id(
    self: &SystemStateInnerV1,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
): u256 {
    let certified = self.committee.verify_one_correct_node_in_epoch(signature, signers_bitmap, message);
    let message = messages::invalid_blob_id_message(certified);
    let blob_id = message.invalid_blob_id();
    events::emit_invalid_blob_id(self.epoch(), blob_id);
    blob_id
}

/// Moves to the next epoch with `new_committee` and `params`; returns the rewards paid for the
/// epoch that ended. Capacity is never set below what is already sold.
public(package) fun advance_epoch(
    self: &mut SystemStateInnerV1,
    new_committee: BlsCommittee,
    params: &EpochParams,
): Balance<WAL> {
    assert!(new_committee.epoch() == self.epoch() + 1, EWrongCommitteeEpoch);
    self.committee = new_committee;
    let (_, _, rewards) = self.future_accounting.ring_pop_expand();
    self.used_capacity_size = self.future_accounting.ring_lookup(0).used_capacity();
    self.total_capacity_size = params.capacity().max(self.used_capacity_size);
    self.storage_price_per_unit_size = params.storage_price();
    self.write_price_per_unit_size = params.write_price();
    rewards
}

/// Adds `rewards` to the current epoch's rewards (leftovers roll over).
public(package) fun add_rewards_to_current_epoch(self: &mut SystemStateInnerV1, rewards: Balance<WAL>) {
    self.future_accounting.ring_lookup_mut(0).add_rewards(rewards);
}

// === Accessors ===

/// The current epoch.
public fun epoch(self: &SystemStateInnerV1): u32 { self.committee.epoch() }

/// The number of shards.
public fun n_shards(self: &SystemStateInnerV1): u16 { self.committee.n_shards() }

/// The committee of the current epoch.
public fun committee(self: &SystemStateInnerV1): &BlsCommittee { &self.committee }

/// Total capacity in encoded bytes.
public fun total_capacity_size(self: &SystemStateInnerV1): u64 { self.total_capacity_size }

/// Capacity sold for the current epoch.
public fun used_capacity_size(self: &SystemStateInnerV1): u64 { self.used_capacity_size }

/// Storage price per unit per epoch.
public fun storage_price_per_unit_size(self: &SystemStateInnerV1): u64 { self.storage_price_per_unit_size }

/// Write price per unit.
public fun write_price_per_unit_size(self: &SystemStateInnerV1): u64 { self.write_price_per_unit_size }

/// Epoch duration in milliseconds.
public fun epoch_duration_ms(self: &SystemStateInnerV1): u64 { self.epoch_duration_ms }

/// How many epochs ahead storage can be bought.
public fun max_epochs_ahead(self: &SystemStateInnerV1): u32 { self.max_epochs_ahead }

/// The future accounting.
public fun future_accounting(self: &SystemStateInnerV1): &FutureAccountingRingBuffer { &self.future_accounting }
