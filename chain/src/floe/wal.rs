//! The WAL coin (`wal::wal`): its coin type and the shared treasury that can only burn.

use serde::{Deserialize, Serialize};
use sui_sdk_types::{Address, Identifier, StructTag};

use super::framework::TreasuryCap;
use super::move_type::move_types;
use crate::deployment::Packages;

/// FROST per WAL (9 decimals).
pub const FROST_PER_WAL: u64 = 1_000_000_000;
/// WAL's decimals (`wal::DECIMALS`): a FROST is 10^-9 WAL.
pub const DECIMALS: u8 = 9;
/// The whole supply in WAL, minted when `wal` is published (`wal::TOTAL_SUPPLY_WAL`).
pub const TOTAL_SUPPLY_WAL: u64 = 5_000_000_000;

/// `wal::wal::ProtectedTreasury`: the shared wrapper of `TreasuryCap<WAL>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedTreasury {
    /// The shared object's UID.
    pub id: Address,
    /// The wrapped capability, whose supply is the WAL in circulation.
    pub cap: TreasuryCap,
}

move_types!(Wal; "wal" => ProtectedTreasury);

/// The coin type `<wal>::wal::WAL` of a deployment.
pub fn wal_type(packages: &Packages) -> StructTag {
    StructTag::new(packages.wal, Identifier::from_static("wal"), Identifier::from_static("WAL"), vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floe::framework::Supply;
    use crate::floe::move_type::assert_bcs_round_trip;

    #[test]
    fn treasury_bytes_are_id_cap_id_supply() {
        let treasury = ProtectedTreasury {
            id: Address::new([1; 32]),
            cap: TreasuryCap { id: Address::new([2; 32]), total_supply: Supply { value: 5 * FROST_PER_WAL } },
        };
        let bytes = assert_bcs_round_trip(&treasury);
        let mut expected = vec![1; 32];
        expected.extend([2; 32]);
        expected.extend((5 * FROST_PER_WAL).to_le_bytes());
        assert_eq!(bytes, expected);
    }

    #[test]
    fn wal_type_names_the_wal_package() {
        let packages = Packages { wal: Address::new([0xa1; 32]), floe: Address::ZERO, seal: Address::ZERO };
        let tag = wal_type(&packages);
        assert_eq!(tag.address(), &packages.wal);
        assert!(tag.to_string().ends_with("::wal::WAL"), "{tag}");
    }
}
