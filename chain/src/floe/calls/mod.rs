//! Typed calls into floe's packages: each function appends one `MoveCall` to a
//! [`TransactionBuilder`] with the arguments encoded as the Move signature takes them, and
//! returns the call's result where the Move function returns a value, so calls compose into one
//! programmable transaction (e.g. reserve, register and transfer the blob).
//!
//! Owned objects (coins, `Storage`, `Blob`, `StakedWal`, capabilities) are passed as
//! [`Argument`]s: an input the caller added (`builder.object(ObjectInput::owned(..))`) or the
//! result of an earlier command. Shared objects are passed as [`SharedObject`]s and added with
//! the mutability the function's signature needs (`&mut` or `&`); the builder merges repeated
//! uses of one shared object into one input, mutable if any use is. `TxContext` parameters are
//! supplied by the chain and take no argument.

mod blob;
mod resolve;
mod seal;
mod shared_blob;
mod staking;
mod system;
mod wal;

use floe_encoder::certificate::Certificate;
use sui_sdk_types::{Address, Identifier, Object, Owner};
use sui_transaction_builder::{Argument, Function, ObjectInput, TransactionBuilder};

pub use resolve::ResolveError;
pub use seal::{KeyServerRegistration, SealCalls};
pub use staking::NodeRegistration;
pub use system::{FloeCalls, InitParams, NewBlob, initialize};
pub use wal::WalCalls;

use super::framework::{CLOCK_ID, RANDOM_ID};

/// A shared object as a transaction input needs it: its id and the version at which it became
/// shared (read it from the object's `Owner::Shared`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SharedObject {
    /// The object id.
    pub id: Address,
    /// The version at which it became shared.
    pub initial_shared_version: u64,
}

/// An object that cannot be used as a shared input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("object {id} is not shared (owner: {owner})")]
pub struct SharedObjectError {
    /// The object.
    pub id: Address,
    /// How it is owned instead.
    pub owner: String,
}

impl SharedObject {
    /// The system `Clock` (0x6), shared since genesis at version 1.
    pub const CLOCK: Self = Self { id: CLOCK_ID, initial_shared_version: 1 };

    /// The `Random` object (0x8) as the devnet shares it: at genesis, version 1. On a Sui network
    /// it became shared later; read its initial shared version from the object.
    pub const RANDOM: Self = Self { id: RANDOM_ID, initial_shared_version: 1 };

    /// A shared object with a known initial shared version.
    pub fn new(id: Address, initial_shared_version: u64) -> Self {
        Self { id, initial_shared_version }
    }

    /// The shared-object input of an object read from the chain.
    pub fn from_object(object: &Object) -> Result<Self, SharedObjectError> {
        match object.owner() {
            Owner::Shared(version) => Ok(Self::new(object.object_id(), *version)),
            other => Err(SharedObjectError { id: object.object_id(), owner: format!("{other:?}") }),
        }
    }

    /// Adds the object as an input, mutable or read-only.
    pub(crate) fn add(&self, builder: &mut TransactionBuilder, mutable: bool) -> Argument {
        builder.object(ObjectInput::shared(self.id, self.initial_shared_version, mutable))
    }
}

/// The three byte strings a certificate is passed to the chain as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateBytes {
    /// The aggregate BLS signature (96 bytes).
    pub signature: Vec<u8>,
    /// Bit i%8 of byte i/8 set for each signing member i.
    pub signers_bitmap: Vec<u8>,
    /// The signed message.
    pub message: Vec<u8>,
}

impl From<&Certificate> for CertificateBytes {
    fn from(certificate: &Certificate) -> Self {
        Self {
            signature: certificate.signature.to_bytes().to_vec(),
            signers_bitmap: certificate.signers_bitmap(),
            message: certificate.message.clone(),
        }
    }
}

impl CertificateBytes {
    /// Adds the three `vector<u8>` arguments: signature, signers bitmap, message.
    fn add(&self, builder: &mut TransactionBuilder) -> [Argument; 3] {
        [bytes(builder, &self.signature), bytes(builder, &self.signers_bitmap), bytes(builder, &self.message)]
    }
}

/// `package::module::function`.
fn function(package: Address, module: &'static str, name: &'static str) -> Function {
    Function::new(package, Identifier::from_static(module), Identifier::from_static(name))
}

/// A pure argument: the BCS of `value`. Each gets its own input, even when another argument has
/// the same bytes, so no input is shared between two Move types (`1u8` and `true`).
fn pure<T: serde::Serialize>(builder: &mut TransactionBuilder, value: &T) -> Argument {
    builder.pure_unique(value)
}

/// A `vector<u8>` pure argument (ULEB128 length, then the bytes).
fn bytes(builder: &mut TransactionBuilder, value: &[u8]) -> Argument {
    pure(builder, &value)
}

/// A `String` pure argument (same BCS as `vector<u8>` of its UTF-8).
fn string(builder: &mut TransactionBuilder, value: &str) -> Argument {
    pure(builder, &value)
}

#[cfg(test)]
pub(crate) mod inspect;
#[cfg(test)]
mod signature_contract;

#[cfg(test)]
mod tests {
    use floe_encoder::bls::BlsSignature;
    use sui_sdk_types::{Digest, MoveStruct, ObjectData, StructTag};

    use super::*;
    use crate::floe::test_vectors;

    fn object(owner: Owner) -> Object {
        let mut contents = vec![0x51; 32];
        contents.extend(1u64.to_le_bytes());
        let data = MoveStruct::new(StructTag::sui(), false, 9, contents).expect("contents start with an id");
        Object::new(ObjectData::Struct(data), owner, Digest::ZERO, 0)
    }

    #[test]
    fn shared_object_from_a_shared_chain_object() {
        let shared = SharedObject::from_object(&object(Owner::Shared(4))).unwrap();
        assert_eq!(shared, SharedObject::new(Address::new([0x51; 32]), 4));
    }

    #[test]
    fn owned_chain_object_is_not_shared() {
        let err = SharedObject::from_object(&object(Owner::Address(Address::ZERO))).unwrap_err();
        assert_eq!(err.id, Address::new([0x51; 32]));
        assert!(err.to_string().contains("not shared"), "{err}");
        assert!(SharedObject::from_object(&object(Owner::Immutable)).is_err());
    }

    #[test]
    fn clock_is_object_six_shared_at_version_one() {
        assert_eq!(SharedObject::CLOCK.id, Address::from_static("0x6"));
        assert_eq!(SharedObject::CLOCK.initial_shared_version, 1);
    }

    #[test]
    fn certificate_bytes_from_an_encoder_certificate() {
        let certificate = Certificate {
            signers: vec![0, 1, 2],
            message: test_vectors::certify_message(),
            signature: BlsSignature::from_bytes(&test_vectors::certify_signature()).unwrap(),
        };
        let bytes = CertificateBytes::from(&certificate);
        assert_eq!(bytes.signers_bitmap, vec![7]);
        assert_eq!(bytes.signature, test_vectors::certify_signature());
        assert_eq!(bytes.message, test_vectors::certify_message());
    }
}
