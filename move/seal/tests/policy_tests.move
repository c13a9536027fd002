#[test_only]
module floe_seal::policy_tests;

use floe_seal::allowlist::{Self, Allowlist};
use floe_seal::identity;
use floe_seal::key_server::{Self, KeyServer};
use floe_seal::owner_policy;
use floe_seal::subscription::{Self, Service, Subscription};
use floe_seal::time_lock;
use std::unit_test::destroy;
use sui::clock;
use sui::coin::{Self, Coin};
use sui::sui::SUI;
use sui::test_scenario;

const ADMIN: address = @0xAD;
const ALICE: address = @0xA11CE;
const BOB: address = @0xB0B;
/// 7 * the G2 generator, compressed: a valid IBE public key.
const SERVER_PK: vector<u8> = x"8d0273f6bf31ed37c3b8d68083ec3d8e20b5f2cc170fa24b9b5be35b34ed013f9a921f1cad1644d4bdb14674247234c8049cd1dbb2d2c3581e54c088135fef36505a6823d61b859437bfc79b617030dc8b40e32bad1fa85b9c0f368af6d38d3c";

fun with_nonce(mut prefix: vector<u8>, nonce: vector<u8>): vector<u8> {
    prefix.append(nonce);
    prefix
}

#[test]
fun prefixes_match_byte_for_byte() {
    assert!(identity::has_prefix(&x"010203", &x"0102"));
    assert!(identity::has_prefix(&x"0102", &x""));
    assert!(!identity::has_prefix(&x"01", &x"0102"));
    assert!(!identity::has_prefix(&x"010303", &x"0102"));
}

// === Owner only ===

#[test]
fun the_owner_gets_keys_under_its_address() {
    let ctx = tx_context::new_from_hint(ALICE, 0, 0, 0, 0);
    owner_policy::seal_approve_for_testing(with_nonce(ALICE.to_bytes(), b"n1"), &ctx);
    assert!(owner_policy::check_policy(&ALICE.to_bytes(), ALICE));
    assert!(!owner_policy::check_policy(&with_nonce(BOB.to_bytes(), b"n1"), ALICE));
}

#[test, expected_failure(abort_code = owner_policy::ENoAccess)]
fun someone_else_is_denied_owner_only_data() {
    let ctx = tx_context::new_from_hint(BOB, 0, 0, 0, 0);
    owner_policy::seal_approve_for_testing(with_nonce(ALICE.to_bytes(), b"n1"), &ctx);
}

// === Allowlist ===

#[test]
fun listed_accounts_get_keys_under_the_allowlist_id() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = allowlist::create_allowlist(b"team".to_string(), scenario.ctx());
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared<Allowlist>();
    assert!(cap.allowlist_id() == object::id(&list) && list.name() == &b"team".to_string());
    list.add(&cap, ALICE);
    list.add(&cap, BOB);
    list.remove(&cap, BOB);
    assert!(list.list() == &vector[ALICE]);
    list.publish(&cap, b"blob-1".to_string());
    assert!(list.has_blob(b"blob-1".to_string()) && !list.has_blob(b"blob-2".to_string()));
    let id = with_nonce(object::id(&list).to_bytes(), b"nonce");
    let alice = tx_context::new_from_hint(ALICE, 1, 0, 0, 0);
    allowlist::seal_approve_for_testing(id, &list, &alice);
    assert!(!allowlist::check_policy(&id, &list, BOB));
    assert!(!allowlist::check_policy(&with_nonce(BOB.to_bytes(), b"nonce"), &list, ALICE));
    test_scenario::return_shared(list);
    destroy(cap);
    scenario.end();
}

#[test, expected_failure(abort_code = allowlist::ENoAccess)]
fun an_unlisted_account_is_denied() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = allowlist::create_allowlist(b"team".to_string(), scenario.ctx());
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared<Allowlist>();
    list.add(&cap, ALICE);
    let bob = tx_context::new_from_hint(BOB, 1, 0, 0, 0);
    allowlist::seal_approve_for_testing(object::id(&list).to_bytes(), &list, &bob);
    test_scenario::return_shared(list);
    destroy(cap);
    scenario.end();
}

#[test, expected_failure(abort_code = allowlist::ENoAccess)]
fun a_listed_account_is_denied_keys_of_other_ids() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = allowlist::create_allowlist(b"team".to_string(), scenario.ctx());
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared<Allowlist>();
    list.add(&cap, ALICE);
    let alice = tx_context::new_from_hint(ALICE, 1, 0, 0, 0);
    allowlist::seal_approve_for_testing(x"00", &list, &alice);
    test_scenario::return_shared(list);
    destroy(cap);
    scenario.end();
}

#[test, expected_failure(abort_code = allowlist::EInvalidCap)]
fun another_lists_capability_cannot_edit() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap_a = allowlist::create_allowlist(b"a".to_string(), scenario.ctx());
    let cap_b = allowlist::create_allowlist(b"b".to_string(), scenario.ctx());
    scenario.next_tx(ADMIN);
    let mut list_a = scenario.take_shared_by_id<Allowlist>(cap_a.allowlist_id());
    list_a.add(&cap_b, ALICE);
    test_scenario::return_shared(list_a);
    destroy(cap_a);
    destroy(cap_b);
    scenario.end();
}

