//! The rendering rules, on layouts from the framework table and on hand-made ones.

use std::str::FromStr;

use serde::Serialize;
use serde_json::json;
use sui_sdk_types::{Address, StructTag, TypeTag};

use super::*;
use crate::move_json::layout::{Datatypes, LayoutError, layout_of};
use crate::packages::framework_datatypes;

/// Only the framework table: enough for every framework type.
struct FrameworkOnly;

impl Datatypes for FrameworkOnly {
    fn datatype(
        &mut self,
        package: &Address,
        module: &str,
        name: &str,
    ) -> Result<floe_chain::move_bytecode::DatatypeDef, LayoutError> {
        framework_datatypes::datatype_of(package, module, name)
            .ok_or_else(|| LayoutError::UnknownDatatype(format!("{package}::{module}::{name}")))
    }
}

fn layout(ty: &str) -> Layout {
    layout_of(&mut FrameworkOnly, &TypeTag::from_str(ty).unwrap()).unwrap()
}

fn plain(value: prost_types::Value) -> serde_json::Value {
    use prost_types::value::Kind;
    match value.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => b.into(),
        Some(Kind::NumberValue(n)) => {
            assert!(n.fract() == 0.0 && n >= 0.0 && n <= f64::from(u32::MAX), "{n} is not a u32");
            (n as u32).into()
        }
        Some(Kind::StringValue(s)) => s.into(),
        Some(Kind::ListValue(l)) => l.values.into_iter().map(plain).collect(),
        Some(Kind::StructValue(s)) => s.fields.into_iter().map(|(k, v)| (k, plain(v))).collect(),
    }
}

fn render<T: Serialize>(ty: &str, value: &T) -> serde_json::Value {
    plain(to_json(&layout(ty), &bcs::to_bytes(value).unwrap()).unwrap())
}

#[test]
fn small_integers_are_numbers_and_large_ones_decimal_strings() {
    assert_eq!(render("u8", &255u8), json!(255));
    assert_eq!(render("u16", &65535u16), json!(65535));
    assert_eq!(render("u32", &u32::MAX), json!(u32::MAX));
    assert_eq!(render("u64", &u64::MAX), json!("18446744073709551615"));
    assert_eq!(render("u128", &u128::MAX), json!(u128::MAX.to_string()));
    assert_eq!(render("bool", &true), json!(true));
}

#[test]
fn u256_is_its_decimal_string() {
    assert_eq!(render("u256", &[0u8; 32]), json!("0"));
    let mut one_past_u128 = [0u8; 32];
    one_past_u128[16] = 1;
    assert_eq!(render("u256", &one_past_u128), json!("340282366920938463463374607431768211456"));
    assert_eq!(
        render("u256", &[0xffu8; 32]),
        json!("115792089237316195423570985008687907853269984665640564039457584007913129639935")
    );
    let mut ten_pow_19 = [0u8; 32];
    ten_pow_19[..8].copy_from_slice(&10_000_000_000_000_000_000u64.to_le_bytes());
    assert_eq!(render("u256", &ten_pow_19), json!("10000000000000000000"));
}

#[test]
fn addresses_and_ids_are_full_hex() {
    let a = Address::from_static("0x42");
    let full = "0x0000000000000000000000000000000000000000000000000000000000000042";
    assert_eq!(render("address", &a), json!(full));
    assert_eq!(render("0x2::object::ID", &a), json!(full));
    assert_eq!(render("0x2::object::UID", &a), json!(full));
}

#[test]
fn byte_vectors_are_base64_and_other_vectors_arrays() {
    assert_eq!(render("vector<u8>", &vec![1u8, 2, 3, 255]), json!("AQID/w=="));
    assert_eq!(render("vector<u64>", &vec![1u64, 2]), json!(["1", "2"]));
    assert_eq!(render("vector<vector<u8>>", &vec![vec![0u8]]), json!(["AA=="]));
    assert_eq!(render("vector<u16>", &Vec::<u16>::new()), json!([]));
}

