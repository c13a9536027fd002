//! Bad requests get gRPC errors that say what was wrong, and change nothing.

mod common;

use common::start;
use sui_rpc::proto::sui::rpc::v2 as proto;

#[tokio::test]
async fn malformed_transaction_bytes_are_invalid_argument() {
    let net = start().await;
    let mut bcs = proto::Bcs::default();
    bcs.name = Some("TransactionData".into());
    bcs.value = Some(vec![1, 2, 3].into());
    let mut transaction = proto::Transaction::default();
    transaction.bcs = Some(bcs);
    let request = proto::ExecuteTransactionRequest::default().with_transaction(transaction);
    let status = net.client.rpc().execution_client().execute_transaction(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("transaction"), "{}", status.message());
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn unsigned_transaction_is_refused() {
    let net = start().await;
    let (mut tx, _) = net.builder(&net.alice).await;
    let gas = tx.gas();
    let bob = tx.pure(&net.bob.address());
    tx.transfer_objects(vec![gas], bob);
    let tx = tx.try_build().unwrap();
    let err = net.client.execute(&tx, vec![]).await.unwrap_err();
    assert_eq!(err.code(), Some(tonic::Code::InvalidArgument), "{err}");
    assert!(err.to_string().contains("exactly one signature"), "{err}");
    assert_eq!(net.sui(net.bob.address()).await, common::COIN);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn unknown_transaction_and_bad_digest_are_told_apart() {
    let net = start().await;
    let mut ledger = net.client.rpc().ledger_client();
    let unknown = sui_sdk_types::Digest::new([7; 32]);
    let status = ledger.get_transaction(proto::GetTransactionRequest::new(&unknown)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    assert!(status.message().contains(&unknown.to_string()), "{}", status.message());
    let mut bad = proto::GetTransactionRequest::default();
    bad.digest = Some("not-base58-0OIl".into());
    let status = ledger.get_transaction(bad).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn bad_owner_and_type_filter_are_invalid_argument() {
    let net = start().await;
    let mut state = net.client.rpc().state_client();
    let request = proto::ListOwnedObjectsRequest::default().with_owner("0xnothex");
    let status = state.list_owned_objects(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("owner"), "{}", status.message());
    let mut request = proto::ListOwnedObjectsRequest::default().with_owner(net.alice.address().to_string());
    request.object_type = Some("not a type".into());
    let status = state.list_owned_objects(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("object_type"), "{}", status.message());
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn epoch_and_checkpoint_queries_report_the_chain_state() {
    let net = start().await;
    let mut ledger = net.client.rpc().ledger_client();
    let mut request = proto::GetEpochRequest::latest();
    // Without a mask GetEpoch answers only `epoch`, as Sui documents.
    request.read_mask = Some(prost_types::FieldMask { paths: vec!["epoch".into(), "reference_gas_price".into()] });
    let epoch = ledger.get_epoch(request).await.unwrap().into_inner().epoch.unwrap();
    assert_eq!(epoch.epoch, Some(0));
    assert_eq!(epoch.reference_gas_price, Some(1_000));
    let mut future = proto::GetEpochRequest::default();
    future.epoch = Some(5);
    assert_eq!(ledger.get_epoch(future).await.unwrap_err().code(), tonic::Code::NotFound);
    let latest = ledger.get_checkpoint(proto::GetCheckpointRequest::latest()).await.unwrap().into_inner();
    let latest = latest.checkpoint.unwrap();
    let by_digest = ledger
        .get_checkpoint(proto::GetCheckpointRequest::by_digest(&latest.digest.clone().unwrap().parse().unwrap()))
        .await
        .unwrap()
        .into_inner()
        .checkpoint
        .unwrap();
    assert_eq!(by_digest.sequence_number, latest.sequence_number);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn system_transactions_cannot_be_submitted() {
    let net = start().await;
    let genesis = sui_sdk_types::Transaction {
        kind: sui_sdk_types::TransactionKind::Genesis(sui_sdk_types::GenesisTransaction { objects: vec![] }),
        sender: net.alice.address(),
        gas_payment: sui_sdk_types::GasPayment { objects: vec![], owner: net.alice.address(), price: 1_000, budget: 1 },
        expiration: sui_sdk_types::TransactionExpiration::None,
    };
    let err = net.client.sign_and_execute(&genesis, &net.alice).await.unwrap_err();
    assert_eq!(err.code(), Some(tonic::Code::InvalidArgument), "{err}");
    assert!(err.to_string().contains("only programmable transactions"), "{err}");
    assert!(err.to_string().contains("genesis"), "{err}");
    net.devnet.shutdown().await;
}
