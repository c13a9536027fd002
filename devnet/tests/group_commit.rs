//! Group commit: transactions submitted together are sealed into one checkpoint, each seeing
//! the effects of those before it, and concurrent clients all get their results.

mod common;

use common::{BUDGET, COIN, start};
use floe_chain::{Keypair, select_gas, transaction_for};
use floe_devnet::{ExecuteError, Rejection};
use sui_sdk_types::{Address, Transaction, UserSignature};

async fn transfer(net: &common::Net, from: &Keypair, to: Address, amount: u64) -> (Transaction, Vec<UserSignature>) {
    let gas = select_gas(&net.client, from.address(), BUDGET).await.unwrap();
    let mut tx = transaction_for(from.address(), &gas, 1_000, BUDGET);
    let gas_arg = tx.gas();
    let amount = tx.pure(&amount);
    let coin = tx.split_coins(gas_arg, vec![amount]);
    let to = tx.pure(&to);
    tx.transfer_objects(coin, to);
    let tx = tx.try_build().unwrap();
    let signature = from.sign_transaction(&tx).unwrap();
    (tx, vec![signature])
}

#[tokio::test]
async fn a_batch_is_one_checkpoint_and_later_transactions_see_earlier_effects() {
    let net = start().await;
    let to_bob = transfer(&net, &net.alice, net.bob.address(), 10).await;
    let to_alice = transfer(&net, &net.bob, net.alice.address(), 20).await;
    // Same gas coin as `to_bob`: stale once `to_bob` has executed earlier in the batch.
    let conflicting = transfer(&net, &net.alice, net.bob.address(), 30).await;
    let ledger = net.devnet.ledger().clone();
    let batch = vec![to_bob.clone(), to_alice, to_bob, conflicting];
    let results = tokio::task::spawn_blocking(move || ledger.execute_batch(batch)).await.unwrap();

    let first = results[0].as_ref().unwrap();
    let second = results[1].as_ref().unwrap();
    assert_eq!(first.checkpoint, second.checkpoint, "one checkpoint for the batch");
    assert_eq!((first.index, second.index), (0, 1));
    assert_eq!(results[2].as_ref().unwrap().transaction.digest(), first.transaction.digest());
    assert!(
        matches!(&results[3], Err(ExecuteError::Rejected(Rejection::WrongVersion { .. }))),
        "{:?}",
        results[3].as_ref().err()
    );
    let checkpoint = net.client.get_checkpoint(first.checkpoint).await.unwrap().unwrap();
    assert_eq!(checkpoint.transactions.len(), 2);
    assert_eq!(net.sui(net.bob.address()).await, COIN + 10 - 20 - common::CHARGE);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn concurrent_clients_all_get_their_results() {
    let net = start().await;
    let coins =
        floe_chain::select_coins(&net.client, net.alice.address(), &sui_sdk_types::StructTag::sui(), 3 * COIN, &[])
            .await
            .unwrap();
    // Three independent transactions from Alice, one per coin, submitted at once.
    let mut handles = Vec::new();
    for (i, coin) in coins.into_iter().enumerate() {
        let mut tx = transaction_for(net.alice.address(), &coin, 1_000, BUDGET);
        let gas_arg = tx.gas();
        let amount = tx.pure(&(i as u64 + 1));
        let split = tx.split_coins(gas_arg, vec![amount]);
        let bob = tx.pure(&net.bob.address());
        tx.transfer_objects(split, bob);
        let tx = tx.try_build().unwrap();
        let client = net.client.clone();
        let key = net.alice.clone();
        handles.push(tokio::spawn(async move { client.sign_and_execute(&tx, &key).await }));
    }
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    assert_eq!(net.sui(net.bob.address()).await, COIN + 1 + 2 + 3);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn with_a_finality_delay_every_transaction_waits_it_before_executing() {
    let delay = std::time::Duration::from_millis(250);
    let net = common::start_with(|config| config.finality_delay = delay).await;
    let gas = select_gas(&net.client, net.alice.address(), BUDGET).await.unwrap();
    let mut tx = transaction_for(net.alice.address(), &gas, 1_000, BUDGET);
    let (gas_arg, amount) = (tx.gas(), tx.pure(&5u64));
    let coin = tx.split_coins(gas_arg, vec![amount]);
    let to = tx.pure(&net.bob.address());
    tx.transfer_objects(coin, to);
    let tx = tx.try_build().unwrap();
    let started = std::time::Instant::now();
    net.client.sign_and_execute(&tx, &net.alice).await.unwrap();
    assert!(started.elapsed() >= delay, "executed after {:?}, before the {delay:?} delay", started.elapsed());
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn with_an_rpc_delay_every_answer_is_held_that_long_and_still_right() {
    let delay = std::time::Duration::from_millis(250);
    let net = common::start_with(|config| config.rpc_delay = delay).await;
    let started = std::time::Instant::now();
    let gas = select_gas(&net.client, net.alice.address(), BUDGET).await.unwrap();
    assert!(started.elapsed() >= delay, "answered after {:?}, before the {delay:?} delay", started.elapsed());
    assert!(gas.balance >= BUDGET, "alice's largest coin is found as without the delay: {}", gas.balance);
    net.devnet.shutdown().await;
}
