//! A staked genesis: floe's objects at epoch 0 ([`FloeGenesis`]) plus storage nodes that, on the
//! devnet's first start, register, stake and are selected as the committee of epoch 1 — by
//! system transactions running the same native `register_candidate`, `stake_with_pool`,
//! `voting_end` and `initiate_epoch_change` as any user, so the result is exactly what those
//! functions produce (pools, StakedWal, StorageNodeCaps, the BLS committee in the System).

use floe_chain::Keypair;
use floe_chain::floe::InitParams;
use floe_chain::floe::events::StakingPoolRegistered;
use floe_encoder::bls::BlsSecretKey;
use floe_encoder::messages::ProofOfPossessionMessage;
use floe_encoder::network_key::{NetworkKeyPair, NetworkPublicKey};
use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::genesis_state::{FloeGenesis, FloeGenesisError};
use super::system_calls::Ptb;
use super::{tag, wal_coin_type};
use crate::config::{DevnetConfig, GenesisAccount};
use crate::ledger::Ledger;
use crate::system_transaction::SystemTransactionError;

/// SUI each localnet operator gets for its own transactions (e.g. `epoch_sync_done`).
const OPERATOR_SUI: u64 = 100_000_000_000;

/// A storage node of the genesis committee: what its operator passes to `register_candidate`,
/// and the WAL it stakes with itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisNode {
    /// The node's name (at most 100 bytes).
    pub name: String,
    /// Base URL of the node's HTTP API.
    pub network_address: String,
    /// BLS12-381 public key (48 bytes, compressed G1).
    pub public_key: Vec<u8>,
    /// The Ed25519 key of the node's TLS certificate (32 bytes), which clients pin.
    pub network_public_key: Vec<u8>,
    /// The key's signature over (operator, key) at epoch 0 (96 bytes).
    pub proof_of_possession: Vec<u8>,
    /// The account that registers the node and receives its `StorageNodeCap` and `StakedWal`.
    pub operator: Address,
    /// WAL (FROST) the operator stakes with the node at genesis; must be more than zero.
    pub stake: u64,
    /// Commission in basis points.
    pub commission_rate: u16,
    /// Storage price vote (FROST per unit per epoch).
    pub storage_price: u64,
    /// Write price vote (FROST per unit).
    pub write_price: u64,
    /// Capacity vote (encoded bytes).
    pub node_capacity: u64,
}

impl GenesisNode {
    /// A node with BLS key `key` and TLS key `network_key` run by `operator`, with the proof of
    /// possession for epoch 0.
    pub fn new(
        name: &str,
        network_address: &str,
        key: &BlsSecretKey,
        network_key: &NetworkPublicKey,
        operator: Address,
        stake: u64,
    ) -> Self {
        let proof = ProofOfPossessionMessage::prove(0, operator.into_inner(), key);
        Self {
            name: name.to_owned(),
            network_address: network_address.to_owned(),
            public_key: key.public_key().to_bytes().to_vec(),
            network_public_key: network_key.to_bytes().to_vec(),
            proof_of_possession: proof.signature.to_bytes().to_vec(),
            operator,
            stake,
            commission_rate: 0,
            storage_price: 1_000,
            write_price: 1_000,
            node_capacity: 1 << 40,
        }
    }
}

/// The secrets of a localnet node: its BLS key (to sign confirmations), its network key (its TLS
/// certificate's) and its operator's key (to send its transactions).
#[derive(Debug)]
pub struct LocalnetNodeKeys {
    /// The node's BLS key.
    pub bls: BlsSecretKey,
    /// The node's network (TLS) key.
    pub network: NetworkKeyPair,
    /// The operator's Sui key.
    pub operator: Keypair,
}

