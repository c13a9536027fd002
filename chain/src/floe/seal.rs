//! Seal access-policy objects and key-server registrations (`floe_seal::allowlist`,
//! `floe_seal::subscription`, `floe_seal::key_server`).

use serde::{Deserialize, Serialize};
use sui_sdk_types::{Address, Identifier, StructTag, TypeTag};

use super::framework::DynamicField;
use super::move_type::{MoveType, move_types};
use crate::deployment::Packages;

/// `floe_seal::allowlist::Allowlist` (shared): addresses allowed to decrypt keys under its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowlist {
    /// The shared object's UID, the prefix of its key ids.
    pub id: Address,
    /// The package version that created it.
    pub version: u64,
    /// A name for people.
    pub name: String,
    /// The allowed addresses.
    pub list: Vec<Address>,
}

/// The package version an [`Allowlist`] is created with and must carry to be used
/// (`allowlist::VERSION`).
pub const ALLOWLIST_VERSION: u64 = 1;
/// The value stored under each blob id an allowlist publishes (`allowlist::BLOB_LINK`).
pub const ALLOWLIST_BLOB_LINK: u8 = 1;

/// `floe_seal::allowlist::AllowlistCap`: administers one allowlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowlistCap {
    /// The capability's UID.
    pub id: Address,
    /// The allowlist it administers.
    pub allowlist_id: Address,
}

/// The layout version of key-server details floe writes: Seal's `KeyServerV2`, the dynamic field
/// named `2u64` under a [`KeyServer`].
pub const KEY_SERVER_VERSION: u64 = 2;
/// The only key type a key server registers with: Boneh-Franklin IBE over BLS12-381, public key
/// in G2 (`key_server::KEY_TYPE_BONEH_FRANKLIN_BLS12381`).
pub const KEY_TYPE_BONEH_FRANKLIN_BLS12381: u8 = 0;
/// Bytes of a key server's public key, a compressed G2 point (`key_server::G2_LENGTH`).
pub const G2_LENGTH: usize = 96;

/// `floe_seal::key_server::KeyServer`: a registered key server in Seal's versioned layout. The
/// object holds only the range of layout versions it carries; the details are the dynamic field
/// [`KeyServerField`] named by the version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyServer {
    /// The object's UID, the server's id in Seal objects.
    pub id: Address,
    /// The oldest layout version present.
    pub first_version: u64,
    /// The newest layout version present.
    pub last_version: u64,
}

impl KeyServer {
    /// The id of the dynamic field holding the details of layout `version`.
    pub fn details_id(&self, version: u64) -> Address {
        let key = bcs::to_bytes(&version).expect("u64 serializes");
        self.id.derive_dynamic_child_id(&TypeTag::U64, &key)
    }
}

/// `floe_seal::key_server::ServerType`: how a key server is reached (Seal's variant 0; floe
/// registers no committee servers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerType {
    /// One server at a URL.
    Independent {
        /// Where the server answers.
        url: String,
    },
}

/// `floe_seal::key_server::KeyServerV2`: a key server's details, layout version 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyServerV2 {
    /// A name for people.
    pub name: String,
    /// 0 = Boneh-Franklin on BLS12-381.
    pub key_type: u8,
    /// The master public key (96-byte compressed G2).
    pub pk: Vec<u8>,
    /// Where it answers.
    pub server_type: ServerType,
}

impl KeyServerV2 {
    /// The URL of an independent server.
    pub fn url(&self) -> &str {
        match &self.server_type {
            ServerType::Independent { url } => url,
        }
    }
}

/// The dynamic field under a [`KeyServer`] holding its version-2 details (`Field<u64, KeyServerV2>`).
pub type KeyServerField = DynamicField<u64, KeyServerV2>;

/// `floe_seal::subscription::Service<T>` (shared): subscriptions for a fee in coin `T`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// The shared object's UID, the prefix of its key ids.
    pub id: Address,
    /// The fee, in the smallest unit of `T`.
    pub fee: u64,
    /// How long a subscription lasts (ms).
    pub ttl_ms: u64,
    /// Who receives the fees.
    pub owner: Address,
    /// A name for people.
    pub name: String,
}

impl Service {
    /// The struct tag `Service<coin_type>` of a deployment.
    pub fn struct_tag_for(packages: &Packages, coin_type: TypeTag) -> StructTag {
        StructTag::new(
            packages.seal,
            Identifier::from_static(Self::MODULE),
            Identifier::from_static(Self::NAME),
            vec![coin_type],
        )
    }
}

