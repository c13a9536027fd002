//! Committees and epoch parameters: the BLS committee the System checks certificates against
//! (`floe::bls_aggregate`), the shard assignment Staking keeps (`floe::committee`) and the voted
//! parameters of the next epoch (`floe::epoch_parameters`).

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::framework::{G1Element, VecMap};
use super::move_type::move_types;

/// `floe::bls_aggregate::BlsCommitteeMember`: one node of the signing committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlsCommitteeMember {
    /// The node's BLS public key (48-byte compressed G1).
    pub public_key: G1Element,
    /// The node's shard count.
    pub weight: u16,
    /// The node id (its staking pool's object id).
    pub node_id: Address,
}

/// `floe::bls_aggregate::BlsCommittee`: the members in bitmap order (sorted by node id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlsCommittee {
    /// The members; member i is bit i%8 of byte i/8 of a signer bitmap.
    pub members: Vec<BlsCommitteeMember>,
    /// The total number of shards.
    pub n_shards: u16,
    /// The epoch the committee serves.
    pub epoch: u32,
    /// The sum of all members' keys.
    pub total_aggregated_key: G1Element,
}

/// `floe::committee::Committee`: the shards each node holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committee {
    /// Node id to its shard ids.
    pub shards: VecMap<Address, Vec<u16>>,
}

/// `floe::epoch_parameters::EpochParams`: the capacity and prices voted for an epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochParams {
    /// Total capacity in encoded bytes.
    pub total_capacity_size: u64,
    /// FROST per 1 MiB unit per epoch.
    pub storage_price_per_unit_size: u64,
    /// FROST per 1 MiB unit, once.
    pub write_price_per_unit_size: u64,
}

move_types!(Floe;
    "bls_aggregate" => BlsCommitteeMember,
    "bls_aggregate" => BlsCommittee,
    "committee" => Committee,
    "epoch_parameters" => EpochParams,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floe::move_type::assert_bcs_round_trip;

    fn member(byte: u8, weight: u16) -> BlsCommitteeMember {
        BlsCommitteeMember {
            public_key: G1Element { bytes: vec![byte; 48] },
            weight,
            node_id: Address::new([byte; 32]),
        }
    }

    #[test]
    fn member_bytes_are_key_weight_node() {
        let bytes = assert_bcs_round_trip(&member(0xa0, 3));
        let mut expected = vec![48];
        expected.extend([0xa0; 48]);
        expected.extend([3, 0]);
        expected.extend([0xa0; 32]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn bls_committee_round_trips() {
        let committee = BlsCommittee {
            members: vec![member(1, 3), member(2, 3), member(3, 2), member(4, 2)],
            n_shards: 10,
            epoch: 1,
            total_aggregated_key: G1Element { bytes: vec![9; 48] },
        };
        let bytes = assert_bcs_round_trip(&committee);
        assert_eq!(bytes[0], 4);
        assert_eq!(bytes.len(), 1 + 4 * (49 + 2 + 32) + 2 + 4 + 49);
    }

    #[test]
    fn committee_is_a_vec_map_of_shard_vectors() {
        let committee = Committee { shards: [(Address::new([5; 32]), vec![0u16, 7])].into_iter().collect() };
        let bytes = assert_bcs_round_trip(&committee);
        let mut expected = vec![1];
        expected.extend([5; 32]);
        expected.extend([2, 0, 0, 7, 0]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn epoch_params_are_three_u64() {
        let params =
            EpochParams { total_capacity_size: 1, storage_price_per_unit_size: 2, write_price_per_unit_size: 3 };
        let bytes = assert_bcs_round_trip(&params);
        assert_eq!(bytes.len(), 24);
        assert_eq!(bytes[16], 3);
    }
}
