//! The client's transactions on Sui: registering a blob (buying its storage in WAL), certifying
//! it, and the owner's blob operations (delete, extend, burn, attributes), plus the reads they
//! need (system state, committee, `Blob` objects).
//!
//! Every transaction pays gas (and WAL, where it buys something) with coins lent by the
//! account's coin pools (the crate's `coin_pool` module), so concurrent operations of one
//! `ChainAccess` never name the same coin version.

use std::sync::Arc;

use futures::TryFutureExt;

use floe_chain::{
    ChainClient, ClientError, Deployment, ExecuteError, Executed, Executor, Keypair, PaymentError, coin_struct,
    floe::{
        CertificateBytes, FloeCalls, FloeEvent, MoveType, NewBlob, ObjectMismatch, ResolveError,
        blob::Blob,
        events::BlobRegistered,
        framework::{DynamicField, VecMap},
        pricing::{self, PriceOverflow},
        state::{FloeReader, StateError},
        system::SystemStateInnerV1,
        wal::wal_type,
    },
    gas_budget, split_payment,
};
use floe_encoder::{EncodingConfig, certificate::Certificate, error::EncodeError, metadata::BlobMetadata};
use sui_sdk_types::{
    Address, Digest, GasCostSummary, Identifier, ObjectData, ObjectReference, Owner, StructTag, TypeTag,
};
use sui_transaction_builder::{Argument, Function, ObjectInput, TransactionBuilder};

use crate::{
    coin_pool::{CoinAfter, CoinLease, CoinPool, SPLIT_INTO, coin},
    committee::{CommitteeError, StorageCommittee},
    owned_blobs::OwnedBlobs,
};

/// The name of the `Blob`'s dynamic field holding its attributes.
const ATTRIBUTES_FIELD: &[u8] = b"attributes";
/// Blobs one batch transaction registers or certifies: its pure arguments (about 100 bytes per
/// registration, 150 per certificate) stay far below Sui's 128 KiB per transaction, and its
/// commands (2 per registration) below 1,024.
pub const BLOBS_PER_TRANSACTION: usize = 100;

