//! Calls into the Seal access-policy package (`floe_seal`): allowlists, subscriptions, the
//! owner and time-lock policies, and key-server registration. The `seal_approve*` calls are
//! what a key server simulates to decide whether to release a key.

use sui_sdk_types::{Address, TypeTag};
use sui_transaction_builder::{Argument, TransactionBuilder};

use super::{SharedObject, bytes, function, pure, string};
use crate::deployment::Packages;

/// Calls into a deployment's Seal package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealCalls {
    /// The Seal package id.
    pub package: Address,
    /// The shared `Clock` (0x6).
    pub clock: SharedObject,
}

/// What a key server registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyServerRegistration {
    /// A name for people.
    pub name: String,
    /// Where the server answers.
    pub url: String,
    /// 0 = Boneh-Franklin on BLS12-381 (the only type the package accepts).
    pub key_type: u8,
    /// The master public key (96-byte compressed G2).
    pub public_key: Vec<u8>,
}

impl SealCalls {
    /// Calls for a deployment's Seal package.
    pub fn new(packages: &Packages) -> Self {
        Self { package: packages.seal, clock: SharedObject::CLOCK }
    }

    /// `allowlist::create_allowlist(name)`: shares a new `Allowlist`. Returns its
    /// `AllowlistCap`.
    pub fn create_allowlist(&self, builder: &mut TransactionBuilder, name: &str) -> Argument {
        let args = vec![string(builder, name)];
        builder.move_call(function(self.package, "allowlist", "create_allowlist"), args)
    }

    /// `allowlist::add(&mut Allowlist, &AllowlistCap, account)`.
    pub fn allowlist_add(
        &self,
        builder: &mut TransactionBuilder,
        allowlist: &SharedObject,
        cap: Argument,
        account: Address,
    ) {
        let account = pure(builder, &account);
        self.allowlist_admin(builder, "add", allowlist, cap, account);
    }

    /// `allowlist::remove(&mut Allowlist, &AllowlistCap, account)`.
    pub fn allowlist_remove(
        &self,
        builder: &mut TransactionBuilder,
        allowlist: &SharedObject,
        cap: Argument,
        account: Address,
    ) {
        let account = pure(builder, &account);
        self.allowlist_admin(builder, "remove", allowlist, cap, account);
    }

    /// `allowlist::publish(&mut Allowlist, &AllowlistCap, blob_id: String)`.
    pub fn allowlist_publish(
        &self,
        builder: &mut TransactionBuilder,
        allowlist: &SharedObject,
        cap: Argument,
        blob_id: &str,
    ) {
        let blob_id = string(builder, blob_id);
        self.allowlist_admin(builder, "publish", allowlist, cap, blob_id);
    }

    fn allowlist_admin(
        &self,
        builder: &mut TransactionBuilder,
        name: &'static str,
        allowlist: &SharedObject,
        cap: Argument,
        value: Argument,
    ) {
        let allowlist = allowlist.add(builder, true);
        builder.move_call(function(self.package, "allowlist", name), vec![allowlist, cap, value]);
    }

    /// `allowlist::seal_approve(id, &Allowlist)`.
    pub fn allowlist_seal_approve(&self, builder: &mut TransactionBuilder, id: &[u8], allowlist: &SharedObject) {
        let args = vec![bytes(builder, id), allowlist.add(builder, false)];
        builder.move_call(function(self.package, "allowlist", "seal_approve"), args);
    }

    /// `owner_policy::seal_approve(id)`.
    pub fn owner_seal_approve(&self, builder: &mut TransactionBuilder, id: &[u8]) {
        let args = vec![bytes(builder, id)];
        builder.move_call(function(self.package, "owner_policy", "seal_approve"), args);
    }

    /// `time_lock::seal_approve(id, &Clock)`.
    pub fn time_lock_seal_approve(&self, builder: &mut TransactionBuilder, id: &[u8]) {
        let args = vec![bytes(builder, id), self.clock.add(builder, false)];
        builder.move_call(function(self.package, "time_lock", "seal_approve"), args);
    }

    /// `subscription::create_service<T>(fee, ttl_ms, name)`: shares a new `Service<T>`.
    /// Returns its `ServiceCap`.
    pub fn create_service(
        &self,
        builder: &mut TransactionBuilder,
        coin_type: &TypeTag,
        fee: u64,
        ttl_ms: u64,
        name: &str,
    ) -> Argument {
        let args = vec![pure(builder, &fee), pure(builder, &ttl_ms), string(builder, name)];
        let call = function(self.package, "subscription", "create_service").with_type_args(vec![coin_type.clone()]);
        builder.move_call(call, args)
    }

    /// `subscription::set_fee<T>(&mut Service<T>, &ServiceCap, fee)`.
    pub fn set_service_fee(
        &self,
        builder: &mut TransactionBuilder,
        coin_type: &TypeTag,
        service: &SharedObject,
        cap: Argument,
        fee: u64,
    ) {
        let args = vec![service.add(builder, true), cap, pure(builder, &fee)];
        let call = function(self.package, "subscription", "set_fee").with_type_args(vec![coin_type.clone()]);
        builder.move_call(call, args);
    }

