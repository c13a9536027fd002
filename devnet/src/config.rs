//! The devnet's configuration: where it keeps its state, what genesis creates, gas and the
//! checkpoint cadence.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sui_sdk_types::{Address, GenesisObject};

/// An account funded at genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisAccount {
    /// The account's address.
    pub address: Address,
    /// One SUI coin per entry, with that many MIST.
    pub sui_coins: Vec<u64>,
}

/// What genesis creates. Stored in the data directory on first start; a restart reuses the
/// stored genesis whatever the configuration says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisConfig {
    /// The chain name reported by `GetServiceInfo`.
    pub chain: String,
    /// Funded accounts.
    pub accounts: Vec<GenesisAccount>,
    /// The reference gas price.
    pub reference_gas_price: u64,
    /// What every transaction is charged, in MIST.
    pub gas_charge: u64,
    /// Genesis timestamp in ms since the Unix epoch (0 = the wall clock at genesis).
    pub timestamp_ms: u64,
}

impl Default for GenesisConfig {
    fn default() -> Self {
        Self {
            chain: "floe-devnet".into(),
            accounts: Vec::new(),
            reference_gas_price: 1_000,
            gas_charge: 1_000_000,
            timestamp_ms: 0,
        }
    }
}

/// How to run a devnet.
#[derive(Debug, Clone)]
pub struct DevnetConfig {
    /// Where redb and the deployment description live.
    pub data_dir: PathBuf,
    /// Used only when `data_dir` holds no chain yet.
    pub genesis: GenesisConfig,
    /// An empty checkpoint is sealed when none was sealed for this long (keeps subscribers'
    /// idle watchdogs happy).
    pub checkpoint_interval: Duration,
    /// How long each submitted transaction waits before the sequencer takes it, as consensus
    /// makes a transaction wait on a real network (Sui mainnet: a few hundred milliseconds to
    /// finality). Zero by default: tests and `floe localnet` want the chain fast; benchmarks of
    /// latency-bound work set it to see what a real chain's latency costs.
    pub finality_delay: Duration,
    /// How long each answer of the API (gRPC and the admin routes) is held back before it goes
    /// out, as a round trip to a distant full node would hold it. Zero by default; benchmarks
    /// set it to see what a client's reads one after another cost on a real network.
    pub rpc_delay: Duration,
    /// Where to listen; port 0 picks a free port.
    pub listen: std::net::SocketAddr,
    /// More objects genesis creates (with version 1 in their data), e.g. what native packages'
    /// `init` functions would create. Used only when `data_dir` holds no chain yet.
    pub genesis_objects: Vec<GenesisObject>,
    /// The `System` and `Staking` object ids written to the deployment description.
    pub system_object: Address,
    /// See [`DevnetConfig::system_object`].
    pub staking_object: Address,
    /// Storage nodes that register and stake on the first start and form the committee of
    /// epoch 1 (see [`CommitteeGenesis`](crate::CommitteeGenesis)). Used only when `data_dir`
    /// holds no chain yet.
    pub genesis_nodes: Vec<crate::GenesisNode>,
    /// How floe's epochs advance (when the chain has floe's System and Staking).
    pub epochs: EpochSchedule,
}

/// How the devnet drives floe's epochs; see [`Devnet::advance_epoch`](crate::Devnet::advance_epoch)
/// for changing epochs on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochSchedule {
    /// Run `voting_end` half an epoch in and `initiate_epoch_change` at the epoch's end (the
    /// duration is the Staking object's), as system transactions. Off: epochs change only on
    /// demand or by transactions anyone sends.
    pub auto_advance: bool,
    /// Report `epoch_sync_done` for the genesis nodes, as their operators, as soon as an epoch
    /// starts: for networks without running storage nodes. Off (as on Walrus): the next epoch
    /// waits until nodes holding a quorum of shards report themselves.
    pub complete_sync: bool,
    /// How often the schedule is looked at.
    pub poll: Duration,
}

impl Default for EpochSchedule {
    fn default() -> Self {
        Self { auto_advance: true, complete_sync: false, poll: Duration::from_millis(100) }
    }
}

impl DevnetConfig {
    /// A configuration with defaults: loopback on a random port, a checkpoint every second.
    pub fn new(data_dir: impl Into<PathBuf>, genesis: GenesisConfig) -> Self {
        Self {
            data_dir: data_dir.into(),
            genesis,
            checkpoint_interval: Duration::from_secs(1),
            finality_delay: Duration::ZERO,
            rpc_delay: Duration::ZERO,
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            genesis_objects: Vec::new(),
            system_object: Address::ZERO,
            staking_object: Address::ZERO,
            genesis_nodes: Vec::new(),
            epochs: EpochSchedule::default(),
        }
    }

    /// The deployment description file the devnet writes.
    pub fn deployment_path(&self) -> PathBuf {
        self.data_dir.join("deployment.json")
    }
}
