//! The datatypes of Move's standard library (`0x1`) and the Sui framework (`0x2`) that the
//! devnet's objects and floe's packages name, as their Move sources declare them (`string.move`,
//! `ascii.move`, `option.move`, `type_name.move`, `object.move`, `balance.move`, `coin.move`,
//! `url.move`, `vec_map.move`, `vec_set.move`, `table.move`, `object_table.move`, `bag.move`,
//! `group_ops.move`, `bls12381.move`, `dynamic_field.move`, `dynamic_object_field.move`,
//! `clock.move`, `random.move`, `versioned.move`, `tx_context.move`). The framework's bytecode is
//! not part of floe, so this table is what gives those types a layout (for JSON renderings) and a
//! descriptor (for `GetDatatype`). Tests check that every framework type floe's packages name is
//! here, and that every object the devnet holds renders with exactly its BCS bytes.

use floe_chain::move_bytecode::{AbilitySet, DatatypeBody, DatatypeDef, DatatypeTypeParameter, Field, SignatureType};
use sui_sdk_types::Address;

/// Move's standard library.
pub(crate) const STD: Address = Address::from_static("0x1");

/// Every datatype the table describes, as `(package, module, name)`.
pub(crate) const DATATYPES: &[(Address, &str, &str)] = &[
    (STD, "ascii", "String"),
    (STD, "option", "Option"),
    (STD, "string", "String"),
    (STD, "type_name", "TypeName"),
    (Address::TWO, "bag", "Bag"),
    (Address::TWO, "balance", "Balance"),
    (Address::TWO, "balance", "Supply"),
    (Address::TWO, "bls12381", "G1"),
    (Address::TWO, "bls12381", "G2"),
    (Address::TWO, "bls12381", "GT"),
    (Address::TWO, "bls12381", "Scalar"),
    (Address::TWO, "bls12381", "UncompressedG1"),
    (Address::TWO, "clock", "Clock"),
    (Address::TWO, "coin", "Coin"),
    (Address::TWO, "coin", "CoinMetadata"),
    (Address::TWO, "coin", "TreasuryCap"),
    (Address::TWO, "dynamic_field", "Field"),
    (Address::TWO, "dynamic_object_field", "Wrapper"),
    (Address::TWO, "group_ops", "Element"),
    (Address::TWO, "object", "ID"),
    (Address::TWO, "object", "UID"),
    (Address::TWO, "object_table", "ObjectTable"),
    (Address::TWO, "random", "Random"),
    (Address::TWO, "random", "RandomInner"),
    (Address::TWO, "table", "Table"),
    (Address::TWO, "tx_context", "TxContext"),
    (Address::TWO, "url", "Url"),
    (Address::TWO, "vec_map", "Entry"),
    (Address::TWO, "vec_map", "VecMap"),
    (Address::TWO, "vec_set", "VecSet"),
    (Address::TWO, "versioned", "Versioned"),
];

fn at(address: Address, module: &str, name: &str, type_arguments: Vec<SignatureType>) -> SignatureType {
    SignatureType::Datatype { address, module: module.into(), name: name.into(), type_arguments }
}

fn field(name: &str, ty: SignatureType) -> Field {
    Field { name: name.into(), ty }
}

fn bytes() -> SignatureType {
    SignatureType::Vector(Box::new(SignatureType::U8))
}

fn t(index: u16) -> SignatureType {
    SignatureType::TypeParameter(index)
}

/// How a type parameter is declared: its constraints and whether it is phantom.
fn param(constraints: u8, is_phantom: bool) -> DatatypeTypeParameter {
    DatatypeTypeParameter { constraints: AbilitySet(constraints), is_phantom }
}