#[test]
fn strings_urls_options_and_balances_are_flattened() {
    assert_eq!(render("0x1::string::String", &"héllo"), json!("héllo"));
    assert_eq!(render("0x1::ascii::String", &"walrus"), json!("walrus"));
    assert_eq!(render("0x2::url::Url", &"https://floe.example"), json!("https://floe.example"));
    assert_eq!(render("0x1::option::Option<u32>", &Some(7u32)), json!(7));
    assert_eq!(render("0x1::option::Option<u32>", &None::<u32>), json!(null));
    assert_eq!(render("0x1::option::Option<0x1::string::String>", &Some("x")), json!("x"));
    assert_eq!(render("0x2::balance::Balance<0x2::sui::SUI>", &5u64), json!("5"));
}

#[test]
fn structs_are_objects_of_their_fields() {
    let coin = render("0x2::coin::Coin<0x2::sui::SUI>", &(Address::from_static("0x7"), 1_000_000_000u64));
    assert_eq!(coin, json!({"id": Address::from_static("0x7").to_string(), "balance": "1000000000"}));
    // VecMap has no rule of its own: its entries show as they are declared.
    let map = render("0x2::vec_map::VecMap<u64, 0x1::option::Option<u8>>", &vec![(1u64, Some(2u8)), (3, None)]);
    assert_eq!(map, json!({"contents": [{"key": "1", "value": 2}, {"key": "3", "value": null}]}));
    let metadata = render(
        "0x2::coin::CoinMetadata<0x2::sui::SUI>",
        &(Address::from_static("0x9"), 9u8, "Sui", "SUI", "gas", None::<String>),
    );
    assert_eq!(
        metadata,
        json!({
            "id": Address::from_static("0x9").to_string(),
            "decimals": 9,
            "name": "Sui",
            "symbol": "SUI",
            "description": "gas",
            "icon_url": null,
        })
    );
}

#[test]
fn enums_name_their_variant() {
    let tag = StructTag::from_str("0xf1::x::Status").unwrap();
    let layout = Layout::Enum {
        tag,
        variants: vec![
            ("Pending".into(), vec![]),
            ("Done".into(), vec![("at".into(), Layout::U32), ("by".into(), Layout::Address)]),
        ],
    };
    let rendered = plain(to_json(&layout, &bcs::to_bytes(&(1u8, 4u32, Address::ZERO)).unwrap()).unwrap());
    assert_eq!(rendered, json!({"@variant": "Done", "at": 4, "by": Address::ZERO.to_string()}));
    assert_eq!(plain(to_json(&layout, &[0]).unwrap()), json!({"@variant": "Pending"}));
    assert_eq!(to_json(&layout, &[2]), Err(ValueError::Invalid { at: 0, what: "an enum variant index out of range" }));
}

#[test]
fn bytes_that_do_not_match_the_layout_are_refused() {
    let coin = layout("0x2::coin::Coin<0x2::sui::SUI>");
    let bytes = bcs::to_bytes(&(Address::ZERO, 1u64)).unwrap();
    assert_eq!(to_json(&coin, &bytes[..39]), Err(ValueError::UnexpectedEnd(39)));
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(to_json(&coin, &longer), Err(ValueError::TrailingBytes(1)));
    assert!(matches!(to_json(&Layout::Bool, &[2]), Err(ValueError::Invalid { at: 0, .. })));
    // Option holds at most one value; a string must be UTF-8; lengths are in shortest form.
    assert!(to_json(&layout("0x1::option::Option<u8>"), &[2, 1, 1]).is_err());
    assert!(to_json(&layout("0x1::string::String"), &[1, 0xff]).is_err());
    assert!(to_json(&layout("vector<u8>"), &[0x80, 0x00]).is_err());
}

#[test]
fn unknown_types_and_wrong_arity_have_no_layout() {
    let unknown = layout_of(&mut FrameworkOnly, &TypeTag::from_str("0x2::nothing::Here").unwrap());
    assert!(matches!(unknown, Err(LayoutError::UnknownDatatype(_))));
    let arity = layout_of(&mut FrameworkOnly, &TypeTag::from_str("0x2::coin::Coin").unwrap());
    assert!(matches!(arity, Err(LayoutError::Arity { expected: 1, .. })));
    assert!(matches!(layout_of(&mut FrameworkOnly, &TypeTag::Signer), Err(LayoutError::NotStorable(_))));
}
