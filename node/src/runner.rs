//! Running a whole storage node: open its store and chain state, serve the API, follow the chain
//! and work through its duties; stop them all cleanly. No global state and no fixed port, so
//! one process may run many nodes (as `floe localnet` does).
//!
//! ```no_run
//! # async fn example() -> Result<(), floe_node::runner::RunError> {
//! use floe_node::config::NodeConfig;
//!
//! let config = NodeConfig::load(std::path::Path::new("node-0.toml"))?;
//! // Runs until Ctrl-C (or until following the chain fails for good).
//! floe_node::runner::run(&config, async { tokio::signal::ctrl_c().await.unwrap() }).await?;
//! # Ok(()) }
//! ```

use std::{future::Future, sync::Arc, time::Duration};

use backon::{ExponentialBuilder, Retryable};
use floe_chain::{ChainClient, ClientError, floe::state::FloeReader};
use tokio::{
    net::TcpListener,
    sync::{Notify, watch},
    task::JoinHandle,
};

use crate::{
    api,
    chain_committee::ChainCommittee,
    chain_state::{ChainState, ChainStateError, Duty},
    chain_view::ChainView,
    config::{ConfigError, NodeConfig},
    duties::{DutyWorker, EpochSyncReporter},
    follower::{CommitteeSource, CommitteeSourceError, FollowError, Follower},
    node::StorageNode,
    operator::Operator,
    scrub,
    store::{Store, StoreClosing, StoreError},
};

/// Attempts at reading the committee at start-up.
pub const STARTUP_COMMITTEE_ATTEMPTS: usize = 10;

/// Why a node did not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The chain endpoint URL is invalid.
    #[error("chain endpoint: {0}")]
    Client(#[from] ClientError),
    /// The committee could not be read at start-up.
    #[error("cannot start without the committee: {0}")]
    Committee(#[from] CommitteeSourceError),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The chain state could not be opened.
    #[error(transparent)]
    ChainState(#[from] ChainStateError),
    /// The API could not listen.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Following the chain failed.
    #[error(transparent)]
    Follow(#[from] FollowError),
    /// A task panicked.
    #[error("node task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A running storage node.
#[derive(Debug)]
pub struct RunningNode {
    node: Arc<StorageNode>,
    state: Arc<ChainState>,
    server: api::Server,
    follower: JoinHandle<Result<(), FollowError>>,
    duties: JoinHandle<()>,
    scrub: JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl RunningNode {
    /// The base URL of its API, e.g. `http://127.0.0.1:9185`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The node (store, keys, request logic).
    pub fn node(&self) -> &Arc<StorageNode> {
        &self.node
    }

    /// Its view of the chain.
    pub fn chain_state(&self) -> &Arc<ChainState> {
        &self.state
    }

    /// A watch on its store's files being closed. [`RunningNode::stop`] ends the node's tasks;
    /// work one of them left running (a blocking store call whose request was cancelled) may
    /// hold the store a moment longer, and whoever opens the same directory again (a restart in
    /// this process) waits for this first.
    pub fn closing(&self) -> StoreClosing {
        self.node.store().closing()
    }

    /// Whether the follower stopped (only on an error, or after [`RunningNode::stop`]).
    pub fn follower_stopped(&self) -> bool {
        self.follower.is_finished()
    }

    /// Stops the API (requests in flight finish), the follower (after the checkpoint at hand)
    /// and the duty worker; returns the follower's error if it had failed.
    pub async fn stop(self) -> Result<(), RunError> {
        self.stop.send_replace(true);
        let followed = self.follower.await;
        let _ = self.duties.await;
        let _ = self.scrub.await;
        match self.server.task.await {
            Ok(Err(error)) => tracing::warn!(%error, "API server ended with an error"),
            Err(error) => tracing::warn!(%error, "API server task failed"),
            Ok(Ok(())) => {}
        }
        followed?.map_err(RunError::from)
    }
}

/// Starts the node `config` describes, listening on `config.listen` and reading the committee
/// from the chain.
pub async fn start(config: &NodeConfig) -> Result<RunningNode, RunError> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| RunError::Listen { address: config.listen.to_string(), source })?;
    let deployment = config.load_deployment()?;
    let client = ChainClient::new(&deployment.rpc_url)?;
    let committees = Arc::new(ChainCommittee::new(FloeReader::new(client, deployment)));
    start_with(config, listener, committees).await
}

/// Starts the node on an already bound `listener`, reading committees from `committees`.
pub async fn start_with(
    config: &NodeConfig,
    listener: TcpListener,
    committees: Arc<dyn CommitteeSource>,
) -> Result<RunningNode, RunError> {
    let key = config.bls_secret_key()?;
    let tls = config.tls_identity()?;
    let sui_key = config.sui_keypair()?;
    let deployment = config.load_deployment()?;
    let client = ChainClient::new(&deployment.rpc_url)?;
    let committee = (|| committees.current())
        .retry(ExponentialBuilder::default().with_max_times(STARTUP_COMMITTEE_ATTEMPTS - 1))
        .notify(|error, delay| tracing::info!(%error, ?delay, "waiting for the committee"))
        .await?;

    let data_dir = config.data_dir();
    let store_settings = config.limits.store_settings();
    let (store, state) = tokio::task::spawn_blocking(move || -> Result<_, RunError> {
        let store = Store::open_with(&data_dir, &store_settings)?;
        let state = ChainState::open(&store, committee)?;
        Ok((store, Arc::new(state)))
    })
    .await??;
    let node =
        Arc::new(StorageNode::new(state.clone(), store, key).with_pending_limits(config.limits.pending_limits()));
    // A member reports its sync for the epoch it starts in too (the genesis epoch included); the
    // reporter skips it if its capability shows it was done.
    if !node.owned_shards().is_empty() {
        state.add_duty(&Duty::EpochSyncDone(state.current_epoch()))?;
    }
    collect_garbage_at_start(&node).await;
    check_public_url(config, &node, &state, &listener);

    let (stop, stopped) = watch::channel(false);
    let server = {
        let mut stopped = stopped.clone();
        api::serve_tls_until(listener, node.clone(), tls, async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })
        .map_err(|source| RunError::Listen { address: config.listen.to_string(), source })?
    };
    let wake = Arc::new(Notify::new());
    {
        // Damaged data found by any check is repaired by the recovery duty.
        let (state, wake) = (state.clone(), wake.clone());
        node.integrity().set_repair_hook(Box::new(move |blob_id| match state.add_duty(&Duty::Recover(blob_id)) {
            Ok(()) => wake.notify_one(),
            Err(error) => tracing::warn!(%blob_id, %error, "cannot record the repair of a damaged blob"),
        }));
    }
    let follower = Follower::new(client.clone(), deployment.packages, state.clone(), node.clone(), committees)
        .with_duty_signal(wake.clone());
    let follower = tokio::spawn(follower.run(stopped.clone()));
    let operator = sui_key.map(|key| Operator::new(client, deployment, key));
    let epoch_sync = operator.clone().map(EpochSyncReporter::new);
    let mut worker = DutyWorker::new(state.clone(), node.clone(), config.limits.duty_settings(), epoch_sync, wake);
    if let Some(operator) = operator {
        worker = worker.with_operator(operator);
    }
    let duties = tokio::spawn(worker.run(stopped.clone()));
    let scrub = tokio::spawn(scrub::run(node.clone(), config.limits.scrub_settings(), stopped));
    tracing::info!(url = %server.url(), epoch = state.current_epoch(), "storage node serving");
    Ok(RunningNode { node, state, server, follower, duties, scrub, stop })
}

/// Runs the node until `shutdown` completes or the follower fails, then stops it.
pub async fn run(config: &NodeConfig, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
    let running = start(config).await?;
    let mut shutdown = std::pin::pin!(shutdown);
    let mut check = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = check.tick() => if running.follower_stopped() { break },
        }
    }
    running.stop().await
}

