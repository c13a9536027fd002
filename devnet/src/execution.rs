//! Running an admitted programmable transaction: gas smashing and the fixed charge, the built-in
//! commands (SplitCoins, MergeCoins, TransferObjects), Move calls into native packages, and the
//! all-or-nothing rule — on any failure every change but the gas charge is rolled back.

use sui_sdk_types::{
    Address, Argument, Command, CommandArgumentError, Digest, Event, ExecutionError, ExecutionStatus, GasCostSummary,
    MoveLocation, Owner, StructTag, TransactionEffectsV2, TransactionEvents,
};

use crate::admission::{Admitted, GasSchedule, Packages};
use crate::framework::CoinValue;
use crate::native::{CallError, MoveCallContext, ObjectLookup, Value};
use crate::working_set::{Outcome, WorkingSet};

/// What executing one transaction produced.
#[derive(Debug)]
pub(crate) struct Execution {
    pub effects: TransactionEffectsV2,
    pub events: Vec<Event>,
    pub outcome: Outcome,
    /// Each command's return values as BCS, as they were when the command returned (empty when
    /// the transaction failed): what `SimulateTransaction` reports as command outputs.
    pub return_values: Vec<Vec<Vec<u8>>>,
}

/// The failing command (if any) and the error; boxed to keep `Result` small.
type Failure = Box<(Option<u64>, ExecutionError)>;

fn arg_error(argument: usize, kind: CommandArgumentError) -> ExecutionError {
    ExecutionError::CommandArgumentError { argument: argument as u16, kind }
}

/// Executes an admitted transaction. Never fails: failures become a failed status.
pub(crate) fn execute(
    admitted: Admitted,
    packages: &Packages,
    gas: GasSchedule,
    objects: ObjectLookup<'_>,
) -> Execution {
    let Admitted { digest, programmable, mut working_set, inputs, gas_coins } = admitted;
    // System transactions (see `system_transaction`) come without gas and are not charged.
    let charge = if gas_coins.is_empty() { 0 } else { gas.charge };
    let gas_id = gas_coins.first().copied().unwrap_or(Address::ZERO);
    if !gas_coins.is_empty() {
        smash_and_charge(&mut working_set, &gas_coins, charge);
    }

    let snapshot = working_set.clone();
    let (status, return_values) =
        match run(&mut working_set, &programmable.commands, &inputs, packages, gas_id, objects) {
            Ok(return_values) => (ExecutionStatus::Success, return_values),
            Err(failure) => {
                let (command, error) = *failure;
                working_set = snapshot;
                (ExecutionStatus::Failure { error, command }, Vec::new())
            }
        };
    let events = std::mem::take(&mut working_set.events);
    // Computed after execution: dynamic fields loaded on the way count as inputs too.
    let lamport = working_set.max_input_version() + 1;
    let outcome = working_set.finish(lamport);
    let mut dependencies: Vec<Digest> = outcome.inputs.iter().map(|o| o.previous_transaction()).collect();
    dependencies.sort();
    dependencies.dedup();
    let effects = TransactionEffectsV2 {
        status,
        epoch: working_set.epoch,
        gas_used: GasCostSummary::new(charge, 0, 0, 0),
        transaction_digest: digest,
        gas_object_index: outcome.changed.iter().position(|c| c.object_id == gas_id).map(|i| i as u32),
        events_digest: (!events.is_empty()).then(|| TransactionEvents(events.clone()).digest()),
        dependencies,
        lamport_version: lamport,
        changed_objects: outcome.changed.clone(),
        unchanged_consensus_objects: outcome.unchanged_shared.clone(),
        auxiliary_data_digest: None,
    };
    Execution { effects, events, outcome, return_values }
}

