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
//!
//! `move/README.md` is the contract these types follow.

pub mod blob;
pub mod calls;
pub mod committee;
pub mod events;
pub mod framework;
pub mod messages;
pub mod move_type;
pub mod objects;
pub mod seal;
pub mod staked_wal;
pub mod staking;
pub mod staking_pool;
pub mod storage;
pub mod system;
#[cfg(test)]
mod test_vectors;
pub mod wal;

pub use calls::{
    CertificateBytes, FloeCalls, InitParams, KeyServerRegistration, NewBlob, NodeRegistration, SealCalls,
    SharedObject, SharedObjectError, WalCalls,
};
pub use events::FloeEvent;
pub use move_type::{DecodeError, FloePackage, MoveType};
pub use objects::FloeObject;
