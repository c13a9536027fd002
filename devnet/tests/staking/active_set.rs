//! The active set bounds the epoch change: `voting_end` selects from at most
//! `max_committee_size` nodes and `initiate_epoch_change` reads and advances only the active
//! set's and the committees' pools, however many candidates register; a pool left behind catches
//! up when next touched. Nodes join a full set only with more stake than its smallest member.

use floe_chain::floe::FloeEvent;
use floe_chain::floe::MoveType;
use floe_chain::floe::calls::NodeRegistration;
use floe_chain::floe::staked_wal::StakedWal;
use floe_chain::floe::staking_pool::{StakingPool, VotingParams};
use floe_devnet::TransactionRecord;
use sui_sdk_types::Address;

use super::net::StakedNet;

/// Candidates registered by the bound scenario.
const CANDIDATES: usize = 200;
/// Registrations per transaction.
const PER_TRANSACTION: usize = 50;

/// Alice registers `CANDIDATES` zero-stake candidates (one key, so one proof of possession).
async fn register_candidates(net: &StakedNet) {
    let key = floe_encoder::bls::BlsSecretKey::from_seed(&[0x55; 32]);
    let epoch = net.staking().await.epoch;
    let proof = floe_encoder::messages::ProofOfPossessionMessage::prove(epoch, net.alice.address().into_inner(), &key);
    let node = NodeRegistration {
        name: "candidate".into(),
        network_address: "http://127.0.0.1:3".into(),
        public_key: key.public_key().to_bytes().to_vec(),
        network_public_key: vec![0x55; 32],
        proof_of_possession: proof.signature.to_bytes().to_vec(),
        commission_rate: 0,
        voting: VotingParams { storage_price: 1, write_price: 1, node_capacity: 1 },
    };
    for _ in 0..CANDIDATES / PER_TRANSACTION {
        net.run_as(&net.alice, |tx| {
            let caps = (0..PER_TRANSACTION).map(|_| net.calls.register_candidate(tx, &node)).collect();
            StakedNet::keep(tx, caps, net.alice.address());
        })
        .await
        .unwrap();
    }
}

/// The transaction that started `epoch`.
fn epoch_change_record(net: &StakedNet, epoch: u32) -> std::sync::Arc<TransactionRecord> {
    let ledger = net.devnet.ledger();
    for sequence in (0..=ledger.tip()).rev() {
        let (_, transactions) = ledger.checkpoint(sequence).unwrap();
        for record in transactions {
            let starts = record.events.0.iter().any(|e| {
                matches!(FloeEvent::from_event(&net.packages, e), Ok(FloeEvent::EpochChangeStart(s)) if s.epoch == epoch)
            });
            if starts {
                return record;
            }
        }
    }
    panic!("no change to epoch {epoch}")
}

async fn latest_epoch(net: &StakedNet, node_id: Address) -> u32 {
    net.read::<StakingPool>(node_id).await.latest_epoch
}