/// Why a chain operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// Reading floe's state failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The System or Staking object could not be resolved.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The sender cannot pay, or its coins could not be read.
    #[error("{0}{hint}", hint = payment_hint(.0))]
    Payment(#[from] PaymentError),
    /// The chain refused or failed the call.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The committee on chain is unusable.
    #[error("the committee on chain is unusable: {0}")]
    Committee(#[from] CommitteeError),
    /// A transaction needs a key and none was given.
    #[error("this operation signs a transaction: give a key (--key suiprivkey... or a keystore)")]
    NoSigner,
    /// The transaction is incomplete (nothing was sent).
    #[error("building the transaction: {0}")]
    Build(#[source] sui_transaction_builder::Error),
    /// More blobs than one batch transaction takes ([`BLOBS_PER_TRANSACTION`]).
    #[error("{asked} {what} in one transaction; at most {BLOBS_PER_TRANSACTION}")]
    TooManyInBatch {
        /// Blobs asked for.
        asked: usize,
        /// "registrations" or "certifications".
        what: &'static str,
    },
    /// An executed transaction lacks an event the call must produce.
    #[error("transaction {digest} did not emit the expected {event} event")]
    MissingEvent {
        /// The transaction.
        digest: Digest,
        /// The event's name.
        event: &'static str,
    },
    /// An executed transaction emitted another number of events than the call produces.
    #[error("transaction {digest} emitted {actual} {event} events, not {expected}")]
    EventCount {
        /// The transaction.
        digest: Digest,
        /// The event's name.
        event: &'static str,
        /// As many as the call's commands.
        expected: usize,
        /// As many as the transaction emitted.
        actual: usize,
    },
    /// An executed transaction's effects lack an object its event names.
    #[error("transaction {digest} did not write object {object_id}")]
    MissingObject {
        /// The transaction.
        digest: Digest,
        /// The object the event names.
        object_id: Address,
    },
    /// An object holds other data than the call reads (a package where a Move struct belongs).
    #[error("object {object_id} is not a Move object: {what}")]
    NotAMoveObject {
        /// The object.
        object_id: Address,
        /// What the call expected there.
        what: &'static str,
    },
    /// A staking pool lacks the exchange rate a stake's value is computed with.
    #[error("pool {pool} lacks the exchange rate of epoch {epoch} (latest epoch {latest})")]
    MissingExchangeRate {
        /// The pool.
        pool: Address,
        /// The epoch whose rate is missing.
        epoch: u32,
        /// The pool's latest epoch.
        latest: u32,
    },
    /// A pool shows no pending commission change right after the transaction that set one.
    #[error("pool {pool} shows no commission change after the transaction that set one")]
    CommissionNotApplied {
        /// The pool.
        pool: Address,
    },
    /// The client was made without a chain (`FloeClient::with_committee`): it reads and
    /// uploads, but cannot read or change anything on chain.
    #[error("this client has no chain connection")]
    NoChain,
    /// A staking operation was refused before sending (nothing was spent).
    #[error(transparent)]
    Staking(#[from] crate::staking::StakingError),
    /// The object is not a floe `Blob`.
    #[error("object {id} is not a floe Blob: {reason}")]
    NotABlob {
        /// The object.
        id: Address,
        /// What it is instead.
        #[source]
        reason: ObjectMismatch,
    },
    /// The object cannot be moved by the signer.
    #[error("object {id} is {owner}, not owned by {sender}: only its owner can transfer or change it")]
    NotOwned {
        /// The object.
        id: Address,
        /// Who or what owns it, in words.
        owner: String,
        /// The signer.
        sender: Address,
    },
    /// The blob has no attribute of that name (nothing was sent).
    #[error("blob {id} has no attribute {key:?}; it has {}", list_or_none(.present))]
    NoSuchAttribute {
        /// The blob object.
        id: Address,
        /// The attribute asked for.
        key: String,
        /// The attributes it has.
        present: Vec<String>,
    },
    /// The object is not a floe `SharedBlob`.
    #[error("object {id} is not a shared blob to fund or extend: {reason}")]
    NotASharedBlob {
        /// The object.
        id: Address,
        /// What it is instead.
        #[source]
        reason: ObjectMismatch,
    },
    /// A blob's attributes field does not decode.
    #[error("attributes of blob {id} do not decode: {source}")]
    Attributes {
        /// The blob.
        id: Address,
        /// The BCS error.
        #[source]
        source: bcs::Error,
    },
    /// A shared blob funded with nothing (nothing was sent).
    #[error("funding shared blob {0} with 0 WAL does nothing; give an amount above 0")]
    ZeroFunding(Address),
    /// The blob cannot be shared or extended as shared (nothing was sent).
    #[error("blob {id} cannot be shared or extended: {reason}")]
    NotShareable {
        /// The Blob or SharedBlob object.
        id: Address,
        /// Why.
        reason: String,
    },
    /// A shared blob's funds do not cover an extension (nothing was sent).
    #[error(
        "shared blob {id} holds {funds} FROST but extending it by {epochs} epochs costs {cost} FROST: add WAL with \
         `floe fund-shared-blob {id} AMOUNT` or extend by fewer epochs"
    )]
    SharedBlobUnderfunded {
        /// The SharedBlob object.
        id: Address,
        /// Its funds.
        funds: u64,
        /// The extension's price.
        cost: u64,
        /// Epochs asked for.
        epochs: u32,
    },
    /// The price asked for is past what a `u64` of FROST holds (nothing was sent).
    #[error(transparent)]
    Price(#[from] PriceOverflow),
    /// The blob is too large for the committee.
    #[error("blob of {size} bytes cannot be stored: {source}")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The encoder's reason.
        #[source]
        source: EncodeError,
    },
}

/// The executor's errors as the client's: a short balance stays a payment error (with its advice)
/// and a chain error a client error, whether it came from a read or from the transaction.
impl From<ExecuteError> for ChainError {
    fn from(error: ExecuteError) -> Self {
        match error {
            ExecuteError::Gas(error) => Self::Payment(error),
            ExecuteError::Build(error) => Self::Build(error),
            ExecuteError::Chain(error) => Self::Client(error),
        }
    }
}

/// The advice that goes with a payment error: only a short balance is the account's to fix.
fn payment_hint(error: &PaymentError) -> &'static str {
    match error {
        PaymentError::InsufficientBalance { .. } => {
            "; get WAL (and SUI for gas) into this account, or store for fewer epochs"
        }
        PaymentError::Client(_) => "",
    }
}

