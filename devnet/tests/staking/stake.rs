//! Staking and withdrawing: activation epochs, early withdrawal of uncounted stake, withdrawal
//! requests, and splitting/joining `StakedWal`.

use floe_chain::floe::FloeEvent;
use floe_chain::floe::events::{Staked, Withdrawn};
use floe_chain::floe::staked_wal::{StakedWal, StakedWalState};
use sui_sdk_types::Address;

use super::net::{EPOCH_MS, StakedNet, abort_of, at};

#[tokio::test]
async fn stake_activates_next_epoch_or_the_one_after_once_the_committee_is_selected() {
    let net = StakedNet::start(10).await;
    let node = net.node_id(0).await;
    let (executed, first) = net.stake(100, node).await.unwrap();
    let staked: StakedWal = net.read(first).await;
    assert_eq!((staked.activation_epoch, staked.principal, staked.node_id), (2, 100, node));
    assert_eq!(
        net.events(&executed),
        vec![FloeEvent::Staked(Staked {
            epoch: 1,
            node_id: node,
            staked_wal_id: first,
            amount: 100,
            activation_epoch: 2
        })]
    );
    net.sync_all().await;
    net.devnet.ledger().advance_clock(EPOCH_MS / 2);
    net.run_as(&net.alice, |tx| net.calls.voting_end(tx)).await.unwrap();
    let (_, second) = net.stake(50, node).await.unwrap();
    assert_eq!(net.read::<StakedWal>(second).await.activation_epoch, 3);
    let pending: Vec<(u32, u64)> = net.pool(0).await.pending_stake.contents.iter().map(|e| (e.key, e.value)).collect();
    assert_eq!(pending, vec![(2, 100), (3, 50)]);
}

#[tokio::test]
async fn staking_nothing_is_rejected() {
    let net = StakedNet::start(10).await;
    assert_eq!(abort_of(net.stake(0, net.node_id(0).await).await), at("staking_inner", 4));
}

#[tokio::test]
async fn staking_with_an_unknown_node_is_rejected() {
    let net = StakedNet::start(10).await;
    assert_eq!(abort_of(net.stake(1, Address::from_static("0x1")).await), at("staking_inner", 3));
}

#[tokio::test]
async fn uncounted_stake_is_withdrawn_at_once_for_its_principal() {
    let net = StakedNet::start(10).await;
    let node = net.node_id(0).await;
    let (_, staked) = net.stake(100, node).await.unwrap();
    let input = net.owned(staked).await;
    let executed = net
        .run_as(&net.alice, |tx| {
            let staked = tx.object(input);
            let coin = net.calls.withdraw_stake(tx, staked);
            StakedNet::keep(tx, vec![coin], net.alice.address());
        })
        .await
        .unwrap();
    assert_eq!(
        net.events(&executed),
        vec![FloeEvent::Withdrawn(Withdrawn {
            epoch: 1,
            node_id: node,
            staked_wal_id: staked,
            principal: 100,
            amount: 100
        })]
    );
    assert_eq!(net.created_wal(&executed).await, 100);
    assert!(net.pool(0).await.pending_stake.contents.is_empty());
    assert!(net.client.get_object(staked).await.is_err(), "the StakedWal is gone");
}

#[tokio::test]
async fn requesting_withdrawal_of_uncounted_stake_is_rejected() {
    let net = StakedNet::start(10).await;
    let (_, staked) = net.stake(100, net.node_id(0).await).await.unwrap();
    let input = net.owned(staked).await;
    let result = net
        .run_as(&net.alice, |tx| {
            let staked = tx.object(input);
            net.calls.request_withdraw_stake(tx, staked);
        })
        .await;
    assert_eq!(abort_of(result), at("staking_inner", 10));
}

/// Alice splits `amount` off her stake `staked`; returns the new stake's id.
async fn split(
    net: &StakedNet,
    key: &floe_chain::Keypair,
    staked: Address,
    amount: u64,
) -> Result<Address, floe_chain::ExecuteError> {
    let input = net.owned(staked).await;
    let executed = net
        .run_as(key, |tx| {
            let staked = tx.object(input);
            let part = net.calls.split_staked_wal(tx, staked, amount);
            StakedNet::keep(tx, vec![part], key.address());
        })
        .await?;
    Ok(net.created_of::<StakedWal>(&executed).await)
}

