//! A devnet whose genesis registers and stakes four storage nodes and starts epoch 1 with them,
//! mirroring `move/floe/tests/test_nodes.move`: stakes 300/300/200/200 FROST, commission 10% for
//! node 0 and 0 for the others, storage price votes 10/20/30/40, write price votes 1/2/3/4,
//! capacity votes 1 GiB each, 10 shards. Epochs last [`EPOCH_MS`] and change only on demand
//! ([`Devnet::advance_epoch`]) unless a test asks for the timer.

use std::time::Duration;

use floe_chain::floe::calls::{FloeCalls, InitParams, SharedObject};
use floe_chain::floe::staking::{StakingInnerV1, StorageNodeCap};
use floe_chain::floe::staking_pool::StakingPool;
use floe_chain::floe::system::SystemStateInnerV1;
use floe_chain::floe::{FloeEvent, MoveType};
use floe_chain::{ChainClient, ExecuteError, Executed, Keypair, Packages};
use floe_devnet::{
    CommitteeGenesis, Devnet, DevnetConfig, EpochSchedule, Field, GenesisAccount, GenesisConfig, GenesisNode, field_id,
    floe_packages, packages_with,
};
use floe_encoder::bls::BlsSecretKey;
use serde::de::DeserializeOwned;
use sui_sdk_types::{Address, TypeTag};
use sui_transaction_builder::{Argument, ObjectInput, TransactionBuilder};

/// Shards of the network.
pub const N_SHARDS: u16 = 10;
/// Epoch duration (as in the Move test network).
pub const EPOCH_MS: u64 = 1_000_000;
/// The genesis stakes of nodes 0..3.
pub const STAKES: [u64; 4] = [300, 300, 200, 200];
/// Alice's WAL coins.
pub const WAL_COIN: u64 = 1_000_000_000;
#[path = "../common/floe_chain.rs"]
mod common;
#[allow(unused_imports)] // Not every test binary that includes this file names aborts.
pub use common::{abort_of, at};

/// The running network.
pub struct StakedNet {
    pub devnet: Devnet,
    pub client: ChainClient,
    pub alice: Keypair,
    pub operators: Vec<Keypair>,
    pub keys: Vec<BlsSecretKey>,
    pub genesis: CommitteeGenesis,
    pub calls: FloeCalls,
    pub packages: Packages,
    pub dir: tempfile::TempDir,
}

/// The genesis nodes of the test network, with their BLS keys and operators.
pub fn nodes() -> (Vec<GenesisNode>, Vec<BlsSecretKey>, Vec<Keypair>) {
    let (mut nodes, mut keys, mut operators) = (vec![], vec![], vec![]);
    for i in 0..4u8 {
        let key = BlsSecretKey::from_seed(&[0x40 + i; 32]);
        let operator = Keypair::from_secret_bytes([0x60 + i; 32]);
        let mut node = GenesisNode::new(
            "node",
            &format!("http://127.0.0.1:{}", 9100 + u16::from(i)),
            &key,
            &floe_encoder::network_key::NetworkKeyPair::from_seed([0x50 + i; 32]).public_key(),
            operator.address(),
            STAKES[i as usize],
        );
        node.commission_rate = if i == 0 { 1_000 } else { 0 };
        node.storage_price = 10 * (u64::from(i) + 1);
        node.write_price = u64::from(i) + 1;
        node.node_capacity = 1 << 30;
        nodes.push(node);
        keys.push(key);
        operators.push(operator);
    }
    (nodes, keys, operators)
}

