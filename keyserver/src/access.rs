//! Managing who may open private blobs, on chain: allowlists (create, add, remove) and
//! subscription services (create, subscribe), each one signed transaction of the Seal package
//! ([`PolicyAccount`]), and reading them back ([`read_allowlist`], [`read_service`]). The shared
//! objects are what a [`Policy`](crate::private_blob::Policy) names.
//!
//! ```no_run
//! # async fn demo(chain: floe_chain::ChainClient, deployment: floe_chain::Deployment, key: floe_chain::Keypair)
//! # -> Result<(), floe_keyserver::access::AccessError> {
//! use floe_keyserver::access::PolicyAccount;
//! use floe_keyserver::private_blob::Policy;
//! use sui_sdk_types::Address;
//!
//! let account = PolicyAccount::new(&chain, &deployment.packages, &key);
//! let team = account.create_allowlist("team").await?;
//! account.update_allowlist(team.object.id, &[Address::from_static("0xb0b")], &[]).await?;
//! let policy = Policy::Allowlist(team.object); // seal blobs for the team with this
//! # Ok(()) }
//! ```

use floe_chain::floe::seal::{Allowlist, AllowlistCap, Service, Subscription};
use floe_chain::floe::{FloeObject, MoveType, ObjectMismatch, SealCalls, SharedObject};
use floe_chain::{
    ChainClient, ClientError, ExecuteError, Executed, Executor, Keypair, Packages, PaymentError, gas_budget,
    select_coins, split_payment,
};
use sui_sdk_types::{Address, Object, Owner, StructTag, TypeTag};
use sui_transaction_builder::{ObjectInput, TransactionBuilder};

/// Why a policy transaction could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The account cannot pay the fee, or its coins could not be read.
    #[error(transparent)]
    Payment(#[from] PaymentError),
    /// A read of the chain failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The policy transaction could not pay its gas, or the chain refused or failed it.
    #[error(transparent)]
    Execute(#[from] ExecuteError),
    /// The object is missing or is not what the call needs.
    #[error("{id} is not {expected}: {reason}")]
    WrongObject {
        /// The object id given.
        id: Address,
        /// What it should have been.
        expected: &'static str,
        /// What it is instead.
        #[source]
        reason: ObjectMismatch,
    },
    /// The account holds no capability for the allowlist.
    #[error("{owner} holds no AllowlistCap for allowlist {allowlist}; only its creator can change it")]
    NoCap {
        /// The allowlist.
        allowlist: Address,
        /// The account.
        owner: Address,
    },
    /// The transaction did not create what it should have.
    #[error("transaction {digest} created no {what}")]
    NotCreated {
        /// The transaction.
        digest: sui_sdk_types::Digest,
        /// The missing object.
        what: &'static str,
    },
}

/// A shared policy object just created, with the capability that administers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreatedPolicy {
    /// The shared object (allowlist or service), as a transaction input.
    pub object: SharedObject,
    /// Its capability, owned by the creator.
    pub cap: Address,
}

/// A subscription service, as read from the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The service as an input.
    pub object: SharedObject,
    /// The coin its fee is paid in.
    pub coin_type: TypeTag,
    /// Its fields (fee, ttl, owner, name).
    pub service: Service,
}

/// An account acting on Seal policies: the chain, the deployment's packages and the key that
/// signs and pays.
#[derive(Debug, Clone, Copy)]
pub struct PolicyAccount<'a> {
    chain: &'a ChainClient,
    packages: &'a Packages,
    key: &'a Keypair,
}

impl<'a> PolicyAccount<'a> {
    /// Acts on `packages`' Seal package through `chain`, signing with `key`.
    pub fn new(chain: &'a ChainClient, packages: &'a Packages, key: &'a Keypair) -> Self {
        Self { chain, packages, key }
    }

    fn seal(&self) -> SealCalls {
        SealCalls::new(self.packages)
    }

    /// Creates a shared allowlist named `name`, empty; the account gets its capability.
    pub async fn create_allowlist(&self, name: &str) -> Result<CreatedPolicy, AccessError> {
        let me = self.key.address();
        let executed = self
            .execute(0, |tx| {
                let cap = self.seal().create_allowlist(tx, name);
                let me = tx.pure(&me);
                tx.transfer_objects(vec![cap], me);
            })
            .await?;
        created_policy(&executed, me, "Allowlist")
    }