/// `a, b` or `none`.
fn list_or_none(names: &[String]) -> String {
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

impl ChainError {
    /// Whether the account lacks the WAL or SUI to pay (as opposed to the chain failing).
    pub fn is_insufficient_balance(&self) -> bool {
        matches!(self, Self::Payment(PaymentError::InsufficientBalance { .. }))
    }
}

/// What storing a blob of some size costs, in FROST (10^-9 WAL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    /// The encoded size the chain charges for.
    pub encoded_length: u64,
    /// 1 MiB units of encoded size.
    pub units: u64,
    /// Epochs bought.
    pub epochs: u32,
    /// `units x storage price x epochs`.
    pub storage_cost: u64,
    /// `units x write price`, once.
    pub write_cost: u64,
}

impl Price {
    /// The price of `blob_len` bytes for `epochs` epochs under `system`'s prices.
    pub fn of(
        system: &SystemStateInnerV1,
        config: &EncodingConfig,
        blob_len: u64,
        epochs: u32,
    ) -> Result<Self, ChainError> {
        let encoded_length =
            config.encoded_blob_length(blob_len).map_err(|source| ChainError::TooLarge { size: blob_len, source })?;
        let storage_cost = pricing::storage_price(encoded_length, system.storage_price_per_unit_size, epochs)?;
        let write_cost = pricing::write_fee(encoded_length, system.write_price_per_unit_size)?;
        Ok(Self { encoded_length, units: pricing::storage_units(encoded_length), epochs, storage_cost, write_cost })
    }

    /// Everything paid.
    pub fn total(&self) -> u64 {
        self.storage_cost.saturating_add(self.write_cost)
    }
}

/// A freshly registered blob.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The `Blob` object.
    pub object: ObjectReference,
    /// Its end epoch.
    pub end_epoch: u32,
}

/// floe on one chain, optionally with a key to sign with. Clones share the signer's coin pools.
#[derive(Debug, Clone)]
pub struct ChainAccess {
    client: ChainClient,
    pub(crate) reader: FloeReader,
    pub(crate) calls: FloeCalls,
    executor: Option<Executor>,
    gas_budget: u64,
    coins: Option<AccountCoins>,
    /// The signer's `Blob` objects by blob id (clones share it).
    owned: Arc<OwnedBlobs>,
}

/// The signer's SUI (gas) and WAL coin pools.
#[derive(Debug, Clone)]
struct AccountCoins {
    gas: Arc<CoinPool>,
    wal: Arc<CoinPool>,
}

/// A transaction being built, with the coins lent to it; [`ChainAccess::execute`] returns them
/// to their pools with their new versions. Dereferences to the transaction builder.
pub(crate) struct Tx {
    builder: TransactionBuilder,
    gas: Option<CoinLease>,
    /// SUI split off the gas coin into new coins (on top of the gas charged).
    gas_split: u64,
    wal: Option<CoinLease>,
    /// WAL taken from the merged WAL coins: the payment and any coins split off.
    wal_spent: u64,
    /// Whether new coins were split off for the pools.
    split: bool,
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").field("gas", &self.gas).field("wal", &self.wal).field("split", &self.split).finish()
    }
}

impl std::ops::Deref for Tx {
    type Target = TransactionBuilder;
    fn deref(&self) -> &TransactionBuilder {
        &self.builder
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut TransactionBuilder {
        &mut self.builder
    }
}

/// Gas actually taken from the gas coin: computation and storage, less the rebate (which can
/// exceed them, giving SUI back).
fn net_gas(gas: &GasCostSummary) -> i128 {
    i128::from(gas.computation_cost) + i128::from(gas.storage_cost) - i128::from(gas.storage_rebate)
}

fn less(balance: u64, spent: i128) -> u64 {
    u64::try_from((i128::from(balance) - spent).max(0)).unwrap_or(u64::MAX)
}

impl ChainAccess {
    /// Connects to `deployment`'s RPC endpoint and resolves its shared objects.
    pub async fn connect(deployment: Deployment, signer: Option<Keypair>) -> Result<Self, ChainError> {
        let client = ChainClient::new(&deployment.rpc_url)?;
        let calls = FloeCalls::resolve(&client, &deployment).await?;
        let coins = signer.as_ref().map(|signer| AccountCoins {
            gas: CoinPool::shared(client.clone(), signer.address(), StructTag::sui()),
            wal: CoinPool::shared(client.clone(), signer.address(), wal_type(&deployment.packages)),
        });
        let reader = FloeReader::new(client.clone(), deployment);
        let executor = signer.map(|signer| Executor::new(client.clone(), signer));
        let owned = Arc::default();
        Ok(Self { client, reader, calls, executor, gas_budget: gas_budget::BLOB_OPERATION, coins, owned })
    }