#[tokio::test]
async fn staked_wal_splits_and_joins() {
    let net = StakedNet::start(10).await;
    let (_, staked) = net.stake(100, net.node_id(0).await).await.unwrap();
    let part = split(&net, &net.alice, staked, 30).await.unwrap();
    let (whole, piece): (StakedWal, StakedWal) = (net.read(staked).await, net.read(part).await);
    assert_eq!((whole.principal, piece.principal), (70, 30));
    assert_eq!((piece.node_id, piece.activation_epoch), (whole.node_id, whole.activation_epoch));
    let (a, b) = (net.owned(staked).await, net.owned(part).await);
    net.run_as(&net.alice, |tx| {
        let staked = tx.object(a);
        let part = tx.object(b);
        net.calls.join_staked_wal(tx, staked, part);
    })
    .await
    .unwrap();
    let joined: StakedWal = net.read(staked).await;
    assert_eq!((joined.principal, joined.state), (100, StakedWalState::Staked));
    assert!(net.client.get_object(part).await.is_err(), "the joined stake is gone");
}

#[tokio::test]
async fn splitting_off_the_whole_stake_is_rejected() {
    let net = StakedNet::start(10).await;
    let (_, staked) = net.stake(100, net.node_id(0).await).await.unwrap();
    assert_eq!(abort_of(split(&net, &net.alice, staked, 100).await), at("staked_wal", 0));
}

#[tokio::test]
async fn stakes_with_different_nodes_do_not_join() {
    let net = StakedNet::start(10).await;
    let (_, a) = net.stake(100, net.node_id(0).await).await.unwrap();
    let (_, b) = net.stake(100, net.node_id(1).await).await.unwrap();
    let (a, b) = (net.owned(a).await, net.owned(b).await);
    let result = net
        .run_as(&net.alice, |tx| {
            let a = tx.object(a);
            let b = tx.object(b);
            net.calls.join_staked_wal(tx, a, b);
        })
        .await;
    assert_eq!(abort_of(result), at("staked_wal", 2));
}

/// Node `i`'s operator asks to withdraw its genesis stake.
async fn request_withdrawal(net: &StakedNet, i: usize) -> Result<floe_chain::Executed, floe_chain::ExecuteError> {
    let input = net.owned(genesis_stake(net, i).await).await;
    net.run_as(&net.operators[i], |tx| {
        let staked = tx.object(input);
        net.calls.request_withdraw_stake(tx, staked);
    })
    .await
}

#[tokio::test]
async fn a_withdrawing_stake_cannot_be_split() {
    let net = StakedNet::start(10).await;
    request_withdrawal(&net, 0).await.unwrap();
    let staked = genesis_stake(&net, 0).await;
    assert_eq!(abort_of(split(&net, &net.operators[0], staked, 1).await), at("staked_wal", 1));
}

#[tokio::test]
async fn requesting_withdrawal_twice_is_rejected() {
    let net = StakedNet::start(10).await;
    request_withdrawal(&net, 0).await.unwrap();
    assert_eq!(abort_of(request_withdrawal(&net, 0).await), at("staking_inner", 12));
}

#[tokio::test]
async fn withdrawing_before_the_withdrawal_epoch_is_rejected() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    let operator = &net.operators[0];
    let staked = genesis_stake(&net, 0).await;
    let input = net.owned(staked).await;
    net.run_as(operator, |tx| {
        let staked = tx.object(input);
        net.calls.request_withdraw_stake(tx, staked);
    })
    .await
    .unwrap();
    assert_eq!(net.read::<StakedWal>(staked).await.state, StakedWalState::Withdrawing { withdraw_epoch: 2 });
    let input = net.owned(staked).await;
    let result = net
        .run_as(operator, |tx| {
            let staked = tx.object(input);
            let coin = net.calls.withdraw_stake(tx, staked);
            StakedNet::keep(tx, vec![coin], operator.address());
        })
        .await;
    assert_eq!(abort_of(result), at("staking_inner", 9));
}

#[tokio::test]
async fn withdrawal_waits_an_extra_epoch_when_the_node_is_in_the_selected_committee() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    net.devnet.ledger().advance_clock(EPOCH_MS / 2);
    net.run_as(&net.alice, |tx| net.calls.voting_end(tx)).await.unwrap();
    let staked = genesis_stake(&net, 1).await;
    let input = net.owned(staked).await;
    let executed = net
        .run_as(&net.operators[1], |tx| {
            let staked = tx.object(input);
            net.calls.request_withdraw_stake(tx, staked);
        })
        .await
        .unwrap();
    let node = net.node_id(1).await;
    assert_eq!(
        net.events(&executed),
        vec![FloeEvent::WithdrawalRequested(floe_chain::floe::events::WithdrawalRequested {
            epoch: 1,
            node_id: node,
            staked_wal_id: staked,
            principal: 300,
            withdraw_epoch: 3,
        })]
    );
}

/// The `StakedWal` node `i`'s operator received at genesis.
pub async fn genesis_stake(net: &StakedNet, i: usize) -> Address {
    let tag = <StakedWal as floe_chain::floe::MoveType>::struct_tag(&net.packages);
    let owned = net.client.owned_objects(net.operators[i].address(), Some(&tag)).await.unwrap();
    owned[0].object_id()
}
