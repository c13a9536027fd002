//! Naming floe's Move types: which package, module and struct a Rust mirror stands for, so a
//! [`StructTag`] read from the chain can be matched against the deployment's package ids and its
//! BCS contents decoded into the mirror.

use serde::de::DeserializeOwned;
use sui_sdk_types::{Address, Identifier, Object, ObjectData, StructTag};

use super::calls::SharedObjectError;
use crate::deployment::Packages;

/// One of floe's three Move packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FloePackage {
    /// `move/wal`: the WAL coin.
    Wal,
    /// `move/floe`: storage, blobs, staking, epochs.
    Floe,
    /// `move/seal`: access policies and key servers.
    Seal,
}

impl FloePackage {
    /// The package's id in a deployment.
    pub fn address(self, packages: &Packages) -> Address {
        match self {
            Self::Wal => packages.wal,
            Self::Floe => packages.floe,
            Self::Seal => packages.seal,
        }
    }
}

/// A Rust mirror of a Move struct or enum declared by one of floe's packages.
pub trait MoveType: DeserializeOwned {
    /// The declaring package.
    const PACKAGE: FloePackage;
    /// The declaring module.
    const MODULE: &'static str;
    /// The struct's name.
    const NAME: &'static str;

    /// The type's struct tag in a deployment (no type arguments; see
    /// [`Service`](super::seal::Service) for the one generic type).
    fn struct_tag(packages: &Packages) -> StructTag {
        StructTag::new(
            Self::PACKAGE.address(packages),
            Identifier::from_static(Self::MODULE),
            Identifier::from_static(Self::NAME),
            vec![],
        )
    }

    /// Whether `tag` names this type (package, module and name; type arguments are not looked at).
    fn is_named_by(packages: &Packages, tag: &StructTag) -> bool {
        tag.address() == &Self::PACKAGE.address(packages)
            && tag.module().as_str() == Self::MODULE
            && tag.name().as_str() == Self::NAME
    }

    /// `object` as this type, or what it is instead: a package, another type, or contents that
    /// are not this type's BCS.
    fn from_object(packages: &Packages, object: &Object) -> Result<Self, ObjectMismatch> {
        let ObjectData::Struct(data) = object.data() else { return Err(ObjectMismatch::Package) };
        if !Self::is_named_by(packages, data.object_type()) {
            return Err(ObjectMismatch::of_type(data.object_type()));
        }
        Ok(decode_bcs(data.object_type(), data.contents())?)
    }
}