/// The devnet configuration of the test network in `dir`.
pub fn config(
    dir: &std::path::Path,
    max_committee_size: u16,
    schedule: EpochSchedule,
    epoch_ms: u64,
) -> (DevnetConfig, CommitteeGenesis) {
    let alice = Keypair::from_secret_bytes([0xa1; 32]);
    let (nodes, _, _) = nodes();
    let params =
        InitParams { n_shards: N_SHARDS, epoch_duration_ms: epoch_ms, max_epochs_ahead: 10, max_committee_size };
    let genesis = CommitteeGenesis::new(&params, &[(alice.address(), vec![WAL_COIN, WAL_COIN])], nodes).unwrap();
    let chain = GenesisConfig {
        chain: "floe-staking-test".into(),
        accounts: vec![GenesisAccount { address: alice.address(), sui_coins: vec![10_000_000_000; 4] }],
        ..GenesisConfig::default()
    };
    let mut config = DevnetConfig::new(dir, chain);
    config.checkpoint_interval = Duration::from_millis(200);
    config.epochs = schedule;
    genesis.configure(&mut config);
    (config, genesis)
}

/// No timer: epochs change only on demand.
pub fn manual() -> EpochSchedule {
    EpochSchedule { auto_advance: false, complete_sync: false, poll: Duration::from_millis(50) }
}

