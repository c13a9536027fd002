//! `floe_seal::subscription`: a shared `Service<T>` sells time-limited access for an exact fee
//! in coin `T`; a `Subscription` unlocks the keys under the service's id until it expires.

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::seal::{Service, ServiceCap, Subscription};
use sui_sdk_types::{Address, StructTag};

use super::{abort_in, clock_ms, has_prefix, returns, seal_type, single_type_arg};
use crate::framework::CoinValue;
use crate::native::{CallError, ModuleFunctions, MoveCallContext, Value};

pub(crate) const E_INVALID_FEE: u64 = abort_code("subscription", "EInvalidFee");
pub(crate) const E_NO_ACCESS: u64 = abort_code("subscription", "ENoAccess");
pub(crate) const E_INVALID_CAP: u64 = abort_code("subscription", "EInvalidCap");

/// `Service<T>` for the call's type argument `T`.
fn service_type(call: &MoveCallContext<'_>) -> Result<StructTag, CallError> {
    Ok(seal_type(call, "subscription", "Service", vec![single_type_arg(call)?]))
}

fn read_service(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<Service, CallError> {
    call.expect_type(args, index, &service_type(call)?)?;
    call.read(args, index)
}

fn read_subscription(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<Subscription, CallError> {
    call.expect_type(args, index, &seal_type(call, "subscription", "Subscription", vec![]))?;
    call.read(args, index)
}

fn read_cap(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<ServiceCap, CallError> {
    call.expect_type(args, index, &seal_type(call, "subscription", "ServiceCap", vec![]))?;
    call.read(args, index)
}

/// `check_policy<T>(id, &Subscription, &Service<T>, &Clock)` with arguments in that order.
fn check_policy(call: &MoveCallContext<'_>, args: &[Value]) -> Result<bool, CallError> {
    let id: Vec<u8> = call.pure(args, 0)?;
    let subscription = read_subscription(call, args, 1)?;
    let service = read_service(call, args, 2)?;
    let now = clock_ms(call, args, 3)?;
    // Move's `+` aborts on overflow; a service that long-lived never expires in practice.
    let expires = subscription.created_at_ms.saturating_add(service.ttl_ms);
    Ok(subscription.service_id == service.id && now <= expires && has_prefix(&id, service.id.as_bytes()))
}

pub(super) const FUNCTIONS: ModuleFunctions = &[
    ("create_service", |call, args| {
        let fee: u64 = call.pure(args, 0)?;
        let ttl_ms: u64 = call.pure(args, 1)?;
        let name: String = call.pure(args, 2)?;
        let id = call.new_id();
        let service = Service { id, fee, ttl_ms, owner: call.sender(), name };
        let shared = call.create(id, service_type(call)?, false, &service)?;
        call.share(&[shared], 0)?;
        let cap_id = call.new_id();
        let cap = ServiceCap { id: cap_id, service_id: id };
        Ok(vec![call.create(cap_id, seal_type(call, "subscription", "ServiceCap", vec![]), true, &cap)?])
    }),
    ("set_fee", |call, args| {
        let mut service = read_service(call, args, 0)?;
        if read_cap(call, args, 1)?.service_id != service.id {
            return Err(abort_in("subscription", "set_fee", E_INVALID_CAP));
        }
        service.fee = call.pure(args, 2)?;
        call.write(args, 0, &service).map(|()| vec![])
    }),
    ("subscribe", |call, args| {
        let service = read_service(call, args, 0)?;
        call.expect_type(args, 1, &StructTag::coin(single_type_arg(call)?))?;
        let payment: CoinValue = call.read(args, 1)?;
        let now = clock_ms(call, args, 2)?;
        if payment.value != service.fee {
            return Err(abort_in("subscription", "subscribe", E_INVALID_FEE));
        }
        call.transfer(args, 1, service.owner)?;
        let id = call.new_id();
        let subscription = Subscription { id, service_id: service.id, created_at_ms: now };
        // `Subscription` has no `store`: only this module can move it.
        Ok(vec![call.create(id, seal_type(call, "subscription", "Subscription", vec![]), false, &subscription)?])
    }),
    ("transfer", |call, args| {
        read_subscription(call, args, 0)?;
        let recipient: Address = call.pure(args, 1)?;
        call.transfer(args, 0, recipient).map(|()| vec![])
    }),
    ("check_policy", |call, args| returns(&check_policy(call, args)?)),
    ("seal_approve", |call, args| {
        if !check_policy(call, args)? {
            return Err(abort_in("subscription", "seal_approve", E_NO_ACCESS));
        }
        Ok(vec![])
    }),
    ("fee", |call, args| returns(&read_service(call, args, 0)?.fee)),
    ("ttl_ms", |call, args| returns(&read_service(call, args, 0)?.ttl_ms)),
    ("owner", |call, args| returns(&read_service(call, args, 0)?.owner)),
    ("name", |call, args| returns(&read_service(call, args, 0)?.name)),
    ("cap_service_id", |call, args| returns(&read_cap(call, args, 0)?.service_id)),
    ("service_id", |call, args| returns(&read_subscription(call, args, 0)?.service_id)),
    ("created_at_ms", |call, args| returns(&read_subscription(call, args, 0)?.created_at_ms)),
];