#[test, expected_failure(abort_code = allowlist::EDuplicate)]
fun adding_twice_is_rejected() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = allowlist::create_allowlist(b"team".to_string(), scenario.ctx());
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared<Allowlist>();
    list.add(&cap, ALICE);
    list.add(&cap, ALICE);
    test_scenario::return_shared(list);
    destroy(cap);
    scenario.end();
}

#[test, expected_failure(abort_code = allowlist::ENotInList)]
fun removing_an_unlisted_account_is_rejected() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = allowlist::create_allowlist(b"team".to_string(), scenario.ctx());
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared<Allowlist>();
    list.remove(&cap, ALICE);
    test_scenario::return_shared(list);
    destroy(cap);
    scenario.end();
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun an_allowlist_of_another_version_is_refused() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = allowlist::create_allowlist(b"team".to_string(), scenario.ctx());
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared<Allowlist>();
    list.set_version_for_testing(2);
    allowlist::check_policy(&x"", &list, ALICE);
    test_scenario::return_shared(list);
    destroy(cap);
    scenario.end();
}

// === Subscription ===

#[test]
fun a_subscriber_gets_keys_until_the_subscription_expires() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = subscription::create_service<SUI>(100, 1_000, b"news".to_string(), scenario.ctx());
    scenario.next_tx(ALICE);
    let mut service = scenario.take_shared<Service<SUI>>();
    assert!(service.fee() == 100 && service.ttl_ms() == 1_000 && service.owner() == ADMIN);
    assert!(service.name() == &b"news".to_string());
    let mut clock = clock::create_for_testing(scenario.ctx());
    clock.set_for_testing(5_000);
    let sub = service.subscribe(coin::mint_for_testing<SUI>(100, scenario.ctx()), &clock, scenario.ctx());
    assert!(sub.service_id() == object::id(&service) && sub.created_at_ms() == 5_000);
    let id = with_nonce(object::id(&service).to_bytes(), b"issue-1");
    subscription::seal_approve_for_testing(id, &sub, &service, &clock);
    clock.set_for_testing(6_000);
    assert!(subscription::check_policy(&id, &sub, &service, &clock));
    clock.set_for_testing(6_001);
    assert!(!subscription::check_policy(&id, &sub, &service, &clock));
    service.set_fee(&cap, 200);
    assert!(service.fee() == 200);
    subscription::transfer(sub, ALICE);
    test_scenario::return_shared(service);
    // The fee went to the service owner.
    scenario.next_tx(ADMIN);
    let fee = scenario.take_from_sender<Coin<SUI>>();
    assert!(fee.value() == 100);
    scenario.return_to_sender(fee);
    scenario.next_tx(ALICE);
    assert!(scenario.has_most_recent_for_sender<Subscription>());
    destroy(cap);
    clock.destroy_for_testing();
    scenario.end();
}

#[test, expected_failure(abort_code = subscription::ENoAccess)]
fun an_expired_subscription_is_denied() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = subscription::create_service<SUI>(100, 1_000, b"news".to_string(), scenario.ctx());
    scenario.next_tx(ALICE);
    let service = scenario.take_shared<Service<SUI>>();
    let mut clock = clock::create_for_testing(scenario.ctx());
    let sub = service.subscribe(coin::mint_for_testing<SUI>(100, scenario.ctx()), &clock, scenario.ctx());
    clock.set_for_testing(1_001);
    subscription::seal_approve_for_testing(object::id(&service).to_bytes(), &sub, &service, &clock);
    abort 99
}

#[test, expected_failure(abort_code = subscription::ENoAccess)]
fun a_subscription_to_another_service_is_denied() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap_a = subscription::create_service<SUI>(1, 1_000, b"a".to_string(), scenario.ctx());
    let cap_b = subscription::create_service<SUI>(1, 1_000, b"b".to_string(), scenario.ctx());
    scenario.next_tx(ALICE);
    let service_a = scenario.take_shared_by_id<Service<SUI>>(cap_a.cap_service_id());
    let service_b = scenario.take_shared_by_id<Service<SUI>>(cap_b.cap_service_id());
    let clock = clock::create_for_testing(scenario.ctx());
    let sub_a = service_a.subscribe(coin::mint_for_testing<SUI>(1, scenario.ctx()), &clock, scenario.ctx());
    subscription::seal_approve_for_testing(object::id(&service_b).to_bytes(), &sub_a, &service_b, &clock);
    abort 99
}

#[test, expected_failure(abort_code = subscription::EInvalidFee)]
fun a_payment_other_than_the_fee_is_rejected() {
    let mut scenario = test_scenario::begin(ADMIN);
    let _cap = subscription::create_service<SUI>(100, 1_000, b"news".to_string(), scenario.ctx());
    scenario.next_tx(ALICE);
    let service = scenario.take_shared<Service<SUI>>();
    let clock = clock::create_for_testing(scenario.ctx());
    let _sub = service.subscribe(coin::mint_for_testing<SUI>(99, scenario.ctx()), &clock, scenario.ctx());
    abort 99
}

