//! A Move package plugged in natively: shared objects with version checks, read-only shared
//! inputs, results passed between commands, events, aborts located in the package, plus
//! simulation, batch reads and owned-object pagination over gRPC.

mod common;

use std::sync::Arc;

use common::{COIN, Net};
use floe_chain::{ChainClient, ClientError, Keypair};
use floe_devnet::{CallError, Devnet, MoveCallContext, NativePackage, Value, packages_with};
use serde::{Deserialize, Serialize};
use sui_rpc::field::FieldMaskUtil;
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::{Address, Identifier, Owner, StructTag, TypeTag};
use sui_transaction_builder::{Function, ObjectInput};

const PACKAGE: Address = Address::from_static("0xc0");
const E_TOO_HIGH: u64 = 7;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Counter {
    id: Address,
    value: u64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Token {
    id: Address,
    serial: u64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct TokenBox {
    id: Address,
    token: Token,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Incremented {
    counter: Address,
    value: u64,
}

fn tag(name: &str) -> StructTag {
    StructTag::new(PACKAGE, Identifier::from_static("counter"), Identifier::new(name).unwrap(), vec![])
}

fn string_type() -> TypeTag {
    TypeTag::Struct(Box::new(StructTag::new(
        Address::from_static("0x1"),
        Identifier::from_static("string"),
        Identifier::from_static("String"),
        vec![],
    )))
}

/// `0xc0::counter`: a shared counter and a transferable token.
struct CounterPackage;

impl NativePackage for CounterPackage {
    fn has_function(&self, module: &str, function: &str) -> bool {
        module == "counter"
            && [
                "create",
                "increment",
                "assert_below",
                "mint_token",
                "stamp",
                "note",
                "unnote",
                "box_token",
                "unbox_token",
                "sum",
                "burn_tokens",
                "explode",
            ]
            .contains(&function)
    }

    fn call(&self, call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
        match call.function() {
            "create" => {
                let id = call.new_id();
                let counter = call.create(id, tag("Counter"), false, &Counter { id, value: 0 })?;
                call.share(&[counter], 0)?;
                Ok(vec![])
            }
            "increment" => {
                call.expect_type(args, 0, &tag("Counter"))?;
                let mut counter: Counter = call.read(args, 0)?;
                counter.value += 1;
                call.write(args, 0, &counter)?;
                call.emit(tag("Incremented"), &Incremented { counter: counter.id, value: counter.value });
                Ok(vec![])
            }
            "assert_below" => {
                let counter: Counter = call.read(args, 0)?;
                let limit: u64 = call.pure(args, 1)?;
                if counter.value >= limit {
                    return Err(call.abort(E_TOO_HIGH));
                }
                Ok(vec![])
            }
            "mint_token" => {
                let serial: u64 = call.pure(args, 0)?;
                let id = call.new_id();
                Ok(vec![call.create(id, tag("Token"), true, &Token { id, serial })?])
            }
            "note" => {
                let counter = call.expect_type(args, 0, &tag("Counter"))?;
                let key: u64 = call.pure(args, 1)?;
                let text: String = call.pure(args, 2)?;
                if call.has_field(counter, &TypeTag::U64, &key) {
                    call.set_field(counter, TypeTag::U64, &key, string_type(), &text)
                } else {
                    call.add_field(counter, TypeTag::U64, &key, string_type(), &text)
                }
                .map(|()| vec![])
            }
            "unnote" => {
                let counter = call.expect_type(args, 0, &tag("Counter"))?;
                let key: u64 = call.pure(args, 1)?;
                let text: String = call.remove_field(counter, TypeTag::U64, &key, string_type())?;
                call.emit(tag("Unnoted"), &text);
                Ok(vec![])
            }
            "box_token" => {
                call.expect_type(args, 0, &tag("Token"))?;
                let token: Token = call.read(args, 0)?;
                call.wrap(args, 0)?;
                let id = call.new_id();
                let boxed = call.create(id, tag("TokenBox"), true, &TokenBox { id, token })?;
                let sender = call.sender();
                call.transfer(&[boxed], 0, sender).map(|()| vec![])
            }
            "unbox_token" => {
                call.expect_type(args, 0, &tag("TokenBox"))?;
                let boxed: TokenBox = call.read(args, 0)?;
                call.delete(args, 0)?;
                let token = call.unwrap_object(boxed.token.id, tag("Token"), true, &boxed.token)?;
                let sender = call.sender();
                call.transfer(&[token], 0, sender).map(|()| vec![])
            }
            "sum" => {
                let values: Vec<u64> = call.pure(args, 0)?;
                call.emit(tag("Summed"), &values.iter().sum::<u64>());
                Ok(vec![])
            }
            "burn_tokens" => {
                let tokens = call.object_vector(args, 0)?;
                for i in 0..tokens.len() {
                    call.expect_type(&tokens, i as u16, &tag("Token"))?;
                    call.delete(&tokens, i as u16)?;
                }
                call.emit(tag("Burned"), &(tokens.len() as u64));
                Ok(vec![])
            }
            "explode" => panic!("a bug in a native package"),
            "stamp" => {
                call.expect_type(args, 0, &floe_devnet::clock_type())?;
                let clock: floe_devnet::ClockValue = call.read(args, 0)?;
                call.emit(tag("Stamped"), &clock.timestamp_ms);
                Ok(vec![])
            }
            _ => Err(call.abort(u64::MAX)),
        }
    }
}

async fn start() -> Net {
    let alice = Keypair::from_secret_bytes([0xa1; 32]);
    let bob = Keypair::from_secret_bytes([0xb0; 32]);
    let dir = tempfile::tempdir().unwrap();
    let packages = packages_with([(PACKAGE, Arc::new(CounterPackage) as Arc<dyn NativePackage>)]);
    let devnet = Devnet::start_with(common::config(dir.path(), &alice, &bob), packages).await.unwrap();
    let client = ChainClient::new(&devnet.url()).unwrap();
    Net { devnet, client, alice, bob, dir }
}

fn function(name: &'static str) -> Function {
    Function::new(PACKAGE, Identifier::from_static("counter"), Identifier::from_static(name))
}

/// Creates a shared counter; returns its id and initial shared version.
async fn create_counter(net: &Net) -> (Address, u64) {
    let (mut tx, _) = net.builder(&net.alice).await;
    tx.move_call(function("create"), vec![]);
    let executed = net.run(&net.alice, tx).await.unwrap();
    let created = executed.created();
    assert_eq!(created.len(), 1);
    let Owner::Shared(initial) = created[0].owner else { panic!("counter not shared: {:?}", created[0].owner) };
    assert_eq!(initial, executed.effects.lamport_version);
    (*created[0].reference.object_id(), initial)
}

async fn increment(
    net: &Net,
    counter: Address,
    initial: u64,
    mutable: bool,
) -> Result<floe_chain::Executed, ClientError> {
    let (mut tx, _) = net.builder(&net.alice).await;
    let shared = tx.object(ObjectInput::shared(counter, initial, mutable));
    tx.move_call(function("increment"), vec![shared]);
    net.run(&net.alice, tx).await
}

#[tokio::test]
async fn shared_counter_increments_emit_events_and_bump_versions() {
    let net = start().await;
    let (counter, initial) = create_counter(&net).await;
    let executed = increment(&net, counter, initial, true).await.unwrap();
    assert_eq!(executed.events.len(), 1);
    let event = &executed.events[0];
    assert_eq!(event.type_, tag("Incremented"));
    assert_eq!(event.sender, net.alice.address());
    let decoded: Incremented = bcs::from_bytes(&event.contents).unwrap();
    assert_eq!(decoded, Incremented { counter, value: 1 });

    let object = net.client.get_object(counter).await.unwrap();
    assert_eq!(object.version(), executed.effects.lamport_version);
    assert_eq!(object.owner(), &Owner::Shared(initial));
    let stored: Counter = bcs::from_bytes(object.as_struct().unwrap().contents()).unwrap();
    assert_eq!(stored.value, 1);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn wrong_initial_shared_version_is_refused() {
    let net = start().await;
    let (counter, initial) = create_counter(&net).await;
    let err = increment(&net, counter, initial + 5, true).await.unwrap_err();
    assert_eq!(err.code(), Some(tonic::Code::InvalidArgument), "{err}");
    assert!(err.to_string().contains("initial shared version"), "{err}");
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn read_only_shared_input_is_not_bumped_and_cannot_be_written() {
    let net = start().await;
    let (counter, initial) = create_counter(&net).await;
    let version = net.client.get_object(counter).await.unwrap().version();

    let (mut tx, _) = net.builder(&net.alice).await;
    let shared = tx.object(ObjectInput::shared(counter, initial, false));
    let limit = tx.pure(&10u64);
    tx.move_call(function("assert_below"), vec![shared, limit]);
    let executed = net.run(&net.alice, tx).await.unwrap();
    assert!(executed.reference_of(&counter).is_none());
    assert_eq!(executed.effects.unchanged_consensus_objects.len(), 1);
    assert_eq!(net.client.get_object(counter).await.unwrap().version(), version);

    let err = increment(&net, counter, initial, false).await.unwrap_err();
    assert!(matches!(&err, ClientError::ExecutionFailed(_)), "{err}");
    assert_eq!(net.client.get_object(counter).await.unwrap().version(), version);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn abort_in_a_native_package_names_package_module_and_function() {
    let net = start().await;
    let (counter, initial) = create_counter(&net).await;
    increment(&net, counter, initial, true).await.unwrap();
    let (mut tx, _) = net.builder(&net.alice).await;
    let shared = tx.object(ObjectInput::shared(counter, initial, false));
    let limit = tx.pure(&1u64);
    tx.move_call(function("assert_below"), vec![shared, limit]);
    let abort = net.run(&net.alice, tx).await.unwrap_err().move_abort().unwrap();
    assert_eq!(abort.code, E_TOO_HIGH);
    assert_eq!(abort.package, PACKAGE);
    assert_eq!(abort.module, "counter");
    assert_eq!(abort.function.as_deref(), Some("assert_below"));
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn results_flow_between_commands_and_owned_objects_filter_by_type() {
    let net = start().await;
    let (mut tx, _) = net.builder(&net.alice).await;
    let one = tx.pure(&1u64);
    let first = tx.move_call(function("mint_token"), vec![one]);
    let two = tx.pure(&2u64);
    let second = tx.move_call(function("mint_token"), vec![two]);
    let bob = tx.pure(&net.bob.address());
    tx.transfer_objects(vec![first, second], bob);
    net.run(&net.alice, tx).await.unwrap();

    let tokens = net.client.owned_objects(net.bob.address(), Some(&tag("Token"))).await.unwrap();
    let mut serials: Vec<u64> =
        tokens.iter().map(|t| bcs::from_bytes::<Token>(t.as_struct().unwrap().contents()).unwrap().serial).collect();
    serials.sort();
    assert_eq!(serials, vec![1, 2]);
    // Bob's SUI coin is not a Token.
    assert_eq!(net.client.owned_objects(net.bob.address(), None).await.unwrap().len(), 3);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn simulation_reports_effects_without_changing_state() {
    let net = start().await;
    let (counter, initial) = create_counter(&net).await;
    let version = net.client.get_object(counter).await.unwrap().version();
    let (mut tx, _) = net.builder(&net.alice).await;
    let shared = tx.object(ObjectInput::shared(counter, initial, true));
    tx.move_call(function("increment"), vec![shared]);
    let tx = tx.try_build().unwrap();
    let request = proto::SimulateTransactionRequest::default()
        .with_transaction(proto::Transaction::from(tx))
        .with_read_mask(prost_types::FieldMask::from_paths(["transaction.effects.status", "transaction.events.bcs"]));
    let response = net.client.rpc().execution_client().simulate_transaction(request).await.unwrap().into_inner();
    let executed = response.transaction.unwrap();
    assert_eq!(executed.effects.unwrap().status.unwrap().success, Some(true));
    assert!(executed.events.is_some());
    assert_eq!(net.client.get_object(counter).await.unwrap().version(), version);
    assert_eq!(net.sui(net.alice.address()).await, 3 * COIN - common::CHARGE, "simulation charges no gas");
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn batch_reads_report_missing_objects_per_item() {
    let net = start().await;
    let coins = net.client.owned_objects(net.alice.address(), None).await.unwrap();
    let missing = Address::from_static("0xdead");
    let results = net.client.get_objects(&[coins[0].object_id(), missing]).await.unwrap();
    assert_eq!(results[0].as_ref().unwrap(), &coins[0]);
    assert!(matches!(results[1], Err(ClientError::ObjectNotFound(id)) if id == missing));
    assert!(matches!(net.client.get_object(missing).await, Err(ClientError::ObjectNotFound(_))));
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn owned_objects_paginate_with_opaque_tokens_and_report_coin_balances() {
    let net = start().await;
    let mut state = net.client.rpc().state_client();
    let mut token = None;
    let mut seen = Vec::new();
    loop {
        let mut request = proto::ListOwnedObjectsRequest::default()
            .with_owner(net.alice.address().to_string())
            .with_page_size(1u32)
            .with_read_mask(prost_types::FieldMask::from_paths(["object_id", "balance"]));
        request.page_token = token.take();
        let page = state.list_owned_objects(request).await.unwrap().into_inner();
        assert!(page.objects.len() <= 1);
        for object in &page.objects {
            assert_eq!(object.balance, Some(COIN));
            seen.push(object.object_id.clone().unwrap());
        }
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    seen.dedup();
    assert_eq!(seen.len(), 3);
    net.devnet.shutdown().await;
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

#[tokio::test]
async fn the_shared_clock_reads_the_current_time_and_cannot_be_taken_mutably() {
    let net = start().await;
    let before = now_ms();
    let (mut tx, _) = net.builder(&net.alice).await;
    let clock = tx.object(ObjectInput::shared(floe_devnet::CLOCK, 1, false));
    tx.move_call(function("stamp"), vec![clock]);
    let executed = net.run(&net.alice, tx).await.unwrap();
    let after = now_ms();
    let stamped: u64 = bcs::from_bytes(&executed.events[0].contents).unwrap();
    assert!(before <= stamped && stamped <= after, "{before} <= {stamped} <= {after}");

    let (mut tx, _) = net.builder(&net.alice).await;
    let clock = tx.object(ObjectInput::shared(floe_devnet::CLOCK, 1, true));
    tx.move_call(function("stamp"), vec![clock]);
    let err = net.run(&net.alice, tx).await.unwrap_err();
    assert_eq!(err.code(), Some(tonic::Code::InvalidArgument), "{err}");
    assert!(err.to_string().contains("Clock"), "{err}");
    net.devnet.shutdown().await;
}

async fn note(
    net: &Net,
    counter: Address,
    initial: u64,
    key: u64,
    text: &str,
) -> Result<floe_chain::Executed, ClientError> {
    let (mut tx, _) = net.builder(&net.alice).await;
    let shared = tx.object(ObjectInput::shared(counter, initial, true));
    let key = tx.pure(&key);
    let text = tx.pure(&text.to_owned());
    tx.move_call(function("note"), vec![shared, key, text]);
    net.run(&net.alice, tx).await
}

async fn unnote(net: &Net, counter: Address, initial: u64, key: u64) -> Result<floe_chain::Executed, ClientError> {
    let (mut tx, _) = net.builder(&net.alice).await;
    let shared = tx.object(ObjectInput::shared(counter, initial, true));
    let key = tx.pure(&key);
    tx.move_call(function("unnote"), vec![shared, key]);
    net.run(&net.alice, tx).await
}

#[tokio::test]
async fn dynamic_fields_are_child_objects_added_updated_and_removed() {
    let net = start().await;
    let (counter, initial) = create_counter(&net).await;
    let field = floe_devnet::field_id(counter, &TypeTag::U64, &7u64);

    let added = note(&net, counter, initial, 7, "first").await.unwrap();
    assert!(added.created().iter().any(|o| *o.reference.object_id() == field && o.owner == Owner::Object(counter)));
    note(&net, counter, initial, 7, "second").await.unwrap();
    let object = net.client.get_object(field).await.unwrap();
    assert_eq!(object.owner(), &Owner::Object(counter));
    assert_eq!(object.as_struct().unwrap().object_type(), &floe_devnet::field_type(TypeTag::U64, string_type()));
    let stored: floe_devnet::Field<u64, String> = bcs::from_bytes(object.as_struct().unwrap().contents()).unwrap();
    assert_eq!(stored, floe_devnet::Field { id: field, name: 7, value: "second".to_owned() });

    let removed = unnote(&net, counter, initial, 7).await.unwrap();
    assert_eq!(bcs::from_bytes::<String>(&removed.events[0].contents).unwrap(), "second");
    assert!(removed.deleted().contains(&field));
    assert!(matches!(net.client.get_object(field).await, Err(ClientError::ObjectNotFound(_))));

    let abort = unnote(&net, counter, initial, 7).await.unwrap_err().move_abort().unwrap();
    assert_eq!(abort.code, floe_devnet::E_FIELD_DOES_NOT_EXIST);
    assert_eq!((abort.package, abort.module.as_str()), (Address::TWO, "dynamic_field"));
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn wrapping_and_unwrapping_keep_the_object_id_without_id_operations() {
    use sui_sdk_types::{IdOperation, ObjectOut};
    let net = start().await;
    let (mut tx, _) = net.builder(&net.alice).await;
    let serial = tx.pure(&9u64);
    let token = tx.move_call(function("mint_token"), vec![serial]);
    let me = tx.pure(&net.alice.address());
    tx.transfer_objects(vec![token], me);
    let minted = net.run(&net.alice, tx).await.unwrap();
    let token = minted.created()[0].reference.clone();

    let (mut tx, _) = net.builder(&net.alice).await;
    let input = tx.object(ObjectInput::owned(*token.object_id(), token.version(), *token.digest()));
    tx.move_call(function("box_token"), vec![input]);
    let boxed = net.run(&net.alice, tx).await.unwrap();
    let change = boxed.effects.changed_objects.iter().find(|c| c.object_id == *token.object_id()).unwrap();
    assert!(matches!(change.output_state, ObjectOut::NotExist));
    assert_eq!(change.id_operation, IdOperation::None, "wrapped, not deleted");
    assert!(matches!(net.client.get_object(*token.object_id()).await, Err(ClientError::ObjectNotFound(_))));
    let boxed_ref = boxed.created()[0].reference.clone();

    let (mut tx, _) = net.builder(&net.alice).await;
    let input = tx.object(ObjectInput::owned(*boxed_ref.object_id(), boxed_ref.version(), *boxed_ref.digest()));
    tx.move_call(function("unbox_token"), vec![input]);
    let unboxed = net.run(&net.alice, tx).await.unwrap();
    let change = unboxed.effects.changed_objects.iter().find(|c| c.object_id == *token.object_id()).unwrap();
    assert!(matches!(change.output_state, ObjectOut::ObjectWrite { .. }));
    assert_eq!(change.id_operation, IdOperation::None, "unwrapped, not created");
    let back = net.client.get_object(*token.object_id()).await.unwrap();
    assert_eq!(bcs::from_bytes::<Token>(back.as_struct().unwrap().contents()).unwrap().serial, 9);
    assert!(unboxed.deleted().contains(boxed_ref.object_id()));
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn genesis_creates_configured_objects_and_names_them_in_the_deployment() {
    use sui_sdk_types::{GenesisObject, MoveStruct, ObjectData};
    let alice = Keypair::from_secret_bytes([0xa1; 32]);
    let bob = Keypair::from_secret_bytes([0xb0; 32]);
    let dir = tempfile::tempdir().unwrap();
    let id = Address::from_static("0x5157e3");
    let contents = bcs::to_bytes(&Counter { id, value: 41 }).unwrap();
    let data = MoveStruct::new(tag("Counter"), false, 1, contents).unwrap();
    let mut config = common::config(dir.path(), &alice, &bob);
    config.genesis_objects = vec![GenesisObject::new(ObjectData::Struct(data), Owner::Shared(1))];
    config.system_object = id;
    let packages = packages_with([(PACKAGE, Arc::new(CounterPackage) as Arc<dyn NativePackage>)]);
    let devnet = Devnet::start_with(config.clone(), packages).await.unwrap();
    let client = ChainClient::new(&devnet.url()).unwrap();
    let net = Net { devnet, client, alice, bob, dir };

    let deployment = floe_chain::Deployment::load(&config.deployment_path()).unwrap();
    assert_eq!(deployment.system_object, id);
    assert_eq!(deployment.rpc_url, net.devnet.url());
    increment(&net, id, 1, true).await.unwrap();
    let counter: Counter =
        bcs::from_bytes(net.client.get_object(id).await.unwrap().as_struct().unwrap().contents()).unwrap();
    assert_eq!(counter.value, 42);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn make_move_vec_builds_pure_and_object_vectors() {
    let net = start().await;
    let (mut tx, _) = net.builder(&net.alice).await;
    let values: Vec<_> = [3u64, 4, 5].iter().map(|v| tx.pure(v)).collect();
    let vector = tx.make_move_vec(Some(TypeTag::U64), values);
    tx.move_call(function("sum"), vec![vector]);
    let one = tx.pure(&1u64);
    let first = tx.move_call(function("mint_token"), vec![one]);
    let two = tx.pure(&2u64);
    let second = tx.move_call(function("mint_token"), vec![two]);
    let tokens = tx.make_move_vec(None, vec![first, second]);
    tx.move_call(function("burn_tokens"), vec![tokens]);
    let executed = net.run(&net.alice, tx).await.unwrap();
    assert_eq!(bcs::from_bytes::<u64>(&executed.events[0].contents).unwrap(), 12);
    assert_eq!(bcs::from_bytes::<u64>(&executed.events[1].contents).unwrap(), 2);
    // Minted and burnt in the same transaction: nothing is left behind.
    assert!(executed.created().is_empty());
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn a_panicking_native_fails_its_transaction_and_the_devnet_carries_on() {
    let net = start().await;
    let (counter, initial) = create_counter(&net).await;
    let (mut tx, _) = net.builder(&net.alice).await;
    let shared = tx.object(ObjectInput::shared(counter, initial, true));
    tx.move_call(function("increment"), vec![shared]);
    tx.move_call(function("explode"), vec![]);
    let err = net.run(&net.alice, tx).await.unwrap_err();
    let ClientError::ExecutionFailed(failure) = &err else { panic!("expected an execution failure, got {err}") };
    assert_eq!(failure.error, sui_sdk_types::ExecutionError::InvariantViolation);
    // The increment before the panic was rolled back; the next transaction runs normally.
    increment(&net, counter, initial, true).await.unwrap();
    let stored: Counter =
        bcs::from_bytes(net.client.get_object(counter).await.unwrap().as_struct().unwrap().contents()).unwrap();
    assert_eq!(stored.value, 1);
    net.devnet.shutdown().await;
}
