//! The Seal policies (`move/seal`) natively in the devnet: each `seal_approve*` grants and
//! denies through real signed transactions and through `SimulateTransaction` (how a key server
//! asks), with the Move source's abort codes; allowlist, subscription and key-server
//! administration. Twins of `move/seal/tests/policy_tests.move` (see move/README.md).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::Net;
use floe_chain::floe::seal::{Allowlist, KEY_SERVER_VERSION, KeyServer, KeyServerField, Subscription};
use floe_chain::floe::{KeyServerRegistration, SealCalls, SharedObject};
use floe_chain::{ChainClient, ClientError, Executed, Keypair, MoveAbort};
use floe_devnet::{Devnet, SEAL_PACKAGE, SealPackage, packages_with};
use floe_encoder::bls::BlsSecretKey;
use sui_sdk_types::{Address, Owner, StructTag, TypeTag};
use sui_transaction_builder::{Argument, ObjectInput, TransactionBuilder};

async fn start() -> Net {
    let alice = Keypair::from_secret_bytes([0xa1; 32]);
    let bob = Keypair::from_secret_bytes([0xb0; 32]);
    let dir = tempfile::tempdir().unwrap();
    let packages = packages_with([(SEAL_PACKAGE, Arc::new(SealPackage) as Arc<dyn floe_devnet::NativePackage>)]);
    let devnet = Devnet::start_with(common::config(dir.path(), &alice, &bob), packages).await.unwrap();
    let client = ChainClient::new(&devnet.url()).unwrap();
    Net { devnet, client, alice, bob, dir }
}

fn seal(net: &Net) -> SealCalls {
    SealCalls::new(&net.devnet.deployment().packages)
}

fn sui() -> TypeTag {
    TypeTag::Struct(Box::new(StructTag::sui()))
}

/// The abort of a failed execution or simulation, or a panic if it was not an abort.
fn abort_of(result: Result<(), ClientError>) -> Option<MoveAbort> {
    match result {
        Ok(()) => None,
        Err(e) => Some(e.move_abort().unwrap_or_else(|| panic!("expected a Move abort, got {e}"))),
    }
}

/// Runs the calls `build` adds as `key`, signed and executed, and as a simulation; both must
/// agree. Returns the abort, if any.
async fn approve(net: &Net, key: &Keypair, build: impl Fn(&mut TransactionBuilder)) -> Option<MoveAbort> {
    let (mut tx, _) = net.builder(key).await;
    build(&mut tx);
    let simulated = abort_of(net.client.simulate(&tx.try_build().unwrap()).await.map(|_| ()));
    let (mut tx, _) = net.builder(key).await;
    build(&mut tx);
    let executed = abort_of(net.run(key, tx).await.map(|_| ()));
    assert_eq!(simulated, executed, "simulation and execution disagree");
    executed
}

fn assert_abort(abort: Option<MoveAbort>, module: &str, function: &str, code: u64) {
    let abort = abort.unwrap_or_else(|| panic!("expected abort {code} in {module}::{function}, the call was approved"));
    assert_eq!(
        (abort.package, abort.module.as_str(), abort.function.as_deref(), abort.code),
        (SEAL_PACKAGE, module, Some(function), code)
    );
}

fn with_nonce(prefix: &Address, nonce: &[u8]) -> Vec<u8> {
    [prefix.as_bytes(), nonce].concat()
}

/// Runs `build` as `key` and returns the executed transaction (panics on failure).
async fn run(net: &Net, key: &Keypair, build: impl FnOnce(&mut TransactionBuilder)) -> Executed {
    let (mut tx, _) = net.builder(key).await;
    build(&mut tx);
    net.run(key, tx).await.unwrap()
}

/// The created object of `executed` that is shared, and the one that is owned.
fn shared_and_owned(executed: &Executed) -> (SharedObject, Address) {
    let created = executed.created();
    let shared = created
        .iter()
        .find_map(|o| match o.owner {
            Owner::Shared(v) => Some(SharedObject::new(*o.reference.object_id(), v)),
            _ => None,
        })
        .unwrap();
    let owned = created.iter().find(|o| matches!(o.owner, Owner::Address(_))).unwrap();
    (shared, *owned.reference.object_id())
}

