//! What a local network is made of: sizes, ports, epoch length, and the seed every key is
//! derived from (so a restart on the same data directory finds the same keys).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use floe_chain::Keypair;
use floe_encoder::{bls::BlsSecretKey, network_key::NetworkKeyPair};
use floe_node::config::NodeLimits;
use floe_seal::MasterKey;

/// Storage nodes by default, as on a small real committee.
pub const DEFAULT_NODES: usize = 10;
/// Shards by default.
pub const DEFAULT_SHARDS: u16 = 100;
/// Key servers by default.
pub const DEFAULT_KEY_SERVERS: usize = 3;
/// Each local node's database cache, in MiB: ten nodes share one machine (redb's own default is
/// 1 GiB per database, a node's 64 MiB).
pub const NODE_DB_CACHE_MIB: u64 = 16;
/// Epoch length by default: long enough that a blob stored for a few epochs outlives a
/// demonstration, short enough to see epochs change in an afternoon.
pub const DEFAULT_EPOCH_DURATION: Duration = Duration::from_secs(60 * 60);
/// SUI (in MIST) the funded user account gets, split in coins so transactions can run in parallel.
pub const USER_SUI_COINS: [u64; 4] = [250_000_000_000_000; 4];
/// WAL (in FROST) the funded user account gets.
pub const USER_WAL_COINS: [u64; 4] = [250_000_000_000_000_000; 4];
/// WAL (in FROST) each genesis node stakes: equal stakes give equal shares of the shards.
pub const NODE_STAKE: u64 = 1_000_000_000_000_000;

/// The ports a local network's first start listens on: fixed ones for the command-line local
/// network, or the OS's picks ([`Ports::ephemeral`], for tests). Restarts reuse the first start's
/// ports, whatever these say (see `ports.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// The devnet's gRPC port.
    pub rpc: u16,
    /// Node `i` listens on `first_node + i`.
    pub first_node: u16,
    /// The publisher/aggregator.
    pub daemon: u16,
    /// The indexer's explorer.
    pub indexer: u16,
    /// Key server `i` listens on `first_key_server + i`.
    pub first_key_server: u16,
}

impl Default for Ports {
    fn default() -> Self {
        Self { rpc: 9000, first_node: 9185, daemon: 31415, indexer: 8080, first_key_server: 9300 }
    }
}

impl Ports {
    /// Every service on a free port picked at its first start, outside the range the kernel
    /// gives outgoing connections (see `crate::ports`): for tests, which run many networks at
    /// once and restart their processes.
    pub fn ephemeral() -> Self {
        Self { rpc: 0, first_node: 0, daemon: 0, indexer: 0, first_key_server: 0 }
    }

    /// Where the service at `offset` of those starting at `port` listens; port 0 picks a free
    /// port anew on every call ([`crate::ports::free_port_no_connection_takes`]).
    pub(crate) fn at(port: u16, offset: usize) -> SocketAddr {
        let port = if port == 0 {
            crate::ports::free_port_no_connection_takes()
        } else {
            port + u16::try_from(offset).expect("few services")
        };
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
    }
}

