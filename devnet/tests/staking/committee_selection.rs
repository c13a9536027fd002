//! Committee selection: by stake, at most `max_committee_size` nodes, D'Hondt shards, shards
//! kept across epochs, the voted parameters, the BLS committee written into the System, and
//! proofs of possession at registration.

use floe_chain::floe::FloeEvent;
use floe_chain::floe::calls::NodeRegistration;
use floe_chain::floe::events::EpochParametersSelected;
use floe_chain::floe::staking_pool::VotingParams;
use floe_encoder::bls::BlsPublicKey;
use sui_sdk_types::Address;

use super::net::{StakedNet, abort_of, at, nodes};

/// The floe events of the genesis epoch change (the transaction that started epoch 1).
async fn genesis_change_events(net: &StakedNet) -> Vec<FloeEvent> {
    let ledger = net.devnet.ledger();
    for sequence in 0..=ledger.tip() {
        let (_, transactions) = ledger.checkpoint(sequence).unwrap();
        for record in transactions {
            let events: Vec<FloeEvent> =
                record.events.0.iter().map(|e| FloeEvent::from_event(&net.packages, e).unwrap()).collect();
            if events.iter().any(|e| matches!(e, FloeEvent::EpochChangeStart(s) if s.epoch == 1)) {
                return events;
            }
        }
    }
    panic!("no genesis epoch change")
}

#[tokio::test]
async fn the_first_epoch_change_selects_the_committee_by_stake_and_the_votes() {
    let net = StakedNet::start(10).await;
    let events = genesis_change_events(&net).await;
    // D'Hondt over 300/300/200/200 for 10 shards: 3/3/2/2. Storage price: 10 (3), 20 (3),
    // 30 (2) reach 8 >= 7 shards -> 30; write price -> 3; capacity 1 GiB per node scaled by
    // n/weight, from the top 7 shards are reached at 10/3 GiB.
    assert!(events.contains(&FloeEvent::EpochParametersSelected(EpochParametersSelected {
        epoch: 0,
        next_epoch: 1,
        total_capacity_size: 3_579_139_413,
        storage_price_per_unit_size: 30,
        write_price_per_unit_size: 3,
    })));
    let system = net.system().await;
    assert_eq!((system.storage_price_per_unit_size, system.write_price_per_unit_size), (30, 3));
    assert_eq!(system.total_capacity_size, 3_579_139_413);
    let committee = &system.committee;
    assert_eq!((committee.epoch, committee.n_shards, committee.members.len()), (1, 10, 4));
    let ids: Vec<Address> = committee.members.iter().map(|m| m.node_id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "members are in node id order");
    let staking = net.staking().await;
    for (i, weight) in [3u16, 3, 2, 2].into_iter().enumerate() {
        let node = staking.pool_ids[i];
        let member = committee.members.iter().find(|m| m.node_id == node).unwrap();
        assert_eq!(member.weight, weight);
        assert_eq!(member.public_key.bytes, net.keys[i].public_key().to_bytes().to_vec());
        assert_eq!(staking.committee.shards.get(&node).unwrap().len(), usize::from(weight));
    }
    let keys: Vec<BlsPublicKey> = net.keys.iter().map(|k| k.public_key()).collect();
    let total = BlsPublicKey::aggregate(&keys).unwrap().to_bytes().to_vec();
    assert_eq!(committee.total_aggregated_key.bytes, total);
}

#[tokio::test]
async fn the_committee_holds_at_most_max_committee_size_nodes() {
    let net = StakedNet::start(3).await;
    let staking = net.staking().await;
    // 300/300/200 (node 3's 200 ties node 2's and registered later): 4/4/2.
    let weights: Vec<usize> =
        (0..4).map(|i| staking.committee.shards.get(&staking.pool_ids[i]).map_or(0, Vec::len)).collect();
    assert_eq!(weights, vec![4, 4, 2, 0]);
}

#[tokio::test]
async fn shards_stay_with_their_nodes_across_epochs_when_stake_does_not_change() {
    let net = StakedNet::start(10).await;
    let before = net.staking().await.committee;
    net.change_epoch().await;
    assert_eq!(net.staking().await.committee, before);
    assert_eq!(net.staking().await.previous_committee, before);
}

