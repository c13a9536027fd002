//! Executing real signed transactions through floe-chain's client and its executor: built-in
//! commands, framework Move calls, gas, aborts with rollback, and the gRPC errors for refused
//! transactions.

mod common;

use common::{BUDGET, CHARGE, COIN, start};
use floe_chain::{ClientError, ExecuteError, Executor, PaymentError, gas_budget};
use sui_sdk_types::{Address, Identifier, StructTag, TypeTag};
use sui_transaction_builder::{Function, ObjectInput};

fn sui_type() -> TypeTag {
    TypeTag::Struct(Box::new(StructTag::sui()))
}

fn framework(module: &'static str, function: &'static str) -> Function {
    Function::new(Address::TWO, Identifier::from_static(module), Identifier::from_static(function))
        .with_type_args(vec![sui_type()])
}

#[tokio::test]
async fn genesis_funds_accounts_with_sui_coins() {
    let net = start().await;
    assert_eq!(net.sui(net.alice.address()).await, 3 * COIN);
    assert_eq!(net.sui(net.bob.address()).await, COIN);
    let coins = net.client.owned_objects(net.alice.address(), Some(&StructTag::gas_coin())).await.unwrap();
    assert_eq!(coins.len(), 3);
    assert!(coins.iter().all(|c| c.version() == 1));
    let info = net.client.service_info().await.unwrap();
    assert_eq!(info.chain, "floe-test");
    assert_eq!(info.chain_id, net.devnet.deployment().chain_id);
    assert_eq!(net.client.reference_gas_price().await.unwrap(), 1_000);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn split_and_transfer_pays_the_recipient_and_charges_fixed_gas() {
    let net = start().await;
    let (mut tx, gas) = net.builder(&net.alice).await;
    let amount = tx.pure(&1_234_567u64);
    let gas_arg = tx.gas();
    let coin = tx.split_coins(gas_arg, vec![amount]);
    let bob = tx.pure(&net.bob.address());
    tx.transfer_objects(coin, bob);
    let executed = net.run(&net.alice, tx).await.unwrap();

    assert!(executed.checkpoint > 0);
    assert_eq!(net.sui(net.bob.address()).await, COIN + 1_234_567);
    assert_eq!(net.sui(net.alice.address()).await, 3 * COIN - 1_234_567 - CHARGE);
    let created = executed.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].owner, sui_sdk_types::Owner::Address(net.bob.address()));
    // The gas coin moved to the transaction's lamport version, one above its input version.
    let new_gas = executed.reference_of(gas.reference.object_id()).unwrap();
    assert_eq!(new_gas.version(), gas.reference.version() + 1);
    let object = net.client.get_object(*gas.reference.object_id()).await.unwrap();
    assert_eq!(object.version(), new_gas.version());
    assert_eq!(object.digest(), *new_gas.digest());
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn merge_coins_joins_balances_and_deletes_the_sources() {
    let net = start().await;
    let coins =
        floe_chain::select_coins(&net.client, net.alice.address(), &StructTag::sui(), 3 * COIN, &[]).await.unwrap();
    assert_eq!(coins.len(), 3);
    let gas = coins[0].clone();
    let mut tx = floe_chain::transaction_for(net.alice.address(), &gas, 1_000, BUDGET);
    let others: Vec<_> = coins[1..]
        .iter()
        .map(|c| tx.object(ObjectInput::owned(*c.reference.object_id(), c.reference.version(), *c.reference.digest())))
        .collect();
    let gas_arg = tx.gas();
    tx.merge_coins(gas_arg, others);
    let executed = net.run(&net.alice, tx).await.unwrap();
    assert_eq!(executed.deleted().len(), 2);
    let remaining = net.client.owned_objects(net.alice.address(), Some(&StructTag::gas_coin())).await.unwrap();
    assert_eq!(remaining.len(), 1);
    assert_eq!(net.sui(net.alice.address()).await, 3 * COIN - CHARGE);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn framework_calls_split_join_and_public_transfer() {
    let net = start().await;
    let (mut tx, _) = net.builder(&net.alice).await;
    let gas_arg = tx.gas();
    let amount = tx.pure(&500u64);
    let coin = tx.move_call(framework("coin", "split"), vec![gas_arg, amount]);
    let recipient = tx.pure(&net.bob.address());
    let coin_type = TypeTag::Struct(Box::new(StructTag::gas_coin()));
    let public_transfer =
        Function::new(Address::TWO, Identifier::from_static("transfer"), Identifier::from_static("public_transfer"))
            .with_type_args(vec![coin_type]);
    tx.move_call(public_transfer, vec![coin, recipient]);
    let gas_arg = tx.gas();
    let amount = tx.pure(&700u64);
    tx.move_call(framework("pay", "split_and_transfer"), vec![gas_arg, amount, recipient]);
    net.run(&net.alice, tx).await.unwrap();
    assert_eq!(net.sui(net.bob.address()).await, COIN + 1_200);
    let bob_coins = net.client.owned_objects(net.bob.address(), Some(&StructTag::gas_coin())).await.unwrap();
    assert_eq!(bob_coins.len(), 3);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn public_transfer_with_a_mismatched_type_argument_fails() {
    let net = start().await;
    let (mut tx, _) = net.builder(&net.alice).await;
    let gas_arg = tx.gas();
    let amount = tx.pure(&500u64);
    let coin = tx.move_call(framework("coin", "split"), vec![gas_arg, amount]);
    let recipient = tx.pure(&net.bob.address());
    // The type argument must be the object's type, Coin<SUI>, not SUI.
    tx.move_call(framework("transfer", "public_transfer"), vec![coin, recipient]);
    let err = net.run(&net.alice, tx).await.unwrap_err();
    let ClientError::ExecutionFailed(failure) = &err else { panic!("expected an execution failure, got {err}") };
    assert_eq!(failure.command, Some(1));
    assert!(matches!(failure.error, sui_sdk_types::ExecutionError::CommandArgumentError { argument: 0, .. }));
    assert_eq!(net.sui(net.bob.address()).await, COIN);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn move_abort_rolls_back_everything_but_gas_and_reports_code_and_location() {
    let net = start().await;
    let before = net.sui(net.alice.address()).await;
    let (mut tx, gas) = net.builder(&net.alice).await;
    // A first command that would pay Bob, then a split larger than the coin: all rolled back.
    let gas_arg = tx.gas();
    let small = tx.pure(&5u64);
    let paid = tx.split_coins(gas_arg, vec![small]);
    let bob = tx.pure(&net.bob.address());
    tx.transfer_objects(paid, bob);
    let gas_arg = tx.gas();
    let huge = tx.pure(&(100 * COIN));
    let coin = tx.move_call(framework("coin", "split"), vec![gas_arg, huge]);
    tx.transfer_objects(vec![coin], bob);
    let err = net.run(&net.alice, tx).await.unwrap_err();
    let abort = err.move_abort().unwrap_or_else(|| panic!("expected a Move abort, got {err}"));
    assert_eq!(abort.code, floe_devnet::E_NOT_ENOUGH);
    assert_eq!(abort.module, "balance");
    assert_eq!(abort.package, Address::TWO);
    assert_eq!(abort.function.as_deref(), Some("split"));
    let ClientError::ExecutionFailed(failure) = &err else { unreachable!() };
    assert_eq!(failure.command, Some(2));
    let charged_gas =
        failure.reference_of(gas.reference.object_id()).expect("the failure carries the new gas reference");

    assert_eq!(net.sui(net.bob.address()).await, COIN, "the first transfer must be rolled back");
    assert_eq!(net.sui(net.alice.address()).await, before - CHARGE, "gas is still charged");
    let gas_now = net.client.get_object(*gas.reference.object_id()).await.unwrap();
    assert_eq!(gas_now.version(), gas.reference.version() + 1);
    assert_eq!((gas_now.version(), gas_now.digest()), (charged_gas.version(), *charged_gas.digest()));
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn split_coin_left_unused_fails_the_transaction() {
    let net = start().await;
    let (mut tx, _) = net.builder(&net.alice).await;
    let gas_arg = tx.gas();
    let amount = tx.pure(&5u64);
    tx.split_coins(gas_arg, vec![amount]);
    let err = net.run(&net.alice, tx).await.unwrap_err();
    let ClientError::ExecutionFailed(failure) = &err else { panic!("expected an execution failure, got {err}") };
    assert!(
        matches!(failure.error, sui_sdk_types::ExecutionError::UnusedValueWithoutDrop { result: 0, subresult: 0 }),
        "{:?}",
        failure.error
    );
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn stale_object_version_is_refused_and_nothing_changes() {
    let net = start().await;
    let (mut tx, gas) = net.builder(&net.alice).await;
    let gas_arg = tx.gas();
    let amount = tx.pure(&1u64);
    let coin = tx.split_coins(gas_arg, vec![amount]);
    let me = tx.pure(&net.alice.address());
    tx.transfer_objects(coin, me);
    net.run(&net.alice, tx).await.unwrap();
    let balance = net.sui(net.alice.address()).await;
    let transactions = net.devnet.ledger().transaction_count();

    // Reuse the old gas reference.
    let mut stale = floe_chain::transaction_for(net.alice.address(), &gas, 1_000, BUDGET);
    let gas_arg = stale.gas();
    let amount = stale.pure(&2u64);
    let coin = stale.split_coins(gas_arg, vec![amount]);
    let me = stale.pure(&net.alice.address());
    stale.transfer_objects(coin, me);
    let err = net.run(&net.alice, stale).await.unwrap_err();
    assert_eq!(err.code(), Some(tonic::Code::FailedPrecondition), "{err}");
    assert!(err.to_string().contains("version"), "{err}");
    assert_eq!(net.sui(net.alice.address()).await, balance, "no gas charged for a refused transaction");
    assert_eq!(net.devnet.ledger().transaction_count(), transactions);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn signature_by_someone_else_is_refused() {
    let net = start().await;
    let (mut tx, _) = net.builder(&net.alice).await;
    let gas_arg = tx.gas();
    let bob = tx.pure(&net.bob.address());
    tx.transfer_objects(vec![gas_arg], bob);
    let tx = tx.try_build().unwrap();
    let err = net.client.sign_and_execute(&tx, &net.bob).await.unwrap_err();
    assert_eq!(err.code(), Some(tonic::Code::InvalidArgument), "{err}");
    assert!(err.to_string().contains("signed by"), "{err}");
    assert_eq!(net.sui(net.bob.address()).await, COIN);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn unknown_function_is_refused_with_its_name() {
    let net = start().await;
    let (mut tx, _) = net.builder(&net.alice).await;
    let gas_arg = tx.gas();
    tx.move_call(framework("coin", "mint_for_free"), vec![gas_arg]);
    let err = net.run(&net.alice, tx).await.unwrap_err();
    assert_eq!(err.code(), Some(tonic::Code::InvalidArgument), "{err}");
    assert!(err.to_string().contains("coin::mint_for_free"), "{err}");
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn another_accounts_coin_cannot_be_spent() {
    let net = start().await;
    let bob_coin = floe_chain::select_gas(&net.client, net.bob.address(), 1).await.unwrap();
    let (mut tx, _) = net.builder(&net.alice).await;
    let stolen = tx.object(ObjectInput::owned(
        *bob_coin.reference.object_id(),
        bob_coin.reference.version(),
        *bob_coin.reference.digest(),
    ));
    let me = tx.pure(&net.alice.address());
    tx.transfer_objects(vec![stolen], me);
    let err = net.run(&net.alice, tx).await.unwrap_err();
    assert_eq!(err.code(), Some(tonic::Code::InvalidArgument), "{err}");
    assert!(err.to_string().contains("not the sender"), "{err}");
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn resubmitting_an_executed_transaction_returns_the_same_result() {
    let net = start().await;
    let (mut tx, _) = net.builder(&net.alice).await;
    let gas_arg = tx.gas();
    let amount = tx.pure(&9u64);
    let coin = tx.split_coins(gas_arg, vec![amount]);
    let bob = tx.pure(&net.bob.address());
    tx.transfer_objects(coin, bob);
    let tx = tx.try_build().unwrap();
    let first = net.client.sign_and_execute(&tx, &net.alice).await.unwrap();
    let second = net.client.sign_and_execute(&tx, &net.alice).await.unwrap();
    assert_eq!(first.digest, second.digest);
    assert_eq!(first.checkpoint, second.checkpoint);
    assert_eq!(net.sui(net.bob.address()).await, COIN + 9);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn payment_merges_coins_and_splits_the_exact_amount() {
    let net = start().await;
    let (mut tx, gas) = net.builder(&net.alice).await;
    let amount = COIN + COIN / 2;
    // Gas is set aside, so the payment needs both remaining coins.
    let coins = floe_chain::select_coins(
        &net.client,
        net.alice.address(),
        &StructTag::sui(),
        amount,
        &[*gas.reference.object_id()],
    )
    .await
    .unwrap();
    assert_eq!(coins.len(), 2);
    assert!(coins.iter().all(|c| c.reference.object_id() != gas.reference.object_id()));
    let payment = floe_chain::split_payment(&mut tx, &coins, amount);
    let bob = tx.pure(&net.bob.address());
    tx.transfer_objects(vec![payment], bob);
    net.run(&net.alice, tx).await.unwrap();
    assert_eq!(net.sui(net.bob.address()).await, COIN + amount);
    assert_eq!(net.sui(net.alice.address()).await, 3 * COIN - amount - CHARGE);

    let err =
        floe_chain::select_coins(&net.client, net.bob.address(), &StructTag::sui(), 100 * COIN, &[]).await.unwrap_err();
    assert!(
        matches!(err, floe_chain::PaymentError::InsufficientBalance { needed, available, .. } if needed == 100 * COIN && available == COIN + amount),
        "{err}"
    );
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn past_object_versions_stay_readable() {
    use sui_rpc::proto::sui::rpc::v2 as proto;
    let net = start().await;
    let (mut tx, gas) = net.builder(&net.alice).await;
    let gas_arg = tx.gas();
    let amount = tx.pure(&77u64);
    let coin = tx.split_coins(gas_arg, vec![amount]);
    let bob = tx.pure(&net.bob.address());
    tx.transfer_objects(coin, bob);
    net.run(&net.alice, tx).await.unwrap();

    let mut ledger = net.client.rpc().ledger_client();
    let mut request = proto::GetObjectRequest::new(gas.reference.object_id());
    request.version = Some(gas.reference.version());
    request.read_mask =
        Some(prost_types::FieldMask { paths: vec!["version".into(), "digest".into(), "balance".into()] });
    let old = ledger.get_object(request).await.unwrap().into_inner().object.unwrap();
    assert_eq!(old.version, Some(gas.reference.version()));
    assert_eq!(old.digest, Some(gas.reference.digest().to_string()));
    assert_eq!(old.balance, Some(gas.balance));

    let mut missing = proto::GetObjectRequest::new(gas.reference.object_id());
    missing.version = Some(999);
    let status = ledger.get_object(missing).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    assert!(status.message().contains("version 999"), "{}", status.message());
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn the_executor_pays_from_the_largest_coin_at_the_reference_price_and_waits_for_the_checkpoint() {
    let net = start().await;
    let executor = Executor::new(net.client.clone(), net.alice.clone());
    let bob = net.bob.address();
    let executed = executor
        .run(gas_budget::CALL, |tx| {
            let gas = tx.gas();
            let amount = tx.pure(&4_321u64);
            let coin = tx.split_coins(gas, vec![amount]);
            let bob = tx.pure(&bob);
            tx.transfer_objects(coin, bob);
        })
        .await
        .unwrap();
    assert!(executed.checkpoint > 0, "answered before its checkpoint");
    assert_eq!(net.sui(bob).await, COIN + 4_321);
    assert_eq!(net.sui(net.alice.address()).await, 3 * COIN - 4_321 - CHARGE);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn the_executor_refuses_before_sending_when_no_coin_holds_the_budget_and_what_the_call_spends() {
    let net = start().await;
    let executor = Executor::new(net.client.clone(), net.bob.clone());
    let mut built = false;
    // Bob's one coin holds COIN; the budget on top of COIN spent out of it does not fit.
    let err = executor.run_with_gas_spent(gas_budget::CALL, COIN, |_| built = true).await.unwrap_err();
    let ExecuteError::Gas(PaymentError::InsufficientBalance { needed, available, .. }) = &err else {
        panic!("expected a short gas coin, got {err}")
    };
    assert_eq!((*needed, *available), (COIN + gas_budget::CALL, COIN));
    assert!(!built, "nothing is built without a gas coin");
    assert!(err.is_transient(), "more SUI can arrive: {err}");
    assert_eq!(net.sui(net.bob.address()).await, COIN, "nothing was charged");
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn the_executor_reports_a_move_abort_as_a_failure_that_charged_gas_and_will_not_pass_again() {
    let net = start().await;
    let executor = Executor::new(net.client.clone(), net.alice.clone());
    let err = executor
        .run(gas_budget::CALL, |tx| {
            let gas = tx.gas();
            let huge = tx.pure(&(100 * COIN));
            let coin = tx.move_call(framework("coin", "split"), vec![gas, huge]);
            let alice = tx.pure(&net.alice.address());
            tx.transfer_objects(vec![coin], alice);
        })
        .await
        .unwrap_err();
    let abort = err.move_abort().unwrap_or_else(|| panic!("expected a Move abort, got {err}"));
    assert_eq!((abort.code, abort.module.as_str()), (floe_devnet::E_NOT_ENOUGH, "balance"));
    assert!(err.execution_failure().is_some_and(|failure| failure.command == Some(0)), "{err}");
    assert!(!err.is_transient(), "an abort fails the same way again: {err}");
    assert_eq!(net.sui(net.alice.address()).await, 3 * COIN - CHARGE, "gas is charged");
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn the_executor_refuses_an_incomplete_transaction_before_sending_it() {
    let net = start().await;
    let executor = Executor::new(net.client.clone(), net.alice.clone());
    // No sender, gas, price or budget: the builder cannot make a transaction of it.
    let err = executor.execute(sui_transaction_builder::TransactionBuilder::new()).await.unwrap_err();
    assert!(matches!(err, ExecuteError::Build(_)), "{err}");
    assert!(!err.is_transient());
    assert_eq!(net.sui(net.alice.address()).await, 3 * COIN);
    net.devnet.shutdown().await;
}
