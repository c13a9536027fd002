//! A devnet with the seal package and three registered key servers, plus helpers to build key
//! request PTBs and sessions.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use floe_chain::floe::SealCalls;
use floe_chain::{ChainClient, Executed, Executor, Keypair};
use floe_devnet::{
    Devnet, DevnetConfig, GenesisAccount, GenesisConfig, NativePackage, SEAL_PACKAGE, SealPackage, packages_with,
};
use floe_keyserver::{KeyServer, KeyServerConfig, KeyServerInfo, register_key_server};
use floe_seal::MasterKey;
use floe_seal::session::SessionKey;
use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_sdk_types::{Address, Digest, ProgrammableTransaction, TransactionKind};
use sui_transaction_builder::{ObjectInput, TransactionBuilder};

pub const COIN: u64 = 10_000_000_000;
pub const BUDGET: u64 = 50_000_000;

pub struct Net {
    pub devnet: Devnet,
    pub client: ChainClient,
    pub alice: Keypair,
    pub bob: Keypair,
    pub servers: Vec<Option<KeyServer>>,
    pub infos: Vec<KeyServerInfo>,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
}

pub const ALICE_SECRET: [u8; 32] = [0xa1; 32];
pub const BOB_SECRET: [u8; 32] = [0xb0; 32];

/// The wallet (signer of personal messages) holding `key`'s secret.
pub fn wallet(key: &Keypair) -> Ed25519PrivateKey {
    let secret = [ALICE_SECRET, BOB_SECRET]
        .into_iter()
        .find(|s| Keypair::from_secret_bytes(*s).address() == key.address())
        .expect("only alice and bob have wallets");
    Ed25519PrivateKey::new(secret)
}

/// A session of `key` for the seal package, `ttl_min` long from `created_ms`.
pub fn session(key: &Keypair, ttl_min: u16, created_ms: u64) -> SessionKey {
    SessionKey::create(&wallet(key), key.address(), SEAL_PACKAGE, ttl_min, created_ms, &mut rand::thread_rng()).unwrap()
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// A devnet with three key servers configured by `tune`.
pub async fn start_with(tune: impl Fn(&mut KeyServerConfig)) -> Net {
    let alice = Keypair::from_secret_bytes(ALICE_SECRET);
    let bob = Keypair::from_secret_bytes(BOB_SECRET);
    let dir = tempfile::tempdir().unwrap();
    let genesis = GenesisConfig {
        accounts: vec![
            GenesisAccount { address: alice.address(), sui_coins: vec![COIN, COIN] },
            GenesisAccount { address: bob.address(), sui_coins: vec![COIN, COIN] },
        ],
        gas_charge: 1_000_000,
        ..GenesisConfig::default()
    };
    let mut config = DevnetConfig::new(dir.path(), genesis);
    config.checkpoint_interval = Duration::from_millis(300);
    let packages = packages_with([(SEAL_PACKAGE, Arc::new(SealPackage) as Arc<dyn NativePackage>)]);
    let devnet = Devnet::start_with(config, packages).await.unwrap();
    let client = ChainClient::new(&devnet.url()).unwrap();
    let mut servers = Vec::new();
    let mut infos = Vec::new();
    for i in 0..3u8 {
        let master = MasterKey::generate(&mut rand::thread_rng());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let id = register_key_server(
            &client,
            &devnet.deployment().packages,
            &alice,
            &format!("ks-{i}"),
            &url,
            &master.public_key(),
        )
        .await
        .unwrap();
        let mut config = KeyServerConfig::new(master, id, client.clone());
        tune(&mut config);
        servers.push(Some(KeyServer::serve(listener, config).unwrap()));
        infos.push(KeyServerInfo::from_chain(&client, id).await.unwrap());
    }
    let http = reqwest::Client::new();
    // Each server reads the chain's tip right away; give the first poll a moment.
    tokio::time::sleep(Duration::from_millis(200)).await;
    Net { devnet, client, alice, bob, servers, infos, http, dir }
}

pub async fn start() -> Net {
    start_with(|_| {}).await
}

impl Net {
    pub fn seal(&self) -> SealCalls {
        SealCalls::new(&self.devnet.deployment().packages)
    }

    pub fn session(&self, key: &Keypair) -> SessionKey {
        session(key, 10, now_ms())
    }

    /// Signs and executes what `build` adds, as `key`.
    pub async fn run(&self, key: &Keypair, build: impl FnOnce(&mut TransactionBuilder)) -> Executed {
        Executor::new(self.client.clone(), key.clone()).run(BUDGET, build).await.unwrap()
    }

    pub async fn stop_server(&mut self, index: usize) {
        if let Some(server) = self.servers[index].take() {
            server.shutdown().await;
        }
    }

    pub async fn shutdown(mut self) {
        for i in 0..self.servers.len() {
            self.stop_server(i).await;
        }
        self.devnet.shutdown().await;
    }
}

/// The programmable transaction of the calls `build` adds (what a key request carries).
pub fn ptb(build: impl FnOnce(&mut TransactionBuilder)) -> ProgrammableTransaction {
    let mut tx = TransactionBuilder::new();
    tx.set_sender(Address::ZERO);
    tx.add_gas_objects([ObjectInput::owned(Address::from_static("0x1234"), 1, Digest::ZERO)]);
    tx.set_gas_price(1_000);
    tx.set_gas_budget(1);
    build(&mut tx);
    match tx.try_build().unwrap().kind {
        TransactionKind::ProgrammableTransaction(ptb) => ptb,
        other => panic!("not a PTB: {other:?}"),
    }
}