#[tokio::test]
async fn a_new_stake_moves_only_the_shards_it_needs() {
    let net = StakedNet::start(10).await;
    let before = net.staking().await.committee;
    // Node 3 triples its stake (200 -> 600 of 1400): D'Hondt 2/2/1/5.
    net.stake(400, net.node_id(3).await).await.unwrap();
    net.change_epoch().await;
    let staking = net.staking().await;
    let after = &staking.committee;
    for (i, weight) in [2usize, 2, 1, 5].into_iter().enumerate() {
        let node = staking.pool_ids[i];
        let (old, new) = (before.shards.get(&node).unwrap(), after.shards.get(&node).unwrap());
        assert_eq!(new.len(), weight, "node {i}");
        if weight <= old.len() {
            assert!(new.iter().all(|s| old.contains(s)), "node {i} keeps a subset of its shards");
        } else {
            assert!(old.iter().all(|s| new.contains(s)), "node {i} keeps all its shards");
        }
    }
}

#[tokio::test]
async fn registration_with_another_nodes_proof_of_possession_is_rejected() {
    let net = StakedNet::start(10).await;
    let (genesis_nodes, _, _) = nodes();
    // Node 0's key with the proof its operator made: alice is not that operator.
    let node = NodeRegistration {
        name: "thief".into(),
        network_address: "http://127.0.0.1:1".into(),
        public_key: genesis_nodes[0].public_key.clone(),
        network_public_key: vec![0x33; 32],
        proof_of_possession: genesis_nodes[0].proof_of_possession.clone(),
        commission_rate: 0,
        voting: VotingParams { storage_price: 1, write_price: 1, node_capacity: 1 },
    };
    let result = net
        .run_as(&net.alice, |tx| {
            let cap = net.calls.register_candidate(tx, &node);
            StakedNet::keep(tx, vec![cap], net.alice.address());
        })
        .await;
    assert_eq!(abort_of(result), at("staking_inner", 5));
}

#[tokio::test]
async fn registration_creates_a_pool_and_a_capability() {
    let net = StakedNet::start(10).await;
    let key = floe_encoder::bls::BlsSecretKey::from_seed(&[0x77; 32]);
    // The network is at epoch 1: the proof must be for epoch 1.
    let proof = floe_encoder::messages::ProofOfPossessionMessage::prove(1, net.alice.address().into_inner(), &key);
    let node = NodeRegistration {
        name: "late".into(),
        network_address: "http://127.0.0.1:2".into(),
        public_key: key.public_key().to_bytes().to_vec(),
        network_public_key: vec![0x44; 32],
        proof_of_possession: proof.signature.to_bytes().to_vec(),
        commission_rate: 100,
        voting: VotingParams { storage_price: 1, write_price: 1, node_capacity: 1 },
    };
    let executed = net
        .run_as(&net.alice, |tx| {
            let cap = net.calls.register_candidate(tx, &node);
            StakedNet::keep(tx, vec![cap], net.alice.address());
        })
        .await
        .unwrap();
    let cap = net.created_of::<floe_chain::floe::staking::StorageNodeCap>(&executed).await;
    let cap: floe_chain::floe::staking::StorageNodeCap = net.read(cap).await;
    let events = net.events(&executed);
    assert_eq!(
        events,
        vec![FloeEvent::StakingPoolRegistered(floe_chain::floe::events::StakingPoolRegistered {
            epoch: 1,
            node_id: cap.node_id,
            commission_rate: 100,
        })]
    );
    let pool: floe_chain::floe::staking_pool::StakingPool = net.read(cap.node_id).await;
    assert_eq!((pool.name.as_str(), pool.commission_rate, pool.latest_epoch), ("late", 100, 1));
    assert_eq!(pool.network_public_key, vec![0x44; 32]);
    assert_eq!(net.staking().await.pool_ids.len(), 5);
}

#[tokio::test]
async fn node_settings_change_through_the_capability() {
    let net = StakedNet::start(10).await;
    let cap = net.owned(net.cap(1).await).await;
    net.run_as(&net.operators[1], |tx| {
        let cap = tx.object(cap);
        net.calls.set_network_address(tx, cap, "10.0.0.1:1");
        net.calls.set_network_public_key(tx, cap, &[9; 32]);
    })
    .await
    .unwrap();
    let pool = net.pool(1).await;
    assert_eq!((pool.network_address.as_str(), pool.network_public_key), ("10.0.0.1:1", vec![9; 32]));
}

#[tokio::test]
async fn setting_a_network_public_key_of_the_wrong_length_is_rejected() {
    let net = StakedNet::start(10).await;
    let cap = net.owned(net.cap(1).await).await;
    let result = net
        .run_as(&net.operators[1], |tx| {
            let cap = tx.object(cap);
            net.calls.set_network_public_key(tx, cap, &[7; 33]);
        })
        .await;
    assert_eq!(abort_of(result), at("staking_pool", 5));
    assert_eq!(net.pool(1).await.network_public_key.len(), 32);
}
