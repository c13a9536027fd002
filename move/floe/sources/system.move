/// The `System` shared object: the entry point for storage and blobs. A thin facade over a
/// versioned inner state (`SystemStateInnerV1`) kept behind a dynamic field, so an upgrade can
/// swap the inner version without changing the object id dApps hold.
module floe::system;

use floe::blob::Blob;
use floe::bls_aggregate::BlsCommittee;
use floe::epoch_parameters::EpochParams;
use floe::storage_resource::Storage;
use floe::system_state_inner::{Self, SystemStateInnerV1};
use sui::balance::Balance;
use sui::coin::Coin;
use sui::dynamic_field;
use wal::wal::WAL;

/// The inner-state version this package reads and writes.
const VERSION: u64 = 1;

/// The object's inner state is of a version this package does not handle.
const EWrongVersion: u64 = 0;

/// The shared system object.
public struct System has key {
    id: UID,
    version: u64,
}

/// Creates the system at epoch 0 and shares it (called once, at initialization).
public(package) fun create_and_share(
    n_shards: u16,
    epoch_duration_ms: u64,
    max_epochs_ahead: u32,
    ctx: &mut TxContext,
): ID {
    let system = new(n_shards, epoch_duration_ms, max_epochs_ahead, ctx);
    let id = object::id(&system);
    transfer::share_object(system);
    id
}

fun new(n_shards: u16, epoch_duration_ms: u64, max_epochs_ahead: u32, ctx: &mut TxContext): System {
    let mut system = System { id: object::new(ctx), version: VERSION };
    dynamic_field::add(
        &mut system.id,
        VERSION,
        system_state_inner::new(n_shards, epoch_duration_ms, max_epochs_ahead),
    );
    system
}

// === Storage ===

/// Buys `storage_amount` encoded bytes for the current epoch and `epochs_ahead - 1` more.
public fun reserve_space(
    self: &mut System,
    storage_amount: u64,
    epochs_ahead: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): Storage {
    self.inner_mut().reserve_space(storage_amount, epochs_ahead, payment, ctx)
}

/// Buys `storage_amount` encoded bytes for [start_epoch, end_epoch).
public fun reserve_space_for_epochs(
    self: &mut System,
    storage_amount: u64,
    start_epoch: u32,
    end_epoch: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): Storage {
    self.inner_mut().reserve_space_for_epochs(storage_amount, start_epoch, end_epoch, payment, ctx)
}

/// Extends a reservation by `extended_epochs` past its end epoch, paying from `payment`.
public fun extend_storage(
    self: &mut System,
    storage: &mut Storage,
    extended_epochs: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
) {
    self.inner_mut().extend_storage(storage, extended_epochs, payment, ctx)
}

// === Blobs ===

/// Registers a blob on `storage`, paying the write fee from `write_payment`; returns the `Blob`.
public fun register_blob(
    self: &mut System,
    storage: Storage,
    blob_id: u256,
    root_hash: u256,
    size: u64,
    encoding_type: u8,
    deletable: bool,
    write_payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): Blob {
    self
        .inner_mut()
        .register_blob(storage, blob_id, root_hash, size, encoding_type, deletable, write_payment, ctx)
}

/// Certifies `blob` with an aggregated BLS certificate of a quorum of the current committee.
public fun certify_blob(
    self: &System,
    blob: &mut Blob,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
) {
    self.inner().certify_blob(blob, signature, signers_bitmap, message)
}

/// Deletes a deletable blob before it expires and returns its storage for reuse.
public fun delete_blob(self: &System, blob: Blob): Storage {
    self.inner().delete_blob(blob)
}

/// Drops an expired blob object.
public fun burn_expired_blob(self: &System, blob: Blob) {
    self.inner().burn_expired_blob(blob)
}

/// Extends a certified blob with a reservation starting at its end epoch, of its size.
public fun extend_blob_with_resource(self: &System, blob: &mut Blob, extension: Storage) {
    self.inner().extend_blob_with_resource(blob, extension)
}

/// Extends a certified blob by `extended_epochs`, paying from `payment`.
public fun extend_blob(
    self: &mut System,
    blob: &mut Blob,
    extended_epochs: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
) {
    self.inner_mut().extend_blob(blob, extended_epochs, payment, ctx)
}

/// Records an invalid blob id from a certificate of at least one correct node; returns it.
public fun invalidate_blob_id(
    self: &System,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
): u256 {
    self.inner().invalidate_blob_id(signature, signers_bitmap, message)
}

// === Epochs (driven by the Staking object) ===

/// Moves to the next epoch; returns the ended epoch's rewards.
public(package) fun advance_epoch(
    self: &mut System,
    new_committee: BlsCommittee,
    params: &EpochParams,
): Balance<WAL> {
    self.inner_mut().advance_epoch(new_committee, params)
}

/// Rolls undistributed rewards over into the current epoch.
public(package) fun add_rewards_to_current_epoch(self: &mut System, rewards: Balance<WAL>) {
    self.inner_mut().add_rewards_to_current_epoch(rewards)
}

// === Reads ===

/// The current epoch.
public fun epoch(self: &System): u32 { self.inner().epoch() }

/// The number of shards.
public fun n_shards(self: &System): u16 { self.inner().n_shards() }

/// The committee of the current epoch.
public fun committee(self: &System): &BlsCommittee { self.inner().committee() }

/// Total capacity in encoded bytes.
public fun total_capacity_size(self: &System): u64 { self.inner().total_capacity_size() }

/// Capacity sold for the current epoch.
public fun used_capacity_size(self: &System): u64 { self.inner().used_capacity_size() }

/// Storage price (FROST per 1 MiB unit per epoch).
public fun storage_price_per_unit_size(self: &System): u64 { self.inner().storage_price_per_unit_size() }

/// Write price (FROST per 1 MiB unit).
public fun write_price_per_unit_size(self: &System): u64 { self.inner().write_price_per_unit_size() }

/// Epoch duration in milliseconds.
public fun epoch_duration_ms(self: &System): u64 { self.inner().epoch_duration_ms() }

/// How many epochs ahead storage can be bought.
public fun max_epochs_ahead(self: &System): u32 { self.inner().max_epochs_ahead() }

/// The inner state, read only.
public fun inner(self: &System): &SystemStateInnerV1 {
    assert!(self.version == VERSION, EWrongVersion);
    dynamic_field::borrow(&self.id, VERSION)
}

fun inner_mut(self: &mut System): &mut SystemStateInnerV1 {
    assert!(self.version == VERSION, EWrongVersion);
    dynamic_field::borrow_mut(&mut self.id, VERSION)
}

#[test_only]
/// A system at epoch 0, not shared.
public fun new_for_testing(
    n_shards: u16,
    epoch_duration_ms: u64,
    max_epochs_ahead: u32,
    ctx: &mut TxContext,
): System {
    new(n_shards, epoch_duration_ms, max_epochs_ahead, ctx)
}

#[test_only]
/// Destroys a test system (its balances must be accounted for by the test).
public fun destroy_for_testing(self: System) {
    std::unit_test::destroy(self)
}

#[test_only]
/// Sets the object's version, to test the version check.
public fun set_version_for_testing(self: &mut System, version: u64) {
    self.version = version
}
