//! System transactions: programmable transactions the devnet itself runs, unsigned and without
//! gas, the way Sui runs its end-of-epoch and genesis work (`ProgrammableSystemTransaction`). The
//! floe epoch change and the floe genesis go through these, so they execute the same native
//! code as user transactions and appear in checkpoints with their effects and events.

use std::collections::BTreeSet;

use sui_sdk_types::{
    Address, GasPayment, Input, Mutability, Object, Owner, ProgrammableTransaction, Transaction, TransactionExpiration,
    TransactionKind,
};

use crate::admission::{Admitted, Rejection};
use crate::framework::{CLOCK, ClockValue};
use crate::ledger::ExecuteError;
use crate::native::Value;
use crate::working_set::WorkingSet;

/// Why a system transaction did not happen.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SystemTransactionError {
    /// Refused before execution, or not persisted.
    #[error(transparent)]
    Rejected(#[from] ExecuteError),
    /// Executed and failed (e.g. a Move abort); nothing was recorded.
    #[error("failed in command {command:?}: {error:?}")]
    Failed {
        /// What failed.
        error: Box<sui_sdk_types::ExecutionError>,
        /// The failing command.
        command: Option<u64>,
    },
}

/// The unsigned, gasless transaction that runs `programmable` as `sender`.
pub(crate) fn system_transaction(sender: Address, programmable: ProgrammableTransaction) -> Transaction {
    Transaction {
        kind: TransactionKind::ProgrammableSystemTransaction(programmable),
        sender,
        gas_payment: GasPayment { objects: Vec::new(), owner: sender, price: 0, budget: 0 },
        expiration: TransactionExpiration::None,
    }
}

/// Loads a system transaction's inputs: pure values, shared objects (the Clock reads
/// `timestamp_ms`), and objects owned by the sender or immutable. No signature and no gas.
pub(crate) fn admit_system(
    transaction: &Transaction,
    objects: &dyn Fn(&Address) -> Option<Object>,
    epoch: u64,
    timestamp_ms: u64,
) -> Result<Admitted, Rejection> {
    let TransactionKind::ProgrammableSystemTransaction(programmable) = &transaction.kind else {
        return Err(Rejection::NotProgrammable("not a programmable system transaction".into()));
    };
    let sender = transaction.sender;
    let mut working_set = WorkingSet::new(transaction.digest(), sender, epoch, timestamp_ms);
    let mut seen = BTreeSet::new();
    let mut inputs = Vec::with_capacity(programmable.inputs.len());
    for input in &programmable.inputs {
        let (id, mutable) = match input {
            Input::Pure(bytes) => {
                inputs.push(Value::Pure(bytes.clone()));
                continue;
            }
            Input::Shared(shared) => (shared.object_id(), matches!(shared.mutability(), Mutability::Mutable)),
            Input::ImmutableOrOwned(reference) => (*reference.object_id(), true),
            _ => {
                return Err(Rejection::Unsupported("receiving and funds-withdrawal inputs".into()));
            }
        };
        if !seen.insert(id) {
            return Err(Rejection::DuplicateInput(id));
        }
        let object = objects(&id).ok_or(Rejection::ObjectNotFound(id))?;
        let mutable = match (input, object.owner()) {
            (Input::Shared(_), Owner::Shared(_)) => mutable && id != CLOCK && id != crate::random::RANDOM,
            (Input::ImmutableOrOwned(_), Owner::Address(owner)) if *owner == sender => true,
            (Input::ImmutableOrOwned(_), Owner::Immutable) => false,
            (_, owner) => {
                return Err(Rejection::WrongOwner { id, reason: format!("owner is {owner:?}, sender is {sender}") });
            }
        };
        working_set.load(object, mutable).ok_or_else(|| Rejection::Unsupported(format!("package {id} as an input")))?;
        if id == CLOCK {
            let now = ClockValue { id, timestamp_ms };
            working_set.entry_mut(&id).contents = bcs::to_bytes(&now).expect("clock serializes");
        }
        if id == crate::random::RANDOM {
            crate::random::refresh(&mut working_set, objects);
        }
        inputs.push(Value::Object(id));
    }
    Ok(Admitted {
        digest: transaction.digest(),
        programmable: programmable.clone(),
        working_set,
        inputs,
        gas_coins: Vec::new(),
    })
}