async fn owned_input(net: &Net, tx: &mut TransactionBuilder, id: Address) -> Argument {
    let object = net.client.get_object(id).await.unwrap();
    tx.object(ObjectInput::owned(id, object.version(), object.digest()))
}

async fn read<T: serde::de::DeserializeOwned>(net: &Net, id: Address) -> T {
    let object = net.client.get_object(id).await.unwrap();
    bcs::from_bytes(object.as_struct().unwrap().contents()).unwrap()
}

#[tokio::test]
async fn owner_policy_grants_the_owner_and_denies_everyone_else() {
    let net = start().await;
    let seal = seal(&net);
    let id = with_nonce(&net.alice.address(), b"nonce");
    assert_eq!(approve(&net, &net.alice, |tx| seal.owner_seal_approve(tx, &id)).await, None);
    let denied = approve(&net, &net.bob, |tx| seal.owner_seal_approve(tx, &id)).await;
    assert_abort(denied, "owner_policy", "seal_approve", 0);
    // A key id shorter than an address is nobody's.
    let short = approve(&net, &net.alice, |tx| seal.owner_seal_approve(tx, &[1, 2, 3])).await;
    assert_abort(short, "owner_policy", "seal_approve", 0);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn allowlist_grants_listed_accounts_until_they_are_removed() {
    let net = start().await;
    let seal = seal(&net);
    let alice = net.alice.address();
    let bob = net.bob.address();
    let created = run(&net, &net.alice, |tx| {
        let cap = seal.create_allowlist(tx, "team");
        let me = tx.pure(&alice);
        tx.transfer_objects(vec![cap], me);
    })
    .await;
    let (list, cap) = shared_and_owned(&created);
    let id = with_nonce(&list.id, b"doc-1");

    let denied = approve(&net, &net.bob, |tx| seal.allowlist_seal_approve(tx, &id, &list)).await;
    assert_abort(denied, "allowlist", "seal_approve", 1);

    let (mut tx, _) = net.builder(&net.alice).await;
    let cap_arg = owned_input(&net, &mut tx, cap).await;
    seal.allowlist_add(&mut tx, &list, cap_arg, bob);
    net.run(&net.alice, tx).await.unwrap();
    assert_eq!(read::<Allowlist>(&net, list.id).await.list, vec![bob]);
    assert_eq!(approve(&net, &net.bob, |tx| seal.allowlist_seal_approve(tx, &id, &list)).await, None);
    // Listed, but the id is not under this list.
    let foreign = with_nonce(&bob, b"doc-1");
    let denied = approve(&net, &net.bob, |tx| seal.allowlist_seal_approve(tx, &foreign, &list)).await;
    assert_abort(denied, "allowlist", "seal_approve", 1);

    let (mut tx, _) = net.builder(&net.alice).await;
    let cap_arg = owned_input(&net, &mut tx, cap).await;
    seal.allowlist_add(&mut tx, &list, cap_arg, bob);
    assert_abort(net.run(&net.alice, tx).await.err().and_then(|e| e.move_abort()), "allowlist", "add", 2);

    let (mut tx, _) = net.builder(&net.alice).await;
    let cap_arg = owned_input(&net, &mut tx, cap).await;
    seal.allowlist_remove(&mut tx, &list, cap_arg, bob);
    net.run(&net.alice, tx).await.unwrap();
    let denied = approve(&net, &net.bob, |tx| seal.allowlist_seal_approve(tx, &id, &list)).await;
    assert_abort(denied, "allowlist", "seal_approve", 1);

    let (mut tx, _) = net.builder(&net.alice).await;
    let cap_arg = owned_input(&net, &mut tx, cap).await;
    seal.allowlist_remove(&mut tx, &list, cap_arg, bob);
    assert_abort(net.run(&net.alice, tx).await.err().and_then(|e| e.move_abort()), "allowlist", "remove", 3);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn allowlist_administration_needs_its_own_cap_and_links_blobs_once() {
    let net = start().await;
    let seal = seal(&net);
    let (alice, bob) = (net.alice.address(), net.bob.address());
    let create = |owner: Address| {
        move |tx: &mut TransactionBuilder| {
            let cap = seal.create_allowlist(tx, "list");
            let to = tx.pure(&owner);
            tx.transfer_objects(vec![cap], to);
        }
    };
    let (alice_list, alice_cap) = shared_and_owned(&run(&net, &net.alice, create(alice)).await);
    let (_, bob_cap) = shared_and_owned(&run(&net, &net.bob, create(bob)).await);

    let (mut tx, _) = net.builder(&net.bob).await;
    let cap_arg = owned_input(&net, &mut tx, bob_cap).await;
    seal.allowlist_add(&mut tx, &alice_list, cap_arg, bob);
    assert_abort(net.run(&net.bob, tx).await.err().and_then(|e| e.move_abort()), "allowlist", "check_admin", 0);

    let (mut tx, _) = net.builder(&net.alice).await;
    let cap_arg = owned_input(&net, &mut tx, alice_cap).await;
    seal.allowlist_publish(&mut tx, &alice_list, cap_arg, "blob-a");
    net.run(&net.alice, tx).await.unwrap();
    let (mut tx, _) = net.builder(&net.alice).await;
    let cap_arg = owned_input(&net, &mut tx, alice_cap).await;
    seal.allowlist_publish(&mut tx, &alice_list, cap_arg, "blob-a");
    let abort = net.run(&net.alice, tx).await.err().and_then(|e| e.move_abort()).unwrap();
    assert_eq!(
        (abort.package, abort.module.as_str(), abort.code),
        (Address::TWO, "dynamic_field", 0),
        "published twice"
    );
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn subscription_grants_from_purchase_until_expiry() {
    let net = start().await;
    let seal = seal(&net);
    let (alice, bob) = (net.alice.address(), net.bob.address());
    const FEE: u64 = 1_000;
    const TTL_MS: u64 = 2_000;
    let created = run(&net, &net.alice, |tx| {
        let cap = seal.create_service(tx, &sui(), FEE, TTL_MS, "news");
        let me = tx.pure(&alice);
        tx.transfer_objects(vec![cap], me);
    })
    .await;
    let (service, _cap) = shared_and_owned(&created);

    // Paying anything but the fee is refused.
    let (mut tx, _) = net.builder(&net.bob).await;
    let gas = tx.gas();
    let amount = tx.pure(&(FEE - 1));
    let payment = tx.split_coins(gas, vec![amount]).remove(0);
    let subscription = seal.subscribe(&mut tx, &sui(), &service, payment);
    seal.transfer_subscription(&mut tx, subscription, bob);
    assert_abort(net.run(&net.bob, tx).await.err().and_then(|e| e.move_abort()), "subscription", "subscribe", 0);

    let alice_before = net.sui(alice).await;
    let bought = run(&net, &net.bob, |tx| {
        let gas = tx.gas();
        let amount = tx.pure(&FEE);
        let payment = tx.split_coins(gas, vec![amount]).remove(0);
        let subscription = seal.subscribe(tx, &sui(), &service, payment);
        seal.transfer_subscription(tx, subscription, bob);
    })
    .await;
    assert_eq!(net.sui(alice).await, alice_before + FEE, "the fee goes to the service owner");
    let sub_id = *bought.created().iter().find(|o| o.owner == Owner::Address(bob)).unwrap().reference.object_id();
    let sub: Subscription = read(&net, sub_id).await;
    assert_eq!(sub.service_id, service.id);

    let id = with_nonce(&service.id, b"issue-1");
    // An owned input's version moves with every executed transaction: read it before each use.
    let approve_with = |id: Vec<u8>, object: sui_sdk_types::Object| {
        let (version, digest) = (object.version(), object.digest());
        move |tx: &mut TransactionBuilder| {
            let sub = tx.object(ObjectInput::owned(sub_id, version, digest));
            seal.subscription_seal_approve(tx, &sui(), &id, sub, &service);
        }
    };
    assert_eq!(
        approve(&net, &net.bob, approve_with(id.clone(), net.client.get_object(sub_id).await.unwrap())).await,
        None
    );
    let foreign = with_nonce(&alice, b"issue-1");
    assert_abort(
        approve(&net, &net.bob, approve_with(foreign, net.client.get_object(sub_id).await.unwrap())).await,
        "subscription",
        "seal_approve",
        1,
    );

    // The devnet's clock is the checkpoint time, i.e. the wall clock: wait out the TTL.
    let expires = sub.created_at_ms + TTL_MS;
    while common_now_ms() <= expires + 50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_abort(
        approve(&net, &net.bob, approve_with(id, net.client.get_object(sub_id).await.unwrap())).await,
        "subscription",
        "seal_approve",
        1,
    );
    net.devnet.shutdown().await;
}

fn common_now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

#[tokio::test]
async fn time_lock_opens_at_its_unlock_time() {
    let net = start().await;
    let seal = seal(&net);
    let unlock = common_now_ms() + 1_500;
    let id = bcs::to_bytes(&unlock).unwrap();
    let denied = approve(&net, &net.bob, |tx| seal.time_lock_seal_approve(tx, &id)).await;
    assert_abort(denied, "time_lock", "seal_approve", 1);
    let malformed = approve(&net, &net.bob, |tx| seal.time_lock_seal_approve(tx, &id[..7])).await;
    assert_abort(malformed, "time_lock", "unlock_time_ms", 0);
    while common_now_ms() <= unlock {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(approve(&net, &net.bob, |tx| seal.time_lock_seal_approve(tx, &id)).await, None);
    net.devnet.shutdown().await;
}

fn g2_point() -> Vec<u8> {
    // A min-pk BLS signature is a compressed G2 point in the prime-order subgroup.
    BlsSecretKey::from_bytes(&[7; 32]).unwrap().sign(b"any message").to_bytes().to_vec()
}

#[tokio::test]
async fn key_servers_register_with_a_g2_key_and_update_their_url() {
    let net = start().await;
    let seal = seal(&net);
    let registration = |key_type: u8, public_key: Vec<u8>| KeyServerRegistration {
        name: "ks-1".into(),
        url: "http://127.0.0.1:2024".into(),
        key_type,
        public_key,
    };
    let executed =
        run(&net, &net.alice, |tx| seal.register_key_server_and_transfer(tx, &registration(0, g2_point()))).await;
    // Two objects: the KeyServer (Alice's) and its details, a dynamic field the KeyServer owns.
    let created = executed.created();
    assert_eq!(created.len(), 2);
    let id = *created.iter().find(|o| o.owner == Owner::Address(net.alice.address())).unwrap().reference.object_id();
    let server: KeyServer = read(&net, id).await;
    assert_eq!((server.id, server.first_version, server.last_version), (id, 2, 2));
    let details_id = server.details_id(KEY_SERVER_VERSION);
    assert!(created.iter().any(|o| *o.reference.object_id() == details_id && o.owner == Owner::Object(id)));
    let details: KeyServerField = read(&net, details_id).await;
    assert_eq!(details.name, 2);
    assert_eq!((details.value.name.as_str(), details.value.key_type, &details.value.pk), ("ks-1", 0, &g2_point()));
    assert_eq!(details.value.url(), "http://127.0.0.1:2024");

    let (mut tx, _) = net.builder(&net.alice).await;
    let arg = owned_input(&net, &mut tx, id).await;
    seal.update_key_server_url(&mut tx, arg, "http://10.0.0.1:2024");
    net.run(&net.alice, tx).await.unwrap();
    let details: KeyServerField = read(&net, details_id).await;
    assert_eq!((details.value.url(), details.value.name.as_str()), ("http://10.0.0.1:2024", "ks-1"));

    let refused = |r: KeyServerRegistration| {
        let net = &net;
        async move {
            let (mut tx, _) = net.builder(&net.alice).await;
            seal.register_key_server_and_transfer(&mut tx, &r);
            net.run(&net.alice, tx).await.err().and_then(|e| e.move_abort()).unwrap()
        }
    };
    let abort = refused(registration(1, g2_point())).await;
    assert_eq!((abort.module.as_str(), abort.code), ("key_server", 0));
    let abort = refused(registration(0, vec![0xc0; 48])).await;
    assert_eq!((abort.module.as_str(), abort.code), ("key_server", 1));
    let abort = refused(registration(0, vec![0xab; 96])).await;
    assert_eq!((abort.package, abort.module.as_str(), abort.code), (Address::TWO, "group_ops", 1));
    net.devnet.shutdown().await;
}
