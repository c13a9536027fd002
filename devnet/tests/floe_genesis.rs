//! A devnet started from a staked genesis: the nodes are registered, staked and selected as the
//! committee of epoch 1 at the first start, a client can store and certify a blob with their
//! BLS keys right away, and a restart resumes at the same epoch with the committee intact.

#[path = "staking/net.rs"]
#[allow(dead_code)]
mod net;

use floe_chain::floe::FloeEvent;
use floe_chain::floe::calls::{CertificateBytes, FloeCalls, NewBlob, SharedObject};
use floe_chain::floe::staked_wal::StakedWal;
use floe_chain::floe::staking::StorageNodeCap;
use floe_chain::{ChainClient, Executor, Keypair, gas_budget};
use floe_devnet::{
    CommitteeGenesis, Devnet, DevnetConfig, GenesisAccount, GenesisConfig, floe_packages, packages_with,
};
use floe_encoder::bls::BlsSignature;
use floe_encoder::merkle::Node;
use floe_encoder::messages::{BlobPersistence, StorageConfirmation};
use floe_encoder::{BlobId, EncodingType};
use net::{StakedNet, manual};

#[tokio::test]
async fn a_localnet_starts_at_epoch_1_where_blobs_certify_with_the_nodes_keys() {
    let alice = Keypair::from_secret_bytes([0xa1; 32]);
    let (genesis, keys) =
        CommitteeGenesis::localnet(4, 100, 600_000, 9185, [7; 32], &[(alice.address(), vec![1_000_000_000_000])])
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let chain = GenesisConfig {
        chain: "floe-localnet-test".into(),
        accounts: vec![GenesisAccount { address: alice.address(), sui_coins: vec![10_000_000_000; 2] }],
        ..GenesisConfig::default()
    };
    let mut config = DevnetConfig::new(dir.path(), chain);
    config.epochs = manual();
    genesis.configure(&mut config);
    let devnet = Devnet::start_with(config, packages_with(floe_packages())).await.unwrap();
    let client = ChainClient::new(&devnet.url()).unwrap();
    assert_eq!(client.service_info().await.unwrap().epoch, 1);
    assert_eq!(devnet.deployment().system_object, genesis.floe.system.id);
    assert_eq!(devnet.deployment().staking_object, genesis.floe.staking.id);

    // Each operator holds its node's capability and its stake.
    let packages = devnet.deployment().packages;
    for node_keys in &keys {
        let owner = node_keys.operator.address();
        let caps = client
            .owned_objects(owner, Some(&<StorageNodeCap as floe_chain::floe::MoveType>::struct_tag(&packages)))
            .await
            .unwrap();
        let stakes = client
            .owned_objects(owner, Some(&<StakedWal as floe_chain::floe::MoveType>::struct_tag(&packages)))
            .await
            .unwrap();
        assert_eq!((caps.len(), stakes.len()), (1, 1));
    }

    // Register a blob and certify it with all four nodes' signatures, in committee order.
    let calls = FloeCalls::new(
        &packages,
        SharedObject::new(genesis.floe.system.id, 1),
        SharedObject::new(genesis.floe.staking.id, 1),
    );
    let wal = genesis.floe.wal_coins.iter().find(|(owner, _)| *owner == alice.address()).unwrap().1.id;
    let root_hash = [3; 32];
    let blob = NewBlob {
        blob_id: BlobId::derive(EncodingType::RS2, 1000, &Node::Digest(root_hash)),
        root_hash,
        size: 1000,
        encoding_type: EncodingType::RS2.as_u8(),
        deletable: false,
    };
    let system_field = floe_devnet::field_id(genesis.floe.system.id, &sui_sdk_types::TypeTag::U64, &1u64);
    let object = client.get_object(system_field).await.unwrap();
    let system: floe_devnet::Field<u64, floe_chain::floe::system::SystemStateInnerV1> =
        bcs::from_bytes(object.as_struct().unwrap().contents()).unwrap();
    let committee = system.value.committee;
    assert_eq!((committee.epoch, committee.n_shards, committee.members.len()), (1, 100, 4));
    let message =
        StorageConfirmation { epoch: 1, blob_id: blob.blob_id, persistence: BlobPersistence::Permanent }.to_bytes();
    let signatures: Vec<BlsSignature> = committee
        .members
        .iter()
        .map(|m| {
            keys.iter()
                .find(|k| k.bls.public_key().to_bytes().as_slice() == m.public_key.bytes)
                .unwrap()
                .bls
                .sign(&message)
        })
        .collect();
    let certificate = CertificateBytes {
        signature: BlsSignature::aggregate(&signatures).unwrap().to_bytes().to_vec(),
        signers_bitmap: vec![0b1111],
        message,
    };
    let wal_object = client.get_object(wal).await.unwrap();
    let executor = Executor::new(client.clone(), alice.clone());
    let executed = executor
        .run(gas_budget::BLOB_OPERATION, |tx| {
            let payment = tx.object(sui_transaction_builder::ObjectInput::owned(
                wal_object.object_id(),
                wal_object.version(),
                wal_object.digest(),
            ));
            let storage = calls.reserve_space(tx, 30 * 1_048_576, 2, payment);
            let registered = calls.register_blob(tx, storage, &blob, payment);
            calls.certify_blob(tx, registered, &certificate);
            let owner = tx.pure(&alice.address());
            tx.transfer_objects(vec![registered], owner);
        })
        .await
        .unwrap();
    let certified = executed
        .events
        .iter()
        .filter_map(|e| FloeEvent::from_event(&packages, e).ok())
        .any(|e| matches!(e, FloeEvent::BlobCertified(c) if c.blob_id == blob.blob_id && c.epoch == 1));
    assert!(certified, "the blob is certified at epoch 1");
    devnet.shutdown().await;
}

#[tokio::test]
async fn a_restarted_devnet_resumes_at_the_same_epoch_with_its_committee() {
    let net = StakedNet::start(10).await;
    assert_eq!(net.change_epoch().await, 2);
    let staking = net.staking().await;
    let system = net.system().await;
    let dir = net.stop().await;

    let net = StakedNet::start_in(dir, 10, manual(), net::EPOCH_MS).await;
    assert_eq!(net.client.service_info().await.unwrap().epoch, 2);
    assert_eq!(net.staking().await, staking);
    assert_eq!(net.system().await, system);
    // The schedule goes on from there.
    assert_eq!(net.change_epoch().await, 3);
    assert_eq!(net.system().await.committee.epoch, 3);
}