/// floe's genesis with a staked committee: on the devnet's first start the nodes register,
/// stake and become the committee of epoch 1 (by system transactions running the same natives
/// as any user).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use floe_devnet::{CommitteeGenesis, Devnet, DevnetConfig, GenesisConfig, floe_packages, packages_with};
///
/// // 4 nodes over 100 shards, 10-minute epochs, node i serving at http://127.0.0.1:9185+i.
/// let (genesis, keys) = CommitteeGenesis::localnet(4, 100, 600_000, 9185, [7; 32], &[]).unwrap();
/// let dir = tempfile::tempdir().unwrap();
/// let mut config = DevnetConfig::new(dir.path(), GenesisConfig::default());
/// genesis.configure(&mut config);
/// let devnet = Devnet::start_with(config, packages_with(floe_packages())).await.unwrap();
/// assert_eq!(devnet.ledger().epoch(), 1);
/// assert_eq!(keys.len(), 4); // BLS keys to sign confirmations, operator keys to send transactions
/// devnet.shutdown().await;
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeGenesis {
    /// floe's objects at epoch 0, with each node's stake as a WAL coin of its operator.
    pub floe: FloeGenesis,
    /// The nodes, in registration order (ties in stake go to the earlier).
    pub nodes: Vec<GenesisNode>,
}

/// Why a staked genesis could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum CommitteeGenesisError {
    /// floe's objects could not be built.
    #[error(transparent)]
    Floe(#[from] FloeGenesisError),
    /// A node stakes nothing.
    #[error("genesis node {name} stakes 0 WAL; every node must stake")]
    ZeroStake {
        /// The node's name.
        name: String,
    },
    /// A step's transaction was refused or aborted.
    #[error("genesis step `{step}` failed: {source}")]
    Execution {
        /// What was being done.
        step: String,
        /// The rejection or abort (boxed: the error stays small).
        #[source]
        source: Box<SystemTransactionError>,
    },
    /// A step found the chain without what it needs.
    #[error("genesis step `{step}` failed: {reason}")]
    Step {
        /// What was being done.
        step: String,
        /// What was missing.
        reason: String,
    },
}

impl CommitteeGenesis {
    /// floe with `params`, WAL for `wal_accounts`, and `nodes` staked into the committee of
    /// epoch 1.
    pub fn new(
        params: &InitParams,
        wal_accounts: &[(Address, Vec<u64>)],
        nodes: Vec<GenesisNode>,
    ) -> Result<Self, CommitteeGenesisError> {
        if let Some(node) = nodes.iter().find(|n| n.stake == 0) {
            return Err(CommitteeGenesisError::ZeroStake { name: node.name.clone() });
        }
        let mut accounts = wal_accounts.to_vec();
        accounts.extend(nodes.iter().map(|n| (n.operator, vec![n.stake])));
        Ok(Self { floe: FloeGenesis::new(params, &accounts)?, nodes })
    }

    /// A local network of `n_nodes` equal nodes over `n_shards` shards, keys derived from
    /// `seed`, node `i` announcing `http://127.0.0.1:{first_port + i}`; epochs of
    /// `epoch_duration_ms`. Returns the nodes' secrets too.
    pub fn localnet(
        n_nodes: usize,
        n_shards: u16,
        epoch_duration_ms: u64,
        first_port: u16,
        seed: [u8; 32],
        wal_accounts: &[(Address, Vec<u64>)],
    ) -> Result<(Self, Vec<LocalnetNodeKeys>), CommitteeGenesisError> {
        let params = InitParams {
            n_shards,
            epoch_duration_ms,
            max_epochs_ahead: 104,
            max_committee_size: u16::try_from(n_nodes.max(1)).unwrap_or(u16::MAX),
        };
        let derive = |i: usize, purpose: &[u8]| -> [u8; 32] {
            let mut input = seed.to_vec();
            input.extend_from_slice(&(i as u64).to_le_bytes());
            input.extend_from_slice(purpose);
            sui_sdk_types::hash::Hasher::digest(&input).into_inner()
        };
        let mut nodes = Vec::with_capacity(n_nodes);
        let mut keys = Vec::with_capacity(n_nodes);
        for i in 0..n_nodes {
            let bls = BlsSecretKey::from_seed(&derive(i, b"bls"));
            let network = NetworkKeyPair::from_seed(derive(i, b"network"));
            let operator = Keypair::from_secret_bytes(derive(i, b"operator"));
            let address = format!("http://127.0.0.1:{}", u32::from(first_port) + i as u32);
            nodes.push(GenesisNode::new(
                &format!("node-{i}"),
                &address,
                &bls,
                &network.public_key(),
                operator.address(),
                1_000_000 * 1_000_000_000,
            ));
            keys.push(LocalnetNodeKeys { bls, network, operator });
        }
        Ok((Self::new(&params, wal_accounts, nodes)?, keys))
    }

