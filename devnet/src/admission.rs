//! Checks a transaction must pass before it executes (a real node's signing-time checks): a
//! valid signature by the sender, usable gas, input objects at their current versions and owned
//! by the sender, and calls only to functions that exist. A rejected transaction leaves no trace
//! and is answered with a gRPC error naming the problem.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use sui_crypto::{SignatureError, SuiVerifier, UserSignatureVerifier};
use sui_sdk_types::{
    Address, Command, Digest, Input, Mutability, Object, Owner, ProgrammableTransaction, StructTag, Transaction,
    TransactionExpiration, TransactionKind, UserSignature, Version,
};

use crate::framework::{CLOCK, ClockValue};
use crate::native::{NativePackage, Value};
use crate::random::RANDOM;
use crate::working_set::WorkingSet;

/// Why a transaction was refused before execution. Cloned for every caller of a shared
/// group commit, hence the `Arc` around an uncloneable source.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Rejection {
    /// The transaction does not encode as BCS.
    #[error("malformed transaction: {0}")]
    Malformed(#[source] bcs::Error),
    /// Only programmable transactions can be submitted.
    #[error("only programmable transactions are accepted, got {0}")]
    NotProgrammable(String),
    /// The signature count is wrong.
    #[error("expected exactly one signature (by the sender), got {0}")]
    SignatureCount(usize),
    /// The signature does not verify against the transaction.
    #[error("signature does not verify: {0}")]
    BadSignature(#[source] Arc<SignatureError>),
    /// Signed by someone other than the sender.
    #[error("signed by {signer}, but the sender is {sender}")]
    WrongSigner {
        /// Who signed.
        signer: Address,
        /// The transaction's sender.
        sender: Address,
    },
    /// The transaction is over one of the limits of its shape (`transaction_limits`).
    #[error("the transaction is over the limit {limit} = {value}: {got}")]
    OverLimit {
        /// The limit's protocol-config name.
        limit: &'static str,
        /// Its value.
        value: u64,
        /// What the transaction has.
        got: u64,
    },
    /// A feature the devnet does not implement.
    #[error("not supported by the devnet: {0}")]
    Unsupported(String),
    /// The transaction expired.
    #[error("transaction expired at epoch {expired}, current epoch is {current}")]
    Expired {
        /// The expiration epoch.
        expired: u64,
        /// The current epoch.
        current: u64,
    },
    /// Gas price below the reference gas price.
    #[error("gas price {price} is below the reference gas price {reference}")]
    GasPriceTooLow {
        /// Offered.
        price: u64,
        /// Required.
        reference: u64,
    },
    /// Gas budget below the fixed charge.
    #[error("gas budget {budget} is below the cost of a transaction, {charge}")]
    GasBudgetTooLow {
        /// Offered.
        budget: u64,
        /// The devnet's fixed charge.
        charge: u64,
    },
    /// Gas coins do not cover the budget.
    #[error("gas coins hold {balance}, less than the budget {budget}")]
    InsufficientGas {
        /// What the gas coins hold.
        balance: u64,
        /// The budget.
        budget: u64,
    },
    /// A gas object is not a SUI coin owned by the sender.
    #[error("gas object {id} is not a SUI coin owned by the sender: {reason}")]
    BadGasObject {
        /// The gas object.
        id: Address,
        /// What is wrong with it.
        reason: String,
    },
    /// An input object does not exist.
    #[error("object {0} not found")]
    ObjectNotFound(Address),
    /// An input object reference is stale or wrong.
    #[error(
        "object {id} is at version {current} (digest {current_digest}), the transaction names version {given} (digest {given_digest})"
    )]
    WrongVersion {
        /// The object.
        id: Address,
        /// The version the transaction gave.
        given: Version,
        /// The digest the transaction gave.
        given_digest: Digest,
        /// The current version.
        current: Version,
        /// The current digest.
        current_digest: Digest,
    },
    /// An owned input belongs to someone else, or a shared object was passed as owned (or the
    /// reverse).
    #[error("object {id} cannot be used as this input: {reason}")]
    WrongOwner {
        /// The object.
        id: Address,
        /// Why.
        reason: String,
    },
    /// The same object appears twice among the inputs and gas.
    #[error("object {0} appears more than once among the inputs")]
    DuplicateInput(Address),
    /// A call to a package or function the devnet does not know.
    #[error("unknown function {package}::{module}::{function}")]
    UnknownFunction {
        /// The package.
        package: Address,
        /// The module.
        module: String,
        /// The function.
        function: String,
    },
}

