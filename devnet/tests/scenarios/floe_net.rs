//! A devnet running floe's native packages with a signing committee of real BLS keys written
//! at genesis, an account holding SUI for gas and WAL for storage, and helpers to run floe
//! transactions, read objects and name aborts.

use std::time::Duration;

use floe_chain::floe::blob::Blob;
use floe_chain::floe::calls::{CertificateBytes, FloeCalls, InitParams, NewBlob, SharedObject, WalCalls};
use floe_chain::floe::storage::Storage;
use floe_chain::floe::system::SystemStateInnerV1;
use floe_chain::floe::{FloeEvent, MoveType};
use floe_chain::{ChainClient, ExecuteError, Executed, Keypair, Packages};
use floe_devnet::{Devnet, DevnetConfig, FloeGenesis, GenesisAccount, GenesisConfig, floe_packages, packages_with};
use floe_devnet::{FLOE_PACKAGE, Field, SEAL_PACKAGE, WAL_PACKAGE, field_id};
use floe_encoder::bls::{BlsSecretKey, BlsSignature};
use floe_encoder::certificate::{Committee, CommitteeMember};
use floe_encoder::merkle::Node;
use floe_encoder::{BlobId, EncodingType};
use serde::de::DeserializeOwned;
use sui_sdk_types::{Address, GenesisObject, MoveStruct, ObjectData, Owner, TypeTag};
use sui_transaction_builder::{Argument, ObjectInput, TransactionBuilder};

/// Shards of the test network.
pub const N_SHARDS: u16 = 10;
/// The committee's shard weights (member order = bitmap order).
pub const WEIGHTS: [u16; 4] = [3, 3, 2, 2];
/// The epoch the network starts in.
pub const EPOCH: u32 = 1;
/// How many epochs ahead storage can be bought.
pub const MAX_EPOCHS_AHEAD: u32 = 5;
/// Capacity sold per epoch: 1 GiB.
pub const CAPACITY: u64 = 1 << 30;
/// FROST per MiB unit per epoch.
pub const STORAGE_PRICE: u64 = 10;
/// FROST per MiB unit, once.
pub const WRITE_PRICE: u64 = 5;
/// Each of alice's WAL coins.
pub const WAL_COIN: u64 = 1_000_000;
/// Unencoded size of the test blobs; 10,680 bytes once encoded for 10 shards (1 unit).
pub const BLOB_SIZE: u64 = 1000;
/// The encoded size of a test blob.
pub const ENCODED_SIZE: u64 = 10_680;
#[path = "../common/floe_chain.rs"]
mod common;
pub use common::{abort_of, at};

/// The running network.
pub struct FloeNet {
    pub client: ChainClient,
    pub alice: Keypair,
    pub keys: Vec<BlsSecretKey>,
    pub calls: FloeCalls,
    pub wal: WalCalls,
    pub packages: Packages,
    pub genesis: FloeGenesis,
    /// Kept alive for the test; dropped (stopped) with it.
    _devnet: Devnet,
    _dir: tempfile::TempDir,
}

/// The test blob number `seed`: its registration (blob id derived from a root hash of `seed`).
pub fn new_blob(seed: u8, deletable: bool) -> NewBlob {
    let root_hash = [seed; 32];
    let blob_id = BlobId::derive(EncodingType::RS2, BLOB_SIZE, &Node::Digest(root_hash));
    NewBlob { blob_id, root_hash, size: BLOB_SIZE, encoding_type: EncodingType::RS2.as_u8(), deletable }
}

impl FloeNet {
    /// A network at [`EPOCH`] with the committee, alice holding SUI and two WAL coins, and
    /// the genesis objects `extra` makes for alice's address (e.g. a blob that already expired).
    pub async fn start_with(extra: impl FnOnce(Address) -> Vec<GenesisObject>) -> Self {
        let alice = Keypair::from_secret_bytes([0xa1; 32]);
        let keys: Vec<BlsSecretKey> =
            (0..WEIGHTS.len() as u8).map(|i| BlsSecretKey::from_seed(&[i + 0x10; 32])).collect();
        let members = keys
            .iter()
            .zip(WEIGHTS)
            .enumerate()
            .map(|(i, (key, weight))| CommitteeMember {
                public_key: key.public_key(),
                weight,
                node_id: [i as u8 + 1; 32],
            })
            .collect();
        let committee = Committee::new(EPOCH, members).unwrap();
        let params = InitParams {
            n_shards: N_SHARDS,
            epoch_duration_ms: 60_000,
            max_epochs_ahead: MAX_EPOCHS_AHEAD,
            max_committee_size: 10,
        };
        let genesis = FloeGenesis::new(&params, &[(alice.address(), vec![WAL_COIN, WAL_COIN])])
            .unwrap()
            .with_committee(&committee, CAPACITY, STORAGE_PRICE, WRITE_PRICE)
            .with_init_cap(alice.address());
        let dir = tempfile::tempdir().unwrap();
        let chain = GenesisConfig {
            chain: "floe-system-test".into(),
            accounts: vec![GenesisAccount { address: alice.address(), sui_coins: vec![10_000_000_000; 4] }],
            ..GenesisConfig::default()
        };
        let mut config = DevnetConfig::new(dir.path(), chain);
        config.checkpoint_interval = Duration::from_millis(200);
        genesis.configure(&mut config);
        config.genesis_objects.extend(extra(alice.address()));
        let devnet = Devnet::start_with(config, packages_with(floe_packages())).await.unwrap();
        let client = ChainClient::new(&devnet.url()).unwrap();
        let packages = devnet.deployment().packages;
        let calls = FloeCalls::new(
            &packages,
            SharedObject::new(genesis.system.id, 1),
            SharedObject::new(genesis.staking.id, 1),
        );
        let wal = WalCalls::new(&packages, SharedObject::new(genesis.treasury.id, 1));
        Self { client, alice, keys, calls, wal, packages, genesis, _devnet: devnet, _dir: dir }
    }

