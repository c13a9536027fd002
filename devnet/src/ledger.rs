//! The chain itself: current objects, executed transactions and sealed checkpoints, kept in
//! memory for reads and written through to the store one checkpoint at a time.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sui_sdk_types::{
    Address, Argument, Command, Digest, Input, Object, Owner, StructTag, Transaction, TransactionEffects,
    TransactionEvents, TransactionKind, UserSignature,
};
use tokio::sync::watch;

use crate::admission::{GasSchedule, Packages, Rejection, admit};
use crate::config::{DevnetConfig, GenesisConfig};
use crate::execution::{Execution, execute};
use crate::genesis::genesis_transaction;
use crate::sealing::{build_checkpoint, next_epoch};
use crate::store::{CheckpointRecord, CheckpointWrite, Store, StoreError, TransactionRecord};

/// Why `ExecuteTransaction` did not execute a transaction.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExecuteError {
    /// Refused before execution; nothing changed.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// Executed but could not be persisted; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why the ledger could not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored genesis description is unreadable.
    #[error("stored genesis description is malformed: {0}")]
    Genesis(#[source] serde_json::Error),
    /// A native package's compiled bytecode could not become a package object.
    #[error(transparent)]
    PackageObject(#[from] crate::packages::PackageObjectError),
}

#[derive(Debug, Default)]
struct LedgerState {
    objects: HashMap<Address, Object>,
    /// Address-owned objects by owner, ordered by id for stable pagination.
    owned: HashMap<Address, BTreeSet<Address>>,
    transactions: HashMap<Digest, Arc<TransactionRecord>>,
    checkpoints: Vec<Arc<CheckpointRecord>>,
    last_seal: Option<Instant>,
}

impl LedgerState {
    fn put(&mut self, object: Object) {
        let id = object.object_id();
        if let Some(old) = self.objects.get(&id)
            && let Owner::Address(owner) = old.owner()
            && let Some(set) = self.owned.get_mut(owner)
        {
            set.remove(&id);
        }
        if let Owner::Address(owner) = object.owner() {
            self.owned.entry(*owner).or_default().insert(id);
        }
        self.objects.insert(id, object);
    }

    fn remove(&mut self, id: &Address) {
        if let Some(old) = self.objects.remove(id)
            && let Owner::Address(owner) = old.owner()
            && let Some(set) = self.owned.get_mut(owner)
        {
            set.remove(id);
        }
    }
}

/// What simulating a transaction produced.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The transaction as if executed (not sequenced: checkpoint and index are 0).
    pub record: TransactionRecord,
    /// Each command's return values as BCS (empty when the transaction failed).
    pub return_values: Vec<Vec<Vec<u8>>>,
}

