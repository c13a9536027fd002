//! Staking end to end: a stake earns exactly its share of its node's rewards (commission taken
//! out) and withdraws at the value `stakes` shows; early withdrawals are refused with the epoch
//! they become possible; an operator collects the commission the chain recorded; a local
//! network's candidates are registered once, unstaked.

use std::time::{Duration, Instant};

use floe_chain::floe::FloeEvent;
use floe_chain::floe::events::RewardsDistributed;
use floe_chain::floe::staked_wal::StakedWalState;
use floe_client::{ChainAccess, ChainError, NoProgress, StakingError, StoreOptions};
use floe_localnet::{Localnet, LocalnetConfig, Ports};
use floe_tests::{SMALL, TestNet, random_bytes};
use sui_sdk_types::Address;

const WAL: u64 = 1_000_000_000;

/// The `RewardsDistributed` of `node_id` for `epoch`, found in the checkpoints after `from`.
async fn rewards_of(net: &TestNet, node_id: Address, epoch: u32, from: u64) -> RewardsDistributed {
    let chain = net.localnet.chain();
    let packages = net.localnet.deployment().packages;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut next = from + 1;
    loop {
        match chain.get_checkpoint(next).await.expect("checkpoints read") {
            Some(checkpoint) => {
                let found = checkpoint.transactions.iter().flat_map(|tx| &tx.events).find_map(|event| {
                    match FloeEvent::from_event(&packages, event) {
                        Ok(FloeEvent::RewardsDistributed(r)) if r.node_id == node_id && r.epoch == epoch => Some(r),
                        _ => None,
                    }
                });
                if let Some(rewards) = found {
                    return rewards;
                }
                next += 1;
            }
            None => {
                assert!(Instant::now() < deadline, "no RewardsDistributed of {node_id} for epoch {epoch}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn access(net: &TestNet, key: floe_chain::Keypair) -> ChainAccess {
    ChainAccess::connect(net.localnet.deployment().clone(), Some(key)).await.expect("the chain answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stake_earns_its_share_of_rewards_and_withdraws_at_its_value() {
    let net = TestNet::start(SMALL).await;
    let user = access(&net, net.localnet.user_key()).await;
    let owner = user.sender().expect("a signer");
    let operator = access(&net, net.localnet.config().node_operator(0)).await;
    let node_id = operator
        .storage_node_cap(operator.sender().unwrap())
        .await
        .expect("caps read")
        .expect("genesis operators hold their node's cap")
        .node_id;
    let start = user.staking().await.unwrap().epoch;
    // Node 0 itself signs with the operator's key (epoch_sync_done): let it finish each time.
    net.wait_for_duties(0).await;

    // The user is no operator.
    match user.collect_commission().await {
        Err(ChainError::Staking(StakingError::NoStorageNodeCap { owner: who })) => assert_eq!(who, owner),
        other => panic!("collecting without a cap: {other:?}"),
    }
    assert!(matches!(user.stake(node_id, 0).await, Err(ChainError::Staking(StakingError::ZeroStake))));
    let nowhere = Address::new([0x42; 32]);
    assert!(matches!(
        user.stake(nowhere, WAL).await,
        Err(ChainError::Staking(StakingError::UnknownNode { node_id })) if node_id == nowhere
    ));

    // 20% commission from two epochs on; a stake of 1,000 WAL from the next epoch.
    let commission_epoch = operator.set_next_commission(2_000).await.expect("commission set");
    assert_eq!(commission_epoch, start + 2);
    let amount = 1_000 * WAL;
    let staked = user.stake(node_id, amount).await.expect("the stake executes");
    let stakes = user.stakes(owner).await.unwrap();
    let mine = stakes.iter().find(|s| s.id == staked).expect("stakes lists the new StakedWal");
    assert_eq!((mine.node_id, mine.principal, mine.value), (node_id, amount, amount));
    assert_eq!(mine.activation_epoch, start + 1);
    assert_eq!(mine.state, StakedWalState::Staked);
    assert_eq!(mine.node_name, "node-0");

    // A second stake, never counted by any committee, comes back whole at once.
    let early = user.stake(node_id, 5 * WAL).await.unwrap();
    assert!(matches!(
        user.request_withdraw(early).await,
        Err(ChainError::Staking(StakingError::WithdrawDirectly { activation_epoch, .. })) if activation_epoch == start + 1
    ));
    assert_eq!(user.withdraw(early).await.unwrap(), 5 * WAL);

    // Until the commission applies, no blob is stored: the pool's rate stays one to one.
    net.advance_epoch().await;
    net.advance_epoch().await;
    let pool = user.pool(node_id).await.unwrap();
    assert_eq!(pool.commission_rate, 2_000);
    assert_eq!(pool.wal_balance, pool.share_amount, "no rewards yet");
    let pool_stake = pool.wal_balance;
    assert_eq!(user.stakes(owner).await.unwrap().iter().find(|s| s.id == staked).unwrap().value, amount);

    // Fees of this epoch's stores are the rewards of the next change.
    let client = net.localnet.client().await.unwrap();
    let options = StoreOptions { epochs: 3, ..StoreOptions::default() };
    for seed in 0..3 {
        client.store(random_bytes(300_000, seed), &options, &NoProgress).await.expect("stored");
    }
    let rewarded = start + 2;
    let (epoch, before) = net.advance_epoch().await;
    assert_eq!(epoch, rewarded + 1);
    let rewards = rewards_of(&net, node_id, rewarded, before).await;
    assert!(rewards.amount > 0, "{rewards:?}");
    assert_eq!(rewards.commission, rewards.amount * 2_000 / 10_000);
    // The stake's part of what the pool kept after commission, to the FROST.
    let reward =
        u64::try_from(u128::from(amount) * u128::from(rewards.amount - rewards.commission) / u128::from(pool_stake))
            .unwrap();
    assert!(reward > 0);
    let value = user.stakes(owner).await.unwrap().iter().find(|s| s.id == staked).unwrap().value;
    assert_eq!(value, amount + reward);

    // The operator collects exactly the commission recorded.
    net.wait_for_duties(0).await;
    assert_eq!(operator.collect_commission().await.unwrap(), rewards.commission);
    assert_eq!(operator.collect_commission().await.unwrap(), 0);

    // Withdrawing: requested now, paid from the next epoch, refused before it.
    let withdraw_epoch = user.request_withdraw(staked).await.expect("requested");
    assert_eq!(withdraw_epoch, epoch + 1);
    match user.withdraw(staked).await {
        Err(ChainError::Staking(StakingError::WithdrawTooEarly { withdraw_epoch: at, epoch: now, .. })) => {
            assert_eq!((at, now), (withdraw_epoch, epoch));
        }
        other => panic!("an early withdrawal: {other:?}"),
    }
    assert!(matches!(
        user.request_withdraw(staked).await,
        Err(ChainError::Staking(StakingError::AlreadyWithdrawing { .. }))
    ));
    net.advance_epoch().await;
    let info = user.stakes(owner).await.unwrap().into_iter().find(|s| s.id == staked).unwrap();
    assert_eq!(info.state, StakedWalState::Withdrawing { withdraw_epoch });
    assert!(info.value >= value, "{info:?}");
    let paid = user.withdraw(staked).await.expect("withdrawn");
    assert_eq!(paid, info.value);
    assert!(user.stakes(owner).await.unwrap().iter().all(|s| s.id != staked));
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn candidates_are_registered_unstaked_and_only_once_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        let mut config = LocalnetConfig::new(dir.path());
        config.ports = Ports::ephemeral();
        (config.n_nodes, config.n_shards, config.candidates) = (SMALL.nodes, SMALL.shards, 1);
        (config.key_servers, config.indexer) = (0, false);
        config
    };
    for start in 0..2 {
        let localnet = Localnet::start(config()).await.expect("the local network starts");
        let chain = ChainAccess::connect(localnet.deployment().clone(), None).await.unwrap();
        let pools = chain.pools().await.unwrap();
        assert_eq!(
            pools.len(),
            SMALL.nodes + 1,
            "start {start}: {:?}",
            pools.iter().map(|p| &p.name).collect::<Vec<_>>()
        );
        let candidate = pools.last().unwrap();
        assert_eq!(candidate.name, "node-4");
        assert_eq!((candidate.wal_balance, candidate.pending_stake.contents.len()), (0, 0));
        assert!(chain.staking().await.unwrap().committee.shards.get(&candidate.id).is_none());
        assert_eq!(localnet.n_nodes(), SMALL.nodes + 1);
        assert!(localnet.node(SMALL.nodes).is_some(), "the candidate runs as a storage node");
        localnet.shutdown().await;
    }
}