/// Drops data that died while the node was down or between a checkpoint's commit and its
/// storage sync (a crash there leaves the deletion to do).
async fn collect_garbage_at_start(node: &Arc<StorageNode>) {
    let node = node.clone();
    match tokio::task::spawn_blocking(move || node.collect_garbage()).await {
        Ok(Ok(deleted)) if !deleted.is_empty() => tracing::info!(count = deleted.len(), "dead blobs deleted at start"),
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::warn!(%error, "garbage collection at start failed"),
        Err(error) => tracing::warn!(%error, "garbage collection task failed"),
    }
}

/// Warns when the committee lists this node's key at another address than the one configured.
fn check_public_url(config: &NodeConfig, node: &StorageNode, state: &ChainState, listener: &TcpListener) {
    let scheme = if config.plain_http { "http" } else { "https" };
    let url =
        config.public_url.clone().or_else(|| listener.local_addr().ok().map(|address| format!("{scheme}://{address}")));
    let committee = state.committee();
    let own = node.public_key();
    let network_key = config.network_key_pair().ok().flatten().map(|key| key.public_key());
    match committee.members().iter().find(|member| member.public_key == own) {
        Some(member)
            if Some(member.http_address.trim_end_matches('/')) != url.as_deref().map(|u| u.trim_end_matches('/')) =>
        {
            tracing::warn!(registered = %member.http_address, configured = ?url, "the chain lists this node at another address")
        }
        Some(member) if !config.plain_http && member.network_key != network_key => tracing::warn!(
            registered = ?member.network_key,
            configured = ?network_key,
            "the chain lists another network key for this node: clients will refuse its TLS certificate"
        ),
        Some(_) => {}
        None => tracing::info!(epoch = committee.epoch(), "this node is not in the current committee"),
    }
}