/// Merges every gas coin into the first and deducts the fixed charge from it, as Sui smashes gas.
fn smash_and_charge(working_set: &mut WorkingSet, gas_coins: &[Address], charge: u64) {
    let mut total: u64 = 0;
    for id in gas_coins {
        let coin: CoinValue = bcs::from_bytes(&working_set.entry(id).contents).expect("admission checked gas coins");
        total = total.saturating_add(coin.value);
    }
    for id in &gas_coins[1..] {
        working_set.entry_mut(id).deleted = true;
    }
    let gas_id = gas_coins[0];
    let charged = CoinValue { id: gas_id, value: total - charge };
    working_set.entry_mut(&gas_id).contents = bcs::to_bytes(&charged).expect("coins serialize");
}

fn run(
    working_set: &mut WorkingSet,
    commands: &[Command],
    inputs: &[Value],
    packages: &Packages,
    gas_id: Address,
    objects: ObjectLookup<'_>,
) -> Result<Vec<Vec<Vec<u8>>>, Failure> {
    let mut results: Vec<Vec<Value>> = Vec::with_capacity(commands.len());
    let mut return_values = Vec::with_capacity(commands.len());
    for (index, command) in commands.iter().enumerate() {
        working_set.command = index as u16;
        let produced = run_command(working_set, command, inputs, &results, packages, gas_id, objects)
            .map_err(|e| Box::new((Some(index as u64), e)))?;
        working_set.mark_results(&produced);
        return_values.push(produced.iter().map(|value| value_bcs(working_set, value)).collect());
        results.push(produced);
    }
    if let Some((result, subresult)) = working_set.unplaced() {
        return Err(Box::new((None, ExecutionError::UnusedValueWithoutDrop { result, subresult })));
    }
    Ok(return_values)
}

/// A value's BCS: pure bytes as they are, an object's contents, a vector of objects as a BCS
/// vector of their contents.
fn value_bcs(working_set: &WorkingSet, value: &Value) -> Vec<u8> {
    let contents = |id: &Address| {
        if working_set.contains(id) { working_set.entry(id).contents.clone() } else { Vec::new() }
    };
    match value {
        Value::Pure(bytes) => bytes.clone(),
        Value::Object(id) => contents(id),
        Value::Objects(ids) => bcs_vector(&ids.iter().map(contents).collect::<Vec<_>>()),
    }
}

fn resolve(
    argument: &Argument,
    position: usize,
    inputs: &[Value],
    results: &[Vec<Value>],
    gas_id: Address,
) -> Result<Value, ExecutionError> {
    match *argument {
        Argument::Gas => Ok(Value::Object(gas_id)),
        Argument::Input(i) => inputs
            .get(i as usize)
            .cloned()
            .ok_or_else(|| arg_error(position, CommandArgumentError::IndexOutOfBounds { index: i })),
        Argument::Result(i) => match results.get(i as usize).map(Vec::as_slice) {
            Some([value]) => Ok(value.clone()),
            Some(_) => Err(arg_error(position, CommandArgumentError::InvalidResultArity { result: i })),
            None => Err(arg_error(position, CommandArgumentError::IndexOutOfBounds { index: i })),
        },
        Argument::NestedResult(i, j) => {
            results.get(i as usize).and_then(|r| r.get(j as usize)).cloned().ok_or_else(|| {
                arg_error(position, CommandArgumentError::SecondaryIndexOutOfBounds { result: i, subresult: j })
            })
        }
    }
}

/// The coin behind a value: its id, `Coin<T>` type and balance.
fn coin(working_set: &WorkingSet, value: &Value, position: usize) -> Result<(Address, StructTag, u64), ExecutionError> {
    let Value::Object(id) = value else {
        return Err(arg_error(position, CommandArgumentError::TypeMismatch));
    };
    if !working_set.is_live(id) {
        return Err(arg_error(position, CommandArgumentError::InvalidValueUsage));
    }
    let entry = working_set.entry(id);
    if entry.type_.is_coin().is_none() {
        return Err(arg_error(position, CommandArgumentError::TypeMismatch));
    }
    let coin: CoinValue =
        bcs::from_bytes(&entry.contents).map_err(|_| arg_error(position, CommandArgumentError::TypeMismatch))?;
    if !entry.mutable {
        return Err(arg_error(position, CommandArgumentError::InvalidObjectByMutRef));
    }
    Ok((*id, entry.type_.clone(), coin.value))
}

