//! `floe::storage_accounting` natively: the ring buffer of future epochs' sold capacity and
//! rewards, held inside the System's inner state. Its first entry (at `current_index`) is the
//! current epoch; buying storage books capacity and WAL into the entries of the epochs bought.

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::storage::{FutureAccounting, FutureAccountingRingBuffer};

use super::abort_in;
use crate::native::CallError;

const MODULE: &str = "storage_accounting";
const E_TOO_FAR_IN_FUTURE: u64 = abort_code(MODULE, "ETooFarInFuture");
const E_INVALID_LENGTH: u64 = abort_code(MODULE, "EInvalidLength");

/// A buffer of `length` empty entries for the epochs from `first_epoch` on
/// (`storage_accounting::new`).
pub(crate) fn new_ring(first_epoch: u32, length: u32) -> Result<FutureAccountingRingBuffer, CallError> {
    if length == 0 {
        return Err(abort_in(MODULE, "new", E_INVALID_LENGTH));
    }
    let ring_buffer = (0..length)
        .map(|i| FutureAccounting { epoch: first_epoch + i, used_capacity: 0, rewards_to_distribute: 0 })
        .collect();
    Ok(FutureAccountingRingBuffer { current_index: 0, length, ring_buffer })
}

/// The entry `epochs_in_future` epochs after the current one (`ring_lookup_mut`).
pub(crate) fn lookup_mut(
    ring: &mut FutureAccountingRingBuffer,
    epochs_in_future: u32,
) -> Result<&mut FutureAccounting, CallError> {
    if epochs_in_future >= ring.length {
        return Err(abort_in(MODULE, "ring_lookup_mut", E_TOO_FAR_IN_FUTURE));
    }
    let index = (ring.current_index as u64 + epochs_in_future as u64) % ring.length as u64;
    Ok(&mut ring.ring_buffer[index as usize])
}

/// The current epoch's entry, read only (`ring_lookup(0)`).
pub(crate) fn current(ring: &FutureAccountingRingBuffer) -> &FutureAccounting {
    &ring.ring_buffer[ring.current_index as usize]
}

/// What [`pop_expand`] hands back about the epoch that ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EndedEpoch {
    /// The epoch that ended.
    pub epoch: u32,
    /// The capacity that was sold for it.
    pub used_capacity: u64,
    /// The WAL (FROST) paid for it, now released.
    pub rewards: u64,
}

/// Ends the current epoch: empties its entry, reuses it for the epoch at the far end of the
/// buffer and moves the current index on (`ring_pop_expand`).
pub(crate) fn pop_expand(ring: &mut FutureAccountingRingBuffer) -> EndedEpoch {
    let length = ring.length;
    let entry = &mut ring.ring_buffer[ring.current_index as usize];
    let ended =
        EndedEpoch { epoch: entry.epoch, used_capacity: entry.used_capacity, rewards: entry.rewards_to_distribute };
    entry.epoch += length;
    entry.used_capacity = 0;
    entry.rewards_to_distribute = 0;
    ring.current_index = (ring.current_index + 1) % length;
    ended
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_wraps_around_the_current_index() {
        let mut ring = new_ring(3, 3).unwrap();
        lookup_mut(&mut ring, 2).unwrap().used_capacity = 7;
        let ended = pop_expand(&mut ring);
        assert_eq!(ended, EndedEpoch { epoch: 3, used_capacity: 0, rewards: 0 });
        // Epoch 5 is now one ahead; the reused entry is epoch 6, two ahead.
        assert_eq!(lookup_mut(&mut ring, 1).unwrap().used_capacity, 7);
        assert_eq!(lookup_mut(&mut ring, 2).unwrap().epoch, 6);
        assert_eq!(current(&ring).epoch, 4);
    }

    #[test]
    fn lookup_past_the_buffer_aborts_too_far_in_future() {
        let mut ring = new_ring(0, 2).unwrap();
        let err = lookup_mut(&mut ring, 2).unwrap_err();
        assert_eq!(err, abort_in(MODULE, "ring_lookup_mut", E_TOO_FAR_IN_FUTURE));
        assert_eq!(new_ring(0, 0).unwrap_err(), abort_in(MODULE, "new", E_INVALID_LENGTH));
    }

    #[test]
    fn pop_expand_releases_the_rewards_of_the_ended_epoch() {
        let mut ring = new_ring(0, 2).unwrap();
        let entry = lookup_mut(&mut ring, 0).unwrap();
        entry.used_capacity = 10;
        entry.rewards_to_distribute = 99;
        assert_eq!(pop_expand(&mut ring), EndedEpoch { epoch: 0, used_capacity: 10, rewards: 99 });
        assert_eq!(ring.ring_buffer[0], FutureAccounting { epoch: 2, used_capacity: 0, rewards_to_distribute: 0 });
        assert_eq!(ring.current_index, 1);
    }
}
