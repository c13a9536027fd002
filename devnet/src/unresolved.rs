//! A transaction as a client may hand it to `SimulateTransaction` before it is complete, and how
//! the devnet completes it the way a Sui full node does.
//!
//! Mysten's SDKs send the structured form (`Transaction.kind`, `sender`, `gas_payment`, ...) and
//! leave to the node what only the chain knows:
//! - object inputs given by id alone (no `kind`, maybe no version or digest): the node looks the
//!   object up and makes it an owned/immutable reference at its current version, or a shared
//!   input at its initial shared version;
//! - the gas payment's coins, price and budget (`do_gas_selection`, see [`crate::gas_selection`]).
//!
//! The SDKs also leave `TransactionKind.kind` unset next to a `programmable_transaction` payload;
//! Sui reads the payload, so the devnet does too instead of refusing an "unknown TransactionKind".

use std::str::FromStr;

use sui_rpc::proto::TryFromProtoError;
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::{
    Address, Command, Digest, GasPayment, Input, Mutability, Object, ObjectReference, Owner, ProgrammableTransaction,
    SharedInput, Transaction, TransactionExpiration, TransactionKind,
};

use crate::admission::Rejection;
use crate::framework::CLOCK;
use crate::random::RANDOM;

/// Why a transaction message could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RequestError {
    /// A required field is absent.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A field does not parse.
    #[error("invalid {field}: {source}")]
    Invalid {
        /// The field, as a path in the request.
        field: String,
        /// What the proto conversion said.
        #[source]
        source: TryFromProtoError,
    },
    /// An address or digest field does not parse.
    #[error("invalid {field} {value:?}")]
    Malformed {
        /// The field, as a path in the request.
        field: String,
        /// The text given.
        value: String,
    },
    /// A transaction kind other than a programmable transaction.
    #[error("only programmable transactions can be simulated")]
    NotProgrammable,
}

/// An object input the client named by id only (or partly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectByIdInput {
    pub id: Address,
    /// The version the client gave (for an owned object) or the initial shared version.
    pub version: Option<u64>,
    pub digest: Option<Digest>,
    /// Whether a shared object is used mutably; unset = decided by the node.
    pub mutable: Option<bool>,
}

/// One input of the programmable transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UnresolvedInput {
    /// Complete as given.
    Ready(Input),
    /// An object the node completes from the chain.
    Object(ObjectByIdInput),
}

/// The gas payment as given: any part may be left to gas selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PartialGas {
    pub objects: Vec<ObjectReference>,
    pub owner: Option<Address>,
    pub price: Option<u64>,
    pub budget: Option<u64>,
}

/// A programmable transaction whose object inputs and gas may still be incomplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnresolvedTransaction {
    pub sender: Address,
    pub gas: PartialGas,
    pub expiration: TransactionExpiration,
    pub inputs: Vec<UnresolvedInput>,
    pub commands: Vec<Command>,
}

fn invalid(field: impl Into<String>) -> impl FnOnce(TryFromProtoError) -> RequestError {
    let field = field.into();
    move |source| RequestError::Invalid { field, source }
}

fn parse<T: FromStr>(field: &str, value: &str) -> Result<T, RequestError> {
    T::from_str(value).map_err(|_| RequestError::Malformed { field: field.to_owned(), value: value.to_owned() })
}