    /// Adds `add` to and removes `remove` from allowlist `id` in one transaction, with the
    /// account's capability; returns the list as it is afterwards.
    pub async fn update_allowlist(
        &self,
        id: Address,
        add: &[Address],
        remove: &[Address],
    ) -> Result<Allowlist, AccessError> {
        let (list, _) = read_allowlist(self.chain, self.packages, id).await?;
        let cap = self.owned_cap::<AllowlistCap>(|cap| cap.allowlist_id == id).await?;
        let cap = cap.ok_or(AccessError::NoCap { allowlist: id, owner: self.key.address() })?;
        self.execute(0, |tx| {
            let cap = tx.object(ObjectInput::owned(cap.object_id(), cap.version(), cap.digest()));
            for account in add {
                self.seal().allowlist_add(tx, &list, cap, *account);
            }
            for account in remove {
                self.seal().allowlist_remove(tx, &list, cap, *account);
            }
        })
        .await?;
        Ok(read_allowlist(self.chain, self.packages, id).await?.1)
    }

    /// Creates a shared service selling access for `fee` (smallest unit of `coin_type`) per
    /// `ttl_ms`; fees go to the account, which also gets the service's capability.
    pub async fn create_service(
        &self,
        coin_type: &TypeTag,
        fee: u64,
        ttl_ms: u64,
        name: &str,
    ) -> Result<CreatedPolicy, AccessError> {
        let me = self.key.address();
        let executed = self
            .execute(0, |tx| {
                let cap = self.seal().create_service(tx, coin_type, fee, ttl_ms, name);
                let me = tx.pure(&me);
                tx.transfer_objects(vec![cap], me);
            })
            .await?;
        created_policy(&executed, me, "Service")
    }

    /// Buys a subscription to service `id`, paying exactly its fee in its coin type (SUI comes
    /// out of the gas coin); returns the new `Subscription`, owned by the account.
    pub async fn subscribe(&self, id: Address) -> Result<Subscription, AccessError> {
        let info = read_service(self.chain, self.packages, id).await?;
        let fee = info.service.fee;
        let coin = match &info.coin_type {
            TypeTag::Struct(tag) if **tag != StructTag::sui() => Some(tag.as_ref().clone()),
            _ => None,
        };
        // SUI fees come out of the gas coin, which must then hold the fee on top of the budget.
        let extra_gas = if coin.is_none() { fee } else { 0 };
        let payment = match &coin {
            Some(tag) => Some(select_coins(self.chain, self.key.address(), tag, fee, &[]).await?),
            None => None,
        };
        let me = self.key.address();
        let executed = self
            .execute(extra_gas, |tx| {
                let paid = match &payment {
                    Some(coins) => split_payment(tx, coins, fee),
                    None => {
                        let fee = tx.pure(&fee);
                        let gas = tx.gas();
                        tx.split_coins(gas, vec![fee]).remove(0)
                    }
                };
                let subscription = self.seal().subscribe(tx, &info.coin_type, &info.object, paid);
                self.seal().transfer_subscription(tx, subscription, me);
            })
            .await?;
        // The fee coin may come back to the account too (when it runs the service itself), so
        // the subscription is told apart by its type.
        for created in executed.created().into_iter().filter(|o| o.owner == Owner::Address(me)) {
            let object = self.chain.get_object(*created.reference.object_id()).await?;
            if let Ok(FloeObject::Subscription(subscription)) = decode(self.packages, &object, "a subscription") {
                return Ok(subscription);
            }
        }
        Err(AccessError::NotCreated { digest: executed.digest, what: "Subscription" })
    }

    /// The account's object of type `T` (a capability) that `matches`, if any.
    async fn owned_cap<T: MoveType>(&self, matches: impl Fn(&T) -> bool) -> Result<Option<Object>, AccessError> {
        let owned = self.chain.owned_objects(self.key.address(), Some(&T::struct_tag(self.packages))).await?;
        Ok(owned.into_iter().find(|object| {
            object.as_struct().and_then(|s| bcs::from_bytes::<T>(s.contents()).ok()).is_some_and(|cap| matches(&cap))
        }))
    }

