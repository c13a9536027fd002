//! floe-devnet: an embedded single-process Sui chain serving the part of the Sui gRPC API v2
//! that floe uses. Real signed transactions go in; effects, events and checkpoints come out;
//! Move packages are plugged in as native Rust implementations ([`NativePackage`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use floe_chain::{ChainClient, Keypair};
//! use floe_devnet::{Devnet, DevnetConfig, GenesisAccount, GenesisConfig};
//!
//! let alice = Keypair::from_secret_bytes([1; 32]);
//! let genesis = GenesisConfig {
//!     accounts: vec![GenesisAccount { address: alice.address(), sui_coins: vec![5_000_000_000] }],
//!     ..GenesisConfig::default()
//! };
//! let dir = tempfile::tempdir().unwrap();
//! let devnet = Devnet::start(DevnetConfig::new(dir.path(), genesis)).await.unwrap();
//!
//! let client = ChainClient::new(&devnet.url()).unwrap();
//! let sui = sui_sdk_types::StructTag::sui();
//! assert_eq!(client.balance(alice.address(), &sui).await.unwrap(), 5_000_000_000);
//! devnet.shutdown().await;
//! # }
//! ```

mod admin;
mod admission;
mod balance_changes;
mod browser;
mod coin_info;
mod config;
mod dynamic_field;
mod dynamic_field_listing;
mod dynamic_object_field;
mod epoch_info;
mod execution;
mod floe;
mod framework;
mod gas_selection;
mod genesis;
mod ledger;
mod ledger_query;
mod move_json;
mod native;
mod packages;
mod query_filter;
mod random;
mod render;
mod seal;
mod sealing;
mod sequencer;
mod server;
mod service;
mod signature_verification;
mod simulation;
mod store;
mod system_transaction;
mod transaction_limits;
mod unresolved;
mod working_set;

pub use admin::{ADVANCE_CLOCK_PATH, AdvanceClock, ClockAdvanced};
pub use admission::{GasSchedule, Packages, Rejection};
pub use config::{DevnetConfig, EpochSchedule, GenesisAccount, GenesisConfig};
pub use dynamic_field::{
    E_FIELD_ALREADY_EXISTS, E_FIELD_DOES_NOT_EXIST, E_FIELD_TYPE_MISMATCH, Field, field_id, field_type,
};
pub use floe::{
    CommitteeGenesis, CommitteeGenesisError, EpochAdvanceError, FloeGenesis, FloeGenesisError, FloePackage,
    GenesisNode, LocalnetNodeKeys, WalPackage, floe_packages,
};
pub use framework::{CLOCK, ClockValue, CoinValue, E_NON_ZERO, E_NOT_ENOUGH, E_OVERFLOW, SuiFramework, clock_type};
pub use ledger::{ExecuteError, Ledger, OpenError, Simulation};
pub use native::{CallError, MoveCallContext, NativePackage, Value};
pub use packages::PackageObjectError;
pub use random::{RANDOM, RandomInner, RandomValue, VersionedValue, generate_32_bytes, random_inner_type, random_type};
pub use seal::SealPackage;
pub use server::{Devnet, DevnetError, FLOE_PACKAGE, SEAL_PACKAGE, WAL_PACKAGE, packages_with};
pub use store::{CheckpointRecord, StoreError, TransactionRecord};
pub use system_transaction::SystemTransactionError;
pub use working_set::WorkingSet;