    /// The same access with another gas budget per transaction.
    pub fn with_gas_budget(self, gas_budget: u64) -> Self {
        Self { gas_budget, ..self }
    }

    /// The chain client.
    pub fn client(&self) -> &ChainClient {
        &self.client
    }

    /// The deployment.
    pub fn deployment(&self) -> &Deployment {
        self.reader.deployment()
    }

    /// The signer's address, if there is a signer.
    pub fn sender(&self) -> Option<Address> {
        self.executor.as_ref().map(Executor::address)
    }

    /// The System's state (epoch, prices, capacity).
    pub async fn system(&self) -> Result<SystemStateInnerV1, ChainError> {
        Ok(self.reader.system().await?)
    }

    /// The current storage committee.
    pub async fn committee(&self) -> Result<StorageCommittee, ChainError> {
        Ok(StorageCommittee::from_chain(&self.reader.committee().await?)?)
    }

    /// The committee of the previous epoch (`None` in the first epoch).
    pub async fn previous_committee(&self) -> Result<Option<StorageCommittee>, ChainError> {
        match self.reader.previous_committee().await? {
            Some(info) => Ok(Some(StorageCommittee::from_chain(&info)?)),
            None => Ok(None),
        }
    }

    /// The sender's WAL balance in FROST.
    pub async fn wal_balance(&self, owner: Address) -> Result<u64, ChainError> {
        Ok(self.client.balance(owner, &wal_type(&self.deployment().packages)).await?)
    }

    /// The `Blob` object `id` and its current reference.
    pub async fn blob(&self, id: Address) -> Result<(Blob, ObjectReference), ChainError> {
        let object = self.client.get_object(id).await?;
        let blob = Blob::from_object(&self.deployment().packages, &object)
            .map_err(|reason| ChainError::NotABlob { id, reason })?;
        Ok((blob, ObjectReference::new(id, object.version(), object.digest())))
    }

    /// The `Blob` objects of blob `blob_id` that `owner` owns, as they are now (a store looks
    /// here for one to reuse or resume before paying). Which objects to read comes from a listing
    /// of every `Blob` the owner has, made once and kept with this access's own registrations
    /// (see `crate::owned_blobs`: an object gained by other means since the listing is missed
    /// until the next).
    pub async fn owned_blobs(&self, owner: Address, blob_id: &floe_encoder::BlobId) -> Result<Vec<Blob>, ChainError> {
        let candidates = self.owned.candidates(owner, blob_id, || self.blobs_of(owner)).await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let packages = &self.deployment().packages;
        let mut blobs = Vec::with_capacity(candidates.len());
        // An object gone since (deleted, burnt, wrapped) is no candidate any more.
        for object in self.client.get_objects(&candidates).await?.into_iter().flatten() {
            if *object.owner() != Owner::Address(owner) {
                continue;
            }
            if let Ok(blob) = Blob::from_object(packages, &object)
                && blob.blob_id == *blob_id
            {
                blobs.push(blob);
            }
        }
        Ok(blobs)
    }

    /// The attributes (key-value metadata) of blob `id`, in insertion order; none if it has none.
    pub async fn attributes(&self, id: Address) -> Result<Vec<(String, String)>, ChainError> {
        let name = bcs::to_bytes(ATTRIBUTES_FIELD).expect("BCS of bytes cannot fail");
        let field_id = id.derive_dynamic_child_id(&TypeTag::Vector(Box::new(TypeTag::U8)), &name);
        let object = match self.client.get_object(field_id).await {
            Ok(object) => object,
            Err(ClientError::ObjectNotFound(_)) => return Ok(Vec::new()),
            Err(error) => return Err(error.into()),
        };
        let ObjectData::Struct(data) = object.data() else {
            return Err(ChainError::NotAMoveObject { object_id: field_id, what: "a blob's attributes field" });
        };
        let field: DynamicField<Vec<u8>, VecMap<String, String>> =
            bcs::from_bytes(data.contents()).map_err(|source| ChainError::Attributes { id, source })?;
        Ok(field.value.contents.into_iter().map(|entry| (entry.key, entry.value)).collect())
    }

    pub(crate) fn signer(&self) -> Result<&Keypair, ChainError> {
        Ok(self.executor()?.key())
    }

    fn executor(&self) -> Result<&Executor, ChainError> {
        self.executor.as_ref().ok_or(ChainError::NoSigner)
    }

