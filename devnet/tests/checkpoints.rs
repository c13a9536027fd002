//! Checkpoints through floe-chain's client: sealed with each transaction and on a timer,
//! streamed gaplessly from any sequence number, across a devnet restart, and persisted.

mod common;

use std::time::Duration;

use common::{COIN, start};
use floe_chain::{ChainClient, StreamPolicy};
use floe_devnet::Devnet;
use futures::StreamExt;
use sui_sdk_types::{StructTag, TransactionKind};

async fn pay_bob(net: &common::Net, amount: u64) -> floe_chain::Executed {
    let (mut tx, _) = net.builder(&net.alice).await;
    let gas = tx.gas();
    let amount = tx.pure(&amount);
    let coin = tx.split_coins(gas, vec![amount]);
    let bob = tx.pure(&net.bob.address());
    tx.transfer_objects(coin, bob);
    net.run(&net.alice, tx).await.unwrap()
}

#[tokio::test]
async fn stream_from_genesis_delivers_every_checkpoint_once_in_order() {
    let net = start().await;
    let mut digests = Vec::new();
    for amount in 1..=4 {
        digests.push(pay_bob(&net, amount).await);
    }
    let last = digests.last().unwrap().checkpoint;
    let stream = net.client.checkpoints_from(0);
    let checkpoints: Vec<_> = stream.take(last as usize + 3).map(Result::unwrap).collect().await;
    for (i, checkpoint) in checkpoints.iter().enumerate() {
        assert_eq!(checkpoint.sequence_number, i as u64);
        if i > 0 {
            assert_eq!(checkpoint.summary.previous_digest, Some(checkpoints[i - 1].digest));
        }
    }
    // Checkpoint 0 holds the genesis transaction creating the four funded coins, the Clock, and
    // Random with its inner state's field.
    let genesis = &checkpoints[0].transactions[0];
    assert!(matches!(genesis.transaction.kind, TransactionKind::Genesis(_)));
    assert_eq!(genesis.effects.changed_objects.len(), 7);
    for executed in &digests {
        let checkpoint = &checkpoints[executed.checkpoint as usize];
        let tx = checkpoint.transactions.iter().find(|t| t.digest == executed.digest).unwrap();
        assert!(tx.succeeded());
        assert_eq!(tx.sender(), net.alice.address());
    }
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn empty_checkpoints_are_sealed_on_the_timer() {
    let net = start().await;
    let tip = net.client.service_info().await.unwrap().checkpoint_height;
    let stream = net.client.checkpoints_from(tip + 1);
    let next: Vec<_> = tokio::time::timeout(Duration::from_secs(10), stream.take(3).collect::<Vec<_>>())
        .await
        .expect("three timer checkpoints within 10 s");
    for (i, checkpoint) in next.into_iter().enumerate() {
        let checkpoint = checkpoint.unwrap();
        assert_eq!(checkpoint.sequence_number, tip + 1 + i as u64);
        assert!(checkpoint.transactions.is_empty());
    }
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn checkpoint_beyond_the_tip_is_absent() {
    let net = start().await;
    let tip = net.client.service_info().await.unwrap().checkpoint_height;
    assert!(net.client.get_checkpoint(tip).await.unwrap().is_some());
    assert!(net.client.get_checkpoint(tip + 1_000).await.unwrap().is_none());
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn restart_resumes_at_the_same_checkpoint_with_objects_intact() {
    let net = start().await;
    let executed = pay_bob(&net, 42).await;
    let tip = net.client.service_info().await.unwrap().checkpoint_height;
    let chain_id = net.client.service_info().await.unwrap().chain_id;
    let bob_coins = net.client.owned_objects(net.bob.address(), Some(&StructTag::gas_coin())).await.unwrap();
    let common::Net { devnet, alice, bob, dir, .. } = net;
    devnet.shutdown().await;

    let devnet = Devnet::start(common::config(dir.path(), &alice, &bob)).await.unwrap();
    let client = ChainClient::new(&devnet.url()).unwrap();
    let info = client.service_info().await.unwrap();
    assert_eq!(info.chain_id, chain_id);
    assert!(info.checkpoint_height >= tip, "resumed at {} below {tip}", info.checkpoint_height);
    let again = client.owned_objects(bob.address(), Some(&StructTag::gas_coin())).await.unwrap();
    assert_eq!(again, bob_coins);
    assert_eq!(client.balance(bob.address(), &StructTag::sui()).await.unwrap(), COIN + 42);
    let checkpoint = client.get_checkpoint(executed.checkpoint).await.unwrap().unwrap();
    assert!(checkpoint.transactions.iter().any(|t| t.digest == executed.digest));
    devnet.shutdown().await;
}

#[tokio::test]
async fn stream_reconnects_across_a_restart_without_gaps() {
    let net = start().await;
    let addr = net.devnet.addr();
    let policy = StreamPolicy {
        min_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
        max_attempts: Some(100),
    };
    let mut stream = Box::pin(net.client.checkpoints_from_with(0, policy));
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.sequence_number, 0);

    let common::Net { devnet, alice, bob, dir, client, .. } = net;
    devnet.shutdown().await;
    let mut config = common::config(dir.path(), &alice, &bob);
    config.listen = addr;
    let devnet = Devnet::start(config).await.unwrap();
    let restarted = common::Net { devnet, client, alice, bob, dir };
    pay_bob(&restarted, 7).await;

    let mut expected = 1;
    let target = restarted.client.service_info().await.unwrap().checkpoint_height + 2;
    while expected <= target {
        let checkpoint = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("the stream keeps delivering")
            .unwrap()
            .unwrap();
        assert_eq!(checkpoint.sequence_number, expected);
        expected += 1;
    }
    restarted.devnet.shutdown().await;
}