/// A local network's configuration.
#[derive(Debug, Clone)]
pub struct LocalnetConfig {
    /// Where every component keeps its state (`devnet/`, `node-<i>/`, `indexer.db`).
    pub data_dir: PathBuf,
    /// Storage nodes of the genesis committee.
    pub n_nodes: usize,
    /// Extra storage nodes registered as candidates with no stake (nodes `n_nodes..`): they
    /// follow the chain and hold no shards until WAL staked with them brings them into a
    /// committee.
    pub candidates: usize,
    /// Shards, spread over the nodes by stake (equal stakes: equal shares).
    pub n_shards: u16,
    /// Epoch length; epochs change by themselves once nodes holding a quorum have synced.
    pub epoch_duration: Duration,
    /// Seal key servers (0: none).
    pub key_servers: usize,
    /// Whether to run the indexer (SQLite under the data directory).
    pub indexer: bool,
    /// Whether the storage nodes run in this process. When false the network makes the genesis
    /// committee and writes every node's `node-<i>/node.toml` but leaves running them to
    /// separate `floe node --config` processes (a fault suite kills and restarts those alone).
    pub nodes_in_process: bool,
    /// Whether the publisher/aggregator runs in this process (else: `floe daemon`, separately).
    pub daemon: bool,
    /// Whether the publisher/aggregator, the indexer and the key servers serve https, with a
    /// self-signed certificate for `localhost` and `127.0.0.1` kept in `DIR/tls/` (trust
    /// `DIR/tls/cert.pem`). Off: they serve plain HTTP, as browsers and SDKs without that
    /// certificate reach them. Storage nodes serve https either way.
    pub services_tls: bool,
    /// Whether storage nodes serve https with their network keys (registered on chain as
    /// `https://` addresses, certificates pinned by every client and peer). Off: they register
    /// `http://` addresses and serve plain HTTP, to measure what TLS costs a store or a read,
    /// or to watch the traffic. On by default, as a real network runs.
    pub nodes_tls: bool,
    /// Ports.
    pub ports: Ports,
    /// Every key is derived from this seed.
    pub seed: [u8; 32],
    /// Every node's limits (written to its `node.toml`): the defaults with a smaller database
    /// cache (`NODE_DB_CACHE_MIB`, 16 MiB).
    pub node_limits: NodeLimits,
    /// How long the devnet makes each transaction wait, as a real chain's consensus does
    /// (`DevnetConfig::finality_delay`); zero by default, for benchmarks.
    pub finality_delay: std::time::Duration,
    /// How long the devnet holds back each answer of its API, as a distant full node's round
    /// trip would (`DevnetConfig::rpc_delay`); zero by default.
    pub rpc_delay: std::time::Duration,
}

impl LocalnetConfig {
    /// The default network (10 nodes, 100 shards, 3 key servers, indexer) under `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            n_nodes: DEFAULT_NODES,
            candidates: 0,
            n_shards: DEFAULT_SHARDS,
            epoch_duration: DEFAULT_EPOCH_DURATION,
            key_servers: DEFAULT_KEY_SERVERS,
            indexer: true,
            nodes_in_process: true,
            daemon: true,
            services_tls: false,
            nodes_tls: true,
            ports: Ports::default(),
            seed: *b"floe localnet, for testing only!",
            node_limits: NodeLimits { db_cache_mib: NODE_DB_CACHE_MIB, ..NodeLimits::default() },
            finality_delay: std::time::Duration::ZERO,
            rpc_delay: std::time::Duration::ZERO,
        }
    }

    fn derive(&self, purpose: &str, index: usize) -> [u8; 32] {
        let mut input = self.seed.to_vec();
        input.extend_from_slice(purpose.as_bytes());
        input.extend_from_slice(&(index as u64).to_le_bytes());
        sui_sdk_types::hash::Hasher::digest(&input).into_inner()
    }

    /// The funded user account.
    pub fn user_key(&self) -> Keypair {
        Keypair::from_secret_bytes(self.derive("user", 0))
    }

    /// The scheme of the storage nodes' addresses: `https`, or `http` without `nodes_tls`.
    pub(crate) fn node_scheme(&self) -> &'static str {
        if self.nodes_tls { "https" } else { "http" }
    }

    /// Every storage node, committee and candidates.
    pub fn total_nodes(&self) -> usize {
        self.n_nodes + self.candidates
    }

    /// Node `i`'s BLS seed (its key is `BlsSecretKey::from_seed` of it).
    pub(crate) fn node_bls_seed(&self, i: usize) -> [u8; 32] {
        self.derive("node-bls", i)
    }

    /// Node `i`'s BLS key.
    pub fn node_bls_key(&self, i: usize) -> BlsSecretKey {
        BlsSecretKey::from_seed(&self.node_bls_seed(i))
    }

    pub(crate) fn node_network_seed(&self, i: usize) -> [u8; 32] {
        self.derive("node-network", i)
    }

    /// Node `i`'s network key: the key of its TLS certificate, published on chain.
    pub fn node_network_key(&self, i: usize) -> NetworkKeyPair {
        NetworkKeyPair::from_seed(self.node_network_seed(i))
    }

    /// Node `i`'s operator account.
    pub fn node_operator(&self, i: usize) -> Keypair {
        Keypair::from_secret_bytes(self.derive("node-operator", i))
    }

    /// Key server `i`'s master key.
    pub fn key_server_master_key(&self, i: usize) -> MasterKey {
        MasterKey::derive_from_seed(&self.seed, i as u64)
    }
}