    fn coins(&self) -> Result<&AccountCoins, ChainError> {
        self.coins.as_ref().ok_or(ChainError::NoSigner)
    }

    /// Reads the sender's SUI and WAL coins, at once, if this process has not yet: a store does
    /// it while its blob encodes. A failure is left to the transaction that leases them, which
    /// reads again.
    pub(crate) async fn warm_payment(&self) {
        if let Ok(coins) = self.coins() {
            let _ = futures::join!(coins.gas.warm(), coins.wal.warm());
        }
    }

    /// A transaction with the sender and a gas coin lent by the pool set. When the pool has no
    /// other free coin, the transaction also splits the gas coin for the next ones.
    pub(crate) async fn builder(&self) -> Result<Tx, ChainError> {
        let sender = self.signer()?.address();
        let pool = &self.coins()?.gas;
        let client = self.executor()?.client();
        // The gas coin and the reference gas price are read at once: each is a round trip to the
        // full node (docs/performance.md, "What a distant chain costs a store").
        let (lease, price) = futures::try_join!(
            pool.lease(self.gas_budget, true).map_err(ChainError::from),
            client.reference_gas_price().map_err(ChainError::from),
        )?;
        let gas = lease.coins()[0].clone();
        let builder = floe_chain::transaction_for(sender, &gas, price, self.gas_budget);
        let mut tx = Tx { builder, gas: Some(lease), gas_split: 0, wal: None, wal_spent: 0, split: false };
        // The gas coin must still hold the budget after the split.
        let share = gas.balance.saturating_sub(self.gas_budget) / (SPLIT_INTO + 1);
        if pool.free_count() == 0 && share >= self.gas_budget {
            let source = tx.builder.gas();
            tx.gas_split = split_off(&mut tx, source, share, sender);
            tx.split = true;
        }
        Ok(tx)
    }

    /// Executes `tx` and returns its coins to their pools: with the versions and balances its
    /// effects give, or, when the outcome is unknown, to be read again from the chain.
    pub(crate) async fn execute(&self, tx: Tx) -> Result<Executed, ChainError> {
        let Tx { builder, gas, gas_split, wal, wal_spent, split } = tx;
        let result = match self.executor()?.execute(builder).await {
            // A build failure sends nothing: the leases go back unchanged as they drop.
            Err(error @ ExecuteError::Build(_)) => return Err(error.into()),
            result => result,
        };
        let failure = result.as_ref().err().and_then(ExecuteError::execution_failure);
        let (written, deleted, charged, succeeded) = match (&result, failure) {
            (Ok(executed), _) => (executed.written(), executed.deleted(), net_gas(&executed.effects.gas_used), true),
            (Err(_), Some(failure)) => {
                (floe_chain::written_objects(&failure.effects), Vec::new(), net_gas(&failure.effects.gas_used), false)
            }
            (Err(_), None) => (Vec::new(), Vec::new(), 0, false),
        };
        let known = result.is_ok() || failure.is_some();
        let new_reference = |id: &Address| {
            written.iter().find(|object| object.reference.object_id() == id).map(|object| object.reference.clone())
        };
        if let Some(lease) = gas {
            let spent = charged + if succeeded { i128::from(gas_split) } else { 0 };
            lease.settle(
                |old| match new_reference(old.reference.object_id()) {
                    Some(reference) if known => CoinAfter::Kept(coin(reference, less(old.balance, spent))),
                    _ => CoinAfter::Unknown,
                },
                split && succeeded,
            );
        }
        if let Some(lease) = wal {
            let total = lease.total();
            let first = lease.coins().first().map(|coin| *coin.reference.object_id());
            lease.settle(
                |old| {
                    let id = old.reference.object_id();
                    match new_reference(id) {
                        // The payment came out of the first coin, into which the others merged.
                        Some(reference) if succeeded && Some(*id) == first => {
                            CoinAfter::Kept(coin(reference, total.saturating_sub(wal_spent)))
                        }
                        // A failed transaction changes nothing but the versions.
                        Some(reference) if known && !succeeded => CoinAfter::Kept(coin(reference, old.balance)),
                        None if succeeded && deleted.contains(id) => CoinAfter::Merged,
                        _ => CoinAfter::Unknown,
                    }
                },
                split && succeeded,
            );
        }
        Ok(result?)
    }