impl Rejection {
    /// The gRPC code a real node would use for this rejection.
    pub fn code(&self) -> tonic::Code {
        match self {
            Self::ObjectNotFound(_) => tonic::Code::NotFound,
            Self::WrongVersion { .. } | Self::InsufficientGas { .. } => tonic::Code::FailedPrecondition,
            Self::Unsupported(_) => tonic::Code::Unimplemented,
            _ => tonic::Code::InvalidArgument,
        }
    }
}

/// The fixed gas parameters of the devnet.
#[derive(Debug, Clone, Copy)]
pub struct GasSchedule {
    /// The reference gas price.
    pub reference_gas_price: u64,
    /// What every transaction is charged, in MIST.
    pub charge: u64,
}

/// A transaction that passed admission, with its inputs loaded.
#[derive(Debug)]
pub(crate) struct Admitted {
    pub digest: Digest,
    pub programmable: ProgrammableTransaction,
    pub working_set: WorkingSet,
    pub inputs: Vec<Value>,
    pub gas_coins: Vec<Address>,
}

/// The natively implemented packages, by id.
pub type Packages = HashMap<Address, Arc<dyn NativePackage>>;

fn check_reference(object: &Object, id: Address, version: Version, digest: Digest) -> Result<(), Rejection> {
    if object.version() != version || object.digest() != digest {
        return Err(Rejection::WrongVersion {
            id,
            given: version,
            given_digest: digest,
            current: object.version(),
            current_digest: object.digest(),
        });
    }
    Ok(())
}

/// Runs every admission check and loads the inputs into a working set.
pub(crate) fn admit(
    transaction: &Transaction,
    signatures: &[UserSignature],
    objects: &dyn Fn(&Address) -> Option<Object>,
    packages: &Packages,
    gas: GasSchedule,
    epoch: u64,
    timestamp_ms: u64,
) -> Result<Admitted, Rejection> {
    admit_checked(transaction, Some(signatures), objects, packages, gas, epoch, timestamp_ms)
}

