//! Starting, observing and stopping a whole local network in one process.

use std::path::PathBuf;
use std::sync::Arc;

use floe_chain::floe::InitParams;
use floe_chain::floe::staking_pool::VotingParams;
use floe_chain::floe::state::FloeReader;
use floe_chain::{ChainClient, Deployment, Keypair};
use floe_client::daemon::{self, Daemon, DaemonSettings};
use floe_client::{ChainAccess, FloeClient, Settings};
use floe_devnet::{CommitteeGenesis, Devnet, DevnetConfig, EpochSchedule, GenesisAccount, GenesisConfig, GenesisNode};
use floe_indexer::{DatabaseUrl, IndexerConfig, IndexerService};
use floe_keyserver::{KeyServer, KeyServerConfig};
use floe_node::chain_committee::ChainCommittee;
use floe_node::config::{KeySource, NodeConfig};
use floe_node::runner::{self, RunningNode};
use floe_node::store::StoreClosing;
use serde::{Deserialize, Serialize};
use sui_sdk_types::{Address, StructTag};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{LocalnetConfig, NODE_STAKE, USER_SUI_COINS, USER_WAL_COINS};
use crate::ports::{BoundPorts, PortPlan, PortsFileError};

/// SUI (MIST) a candidate's operator gets for its transactions.
const CANDIDATE_OPERATOR_SUI: u64 = 100_000_000_000;
/// The capacity a candidate votes for: 1 TiB of encoded bytes.
const CANDIDATE_CAPACITY_VOTE: u64 = 1 << 40;