    /// Builds with `build`, signs with the account's key and executes. The gas coin must hold
    /// `extra_gas` on top of the budget.
    async fn execute(
        &self,
        extra_gas: u64,
        build: impl FnOnce(&mut TransactionBuilder),
    ) -> Result<Executed, AccessError> {
        let executor = Executor::new(self.chain.clone(), self.key.clone());
        Ok(executor.run_with_gas_spent(gas_budget::CALL, extra_gas, build).await?)
    }
}

/// Reads allowlist `id`: the shared object as an input, and its fields.
pub async fn read_allowlist(
    chain: &ChainClient,
    packages: &Packages,
    id: Address,
) -> Result<(SharedObject, Allowlist), AccessError> {
    let object = chain.get_object(id).await?;
    match decode(packages, &object, "an allowlist")? {
        FloeObject::Allowlist(list) => Ok((shared(&object, "an allowlist")?, list)),
        _ => Err(wrong(&object, "an allowlist")),
    }
}

/// Reads subscription service `id`.
pub async fn read_service(chain: &ChainClient, packages: &Packages, id: Address) -> Result<ServiceInfo, AccessError> {
    let object = chain.get_object(id).await?;
    match decode(packages, &object, "a subscription service")? {
        FloeObject::Service { coin_type, service } => {
            Ok(ServiceInfo { object: shared(&object, "a subscription service")?, coin_type, service })
        }
        _ => Err(wrong(&object, "a subscription service")),
    }
}

fn decode(packages: &Packages, object: &Object, expected: &'static str) -> Result<FloeObject, AccessError> {
    let wrong_object = |reason| AccessError::WrongObject { id: object.object_id(), expected, reason };
    let contents = object.as_struct().ok_or_else(|| wrong_object(ObjectMismatch::Package))?;
    FloeObject::from_move_struct(packages, contents).map_err(|e| wrong_object(e.into()))
}

/// The shared object and the capability (sent to `owner`) a creation made.
fn created_policy(executed: &Executed, owner: Address, what: &'static str) -> Result<CreatedPolicy, AccessError> {
    let created = executed.created();
    let missing = |what| AccessError::NotCreated { digest: executed.digest, what };
    let object = created
        .iter()
        .find_map(|o| match o.owner {
            Owner::Shared(version) => Some(SharedObject::new(*o.reference.object_id(), version)),
            _ => None,
        })
        .ok_or_else(|| missing(what))?;
    let cap = created
        .iter()
        .find(|o| o.owner == Owner::Address(owner))
        .map(|o| *o.reference.object_id())
        .ok_or_else(|| missing("capability"))?;
    Ok(CreatedPolicy { object, cap })
}

fn shared(object: &Object, expected: &'static str) -> Result<SharedObject, AccessError> {
    SharedObject::from_object(object).map_err(|e| AccessError::WrongObject {
        id: object.object_id(),
        expected,
        reason: e.into(),
    })
}

/// The object is a Move object, just not the one expected: name its type.
fn wrong(object: &Object, expected: &'static str) -> AccessError {
    let reason = object.as_struct().map_or(ObjectMismatch::Package, |s| ObjectMismatch::of_type(s.object_type()));
    AccessError::WrongObject { id: object.object_id(), expected, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_object_error_names_what_was_found() {
        let contents = [[0x11; 32].as_slice(), &5u64.to_le_bytes()].concat();
        let coin = sui_sdk_types::MoveStruct::new(StructTag::gas_coin(), true, 3, contents).unwrap();
        let object = Object::new(
            sui_sdk_types::ObjectData::Struct(coin),
            Owner::Address(Address::ZERO),
            sui_sdk_types::Digest::ZERO,
            0,
        );
        let err = wrong(&object, "an allowlist");
        let text = err.to_string();
        assert!(text.starts_with(&format!("{} is not an allowlist: it is a 0x", Address::new([0x11; 32]))), "{text}");
        assert!(
            text.ends_with(
                "::coin::Coin<0x0000000000000000000000000000000000000000000000000000000000000002::sui::SUI>"
            ),
            "{text}"
        );
    }
}
