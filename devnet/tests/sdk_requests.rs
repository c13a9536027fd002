//! The requests Mysten's SDKs send, answered as a Sui full node answers them: simulation of a
//! transaction left incomplete (object inputs by id, no gas, no kind tag) with gas selection and
//! a response-level read mask, then the completed transaction signed and executed; the epoch's
//! system state and protocol config; balances per coin type; coin metadata; balance changes and
//! object types next to effects; dynamic fields.

mod common;

use common::{COIN, start};
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::{Address, StructTag, Transaction};

fn mask(paths: &[&str]) -> prost_types::FieldMask {
    prost_types::FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() }
}

fn argument(input: u32) -> proto::Argument {
    let mut argument = proto::Argument::default();
    argument.set_kind(proto::argument::ArgumentKind::Input);
    argument.input = Some(input);
    argument
}

/// What `@mysten/sui`'s `transactionDataToGrpcTransaction` sends for "transfer `object` to
/// `recipient`": the object by id only, no gas objects, price or budget, no `kind` tag.
fn sdk_transfer(sender: Address, object: Address, recipient: Address) -> proto::Transaction {
    let mut by_id = proto::Input::default();
    by_id.object_id = Some(object.to_string());
    let mut pure = proto::Input::default();
    pure.set_kind(proto::input::InputKind::Pure);
    pure.pure = Some(bcs::to_bytes(&recipient).unwrap().into());
    let mut transfer = proto::TransferObjects::default();
    transfer.objects = vec![argument(0)];
    transfer.address = Some(argument(1));
    let mut command = proto::Command::default();
    command.command = Some(proto::command::Command::TransferObjects(transfer));
    let mut ptb = proto::ProgrammableTransaction::default();
    ptb.inputs = vec![by_id, pure];
    ptb.commands = vec![command];
    let mut kind = proto::TransactionKind::default();
    kind.data = Some(proto::transaction_kind::Data::ProgrammableTransaction(ptb));
    let mut gas = proto::GasPayment::default();
    gas.owner = Some(sender.to_string());
    let mut transaction = proto::Transaction::default();
    transaction.version = Some(1);
    transaction.kind = Some(kind);
    transaction.sender = Some(sender.to_string());
    transaction.gas_payment = Some(gas);
    transaction
}