impl UnresolvedTransaction {
    /// Reads a transaction message: its `bcs` if present (then it is complete), else the
    /// structured fields.
    pub(crate) fn from_proto(message: &proto::Transaction) -> Result<Self, RequestError> {
        if message.bcs.is_some() {
            let transaction = Transaction::try_from(message).map_err(invalid("transaction.bcs"))?;
            return Self::from_complete(transaction);
        }
        if let Some(version) = message.version
            && version != 1
        {
            return Err(RequestError::Malformed { field: "transaction.version".into(), value: version.to_string() });
        }
        let kind = message.kind.as_ref().ok_or(RequestError::Missing("transaction.kind"))?;
        let programmable = match &kind.data {
            Some(proto::transaction_kind::Data::ProgrammableTransaction(ptb)) => ptb,
            _ => return Err(RequestError::NotProgrammable),
        };
        let sender = message.sender.as_deref().ok_or(RequestError::Missing("transaction.sender"))?;
        let sender = parse("transaction.sender", sender)?;
        let gas = match &message.gas_payment {
            None => PartialGas::default(),
            Some(payment) => PartialGas {
                objects: payment
                    .objects
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        ObjectReference::try_from(r).map_err(invalid(format!("transaction.gas_payment.objects[{i}]")))
                    })
                    .collect::<Result<_, _>>()?,
                owner: payment.owner.as_deref().map(|o| parse("transaction.gas_payment.owner", o)).transpose()?,
                price: payment.price,
                budget: payment.budget,
            },
        };
        let expiration = match &message.expiration {
            None => TransactionExpiration::None,
            Some(expiration) => {
                TransactionExpiration::try_from(expiration).map_err(invalid("transaction.expiration"))?
            }
        };
        let inputs =
            programmable.inputs.iter().enumerate().map(|(i, input)| read_input(i, input)).collect::<Result<_, _>>()?;
        let commands = programmable
            .commands
            .iter()
            .enumerate()
            .map(|(i, c)| Command::try_from(c).map_err(invalid(format!("transaction.kind.commands[{i}]"))))
            .collect::<Result<_, _>>()?;
        Ok(Self { sender, gas, expiration, inputs, commands })
    }

    fn from_complete(transaction: Transaction) -> Result<Self, RequestError> {
        let TransactionKind::ProgrammableTransaction(programmable) = transaction.kind else {
            return Err(RequestError::NotProgrammable);
        };
        let payment = transaction.gas_payment;
        Ok(Self {
            sender: transaction.sender,
            gas: PartialGas {
                objects: payment.objects,
                owner: Some(payment.owner),
                price: Some(payment.price),
                budget: Some(payment.budget),
            },
            expiration: transaction.expiration,
            inputs: programmable.inputs.into_iter().map(UnresolvedInput::Ready).collect(),
            commands: programmable.commands,
        })
    }

    /// Completes every object input from the chain (see the module docs). Shared objects whose
    /// mutability was not given are taken mutably, except the Clock and Random, which Move
    /// only ever reads: without the functions' signatures that is the choice that executes
    /// every call.
    pub(crate) fn resolve_inputs(
        &self,
        objects: &dyn Fn(&Address) -> Option<Object>,
    ) -> Result<ProgrammableTransaction, Rejection> {
        let inputs = self
            .inputs
            .iter()
            .map(|input| match input {
                UnresolvedInput::Ready(input) => Ok(input.clone()),
                UnresolvedInput::Object(by_id) => resolve_object(by_id, objects),
            })
            .collect::<Result<_, _>>()?;
        Ok(ProgrammableTransaction { inputs, commands: self.commands.clone() })
    }

    /// The object ids the inputs name (so that gas selection leaves them alone).
    pub(crate) fn input_object_ids(&self) -> impl Iterator<Item = Address> + '_ {
        self.inputs.iter().filter_map(|input| match input {
            UnresolvedInput::Object(by_id) => Some(by_id.id),
            UnresolvedInput::Ready(Input::ImmutableOrOwned(r) | Input::Receiving(r)) => Some(*r.object_id()),
            UnresolvedInput::Ready(Input::Shared(shared)) => Some(shared.object_id()),
            UnresolvedInput::Ready(_) => None,
        })
    }

    /// The complete transaction, once the inputs and the gas payment are known.
    pub(crate) fn complete(&self, programmable: ProgrammableTransaction, gas_payment: GasPayment) -> Transaction {
        Transaction {
            kind: TransactionKind::ProgrammableTransaction(programmable),
            sender: self.sender,
            gas_payment,
            expiration: self.expiration.clone(),
        }
    }
}

/// Reads one input: a complete one through the SDK conversion, an object one with missing parts
/// as [`UnresolvedInput::Object`].
fn read_input(index: usize, input: &proto::Input) -> Result<UnresolvedInput, RequestError> {
    use proto::input::InputKind;
    let field = || format!("transaction.kind.inputs[{index}]");
    let complete = match input.kind() {
        InputKind::Pure | InputKind::FundsWithdrawal => true,
        InputKind::ImmutableOrOwned | InputKind::Receiving => input.version.is_some() && input.digest.is_some(),
        InputKind::Shared => input.version.is_some() && (input.mutable.is_some() || input.mutability.is_some()),
        _ => false,
    };
    if complete {
        return Input::try_from(input).map(UnresolvedInput::Ready).map_err(invalid(field()));
    }
    if input.literal.is_some() {
        return Err(RequestError::Malformed {
            field: format!("{}.literal", field()),
            value: "an untyped literal (give the argument as BCS: `tx.pure.<type>(value)`)".into(),
        });
    }
    let id = input.object_id.as_deref().ok_or(RequestError::Missing("an input's kind or object_id"))?;
    Ok(UnresolvedInput::Object(ObjectByIdInput {
        id: parse(&format!("{}.object_id", field()), id)?,
        version: input.version,
        digest: input.digest.as_deref().map(|d| parse(&format!("{}.digest", field()), d)).transpose()?,
        mutable: input.mutable,
    }))
}

