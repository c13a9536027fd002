//! The WAL treasury (burning, supply) and `init::initialize` by transaction.

use floe_chain::floe::FloeEvent;
use floe_chain::floe::calls::{InitParams, initialize};
use floe_chain::floe::staking::StakingInnerV1;
use floe_chain::floe::system::SystemStateInnerV1;
use floe_chain::floe::wal::ProtectedTreasury;
use floe_devnet::{Field, field_id};
use sui_sdk_types::{Address, Owner, TypeTag};

use super::floe_net::{FloeNet, abort_of, at};

const INITIAL_SUPPLY: u64 = 5_000_000_000 * 1_000_000_000;

#[tokio::test]
async fn burning_reduces_the_total_supply() {
    let net = FloeNet::start().await;
    assert_eq!(net.read::<ProtectedTreasury>(net.genesis.treasury.id).await.cap.total_supply.value, INITIAL_SUPPLY);
    let coin = net.owned(net.wal_coin(0)).await;
    let executed = net
        .run(|tx| {
            let wal = tx.object(coin);
            let amount = tx.pure(&1234u64);
            let burned = tx.split_coins(wal, vec![amount])[0];
            net.wal.burn(tx, burned);
            net.wal.total_supply(tx);
        })
        .await
        .unwrap();
    let treasury: ProtectedTreasury = net.read(net.genesis.treasury.id).await;
    assert_eq!(treasury.cap.total_supply.value, INITIAL_SUPPLY - 1234);
    assert!(executed.created().is_empty(), "the split-off coin was burned within the transaction");
}

#[tokio::test]
async fn publish_mints_the_whole_supply_to_the_publisher() {
    let net = FloeNet::start().await;
    // Genesis hands the supply out as coins: alice's, and the rest to the zero address.
    let total: u64 = net.genesis.wal_coins.iter().map(|(_, coin)| coin.value).sum();
    assert_eq!(total, INITIAL_SUPPLY);
    let wal = floe_chain::floe::wal::wal_type(&net.packages);
    assert_eq!(net.client.balance(net.alice.address(), &wal).await.unwrap(), 2 * super::floe_net::WAL_COIN);
}

fn params(n_shards: u16) -> InitParams {
    InitParams { n_shards, epoch_duration_ms: 60_000, max_epochs_ahead: 20, max_committee_size: 7 }
}

#[tokio::test]
async fn initialize_shares_system_and_staking_at_epoch_zero() {
    let net = FloeNet::start().await;
    let (_, cap) = net.genesis.init_cap.unwrap();
    let cap = net.owned(cap.id).await;
    let executed = net
        .run(|tx| {
            let cap = tx.object(cap);
            initialize(tx, net.packages.floe, cap, &params(12));
        })
        .await
        .unwrap();
    let [FloeEvent::Initialized(initialized)] = &net.events(&executed)[..] else {
        panic!("expected one Initialized event");
    };
    for id in [initialized.system_id, initialized.staking_id] {
        let object = net.client.get_object(id).await.unwrap();
        assert!(matches!(object.owner(), Owner::Shared(_)), "{id} is shared");
    }
    let inner_of = |parent: Address| field_id(parent, &TypeTag::U64, &1u64);
    let system = net.read::<Field<u64, SystemStateInnerV1>>(inner_of(initialized.system_id)).await.value;
    assert_eq!((system.epoch(), system.committee.n_shards, system.max_epochs_ahead), (0, 12, 20));
    assert_eq!(system.future_accounting.length, 21);
    let staking = net.read::<Field<u64, StakingInnerV1>>(inner_of(initialized.staking_id)).await.value;
    assert_eq!((staking.epoch, staking.n_shards, staking.max_committee_size), (0, 12, 7));
    assert!(net.client.get_object(staking.pools.id).await.is_err(), "a table's UID is no object");
}

#[tokio::test]
async fn initialize_rejects_three_shards() {
    let net = FloeNet::start().await;
    let (_, cap) = net.genesis.init_cap.unwrap();
    let cap = net.owned(cap.id).await;
    let result = net
        .run(|tx| {
            let cap = tx.object(cap);
            initialize(tx, net.packages.floe, cap, &params(3));
        })
        .await;
    assert_eq!(abort_of(result), at("init", 0));
}