/// Admission with the signature check skipped when `signatures` is `None` (simulation).
pub(crate) fn admit_checked(
    transaction: &Transaction,
    signatures: Option<&[UserSignature]>,
    objects: &dyn Fn(&Address) -> Option<Object>,
    packages: &Packages,
    gas: GasSchedule,
    epoch: u64,
    timestamp_ms: u64,
) -> Result<Admitted, Rejection> {
    let TransactionKind::ProgrammableTransaction(programmable) = &transaction.kind else {
        let kind = match &transaction.kind {
            TransactionKind::Genesis(_) => "a genesis transaction",
            TransactionKind::ChangeEpoch(_) | TransactionKind::EndOfEpoch(_) => "an epoch-change transaction",
            _ => "a system transaction",
        };
        return Err(Rejection::NotProgrammable(kind.into()));
    };
    crate::transaction_limits::check(transaction, programmable)?;
    let sender = transaction.sender;
    if let Some(signatures) = signatures {
        let [signature] = signatures else {
            return Err(Rejection::SignatureCount(signatures.len()));
        };
        UserSignatureVerifier::new()
            .verify_transaction(transaction, signature)
            .map_err(|error| Rejection::BadSignature(Arc::new(error)))?;
        let signer = signature.derive_address();
        if signer != sender {
            return Err(Rejection::WrongSigner { signer, sender });
        }
    }
    match transaction.expiration {
        TransactionExpiration::None => {}
        TransactionExpiration::Epoch(expired) if expired < epoch => {
            return Err(Rejection::Expired { expired, current: epoch });
        }
        TransactionExpiration::Epoch(_) => {}
        _ => return Err(Rejection::Unsupported("expiration other than None or Epoch".into())),
    }
    for command in &programmable.commands {
        match command {
            Command::MoveCall(call) => {
                let known = packages
                    .get(&call.package)
                    .is_some_and(|p| p.has_function(call.module.as_str(), call.function.as_str()));
                if !known {
                    return Err(Rejection::UnknownFunction {
                        package: call.package,
                        module: call.module.as_str().to_owned(),
                        function: call.function.as_str().to_owned(),
                    });
                }
            }
            Command::SplitCoins(_)
            | Command::MergeCoins(_)
            | Command::TransferObjects(_)
            | Command::MakeMoveVector(_) => {}
            _ => return Err(Rejection::Unsupported("Publish and Upgrade".into())),
        }
    }

    let payment = &transaction.gas_payment;
    if payment.owner != sender {
        return Err(Rejection::Unsupported("sponsored transactions (gas owner differs from sender)".into()));
    }
    if payment.price < gas.reference_gas_price {
        return Err(Rejection::GasPriceTooLow { price: payment.price, reference: gas.reference_gas_price });
    }
    if payment.budget < gas.charge {
        return Err(Rejection::GasBudgetTooLow { budget: payment.budget, charge: gas.charge });
    }
    if payment.objects.is_empty() {
        return Err(Rejection::InsufficientGas { balance: 0, budget: payment.budget });
    }

    let mut working_set = WorkingSet::new(transaction.digest(), sender, epoch, timestamp_ms);
    let mut seen = BTreeSet::new();
    let mut gas_balance: u64 = 0;
    let mut gas_coins = Vec::new();
    let gas_type = StructTag::gas_coin();
    for reference in &payment.objects {
        let id = *reference.object_id();
        if !seen.insert(id) {
            return Err(Rejection::DuplicateInput(id));
        }
        let object = objects(&id).ok_or(Rejection::ObjectNotFound(id))?;
        check_reference(&object, id, reference.version(), *reference.digest())?;
        if object.owner() != &Owner::Address(sender) {
            return Err(Rejection::BadGasObject { id, reason: format!("owned by {:?}", object.owner()) });
        }
        let coin = sui_sdk_types::framework::Coin::try_from_object(&object)
            .filter(|_| object.as_struct().is_some_and(|s| s.object_type() == &gas_type))
            .ok_or_else(|| Rejection::BadGasObject { id, reason: "not a Coin<0x2::sui::SUI>".into() })?;
        gas_balance = gas_balance.saturating_add(coin.balance());
        working_set.load(object, true).expect("coins are structs");
        gas_coins.push(id);
    }
    if gas_balance < payment.budget {
        return Err(Rejection::InsufficientGas { balance: gas_balance, budget: payment.budget });
    }

    let mut inputs = Vec::with_capacity(programmable.inputs.len());
    for input in &programmable.inputs {
        let value = match input {
            Input::Pure(bytes) => Value::Pure(bytes.clone()),
            Input::ImmutableOrOwned(reference) => {
                let id = *reference.object_id();
                if !seen.insert(id) {
                    return Err(Rejection::DuplicateInput(id));
                }
                let object = objects(&id).ok_or(Rejection::ObjectNotFound(id))?;
                check_reference(&object, id, reference.version(), *reference.digest())?;
                let mutable = match object.owner() {
                    Owner::Address(owner) if *owner == sender => true,
                    Owner::Immutable => false,
                    other => {
                        return Err(Rejection::WrongOwner {
                            id,
                            reason: format!("owner is {other:?}, not the sender {sender}"),
                        });
                    }
                };
                working_set
                    .load(object, mutable)
                    .ok_or_else(|| Rejection::Unsupported(format!("package {id} as an input")))?;
                Value::Object(id)
            }
            Input::Shared(shared) => {
                let id = shared.object_id();
                if !seen.insert(id) {
                    return Err(Rejection::DuplicateInput(id));
                }
                let object = objects(&id).ok_or(Rejection::ObjectNotFound(id))?;
                match object.owner() {
                    Owner::Shared(initial) if *initial == shared.version() => {}
                    Owner::Shared(initial) => {
                        return Err(Rejection::WrongOwner {
                            id,
                            reason: format!(
                                "initial shared version is {initial}, the transaction names {}",
                                shared.version()
                            ),
                        });
                    }
                    other => {
                        return Err(Rejection::WrongOwner { id, reason: format!("not shared, owner is {other:?}") });
                    }
                }
                let mutable = matches!(shared.mutability(), Mutability::Mutable);
                if id == CLOCK && mutable {
                    return Err(Rejection::WrongOwner { id, reason: "the Clock can only be read (&Clock)".into() });
                }
                if id == RANDOM && mutable {
                    return Err(Rejection::WrongOwner { id, reason: "Random can only be read (&Random)".into() });
                }
                working_set.load(object, mutable).expect("shared objects are structs");
                if id == CLOCK {
                    // The Clock reads the time of the checkpoint being built, as consensus sets it.
                    let now = ClockValue { id, timestamp_ms };
                    working_set.entry_mut(&id).contents = bcs::to_bytes(&now).expect("clock serializes");
                }
                if id == RANDOM {
                    // Fresh bytes for this transaction, drawn only now that it executes.
                    crate::random::refresh(&mut working_set, objects);
                }
                Value::Object(id)
            }
            _ => return Err(Rejection::Unsupported("receiving and funds-withdrawal inputs".into())),
        };
        inputs.push(value);
    }

    Ok(Admitted { digest: transaction.digest(), programmable: programmable.clone(), working_set, inputs, gas_coins })
}