/// The datatype `address::module::name`, when the table describes it.
pub(crate) fn datatype_of(address: &Address, module: &str, name: &str) -> Option<DatatypeDef> {
    const COPY: u8 = AbilitySet::COPY;
    const DROP: u8 = AbilitySet::DROP;
    const STORE: u8 = AbilitySet::STORE;
    const KEY: u8 = AbilitySet::KEY;
    let uid = || at(Address::TWO, "object", "UID", vec![]);
    let utf8 = || at(STD, "string", "String", vec![]);
    let ascii = || at(STD, "ascii", "String", vec![]);
    let value_u64 = || vec![field("value", SignatureType::U64)];
    let id_size = || vec![field("id", uid()), field("size", SignatureType::U64)];
    // A struct declared with no fields gets one `dummy_field: bool` from the compiler.
    let empty = || vec![field("dummy_field", SignatureType::Bool)];
    let phantom_any = || vec![param(0, true)];
    let (abilities, type_parameters, fields) = match (*address, module, name) {
        (STD, "ascii" | "string", "String") => (COPY | DROP | STORE, vec![], vec![field("bytes", bytes())]),
        (STD, "option", "Option") => {
            (COPY | DROP | STORE, vec![param(0, false)], vec![field("vec", SignatureType::Vector(Box::new(t(0))))])
        }
        (STD, "type_name", "TypeName") => (COPY | DROP | STORE, vec![], vec![field("name", ascii())]),
        (Address::TWO, "object", "UID") => (STORE, vec![], vec![field("id", at(Address::TWO, "object", "ID", vec![]))]),
        (Address::TWO, "object", "ID") => (COPY | DROP | STORE, vec![], vec![field("bytes", SignatureType::Address)]),
        (Address::TWO, "balance", "Balance" | "Supply") => (STORE, phantom_any(), value_u64()),
        (Address::TWO, "coin", "Coin") => (
            KEY | STORE,
            phantom_any(),
            vec![field("id", uid()), field("balance", at(Address::TWO, "balance", "Balance", vec![t(0)]))],
        ),
        (Address::TWO, "coin", "TreasuryCap") => (
            KEY | STORE,
            phantom_any(),
            vec![field("id", uid()), field("total_supply", at(Address::TWO, "balance", "Supply", vec![t(0)]))],
        ),
        (Address::TWO, "coin", "CoinMetadata") => (
            KEY | STORE,
            phantom_any(),
            vec![
                field("id", uid()),
                field("decimals", SignatureType::U8),
                field("name", utf8()),
                field("symbol", ascii()),
                field("description", utf8()),
                field("icon_url", at(STD, "option", "Option", vec![at(Address::TWO, "url", "Url", vec![])])),
            ],
        ),
        (Address::TWO, "url", "Url") => (COPY | DROP | STORE, vec![], vec![field("url", ascii())]),
        (Address::TWO, "vec_map", "VecMap") => (
            COPY | DROP | STORE,
            vec![param(COPY, false), param(0, false)],
            vec![field(
                "contents",
                SignatureType::Vector(Box::new(at(Address::TWO, "vec_map", "Entry", vec![t(0), t(1)]))),
            )],
        ),
        (Address::TWO, "vec_map", "Entry") => (
            COPY | DROP | STORE,
            vec![param(COPY, false), param(0, false)],
            vec![field("key", t(0)), field("value", t(1))],
        ),
        (Address::TWO, "vec_set", "VecSet") => (
            COPY | DROP | STORE,
            vec![param(COPY | DROP, false)],
            vec![field("contents", SignatureType::Vector(Box::new(t(0))))],
        ),
        (Address::TWO, "table", "Table") => {
            (KEY | STORE, vec![param(COPY | DROP | STORE, true), param(STORE, true)], id_size())
        }
        (Address::TWO, "object_table", "ObjectTable") => {
            (KEY | STORE, vec![param(COPY | DROP | STORE, true), param(KEY | STORE, true)], id_size())
        }
        (Address::TWO, "bag", "Bag") => (KEY | STORE, vec![], id_size()),
        (Address::TWO, "group_ops", "Element") => (COPY | DROP | STORE, phantom_any(), vec![field("bytes", bytes())]),
        (Address::TWO, "bls12381", "G1" | "G2" | "GT" | "Scalar" | "UncompressedG1") => (0, vec![], empty()),
        (Address::TWO, "dynamic_field", "Field") => (
            KEY,
            vec![param(COPY | DROP | STORE, false), param(STORE, false)],
            vec![field("id", uid()), field("name", t(0)), field("value", t(1))],
        ),
        (Address::TWO, "dynamic_object_field", "Wrapper") => {
            (COPY | DROP | STORE, vec![param(0, false)], vec![field("name", t(0))])
        }
        (Address::TWO, "clock", "Clock") => {
            (KEY, vec![], vec![field("id", uid()), field("timestamp_ms", SignatureType::U64)])
        }
        (Address::TWO, "random", "Random") => {
            (KEY, vec![], vec![field("id", uid()), field("inner", at(Address::TWO, "versioned", "Versioned", vec![]))])
        }
        (Address::TWO, "random", "RandomInner") => (
            STORE,
            vec![],
            vec![
                field("version", SignatureType::U64),
                field("epoch", SignatureType::U64),
                field("randomness_round", SignatureType::U64),
                field("random_bytes", bytes()),
            ],
        ),
        (Address::TWO, "versioned", "Versioned") => {
            (KEY | STORE, vec![], vec![field("id", uid()), field("version", SignatureType::U64)])
        }
        (Address::TWO, "tx_context", "TxContext") => (
            DROP,
            vec![],
            vec![
                field("sender", SignatureType::Address),
                field("tx_hash", bytes()),
                field("epoch", SignatureType::U64),
                field("epoch_timestamp_ms", SignatureType::U64),
                field("ids_created", SignatureType::U64),
            ],
        ),
        _ => return None,
    };
    Some(DatatypeDef {
        name: name.into(),
        abilities: AbilitySet(abilities),
        type_parameters,
        body: DatatypeBody::Struct(fields),
    })
}

