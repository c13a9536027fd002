//! The Sui framework (`0x2`) as the devnet describes it: the signatures of the functions it
//! implements natively ([`crate::framework::SuiFramework`]); the datatypes they name are in
//! [`super::framework_datatypes`]. The framework's bytecode is not part of floe, so this is a table
//! written from the framework's Move sources (`coin.move`, `pay.move`, `transfer.move`,
//! `clock.move`), not read from bytecode. It describes only functions the native implementation's
//! table holds, and a test checks that it describes all of them.

use floe_chain::move_bytecode::{AbilitySet, FunctionDef, SignatureType, Visibility};
use sui_sdk_types::Address;

use crate::framework::SuiFramework;

fn datatype(module: &str, name: &str, type_arguments: Vec<SignatureType>) -> SignatureType {
    SignatureType::Datatype { address: Address::TWO, module: module.into(), name: name.into(), type_arguments }
}

fn coin_of_t() -> SignatureType {
    datatype("coin", "Coin", vec![SignatureType::TypeParameter(0)])
}

fn mut_ref(t: SignatureType) -> SignatureType {
    SignatureType::MutableReference(Box::new(t))
}

fn tx_context() -> SignatureType {
    mut_ref(datatype("tx_context", "TxContext", vec![]))
}

fn function(
    name: &str,
    is_entry: bool,
    type_parameters: Vec<AbilitySet>,
    parameters: Vec<SignatureType>,
    returns: Vec<SignatureType>,
) -> FunctionDef {
    FunctionDef { name: name.into(), visibility: Visibility::Public, is_entry, type_parameters, parameters, returns }
}

/// The function `module::name` of `0x2`, when the devnet implements it.
pub(crate) fn function_of(module: &str, name: &str) -> Option<FunctionDef> {
    SuiFramework::FUNCTIONS.get(module, name)?;
    let any = AbilitySet::default;
    let key_store = || AbilitySet(AbilitySet::KEY | AbilitySet::STORE);
    let f = match (module, name) {
        ("coin", "split") => function(
            name,
            false,
            vec![any()],
            vec![mut_ref(coin_of_t()), SignatureType::U64, tx_context()],
            vec![coin_of_t()],
        ),
        ("coin", "join") | ("pay", "join") => {
            function(name, true, vec![any()], vec![mut_ref(coin_of_t()), coin_of_t()], vec![])
        }
        ("coin", "value") => function(
            name,
            false,
            vec![any()],
            vec![SignatureType::Reference(Box::new(coin_of_t()))],
            vec![SignatureType::U64],
        ),
        ("coin", "zero") => function(name, false, vec![any()], vec![tx_context()], vec![coin_of_t()]),
        ("coin", "destroy_zero") => function(name, false, vec![any()], vec![coin_of_t()], vec![]),
        ("pay", "split") => {
            function(name, true, vec![any()], vec![mut_ref(coin_of_t()), SignatureType::U64, tx_context()], vec![])
        }
        ("pay", "split_and_transfer") => function(
            name,
            true,
            vec![any()],
            vec![mut_ref(coin_of_t()), SignatureType::U64, SignatureType::Address, tx_context()],
            vec![],
        ),
        ("transfer", "public_transfer") => function(
            name,
            false,
            vec![key_store()],
            vec![SignatureType::TypeParameter(0), SignatureType::Address],
            vec![],
        ),
        ("transfer", "public_share_object") | ("transfer", "public_freeze_object") => {
            function(name, false, vec![key_store()], vec![SignatureType::TypeParameter(0)], vec![])
        }
        ("clock", "timestamp_ms") => function(
            name,
            false,
            vec![],
            vec![SignatureType::Reference(Box::new(datatype("clock", "Clock", vec![])))],
            vec![SignatureType::U64],
        ),
        _ => return None,
    };
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::framework_datatypes;

    #[test]
    fn describes_exactly_the_native_functions() {
        for (module, name) in SuiFramework::FUNCTIONS.functions() {
            assert!(function_of(module, name).is_some(), "{module}::{name} has no signature");
        }
        assert!(function_of("coin", "into_balance").is_none(), "a function without a native is described");
    }

    /// Every datatype a described function names is itself described.
    #[test]
    fn named_datatypes_are_described() {
        fn walk(t: &SignatureType) {
            match t {
                SignatureType::Datatype { module, name, type_arguments, .. } => {
                    assert!(
                        framework_datatypes::datatype_of(&Address::TWO, module, name).is_some(),
                        "{module}::{name}"
                    );
                    type_arguments.iter().for_each(walk);
                }
                SignatureType::Vector(t) | SignatureType::Reference(t) | SignatureType::MutableReference(t) => walk(t),
                _ => {}
            }
        }
        for (module, name) in SuiFramework::FUNCTIONS.functions() {
            let f = function_of(module, name).unwrap();
            f.parameters.iter().chain(&f.returns).for_each(walk);
        }
    }
}