/// Why the local network could not start or a component could not be (re)started.
#[derive(Debug, thiserror::Error)]
pub enum LocalnetError {
    /// A port is taken (another localnet running?).
    #[error("cannot listen on {addr}: {source} (is another floe localnet running? stop it or pick other ports)")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Files under the data directory.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The genesis committee could not be built.
    #[error("genesis: {0}")]
    Genesis(#[from] floe_devnet::CommitteeGenesisError),
    /// The devnet failed.
    #[error("devnet: {0}")]
    Devnet(#[from] floe_devnet::DevnetError),
    /// A storage node failed.
    #[error("storage node {index}: {source}")]
    Node {
        /// Which node.
        index: usize,
        /// What failed.
        source: runner::RunError,
    },
    /// The publisher/aggregator's client could not connect.
    #[error("publisher/aggregator: {0}")]
    Client(#[from] floe_client::ChainError),
    /// The indexer failed.
    #[error("indexer: {0}")]
    Indexer(#[from] floe_indexer::ServiceError),
    /// A key server could not be registered on chain.
    #[error("key server {index}: {source}")]
    KeyServerRegistration {
        /// Which key server.
        index: usize,
        /// What failed.
        #[source]
        source: floe_keyserver::RegistrationError,
    },
    /// A key server could not start serving.
    #[error("key server {index}: {source}")]
    KeyServerServe {
        /// Which key server.
        index: usize,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// There is no key server of that index.
    #[error("key server {index}: there are only {count} key servers")]
    NoKeyServer {
        /// The index asked for.
        index: usize,
        /// The key servers running.
        count: usize,
    },
    /// The record of the ports of the first start.
    #[error(transparent)]
    Ports(#[from] PortsFileError),
    /// The services' certificate could not be made or loaded.
    #[error("the services' TLS certificate: {0}")]
    Tls(#[from] floe_serve::TlsError),
    /// No such node.
    #[error("there is no node {0}")]
    NoSuchNode(usize),
    /// A candidate node could not be funded or registered.
    #[error("registering candidate node {index}: {source}")]
    Candidate {
        /// Which node.
        index: usize,
        /// What failed.
        source: floe_client::ChainError,
    },
}

/// A key server registered on chain, remembered across restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyServerEntry {
    /// Its `KeyServer` object.
    pub object_id: Address,
    /// Its URL.
    pub url: String,
}

/// A running local network; see the crate docs.
#[derive(Debug)]
pub struct Localnet {
    config: LocalnetConfig,
    devnet: Devnet,
    node_configs: Vec<NodeConfig>,
    nodes: Vec<Option<RunningNode>>,
    /// The publisher/aggregator and the switch that stops it, unless it runs elsewhere.
    daemon: Option<(Daemon, watch::Sender<bool>)>,
    indexer: Option<IndexerService>,
    key_servers: Vec<Option<KeyServer>>,
    key_server_entries: Vec<KeyServerEntry>,
}

impl Localnet {
    /// Starts (or, on a data directory that holds one, resumes) the network `config` describes.
    pub async fn start(config: LocalnetConfig) -> Result<Self, LocalnetError> {
        create_dir(&config.data_dir)?;
        let ports = PortPlan::new(config.ports, BoundPorts::load(&config.data_dir)?);

        // Every node's address comes first: their URLs go into the genesis committee. Nodes run
        // here get the bound listener; external ones get the address (on a first start with
        // ephemeral ports, a free one picked outside the connections' range, see `ports`; the
        // OS's pick only if none turned up), recorded in ports.json for restarts.
        let mut node_listeners = Vec::with_capacity(config.total_nodes());
        let mut node_urls = Vec::with_capacity(config.total_nodes());
        let scheme = config.node_scheme();
        for i in 0..config.total_nodes() {
            let planned = ports.node(i);
            if !config.nodes_in_process && planned.port() != 0 {
                node_urls.push(format!("{scheme}://{planned}"));
                continue;
            }
            let listener = bind(planned).await?;
            let addr = listener.local_addr().map_err(|source| LocalnetError::Listen { addr: planned, source })?;
            node_urls.push(format!("{scheme}://{addr}"));
            if config.nodes_in_process {
                node_listeners.push(listener);
            }
        }

        let devnet = start_devnet(&config, &ports, &node_urls[..config.n_nodes]).await?;
        let deployment = devnet.deployment().clone();
        for (i, url) in node_urls.iter().enumerate().skip(config.n_nodes) {
            register_candidate(&config, i, url, &deployment).await?;
        }

        let mut node_configs = Vec::with_capacity(config.total_nodes());
        for (i, url) in node_urls.iter().enumerate() {
            node_configs.push(node_config(&config, i, url, &devnet)?);
        }
        let mut nodes = Vec::with_capacity(config.total_nodes());
        for (i, listener) in node_listeners.into_iter().enumerate() {
            let running = start_node(&node_configs[i], listener, &deployment)
                .await
                .map_err(|source| LocalnetError::Node { index: i, source })?;
            nodes.push(Some(running));
        }
        nodes.resize_with(config.total_nodes(), || None);

        let tls = if config.services_tls { Some(services_certificate(&config.data_dir)?) } else { None };
        let daemon =
            if config.daemon { Some(start_daemon(&config, &ports, &deployment, tls.clone()).await?) } else { None };
        let aggregator = daemon.as_ref().map(|(daemon, _)| daemon.url());
        let indexer = if config.indexer {
            Some(start_indexer(&config, &ports, &deployment, aggregator.as_deref(), tls.clone()).await?)
        } else {
            None
        };
        let (key_servers, key_server_entries) = start_key_servers(&config, &ports, &deployment, tls).await?;
        let key_servers = key_servers.into_iter().map(Some).collect();
        let localnet = Self { config, devnet, node_configs, nodes, daemon, indexer, key_servers, key_server_entries };
        localnet.bound_ports().save(&localnet.config.data_dir)?;
        Ok(localnet)
    }

    /// The ports every service serves on (what a restart on the same data directory binds).
    pub fn bound_ports(&self) -> BoundPorts {
        // Key servers may be stopped; their entries keep the URL they were registered with.
        let port = |url: &str| url.rsplit(':').next().and_then(|p| p.trim_end_matches('/').parse().ok()).unwrap_or(0);
        BoundPorts {
            rpc: self.devnet.addr().port(),
            nodes: self.node_configs.iter().map(|c| c.listen.port()).collect(),
            daemon: self.daemon.as_ref().map_or(0, |(daemon, _)| daemon.address.port()),
            indexer: self.indexer.as_ref().map_or(0, |indexer| indexer.addr().port()),
            key_servers: self.key_server_entries.iter().map(|entry| port(&entry.url)).collect(),
        }
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &LocalnetConfig {
        &self.config
    }

    /// The devnet (the chain).
    pub fn devnet(&self) -> &Devnet {
        &self.devnet
    }

    /// Where floe lives on the devnet.
    pub fn deployment(&self) -> &Deployment {
        self.devnet.deployment()
    }

    /// The deployment description file the devnet wrote.
    pub fn deployment_path(&self) -> PathBuf {
        self.config.data_dir.join("devnet").join("deployment.json")
    }

    /// The chain's gRPC endpoint.
    pub fn rpc_url(&self) -> String {
        self.devnet.url()
    }

    /// The publisher/aggregator's base URL (None: it runs elsewhere, [`LocalnetConfig::daemon`]).
    pub fn daemon_url(&self) -> Option<String> {
        self.daemon.as_ref().map(|(daemon, _)| daemon.url())
    }

    /// The indexer's explorer URL, if it runs.
    pub fn indexer_url(&self) -> Option<String> {
        let scheme = if self.config.services_tls { "https" } else { "http" };
        self.indexer.as_ref().map(|indexer| format!("{scheme}://{}", indexer.addr()))
    }

    /// The key servers (object id and URL), in order.
    pub fn key_servers(&self) -> &[KeyServerEntry] {
        &self.key_server_entries
    }

    /// The funded user account (SUI for gas, WAL for storage).
    pub fn user_key(&self) -> Keypair {
        self.config.user_key()
    }

    /// The storage nodes' API URLs, in node order.
    pub fn node_urls(&self) -> Vec<String> {
        self.node_configs.iter().map(|c| c.public_url.clone().unwrap_or_default()).collect()
    }

    /// The storage nodes' network (TLS) public keys, in node order: what the chain lists and
    /// clients pin.
    pub fn node_network_keys(&self) -> Vec<floe_encoder::network_key::NetworkPublicKey> {
        (0..self.node_configs.len()).map(|i| self.config.node_network_key(i).public_key()).collect()
    }

    /// Node `index`, if it is running in this process.
    pub fn node(&self, index: usize) -> Option<&RunningNode> {
        self.nodes.get(index).and_then(Option::as_ref)
    }

    /// The number of nodes (running or stopped).
    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// A client signing as the funded user.
    pub async fn client(&self) -> Result<FloeClient, LocalnetError> {
        Ok(FloeClient::connect(self.deployment().clone(), Some(self.user_key()), Settings::default()).await?)
    }

    /// A chain client of the devnet.
    pub fn chain(&self) -> ChainClient {
        ChainClient::new(&self.rpc_url()).expect("the devnet URL is valid")
    }

    /// Stops node `index` (its data stays on disk).
    pub async fn stop_node(&mut self, index: usize) -> Result<(), LocalnetError> {
        let slot = self.nodes.get_mut(index).ok_or(LocalnetError::NoSuchNode(index))?;
        if let Some(node) = slot.take() {
            node.stop().await.map_err(|source| LocalnetError::Node { index, source })?;
        }
        Ok(())
    }

    /// Starts node `index` again on its address, from its data on disk, in this process (also a
    /// node that ran elsewhere until then).
    pub async fn restart_node(&mut self, index: usize) -> Result<(), LocalnetError> {
        let config = self.node_configs.get(index).ok_or(LocalnetError::NoSuchNode(index))?.clone();
        let closing = self.node(index).map(RunningNode::closing);
        self.stop_node(index).await?;
        // Its directory opens again only once the old node's last store call has let go (one
        // whose request was cancelled by the stop runs on a moment); if it never does, the
        // start below says so.
        if let Some(closing) = closing {
            closing.closed(StoreClosing::WAIT).await;
        }
        let listener = bind(config.listen).await?;
        let running = start_node(&config, listener, self.devnet.deployment())
            .await
            .map_err(|source| LocalnetError::Node { index, source })?;
        self.nodes[index] = Some(running);
        Ok(())
    }

    /// Stops key server `index` (its entry stays in [`Self::key_servers`]; requests to it fail).
    pub async fn stop_key_server(&mut self, index: usize) -> Result<(), LocalnetError> {
        let count = self.key_server_entries.len();
        let server = self.key_servers.get_mut(index).ok_or(LocalnetError::NoKeyServer { index, count })?;
        if let Some(server) = server.take() {
            server.shutdown().await;
        }
        Ok(())
    }

    /// Stops everything, the chain last, and waits until the data directory is closed.
    pub async fn shutdown(self) {
        for server in self.key_servers.into_iter().flatten() {
            server.shutdown().await;
        }
        if let Some((daemon, stop)) = self.daemon {
            stop.send_replace(true);
            let _ = daemon.task.await;
        }
        drop(self.indexer);
        for (index, node) in self.nodes.into_iter().enumerate() {
            if let Some(node) = node
                && let Err(error) = node.stop().await
            {
                tracing::warn!(index, %error, "node stopped with an error");
            }
        }
        self.devnet.shutdown().await;
    }
}

fn create_dir(path: &std::path::Path) -> Result<(), LocalnetError> {
    std::fs::create_dir_all(path).map_err(|source| LocalnetError::Io { path: path.to_owned(), source })
}

async fn start_node(
    config: &NodeConfig,
    listener: TcpListener,
    deployment: &Deployment,
) -> Result<RunningNode, runner::RunError> {
    let reader = FloeReader::new(ChainClient::new(&deployment.rpc_url)?, deployment.clone());
    runner::start_with(config, listener, Arc::new(ChainCommittee::new(reader))).await
}

async fn bind(addr: std::net::SocketAddr) -> Result<TcpListener, LocalnetError> {
    TcpListener::bind(addr).await.map_err(|source| LocalnetError::Listen { addr, source })
}

/// The devnet with floe's packages and, on a fresh data directory, a committee of the nodes at
/// `node_urls` (equal stakes), the funded user and SUI for every operator.
async fn start_devnet(
    config: &LocalnetConfig,
    ports: &PortPlan,
    node_urls: &[String],
) -> Result<Devnet, LocalnetError> {
    let user = config.user_key().address();
    let nodes = node_urls
        .iter()
        .enumerate()
        .map(|(i, url)| {
            GenesisNode::new(
                &format!("node-{i}"),
                url,
                &config.node_bls_key(i),
                &config.node_network_key(i).public_key(),
                config.node_operator(i).address(),
                NODE_STAKE,
            )
        })
        .collect();
    let params = InitParams {
        n_shards: config.n_shards,
        epoch_duration_ms: u64::try_from(config.epoch_duration.as_millis()).unwrap_or(u64::MAX),
        max_epochs_ahead: 104,
        max_committee_size: u16::try_from(config.total_nodes().max(1)).unwrap_or(u16::MAX),
    };
    let genesis = CommitteeGenesis::new(&params, &[(user, USER_WAL_COINS.to_vec())], nodes)?;
    let chain = GenesisConfig {
        chain: "floe-localnet".into(),
        accounts: vec![GenesisAccount { address: user, sui_coins: USER_SUI_COINS.to_vec() }],
        ..GenesisConfig::default()
    };
    let mut devnet_config = DevnetConfig::new(config.data_dir.join("devnet"), chain);
    devnet_config.listen = ports.rpc();
    devnet_config.finality_delay = config.finality_delay;
    devnet_config.rpc_delay = config.rpc_delay;
    devnet_config.epochs = EpochSchedule { auto_advance: true, complete_sync: false, ..EpochSchedule::default() };
    genesis.configure(&mut devnet_config);
    Ok(Devnet::start_with(devnet_config, floe_devnet::packages_with(floe_devnet::floe_packages())).await?)
}

/// Registers node `i` as a candidate with no stake, unless its operator holds a
/// `StorageNodeCap` already (a restart); its operator gets SUI for gas from the funded user
/// first when it has none.
async fn register_candidate(
    config: &LocalnetConfig,
    i: usize,
    url: &str,
    deployment: &Deployment,
) -> Result<(), LocalnetError> {
    let failed = |source| LocalnetError::Candidate { index: i, source };
    let operator = config.node_operator(i);
    let chain = ChainAccess::connect(deployment.clone(), Some(operator.clone())).await.map_err(failed)?;
    if chain.storage_node_cap(operator.address()).await.map_err(failed)?.is_some() {
        return Ok(());
    }
    let client = chain.client();
    if client.balance(operator.address(), &StructTag::sui()).await.map_err(|e| failed(e.into()))? == 0 {
        let user = ChainAccess::connect(deployment.clone(), Some(config.user_key())).await.map_err(failed)?;
        user.send_sui(operator.address(), CANDIDATE_OPERATOR_SUI).await.map_err(failed)?;
    }
    let system = chain.system().await.map_err(failed)?;
    let voting = VotingParams {
        storage_price: system.storage_price_per_unit_size,
        write_price: system.write_price_per_unit_size,
        node_capacity: CANDIDATE_CAPACITY_VOTE,
    };
    let network_key = config.node_network_key(i).public_key();
    let (bls_key, name) = (config.node_bls_key(i), format!("node-{i}"));
    let registration = chain.node_registration(&bls_key, &network_key, &name, url, 0, voting).await.map_err(failed)?;
    chain.register_candidate(&registration).await.map_err(failed)?;
    Ok(())
}

/// Node `i`'s configuration, also written to `node-<i>/node.toml` so that the same node can be
/// run alone with `floe node --config`.
fn node_config(config: &LocalnetConfig, i: usize, url: &str, devnet: &Devnet) -> Result<NodeConfig, LocalnetError> {
    let dir = config.data_dir.join(format!("node-{i}"));
    create_dir(&dir)?;
    let scheme = config.node_scheme();
    let listen = url
        .strip_prefix(&format!("{scheme}://"))
        .and_then(|addr| addr.parse().ok())
        .expect("a URL made from a socket address");
    let operator = config.node_operator(i).to_suiprivkey().expect("an Ed25519 key encodes");
    let node_config = NodeConfig {
        data_dir: dir.join("db"),
        listen,
        public_url: Some(url.to_owned()),
        deployment: config.data_dir.join("devnet").join("deployment.json"),
        rpc_url: Some(devnet.url()),
        bls_key: KeySource::Seed(hex::encode(config.node_bls_seed(i))),
        network_key: Some(KeySource::Seed(hex::encode(config.node_network_seed(i)))),
        plain_http: !config.nodes_tls,
        sui_key: Some(KeySource::Seed(operator)),
        limits: config.node_limits.clone(),
        base_dir: PathBuf::new(),
    };
    let path = dir.join("node.toml");
    // The config names the node's keys.
    floe_chain::write_private(&path, node_config.to_toml().as_bytes())
        .map_err(|source| LocalnetError::Io { path, source })?;
    Ok(node_config)
}

/// The publisher/aggregator's, the indexer's and the key servers' certificate: made on the first
/// start into `DIR/tls/` (cert.pem, key.pem), the same on every restart.
fn services_certificate(data_dir: &std::path::Path) -> Result<floe_serve::TlsIdentity, LocalnetError> {
    let dir = data_dir.join("tls");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    if !cert.is_file() || !key.is_file() {
        create_dir(&dir)?;
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let (cert_pem, key_pem) = floe_serve::tls::self_signed_pem(&names)?;
        std::fs::write(&cert, cert_pem).map_err(|source| LocalnetError::Io { path: cert.clone(), source })?;
        floe_chain::write_private(&key, key_pem.as_bytes())
            .map_err(|source| LocalnetError::Io { path: key.clone(), source })?;
    }
    Ok(floe_serve::TlsIdentity::from_pem_files(&cert, &key)?)
}

/// The services' certificate as a client trusts it, once [`services_certificate`] wrote it.
fn services_certificate_pem(data_dir: &std::path::Path) -> Option<reqwest::Certificate> {
    let pem = std::fs::read(data_dir.join("tls").join("cert.pem")).ok()?;
    reqwest::Certificate::from_pem(&pem).ok()
}

async fn start_daemon(
    config: &LocalnetConfig,
    ports: &PortPlan,
    deployment: &Deployment,
    tls: Option<floe_serve::TlsIdentity>,
) -> Result<(Daemon, watch::Sender<bool>), LocalnetError> {
    let client = FloeClient::connect(deployment.clone(), Some(config.user_key()), Settings::default()).await?;
    let addr = ports.daemon();
    let listener = bind(addr).await?;
    let (stop, mut stopped) = watch::channel(false);
    // A local network is for development: pages on any localhost port may call every service.
    let settings = DaemonSettings { cors: floe_serve::Cors::AnyOrigin, tls, ..DaemonSettings::default() };
    let daemon = daemon::serve(listener, Arc::new(client), settings, async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    })
    .map_err(|source| LocalnetError::Listen { addr, source })?;
    Ok((daemon, stop))
}

/// The indexer, indexing quilt patches through the local aggregator when it runs here.
async fn start_indexer(
    config: &LocalnetConfig,
    ports: &PortPlan,
    deployment: &Deployment,
    aggregator: Option<&str>,
    tls: Option<floe_serve::TlsIdentity>,
) -> Result<IndexerService, LocalnetError> {
    Ok(IndexerService::start(IndexerConfig {
        database: DatabaseUrl::Sqlite(config.data_dir.join("indexer.db")),
        rpc_url: deployment.rpc_url.clone(),
        packages: deployment.packages,
        first_checkpoint: 0,
        listen: ports.indexer(),
        stream_policy: Default::default(),
        cors: floe_serve::Cors::AnyOrigin,
        quilts: aggregator.map(|url| floe_indexer::QuiltSource {
            // The localnet's daemon serves its own self-signed certificate under --tls-services.
            trusted_certificates: match tls {
                Some(_) => services_certificate_pem(&config.data_dir).into_iter().collect(),
                None => Vec::new(),
            },
            ..floe_indexer::QuiltSource::new(url)
        }),
        tls,
    })
    .await?)
}

/// Key servers, registered on chain on the first start (their object ids are kept in
/// `key-servers.json`), serving on their ports.
async fn start_key_servers(
    config: &LocalnetConfig,
    ports: &PortPlan,
    deployment: &Deployment,
    tls: Option<floe_serve::TlsIdentity>,
) -> Result<(Vec<KeyServer>, Vec<KeyServerEntry>), LocalnetError> {
    let chain = ChainClient::new(&deployment.rpc_url).expect("the devnet URL is valid");
    let path = config.data_dir.join("key-servers.json");
    let mut known: Vec<KeyServerEntry> =
        std::fs::read(&path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default();
    let mut servers = Vec::with_capacity(config.key_servers);
    let mut entries = Vec::with_capacity(config.key_servers);
    for i in 0..config.key_servers {
        let listener = bind(ports.key_server(i)).await?;
        let url = format!(
            "{}://{}",
            if tls.is_some() { "https" } else { "http" },
            listener.local_addr().map_err(|source| LocalnetError::Io { path: path.clone(), source })?
        );
        let master_key = config.key_server_master_key(i);
        let object_id = match known.get(i) {
            Some(entry) if entry.url == url => entry.object_id,
            _ => floe_keyserver::register_key_server(
                &chain,
                &deployment.packages,
                &config.user_key(),
                &format!("key-server-{i}"),
                &url,
                &master_key.public_key(),
            )
            .await
            .map_err(|source| LocalnetError::KeyServerRegistration { index: i, source })?,
        };
        let mut server_config = KeyServerConfig::new(master_key, object_id, chain.clone());
        server_config.cors = floe_serve::Cors::AnyOrigin;
        server_config.tls = tls.clone();
        let server = KeyServer::serve(listener, server_config)
            .map_err(|source| LocalnetError::KeyServerServe { index: i, source })?;
        servers.push(server);
        entries.push(KeyServerEntry { object_id, url });
    }
    known.clone_from(&entries);
    let json = serde_json::to_vec_pretty(&known).expect("entries serialize");
    std::fs::write(&path, json).map_err(|source| LocalnetError::Io { path, source })?;
    Ok((servers, entries))
}