/// The modules of `package` the table describes datatypes of, sorted.
pub(crate) fn modules_of(package: &Address) -> Vec<&'static str> {
    let mut modules: Vec<&'static str> =
        DATATYPES.iter().filter(|(p, _, _)| p == package).map(|(_, module, _)| *module).collect();
    modules.dedup();
    modules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_what_it_lists_and_nothing_else() {
        for (package, module, name) in DATATYPES {
            let d = datatype_of(package, module, name).unwrap_or_else(|| panic!("{package}::{module}::{name}"));
            assert_eq!(d.name, *name);
        }
        assert!(datatype_of(&Address::TWO, "coin", "Unknown").is_none());
        assert!(datatype_of(&Address::from_static("0x3"), "object", "UID").is_none());
        let mut sorted = DATATYPES.to_vec();
        sorted.sort();
        assert_eq!(sorted, DATATYPES, "kept sorted so modules_of can dedup");
    }

    /// Every datatype a described field names is itself described, and type parameters stay
    /// within the declared ones.
    #[test]
    fn named_datatypes_are_described() {
        fn walk(t: &SignatureType, parameters: usize) {
            match t {
                SignatureType::Datatype { address, module, name, type_arguments } => {
                    let d = datatype_of(address, module, name).unwrap_or_else(|| panic!("{module}::{name}"));
                    assert_eq!(d.type_parameters.len(), type_arguments.len(), "{module}::{name}");
                    type_arguments.iter().for_each(|a| walk(a, parameters));
                }
                SignatureType::TypeParameter(i) => assert!(usize::from(*i) < parameters),
                SignatureType::Vector(t) => walk(t, parameters),
                _ => {}
            }
        }
        for (package, module, name) in DATATYPES {
            let d = datatype_of(package, module, name).unwrap();
            let DatatypeBody::Struct(fields) = &d.body else { panic!("{name} is a struct") };
            fields.iter().for_each(|f| walk(&f.ty, d.type_parameters.len()));
        }
    }
}
