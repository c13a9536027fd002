//! The shared System object and its inner state (`floe::system`, `floe::system_state_inner`),
//! and the one-time capability that initializes floe (`floe::init`).

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::committee::BlsCommittee;
use super::framework::DynamicField;
use super::move_type::move_types;
use super::storage::FutureAccountingRingBuffer;

/// `floe::system::System`: a thin facade; the state is the [`SystemStateInnerV1`] in the
/// dynamic field named by `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct System {
    /// The shared object's UID.
    pub id: Address,
    /// The inner state's version (1), also its dynamic-field name.
    pub version: u64,
}

/// `floe::system_state_inner::SystemStateInnerV1`: committee, capacity, prices and accounting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStateInnerV1 {
    /// The current committee.
    pub committee: BlsCommittee,
    /// Total capacity in encoded bytes.
    pub total_capacity_size: u64,
    /// Capacity sold for the current epoch.
    pub used_capacity_size: u64,
    /// FROST per 1 MiB unit per epoch.
    pub storage_price_per_unit_size: u64,
    /// FROST per 1 MiB unit, once.
    pub write_price_per_unit_size: u64,
    /// Epoch duration in ms.
    pub epoch_duration_ms: u64,
    /// How many epochs ahead storage can be bought.
    pub max_epochs_ahead: u32,
    /// Sold capacity and rewards per future epoch.
    pub future_accounting: FutureAccountingRingBuffer,
}

impl SystemStateInnerV1 {
    /// The current epoch (the committee's).
    pub fn epoch(&self) -> u32 {
        self.committee.epoch
    }
}

/// `floe::init::InitCap`: sent to the publisher; consumed by `init::initialize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitCap {
    /// The capability's UID.
    pub id: Address,
}

move_types!(Floe;
    "system" => System,
    "system_state_inner" => SystemStateInnerV1,
    "init" => InitCap,
);

/// The dynamic-field object holding the System state (`Field<u64, SystemStateInnerV1>`).
pub type SystemStateField = DynamicField<u64, SystemStateInnerV1>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floe::framework::G1Element;
    use crate::floe::move_type::assert_bcs_round_trip;
    use crate::floe::storage::FutureAccounting;

    pub(crate) fn inner() -> SystemStateInnerV1 {
        SystemStateInnerV1 {
            committee: BlsCommittee {
                members: vec![],
                n_shards: 10,
                epoch: 0,
                total_aggregated_key: G1Element { bytes: vec![0xc0; 48] },
            },
            total_capacity_size: 0,
            used_capacity_size: 0,
            storage_price_per_unit_size: 0,
            write_price_per_unit_size: 0,
            epoch_duration_ms: 60_000,
            max_epochs_ahead: 2,
            future_accounting: FutureAccountingRingBuffer {
                current_index: 0,
                length: 2,
                ring_buffer: vec![
                    FutureAccounting { epoch: 0, used_capacity: 0, rewards_to_distribute: 0 },
                    FutureAccounting { epoch: 1, used_capacity: 0, rewards_to_distribute: 0 },
                ],
            },
        }
    }

    #[test]
    fn system_inner_bytes_start_with_the_committee() {
        let bytes = assert_bcs_round_trip(&inner());
        // empty members, n_shards 10, epoch 0, the 48-byte key
        let mut head = vec![0, 10, 0, 0, 0, 0, 0, 48];
        head.extend([0xc0; 48]);
        assert_eq!(&bytes[..head.len()], &head);
        let rest = &bytes[head.len()..];
        assert_eq!(&rest[32..40], &60_000u64.to_le_bytes());
        assert_eq!(&rest[40..44], &2u32.to_le_bytes());
        assert_eq!(rest.len(), 5 * 8 + 4 + 4 + 4 + 1 + 2 * 20);
        assert_eq!(inner().epoch(), 0);
    }

    #[test]
    fn facade_init_cap_and_field_layouts() {
        let system = System { id: Address::new([6; 32]), version: 1 };
        let bytes = assert_bcs_round_trip(&system);
        assert_eq!(bytes.len(), 40);
        assert_eq!(&bytes[32..], &1u64.to_le_bytes());
        assert_eq!(assert_bcs_round_trip(&InitCap { id: Address::new([1; 32]) }), vec![1; 32]);
        let field = SystemStateField { id: Address::new([2; 32]), name: 1, value: inner() };
        assert_bcs_round_trip(&field);
    }
}
