//! Shared set-up for the devnet's tests: a devnet on a random loopback port with funded
//! accounts, and a floe-chain client pointed at it.

#![allow(dead_code)]

pub mod http1;

use std::time::Duration;

use floe_chain::{ChainClient, Executed, Keypair, SelectedCoin, select_gas, transaction_for};
use floe_devnet::{Devnet, DevnetConfig, GenesisAccount, GenesisConfig};
use sui_sdk_types::{Address, Transaction};
use sui_transaction_builder::TransactionBuilder;

/// Every account starts with this many MIST in each of its coins.
pub const COIN: u64 = 10_000_000_000;
/// The devnet's fixed gas charge in these tests.
pub const CHARGE: u64 = 1_000_000;
/// The budget the tests offer.
pub const BUDGET: u64 = 50_000_000;

/// A running devnet with funded accounts.
pub struct Net {
    pub devnet: Devnet,
    pub client: ChainClient,
    pub alice: Keypair,
    pub bob: Keypair,
    pub dir: tempfile::TempDir,
}

pub fn genesis(alice: &Keypair, bob: &Keypair) -> GenesisConfig {
    GenesisConfig {
        chain: "floe-test".into(),
        accounts: vec![
            GenesisAccount { address: alice.address(), sui_coins: vec![COIN, COIN, COIN] },
            GenesisAccount { address: bob.address(), sui_coins: vec![COIN] },
        ],
        reference_gas_price: 1_000,
        gas_charge: CHARGE,
        timestamp_ms: 0,
    }
}

pub fn config(dir: &std::path::Path, alice: &Keypair, bob: &Keypair) -> DevnetConfig {
    let mut config = DevnetConfig::new(dir, genesis(alice, bob));
    config.checkpoint_interval = Duration::from_millis(300);
    config
}

pub async fn start() -> Net {
    start_with(|_| {}).await
}

/// [`start`] with the devnet's configuration changed by `configure` first.
pub async fn start_with(configure: impl FnOnce(&mut DevnetConfig)) -> Net {
    let alice = Keypair::from_secret_bytes([0xa1; 32]);
    let bob = Keypair::from_secret_bytes([0xb0; 32]);
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), &alice, &bob);
    configure(&mut config);
    let devnet = Devnet::start(config).await.unwrap();
    let client = ChainClient::new(&devnet.url()).unwrap();
    Net { devnet, client, alice, bob, dir }
}

impl Net {
    /// A builder for `key` with its largest SUI coin as gas.
    pub async fn builder(&self, key: &Keypair) -> (TransactionBuilder, SelectedCoin) {
        let gas = select_gas(&self.client, key.address(), BUDGET).await.unwrap();
        (transaction_for(key.address(), &gas, 1_000, BUDGET), gas)
    }

    pub async fn run(&self, key: &Keypair, builder: TransactionBuilder) -> Result<Executed, floe_chain::ClientError> {
        let tx: Transaction = builder.try_build().unwrap();
        self.client.sign_and_execute(&tx, key).await
    }

    pub async fn sui(&self, owner: Address) -> u64 {
        self.client.balance(owner, &sui_sdk_types::StructTag::sui()).await.unwrap()
    }
}
