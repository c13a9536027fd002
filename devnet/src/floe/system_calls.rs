//! Building the programmable transactions the devnet runs itself as system transactions: the
//! genesis registrations and stakes, and the epoch change.

use serde::Serialize;
use sui_sdk_types::{
    Address, Argument, Command, Identifier, Input, MoveCall, Object, ObjectReference, Owner, ProgrammableTransaction,
    SharedInput, TransferObjects,
};

use crate::server::FLOE_PACKAGE;

/// A programmable transaction under construction.
#[derive(Debug, Default)]
pub(crate) struct Ptb {
    inputs: Vec<Input>,
    commands: Vec<Command>,
}

impl Ptb {
    fn input(&mut self, input: Input) -> Argument {
        self.inputs.push(input);
        Argument::Input(self.inputs.len() as u16 - 1)
    }

    /// A pure input.
    pub(crate) fn pure<T: Serialize>(&mut self, value: &T) -> Argument {
        self.input(Input::Pure(bcs::to_bytes(value).expect("pure values serialize")))
    }

    /// A shared object input; `None` if `object` is not shared.
    pub(crate) fn shared(&mut self, object: &Object, mutable: bool) -> Option<Argument> {
        let Owner::Shared(initial) = object.owner() else {
            return None;
        };
        Some(self.input(Input::Shared(SharedInput::new(object.object_id(), *initial, mutable))))
    }

    /// An owned (or immutable) object input at its current version.
    pub(crate) fn owned(&mut self, object: &Object) -> Argument {
        self.input(Input::ImmutableOrOwned(ObjectReference::new(object.object_id(), object.version(), object.digest())))
    }

    /// A call to `floe::module::function`; returns its result.
    pub(crate) fn floe_call(
        &mut self,
        module: &'static str,
        function: &'static str,
        arguments: Vec<Argument>,
    ) -> Argument {
        self.commands.push(Command::MoveCall(MoveCall {
            package: FLOE_PACKAGE,
            module: Identifier::from_static(module),
            function: Identifier::from_static(function),
            type_arguments: Vec::new(),
            arguments,
        }));
        Argument::Result(self.commands.len() as u16 - 1)
    }

    /// Transfers `objects` to `recipient`.
    pub(crate) fn transfer(&mut self, objects: Vec<Argument>, recipient: Address) {
        let address = self.pure(&recipient);
        self.commands.push(Command::TransferObjects(TransferObjects { objects, address }));
    }

    /// The transaction. `nonce` goes in as an unused pure input so that the same calls made at
    /// different times (every epoch change looks alike) are different transactions.
    pub(crate) fn finish(mut self, nonce: u64) -> ProgrammableTransaction {
        self.pure(&nonce);
        ProgrammableTransaction { inputs: self.inputs, commands: self.commands }
    }
}
