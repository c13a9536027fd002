//! Deploying floe on a Sui network: publish the checked-in bytecode of `wal`, then `floe` (linked
//! to where `wal` was published), then `seal`; spend floe's `InitCap` on `init::initialize` to
//! create the shared System and Staking; describe the result as a [`Deployment`].
//!
//! Each publication is one transaction: a `Publish` command with the package's modules and the
//! ids of its dependencies (`0x1`, `0x2`, and for `floe` the published `wal`), whose result (the
//! package's `UpgradeCap`) goes to the sender. The new package is the one immutable package object
//! the transaction created; the module initializers run at publication (`wal::init` mints the
//! supply to the sender, `floe::init::init` sends it the `InitCap`).

use floe_encoder::config::MIN_N_SHARDS;
use sui_sdk_types::{Address, ObjectData, Owner, StructTag};
use sui_transaction_builder::{Argument, ObjectInput, TransactionBuilder};

use super::MoveType;
use super::calls::{InitParams, initialize};
use super::events::{FloeEvent, Initialized};
use super::packages::{self, CompiledPackage};
use super::system::InitCap;
use crate::move_bytecode::BytecodeError;
use crate::{ChainClient, ClientError, Deployment, ExecuteError, Executed, Executor, Keypair, Packages, gas_budget};