impl StakedNet {
    /// The network with committees of at most `max_committee_size` nodes.
    pub async fn start(max_committee_size: u16) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), max_committee_size, manual(), EPOCH_MS).await
    }

    /// The network in `dir` (a restart when `dir` holds one already).
    pub async fn start_in(
        dir: tempfile::TempDir,
        max_committee_size: u16,
        schedule: EpochSchedule,
        epoch_ms: u64,
    ) -> Self {
        let (config, genesis) = config(dir.path(), max_committee_size, schedule, epoch_ms);
        let devnet = Devnet::start_with(config, packages_with(floe_packages())).await.unwrap();
        let client = ChainClient::new(&devnet.url()).unwrap();
        let packages = devnet.deployment().packages;
        let calls = FloeCalls::new(
            &packages,
            SharedObject::new(genesis.floe.system.id, 1),
            SharedObject::new(genesis.floe.staking.id, 1),
        );
        let (_, keys, operators) = nodes();
        let alice = Keypair::from_secret_bytes([0xa1; 32]);
        Self { devnet, client, alice, operators, keys, genesis, calls, packages, dir }
    }

    /// Stops the devnet and hands back its data directory.
    pub async fn stop(self) -> tempfile::TempDir {
        self.devnet.shutdown().await;
        self.dir
    }

    /// Builds a transaction of `key`'s with `build` and executes it.
    pub async fn run_as(
        &self,
        key: &Keypair,
        build: impl FnOnce(&mut TransactionBuilder),
    ) -> Result<Executed, ExecuteError> {
        common::run_as(&self.client, key, build).await
    }

    /// Keeps `args` with `owner`.
    pub fn keep(tx: &mut TransactionBuilder, args: Vec<Argument>, owner: Address) {
        let owner = tx.pure(&owner);
        tx.transfer_objects(args, owner);
    }

    /// The current reference of an owned object as an input.
    pub async fn owned(&self, id: Address) -> ObjectInput {
        let object = self.client.get_object(id).await.unwrap();
        ObjectInput::owned(object.object_id(), object.version(), object.digest())
    }

    /// Decodes object `id` as `T`.
    pub async fn read<T: DeserializeOwned>(&self, id: Address) -> T {
        common::read(&self.client, id).await
    }

    /// The Staking inner state.
    pub async fn staking(&self) -> StakingInnerV1 {
        let field = field_id(self.genesis.floe.staking.id, &TypeTag::U64, &1u64);
        self.read::<Field<u64, StakingInnerV1>>(field).await.value
    }

    /// The System inner state.
    pub async fn system(&self) -> SystemStateInnerV1 {
        let field = field_id(self.genesis.floe.system.id, &TypeTag::U64, &1u64);
        self.read::<Field<u64, SystemStateInnerV1>>(field).await.value
    }

    /// The node id of node `i` (registration order).
    pub async fn node_id(&self, i: usize) -> Address {
        self.staking().await.pool_ids[i]
    }

    /// Node `i`'s pool.
    pub async fn pool(&self, i: usize) -> StakingPool {
        self.read(self.node_id(i).await).await
    }

    /// The id of node `i`'s capability (held by its operator).
    pub async fn cap(&self, i: usize) -> Address {
        let tag = StorageNodeCap::struct_tag(&self.packages);
        let caps = self.client.owned_objects(self.operators[i].address(), Some(&tag)).await.unwrap();
        caps[0].object_id()
    }

    /// Node `i` reports `epoch_sync_done` for `epoch`.
    pub async fn sync(&self, i: usize, epoch: u32) -> Result<Executed, ExecuteError> {
        let cap = self.owned(self.cap(i).await).await;
        self.run_as(&self.operators[i], |tx| {
            let cap = tx.object(cap);
            self.calls.epoch_sync_done(tx, cap, epoch);
        })
        .await
    }

    /// Every committee node that has not reported for the current epoch reports.
    pub async fn sync_all(&self) {
        let staking = self.staking().await;
        for i in 0..4 {
            if staking.committee.shards.get(&staking.pool_ids[i]).is_none() {
                continue;
            }
            let cap: StorageNodeCap = self.read(self.cap(i).await).await;
            if cap.last_epoch_sync_done < staking.epoch {
                self.sync(i, staking.epoch).await.unwrap();
            }
        }
    }

    /// A whole epoch change as the Move tests' `change_epoch` makes it: the pending sync
    /// reports, the change on demand, then every committee node's report for the new epoch.
    pub async fn change_epoch(&self) -> u32 {
        self.sync_all().await;
        let epoch = self.devnet.advance_epoch().await.unwrap();
        self.sync_all().await;
        epoch
    }

    /// The id of alice's `i`-th WAL coin.
    pub fn wal_coin(&self, i: usize) -> Address {
        self.genesis.floe.wal_coins.iter().filter(|(owner, _)| *owner == self.alice.address()).nth(i).unwrap().1.id
    }

    /// Alice stakes `amount` (split off her WAL coin 0) with node `node_id`; returns the
    /// transaction and the `StakedWal` id.
    pub async fn stake(&self, amount: u64, node_id: Address) -> Result<(Executed, Address), ExecuteError> {
        let coin = self.owned(self.wal_coin(0)).await;
        let executed = self
            .run_as(&self.alice, |tx| {
                let coin = tx.object(coin);
                let amount = tx.pure(&amount);
                let part = tx.split_coins(coin, vec![amount]).remove(0);
                let staked = self.calls.stake_with_pool(tx, part, node_id);
                Self::keep(tx, vec![staked], self.alice.address());
            })
            .await?;
        let id = self.created_of::<floe_chain::floe::staked_wal::StakedWal>(&executed).await;
        Ok((executed, id))
    }

    /// The id of the one object of type `T` the transaction created.
    pub async fn created_of<T: MoveType>(&self, executed: &Executed) -> Address {
        common::created_of::<T>(&self.client, &self.packages, executed).await
    }

    /// The value of the one WAL coin the transaction created.
    pub async fn created_wal(&self, executed: &Executed) -> u64 {
        let tag = floe_chain::floe::wal::wal_type(&self.packages);
        let coin = sui_sdk_types::StructTag::coin(TypeTag::Struct(Box::new(tag)));
        for written in executed.created() {
            let object = self.client.get_object(*written.reference.object_id()).await.unwrap();
            if object.as_struct().is_some_and(|s| s.object_type() == &coin) {
                return bcs::from_bytes::<floe_devnet::CoinValue>(object.as_struct().unwrap().contents())
                    .unwrap()
                    .value;
            }
        }
        panic!("no WAL coin created by {}", executed.digest)
    }

    /// The floe events of a transaction.
    pub fn events(&self, executed: &Executed) -> Vec<FloeEvent> {
        common::events(&self.packages, executed)
    }

    /// The WAL in coin `id`.
    pub async fn wal_value(&self, id: Address) -> u64 {
        self.read::<floe_devnet::CoinValue>(id).await.value
    }
}