    /// `subscription::subscribe<T>(&Service<T>, Coin<T>, &Clock)`: pays exactly the fee.
    /// Returns the `Subscription` (which has no `store`: hand it on with
    /// [`SealCalls::transfer_subscription`]).
    pub fn subscribe(
        &self,
        builder: &mut TransactionBuilder,
        coin_type: &TypeTag,
        service: &SharedObject,
        payment: Argument,
    ) -> Argument {
        let args = vec![service.add(builder, false), payment, self.clock.add(builder, false)];
        let call = function(self.package, "subscription", "subscribe").with_type_args(vec![coin_type.clone()]);
        builder.move_call(call, args)
    }

    /// `subscription::transfer(Subscription, recipient)`.
    pub fn transfer_subscription(&self, builder: &mut TransactionBuilder, subscription: Argument, recipient: Address) {
        let args = vec![subscription, pure(builder, &recipient)];
        builder.move_call(function(self.package, "subscription", "transfer"), args);
    }

    /// `subscription::seal_approve<T>(id, &Subscription, &Service<T>, &Clock)`.
    pub fn subscription_seal_approve(
        &self,
        builder: &mut TransactionBuilder,
        coin_type: &TypeTag,
        id: &[u8],
        subscription: Argument,
        service: &SharedObject,
    ) {
        let args = vec![bytes(builder, id), subscription, service.add(builder, false), self.clock.add(builder, false)];
        let call = function(self.package, "subscription", "seal_approve").with_type_args(vec![coin_type.clone()]);
        builder.move_call(call, args);
    }

    /// `key_server::register(name, url, key_type, public_key)`. Returns the `KeyServer`.
    pub fn register_key_server(&self, builder: &mut TransactionBuilder, server: &KeyServerRegistration) -> Argument {
        let args = self.key_server_args(builder, server);
        builder.move_call(function(self.package, "key_server", "register"), args)
    }

    /// `key_server::register_and_transfer(name, url, key_type, public_key)`: the `KeyServer`
    /// goes to the sender.
    pub fn register_key_server_and_transfer(&self, builder: &mut TransactionBuilder, server: &KeyServerRegistration) {
        let args = self.key_server_args(builder, server);
        builder.move_call(function(self.package, "key_server", "register_and_transfer"), args);
    }

    fn key_server_args(&self, builder: &mut TransactionBuilder, server: &KeyServerRegistration) -> Vec<Argument> {
        vec![
            string(builder, &server.name),
            string(builder, &server.url),
            pure(builder, &server.key_type),
            bytes(builder, &server.public_key),
        ]
    }

    /// `key_server::update_url(&mut KeyServer, url)`.
    pub fn update_key_server_url(&self, builder: &mut TransactionBuilder, server: Argument, url: &str) {
        let args = vec![server, string(builder, url)];
        builder.move_call(function(self.package, "key_server", "update_url"), args);
    }
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::{Address, StructTag, TypeTag};
    use sui_transaction_builder::TransactionBuilder;

    use super::*;
    use crate::floe::calls::inspect::{Arg, build, clock, owned, owned_arg, packages, pure, single};

    fn seal() -> SealCalls {
        SealCalls::new(&packages())
    }

    fn shared(byte: u8, mutable: bool) -> Arg {
        Arg::Shared { id: Address::new([byte; 32]), version: 9, mutable }
    }

    fn sui() -> TypeTag {
        TypeTag::Struct(Box::new(StructTag::sui()))
    }

    #[test]
    fn allowlist_calls() {
        let seal = seal();
        let allowlist = SharedObject::new(Address::new([0xa1; 32]), 9);
        let mut tx = TransactionBuilder::new();
        let _cap = seal.create_allowlist(&mut tx, "team");
        let cap = owned(&mut tx, 0xac);
        seal.allowlist_add(&mut tx, &allowlist, cap, Address::new([0xa0; 32]));
        seal.allowlist_remove(&mut tx, &allowlist, cap, Address::new([0xa0; 32]));
        seal.allowlist_publish(&mut tx, &allowlist, cap, "blob");
        let built = build(tx);
        assert!(built.iter().all(|call| call.package == packages().seal && call.module == "allowlist"));
        assert_eq!(built[0].function, "create_allowlist");
        assert_eq!(built[0].args, vec![Arg::Pure(b"\x04team".to_vec())]);
        for (call, name) in built[1..].iter().zip(["add", "remove", "publish"]) {
            assert_eq!(call.function, name);
            assert_eq!(&call.args[..2], &[shared(0xa1, true), owned_arg(0xac)]);
        }
        assert_eq!(built[1].args[2], Arg::Pure(vec![0xa0; 32]));
        assert_eq!(built[3].args[2], Arg::Pure(b"\x04blob".to_vec()));
    }

