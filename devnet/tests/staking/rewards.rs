//! Rewards and commission: storage payments of an epoch go to its committee's pools by shards,
//! commission is cut first, stakers get the rest through the exchange rate.

use floe_chain::floe::FloeEvent;
use floe_chain::floe::events::{CommissionCollected, RewardsDistributed, Withdrawn};

use super::net::{StakedNet, abort_of, at};
use super::stake::genesis_stake;

/// Alice buys `size` bytes for the current epoch only; returns what she paid.
async fn buy_storage(net: &StakedNet, size: u64) -> u64 {
    let before = net.wal_value(net.wal_coin(1)).await;
    let coin = net.owned(net.wal_coin(1)).await;
    net.run_as(&net.alice, |tx| {
        let payment = tx.object(coin);
        let storage = net.calls.reserve_space(tx, size, 1, payment);
        StakedNet::keep(tx, vec![storage], net.alice.address());
    })
    .await
    .unwrap();
    before - net.wal_value(net.wal_coin(1)).await
}

/// The floe events of the newest transaction that started `epoch`.
fn change_events(net: &StakedNet, epoch: u32) -> Vec<FloeEvent> {
    let ledger = net.devnet.ledger();
    for sequence in (0..=ledger.tip()).rev() {
        let (_, transactions) = ledger.checkpoint(sequence).unwrap();
        for record in transactions {
            let events: Vec<FloeEvent> =
                record.events.0.iter().map(|e| FloeEvent::from_event(&net.packages, e).unwrap()).collect();
            if events.iter().any(|e| matches!(e, FloeEvent::EpochChangeStart(s) if s.epoch == epoch)) {
                return events;
            }
        }
    }
    panic!("no change to epoch {epoch}")
}

#[tokio::test]
async fn rewards_go_to_the_committee_by_shards_and_to_stakers_after_commission() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    // 1 unit at price 30 for epoch 1.
    assert_eq!(buy_storage(&net, 1_000).await, 30);
    net.change_epoch().await;
    // 30 FROST over 10 shards: 9/9/6/6; node 0 keeps 10% commission (0.9 -> 0).
    let distributed: Vec<RewardsDistributed> = change_events(&net, 2)
        .into_iter()
        .filter_map(|e| if let FloeEvent::RewardsDistributed(r) = e { Some(r) } else { None })
        .collect();
    assert_eq!(distributed.len(), 4);
    let node0 = net.node_id(0).await;
    let node2 = net.node_id(2).await;
    assert!(distributed.contains(&RewardsDistributed { epoch: 1, node_id: node0, amount: 9, commission: 0 }));
    assert!(distributed.contains(&RewardsDistributed { epoch: 1, node_id: node2, amount: 6, commission: 0 }));
    let pool0 = net.pool(0).await;
    assert_eq!((pool0.wal_balance, pool0.rewards_pool), (309, 9));

    // Staker 0 leaves: requested in epoch 2, withdrawable in epoch 3 with its rewards.
    let operator = &net.operators[0];
    let staked = genesis_stake(&net, 0).await;
    let input = net.owned(staked).await;
    net.run_as(operator, |tx| {
        let staked = tx.object(input);
        net.calls.request_withdraw_stake(tx, staked);
    })
    .await
    .unwrap();
    net.change_epoch().await;
    let input = net.owned(staked).await;
    let executed = net
        .run_as(operator, |tx| {
            let staked = tx.object(input);
            let coin = net.calls.withdraw_stake(tx, staked);
            StakedNet::keep(tx, vec![coin], operator.address());
        })
        .await
        .unwrap();
    assert_eq!(
        net.events(&executed),
        vec![FloeEvent::Withdrawn(Withdrawn {
            epoch: 3,
            node_id: node0,
            staked_wal_id: staked,
            principal: 300,
            amount: 309
        })]
    );
    assert_eq!(net.created_wal(&executed).await, 309);
    assert_eq!(net.pool(0).await.wal_balance, 0);
}

#[tokio::test]
async fn commission_is_cut_from_rewards_and_collected_by_the_capability_holder() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    // 100 units at price 30 for one epoch: 3000 FROST; node 0 earns 900, 10% is 90.
    assert_eq!(buy_storage(&net, 100 * 1_048_576).await, 3_000);
    net.change_epoch().await;
    let pool0 = net.pool(0).await;
    assert_eq!((pool0.commission, pool0.rewards_pool), (90, 810));
    let cap = net.owned(net.cap(0).await).await;
    let operator = &net.operators[0];
    let executed = net
        .run_as(operator, |tx| {
            let cap = tx.object(cap);
            let coin = net.calls.collect_commission(tx, cap);
            StakedNet::keep(tx, vec![coin], operator.address());
        })
        .await
        .unwrap();
    let node0 = net.node_id(0).await;
    assert_eq!(
        net.events(&executed),
        vec![FloeEvent::CommissionCollected(CommissionCollected { epoch: 2, node_id: node0, amount: 90 })]
    );
    assert_eq!(net.created_wal(&executed).await, 90);
    assert_eq!(net.pool(0).await.commission, 0);
}

#[tokio::test]
async fn a_commission_change_takes_effect_two_epochs_later() {
    let net = StakedNet::start(10).await;
    let cap = net.owned(net.cap(1).await).await;
    net.run_as(&net.operators[1], |tx| {
        let cap = tx.object(cap);
        net.calls.set_next_commission(tx, cap, 5_000);
    })
    .await
    .unwrap();
    net.sync_all().await;
    net.change_epoch().await;
    assert_eq!(net.pool(1).await.commission_rate, 0);
    net.change_epoch().await;
    assert_eq!(net.pool(1).await.commission_rate, 5_000);
}

#[tokio::test]
async fn a_commission_change_over_100_percent_is_rejected() {
    let net = StakedNet::start(10).await;
    let cap = net.owned(net.cap(1).await).await;
    let result = net
        .run_as(&net.operators[1], |tx| {
            let cap = tx.object(cap);
            net.calls.set_next_commission(tx, cap, 10_001);
        })
        .await;
    assert_eq!(abort_of(result), at("staking_pool", 0));
}

#[tokio::test]
async fn later_stakers_enter_at_the_current_exchange_rate() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    // 10 units at 30 for epoch 1: 300 FROST; node 1 (3 shards, no commission) earns 90.
    assert_eq!(buy_storage(&net, 10 * 1_048_576).await, 300);
    net.change_epoch().await;
    // Node 1's pool: 390 WAL for 300 shares. A new 390 stake activates at epoch 3.
    let (_, late) = net.stake(390, net.node_id(1).await).await.unwrap();
    net.change_epoch().await;
    let pool1 = net.pool(1).await;
    assert_eq!((pool1.wal_balance, pool1.share_amount), (780, 600));
    // The late staker only gets rewards earned after it activated: none so far.
    let input = net.owned(late).await;
    net.run_as(&net.alice, |tx| {
        let staked = tx.object(input);
        net.calls.request_withdraw_stake(tx, staked);
    })
    .await
    .unwrap();
    net.change_epoch().await;
    let input = net.owned(late).await;
    let executed = net
        .run_as(&net.alice, |tx| {
            let staked = tx.object(input);
            let coin = net.calls.withdraw_stake(tx, staked);
            StakedNet::keep(tx, vec![coin], net.alice.address());
        })
        .await
        .unwrap();
    assert_eq!(net.created_wal(&executed).await, 390);
}