    /// Splits `amount` FROST of WAL off coins lent by the WAL pool into a new coin argument.
    /// When the pool has no other free coin, the rest is split too, for the next transactions.
    ///
    /// Called once `tx` holds its gas coin, never alongside that lease: a lease waits while other
    /// transactions hold the coins it needs, and two transactions each holding one pool's only
    /// coin while waiting for the other's would wait for ever; gas first, then WAL, no such cycle
    /// forms. (Taken at once they saved a round trip: docs/performance.md, "What a distant chain
    /// costs a store".)
    pub(crate) async fn wal_payment(&self, tx: &mut Tx, amount: u64) -> Result<Argument, ChainError> {
        let sender = self.signer()?.address();
        let pool = &self.coins()?.wal;
        let lease = pool.lease(amount, false).await?;
        let payment = split_payment(tx, lease.coins(), amount);
        tx.wal_spent = amount;
        let share = lease.total().saturating_sub(amount) / (SPLIT_INTO + 1);
        if pool.free_count() == 0 && share >= amount.max(1) {
            // `split_payment` merged the lent coins into the first one; naming it again gives
            // the same input.
            let first = owned(tx, &lease.coins()[0].reference);
            tx.wal_spent += split_off(tx, first, share, sender);
            tx.split = true;
        }
        tx.wal = Some(lease);
        Ok(payment)
    }

    /// `0x2::coin::destroy_zero<WAL>`: the payment coin is spent exactly, so it is dropped
    /// instead of leaving an empty coin object with the sender.
    pub(crate) fn destroy_zero_wal(&self, builder: &mut TransactionBuilder, coin: Argument) {
        let wal = TypeTag::Struct(Box::new(wal_type(&self.deployment().packages)));
        let function =
            Function::new(Address::TWO, Identifier::from_static("coin"), Identifier::from_static("destroy_zero"))
                .with_type_args(vec![wal]);
        builder.move_call(function, vec![coin]);
    }

    /// One transaction: reserve storage for `price`, register the blob on it, keep the `Blob`.
    pub async fn register(
        &self,
        metadata: &BlobMetadata,
        price: &Price,
        deletable: bool,
    ) -> Result<Registered, ChainError> {
        let sender = self.signer()?.address();
        let mut builder = self.builder().await?;
        let payment = self.wal_payment(&mut builder, price.total()).await?;
        let storage = self.calls.reserve_space(&mut builder, price.encoded_length, price.epochs, payment);
        let blob =
            self.calls.register_blob(&mut builder, storage, &NewBlob::from_metadata(metadata, deletable), payment);
        let owner = builder.pure(&sender);
        builder.transfer_objects(vec![blob], owner);
        self.destroy_zero_wal(&mut builder, payment);
        let executed = self.execute(builder).await?;
        let packages = &self.deployment().packages;
        let registered = executed
            .events
            .iter()
            .find_map(|event| match FloeEvent::from_event(packages, event) {
                Ok(FloeEvent::BlobRegistered(registered)) => Some(registered),
                _ => None,
            })
            .ok_or(ChainError::MissingEvent { digest: executed.digest, event: "BlobRegistered" })?;
        self.registration(sender, &executed, &registered).await
    }

    /// The registration `event` of transaction `executed`, recorded among `sender`'s `Blob`s.
    async fn registration(
        &self,
        sender: Address,
        executed: &Executed,
        event: &BlobRegistered,
    ) -> Result<Registered, ChainError> {
        let object = executed
            .reference_of(&event.object_id)
            .ok_or(ChainError::MissingObject { digest: executed.digest, object_id: event.object_id })?;
        self.owned.registered(sender, event.blob_id, event.object_id).await;
        Ok(Registered { object, end_epoch: event.end_epoch })
    }