/// `floe_seal::subscription::ServiceCap`: administers one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCap {
    /// The capability's UID.
    pub id: Address,
    /// The service it administers.
    pub service_id: Address,
}

/// `floe_seal::subscription::Subscription`: a paid subscription to a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The object's UID.
    pub id: Address,
    /// The service subscribed to.
    pub service_id: Address,
    /// When it started (ms).
    pub created_at_ms: u64,
}

move_types!(Seal;
    "allowlist" => Allowlist,
    "allowlist" => AllowlistCap,
    "key_server" => KeyServer,
    "key_server" => KeyServerV2,
    "key_server" => ServerType,
    "subscription" => Service,
    "subscription" => ServiceCap,
    "subscription" => Subscription,
);

/// The dynamic field an allowlist holds for each published blob
/// (`Field<String, u8>`: name the blob id string, value 1).
pub type AllowlistBlobField = DynamicField<String, u8>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floe::move_type::assert_bcs_round_trip;

    #[test]
    fn allowlist_bytes_are_id_version_name_list() {
        let allowlist = Allowlist {
            id: Address::new([1; 32]),
            version: 1,
            name: "team".into(),
            list: vec![Address::new([0xa0; 32])],
        };
        let bytes = assert_bcs_round_trip(&allowlist);
        let mut expected = vec![1; 32];
        expected.extend(1u64.to_le_bytes());
        expected.extend(b"\x04team");
        expected.push(1);
        expected.extend([0xa0; 32]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn caps_and_subscription_layouts() {
        let cap = AllowlistCap { id: Address::new([1; 32]), allowlist_id: Address::new([2; 32]) };
        assert_eq!(assert_bcs_round_trip(&cap).len(), 64);
        let cap = ServiceCap { id: Address::new([3; 32]), service_id: Address::new([4; 32]) };
        assert_eq!(&assert_bcs_round_trip(&cap)[32..], &[4; 32]);
        let subscription =
            Subscription { id: Address::new([5; 32]), service_id: Address::new([6; 32]), created_at_ms: 77 };
        assert_eq!(&assert_bcs_round_trip(&subscription)[64..], &77u64.to_le_bytes());
    }

    #[test]
    fn key_server_is_seals_versioned_layout() {
        let server = KeyServer { id: Address::new([7; 32]), first_version: 2, last_version: 2 };
        let mut expected = vec![7; 32];
        expected.extend(2u64.to_le_bytes());
        expected.extend(2u64.to_le_bytes());
        assert_eq!(assert_bcs_round_trip(&server), expected);
        let details = KeyServerField {
            id: server.details_id(KEY_SERVER_VERSION),
            name: KEY_SERVER_VERSION,
            value: KeyServerV2 {
                name: "ks".into(),
                key_type: 0,
                pk: vec![0xb0; 96],
                server_type: ServerType::Independent { url: "http://x".into() },
            },
        };
        let bytes = assert_bcs_round_trip(&details);
        // Field { id, name: u64, value: KeyServerV2 { name, key_type, pk, server_type } }: after the
        // id and the name, what Seal's SDK parses as KeyServerMoveV2.
        let value = &bytes[40..];
        let mut expected = b"\x02ks\x00\x60".to_vec();
        expected.extend([0xb0; 96]);
        expected.extend(b"\x00\x08http://x"); // variant 0 (Independent), then the URL
        assert_eq!(value, expected.as_slice());
        assert_eq!(details.value.url(), "http://x");
        assert_ne!(server.details_id(2), server.details_id(1), "each version is its own field");
    }

    #[test]
    fn service_round_trips() {
        let service = Service {
            id: Address::new([8; 32]),
            fee: 10,
            ttl_ms: 1_000,
            owner: Address::new([9; 32]),
            name: "s".into(),
        };
        let bytes = assert_bcs_round_trip(&service);
        assert_eq!(bytes.len(), 32 + 8 + 8 + 32 + 2);
    }

    #[test]
    fn published_blob_field_is_id_name_and_one() {
        let field = AllowlistBlobField { id: Address::new([2; 32]), name: "blob".into(), value: 1 };
        let bytes = assert_bcs_round_trip(&field);
        assert_eq!(&bytes[32..], b"\x04blob\x01");
    }

    #[test]
    fn service_tag_carries_the_coin_type() {
        let packages = Packages { wal: Address::ZERO, floe: Address::ZERO, seal: Address::new([0x5e; 32]) };
        let tag = Service::struct_tag_for(&packages, TypeTag::Struct(Box::new(StructTag::sui())));
        assert!(Service::is_named_by(&packages, &tag));
        assert_eq!(tag.type_params().len(), 1);
    }
}