fn resolve_object(by_id: &ObjectByIdInput, objects: &dyn Fn(&Address) -> Option<Object>) -> Result<Input, Rejection> {
    let id = by_id.id;
    let object = objects(&id).ok_or(Rejection::ObjectNotFound(id))?;
    match object.owner() {
        Owner::Shared(initial) => {
            let read_only = id == CLOCK || id == RANDOM;
            let mutable = by_id.mutable.unwrap_or(!read_only);
            let mutability = if mutable { Mutability::Mutable } else { Mutability::Immutable };
            Ok(Input::Shared(SharedInput::new(id, *initial, mutability)))
        }
        Owner::Address(_) | Owner::Immutable => {
            // A stale version or digest given by the client is kept: admission then names it.
            let version = by_id.version.unwrap_or(object.version());
            let digest =
                by_id.digest.unwrap_or(if version == object.version() { object.digest() } else { Digest::ZERO });
            Ok(Input::ImmutableOrOwned(ObjectReference::new(id, version, digest)))
        }
        Owner::Object(parent) => {
            Err(Rejection::WrongOwner { id, reason: format!("it is owned by object {parent}, not an input") })
        }
        other => Err(Rejection::Unsupported(format!("object {id} owned as {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::{Argument, Identifier, MoveCall, MoveStruct, ObjectData, StructTag, TransferObjects};

    use super::*;
    use crate::framework::clock_type;

    fn object(type_: StructTag, version: u64, contents: Vec<u8>, owner: Owner) -> Object {
        let data = MoveStruct::new(type_, true, version, contents).unwrap();
        Object::new(ObjectData::Struct(data), owner, Digest::ZERO, 0)
    }

    fn sdk_shaped(inputs: Vec<proto::Input>) -> proto::Transaction {
        // What `@mysten/sui`'s `transactionDataToGrpcTransaction` sends: no kind enum, no gas.
        let mut ptb = proto::ProgrammableTransaction::default();
        ptb.inputs = inputs;
        let mut call = proto::MoveCall::default();
        call.package = Some("0x2".into());
        call.module = Some("clock".into());
        call.function = Some("timestamp_ms".into());
        let mut argument = proto::Argument::default();
        argument.set_kind(proto::argument::ArgumentKind::Input);
        argument.input = Some(0);
        call.arguments = vec![argument];
        let mut command = proto::Command::default();
        command.command = Some(proto::command::Command::MoveCall(call));
        ptb.commands = vec![command];
        let mut kind = proto::TransactionKind::default();
        kind.data = Some(proto::transaction_kind::Data::ProgrammableTransaction(ptb));
        let mut message = proto::Transaction::default();
        message.version = Some(1);
        message.kind = Some(kind);
        message.sender = Some(Address::from_static("0xabc").to_string());
        message
    }

    fn by_id(id: Address) -> proto::Input {
        let mut input = proto::Input::default();
        input.object_id = Some(id.to_string());
        input
    }

    #[test]
    fn a_kind_left_unset_next_to_a_programmable_payload_is_read() {
        let parsed = UnresolvedTransaction::from_proto(&sdk_shaped(vec![by_id(CLOCK)])).unwrap();
        assert_eq!(parsed.sender, Address::from_static("0xabc"));
        assert_eq!(parsed.gas, PartialGas::default());
        assert_eq!(
            parsed.inputs,
            vec![UnresolvedInput::Object(ObjectByIdInput { id: CLOCK, version: None, digest: None, mutable: None })]
        );
        let Command::MoveCall(MoveCall { function, arguments, .. }) = &parsed.commands[0] else {
            panic!("a move call");
        };
        assert_eq!(function, &Identifier::from_static("timestamp_ms"));
        assert_eq!(arguments, &vec![Argument::Input(0)]);
    }

    #[test]
    fn inputs_by_id_resolve_to_owned_references_and_shared_inputs() {
        let owner = Address::from_static("0xabc");
        let coin_id = Address::from_static("0xc0");
        let coin = object(StructTag::gas_coin(), 7, bcs::to_bytes(&(coin_id, 5u64)).unwrap(), Owner::Address(owner));
        let clock = object(clock_type(), 1, bcs::to_bytes(&(CLOCK, 0u64)).unwrap(), Owner::Shared(1));
        let lookup = |id: &Address| {
            if *id == coin_id {
                Some(coin.clone())
            } else if *id == CLOCK {
                Some(clock.clone())
            } else {
                None
            }
        };
        let mut transaction =
            UnresolvedTransaction::from_proto(&sdk_shaped(vec![by_id(coin_id), by_id(CLOCK)])).unwrap();
        transaction.commands = vec![Command::TransferObjects(TransferObjects {
            objects: vec![Argument::Input(0)],
            address: Argument::Input(1),
        })];
        let resolved = transaction.resolve_inputs(&lookup).unwrap();
        assert_eq!(resolved.inputs[0], Input::ImmutableOrOwned(ObjectReference::new(coin_id, 7, coin.digest())));
        let Input::Shared(shared) = &resolved.inputs[1] else { panic!("the clock is shared") };
        assert_eq!(shared.mutability(), Mutability::Immutable, "the Clock is only read");
        let missing = UnresolvedTransaction::from_proto(&sdk_shaped(vec![by_id(Address::from_static("0xdead"))]))
            .unwrap()
            .resolve_inputs(&lookup);
        assert!(matches!(missing, Err(Rejection::ObjectNotFound(id)) if id == Address::from_static("0xdead")));
    }

    #[test]
    fn an_untyped_literal_is_refused_with_the_fix() {
        let mut literal = proto::Input::default();
        literal.literal = Some(Box::new(prost_types::Value::default()));
        let error = UnresolvedTransaction::from_proto(&sdk_shaped(vec![literal])).unwrap_err();
        assert!(error.to_string().contains("tx.pure"), "{error}");
    }
}
