//! Limits on a transaction's shape, with Sui's names and mainnet values: checked at admission
//! (before any gas is spent) and announced in the protocol config `GetEpoch` returns, where SDKs
//! read them (pysui refuses to start without them).

use std::collections::BTreeMap;

use sui_sdk_types::{Command, Input, ProgrammableTransaction, Transaction, TypeTag};

use crate::admission::Rejection;

/// The transaction's BCS bytes.
const MAX_TX_SIZE_BYTES: u64 = 128 * 1024;
/// Object inputs.
const MAX_INPUT_OBJECTS: u64 = 2048;
/// Commands of a programmable transaction.
const MAX_PROGRAMMABLE_TX_COMMANDS: u64 = 1024;
/// Bytes of one pure input.
const MAX_PURE_ARGUMENT_SIZE: u64 = 16 * 1024;
/// Arguments of one command.
const MAX_ARGUMENTS: u64 = 512;
/// Type arguments of one Move call.
const MAX_TYPE_ARGUMENTS: u64 = 16;
/// Nesting of one type argument.
const MAX_TYPE_ARGUMENT_DEPTH: u64 = 16;
/// The gas budget.
const MAX_TX_GAS: u64 = 50_000_000_000;

/// Every limit under its protocol-config attribute name.
const LIMITS: &[(&str, u64)] = &[
    ("max_arguments", MAX_ARGUMENTS),
    ("max_input_objects", MAX_INPUT_OBJECTS),
    ("max_programmable_tx_commands", MAX_PROGRAMMABLE_TX_COMMANDS),
    ("max_pure_argument_size", MAX_PURE_ARGUMENT_SIZE),
    ("max_tx_gas", MAX_TX_GAS),
    ("max_tx_size_bytes", MAX_TX_SIZE_BYTES),
    ("max_type_argument_depth", MAX_TYPE_ARGUMENT_DEPTH),
    ("max_type_arguments", MAX_TYPE_ARGUMENTS),
];

/// The limits as protocol-config attributes.
pub(crate) fn attributes() -> BTreeMap<String, String> {
    LIMITS.iter().map(|(name, value)| ((*name).to_owned(), value.to_string())).collect()
}

fn within(limit: &'static str, value: u64, got: usize) -> Result<(), Rejection> {
    let got = got as u64;
    if got > value { Err(Rejection::OverLimit { limit, value, got }) } else { Ok(()) }
}

fn depth(ty: &TypeTag) -> usize {
    match ty {
        TypeTag::Vector(inner) => 1 + depth(inner),
        TypeTag::Struct(tag) => 1 + tag.type_params().iter().map(depth).max().unwrap_or(0),
        _ => 1,
    }
}

/// Checks `transaction` (whose programmable part is `programmable`) against every limit.
pub(crate) fn check(transaction: &Transaction, programmable: &ProgrammableTransaction) -> Result<(), Rejection> {
    let size = bcs::to_bytes(transaction).map_err(Rejection::Malformed)?.len();
    within("max_tx_size_bytes", MAX_TX_SIZE_BYTES, size)?;
    within("max_tx_gas", MAX_TX_GAS, usize::try_from(transaction.gas_payment.budget).unwrap_or(usize::MAX))?;
    within("max_programmable_tx_commands", MAX_PROGRAMMABLE_TX_COMMANDS, programmable.commands.len())?;
    let objects = programmable.inputs.iter().filter(|i| !matches!(i, Input::Pure(_))).count();
    within("max_input_objects", MAX_INPUT_OBJECTS, objects)?;
    for input in &programmable.inputs {
        if let Input::Pure(bytes) = input {
            within("max_pure_argument_size", MAX_PURE_ARGUMENT_SIZE, bytes.len())?;
        }
    }
    for command in &programmable.commands {
        let arguments = match command {
            Command::MoveCall(call) => {
                within("max_type_arguments", MAX_TYPE_ARGUMENTS, call.type_arguments.len())?;
                for ty in &call.type_arguments {
                    within("max_type_argument_depth", MAX_TYPE_ARGUMENT_DEPTH, depth(ty))?;
                }
                call.arguments.len()
            }
            Command::TransferObjects(t) => t.objects.len() + 1,
            Command::SplitCoins(s) => s.amounts.len() + 1,
            Command::MergeCoins(m) => m.coins_to_merge.len() + 1,
            Command::MakeMoveVector(v) => v.elements.len(),
            _ => 0,
        };
        within("max_arguments", MAX_ARGUMENTS, arguments)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_name_every_limit_once() {
        let attributes = attributes();
        assert_eq!(attributes.len(), LIMITS.len());
        assert_eq!(attributes["max_tx_size_bytes"], "131072");
    }

    #[test]
    fn nested_type_arguments_count_their_depth() {
        assert_eq!(depth(&TypeTag::U8), 1);
        let nested: TypeTag = "vector<0x2::coin::Coin<0x2::sui::SUI>>".parse().unwrap();
        assert_eq!(depth(&nested), 3);
        let over = within("max_type_argument_depth", 2, depth(&nested)).unwrap_err();
        assert_eq!(over.to_string(), "the transaction is over the limit max_type_argument_depth = 2: 3");
    }
}
