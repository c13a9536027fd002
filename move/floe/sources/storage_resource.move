/// `Storage`: a reservation of encoded bytes for a range of epochs, bought from the system and
/// consumed by registering a blob. Reservations can be split and fused.
module floe::storage_resource;

/// The split epoch is not strictly inside the reservation's epochs.
const ESplitEpochOutOfRange: u64 = 0;
/// The split size is zero or not smaller than the reservation's size.
const ESplitSizeOutOfRange: u64 = 1;
/// The two reservations' epochs are neither equal nor adjacent.
const EIncompatibleEpochs: u64 = 2;
/// Reservations with different epochs must have the same size to be fused.
const EIncompatibleAmount: u64 = 3;

/// A reservation of `storage_size` encoded bytes from `start_epoch` (inclusive) to `end_epoch`
/// (exclusive).
public struct Storage has key, store {
    id: UID,
    start_epoch: u32,
    end_epoch: u32,
    storage_size: u64,
}

/// Creates a reservation; only the system does, after payment.
public(package) fun create_storage(
    start_epoch: u32,
    end_epoch: u32,
    storage_size: u64,
    ctx: &mut TxContext,
): Storage {
    Storage { id: object::new(ctx), start_epoch, end_epoch, storage_size }
}

/// The first epoch covered.
public fun start_epoch(self: &Storage): u32 { self.start_epoch }

/// The first epoch no longer covered.
public fun end_epoch(self: &Storage): u32 { self.end_epoch }

/// The reserved encoded bytes.
public fun size(self: &Storage): u64 { self.storage_size }

/// Splits off the epochs from `split_epoch` on: `self` keeps [start, split_epoch), the returned
/// reservation covers [split_epoch, end) with the same size.
public fun split_by_epoch(self: &mut Storage, split_epoch: u32, ctx: &mut TxContext): Storage {
    assert!(
        split_epoch > self.start_epoch && split_epoch < self.end_epoch,
        ESplitEpochOutOfRange,
    );
    let end_epoch = self.end_epoch;
    self.end_epoch = split_epoch;
    Storage { id: object::new(ctx), start_epoch: split_epoch, end_epoch, storage_size: self.storage_size }
}

/// Splits off `split_size` bytes: the returned reservation has `split_size`, `self` keeps the
/// rest, both over the same epochs.
public fun split_by_size(self: &mut Storage, split_size: u64, ctx: &mut TxContext): Storage {
    assert!(split_size > 0 && split_size < self.storage_size, ESplitSizeOutOfRange);
    self.storage_size = self.storage_size - split_size;
    Storage {
        id: object::new(ctx),
        start_epoch: self.start_epoch,
        end_epoch: self.end_epoch,
        storage_size: split_size,
    }
}

/// Fuses two reservations of the same size over adjacent epoch ranges (either order).
public fun fuse_periods(self: &mut Storage, other: Storage) {
    let Storage { id, start_epoch, end_epoch, storage_size } = other;
    id.delete();
    assert!(self.storage_size == storage_size, EIncompatibleAmount);
    if (self.end_epoch == start_epoch) {
        self.end_epoch = end_epoch;
    } else {
        assert!(end_epoch == self.start_epoch, EIncompatibleEpochs);
        self.start_epoch = start_epoch;
    }
}

/// Fuses two reservations over the same epochs by adding their sizes.
public fun fuse_amount(self: &mut Storage, other: Storage) {
    let Storage { id, start_epoch, end_epoch, storage_size } = other;
    id.delete();
    assert!(self.start_epoch == start_epoch && self.end_epoch == end_epoch, EIncompatibleEpochs);
    self.storage_size = self.storage_size + storage_size;
}

/// Fuses two reservations: sizes add up when the epochs are equal, otherwise the epoch ranges
/// join (which needs equal sizes and adjacent ranges).
public fun fuse(self: &mut Storage, other: Storage) {
    if (self.start_epoch == other.start_epoch && self.end_epoch == other.end_epoch) {
        self.fuse_amount(other)
    } else {
        self.fuse_periods(other)
    }
}

/// Drops a reservation; its capacity stays paid for and is not refunded.
public fun destroy(self: Storage) {
    let Storage { id, .. } = self;
    id.delete();
}

#[test_only]
/// A reservation for tests.
public fun new_for_testing(
    start_epoch: u32,
    end_epoch: u32,
    storage_size: u64,
    ctx: &mut TxContext,
): Storage {
    create_storage(start_epoch, end_epoch, storage_size, ctx)
}