#[tokio::test]
async fn an_sdk_prepared_transfer_is_completed_signed_and_executed() {
    let net = start().await;
    let alice = net.alice.address();
    let coins = net.client.owned_objects(alice, None).await.unwrap();
    let moved = coins[0].object_id();
    let mut request = proto::SimulateTransactionRequest::default();
    request.transaction = Some(sdk_transfer(alice, moved, net.bob.address()));
    request.do_gas_selection = Some(true);
    // The mask the SDK's transaction resolution sends.
    request.read_mask = Some(mask(&[
        "transaction.transaction.sender",
        "transaction.transaction.gas_payment",
        "transaction.transaction.expiration",
        "transaction.transaction.kind",
        "transaction.effects.status",
        "transaction.effects.epoch",
    ]));
    let response = net.client.rpc().execution_client().simulate_transaction(request).await.unwrap().into_inner();
    let executed = response.transaction.unwrap();
    assert_eq!(executed.effects.as_ref().unwrap().status.as_ref().unwrap().success, Some(true));
    assert!(executed.effects.as_ref().unwrap().bcs.is_none(), "only the masked fields");
    let mut completed = executed.transaction.unwrap();
    assert!(completed.bcs.is_none());
    // The SDK rebuilds the transaction from these fields; `version` was not asked for.
    completed.version = Some(1);
    let transaction = Transaction::try_from(&completed).unwrap();
    let sui_sdk_types::TransactionKind::ProgrammableTransaction(ptb) = &transaction.kind else { panic!() };
    let sui_sdk_types::Input::ImmutableOrOwned(reference) = &ptb.inputs[0] else { panic!("{:?}", ptb.inputs[0]) };
    assert_eq!((*reference.object_id(), reference.version()), (moved, coins[0].version()));
    let gas = &transaction.gas_payment;
    assert_eq!((gas.owner, gas.price, gas.budget), (alice, 1_000, common::CHARGE));
    assert_eq!(gas.objects.len(), 1, "one coin covers the budget");
    assert_ne!(*gas.objects[0].object_id(), moved, "the transferred coin is not gas");

    let executed = net.client.sign_and_execute(&transaction, &net.alice).await.unwrap();
    assert_eq!(net.sui(net.bob.address()).await, 2 * COIN);
    assert_eq!(net.sui(alice).await, 2 * COIN - common::CHARGE);

    // Balance changes and object types next to the effects.
    let mut request = proto::GetTransactionRequest::default();
    request.digest = Some(executed.digest.to_string());
    request.read_mask =
        Some(mask(&["balance_changes", "effects.changed_objects.object_type", "effects.changed_objects.object_id"]));
    let answer = net.client.rpc().ledger_client().get_transaction(request).await.unwrap().into_inner();
    let answer = answer.transaction.unwrap();
    let changes: Vec<(String, String)> =
        answer.balance_changes.iter().map(|c| (c.address.clone().unwrap(), c.amount.clone().unwrap())).collect();
    let mut expected = vec![
        (alice.to_string(), format!("-{}", COIN + common::CHARGE)),
        (net.bob.address().to_string(), COIN.to_string()),
    ];
    expected.sort();
    assert_eq!(changes, expected);
    let gas_coin = StructTag::gas_coin().to_string();
    let changed = &answer.effects.unwrap().changed_objects;
    assert_eq!(changed.len(), 2);
    assert!(changed.iter().all(|c| c.object_type.as_deref() == Some(gas_coin.as_str())), "{changed:?}");
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn simulation_reports_command_results_and_refuses_masks_of_the_wrong_level() {
    let net = start().await;
    let alice = net.alice.address();
    let coins = net.client.owned_objects(alice, None).await.unwrap();
    let mut transaction = sdk_transfer(alice, coins[0].object_id(), net.bob.address());
    // A SplitCoins from gas before the transfer: 5 MIST split off, returned by the command.
    let proto::transaction_kind::Data::ProgrammableTransaction(ptb) =
        transaction.kind.as_mut().unwrap().data.as_mut().unwrap()
    else {
        panic!()
    };
    let mut amount = proto::Input::default();
    amount.set_kind(proto::input::InputKind::Pure);
    amount.pure = Some(bcs::to_bytes(&5u64).unwrap().into());
    ptb.inputs.push(amount);
    let mut split = proto::SplitCoins::default();
    let mut gas = proto::Argument::default();
    gas.set_kind(proto::argument::ArgumentKind::Gas);
    split.coin = Some(gas);
    split.amounts = vec![argument(2)];
    let mut command = proto::Command::default();
    command.command = Some(proto::command::Command::SplitCoins(split));
    let mut result = proto::Argument::default();
    result.set_kind(proto::argument::ArgumentKind::Result);
    result.result = Some(0);
    let proto::command::Command::TransferObjects(transfer) = ptb.commands[0].command.as_mut().unwrap() else {
        panic!()
    };
    transfer.objects.push(result);
    ptb.commands.insert(0, command);

    let mut request = proto::SimulateTransactionRequest::default();
    request.transaction = Some(transaction.clone());
    request.do_gas_selection = Some(true);
    request.read_mask = Some(mask(&["command_outputs", "transaction.effects.status", "transaction.balance_changes"]));
    let response = net.client.rpc().execution_client().simulate_transaction(request).await.unwrap().into_inner();
    let executed = response.transaction.unwrap();
    assert_eq!(executed.effects.unwrap().status.unwrap().success, Some(true));
    assert_eq!(response.command_outputs.len(), 2);
    let split_coin = response.command_outputs[0].return_values[0].value.as_ref().unwrap().value.as_ref().unwrap();
    assert_eq!(&split_coin[32..], &5u64.to_le_bytes(), "the new coin's balance after its id");
    let bob = net.bob.address().to_string();
    let received = executed.balance_changes.iter().find(|c| c.address.as_deref() == Some(bob.as_str())).unwrap();
    assert_eq!(received.amount.as_deref(), Some((COIN + 5).to_string().as_str()));
    assert_eq!(net.sui(net.bob.address()).await, COIN, "nothing changed");

    let mut request = proto::SimulateTransactionRequest::default();
    request.transaction = Some(transaction);
    request.do_gas_selection = Some(true);
    request.read_mask = Some(mask(&["effects.status"]));
    let status = net.client.rpc().execution_client().simulate_transaction(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("transaction.effects.status"), "{}", status.message());
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn an_input_that_does_not_exist_is_named() {
    let net = start().await;
    let missing = Address::from_static("0xdead");
    let mut request = proto::SimulateTransactionRequest::default();
    request.transaction = Some(sdk_transfer(net.alice.address(), missing, net.bob.address()));
    request.do_gas_selection = Some(true);
    let status = net.client.rpc().execution_client().simulate_transaction(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    assert!(status.message().contains(&missing.to_string()), "{}", status.message());
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn epoch_balances_and_coin_metadata_read_as_the_sdk_reads_them() {
    let net = start().await;
    let mut request = proto::GetEpochRequest::default();
    request.read_mask = Some(mask(&[
        "system_state.epoch",
        "system_state.reference_gas_price",
        "system_state.epoch_start_timestamp_ms",
        "system_state.parameters",
        "protocol_config",
    ]));
    let epoch = net.client.rpc().ledger_client().get_epoch(request).await.unwrap().into_inner().epoch.unwrap();
    assert_eq!(epoch.epoch, None, "not asked for");
    let state = epoch.system_state.unwrap();
    assert_eq!(state.epoch, Some(0));
    assert_eq!(state.reference_gas_price, Some(1_000));
    assert!(state.parameters.unwrap().epoch_duration_ms.unwrap() > 0);
    assert!(epoch.protocol_config.unwrap().protocol_version.is_some());

    let mut request = proto::ListBalancesRequest::default();
    request.owner = Some(net.alice.address().to_string());
    let balances = net.client.rpc().state_client().list_balances(request).await.unwrap().into_inner();
    assert_eq!(balances.balances.len(), 1);
    assert_eq!(balances.balances[0].coin_type.as_deref(), Some(StructTag::sui().to_string().as_str()));
    assert_eq!(balances.balances[0].balance, Some(3 * COIN));

    let mut request = proto::GetCoinInfoRequest::default();
    request.coin_type = Some("0x2::sui::SUI".into());
    let info = net.client.rpc().state_client().get_coin_info(request).await.unwrap().into_inner();
    assert_eq!(info.metadata.unwrap().symbol.as_deref(), Some("SUI"));
    let mut request = proto::GetCoinInfoRequest::default();
    request.coin_type = Some("0x99::nothing::NOTHING".into());
    let status = net.client.rpc().state_client().get_coin_info(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn personal_message_signatures_are_verified() {
    use sui_crypto::SuiSigner;
    let net = start().await;
    let key = sui_crypto::ed25519::Ed25519PrivateKey::new([7; 32]);
    let text = b"sign in to the dApp".to_vec();
    let signature = key.sign_personal_message(&sui_sdk_types::PersonalMessage(text.clone().into())).unwrap();
    let verify = |address: Address| {
        let mut message = proto::Bcs::default();
        message.name = Some("PersonalMessage".into());
        message.value = Some(bcs::to_bytes(&text).unwrap().into());
        let mut request = proto::VerifySignatureRequest::default();
        request.message = Some(message);
        request.signature = Some(proto::UserSignature::from(signature.clone()));
        request.address = Some(address.to_string());
        let mut client = net.client.rpc().signature_verification_client();
        async move { client.verify_signature(request).await.unwrap().into_inner() }
    };
    let signer = key.public_key().derive_address();
    assert_eq!(verify(signer).await.is_valid, Some(true));
    let other = verify(net.bob.address()).await;
    assert_eq!(other.is_valid, Some(false));
    assert!(other.reason.unwrap().contains(&net.bob.address().to_string()));
    net.devnet.shutdown().await;
}
