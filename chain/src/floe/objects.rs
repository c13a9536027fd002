//! floe's objects decoded by type tag: the owned and shared objects of the three packages and
//! the dynamic fields that hold the System and Staking state.

use sui_sdk_types::{Address, MoveStruct, StructTag, TypeTag};

use super::blob::Blob;
use super::move_type::{DecodeError, MoveType, decode_bcs};
use super::seal::{Allowlist, AllowlistCap, KeyServer, Service, ServiceCap, Subscription};
use super::shared_blob::SharedBlob;
use super::staked_wal::StakedWal;
use super::staking::{Staking, StakingInnerV1, StakingStateField, StorageNodeCap};
use super::staking_pool::StakingPool;
use super::storage::Storage;
use super::system::{InitCap, System, SystemStateField, SystemStateInnerV1};
use super::wal::ProtectedTreasury;
use crate::deployment::Packages;

/// An object decoded by its type tag; anything else is kept as [`FloeObject::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FloeObject {
    /// `floe::blob::Blob`.
    Blob(Blob),
    /// `floe::shared_blob::SharedBlob`: a blob anyone can fund and extend.
    SharedBlob(SharedBlob),
    /// `floe::storage_resource::Storage`.
    Storage(Storage),
    /// `floe::staked_wal::StakedWal`.
    StakedWal(StakedWal),
    /// `floe::storage_node::StorageNodeCap`.
    StorageNodeCap(StorageNodeCap),
    /// `floe::staking_pool::StakingPool` (an entry of Staking's pool table).
    StakingPool(StakingPool),
    /// `floe::init::InitCap`.
    InitCap(InitCap),
    /// `floe::system::System`.
    System(System),
    /// `floe::staking::Staking`.
    Staking(Staking),
    /// `0x2::dynamic_field::Field<u64, SystemStateInnerV1>`: the System's state.
    SystemState(Box<SystemStateField>),
    /// `0x2::dynamic_field::Field<u64, StakingInnerV1>`: the Staking state.
    StakingState(Box<StakingStateField>),
    /// `wal::wal::ProtectedTreasury`.
    ProtectedTreasury(ProtectedTreasury),
    /// `floe_seal::allowlist::Allowlist`.
    Allowlist(Allowlist),
    /// `floe_seal::allowlist::AllowlistCap`.
    AllowlistCap(AllowlistCap),
    /// `floe_seal::key_server::KeyServer`.
    KeyServer(KeyServer),
    /// `floe_seal::subscription::Service<T>`, with `T`.
    Service {
        /// The fee coin type `T`.
        coin_type: TypeTag,
        /// The service.
        service: Service,
    },
    /// `floe_seal::subscription::ServiceCap`.
    ServiceCap(ServiceCap),
    /// `floe_seal::subscription::Subscription`.
    Subscription(Subscription),
    /// Any other object type (coins included: see `payment`).
    Unknown {
        /// The object's type.
        type_tag: StructTag,
        /// Its BCS contents, untouched.
        bytes: Vec<u8>,
    },
}

/// Tries each listed non-generic type in turn.
macro_rules! decode_plain {
    ($packages:expr, $tag:expr, $bytes:expr; $($ty:ident),+ $(,)?) => {
        $(
            if $ty::is_named_by($packages, $tag) {
                return decode_bcs($tag, $bytes).map(FloeObject::$ty);
            }
        )+
    };
}

impl FloeObject {
    /// Decodes an object's BCS `bytes` (starting with its id) by its type. Unknown types give
    /// [`FloeObject::Unknown`]; a floe type whose bytes are not its layout is an error.
    pub fn decode(packages: &Packages, type_tag: &StructTag, bytes: &[u8]) -> Result<Self, DecodeError> {
        match type_tag.type_params() {
            [] => {
                decode_plain!(packages, type_tag, bytes;
                    Blob, SharedBlob, Storage, StakedWal, StorageNodeCap, StakingPool, InitCap, System, Staking,
                    ProtectedTreasury, Allowlist, AllowlistCap, KeyServer, ServiceCap, Subscription,
                );
            }
            [coin_type] if Service::is_named_by(packages, type_tag) => {
                let service = decode_bcs(type_tag, bytes)?;
                return Ok(Self::Service { coin_type: coin_type.clone(), service });
            }
            [TypeTag::U64, TypeTag::Struct(value)] if is_dynamic_field(type_tag) => {
                if SystemStateInnerV1::is_named_by(packages, value) && value.type_params().is_empty() {
                    return decode_bcs(type_tag, bytes).map(|field| Self::SystemState(Box::new(field)));
                }
                if StakingInnerV1::is_named_by(packages, value) && value.type_params().is_empty() {
                    return decode_bcs(type_tag, bytes).map(|field| Self::StakingState(Box::new(field)));
                }
            }
            _ => {}
        }
        Ok(Self::Unknown { type_tag: type_tag.clone(), bytes: bytes.to_vec() })
    }