    /// A network without extra genesis objects.
    pub async fn start() -> Self {
        Self::start_with(|_| vec![]).await
    }

    /// The id of alice's `i`-th WAL coin.
    pub fn wal_coin(&self, i: usize) -> Address {
        self.genesis.wal_coins.iter().filter(|(owner, _)| *owner == self.alice.address()).nth(i).unwrap().1.id
    }

    /// The current reference of an owned object as a transaction input.
    pub async fn owned(&self, id: Address) -> ObjectInput {
        let object = self.client.get_object(id).await.unwrap();
        ObjectInput::owned(object.object_id(), object.version(), object.digest())
    }

    /// Builds a transaction of alice's with `build` and executes it.
    pub async fn run(&self, build: impl FnOnce(&mut TransactionBuilder)) -> Result<Executed, ExecuteError> {
        common::run_as(&self.client, &self.alice, build).await
    }

    /// Keeps the objects `args` in alice's hands (a PTB must place every value it creates).
    pub fn keep(&self, tx: &mut TransactionBuilder, args: Vec<Argument>) {
        let owner = tx.pure(&self.alice.address());
        tx.transfer_objects(args, owner);
    }

    /// Reserves storage for `epochs` and registers `blob` on it, paying with WAL coin 0; returns
    /// the transaction and the Blob object id.
    pub async fn register(
        &self,
        blob: &NewBlob,
        storage_amount: u64,
        epochs: u32,
    ) -> Result<(Executed, Address), ExecuteError> {
        let coin = self.owned(self.wal_coin(0)).await;
        let executed = self
            .run(|tx| {
                let payment = tx.object(coin);
                let storage = self.calls.reserve_space(tx, storage_amount, epochs, payment);
                let blob = self.calls.register_blob(tx, storage, blob, payment);
                self.keep(tx, vec![blob]);
            })
            .await?;
        let blob_id = self.created_of::<Blob>(&executed).await;
        Ok((executed, blob_id))
    }

    /// The id of the one object of type `T` the transaction created.
    pub async fn created_of<T: MoveType>(&self, executed: &Executed) -> Address {
        common::created_of::<T>(&self.client, &self.packages, executed).await
    }

    /// Decodes object `id` as `T`.
    pub async fn read<T: DeserializeOwned>(&self, id: Address) -> T {
        common::read(&self.client, id).await
    }

    /// The WAL (FROST) in coin `id`.
    pub async fn wal_value(&self, id: Address) -> u64 {
        self.read::<floe_devnet::CoinValue>(id).await.value
    }

    /// The floe events a transaction emitted.
    pub fn events(&self, executed: &Executed) -> Vec<FloeEvent> {
        common::events(&self.packages, executed)
    }

    /// An aggregate certificate over `message` by the members `signers`.
    pub fn certificate(&self, signers: &[usize], message: Vec<u8>) -> CertificateBytes {
        let signatures: Vec<BlsSignature> = signers.iter().map(|&i| self.keys[i].sign(&message)).collect();
        let mut bitmap = vec![0u8; self.keys.len().div_ceil(8)];
        for &i in signers {
            bitmap[i / 8] |= 1 << (i % 8);
        }
        CertificateBytes {
            signature: BlsSignature::aggregate(&signatures).unwrap().to_bytes().to_vec(),
            signers_bitmap: bitmap,
            message,
        }
    }

    /// Certifies the Blob `blob` with `certificate` in its own transaction.
    pub async fn certify(&self, blob: Address, certificate: &CertificateBytes) -> Result<Executed, ExecuteError> {
        let blob = self.owned(blob).await;
        self.run(|tx| {
            let blob = tx.object(blob);
            self.calls.certify_blob(tx, blob, certificate);
        })
        .await
    }
}

/// A certified blob that `owner` holds at genesis and whose storage ended at [`EPOCH`], so it
/// is expired from the start; its object id is `[id_byte; 32]`.
pub fn expired_blob(owner: Address, id_byte: u8, deletable: bool) -> (Address, GenesisObject) {
    let packages = Packages { wal: WAL_PACKAGE, floe: FLOE_PACKAGE, seal: SEAL_PACKAGE };
    let id = Address::new([id_byte; 32]);
    let registration = new_blob(id_byte, deletable);
    let blob = Blob {
        id,
        registered_epoch: 0,
        blob_id: registration.blob_id,
        size: BLOB_SIZE,
        encoding_type: EncodingType::RS2.as_u8(),
        certified_epoch: Some(0),
        storage: Storage {
            id: Address::new([id_byte ^ 0xff; 32]),
            start_epoch: 0,
            end_epoch: EPOCH,
            storage_size: ENCODED_SIZE,
        },
        deletable,
    };
    let data = MoveStruct::new(Blob::struct_tag(&packages), true, 1, bcs::to_bytes(&blob).unwrap()).unwrap();
    (id, GenesisObject::new(ObjectData::Struct(data), Owner::Address(owner)))
}

/// The System's inner state (its dynamic field `1u64`).
pub async fn system_inner(net: &FloeNet) -> SystemStateInnerV1 {
    let field = field_id(net.genesis.system.id, &TypeTag::U64, &1u64);
    net.read::<Field<u64, SystemStateInnerV1>>(field).await.value
}