    /// One transaction registering every blob of `blobs` (metadata and price) for the signer,
    /// paying the sum once; the registrations in the order given. At most
    /// [`BLOBS_PER_TRANSACTION`] blobs (Sui's limits on a transaction's size and arguments).
    pub async fn register_many(
        &self,
        blobs: &[(&BlobMetadata, Price)],
        deletable: bool,
    ) -> Result<Vec<Registered>, ChainError> {
        if blobs.len() > BLOBS_PER_TRANSACTION {
            return Err(ChainError::TooManyInBatch { asked: blobs.len(), what: "registrations" });
        }
        let sender = self.signer()?.address();
        let total = blobs.iter().fold(0u64, |sum, (_, price)| sum.saturating_add(price.total()));
        let mut builder = self.builder().await?;
        let payment = self.wal_payment(&mut builder, total).await?;
        let mut created = Vec::with_capacity(blobs.len());
        for (metadata, price) in blobs {
            let storage = self.calls.reserve_space(&mut builder, price.encoded_length, price.epochs, payment);
            let new_blob = NewBlob::from_metadata(metadata, deletable);
            created.push(self.calls.register_blob(&mut builder, storage, &new_blob, payment));
        }
        let owner = builder.pure(&sender);
        builder.transfer_objects(created, owner);
        self.destroy_zero_wal(&mut builder, payment);
        let executed = self.execute(builder).await?;
        let packages = &self.deployment().packages;
        // Events come in command order: one BlobRegistered per registration.
        let registered: Vec<_> = executed
            .events
            .iter()
            .filter_map(|event| match FloeEvent::from_event(packages, event) {
                Ok(FloeEvent::BlobRegistered(registered)) => Some(registered),
                _ => None,
            })
            .collect();
        if registered.len() != blobs.len() {
            return Err(ChainError::EventCount {
                digest: executed.digest,
                event: "BlobRegistered",
                expected: blobs.len(),
                actual: registered.len(),
            });
        }
        let mut done = Vec::with_capacity(registered.len());
        for event in &registered {
            done.push(self.registration(sender, &executed, event).await?);
        }
        Ok(done)
    }

    /// One transaction certifying every registered blob of `blobs` with its certificate (at
    /// most [`BLOBS_PER_TRANSACTION`]).
    pub async fn certify_many(&self, blobs: &[(ObjectReference, &Certificate)]) -> Result<(), ChainError> {
        if blobs.len() > BLOBS_PER_TRANSACTION {
            return Err(ChainError::TooManyInBatch { asked: blobs.len(), what: "certifications" });
        }
        let mut builder = self.builder().await?;
        for (reference, certificate) in blobs {
            let blob = owned(&mut builder, reference);
            self.calls.certify_blob(&mut builder, blob, &CertificateBytes::from(*certificate));
        }
        self.execute(builder).await.map(drop)
    }

    /// Certifies the blob with `certificate`, then hands it to `recipient` if one is given.
    pub async fn certify(
        &self,
        blob: &ObjectReference,
        certificate: &Certificate,
        recipient: Option<Address>,
    ) -> Result<(), ChainError> {
        let mut builder = self.builder().await?;
        let blob = owned(&mut builder, blob);
        self.calls.certify_blob(&mut builder, blob, &CertificateBytes::from(certificate));
        if let Some(recipient) = recipient {
            let recipient = builder.pure(&recipient);
            builder.transfer_objects(vec![blob], recipient);
        }
        self.execute(builder).await.map(drop)
    }

    /// Deletes the deletable blob `id` (its storage returns to the sender).
    pub async fn delete(&self, id: Address) -> Result<(), ChainError> {
        let (_, reference) = self.blob(id).await?;
        let sender = self.signer()?.address();
        let mut builder = self.builder().await?;
        let blob = owned(&mut builder, &reference);
        let storage = self.calls.delete_blob(&mut builder, blob);
        let owner = builder.pure(&sender);
        builder.transfer_objects(vec![storage], owner);
        self.execute(builder).await.map(drop)
    }

    /// Extends the certified blob `id` by `epochs`, paying in WAL. Returns the price paid.
    pub async fn extend(&self, id: Address, epochs: u32) -> Result<u64, ChainError> {
        let (blob, reference) = self.blob(id).await?;
        let system = self.system().await?;
        let cost = pricing::storage_price(blob.storage.storage_size, system.storage_price_per_unit_size, epochs)?;
        let mut builder = self.builder().await?;
        let payment = self.wal_payment(&mut builder, cost).await?;
        let blob = owned(&mut builder, &reference);
        self.calls.extend_blob(&mut builder, blob, epochs, payment);
        self.destroy_zero_wal(&mut builder, payment);
        self.execute(builder).await?;
        Ok(cost)
    }

    /// Drops the expired blob `id`.
    pub async fn burn_expired(&self, id: Address) -> Result<(), ChainError> {
        let (_, reference) = self.blob(id).await?;
        let mut builder = self.builder().await?;
        let blob = owned(&mut builder, &reference);
        self.calls.burn_expired_blob(&mut builder, blob);
        self.execute(builder).await.map(drop)
    }