    #[test]
    fn seal_approve_calls_take_the_id_first_and_read_only_objects() {
        let seal = seal();
        let allowlist = SharedObject::new(Address::new([0xa1; 32]), 9);
        let service = SharedObject::new(Address::new([0x5e; 32]), 9);
        let id = [0xa1; 33];
        let mut tx = TransactionBuilder::new();
        seal.allowlist_seal_approve(&mut tx, &id, &allowlist);
        seal.owner_seal_approve(&mut tx, &id);
        seal.time_lock_seal_approve(&mut tx, &1_000u64.to_le_bytes());
        let subscription = owned(&mut tx, 0x5b);
        seal.subscription_seal_approve(&mut tx, &sui(), &id, subscription, &service);
        let built = build(tx);
        let mut id_arg = vec![33];
        id_arg.extend(id);
        assert_eq!(built[0].name(), "allowlist::seal_approve");
        assert_eq!(built[0].args, vec![Arg::Pure(id_arg.clone()), shared(0xa1, false)]);
        assert_eq!(built[1].name(), "owner_policy::seal_approve");
        assert_eq!(built[1].args, vec![Arg::Pure(id_arg.clone())]);
        assert_eq!(built[2].name(), "time_lock::seal_approve");
        // The time-lock id is bcs(u64) passed as vector<u8>: length 8, then the LE bytes.
        assert_eq!(built[2].args, vec![Arg::Pure(vec![8, 0xe8, 3, 0, 0, 0, 0, 0, 0]), clock()]);
        assert_eq!(built[3].name(), "subscription::seal_approve");
        assert_eq!(built[3].type_args, vec![sui()]);
        assert_eq!(built[3].args, vec![Arg::Pure(id_arg), owned_arg(0x5b), shared(0x5e, false), clock()]);
    }

    #[test]
    fn subscription_calls_carry_the_coin_type() {
        let seal = seal();
        let service = SharedObject::new(Address::new([0x5e; 32]), 9);
        let mut tx = TransactionBuilder::new();
        let _cap = seal.create_service(&mut tx, &sui(), 10, 60_000, "news");
        let cap = owned(&mut tx, 0x5c);
        seal.set_service_fee(&mut tx, &sui(), &service, cap, 12);
        let coin = owned(&mut tx, 0xc0);
        let subscription = seal.subscribe(&mut tx, &sui(), &service, coin);
        seal.transfer_subscription(&mut tx, subscription, Address::new([0xee; 32]));
        let built = build(tx);
        assert_eq!(built[0].name(), "subscription::create_service");
        assert_eq!(built[0].type_args, vec![sui()]);
        assert_eq!(built[0].args, vec![pure(&10u64), pure(&60_000u64), Arg::Pure(b"\x04news".to_vec())]);
        assert_eq!(built[1].name(), "subscription::set_fee");
        assert_eq!(built[1].args, vec![shared(0x5e, true), owned_arg(0x5c), pure(&12u64)]);
        assert_eq!(built[2].name(), "subscription::subscribe");
        // Service is read-only in subscribe but mutable in set_fee: one mutable input.
        assert_eq!(built[2].args, vec![shared(0x5e, true), owned_arg(0xc0), clock()]);
        assert_eq!(built[3].name(), "subscription::transfer");
        assert!(built[3].type_args.is_empty());
        assert_eq!(built[3].args, vec![Arg::Result(2), Arg::Pure(vec![0xee; 32])]);
    }

    #[test]
    fn key_server_calls() {
        let seal = seal();
        let server = KeyServerRegistration {
            name: "ks".into(),
            url: "http://127.0.0.1:2024".into(),
            key_type: 0,
            public_key: vec![0xb0; 96],
        };
        let mut tx = TransactionBuilder::new();
        let registered = seal.register_key_server(&mut tx, &server);
        seal.update_key_server_url(&mut tx, registered, "http://127.0.0.1:2025");
        seal.register_key_server_and_transfer(&mut tx, &server);
        let built = build(tx);
        assert_eq!(built[0].name(), "key_server::register");
        let mut key = vec![96];
        key.extend([0xb0; 96]);
        let expected_args =
            vec![Arg::Pure(b"\x02ks".to_vec()), pure(&"http://127.0.0.1:2024"), Arg::Pure(vec![0]), Arg::Pure(key)];
        assert_eq!(built[0].args, expected_args);
        assert_eq!(built[1].name(), "key_server::update_url");
        assert_eq!(built[1].args, vec![Arg::Result(0), pure(&"http://127.0.0.1:2025")]);
        assert_eq!(built[2].name(), "key_server::register_and_transfer");
        assert_eq!(built[2].args, expected_args);
    }

    #[test]
    fn a_lone_subscribe_reads_the_service() {
        let seal = seal();
        let service = SharedObject::new(Address::new([0x5e; 32]), 9);
        let mut tx = TransactionBuilder::new();
        let coin = owned(&mut tx, 0xc0);
        seal.subscribe(&mut tx, &sui(), &service, coin);
        assert_eq!(single(tx).args[0], shared(0x5e, false));
    }
}