/// The devnet's chain state.
pub struct Ledger {
    state: RwLock<LedgerState>,
    store: Store,
    packages: Packages,
    genesis: GenesisConfig,
    tip: watch::Sender<u64>,
    /// Held by whoever seals a checkpoint: one writer at a time.
    writer: Mutex<()>,
    /// How far the chain's clock runs ahead of the wall clock, in ms: moved forward to end an
    /// epoch on demand (see [`Ledger::advance_clock`]).
    clock_offset_ms: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("chain", &self.genesis.chain).field("tip", &*self.tip.borrow()).finish()
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Whether `object_type` matches `filter`: a filter without type parameters matches every
/// instantiation of the struct.
pub(crate) fn type_matches(object_type: &StructTag, filter: &StructTag) -> bool {
    if filter.type_params().is_empty() {
        object_type.address() == filter.address()
            && object_type.module() == filter.module()
            && object_type.name() == filter.name()
    } else {
        object_type == filter
    }
}

impl Ledger {
    /// Opens the chain in `config.data_dir`, running genesis if it holds none.
    pub fn open(config: &DevnetConfig, packages: Packages) -> Result<Arc<Self>, OpenError> {
        let store = Store::open(&config.data_dir)?;
        let loaded = store.load()?;
        let mut state = LedgerState::default();
        let genesis = match &loaded.genesis {
            Some(bytes) => serde_json::from_slice(bytes).map_err(OpenError::Genesis)?,
            None => config.genesis.clone(),
        };
        for object in loaded.objects {
            state.put(object);
        }
        for record in loaded.transactions {
            state.transactions.insert(record.transaction.digest(), Arc::new(record));
        }
        state.checkpoints = loaded.checkpoints.into_iter().map(Arc::new).collect();
        let loaded_last_timestamp = state.checkpoints.last().map_or(0, |c| c.summary.timestamp_ms);
        let tip = state.checkpoints.len().saturating_sub(1) as u64;
        let ledger = Arc::new(Self {
            state: RwLock::new(state),
            store,
            packages,
            genesis: genesis.clone(),
            tip: watch::Sender::new(tip),
            writer: Mutex::new(()),
            // A chain whose clock was advanced keeps its time across restarts.
            clock_offset_ms: std::sync::atomic::AtomicU64::new(loaded_last_timestamp.saturating_sub(now_ms())),
        });
        if loaded.genesis.is_none() {
            let timestamp_ms = if genesis.timestamp_ms == 0 { now_ms() } else { genesis.timestamp_ms };
            let mut objects = crate::packages::genesis_objects(&ledger.packages)?;
            objects.extend_from_slice(&config.genesis_objects);
            let record = genesis_transaction(&genesis, &objects, timestamp_ms);
            let written = record.output_objects.clone();
            let bytes = serde_json::to_vec(&genesis).expect("genesis config serializes");
            ledger.seal(vec![record], &written, &[], timestamp_ms, Some(&bytes), false)?;
        }
        Ok(ledger)
    }

    fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, LedgerState> {
        // A panic while holding the lock cannot leave half-applied state: state is only changed
        // after the store commit succeeded, in infallible steps.
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read_state(&self) -> RwLockReadGuard<'_, LedgerState> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The gas parameters.
    pub fn gas(&self) -> GasSchedule {
        GasSchedule { reference_gas_price: self.genesis.reference_gas_price, charge: self.genesis.gas_charge }
    }

    /// The chain name.
    pub fn chain(&self) -> &str {
        &self.genesis.chain
    }

    /// The chain id: the base58 digest of checkpoint 0.
    pub fn chain_id(&self) -> String {
        self.read_state().checkpoints[0].summary.digest().to_string()
    }

    /// The current epoch: that of the next checkpoint to be sealed.
    pub fn epoch(&self) -> u64 {
        self.read_state().checkpoints.last().map(|c| next_epoch(&c.summary)).unwrap_or(0)
    }

    /// The sequence number of the current epoch's first checkpoint: the one after the last
    /// end-of-epoch checkpoint (0 in the first epoch).
    pub fn first_checkpoint_of_epoch(&self) -> u64 {
        let state = self.read_state();
        state
            .checkpoints
            .iter()
            .rposition(|c| c.summary.end_of_epoch_data.is_some())
            .map_or(0, |last_end| last_end as u64 + 1)
    }

    /// The chain's current time in ms: the wall clock plus any advance.
    pub fn now_ms(&self) -> u64 {
        now_ms().saturating_add(self.clock_offset_ms.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Moves the chain's clock `ms` ahead of where it is (the Clock object and checkpoint
    /// timestamps follow), e.g. to end an epoch on demand without waiting for it. The clock only
    /// moves forward, so checkpoint timestamps stay ordered; it stops at `u64::MAX` rather than
    /// wrapping around to the past.
    pub fn advance_clock(&self, ms: u64) {
        let add = |offset: u64| Some(offset.saturating_add(ms));
        let _ = self.clock_offset_ms.fetch_update(
            std::sync::atomic::Ordering::Relaxed,
            std::sync::atomic::Ordering::Relaxed,
            add,
        );
    }

    /// The newest sealed checkpoint.
    pub fn tip(&self) -> u64 {
        *self.tip.borrow()
    }

    /// A receiver that sees the tip advance.
    pub fn watch_tip(&self) -> watch::Receiver<u64> {
        self.tip.subscribe()
    }

    /// The current version of an object.
    pub fn object(&self, id: &Address) -> Option<Object> {
        self.read_state().objects.get(id).cloned()
    }

    /// An object at a given version, current or past.
    pub fn object_at(&self, id: &Address, version: u64) -> Result<Option<Object>, StoreError> {
        if let Some(current) = self.object(id)
            && current.version() == version
        {
            return Ok(Some(current));
        }
        self.store.object_version(*id, version)
    }

    /// Objects owned by `owner` matching `filter`, ids strictly after `after`, at most `limit`;
    /// also says whether more remain.
    pub fn owned_objects(
        &self,
        owner: &Address,
        filter: Option<&StructTag>,
        after: Option<Address>,
        limit: usize,
    ) -> (Vec<Object>, bool) {
        let state = self.read_state();
        let Some(ids) = state.owned.get(owner) else { return (Vec::new(), false) };
        let range = match after {
            Some(after) => ids.range((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded)),
            None => ids.range(..),
        };
        let mut page = Vec::new();
        for id in range {
            let object = &state.objects[id];
            let matches = match (filter, object.as_struct()) {
                (None, _) => true,
                (Some(f), Some(s)) => type_matches(s.object_type(), f),
                (Some(_), None) => false,
            };
            if matches {
                if page.len() == limit {
                    return (page, true);
                }
                page.push(object.clone());
            }
        }
        (page, false)
    }

    /// The total balance of `Coin<coin_type>` objects `owner` holds.
    pub fn balance(&self, owner: &Address, coin_type: &StructTag) -> u64 {
        let wanted = StructTag::coin(sui_sdk_types::TypeTag::Struct(Box::new(coin_type.clone())));
        let state = self.read_state();
        let Some(ids) = state.owned.get(owner) else { return 0 };
        ids.iter()
            .filter_map(|id| state.objects.get(id))
            .filter(|o| o.as_struct().is_some_and(|s| s.object_type() == &wanted))
            .filter_map(sui_sdk_types::framework::Coin::try_from_object)
            .fold(0u64, |sum, coin| sum.saturating_add(coin.balance()))
    }

    /// The total balance of every coin type `owner` holds coins of, ordered by the coin type's
    /// text (the order `ListBalances` pages in).
    pub fn balances(&self, owner: &Address) -> Vec<(sui_sdk_types::TypeTag, u64)> {
        let state = self.read_state();
        let Some(ids) = state.owned.get(owner) else { return Vec::new() };
        let mut totals: std::collections::BTreeMap<String, (sui_sdk_types::TypeTag, u64)> = Default::default();
        for coin in ids
            .iter()
            .filter_map(|id| state.objects.get(id))
            .filter_map(sui_sdk_types::framework::Coin::try_from_object)
        {
            let entry = totals.entry(coin.coin_type().to_string()).or_insert((coin.coin_type().clone(), 0));
            entry.1 = entry.1.saturating_add(coin.balance());
        }
        totals.into_values().collect()
    }

    /// How many transactions the chain holds (genesis included).
    pub fn transaction_count(&self) -> usize {
        self.read_state().transactions.len()
    }

    /// The objects owned by the object `parent` (its dynamic fields), ordered by id. Scans every
    /// object: the devnet's chains are small and fields are listed rarely.
    pub fn children(&self, parent: &Address) -> Vec<Object> {
        let state = self.read_state();
        let mut children: Vec<Object> =
            state.objects.values().filter(|o| o.owner() == &Owner::Object(*parent)).cloned().collect();
        children.sort_by_key(|o| o.object_id());
        children
    }

    /// An executed transaction.
    pub fn transaction(&self, digest: &Digest) -> Option<Arc<TransactionRecord>> {
        self.read_state().transactions.get(digest).cloned()
    }

    /// A sealed checkpoint with its transactions.
    pub fn checkpoint(&self, sequence_number: u64) -> Option<(Arc<CheckpointRecord>, Vec<Arc<TransactionRecord>>)> {
        let state = self.read_state();
        let checkpoint = state.checkpoints.get(usize::try_from(sequence_number).ok()?)?.clone();
        let transactions = checkpoint.transactions.iter().filter_map(|d| state.transactions.get(d).cloned()).collect();
        Some((checkpoint, transactions))
    }

    /// Lets each native package prepare its calls in `transaction` from their pure arguments
    /// (see [`NativePackage::prepare`](crate::native::NativePackage::prepare)); run on the
    /// submitting thread so that the sequencer finds the expensive checks done.
    pub fn prepare(&self, transaction: &Transaction) {
        let TransactionKind::ProgrammableTransaction(ptb) = &transaction.kind else {
            return;
        };
        for command in &ptb.commands {
            let Command::MoveCall(call) = command else {
                continue;
            };
            let Some(package) = self.packages.get(&call.package) else {
                continue;
            };
            let pure_args: Vec<Option<&[u8]>> = call
                .arguments
                .iter()
                .map(|argument| match argument {
                    Argument::Input(i) => match ptb.inputs.get(usize::from(*i)) {
                        Some(Input::Pure(bytes)) => Some(bytes.as_slice()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            package.prepare(call.module.as_str(), call.function.as_str(), &pure_args);
        }
    }

    /// Runs admission and execution without committing anything (`SimulateTransaction`).
    pub fn simulate(&self, transaction: &Transaction) -> Result<Simulation, Rejection> {
        self.simulate_with(transaction, None)
    }

    /// Simulates `transaction` with `extra` (a coin made up for the simulation) visible as if it
    /// were on the ledger; nothing is committed either way.
    pub(crate) fn simulate_with(
        &self,
        transaction: &Transaction,
        extra: Option<&Object>,
    ) -> Result<Simulation, Rejection> {
        let state = self.read_state();
        let lookup = |id: &Address| match extra {
            Some(object) if object.object_id() == *id => Some(object.clone()),
            _ => state.objects.get(id).cloned(),
        };
        let timestamp_ms = self.now_ms();
        let epoch = state.checkpoints.last().map(|c| next_epoch(&c.summary)).unwrap_or(0);
        let admitted = admit_unsigned(transaction, &lookup, &self.packages, self.gas(), epoch, timestamp_ms)?;
        let mut execution = execute(admitted, &self.packages, self.gas(), &lookup);
        let return_values = std::mem::take(&mut execution.return_values);
        let record = unsequenced_record(transaction.clone(), Vec::new(), execution, timestamp_ms);
        Ok(Simulation { record, return_values })
    }

    /// Executes one signed transaction; see [`Ledger::execute_batch`].
    pub fn execute(
        &self,
        transaction: Transaction,
        signatures: Vec<UserSignature>,
    ) -> Result<Arc<TransactionRecord>, ExecuteError> {
        self.execute_batch(vec![(transaction, signatures)]).pop().expect("one result per transaction")
    }

    /// Executes signed transactions in order, each seeing the effects of the ones before it, and
    /// seals all that executed into one checkpoint (one durable store commit) before returning.
    /// Returns one result per transaction; a transaction executed before is answered from the
    /// ledger. If the commit fails, nothing of the batch is applied.
    pub fn execute_batch(
        &self,
        batch: Vec<(Transaction, Vec<UserSignature>)>,
    ) -> Vec<Result<Arc<TransactionRecord>, ExecuteError>> {
        enum Slot {
            Done(Result<Arc<TransactionRecord>, ExecuteError>),
            New(usize),
        }
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut slots = Vec::with_capacity(batch.len());
        let mut records: Vec<TransactionRecord> = Vec::new();
        // Objects written (Some) or deleted (None) by earlier transactions of the batch.
        let mut overlay: HashMap<Address, Option<Object>> = HashMap::new();
        let mut in_batch: HashMap<Digest, usize> = HashMap::new();
        let timestamp_ms;
        {
            let state = self.read_state();
            timestamp_ms = state.checkpoints.last().map_or(0, |c| c.summary.timestamp_ms).max(self.now_ms());
            let epoch = state.checkpoints.last().map(|c| next_epoch(&c.summary)).unwrap_or(0);
            for (transaction, signatures) in batch {
                let digest = transaction.digest();
                if let Some(existing) = state.transactions.get(&digest) {
                    slots.push(Slot::Done(Ok(existing.clone())));
                    continue;
                }
                if let Some(&index) = in_batch.get(&digest) {
                    slots.push(Slot::New(index));
                    continue;
                }
                let execution = {
                    let lookup = |id: &Address| match overlay.get(id) {
                        Some(object) => object.clone(),
                        None => state.objects.get(id).cloned(),
                    };
                    match admit(&transaction, &signatures, &lookup, &self.packages, self.gas(), epoch, timestamp_ms) {
                        Ok(admitted) => execute(admitted, &self.packages, self.gas(), &lookup),
                        Err(rejection) => {
                            slots.push(Slot::Done(Err(rejection.into())));
                            continue;
                        }
                    }
                };
                for object in &execution.outcome.written {
                    overlay.insert(object.object_id(), Some(object.clone()));
                }
                for id in &execution.outcome.deleted {
                    overlay.insert(*id, None);
                }
                in_batch.insert(digest, records.len());
                slots.push(Slot::New(records.len()));
                records.push(unsequenced_record(transaction, signatures, execution, timestamp_ms));
            }
        }
        let sealed = if records.is_empty() {
            Ok(Vec::new())
        } else {
            let written: Vec<Object> = overlay.values().flatten().cloned().collect();
            let deleted: Vec<Address> = overlay.iter().filter(|(_, o)| o.is_none()).map(|(id, _)| *id).collect();
            let digests: Vec<Digest> = records.iter().map(|r| r.transaction.digest()).collect();
            self.seal(records, &written, &deleted, timestamp_ms, None, false).map(|()| digests)
        };
        let state = self.read_state();
        slots
            .into_iter()
            .map(|slot| match (slot, &sealed) {
                (Slot::Done(result), _) => result,
                (Slot::New(index), Ok(digests)) => Ok(state.transactions[&digests[index]].clone()),
                (Slot::New(_), Err(e)) => Err(ExecuteError::Store(e.clone())),
            })
            .collect()
    }

    /// Executes a system transaction (see [`crate::system_transaction`]) as `sender` and, if it
    /// succeeds, seals it alone into a checkpoint, which ends the epoch when `ends_epoch` is set.
    /// A system transaction that fails leaves no trace (the devnet only records the end-of-epoch
    /// work that happened, as Sui does); its status comes back as the error.
    pub(crate) fn execute_system(
        &self,
        sender: Address,
        programmable: sui_sdk_types::ProgrammableTransaction,
        ends_epoch: bool,
    ) -> Result<Arc<TransactionRecord>, crate::system_transaction::SystemTransactionError> {
        use crate::system_transaction::SystemTransactionError;
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let transaction = crate::system_transaction::system_transaction(sender, programmable);
        let digest = transaction.digest();
        let (record, deleted) = {
            let state = self.read_state();
            let timestamp_ms = state.checkpoints.last().map_or(0, |c| c.summary.timestamp_ms).max(self.now_ms());
            let epoch = state.checkpoints.last().map(|c| next_epoch(&c.summary)).unwrap_or(0);
            let lookup = |id: &Address| state.objects.get(id).cloned();
            let admitted = crate::system_transaction::admit_system(&transaction, &lookup, epoch, timestamp_ms)
                .map_err(|e| SystemTransactionError::Rejected(e.into()))?;
            let mut execution = execute(admitted, &self.packages, self.gas(), &lookup);
            if let sui_sdk_types::ExecutionStatus::Failure { error, command } = execution.effects.status {
                return Err(SystemTransactionError::Failed { error: Box::new(error), command });
            }
            let deleted = std::mem::take(&mut execution.outcome.deleted);
            (unsequenced_record(transaction, Vec::new(), execution, timestamp_ms), deleted)
        };
        let written = record.output_objects.clone();
        let timestamp_ms = record.timestamp_ms;
        self.seal(vec![record], &written, &deleted, timestamp_ms, None, ends_epoch)
            .map_err(|e| SystemTransactionError::Rejected(e.into()))?;
        Ok(self.read_state().transactions[&digest].clone())
    }

    /// Seals an empty checkpoint if none was sealed for `interval`.
    pub fn seal_if_idle(&self, interval: Duration) -> Result<(), StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let timestamp_ms = {
            let state = self.read_state();
            if state.last_seal.is_some_and(|t| t.elapsed() < interval) {
                return Ok(());
            }
            state.checkpoints.last().map_or(0, |c| c.summary.timestamp_ms).max(self.now_ms())
        };
        self.seal(Vec::new(), &[], &[], timestamp_ms, None, false)
    }

    /// Builds the next checkpoint, commits it durably, then applies it to memory. Callers hold
    /// `writer` (or run before the ledger is shared), so the tip cannot move meanwhile; readers
    /// are only blocked while memory is updated, not during the commit.
    fn seal(
        &self,
        mut transactions: Vec<TransactionRecord>,
        written: &[Object],
        deleted: &[Address],
        timestamp_ms: u64,
        genesis: Option<&[u8]>,
        ends_epoch: bool,
    ) -> Result<(), StoreError> {
        let record = {
            let state = self.read_state();
            build_checkpoint(state.checkpoints.last().map(|c| &c.summary), &mut transactions, timestamp_ms, ends_epoch)
        };
        self.store
            .commit(&CheckpointWrite { checkpoint: &record, transactions: &transactions, written, deleted }, genesis)?;
        let sequence_number = record.summary.sequence_number;
        let mut state = self.write_state();
        for object in written {
            state.put(object.clone());
        }
        for id in deleted {
            state.remove(id);
        }
        for transaction in transactions {
            state.transactions.insert(transaction.transaction.digest(), Arc::new(transaction));
        }
        state.checkpoints.push(Arc::new(record));
        state.last_seal = Some(Instant::now());
        drop(state);
        self.tip.send_replace(sequence_number);
        Ok(())
    }
}

/// Admission for simulation: every check but the signature.
fn admit_unsigned(
    transaction: &Transaction,
    objects: &dyn Fn(&Address) -> Option<Object>,
    packages: &Packages,
    gas: GasSchedule,
    epoch: u64,
    timestamp_ms: u64,
) -> Result<crate::admission::Admitted, Rejection> {
    crate::admission::admit_checked(transaction, None, objects, packages, gas, epoch, timestamp_ms)
}

/// The record of an executed transaction before it is sealed: checkpoint and index are set when
/// its checkpoint is built.
fn unsequenced_record(
    transaction: Transaction,
    signatures: Vec<UserSignature>,
    execution: Execution,
    timestamp_ms: u64,
) -> TransactionRecord {
    TransactionRecord {
        transaction,
        signatures,
        effects: TransactionEffects::V2(Box::new(execution.effects)),
        events: TransactionEvents(execution.events),
        checkpoint: 0,
        index: 0,
        timestamp_ms,
        input_objects: execution.outcome.inputs,
        output_objects: execution.outcome.written,
    }
}
