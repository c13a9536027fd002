//! Running the devnet: open the ledger, serve gRPC (native and gRPC-web, see [`crate::browser`])
//! and the admin route (see [`crate::ADVANCE_CLOCK_PATH`]) on a socket, seal empty checkpoints on a timer,
//! write the deployment description, and shut down cleanly.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use floe_chain::{Deployment, DeploymentError, Packages};
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::Address;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::admission::Packages as NativePackages;
use crate::config::DevnetConfig;
use crate::framework::SuiFramework;
use crate::ledger::{Ledger, OpenError};
use crate::sequencer::Sequencer;
use crate::service::DevnetService;

/// Where the devnet registers floe's packages. Readable fixed ids; a real network has hashes.
pub const WAL_PACKAGE: Address = Address::from_static("0xa1");
/// See [`WAL_PACKAGE`].
pub const FLOE_PACKAGE: Address = Address::from_static("0xf1");
/// See [`WAL_PACKAGE`].
pub const SEAL_PACKAGE: Address = Address::from_static("0x5e");

/// Why the devnet did not start.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// The ledger could not open.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The deployment description could not be written.
    #[error(transparent)]
    Deployment(#[from] DeploymentError),
    /// The genesis committee could not be registered, staked or selected.
    #[error(transparent)]
    CommitteeGenesis(#[from] crate::floe::CommitteeGenesisError),
}

/// The packages a devnet runs with: the Sui framework at `0x2`, plus any given.
pub fn packages_with(extra: impl IntoIterator<Item = (Address, Arc<dyn crate::NativePackage>)>) -> NativePackages {
    let mut packages: NativePackages = HashMap::new();
    packages.insert(Address::TWO, Arc::new(SuiFramework));
    packages.extend(extra);
    packages
}

/// A running devnet.
#[derive(Debug)]
pub struct Devnet {
    ledger: Arc<Ledger>,
    addr: SocketAddr,
    deployment: Deployment,
    closing: watch::Sender<bool>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
    sequencer: Sequencer,
    /// Follows floe's epoch schedule when the chain has floe's System and Staking.
    epochs: Option<crate::floe::EpochDriver>,
}

impl Devnet {
    /// Starts a devnet with the Sui framework only.
    pub async fn start(config: DevnetConfig) -> Result<Self, DevnetError> {
        Self::start_with(config, packages_with([])).await
    }

    /// Starts a devnet with the given native packages.
    pub async fn start_with(config: DevnetConfig, packages: NativePackages) -> Result<Self, DevnetError> {
        let ledger = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || Ledger::open(&config, packages))
                .await
                .expect("ledger open does not panic")?
        };
        let has_floe = config.staking_object != Address::ZERO && config.system_object != Address::ZERO;
        if has_floe && !config.genesis_nodes.is_empty() {
            let (ledger, config) = (ledger.clone(), config.clone());
            tokio::task::spawn_blocking(move || {
                crate::floe::run_committee_genesis(
                    &ledger,
                    config.system_object,
                    config.staking_object,
                    &config.genesis_nodes,
                )
            })
            .await
            .expect("committee genesis does not panic")?;
        }
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| DevnetError::Bind { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| DevnetError::Bind { addr: config.listen, source })?;
        let deployment = Deployment {
            chain_id: ledger.chain_id(),
            rpc_url: format!("http://{addr}"),
            packages: Packages { wal: WAL_PACKAGE, floe: FLOE_PACKAGE, seal: SEAL_PACKAGE },
            system_object: config.system_object,
            staking_object: config.staking_object,
        };
        deployment.save(&config.deployment_path())?;

        // Without TCP_NODELAY small responses wait for delayed ACKs (~40 ms per call).
        let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        let (closing, closing_rx) = watch::channel(false);
        let (sequencer, submitter) =
            Sequencer::start(ledger.clone(), config.checkpoint_interval, config.finality_delay);
        let service = DevnetService {
            ledger: ledger.clone(),
            submitter,
            closing: closing_rx.clone(),
            rendered: Default::default(),
        };
        let mut shutdown = closing_rx.clone();
        let mut grpc = tonic::service::Routes::builder();
        grpc.add_service(proto::ledger_service_server::LedgerServiceServer::new(service.clone()))
            .add_service(proto::state_service_server::StateServiceServer::new(service.clone()))
            .add_service(proto::transaction_execution_service_server::TransactionExecutionServiceServer::new(
                service.clone(),
            ))
            .add_service(proto::signature_verification_service_server::SignatureVerificationServiceServer::new(
                service.clone(),
            ))
            .add_service(proto::subscription_service_server::SubscriptionServiceServer::new(service))
            .add_service(proto::move_package_service_server::MovePackageServiceServer::new(
                crate::packages::PackageService { ledger: ledger.clone() },
            ));
        // The admin route answers plain HTTP on the same port; everything else is gRPC(-web).
        let grpc = crate::browser::grpc_web(grpc.routes().into_axum_router());
        let mut routes = crate::admin::router(ledger.clone()).fallback_service(grpc);
        if !config.rpc_delay.is_zero() {
            let delay = config.rpc_delay;
            routes = routes.layer(axum::middleware::from_fn(move |request, next: axum::middleware::Next| async move {
                let answer = next.run(request).await;
                tokio::time::sleep(delay).await;
                answer
            }));
        }
        let server = tokio::spawn(crate::browser::server().add_routes(routes.into()).serve_with_incoming_shutdown(
            incoming,
            async move {
                let _ = shutdown.wait_for(|closing| *closing).await;
            },
        ));
        let epochs = has_floe.then(|| {
            let operators = config.genesis_nodes.iter().map(|n| n.operator).collect();
            crate::floe::EpochDriver::start(
                ledger.clone(),
                config.system_object,
                config.staking_object,
                config.epochs.clone(),
                operators,
            )
        });
        tracing::info!(%addr, chain_id = %deployment.chain_id, "devnet serving");
        Ok(Self { ledger, addr, deployment, closing, server, sequencer, epochs })
    }

    /// The gRPC endpoint, `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The deployment description it wrote.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// The ledger, for in-process inspection.
    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// Ends floe's current epoch now, without waiting for its time: the chain's clock moves to
    /// the epoch's end and the devnet runs `voting_end` (if not run yet) and
    /// `initiate_epoch_change` as a system transaction. Returns the new epoch. Refused while the
    /// current epoch's change is still waiting for the nodes' `epoch_sync_done` reports.
    pub async fn advance_epoch(&self) -> Result<u32, crate::floe::EpochAdvanceError> {
        let (system, staking) = (self.deployment.system_object, self.deployment.staking_object);
        if system == Address::ZERO || staking == Address::ZERO {
            return Err(crate::floe::EpochAdvanceError::NoFloe);
        }
        let ledger = self.ledger.clone();
        tokio::task::spawn_blocking(move || crate::floe::advance_now(&ledger, system, staking))
            .await
            .expect("the epoch change does not panic")
    }

    /// Moves the chain's clock `by` ahead and seals an empty checkpoint at the new time, as
    /// `POST /devnet/advance-clock` does for another process (see [`crate::ADVANCE_CLOCK_PATH`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::time::Duration;
    /// use floe_devnet::{Devnet, DevnetConfig, GenesisConfig};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let devnet = Devnet::start(DevnetConfig::new(dir.path(), GenesisConfig::default())).await.unwrap();
    /// let before = devnet.ledger().now_ms();
    /// let advanced = devnet.advance_clock(Duration::from_secs(3600)).await.unwrap();
    /// assert!(advanced.timestamp_ms.as_ms() >= before + 3_600_000);
    /// devnet.shutdown().await;
    /// # }
    /// ```
    pub async fn advance_clock(&self, by: std::time::Duration) -> Result<crate::ClockAdvanced, crate::StoreError> {
        let ledger = self.ledger.clone();
        tokio::task::spawn_blocking(move || crate::admin::advance_clock(&ledger, by))
            .await
            .expect("advancing the clock does not panic")
    }

    /// Stops serving and waits until the store is closed, so the data directory can be reopened.
    pub async fn shutdown(self) {
        if let Some(epochs) = self.epochs {
            let _ = tokio::task::spawn_blocking(move || epochs.stop()).await;
        }
        let _ = self.closing.send(true);
        match self.server.await {
            Ok(Err(e)) => tracing::warn!(error = %e, "devnet server ended with an error"),
            Err(e) => tracing::warn!(error = %e, "devnet server task failed"),
            Ok(Ok(())) => {}
        }
        // The server's services held the last submitters; the sequencer now winds down.
        let sequencer = self.sequencer;
        let _ = tokio::task::spawn_blocking(move || sequencer.join()).await;
        // Wait for in-flight blocking work to release the ledger before returning.
        let ledger = self.ledger;
        while Arc::strong_count(&ledger) > 1 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}