fn set_balance(working_set: &mut WorkingSet, id: Address, value: u64) {
    working_set.entry_mut(&id).contents = bcs::to_bytes(&CoinValue { id, value }).expect("coins serialize");
}

fn pure_u64(value: &Value, position: usize) -> Result<u64, ExecutionError> {
    match value {
        Value::Pure(bytes) => {
            bcs::from_bytes(bytes).map_err(|_| arg_error(position, CommandArgumentError::InvalidBcsBytes))
        }
        Value::Object(_) | Value::Objects(_) => Err(arg_error(position, CommandArgumentError::TypeMismatch)),
    }
}

/// BCS of a vector: ULEB128 length, then the elements.
fn bcs_vector(elements: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut len = elements.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    for element in elements {
        out.extend_from_slice(element);
    }
    out
}

/// `MakeMoveVec`: pure elements become one pure vector value, objects a vector of objects.
fn make_vector(working_set: &WorkingSet, values: Vec<Value>) -> Result<Value, ExecutionError> {
    if values.iter().all(|v| matches!(v, Value::Pure(_))) {
        let elements: Vec<Vec<u8>> =
            values.into_iter().map(|v| if let Value::Pure(bytes) = v { bytes } else { unreachable!() }).collect();
        return Ok(Value::Pure(bcs_vector(&elements)));
    }
    let mut ids = Vec::with_capacity(values.len());
    for (i, value) in values.into_iter().enumerate() {
        match value {
            Value::Object(id) if working_set.is_live(&id) => ids.push(id),
            Value::Object(_) => return Err(arg_error(i, CommandArgumentError::InvalidValueUsage)),
            _ => return Err(arg_error(i, CommandArgumentError::TypeMismatch)),
        }
    }
    let first_type = ids.first().map(|id| working_set.entry(id).type_.clone());
    if let Some(i) = ids.iter().position(|id| Some(&working_set.entry(id).type_) != first_type.as_ref()) {
        return Err(arg_error(i, CommandArgumentError::TypeMismatch));
    }
    Ok(Value::Objects(ids))
}

