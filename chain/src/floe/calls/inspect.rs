//! Test support: builds a transaction offline and lists its Move calls with each argument
//! resolved to what it is (pure bytes, shared input and its mutability, owned input, result).

use sui_sdk_types::{Address, Command, Digest, Input, TransactionKind, TypeTag};
use sui_transaction_builder::{Argument, ObjectInput, TransactionBuilder};

use crate::deployment::Packages;
use crate::floe::calls::{FloeCalls, SharedObject};

/// One argument of a built Move call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arg {
    Pure(Vec<u8>),
    Shared { id: Address, version: u64, mutable: bool },
    Owned(Address),
    Result(u16),
    Nested(u16, u16),
    Gas,
}

/// One built Move call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    pub(crate) package: Address,
    pub(crate) module: String,
    pub(crate) function: String,
    pub(crate) type_args: Vec<TypeTag>,
    pub(crate) args: Vec<Arg>,
}

impl Call {
    /// `module::function`.
    pub(crate) fn name(&self) -> String {
        format!("{}::{}", self.module, self.function)
    }
}

pub(crate) const SENDER: Address = Address::new([0xee; 32]);

pub(crate) fn packages() -> Packages {
    Packages { wal: Address::new([0xa1; 32]), floe: Address::new([0xf1; 32]), seal: Address::new([0x5e; 32]) }
}

pub(crate) fn floe_calls() -> FloeCalls {
    FloeCalls::new(
        &packages(),
        SharedObject::new(Address::new([0x51; 32]), 3),
        SharedObject::new(Address::new([0x52; 32]), 4),
    )
}

/// Adds an owned object input whose id is `byte` repeated.
pub(crate) fn owned(builder: &mut TransactionBuilder, byte: u8) -> Argument {
    builder.object(ObjectInput::owned(Address::new([byte; 32]), 1, Digest::ZERO))
}

/// Builds offline (sender, one gas coin, price, budget) and lists the Move calls; other
/// commands are skipped.
pub(crate) fn build(mut builder: TransactionBuilder) -> Vec<Call> {
    builder.set_sender(SENDER);
    builder.add_gas_objects([ObjectInput::owned(Address::new([0x6a; 32]), 1, Digest::ZERO)]);
    builder.set_gas_price(1_000);
    builder.set_gas_budget(50_000_000);
    let transaction = builder.try_build().expect("the transaction builds offline");
    let TransactionKind::ProgrammableTransaction(ptb) = transaction.kind else {
        panic!("not a programmable transaction");
    };
    let resolve = |argument: &sui_sdk_types::Argument| match argument {
        sui_sdk_types::Argument::Input(i) => match &ptb.inputs[usize::from(*i)] {
            Input::Pure(bytes) => Arg::Pure(bytes.clone()),
            Input::Shared(shared) => Arg::Shared {
                id: shared.object_id(),
                version: shared.version(),
                mutable: shared.mutability().is_mutable(),
            },
            Input::ImmutableOrOwned(reference) => Arg::Owned(*reference.object_id()),
            other => panic!("unexpected input {other:?}"),
        },
        sui_sdk_types::Argument::Result(n) => Arg::Result(*n),
        sui_sdk_types::Argument::NestedResult(n, k) => Arg::Nested(*n, *k),
        sui_sdk_types::Argument::Gas => Arg::Gas,
    };
    ptb.commands
        .iter()
        .filter_map(|command| match command {
            Command::MoveCall(call) => Some(Call {
                package: call.package,
                module: call.module.as_str().to_owned(),
                function: call.function.as_str().to_owned(),
                type_args: call.type_arguments.clone(),
                args: call.arguments.iter().map(resolve).collect(),
            }),
            _ => None,
        })
        .collect()
}

/// Builds a transaction holding one call and returns it.
pub(crate) fn single(builder: TransactionBuilder) -> Call {
    let mut calls = build(builder);
    assert_eq!(calls.len(), 1, "{calls:?}");
    calls.remove(0)
}

/// The pure BCS of a value.
pub(crate) fn pure<T: serde::Serialize>(value: &T) -> Arg {
    Arg::Pure(bcs::to_bytes(value).unwrap())
}

/// The shared System/Staking/Clock arguments of [`floe_calls`].
pub(crate) fn system(mutable: bool) -> Arg {
    Arg::Shared { id: Address::new([0x51; 32]), version: 3, mutable }
}

/// See [`system`].
pub(crate) fn staking(mutable: bool) -> Arg {
    Arg::Shared { id: Address::new([0x52; 32]), version: 4, mutable }
}

/// See [`system`].
pub(crate) fn clock() -> Arg {
    Arg::Shared { id: crate::floe::framework::CLOCK_ID, version: 1, mutable: false }
}

/// An owned input whose id is `byte` repeated.
pub(crate) fn owned_arg(byte: u8) -> Arg {
    Arg::Owned(Address::new([byte; 32]))
}
