/// Paid subscription: a shared `Service` sells time-limited access for a fee in coin `T`; a
/// `Subscription` lets its holder decrypt data whose key id starts with the service's id until
/// it expires.
module floe_seal::subscription;

use floe_seal::identity;
use std::string::String;
use sui::clock::Clock;
use sui::coin::Coin;

/// The payment is not exactly the service's fee.
const EInvalidFee: u64 = 0;
/// The subscription is for another service, has expired, or the key id is not the service's.
const ENoAccess: u64 = 1;
/// The capability is for another service.
const EInvalidCap: u64 = 2;

/// A service selling access for `fee` per `ttl_ms`, paid to `owner`.
public struct Service<phantom T> has key {
    id: UID,
    fee: u64,
    ttl_ms: u64,
    owner: address,
    name: String,
}

/// Administers one service.
public struct ServiceCap has key, store {
    id: UID,
    service_id: ID,
}

/// Access to a service from `created_at_ms` for the service's ttl. Not transferable by others
/// than its holder through `transfer`.
public struct Subscription has key {
    id: UID,
    service_id: ID,
    created_at_ms: u64,
}

/// Creates and shares a service paid in `T`; its fees go to the sender.
public fun create_service<T>(fee: u64, ttl_ms: u64, name: String, ctx: &mut TxContext): ServiceCap {
    let service = Service<T> { id: object::new(ctx), fee, ttl_ms, owner: ctx.sender(), name };
    let cap = ServiceCap { id: object::new(ctx), service_id: object::id(&service) };
    transfer::share_object(service);
    cap
}

/// Changes the fee of new subscriptions.
public fun set_fee<T>(service: &mut Service<T>, cap: &ServiceCap, fee: u64) {
    assert!(cap.service_id == object::id(service), EInvalidCap);
    service.fee = fee;
}

/// Buys a subscription with exactly the fee, paid to the service owner.
public fun subscribe<T>(service: &Service<T>, payment: Coin<T>, clock: &Clock, ctx: &mut TxContext): Subscription {
    assert!(payment.value() == service.fee, EInvalidFee);
    transfer::public_transfer(payment, service.owner);
    Subscription { id: object::new(ctx), service_id: object::id(service), created_at_ms: clock.timestamp_ms() }
}

/// Hands a subscription to `recipient`.
public fun transfer(subscription: Subscription, recipient: address) {
    transfer::transfer(subscription, recipient);
}

/// Whether `subscription` gives access to `id` at the clock's time.
public fun check_policy<T>(id: &vector<u8>, subscription: &Subscription, service: &Service<T>, clock: &Clock): bool {
    subscription.service_id == object::id(service) &&
        clock.timestamp_ms() <= subscription.created_at_ms + service.ttl_ms &&
        identity::has_prefix(id, &object::id(service).to_bytes())
}

/// Approves the key for `id` for a live subscription to its service.
entry fun seal_approve<T>(id: vector<u8>, subscription: &Subscription, service: &Service<T>, clock: &Clock) {
    assert!(check_policy(&id, subscription, service, clock), ENoAccess);
}

/// The fee.
public fun fee<T>(service: &Service<T>): u64 { service.fee }

/// How long a subscription lasts, in ms.
public fun ttl_ms<T>(service: &Service<T>): u64 { service.ttl_ms }

/// Who receives the fees.
public fun owner<T>(service: &Service<T>): address { service.owner }

/// The service's name.
public fun name<T>(service: &Service<T>): &String { &service.name }

/// The service a capability administers.
public fun cap_service_id(cap: &ServiceCap): ID { cap.service_id }

/// The service a subscription is for.
public fun service_id(subscription: &Subscription): ID { subscription.service_id }

/// When a subscription started.
public fun created_at_ms(subscription: &Subscription): u64 { subscription.created_at_ms }

#[test_only]
/// Calls the entry function from tests.
public fun seal_approve_for_testing<T>(id: vector<u8>, subscription: &Subscription, service: &Service<T>, clock: &Clock) {
    seal_approve(id, subscription, service, clock)
}