    /// Adds floe's objects and the nodes to `config`, and SUI for operators that have none.
    pub fn configure(&self, config: &mut DevnetConfig) {
        self.floe.configure(config);
        for node in &self.nodes {
            if !config.genesis.accounts.iter().any(|a| a.address == node.operator) {
                config.genesis.accounts.push(GenesisAccount { address: node.operator, sui_coins: vec![OPERATOR_SUI] });
            }
        }
        config.genesis_nodes = self.nodes.clone();
    }
}

fn failed(step: String, reason: impl Into<String>) -> CommitteeGenesisError {
    CommitteeGenesisError::Step { step, reason: reason.into() }
}

fn execute(
    ledger: &Ledger,
    step: &str,
    sender: Address,
    ptb: Ptb,
    ends_epoch: bool,
) -> Result<std::sync::Arc<crate::store::TransactionRecord>, CommitteeGenesisError> {
    ledger
        .execute_system(sender, ptb.finish(ledger.tip()), ends_epoch)
        .map_err(|source| CommitteeGenesisError::Execution { step: step.to_owned(), source: Box::new(source) })
}

/// Registers and stakes `nodes` and starts epoch 1 with them, if the Staking object is still at
/// epoch 0 with no pools (a fresh chain); does nothing on a chain that already ran it.
pub(crate) fn run(
    ledger: &Ledger,
    system: Address,
    staking: Address,
    nodes: &[GenesisNode],
) -> Result<(), CommitteeGenesisError> {
    let Some(inner) = super::epoch_driver::read_staking(ledger, staking) else {
        return Ok(());
    };
    if nodes.is_empty() || inner.epoch != 0 || !inner.pool_ids.is_empty() {
        return Ok(());
    }
    let object = |id: Address, what: &str| {
        ledger.object(&id).ok_or_else(|| failed(what.to_owned(), format!("object {id} is missing")))
    };
    for node in nodes {
        let step = format!("register {}", node.name);
        let mut ptb = Ptb::default();
        let staking_arg =
            ptb.shared(&object(staking, &step)?, true).ok_or_else(|| failed(step.clone(), "Staking is not shared"))?;
        let args = vec![
            staking_arg,
            ptb.pure(&node.name),
            ptb.pure(&node.network_address),
            ptb.pure(&node.public_key),
            ptb.pure(&node.network_public_key),
            ptb.pure(&node.proof_of_possession),
            ptb.pure(&node.commission_rate),
            ptb.pure(&node.storage_price),
            ptb.pure(&node.write_price),
            ptb.pure(&node.node_capacity),
        ];
        let cap = ptb.floe_call("staking", "register_candidate", args);
        ptb.transfer(vec![cap], node.operator);
        let record = execute(ledger, &step, node.operator, ptb, false)?;
        let registered = record
            .events
            .0
            .iter()
            .find(|e| e.type_ == tag::<StakingPoolRegistered>())
            .and_then(|e| bcs::from_bytes::<StakingPoolRegistered>(&e.contents).ok())
            .ok_or_else(|| failed(step.clone(), "no StakingPoolRegistered event"))?;

        let step = format!("stake with {}", node.name);
        let (coins, _) = ledger.owned_objects(&node.operator, Some(&wal_coin_type()), None, usize::MAX);
        let coin = coins
            .iter()
            .find(|c| sui_sdk_types::framework::Coin::try_from_object(c).is_some_and(|c| c.balance() == node.stake))
            .ok_or_else(|| {
                failed(step.clone(), format!("operator {} has no WAL coin of {}", node.operator, node.stake))
            })?;
        let mut ptb = Ptb::default();
        let staking_arg =
            ptb.shared(&object(staking, &step)?, true).ok_or_else(|| failed(step.clone(), "Staking is not shared"))?;
        let coin_arg = ptb.owned(coin);
        let node_id = ptb.pure(&registered.node_id);
        let staked = ptb.floe_call("staking", "stake_with_pool", vec![staking_arg, coin_arg, node_id]);
        ptb.transfer(vec![staked], node.operator);
        execute(ledger, &step, node.operator, ptb, false)?;
    }
    let step = "select the committee and start epoch 1".to_owned();
    let ptb = super::epoch_driver::epoch_change_ptb(ledger, system, staking, true)
        .ok_or_else(|| failed(step.clone(), "System, Staking or the Clock is missing"))?;
    execute(ledger, &step, Address::ZERO, ptb, true)?;
    Ok(())
}