#[tokio::test]
async fn the_epoch_change_reads_only_the_active_set_however_many_candidates_register() {
    let net = StakedNet::start(10).await;
    register_candidates(&net).await;
    let staking = net.staking().await;
    assert_eq!(staking.pool_ids.len(), 4 + CANDIDATES);
    let candidates: Vec<Address> = staking.pool_ids[4..].to_vec();
    // Candidates 0..7 stake 1..8 FROST: 1..6 fill the six free seats, 7 and 8 replace 1 and 2.
    let coin = net.owned(net.wal_coin(0)).await;
    let executed = net
        .run_as(&net.alice, |tx| {
            let coin = tx.object(coin);
            let amounts = (1..=8u64).map(|a| tx.pure(&a)).collect();
            let parts = tx.split_coins(coin, amounts);
            let staked = parts.into_iter().zip(&candidates).map(|(part, id)| net.calls.stake_with_pool(tx, part, *id));
            let staked = staked.collect();
            StakedNet::keep(tx, staked, net.alice.address());
        })
        .await
        .unwrap();
    let set = net.staking().await.active_set;
    assert_eq!(set.entries.len(), 10);
    assert!(!set.contains(&candidates[0]) && !set.contains(&candidates[1]));
    assert_eq!(set.entries.iter().find(|e| e.node_id == candidates[7]).unwrap().staked_amount, 8);

    let epoch = net.change_epoch().await;
    assert_eq!(epoch, 2);
    // D'Hondt gives the 3..8 FROST nodes no shard: 3/3/2/2 as without them.
    let committee = net.staking().await.committee;
    assert_eq!(committee.shards.len(), 4);
    // voting_end and initiate_epoch_change read 10 pools of 204: the active set's.
    let record = epoch_change_record(&net, 2);
    let pool_tag = StakingPool::struct_tag(&net.packages);
    let pools_read =
        record.input_objects.iter().filter(|o| o.as_struct().is_some_and(|s| s.object_type() == &pool_tag)).count();
    assert_eq!(pools_read, 10);
    for i in [2, 7] {
        assert_eq!(latest_epoch(&net, candidates[i]).await, 2, "candidate {i} is in the active set");
    }
    for i in [0, 1, CANDIDATES - 1] {
        assert_eq!(latest_epoch(&net, candidates[i]).await, 1, "candidate {i} was left behind");
    }

    // A pool left behind catches up when touched: candidate 0's stake activated at epoch 2.
    let mut first = None;
    for written in executed.created() {
        let id = *written.reference.object_id();
        let object = net.client.get_object(id).await.unwrap();
        if object.as_struct().is_some_and(|s| s.object_type() == &StakedWal::struct_tag(&net.packages)) {
            let staked: StakedWal = net.read(id).await;
            if staked.node_id == candidates[0] {
                first = Some(id);
            }
        }
    }
    let first = first.expect("candidate 0's stake");
    let input = net.owned(first).await;
    net.run_as(&net.alice, |tx| {
        let staked = tx.object(input);
        net.calls.request_withdraw_stake(tx, staked);
    })
    .await
    .unwrap();
    assert_eq!(latest_epoch(&net, candidates[0]).await, 2);
    assert_eq!(net.read::<StakingPool>(candidates[0]).await.wal_balance, 1);
    net.change_epoch().await;
    let input = net.owned(first).await;
    let executed = net
        .run_as(&net.alice, |tx| {
            let staked = tx.object(input);
            let coin = net.calls.withdraw_stake(tx, staked);
            StakedNet::keep(tx, vec![coin], net.alice.address());
        })
        .await
        .unwrap();
    assert_eq!(net.created_wal(&executed).await, 1);
    assert_eq!(net.read::<StakingPool>(candidates[0]).await.wal_balance, 0);
}

async fn try_join(net: &StakedNet, node_id: Address) {
    net.run_as(&net.alice, |tx| net.calls.try_join_active_set(tx, node_id)).await.unwrap();
}

#[tokio::test]
async fn a_node_joins_a_full_active_set_only_with_more_stake_than_the_smallest_member() {
    let net = StakedNet::start(3).await;
    // 300/300/200 fill the set; node 3's 200 ties the smallest and stays out.
    let (node2, node3) = (net.node_id(2).await, net.node_id(3).await);
    assert!(!net.staking().await.active_set.contains(&node3));
    try_join(&net, node3).await;
    assert!(!net.staking().await.active_set.contains(&node3));
    // One more FROST and it replaces node 2.
    net.stake(1, node3).await.unwrap();
    let set = net.staking().await.active_set;
    assert_eq!(set.entries.iter().find(|e| e.node_id == node3).unwrap().staked_amount, 201);
    assert!(!set.contains(&node2));
    net.change_epoch().await;
    let committee = net.staking().await.committee;
    assert!(committee.shards.get(&node3).is_some() && committee.shards.get(&node2).is_none());
}

#[tokio::test]
async fn try_join_active_set_fills_a_seat_freed_by_a_withdrawal() {
    let net = StakedNet::start(3).await;
    let (node2, node3) = (net.node_id(2).await, net.node_id(3).await);
    // Node 2's only stake (its operator's) leaves next epoch: the node leaves the set, which
    // does not refill by itself.
    let tag = StakedWal::struct_tag(&net.packages);
    let operator = &net.operators[2];
    let staked = net.client.owned_objects(operator.address(), Some(&tag)).await.unwrap()[0].object_id();
    let input = net.owned(staked).await;
    net.run_as(operator, |tx| {
        let staked = tx.object(input);
        net.calls.request_withdraw_stake(tx, staked);
    })
    .await
    .unwrap();
    let set = net.staking().await.active_set;
    assert_eq!(set.entries.len(), 2);
    assert!(!set.contains(&node3));
    try_join(&net, node3).await;
    let set = net.staking().await.active_set;
    assert_eq!(set.entries.iter().find(|e| e.node_id == node3).unwrap().staked_amount, 200);
    net.change_epoch().await;
    let committee = net.staking().await.committee;
    assert!(committee.shards.get(&node3).is_some() && committee.shards.get(&node2).is_none());
}
