//! `floe_seal::allowlist`: a shared list of addresses allowed the keys whose id starts with the
//! list's object id, administered through an `AllowlistCap`; blob ids can be linked to it.

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::seal::{ALLOWLIST_BLOB_LINK, ALLOWLIST_VERSION, Allowlist, AllowlistCap};
use sui_sdk_types::{Address, TypeTag};

use super::{abort_in, has_prefix, returns, seal_type, string_type};
use crate::native::{CallError, ModuleFunctions, MoveCallContext, Value};

pub(crate) const E_INVALID_CAP: u64 = abort_code("allowlist", "EInvalidCap");
pub(crate) const E_NO_ACCESS: u64 = abort_code("allowlist", "ENoAccess");
pub(crate) const E_DUPLICATE: u64 = abort_code("allowlist", "EDuplicate");
pub(crate) const E_NOT_IN_LIST: u64 = abort_code("allowlist", "ENotInList");
pub(crate) const E_WRONG_VERSION: u64 = abort_code("allowlist", "EWrongVersion");

fn read_allowlist(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<Allowlist, CallError> {
    call.expect_type(args, index, &seal_type(call, "allowlist", "Allowlist", vec![]))?;
    call.read(args, index)
}

fn read_cap(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<AllowlistCap, CallError> {
    call.expect_type(args, index, &seal_type(call, "allowlist", "AllowlistCap", vec![]))?;
    call.read(args, index)
}

/// `check_admin`: the list is of this version and the cap is its own.
fn check_admin(allowlist: &Allowlist, cap: &AllowlistCap) -> Result<(), CallError> {
    if allowlist.version != ALLOWLIST_VERSION {
        return Err(abort_in("allowlist", "check_admin", E_WRONG_VERSION));
    }
    if cap.allowlist_id != allowlist.id {
        return Err(abort_in("allowlist", "check_admin", E_INVALID_CAP));
    }
    Ok(())
}

fn check_policy(id: &[u8], allowlist: &Allowlist, caller: Address) -> Result<bool, CallError> {
    if allowlist.version != ALLOWLIST_VERSION {
        return Err(abort_in("allowlist", "check_policy", E_WRONG_VERSION));
    }
    Ok(has_prefix(id, allowlist.id.as_bytes()) && allowlist.list.contains(&caller))
}

/// The administered list (argument 0) after checking the cap (argument 1).
fn administered(call: &MoveCallContext<'_>, args: &[Value]) -> Result<Allowlist, CallError> {
    let allowlist = read_allowlist(call, args, 0)?;
    check_admin(&allowlist, &read_cap(call, args, 1)?)?;
    Ok(allowlist)
}

pub(super) const FUNCTIONS: ModuleFunctions = &[
    ("create_allowlist", |call, args| {
        let name: String = call.pure(args, 0)?;
        let id = call.new_id();
        let allowlist = Allowlist { id, version: ALLOWLIST_VERSION, name, list: Vec::new() };
        let shared = call.create(id, seal_type(call, "allowlist", "Allowlist", vec![]), false, &allowlist)?;
        call.share(&[shared], 0)?;
        let cap_id = call.new_id();
        let cap = AllowlistCap { id: cap_id, allowlist_id: id };
        Ok(vec![call.create(cap_id, seal_type(call, "allowlist", "AllowlistCap", vec![]), true, &cap)?])
    }),
    ("add", |call, args| {
        let mut allowlist = administered(call, args)?;
        let account: Address = call.pure(args, 2)?;
        if allowlist.list.contains(&account) {
            return Err(abort_in("allowlist", "add", E_DUPLICATE));
        }
        allowlist.list.push(account);
        call.write(args, 0, &allowlist).map(|()| vec![])
    }),
    ("remove", |call, args| {
        let mut allowlist = administered(call, args)?;
        let account: Address = call.pure(args, 2)?;
        let index = allowlist
            .list
            .iter()
            .position(|a| *a == account)
            .ok_or_else(|| abort_in("allowlist", "remove", E_NOT_IN_LIST))?;
        // `vector::remove` keeps the order of the others.
        allowlist.list.remove(index);
        call.write(args, 0, &allowlist).map(|()| vec![])
    }),
    ("publish", |call, args| {
        let allowlist = administered(call, args)?;
        let blob_id: String = call.pure(args, 2)?;
        call.add_field(allowlist.id, string_type(), &blob_id, TypeTag::U8, &ALLOWLIST_BLOB_LINK).map(|()| vec![])
    }),
    ("has_blob", |call, args| {
        let allowlist = read_allowlist(call, args, 0)?;
        let blob_id: String = call.pure(args, 1)?;
        returns(&call.has_field(allowlist.id, &string_type(), &blob_id))
    }),
    ("check_policy", |call, args| {
        let id: Vec<u8> = call.pure(args, 0)?;
        let allowlist = read_allowlist(call, args, 1)?;
        let caller: Address = call.pure(args, 2)?;
        returns(&check_policy(&id, &allowlist, caller)?)
    }),
    ("seal_approve", |call, args| {
        let id: Vec<u8> = call.pure(args, 0)?;
        let allowlist = read_allowlist(call, args, 1)?;
        if !check_policy(&id, &allowlist, call.sender())? {
            return Err(abort_in("allowlist", "seal_approve", E_NO_ACCESS));
        }
        Ok(vec![])
    }),
    ("name", |call, args| returns(&read_allowlist(call, args, 0)?.name)),
    ("list", |call, args| returns(&read_allowlist(call, args, 0)?.list)),
    ("allowlist_id", |call, args| returns(&read_cap(call, args, 0)?.allowlist_id)),
];