#[test, expected_failure(abort_code = subscription::EInvalidCap)]
fun another_services_capability_cannot_set_the_fee() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap_a = subscription::create_service<SUI>(1, 1_000, b"a".to_string(), scenario.ctx());
    let cap_b = subscription::create_service<SUI>(1, 1_000, b"b".to_string(), scenario.ctx());
    scenario.next_tx(ADMIN);
    let mut service_a = scenario.take_shared_by_id<Service<SUI>>(cap_a.cap_service_id());
    service_a.set_fee(&cap_b, 5);
    abort 99
}

// === Time lock ===

#[test]
fun a_time_locked_key_is_released_at_its_unlock_time() {
    let ctx = &mut tx_context::dummy();
    let mut clock = clock::create_for_testing(ctx);
    let id = time_lock::id_for(1_700_000_000_000);
    assert!(id.length() == 8 && time_lock::unlock_time_ms(id) == 1_700_000_000_000);
    clock.set_for_testing(1_699_999_999_999);
    assert!(!time_lock::check_policy(id, &clock));
    clock.set_for_testing(1_700_000_000_000);
    time_lock::seal_approve_for_testing(id, &clock);
    clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = time_lock::ENoAccess)]
fun a_time_locked_key_is_denied_before_its_unlock_time() {
    let ctx = &mut tx_context::dummy();
    let clock = clock::create_for_testing(ctx);
    time_lock::seal_approve_for_testing(time_lock::id_for(1), &clock);
    clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = time_lock::EInvalidId)]
fun a_time_lock_id_with_extra_bytes_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let clock = clock::create_for_testing(ctx);
    time_lock::seal_approve_for_testing(x"000000000000000000", &clock);
    clock.destroy_for_testing();
}

// === Key servers ===

#[test]
fun a_key_server_registers_and_updates_its_url() {
    let mut scenario = test_scenario::begin(ADMIN);
    let mut server = key_server::register(b"ks1".to_string(), b"https://ks1.example".to_string(), 0, SERVER_PK, scenario.ctx());
    // Seal's versioned layout: the object names version 2, whose details are a dynamic field.
    assert!(server.first_version() == 2 && server.last_version() == 2);
    assert!(server.name() == &b"ks1".to_string() && server.key_type() == 0 && server.public_key() == &SERVER_PK);
    assert!(server.url() == &b"https://ks1.example".to_string());
    server.update_url(b"https://ks1.example/v2".to_string());
    assert!(server.url() == &b"https://ks1.example/v2".to_string());
    assert!(server.name() == &b"ks1".to_string() && server.public_key() == &SERVER_PK);
    destroy(server);
    key_server::register_and_transfer_for_testing(b"ks2".to_string(), b"u".to_string(), 0, SERVER_PK, scenario.ctx());
    scenario.next_tx(ADMIN);
    let owned = scenario.take_from_sender<KeyServer>();
    assert!(owned.name() == &b"ks2".to_string() && owned.url() == &b"u".to_string() && owned.last_version() == 2);
    scenario.return_to_sender(owned);
    scenario.end();
}

#[test, expected_failure(abort_code = key_server::EInvalidKeyType)]
fun an_unknown_key_type_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let server = key_server::register(b"ks".to_string(), b"u".to_string(), 1, SERVER_PK, ctx);
    destroy(server);
}

#[test, expected_failure(abort_code = key_server::EInvalidPublicKey)]
fun a_public_key_of_the_wrong_length_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let server = key_server::register(b"ks".to_string(), b"u".to_string(), 0, x"0102", ctx);
    destroy(server);
}

// === Twins of the devnet's scenarios (devnet/tests/seal_policies.rs) ===

#[test, expected_failure(abort_code = owner_policy::ENoAccess)]
fun a_key_id_shorter_than_an_address_is_nobodys() {
    let ctx = tx_context::new_from_hint(ALICE, 0, 0, 0, 0);
    owner_policy::seal_approve_for_testing(x"010203", &ctx);
}

#[test, expected_failure(abort_code = allowlist::ENoAccess)]
fun a_removed_account_is_denied() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = allowlist::create_allowlist(b"team".to_string(), scenario.ctx());
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared<Allowlist>();
    list.add(&cap, BOB);
    let id = with_nonce(object::id(&list).to_bytes(), b"doc-1");
    let bob = tx_context::new_from_hint(BOB, 1, 0, 0, 0);
    allowlist::seal_approve_for_testing(id, &list, &bob);
    list.remove(&cap, BOB);
    allowlist::seal_approve_for_testing(id, &list, &bob);
    abort 99
}

#[test, expected_failure(abort_code = 0, location = sui::dynamic_field)]
fun publishing_a_blob_twice_is_rejected() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = allowlist::create_allowlist(b"list".to_string(), scenario.ctx());
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared<Allowlist>();
    list.publish(&cap, b"blob-a".to_string());
    list.publish(&cap, b"blob-a".to_string());
    abort 99
}