    /// Sets attribute `key` of blob `id` to `value`.
    pub async fn set_attribute(&self, id: Address, key: &str, value: &str) -> Result<(), ChainError> {
        let (_, reference) = self.blob(id).await?;
        let mut builder = self.builder().await?;
        let blob = owned(&mut builder, &reference);
        self.calls.insert_or_update_attribute(&mut builder, blob, key, value);
        self.execute(builder).await.map(drop)
    }

    /// Sends `amount` MIST of the signer's SUI to `recipient` (split off the gas coin), e.g. to
    /// give a new operator account gas.
    pub async fn send_sui(&self, recipient: Address, amount: u64) -> Result<(), ChainError> {
        let mut builder = self.builder().await?;
        let gas = builder.gas();
        let sent = amount;
        let amount = builder.pure(&amount);
        let coin = builder.split_coins(gas, vec![amount]);
        let recipient = builder.pure(&recipient);
        builder.transfer_objects(coin, recipient);
        // What leaves the gas coin besides gas, for the pool's reckoning of its balance.
        builder.gas_split = builder.gas_split.saturating_add(sent);
        self.execute(builder).await.map(drop)
    }

    /// Sends `amount` FROST of the signer's WAL to `recipient` (split off its WAL coins).
    pub async fn send_wal(&self, recipient: Address, amount: u64) -> Result<(), ChainError> {
        let mut builder = self.builder().await?;
        let payment = self.wal_payment(&mut builder, amount).await?;
        let recipient = builder.pure(&recipient);
        builder.transfer_objects(vec![payment], recipient);
        self.execute(builder).await.map(drop)
    }

    /// Transfers object `id` (a `Blob`, a `StakedWal`: any object with `store` the signer owns)
    /// to `recipient`; refused before sending when the signer does not own it.
    pub async fn transfer_object(&self, id: Address, recipient: Address) -> Result<(), ChainError> {
        let reference = self.owned_by_signer(id).await?;
        let mut builder = self.builder().await?;
        let object = owned(&mut builder, &reference);
        let recipient = builder.pure(&recipient);
        builder.transfer_objects(vec![object], recipient);
        self.execute(builder).await.map(drop)
    }

    /// The current reference of object `id`, checked to be owned by the signer (refused with
    /// who owns it otherwise).
    pub(crate) async fn owned_by_signer(&self, id: Address) -> Result<ObjectReference, ChainError> {
        let sender = self.signer()?.address();
        let object = self.client.get_object(id).await?;
        let owner = match object.owner() {
            Owner::Address(owner) if *owner == sender => {
                return Ok(ObjectReference::new(id, object.version(), object.digest()));
            }
            Owner::Address(owner) => format!("owned by {owner}"),
            Owner::Object(parent) => format!("held by object {parent}"),
            Owner::Shared(_) | Owner::ConsensusAddress { .. } => "shared".to_owned(),
            Owner::Immutable => "immutable".to_owned(),
            _ => "not owned by an address".to_owned(),
        };
        Err(ChainError::NotOwned { id, owner, sender })
    }

    /// Every `Blob` object `owner` owns, with its object id.
    pub async fn blobs_of(&self, owner: Address) -> Result<Vec<Blob>, ChainError> {
        let tag = <Blob as MoveType>::struct_tag(&self.deployment().packages);
        let objects = self.client.owned_objects(owner, Some(&tag)).await?;
        Ok(objects
            .iter()
            .filter_map(|object| match object.data() {
                ObjectData::Struct(data) => bcs::from_bytes::<Blob>(data.contents()).ok(),
                ObjectData::Package(_) => None,
            })
            .collect())
    }

    /// The sender's WAL coin type `Coin<WAL>`, for listing.
    pub fn wal_coin_type(&self) -> sui_sdk_types::StructTag {
        coin_struct(&wal_type(&self.deployment().packages))
    }
}

/// Splits [`SPLIT_INTO`] coins of `share` off `source` for `owner`; returns what was split.
fn split_off(tx: &mut Tx, source: Argument, share: u64, owner: Address) -> u64 {
    let amounts = (0..SPLIT_INTO).map(|_| tx.pure(&share)).collect();
    let parts = tx.split_coins(source, amounts);
    let owner = tx.pure(&owner);
    tx.transfer_objects(parts, owner);
    share.saturating_mul(SPLIT_INTO)
}

pub(crate) fn owned(builder: &mut TransactionBuilder, reference: &ObjectReference) -> Argument {
    builder.object(ObjectInput::owned(*reference.object_id(), reference.version(), *reference.digest()))
}
