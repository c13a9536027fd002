//! floe's Move types in Rust and typed calls into its packages.
//!
//! - Mirrors of every object and event of `move/wal`, `move/floe` and `move/seal` whose serde
//!   derives give exactly the BCS layout of the Move struct (field order, `u256` as 32
//!   little-endian bytes, `UID`/`ID` as [`Address`](sui_sdk_types::Address), `Balance<T>` as its
//!   `u64`), grouped by domain.
//! - Decoding by type tag: [`FloeEvent::decode`] and [`FloeObject::decode`] match a
//!   `StructTag` against the deployment's package ids and yield a typed variant, or `Unknown`
//!   for anything that is not floe's.
//! - Call builders ([`FloeCalls`], [`SealCalls`], [`WalCalls`]) that append the `MoveCall` of
//!   each public or entry function to a `TransactionBuilder`, encoding every argument as the
//!   Move signature takes it, and return the results so calls compose into one PTB.
//!   [`FloeCalls::resolve`] reads the initial shared versions of System and Staking, which the
//!   deployment description does not carry.
//!
//! `move/README.md` is the contract these types follow; the tests read the Move sources and
//! check every mirror's fields and every builder's arguments against them.
//!
//! ```
//! use floe_chain::Packages;
//! use floe_chain::floe::events::EpochChangeStart;
//! use floe_chain::floe::{FloeCalls, FloeEvent, MoveType, NewBlob, SharedObject};
//! use floe_encoder::{BlobId, EncodingType, merkle::Node};
//! use sui_sdk_types::{Address, Digest, StructTag};
//! use sui_transaction_builder::{ObjectInput, TransactionBuilder};
//!
//! let packages = Packages {
//!     wal: Address::from_static("0xa1"),
//!     floe: Address::from_static("0xf1"),
//!     seal: Address::from_static("0x5e"),
//! };
//!
//! // Decoding: floe's events by type tag, anything else kept as Unknown.
//! let tag = EpochChangeStart::struct_tag(&packages);
//! let event = FloeEvent::decode(&packages, &tag, &5u32.to_le_bytes()).unwrap();
//! assert_eq!(event, FloeEvent::EpochChangeStart(EpochChangeStart { epoch: 5 }));
//! assert!(FloeEvent::decode(&packages, &StructTag::gas_coin(), &[1, 2]).unwrap().is_unknown());
//!
//! // Calls: reserve storage, register a blob on it and keep the blob, in one transaction.
//! let system = SharedObject::new(Address::from_static("0x51"), 3);
//! let staking = SharedObject::new(Address::from_static("0x52"), 3);
//! let calls = FloeCalls::new(&packages, system, staking);
//! let sender = Address::from_static("0xee");
//! let mut tx = TransactionBuilder::new();
//! let wal = tx.object(ObjectInput::owned(Address::from_static("0xc0"), 7, Digest::ZERO));
//! let storage = calls.reserve_space(&mut tx, 10_680, 2, wal);
//! let root_hash = [7; 32];
//! let blob_id = BlobId::derive(EncodingType::RS2, 1000, &Node::Digest(root_hash));
//! let encoding_type = EncodingType::RS2.as_u8();
//! let new_blob = NewBlob { blob_id, root_hash, size: 1000, encoding_type, deletable: false };
//! let blob = calls.register_blob(&mut tx, storage, &new_blob, wal);
//! let owner = tx.pure(&sender);
//! tx.transfer_objects(vec![blob], owner);
//! tx.set_sender(sender);
//! tx.add_gas_objects([ObjectInput::owned(Address::from_static("0x6a"), 1, Digest::ZERO)]);
//! tx.set_gas_price(1_000);
//! tx.set_gas_budget(10_000_000);
//! let transaction = tx.try_build().unwrap();
//! # let _ = transaction;
//! ```

pub mod aborts;
pub mod blob;
pub mod calls;
pub mod challenges;
pub mod committee;
#[cfg(test)]
mod constant_contract;
pub mod deploy;
pub mod events;
pub mod framework;
#[cfg(test)]
mod layout_contract;
pub mod messages;
pub mod move_type;
pub mod objects;
pub mod packages;
pub mod pricing;
pub mod seal;
pub mod shared_blob;
pub mod staked_wal;
pub mod staking;
pub mod staking_pool;
pub mod state;
pub mod storage;
pub mod system;
#[cfg(test)]
mod test_vectors;
pub mod wal;

pub use calls::{
    CertificateBytes, FloeCalls, InitParams, KeyServerRegistration, NewBlob, NodeRegistration, ResolveError, SealCalls,
    SharedObject, SharedObjectError, WalCalls,
};
pub use events::FloeEvent;
pub use move_type::{DecodeError, FloePackage, MoveType, ObjectMismatch};
pub use objects::FloeObject;