/// Why a deployment stopped.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The node could not be reached or refused a read.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A deployment transaction could not be paid, sent or executed.
    #[error(transparent)]
    Execute(#[from] ExecuteError),
    /// The checked-in bytecode could not be linked.
    #[error("cannot link the {package} package: {source}")]
    Link {
        /// The package folder.
        package: &'static str,
        /// Why.
        #[source]
        source: BytecodeError,
    },
    /// The initialization parameters would make `init::initialize` abort.
    #[error("invalid initialization parameters: {0}")]
    InvalidParams(&'static str),
    /// A step's transaction did not leave what it must (a package, the InitCap, the Initialized event).
    #[error("{step}: {reason}")]
    Unexpected {
        /// The step.
        step: &'static str,
        /// What was missing.
        reason: String,
    },
}

/// The largest `max_epochs_ahead` `init::initialize` accepts (`init::MAX_MAX_EPOCHS_AHEAD`).
pub const MAX_MAX_EPOCHS_AHEAD: u32 = 1000;

/// `init::initialize`'s own checks (`init::EInvalidParameter`), made before any gas is spent. The
/// smallest shard count is the encoding's ([`MIN_N_SHARDS`], `init::MIN_N_SHARDS`).
pub fn check_init_params(params: &InitParams) -> Result<(), DeployError> {
    let reason = if params.n_shards < MIN_N_SHARDS {
        "n_shards must be at least 4 (fewer tolerate no faulty shard)"
    } else if params.epoch_duration_ms == 0 {
        "epoch_duration_ms must be positive"
    } else if params.max_committee_size == 0 {
        "max_committee_size must be positive"
    } else if params.max_epochs_ahead == 0 || params.max_epochs_ahead > MAX_MAX_EPOCHS_AHEAD {
        "max_epochs_ahead must be between 1 and 1000"
    } else {
        return Ok(());
    };
    Err(DeployError::InvalidParams(reason))
}

/// The transaction publishing `package` (modules as given, already linked) with `dependencies`,
/// sending the UpgradeCap to `sender`.
pub fn add_publish(
    builder: &mut TransactionBuilder,
    modules: Vec<Vec<u8>>,
    dependencies: Vec<Address>,
    sender: Address,
) {
    let upgrade_cap: Argument = builder.publish(modules, dependencies);
    let recipient = builder.pure(&sender);
    builder.transfer_objects(vec![upgrade_cap], recipient);
}

/// The modules and dependency ids of `package` once floe's packages it depends on live at
/// `links` (placeholder id, published id).
pub fn linked_publication(
    package: &'static CompiledPackage,
    links: &[(Address, Address)],
) -> Result<(Vec<Vec<u8>>, Vec<Address>), DeployError> {
    let modules = package.linked(links).map_err(|source| DeployError::Link { package: package.folder, source })?;
    let dependencies = package
        .dependencies()
        .into_iter()
        .map(|dep| links.iter().find(|(from, _)| *from == dep).map_or(dep, |(_, to)| *to))
        .collect();
    Ok((modules, dependencies))
}

/// Publishes `package` and returns the new package's id.
async fn publish(
    executor: &Executor,
    package: &'static CompiledPackage,
    links: &[(Address, Address)],
) -> Result<(Address, Executed), DeployError> {
    let (modules, dependencies) = linked_publication(package, links)?;
    let sender = executor.address();
    let executed = executor.run(gas_budget::DEPLOY, |b| add_publish(b, modules, dependencies, sender)).await?;
    let client = executor.client();
    for created in executed.created() {
        if created.owner != Owner::Immutable {
            continue;
        }
        let id = *created.reference.object_id();
        if matches!(client.get_object(id).await?.data(), ObjectData::Package(_)) {
            return Ok((id, executed));
        }
    }
    Err(DeployError::Unexpected {
        step: "publishing",
        reason: format!("the publication of {} ({}) created no package", package.folder, executed.digest),
    })
}

/// Publishes floe's three packages with `key`, initializes floe's system with `params` and
/// returns the deployment (with `rpc_url` as given and the chain id the node reports).
pub async fn deploy(client: &ChainClient, key: &Keypair, params: &InitParams) -> Result<Deployment, DeployError> {
    check_init_params(params)?;
    let chain_id = client.service_info().await?.chain_id;
    let executor = Executor::new(client.clone(), key.clone());
    let (wal, _) = publish(&executor, &packages::WAL, &[]).await?;
    tracing::info!(%wal, "published wal");
    let links = [(packages::WAL.compiled_as_dependency, wal)];
    let (floe, published) = publish(&executor, &packages::FLOE, &links).await?;
    tracing::info!(%floe, "published floe");
    let seal_placeholder = packages::SEAL.compiled_as_dependency;
    let mut packages = Packages { wal, floe, seal: seal_placeholder };

    // The InitCap floe's module initializer sent to the publisher.
    let init_cap_type: StructTag = InitCap::struct_tag(&packages);
    let mut init_cap = None;
    for created in published.created() {
        if created.owner != Owner::Address(key.address()) {
            continue;
        }
        let object = client.get_object(*created.reference.object_id()).await?;
        if object.as_struct().is_some_and(|s| s.object_type() == &init_cap_type) {
            init_cap = Some(created.reference);
        }
    }
    let init_cap = init_cap.ok_or_else(|| DeployError::Unexpected {
        step: "publishing floe",
        reason: format!("no {init_cap_type} was sent to {}", key.address()),
    })?;

    let initialized = executor
        .run(gas_budget::DEPLOY, |b| {
            let cap = b.object(ObjectInput::owned(*init_cap.object_id(), init_cap.version(), *init_cap.digest()));
            initialize(b, floe, cap, params);
        })
        .await?;
    let Initialized { system_id, staking_id } = initialized
        .events
        .iter()
        .find_map(|event| match FloeEvent::decode(&packages, &event.type_, &event.contents) {
            Ok(FloeEvent::Initialized(i)) => Some(i),
            _ => None,
        })
        .ok_or_else(|| DeployError::Unexpected {
            step: "initializing floe",
            reason: format!("transaction {} emitted no Initialized event", initialized.digest),
        })?;

    let (seal, _) = publish(&executor, &packages::SEAL, &[]).await?;
    tracing::info!(%seal, "published seal");
    packages.seal = seal;
    Ok(Deployment {
        chain_id,
        rpc_url: client.url().to_owned(),
        packages,
        system_object: system_id,
        staking_object: staking_id,
    })
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::{Command, TransactionKind};

    use super::*;
    use crate::move_bytecode::read_module;

    #[test]
    fn init_params_are_checked_as_init_checks_them() {
        let good = InitParams { n_shards: 4, epoch_duration_ms: 1, max_epochs_ahead: 1000, max_committee_size: 1 };
        assert!(check_init_params(&good).is_ok());
        for bad in [
            InitParams { n_shards: 3, ..good },
            InitParams { epoch_duration_ms: 0, ..good },
            InitParams { max_epochs_ahead: 1001, ..good },
            InitParams { max_epochs_ahead: 0, ..good },
            InitParams { max_committee_size: 0, ..good },
        ] {
            assert!(matches!(check_init_params(&bad), Err(DeployError::InvalidParams(_))), "{bad:?}");
        }
    }

    #[test]
    fn floe_is_published_linked_to_the_published_wal() {
        let wal = Address::from_static("0x7a1");
        let (modules, dependencies) =
            linked_publication(&packages::FLOE, &[(packages::WAL.compiled_as_dependency, wal)]).unwrap();
        assert_eq!(dependencies, vec![Address::from_static("0x1"), Address::TWO, wal]);
        assert_eq!(modules.len(), packages::FLOE.modules.len());
        for bytes in &modules {
            let module = read_module(bytes).unwrap();
            // Published at 0x0 (the chain assigns the id), never naming wal's placeholder.
            assert_eq!(module.address, Address::ZERO);
            assert!(!module.addresses.contains(&packages::WAL.compiled_as_dependency));
        }
        // Only the dependency address changed.
        assert_eq!(
            modules.iter().map(Vec::len).collect::<Vec<_>>(),
            packages::FLOE.modules.iter().map(|(_, b)| b.len()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn wal_and_seal_are_published_as_checked_in() {
        for package in [&packages::WAL, &packages::SEAL] {
            let (modules, dependencies) = linked_publication(package, &[]).unwrap();
            assert_eq!(modules, package.module_bytes());
            assert_eq!(dependencies, vec![Address::from_static("0x1"), Address::TWO]);
        }
    }

    #[test]
    fn a_publication_sends_the_upgrade_cap_to_the_sender() {
        let sender = Address::from_static("0x5e4d");
        let mut builder = TransactionBuilder::new();
        builder.set_sender(sender);
        builder.set_gas_budget(1);
        builder.set_gas_price(1);
        builder.add_gas_objects([ObjectInput::owned(Address::from_static("0x9a5"), 1, sui_sdk_types::Digest::ZERO)]);
        let (modules, dependencies) = linked_publication(&packages::WAL, &[]).unwrap();
        add_publish(&mut builder, modules.clone(), dependencies.clone(), sender);
        let transaction = builder.try_build().unwrap();
        let TransactionKind::ProgrammableTransaction(ptb) = transaction.kind else { panic!() };
        let Command::Publish(publish) = &ptb.commands[0] else { panic!("{:?}", ptb.commands) };
        assert_eq!((&publish.modules, &publish.dependencies), (&modules, &dependencies));
        assert!(
            matches!(&ptb.commands[1], Command::TransferObjects(t) if t.objects == vec![sui_sdk_types::Argument::Result(0)])
        );
    }
}
