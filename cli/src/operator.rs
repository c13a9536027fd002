//! The node operator's commands under `floe node`: `register`, `set-commission`,
//! `collect-commission`, `vote`, `set-address`, `set-network-key`. Each signs with the operator key (`sui_key`) of
//! the node's `node.toml` and talks to the chain that file names.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use floe_chain::floe::staking_pool::VotingParams;
use floe_client::{ChainAccess, NodeVotes};
use floe_encoder::network_key::NetworkPublicKey;
use floe_node::config::NodeConfig;
use serde::Serialize;
use sui_sdk_types::Address;

use crate::Output;
use crate::stake::format_wal;

/// The capacity a new node votes for unless told: 1 TiB of encoded bytes.
const DEFAULT_CAPACITY_VOTE: u64 = 1 << 40;

/// The operator subcommands of `floe node`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum OperatorCommand {
    /// Register this node as a committee candidate (BLS key, network key and operator key from
    /// node.toml); it joins a committee once enough WAL is staked with it.
    Register(RegisterArgs),
    /// Set this node's commission in basis points (100 = 1%), effective two epochs on.
    SetCommission(SetCommissionArgs),
    /// Collect this node's commission into the operator account.
    CollectCommission(ConfigArg),
    /// Vote on the storage price, write price and capacity of the next epochs.
    Vote(VoteArgs),
    /// Change the network address registered for this node.
    SetAddress(SetAddressArgs),
    /// Publish the network (TLS) key of node.toml as this node's: clients and peers pin it
    /// from then on (restart the node with that key).
    SetNetworkKey(ConfigArg),
}

/// The node's configuration file.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArg {
    /// The node's TOML configuration file (its keys and deployment).
    #[arg(long)]
    pub config: PathBuf,
}

/// Arguments of `floe node register`.
#[derive(Debug, Clone, clap::Args)]
pub struct RegisterArgs {
    /// The node's configuration.
    #[command(flatten)]
    pub config: ConfigArg,
    /// The node's name (default: the config file's directory name).
    #[arg(long)]
    pub name: Option<String>,
    /// The network address to register (default: the config's public_url, or https:// and the
    /// listen address; a bare host:port means https).
    #[arg(long)]
    pub address: Option<String>,
    /// Commission in basis points (100 = 1%).
    #[arg(long, default_value_t = 0)]
    pub commission: u16,
    /// The first votes (default: the current prices and 1 TiB).
    #[command(flatten)]
    pub votes: VoteValues,
}

/// Arguments of `floe node set-commission`.
#[derive(Debug, Clone, clap::Args)]
pub struct SetCommissionArgs {
    /// Commission in basis points (100 = 1%, at most 10000).
    pub bps: u16,
    /// The node's configuration.
    #[command(flatten)]
    pub config: ConfigArg,
}

/// Vote values; an absent one stays as it is.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct VoteValues {
    /// Storage price: FROST per MiB of encoded size per epoch.
    #[arg(long)]
    pub storage_price: Option<u64>,
    /// Write price: FROST per MiB of encoded size, once.
    #[arg(long)]
    pub write_price: Option<u64>,
    /// Capacity the node offers, in encoded bytes.
    #[arg(long)]
    pub capacity: Option<u64>,
}

/// Arguments of `floe node vote`.
#[derive(Debug, Clone, clap::Args)]
pub struct VoteArgs {
    /// The votes.
    #[command(flatten)]
    pub votes: VoteValues,
    /// The node's configuration.
    #[command(flatten)]
    pub config: ConfigArg,
}

/// Arguments of `floe node set-address`.
#[derive(Debug, Clone, clap::Args)]
pub struct SetAddressArgs {
    /// The new address: host:port or https://... (TLS, the certificate pinned to the node's
    /// network key), or http://... (plain HTTP).
    pub address: String,
    /// The node's configuration.
    #[command(flatten)]
    pub config: ConfigArg,
}

/// What an operator command reports.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorReport {
    /// What was done.
    pub action: String,
    /// The node.
    pub node_id: Address,
    /// Figures of the action (commission, epoch, votes...).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

impl fmt::Display for OperatorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {}: {}", self.node_id, self.action)
    }
}

/// The node's configuration and a chain access signing with its operator key.
async fn operator(path: &Path) -> anyhow::Result<(NodeConfig, ChainAccess)> {
    let config = NodeConfig::load(path)?;
    let key = config
        .sui_keypair()?
        .with_context(|| format!("{} has no sui_key: the operator key signs these commands", path.display()))?;
    let deployment = config.load_deployment()?;
    let url = deployment.rpc_url.clone();
    let chain = ChainAccess::connect(deployment, Some(key))
        .await
        .with_context(|| format!("cannot reach the chain at {url} named by {}", path.display()))?;
    Ok((config, chain))
}