fn run_command(
    working_set: &mut WorkingSet,
    command: &Command,
    inputs: &[Value],
    results: &[Vec<Value>],
    packages: &Packages,
    gas_id: Address,
    objects: ObjectLookup<'_>,
) -> Result<Vec<Value>, ExecutionError> {
    match command {
        Command::SplitCoins(split) => {
            let source = resolve(&split.coin, 0, inputs, results, gas_id)?;
            let (id, coin_type, balance) = coin(working_set, &source, 0)?;
            let mut amounts = Vec::with_capacity(split.amounts.len());
            for (i, amount) in split.amounts.iter().enumerate() {
                amounts.push(pure_u64(&resolve(amount, i + 1, inputs, results, gas_id)?, i + 1)?);
            }
            let total = amounts.iter().try_fold(0u64, |acc, a| acc.checked_add(*a));
            let remaining =
                total.and_then(|t| balance.checked_sub(t)).ok_or(ExecutionError::InsufficientCoinBalance)?;
            set_balance(working_set, id, remaining);
            Ok(amounts
                .into_iter()
                .map(|value| {
                    let new_id = working_set.fresh_id();
                    let contents = bcs::to_bytes(&CoinValue { id: new_id, value }).expect("coins serialize");
                    working_set.create(new_id, coin_type.clone(), true, contents);
                    Value::Object(new_id)
                })
                .collect())
        }
        Command::MergeCoins(merge) => {
            let target = resolve(&merge.coin, 0, inputs, results, gas_id)?;
            let (target_id, coin_type, mut balance) = coin(working_set, &target, 0)?;
            for (i, source) in merge.coins_to_merge.iter().enumerate() {
                let position = i + 1;
                let value = resolve(source, position, inputs, results, gas_id)?;
                let (id, source_type, amount) = coin(working_set, &value, position)?;
                if id == gas_id {
                    return Err(arg_error(position, CommandArgumentError::InvalidGasCoinUsage));
                }
                if id == target_id {
                    return Err(arg_error(position, CommandArgumentError::InvalidValueUsage));
                }
                if source_type != coin_type {
                    return Err(arg_error(position, CommandArgumentError::TypeMismatch));
                }
                balance = balance.checked_add(amount).ok_or(ExecutionError::CoinBalanceOverflow)?;
                working_set.entry_mut(&id).deleted = true;
            }
            set_balance(working_set, target_id, balance);
            Ok(vec![])
        }
        Command::TransferObjects(transfer) => {
            let position = transfer.objects.len();
            let recipient = match resolve(&transfer.address, position, inputs, results, gas_id)? {
                Value::Pure(bytes) => bcs::from_bytes::<Address>(&bytes)
                    .map_err(|_| arg_error(position, CommandArgumentError::InvalidBcsBytes))?,
                Value::Object(_) | Value::Objects(_) => {
                    return Err(arg_error(position, CommandArgumentError::TypeMismatch));
                }
            };
            for (i, object) in transfer.objects.iter().enumerate() {
                let Value::Object(id) = resolve(object, i, inputs, results, gas_id)? else {
                    return Err(arg_error(i, CommandArgumentError::TypeMismatch));
                };
                if !working_set.is_live(&id) {
                    return Err(arg_error(i, CommandArgumentError::InvalidValueUsage));
                }
                let entry = working_set.entry_mut(&id);
                if !entry.has_public_transfer {
                    return Err(arg_error(i, CommandArgumentError::TypeMismatch));
                }
                if !entry.mutable || matches!(entry.owner, Some(Owner::Shared(_)) | Some(Owner::Immutable)) {
                    return Err(arg_error(i, CommandArgumentError::InvalidObjectByValue));
                }
                entry.owner = Some(Owner::Address(recipient));
            }
            Ok(vec![])
        }
        Command::MoveCall(call) => {
            let args = call
                .arguments
                .iter()
                .enumerate()
                .map(|(i, a)| resolve(a, i, inputs, results, gas_id))
                .collect::<Result<Vec<_>, _>>()?;
            let package = packages.get(&call.package).expect("admission checked the package exists");
            let mut context = MoveCallContext {
                working_set,
                objects,
                package: call.package,
                module: call.module.clone(),
                function: call.function.clone(),
                type_args: call.type_arguments.clone(),
            };
            // A panicking native must not take the sequencer down: the transaction fails and
            // is rolled back like any other failure.
            let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| package.call(&mut context, &args)))
                .unwrap_or_else(|_| {
                    tracing::error!(package = %call.package, module = %call.module, function = %call.function, "native Move function panicked");
                    Err(CallError::Panicked)
                });
            called.map_err(|e| match e {
                CallError::Abort { module, function, code, package } => ExecutionError::MoveAbort {
                    location: MoveLocation {
                        package: package.unwrap_or(call.package),
                        module,
                        function: 0,
                        instruction: 0,
                        function_name: Some(function),
                    },
                    code,
                },
                CallError::Argument { index, reason } => {
                    tracing::debug!(%reason, index, "move call argument rejected");
                    arg_error(index as usize, CommandArgumentError::TypeMismatch)
                }
                CallError::UnknownFunction { .. } => ExecutionError::FunctionNotFound,
                CallError::Panicked => ExecutionError::InvariantViolation,
            })
        }
        Command::MakeMoveVector(make) => {
            let values = make
                .elements
                .iter()
                .enumerate()
                .map(|(i, a)| resolve(a, i, inputs, results, gas_id))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(vec![make_vector(working_set, values)?])
        }
        _ => Err(ExecutionError::FeatureNotYetSupported),
    }
}