/// What an object read from the chain is instead of the floe object a caller needs.
#[derive(Debug, thiserror::Error)]
pub enum ObjectMismatch {
    /// The id is a package's.
    #[error("it is a package")]
    Package,
    /// The object is of another type.
    #[error("it is a {0}")]
    OtherType(Box<StructTag>),
    /// The object is not shared, where a shared one is needed.
    #[error(transparent)]
    NotShared(#[from] SharedObjectError),
    /// The object has the type but its contents do not decode as it.
    #[error(transparent)]
    Undecodable(#[from] DecodeError),
}

impl ObjectMismatch {
    /// The object is a `tag`.
    pub fn of_type(tag: &StructTag) -> Self {
        Self::OtherType(Box::new(tag.clone()))
    }
}

/// Known Move type, contents that are not its BCS layout.
#[derive(Debug, thiserror::Error)]
#[error("contents of {type_tag} ({len} bytes) are not its BCS layout: {source}")]
pub struct DecodeError {
    /// The type the contents claimed to be.
    pub type_tag: String,
    /// The length of the contents.
    pub len: usize,
    /// What BCS reported (short input, trailing bytes, bad tag, invalid UTF-8, ...).
    pub source: bcs::Error,
}

/// Decodes `bytes` as the BCS of `T`, naming `tag` in the error. Trailing bytes are an error, so
/// a layout that drifted from the Move struct cannot go unnoticed.
pub(crate) fn decode_bcs<T: DeserializeOwned>(tag: &StructTag, bytes: &[u8]) -> Result<T, DecodeError> {
    bcs::from_bytes(bytes).map_err(|source| DecodeError { type_tag: tag.to_string(), len: bytes.len(), source })
}

/// Implements [`MoveType`] for mirrors: `move_types!(Package; "module" => Type, ...)`.
macro_rules! move_types {
    ($package:ident; $($module:literal => $ty:ident),+ $(,)?) => {
        $(
            impl $crate::floe::move_type::MoveType for $ty {
                const PACKAGE: $crate::floe::move_type::FloePackage =
                    $crate::floe::move_type::FloePackage::$package;
                const MODULE: &'static str = $module;
                const NAME: &'static str = stringify!($ty);
            }
        )+
    };
}
pub(crate) use move_types;

/// Serializes `value`, checks that decoding gives it back, and returns the bytes for layout checks.
#[cfg(test)]
pub(crate) fn assert_bcs_round_trip<T>(value: &T) -> Vec<u8>
where
    T: serde::Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = bcs::to_bytes(value).expect("mirrors always serialize");
    let back: T = bcs::from_bytes(&bytes).expect("a mirror decodes its own bytes");
    assert_eq!(&back, value);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Probe;
    move_types!(Floe; "probe" => Probe);

    fn packages() -> Packages {
        Packages { wal: Address::new([1; 32]), floe: Address::new([2; 32]), seal: Address::new([3; 32]) }
    }

    #[test]
    fn struct_tag_uses_the_deployment_package() {
        let tag = Probe::struct_tag(&packages());
        assert_eq!(tag.address(), &Address::new([2; 32]));
        assert_eq!(tag.module().as_str(), "probe");
        assert_eq!(tag.name().as_str(), "Probe");
        assert!(Probe::is_named_by(&packages(), &tag));
        let other_package = Packages { floe: Address::new([9; 32]), ..packages() };
        assert!(!Probe::is_named_by(&other_package, &tag));
    }

    #[test]
    fn decode_error_names_the_type_and_length() {
        let tag = Probe::struct_tag(&packages());
        let err = decode_bcs::<u64>(&tag, &[1, 2, 3]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("::probe::Probe"), "{text}");
        assert!(text.contains("3 bytes"), "{text}");
        // Trailing bytes are refused too.
        assert!(decode_bcs::<u8>(&tag, &[1, 2]).is_err());
    }

    #[test]
    fn an_object_is_read_as_its_type_and_anything_else_is_named() {
        use sui_sdk_types::{Digest, MoveStruct, Owner};

        use crate::floe::storage::Storage;

        let object = |tag: StructTag, contents: Vec<u8>| {
            let data = MoveStruct::new(tag, true, 3, contents).expect("contents start with an id");
            Object::new(ObjectData::Struct(data), Owner::Address(Address::ZERO), Digest::ZERO, 0)
        };
        let storage = Storage { id: Address::new([5; 32]), start_epoch: 1, end_epoch: 4, storage_size: 10 };
        let bytes = bcs::to_bytes(&storage).unwrap();
        let tag = Storage::struct_tag(&packages());
        assert_eq!(Storage::from_object(&packages(), &object(tag.clone(), bytes.clone())).unwrap(), storage);

        let coin = object(StructTag::gas_coin(), bytes.clone());
        let error = Storage::from_object(&packages(), &coin).unwrap_err();
        assert!(matches!(&error, ObjectMismatch::OtherType(found) if **found == StructTag::gas_coin()), "{error}");
        assert!(error.to_string().starts_with("it is a 0x"), "{error}");

        let short = object(tag, bytes[..36].to_vec());
        let error = Storage::from_object(&packages(), &short).unwrap_err();
        assert!(matches!(&error, ObjectMismatch::Undecodable(DecodeError { len: 36, .. })), "{error}");
    }
}
