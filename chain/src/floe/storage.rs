//! Storage reservations and the per-epoch accounting of sold capacity and rewards
//! (`floe::storage_resource`, `floe::storage_accounting`).

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::move_type::move_types;

/// `floe::storage_resource::Storage`: `storage_size` encoded bytes reserved for the epochs
/// `[start_epoch, end_epoch)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Storage {
    /// The object's UID.
    pub id: Address,
    /// The first epoch covered.
    pub start_epoch: u32,
    /// The first epoch no longer covered.
    pub end_epoch: u32,
    /// The reserved encoded bytes.
    pub storage_size: u64,
}

/// `floe::storage_accounting::FutureAccounting`: what was sold for one future epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FutureAccounting {
    /// The epoch this entry accounts for.
    pub epoch: u32,
    /// Encoded bytes reserved for that epoch.
    pub used_capacity: u64,
    /// `Balance<WAL>` (its FROST value) paid out to that epoch's committee.
    pub rewards_to_distribute: u64,
}

/// `floe::storage_accounting::FutureAccountingRingBuffer`: one entry per epoch from the current
/// one up to the horizon, the current one at `current_index`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FutureAccountingRingBuffer {
    /// Index of the current epoch's entry.
    pub current_index: u32,
    /// Number of entries.
    pub length: u32,
    /// The entries.
    pub ring_buffer: Vec<FutureAccounting>,
}

move_types!(Floe;
    "storage_resource" => Storage,
    "storage_accounting" => FutureAccounting,
    "storage_accounting" => FutureAccountingRingBuffer,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floe::move_type::assert_bcs_round_trip;

    #[test]
    fn storage_bytes_are_uid_start_end_size() {
        let storage = Storage { id: Address::new([0x11; 32]), start_epoch: 2, end_epoch: 7, storage_size: 0x0102 };
        let bytes = assert_bcs_round_trip(&storage);
        let mut expected = vec![0x11; 32];
        expected.extend([2, 0, 0, 0, 7, 0, 0, 0]);
        expected.extend([0x02, 0x01, 0, 0, 0, 0, 0, 0]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn ring_buffer_round_trips_with_its_entries() {
        let buffer = FutureAccountingRingBuffer {
            current_index: 1,
            length: 2,
            ring_buffer: vec![
                FutureAccounting { epoch: 4, used_capacity: 10, rewards_to_distribute: 3 },
                FutureAccounting { epoch: 3, used_capacity: 0, rewards_to_distribute: 0 },
            ],
        };
        let bytes = assert_bcs_round_trip(&buffer);
        // u32 + u32 + length byte + 2 x (u32 + u64 + u64)
        assert_eq!(bytes.len(), 4 + 4 + 1 + 2 * 20);
        assert_eq!(bytes[8], 2);
        assert_bcs_round_trip(&buffer.ring_buffer[0]);
    }
}
