//! The epoch-change state machine: sync reports and their quorum, the timing of `voting_end`
//! and `initiate_epoch_change`, on-demand and timed epoch changes run by the devnet.

use std::time::{Duration, Instant};

use floe_chain::floe::FloeEvent;
use floe_chain::floe::events::{EpochChangeDone, EpochChangeStart};
use floe_chain::floe::staking::{EpochState, StorageNodeCap};
use floe_devnet::{EpochAdvanceError, EpochSchedule};
use sui_sdk_types::TransactionKind;

use super::net::{EPOCH_MS, StakedNet, abort_of, at};

#[tokio::test]
async fn sync_reports_finish_the_change_once_a_quorum_of_shards_reported() {
    let net = StakedNet::start(10).await;
    assert_eq!(net.staking().await.epoch_state, EpochState::EpochChangeSync(0));
    // Nodes 0 and 1 hold 3 shards each: 6 of 10 is not a quorum; node 2's 2 more make 8.
    net.sync(0, 1).await.unwrap();
    net.sync(1, 1).await.unwrap();
    assert_eq!(net.staking().await.epoch_state, EpochState::EpochChangeSync(6));
    let executed = net.sync(2, 1).await.unwrap();
    assert!(matches!(net.staking().await.epoch_state, EpochState::EpochChangeDone(_)));
    let events = net.events(&executed);
    assert!(matches!(&events[0], FloeEvent::ShardsReceived(r) if r.shards.len() == 2 && r.epoch == 1));
    assert_eq!(events[1], FloeEvent::EpochChangeDone(EpochChangeDone { epoch: 1 }));
    // A late report is still recorded.
    net.sync(3, 1).await.unwrap();
    let cap: StorageNodeCap = net.read(net.cap(3).await).await;
    assert_eq!(cap.last_epoch_sync_done, 1);
}

#[tokio::test]
async fn a_sync_report_for_another_epoch_is_rejected() {
    let net = StakedNet::start(10).await;
    assert_eq!(abort_of(net.sync(0, 2).await), at("staking_inner", 6));
}

#[tokio::test]
async fn a_second_sync_report_is_rejected() {
    let net = StakedNet::start(10).await;
    net.sync(0, 1).await.unwrap();
    assert_eq!(abort_of(net.sync(0, 1).await), at("staking_inner", 7));
}

#[tokio::test]
async fn a_sync_report_from_outside_the_committee_is_rejected() {
    let net = StakedNet::start(3).await;
    assert_eq!(abort_of(net.sync(3, 1).await), at("staking_inner", 8));
}

#[tokio::test]
async fn voting_end_before_the_sync_quorum_is_rejected() {
    let net = StakedNet::start(10).await;
    net.devnet.ledger().advance_clock(EPOCH_MS / 2);
    let result = net.run_as(&net.alice, |tx| net.calls.voting_end(tx)).await;
    assert_eq!(abort_of(result), at("staking_inner", 0));
    // The devnet's own change waits for the reports too.
    match net.devnet.advance_epoch().await {
        Err(EpochAdvanceError::WaitingForSync { epoch: 1, synced: 0, n_shards: 10 }) => {}
        other => panic!("expected to wait for sync reports, got {other:?}"),
    }
}

#[tokio::test]
async fn voting_end_before_half_the_epoch_is_rejected() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    let result = net.run_as(&net.alice, |tx| net.calls.voting_end(tx)).await;
    assert_eq!(abort_of(result), at("staking_inner", 1));
}

#[tokio::test]
async fn an_epoch_change_before_voting_end_is_rejected() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    net.devnet.ledger().advance_clock(EPOCH_MS);
    let result = net.run_as(&net.alice, |tx| net.calls.initiate_epoch_change(tx)).await;
    assert_eq!(abort_of(result), at("staking_inner", 0));
}

#[tokio::test]
async fn an_epoch_change_before_the_epoch_ends_is_rejected() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    net.devnet.ledger().advance_clock(EPOCH_MS / 2);
    net.run_as(&net.alice, |tx| net.calls.voting_end(tx)).await.unwrap();
    let result = net.run_as(&net.alice, |tx| net.calls.initiate_epoch_change(tx)).await;
    assert_eq!(abort_of(result), at("staking_inner", 1));
    // Once its time has come, anyone may start the next epoch.
    net.devnet.ledger().advance_clock(EPOCH_MS / 2);
    let executed = net.run_as(&net.alice, |tx| net.calls.initiate_epoch_change(tx)).await.unwrap();
    assert!(net.events(&executed).contains(&FloeEvent::EpochChangeStart(EpochChangeStart { epoch: 2 })));
    assert_eq!(net.staking().await.epoch, 2);
    assert_eq!(net.system().await.committee.epoch, 2);
}

#[tokio::test]
async fn the_devnet_changes_epochs_on_demand_and_reports_them_in_get_epoch() {
    let net = StakedNet::start(10).await;
    assert_eq!(net.client.service_info().await.unwrap().epoch, 1);
    assert_eq!(net.change_epoch().await, 2);
    assert_eq!(net.change_epoch().await, 3);
    assert_eq!(net.staking().await.epoch, 3);
    assert_eq!(net.system().await.committee.epoch, 3);
    assert_eq!(net.client.service_info().await.unwrap().epoch, 3);
    // GetEpoch names the epoch's first checkpoint: the one after the checkpoint that ended 2.
    let mut request = sui_rpc::proto::sui::rpc::v2::GetEpochRequest::default();
    request.read_mask = Some(prost_types::FieldMask { paths: vec!["epoch".into(), "first_checkpoint".into()] });
    let response = net.client.rpc().ledger_client().get_epoch(request).await.unwrap().into_inner();
    let epoch = response.epoch.unwrap();
    assert_eq!(epoch.epoch, Some(3));
    let first = epoch.first_checkpoint.unwrap();
    let ledger = net.devnet.ledger();
    assert!(ledger.checkpoint(first - 1).unwrap().0.summary.end_of_epoch_data.is_some());
    assert_eq!(ledger.checkpoint(first).unwrap().0.summary.epoch, 3);
}

#[tokio::test]
async fn the_devnet_changes_epochs_on_its_own_when_their_time_has_come() {
    let schedule = EpochSchedule { auto_advance: true, complete_sync: true, poll: Duration::from_millis(20) };
    let net = StakedNet::start_in(tempfile::tempdir().unwrap(), 10, schedule, 1_500).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while net.staking().await.epoch < 3 {
        assert!(Instant::now() < deadline, "epoch 3 not reached in 30 s: {:?}", net.staking().await.epoch_state);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The change to epoch 2 is a system transaction in a checkpoint that ends Sui's epoch 1.
    let ledger = net.devnet.ledger();
    let mut found = false;
    for sequence in 0..=ledger.tip() {
        let (checkpoint, transactions) = ledger.checkpoint(sequence).unwrap();
        for record in transactions {
            let starts_2 = record.events.0.iter().any(|e| {
                FloeEvent::from_event(&net.packages, e).ok()
                    == Some(FloeEvent::EpochChangeStart(EpochChangeStart { epoch: 2 }))
            });
            if starts_2 {
                assert!(matches!(record.transaction.kind, TransactionKind::ProgrammableSystemTransaction(_)));
                assert_eq!(checkpoint.summary.epoch, 1);
                assert!(checkpoint.summary.end_of_epoch_data.is_some());
                found = true;
            }
        }
    }
    assert!(found, "no checkpoint holds the change to epoch 2");
    assert!(net.client.service_info().await.unwrap().epoch >= 3);
}
