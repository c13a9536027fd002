/// Per-epoch accounting of the future: for the current epoch and each epoch ahead, the storage
/// already sold (used capacity) and the WAL paid for it, released to the nodes when the epoch
/// ends. A ring buffer of `max_epochs_ahead` entries, the first being the current epoch.
module floe::storage_accounting;

use sui::balance::{Self, Balance};
use wal::wal::WAL;

/// The epoch asked for is not within the buffer (past or too far ahead).
const ETooFarInFuture: u64 = 0;
/// The buffer length is zero.
const EInvalidLength: u64 = 1;

/// Accounting of one epoch.
public struct FutureAccounting has store {
    epoch: u32,
    used_capacity: u64,
    rewards_to_distribute: Balance<WAL>,
}

/// The ring buffer; `current_index` is where the current epoch's entry is.
public struct FutureAccountingRingBuffer has store {
    current_index: u32,
    length: u32,
    ring_buffer: vector<FutureAccounting>,
}

/// A buffer of `length` epochs starting at `first_epoch`.
public(package) fun new(first_epoch: u32, length: u32): FutureAccountingRingBuffer {
    assert!(length > 0, EInvalidLength);
    let mut ring_buffer = vector[];
    let mut i = 0;
    while (i < length) {
        ring_buffer.push_back(empty(first_epoch + i));
        i = i + 1;
    };
    FutureAccountingRingBuffer { current_index: 0, length, ring_buffer }
}

fun empty(epoch: u32): FutureAccounting {
    FutureAccounting { epoch, used_capacity: 0, rewards_to_distribute: balance::zero() }
}

/// The entry `epochs_in_future` epochs after the current one.
public(package) fun ring_lookup_mut(
    self: &mut FutureAccountingRingBuffer,
    epochs_in_future: u32,
): &mut FutureAccounting {
    assert!(epochs_in_future < self.length, ETooFarInFuture);
    let index = (self.current_index + epochs_in_future) % self.length;
    &mut self.ring_buffer[index as u64]
}

/// The entry `epochs_in_future` epochs after the current one, read only.
public fun ring_lookup(self: &FutureAccountingRingBuffer, epochs_in_future: u32): &FutureAccounting {
    assert!(epochs_in_future < self.length, ETooFarInFuture);
    let index = (self.current_index + epochs_in_future) % self.length;
    &self.ring_buffer[index as u64]
}

/// Ends the current epoch: returns its rewards and used capacity, and opens a fresh entry at the
/// far end of the buffer.
public(package) fun ring_pop_expand(self: &mut FutureAccountingRingBuffer): (u32, u64, Balance<WAL>) {
    let length = self.length;
    let index = self.current_index as u64;
    let last_epoch = self.ring_buffer[index].epoch + length;
    let entry = &mut self.ring_buffer[index];
    let epoch = entry.epoch;
    let used = entry.used_capacity;
    let rewards = entry.rewards_to_distribute.withdraw_all();
    entry.epoch = last_epoch;
    entry.used_capacity = 0;
    self.current_index = (self.current_index + 1) % length;
    (epoch, used, rewards)
}

/// The number of epochs the buffer spans.
public fun length(self: &FutureAccountingRingBuffer): u32 { self.length }

/// The epoch of an entry.
public fun epoch(self: &FutureAccounting): u32 { self.epoch }

/// The capacity sold for an entry's epoch.
public fun used_capacity(self: &FutureAccounting): u64 { self.used_capacity }

/// The WAL to be released for an entry's epoch.
public fun rewards(self: &FutureAccounting): u64 { self.rewards_to_distribute.value() }

/// Adds sold capacity to an entry.
public(package) fun increase_used_capacity(self: &mut FutureAccounting, amount: u64) {
    self.used_capacity = self.used_capacity + amount;
}

/// Adds WAL to an entry's rewards.
public(package) fun add_rewards(self: &mut FutureAccounting, rewards: Balance<WAL>) {
    self.rewards_to_distribute.join(rewards);
}
