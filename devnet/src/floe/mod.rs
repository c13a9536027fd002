//! floe's Move packages (`move/wal`, `move/floe`) implemented natively: the same objects (BCS
//! as in Move, through `floe_chain::floe`'s mirrors), the same events and the same abort codes as
//! the Move source, which `move/README.md` describes as a contract.
//!
//! One file per Move module (or a close group of them); [`FloePackage`] routes each call to the
//! module that defines it. Aborts are located where Move raises them (e.g.
//! `system_state_inner::reserve_space_for_epochs`), not where the call entered the package.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use floe_chain::Keypair;
//! use floe_chain::floe::InitParams;
//! use floe_devnet::{Devnet, DevnetConfig, FloeGenesis, GenesisConfig, floe_packages, packages_with};
//!
//! let alice = Keypair::from_secret_bytes([1; 32]);
//! let params = InitParams { n_shards: 10, epoch_duration_ms: 60_000, max_epochs_ahead: 10, max_committee_size: 10 };
//! let genesis = FloeGenesis::new(&params, &[(alice.address(), vec![1_000_000_000])]).unwrap();
//! let dir = tempfile::tempdir().unwrap();
//! let mut config = DevnetConfig::new(dir.path(), GenesisConfig::default());
//! genesis.configure(&mut config);
//! let devnet = Devnet::start_with(config, packages_with(floe_packages())).await.unwrap();
//! assert_eq!(devnet.deployment().system_object, genesis.system.id);
//! devnet.shutdown().await;
//! # }
//! ```

mod accounting;
mod active_set;
mod apportionment;
mod blob;
mod certificate;
mod challenges;
mod committee;
mod encoding;
mod epoch;
mod epoch_driver;
mod genesis_committee;
mod genesis_state;
mod init;
mod shared_blob;
mod staked_wal;
mod staking;
mod staking_pool;
mod storage_resource;
mod system;
mod system_calls;
mod wal;

use std::sync::Arc;

use floe_chain::Packages;
use floe_chain::floe::MoveType;
use sui_sdk_types::{Address, StructTag, TypeTag};

use crate::framework::CoinValue;
pub(crate) use crate::native::abort_in;
use crate::native::{CallError, FunctionTable, MoveCallContext, NativePackage, Value, arg_error};
use crate::server::{FLOE_PACKAGE, SEAL_PACKAGE, WAL_PACKAGE};

pub use epoch_driver::EpochAdvanceError;
pub(crate) use epoch_driver::{EpochDriver, advance_now};
pub(crate) use genesis_committee::run as run_committee_genesis;
pub use genesis_committee::{CommitteeGenesis, CommitteeGenesisError, GenesisNode, LocalnetNodeKeys};
pub use genesis_state::{FloeGenesis, FloeGenesisError};
pub use wal::WalPackage;

/// The native packages of floe at the devnet's fixed ids (WAL at `0xa1`, floe at `0xf1`, the
/// Seal policies at `0x5e`), for [`packages_with`](crate::packages_with).
pub fn floe_packages() -> Vec<(Address, Arc<dyn NativePackage>)> {
    vec![
        (WAL_PACKAGE, Arc::new(WalPackage)),
        (FLOE_PACKAGE, Arc::new(FloePackage)),
        (SEAL_PACKAGE, Arc::new(crate::SealPackage)),
    ]
}

/// The package ids of the devnet's deployment.
pub(crate) fn deployment_packages() -> Packages {
    Packages { wal: WAL_PACKAGE, floe: FLOE_PACKAGE, seal: SEAL_PACKAGE }
}

/// The struct tag of a floe mirror type at the devnet's package ids.
pub(crate) fn tag<T: MoveType>() -> StructTag {
    T::struct_tag(&deployment_packages())
}

/// `0x2::coin::Coin<wal::wal::WAL>`.
pub(crate) fn wal_coin_type() -> StructTag {
    StructTag::coin(TypeTag::Struct(Box::new(floe_chain::floe::wal::wal_type(&deployment_packages()))))
}

/// Move aborts on integer overflow with an arithmetic error, which has no abort code; the devnet
/// reports it as a refused argument naming what overflowed.
pub(crate) fn overflow(what: &str) -> CallError {
    CallError::Argument { index: 0, reason: format!("arithmetic overflow in {what}") }
}

/// Checks that object argument `index` may be mutated (a `&mut` or by-value parameter): a
/// shared object passed read-only cannot be.
pub(crate) fn require_mutable(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<Address, CallError> {
    let id = call.object_id(args, index)?;
    if !call.working_set.entry(&id).mutable {
        return Err(arg_error(index, format!("object {id} is passed read-only to a function that mutates it")));
    }
    Ok(id)
}

/// Reads a `&mut Coin<WAL>` argument.
pub(crate) fn read_wal_coin(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<CoinValue, CallError> {
    call.expect_type(args, index, &wal_coin_type())?;
    require_mutable(call, args, index)?;
    call.read(args, index)
}

/// The floe package (`move/floe`), natively.
#[derive(Debug, Default, Clone, Copy)]
pub struct FloePackage;

impl FloePackage {
    /// The floe package's natively implemented modules, each defined in its file.
    pub(crate) const FUNCTIONS: FunctionTable = FunctionTable(&[
        ("init", init::FUNCTIONS),
        ("system", system::FUNCTIONS),
        ("storage_resource", storage_resource::FUNCTIONS),
        ("blob", blob::FUNCTIONS),
        ("shared_blob", shared_blob::FUNCTIONS),
        ("staking", staking::FUNCTIONS),
        ("staked_wal", staked_wal::FUNCTIONS),
    ]);
}

impl NativePackage for FloePackage {
    fn compiled(&self) -> Option<&'static floe_chain::floe::packages::CompiledPackage> {
        Some(&floe_chain::floe::packages::FLOE)
    }

    fn has_function(&self, module: &str, function: &str) -> bool {
        Self::FUNCTIONS.get(module, function).is_some()
    }

    fn prepare(&self, module: &str, function: &str, pure_args: &[Option<&[u8]>]) {
        // The certificate's three byte strings, after the System (and the Blob for certify, the
        // Staking for a challenge outcome).
        let first = match (module, function) {
            ("system", "certify_blob") => 2,
            ("system", "invalidate_blob_id") => 1,
            ("staking", "record_challenge_outcome") => 2,
            _ => return,
        };
        let bytes = |i: usize| pure_args.get(i).copied().flatten().and_then(|b| bcs::from_bytes::<Vec<u8>>(b).ok());
        if let (Some(signature), Some(bitmap), Some(message)) = (bytes(first), bytes(first + 1), bytes(first + 2)) {
            certificate::prepare(&signature, &bitmap, &message);
        }
    }

    fn call(&self, call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
        Self::FUNCTIONS.call(call, args)
    }
}