    /// Decodes an object's Move contents (see [`FloeObject::decode`]).
    pub fn from_move_struct(packages: &Packages, object: &MoveStruct) -> Result<Self, DecodeError> {
        Self::decode(packages, object.object_type(), object.contents())
    }

    /// Whether the object is not one of floe's.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown { .. })
    }
}

fn is_dynamic_field(tag: &StructTag) -> bool {
    tag.address() == &Address::TWO && tag.module().as_str() == "dynamic_field" && tag.name().as_str() == "Field"
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::Identifier;

    use super::*;
    use crate::floe::framework::{TreasuryCap, dynamic_field_struct};
    use crate::floe::staked_wal::StakedWalState;

    fn packages() -> Packages {
        Packages { wal: Address::new([0xa1; 32]), floe: Address::new([0xf1; 32]), seal: Address::new([0x5e; 32]) }
    }

    fn decode<T: MoveType + serde::Serialize>(value: &T) -> FloeObject {
        let packages = packages();
        FloeObject::decode(&packages, &T::struct_tag(&packages), &bcs::to_bytes(value).unwrap()).unwrap()
    }

    #[test]
    fn owned_and_shared_objects_decode_to_their_variants() {
        let storage = Storage { id: Address::new([1; 32]), start_epoch: 1, end_epoch: 3, storage_size: 10 };
        assert_eq!(decode(&storage), FloeObject::Storage(storage.clone()));
        let stake = StakedWal {
            id: Address::new([2; 32]),
            node_id: Address::new([3; 32]),
            principal: 5,
            activation_epoch: 1,
            state: StakedWalState::Staked,
        };
        assert_eq!(decode(&stake), FloeObject::StakedWal(stake));
        let cap = StorageNodeCap { id: Address::new([4; 32]), node_id: Address::new([3; 32]), last_epoch_sync_done: 0 };
        assert_eq!(decode(&cap), FloeObject::StorageNodeCap(cap));
        let system = System { id: Address::new([5; 32]), version: 1 };
        assert_eq!(decode(&system), FloeObject::System(system));
        let staking = Staking { id: Address::new([6; 32]), version: 1 };
        assert_eq!(decode(&staking), FloeObject::Staking(staking));
        let init = InitCap { id: Address::new([7; 32]) };
        assert_eq!(decode(&init), FloeObject::InitCap(init));
        let treasury = ProtectedTreasury {
            id: Address::new([8; 32]),
            cap: TreasuryCap { id: Address::new([9; 32]), total_supply: crate::floe::framework::Supply { value: 1 } },
        };
        assert_eq!(decode(&treasury), FloeObject::ProtectedTreasury(treasury));
        let subscription =
            Subscription { id: Address::new([10; 32]), service_id: Address::new([11; 32]), created_at_ms: 5 };
        assert_eq!(decode(&subscription), FloeObject::Subscription(subscription));
        let cap = ServiceCap { id: Address::new([12; 32]), service_id: Address::new([11; 32]) };
        assert_eq!(decode(&cap), FloeObject::ServiceCap(cap));
        let cap = AllowlistCap { id: Address::new([13; 32]), allowlist_id: Address::new([14; 32]) };
        assert_eq!(decode(&cap), FloeObject::AllowlistCap(cap));
    }

    #[test]
    fn the_same_bytes_decode_by_name_not_by_shape() {
        // System and Staking have the same layout; the tag decides.
        let packages = packages();
        let bytes = bcs::to_bytes(&System { id: Address::new([5; 32]), version: 1 }).unwrap();
        let decoded = FloeObject::decode(&packages, &Staking::struct_tag(&packages), &bytes).unwrap();
        assert_eq!(decoded, FloeObject::Staking(Staking { id: Address::new([5; 32]), version: 1 }));
        // A System tag under the seal package is nobody's.
        let foreign =
            StructTag::new(packages.seal, Identifier::from_static("system"), Identifier::from_static("System"), vec![]);
        assert!(FloeObject::decode(&packages, &foreign, &bytes).unwrap().is_unknown());
    }

    #[test]
    fn service_keeps_its_coin_type() {
        let packages = packages();
        let service =
            Service { id: Address::new([1; 32]), fee: 3, ttl_ms: 4, owner: Address::new([2; 32]), name: "s".into() };
        let coin_type = TypeTag::Struct(Box::new(StructTag::sui()));
        let tag = Service::struct_tag_for(&packages, coin_type.clone());
        let decoded = FloeObject::decode(&packages, &tag, &bcs::to_bytes(&service).unwrap()).unwrap();
        assert_eq!(decoded, FloeObject::Service { coin_type, service: service.clone() });
        // Without its type argument the tag is not a valid Service type: unknown.
        let bare = Service::struct_tag(&packages);
        assert!(FloeObject::decode(&packages, &bare, &bcs::to_bytes(&service).unwrap()).unwrap().is_unknown());
    }

    #[test]
    fn state_dynamic_fields_decode_by_value_type() {
        use crate::floe::committee::{BlsCommittee, Committee};
        use crate::floe::framework::G1Element;
        use crate::floe::staking::{ActiveSet, EpochState};
        use crate::floe::storage::FutureAccountingRingBuffer;

        let packages = packages();
        let system_inner = SystemStateInnerV1 {
            committee: BlsCommittee {
                members: vec![],
                n_shards: 4,
                epoch: 0,
                total_aggregated_key: G1Element { bytes: vec![0xc0; 48] },
            },
            total_capacity_size: 0,
            used_capacity_size: 0,
            storage_price_per_unit_size: 1,
            write_price_per_unit_size: 1,
            epoch_duration_ms: 10,
            max_epochs_ahead: 1,
            future_accounting: FutureAccountingRingBuffer { current_index: 0, length: 0, ring_buffer: vec![] },
        };
        let field = SystemStateField { id: Address::new([1; 32]), name: 1, value: system_inner };
        let tag =
            dynamic_field_struct(TypeTag::U64, TypeTag::Struct(Box::new(SystemStateInnerV1::struct_tag(&packages))));
        let decoded = FloeObject::decode(&packages, &tag, &bcs::to_bytes(&field).unwrap()).unwrap();
        assert_eq!(decoded, FloeObject::SystemState(Box::new(field)));

        let staking_inner = StakingInnerV1 {
            n_shards: 4,
            epoch_duration_ms: 10,
            max_committee_size: 2,
            epoch: 0,
            epoch_start_ms: 0,
            pools: crate::floe::framework::Table { id: Address::new([2; 32]), size: 0 },
            pool_ids: vec![],
            committee: Committee { shards: Default::default() },
            previous_committee: Committee { shards: Default::default() },
            next_committee: None,
            next_epoch_params: None,
            epoch_state: EpochState::EpochChangeDone(0),
            active_set: ActiveSet { max_size: 2, entries: vec![] },
            challenges: crate::floe::challenges::ChallengeState::new(0),
        };
        let field = StakingStateField { id: Address::new([3; 32]), name: 1, value: staking_inner };
        let tag = dynamic_field_struct(TypeTag::U64, TypeTag::Struct(Box::new(StakingInnerV1::struct_tag(&packages))));
        let decoded = FloeObject::decode(&packages, &tag, &bcs::to_bytes(&field).unwrap()).unwrap();
        assert_eq!(decoded, FloeObject::StakingState(Box::new(field)));

        // Another value type under the same field shape stays unknown.
        let other = dynamic_field_struct(TypeTag::U64, TypeTag::Struct(Box::new(StructTag::sui())));
        assert!(FloeObject::decode(&packages, &other, &[0; 41]).unwrap().is_unknown());
    }

    #[test]
    fn coins_are_unknown_and_broken_floe_objects_are_errors() {
        let packages = packages();
        let coin = StructTag::gas_coin();
        assert!(FloeObject::decode(&packages, &coin, &[0; 40]).unwrap().is_unknown());
        let err = FloeObject::decode(&packages, &Blob::struct_tag(&packages), &[0; 10]).unwrap_err();
        assert!(err.to_string().contains("::blob::Blob"), "{err}");
    }

    #[test]
    fn from_move_struct_uses_type_and_contents() {
        let packages = packages();
        let storage = Storage { id: Address::new([1; 32]), start_epoch: 1, end_epoch: 3, storage_size: 10 };
        let object = MoveStruct::new(Storage::struct_tag(&packages), true, 5, bcs::to_bytes(&storage).unwrap())
            .expect("contents start with the id");
        assert_eq!(FloeObject::from_move_struct(&packages, &object).unwrap(), FloeObject::Storage(storage));
    }
}
