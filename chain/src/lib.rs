//! floe's view of Sui: account keys in the Sui CLI formats, the deployment description every
//! component loads, a client for any Sui gRPC v2 endpoint (execute-and-wait, object reads,
//! owned-object listing, balances, a gapless checkpoint stream), payment helpers for
//! programmable transactions and the one executor every floe transaction goes through.
//!
//! ```
//! use floe_chain::{Deployment, Keypair, Packages};
//! use sui_sdk_types::Address;
//!
//! let key = Keypair::from_secret_bytes([1; 32]);
//! let restored = Keypair::from_suiprivkey(&key.to_suiprivkey().unwrap()).unwrap();
//! assert_eq!(restored.address(), key.address());
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("deployment.json");
//! let deployment = Deployment {
//!     chain_id: "devnet".into(),
//!     rpc_url: "http://127.0.0.1:9000".into(),
//!     packages: Packages { wal: Address::TWO, floe: Address::THREE, seal: Address::ZERO },
//!     system_object: Address::ZERO,
//!     staking_object: Address::ZERO,
//! };
//! deployment.save(&path).unwrap();
//! assert_eq!(Deployment::load(&path).unwrap(), deployment);
//! ```

mod checkpoint;
mod checkpoint_stream;
mod client;
mod clock_time;
mod deployment;
mod executed;
mod executor;
pub mod floe;
mod keys;
pub mod move_bytecode;
mod payment;

pub use checkpoint::{CHECKPOINT_FIELDS, Checkpoint, CheckpointDecodeError, CheckpointTransaction};
pub use checkpoint_stream::StreamPolicy;
pub use client::{ChainClient, ClientError, ServiceInfo};
pub use clock_time::{ClockTime, Span};
pub use deployment::{Deployment, DeploymentError, Packages};
pub use executed::{Executed, ExecutionFailure, MoveAbort, WrittenObject, written_objects};
pub use executor::{ExecuteError, Executor, gas_budget};
pub use keys::{KeyError, Keypair, Keystore, write_private};
pub use payment::{
    PaymentError, SelectedCoin, coin_struct, owned_coins, select_coins, select_gas, split_payment, transaction_for,
};