/// The node id the operator's capability names.
async fn node_id(chain: &ChainAccess) -> anyhow::Result<Address> {
    let operator = chain.sender().expect("operator accesses sign");
    let cap = chain.storage_node_cap(operator).await?;
    Ok(cap
        .with_context(|| format!("account {operator} operates no registered node; run `floe node register` first"))?
        .node_id)
}

/// Runs an operator command.
pub async fn run(command: &OperatorCommand, output: Output) -> anyhow::Result<()> {
    let report = match command {
        OperatorCommand::Register(args) => register(args).await?,
        OperatorCommand::SetCommission(args) => {
            let (_, chain) = operator(&args.config.config).await?;
            let epoch = chain.set_next_commission(args.bps).await.context("setting the commission")?;
            OperatorReport {
                action: format!("commission {} bps from epoch {epoch}", args.bps),
                node_id: node_id(&chain).await?,
                details: serde_json::json!({ "commission_bps": args.bps, "epoch": epoch }),
            }
        }
        OperatorCommand::CollectCommission(args) => {
            let (_, chain) = operator(&args.config).await?;
            let amount = chain.collect_commission().await.context("collecting the commission")?;
            OperatorReport {
                action: format!("collected {} of commission", format_wal(amount)),
                node_id: node_id(&chain).await?,
                details: serde_json::json!({ "amount": amount }),
            }
        }
        OperatorCommand::Vote(args) => {
            let (_, chain) = operator(&args.config.config).await?;
            let votes = NodeVotes {
                storage_price: args.votes.storage_price,
                write_price: args.votes.write_price,
                node_capacity: args.votes.capacity,
            };
            chain.vote(&votes).await.context("voting")?;
            OperatorReport {
                action: "votes recorded for the next committee selection".into(),
                node_id: node_id(&chain).await?,
                details: serde_json::json!({
                    "storage_price": votes.storage_price,
                    "write_price": votes.write_price,
                    "capacity": votes.node_capacity,
                }),
            }
        }
        OperatorCommand::SetNetworkKey(args) => {
            let (config, chain) = operator(&args.config).await?;
            let key = network_key(&config, &args.config)?;
            chain.set_network_public_key(&key).await.context("setting the network public key")?;
            OperatorReport {
                action: format!("network public key set to {key}"),
                node_id: node_id(&chain).await?,
                details: serde_json::json!({ "network_public_key": key.to_string() }),
            }
        }
        OperatorCommand::SetAddress(args) => {
            let (_, chain) = operator(&args.config.config).await?;
            chain.set_network_address(&args.address).await.context("setting the network address")?;
            OperatorReport {
                action: format!("network address set to {}", args.address),
                node_id: node_id(&chain).await?,
                details: serde_json::json!({ "address": args.address }),
            }
        }
    };
    output.emit(&report)
}

async fn register(args: &RegisterArgs) -> anyhow::Result<OperatorReport> {
    let path = &args.config.config;
    let (config, chain) = operator(path).await?;
    let bls_key = config.bls_secret_key()?;
    let network_key = network_key(&config, path)?;
    let name = match &args.name {
        Some(name) => name.clone(),
        None => path
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "floe-node".into()),
    };
    let address = match &args.address {
        Some(address) => address.clone(),
        None => config.public_url.clone().unwrap_or_else(|| {
            let scheme = if config.plain_http { "http" } else { "https" };
            format!("{scheme}://{}", config.listen)
        }),
    };
    let system = chain.system().await?;
    let voting = VotingParams {
        storage_price: args.votes.storage_price.unwrap_or(system.storage_price_per_unit_size),
        write_price: args.votes.write_price.unwrap_or(system.write_price_per_unit_size),
        node_capacity: args.votes.capacity.unwrap_or(DEFAULT_CAPACITY_VOTE),
    };
    let registration =
        chain.node_registration(&bls_key, &network_key, &name, &address, args.commission, voting).await?;
    let node_id = chain
        .register_candidate(&registration)
        .await
        .with_context(|| format!("registering {name} at {address} as a candidate"))?;
    Ok(OperatorReport {
        action: format!(
            "registered {name} at {address} as a candidate; stake WAL with it to bring it into a committee"
        ),
        node_id,
        details: serde_json::json!({
            "name": name,
            "address": address,
            "network_public_key": network_key.to_string(),
            "commission_bps": args.commission,
        }),
    })
}

/// The public network key of the node's configuration, which it registers.
fn network_key(config: &NodeConfig, path: &Path) -> anyhow::Result<NetworkPublicKey> {
    let key = config.network_key_pair()?.with_context(|| {
        format!("{} has no network_key: a node registers the key of its TLS certificate", path.display())
    })?;
    Ok(key.public_key())
}
