//! Mirrors of the Sui framework types that floe's objects embed, laid out as they serialize:
//! `VecMap` is its entry vector, `Table`/`ObjectTable` are their UID and size, `Element<G1>` is
//! its compressed bytes, a dynamic field is `Field { id, name, value }`. `UID` and `ID` are
//! [`Address`]es and `Balance<T>` is its `u64` value, so neither needs a type of its own.

use serde::{Deserialize, Serialize};
use sui_sdk_types::{Address, Identifier, StructTag, TypeTag};

/// One key-value pair of a [`VecMap`] (`0x2::vec_map::Entry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VecMapEntry<K, V> {
    /// The key.
    pub key: K,
    /// The value.
    pub value: V,
}

/// `0x2::vec_map::VecMap<K, V>`: an insertion-ordered vector of entries with distinct keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VecMap<K, V> {
    /// The entries in the order Move keeps them.
    pub contents: Vec<VecMapEntry<K, V>>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self { contents: Vec::new() }
    }
}

impl<K: PartialEq, V> VecMap<K, V> {
    /// The value stored under `key`, if any.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.contents.iter().find(|entry| &entry.key == key).map(|entry| &entry.value)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.contents.len()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.contents.is_empty()
    }
}

impl<K, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self { contents: iter.into_iter().map(|(key, value)| VecMapEntry { key, value }).collect() }
    }
}

/// `0x2::table::Table<K, V>` or `0x2::object_table::ObjectTable<K, V>`: only the table's UID and
/// its entry count live in the parent; the entries are dynamic fields of that UID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// The table's UID, parent of its entries.
    pub id: Address,
    /// The number of entries.
    pub size: u64,
}

/// `0x2::group_ops::Element<0x2::bls12381::G1>`: a compressed BLS12-381 G1 point (48 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct G1Element {
    /// The compressed point.
    pub bytes: Vec<u8>,
}

/// `0x2::dynamic_field::Field<Name, Value>`: the object that holds one dynamic field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DynamicField<N, V> {
    /// The field object's id (derived from the parent and the name).
    pub id: Address,
    /// The field's name.
    pub name: N,
    /// The field's value.
    pub value: V,
}

/// `0x2::balance::Supply<T>`: the total amount minted and not burnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supply {
    /// The supply, in the coin's smallest unit.
    pub value: u64,
}

/// `0x2::coin::TreasuryCap<T>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreasuryCap {
    /// The capability's UID.
    pub id: Address,
    /// The coin's supply.
    pub total_supply: Supply,
}

/// The shared `0x2::clock::Clock` object's id.
pub const CLOCK_ID: Address = Address::from_static("0x6");

/// The shared `0x2::random::Random` object's id (Sui's on-chain randomness).
pub const RANDOM_ID: Address = Address::from_static("0x8");

/// The struct tag `0x1::string::String`.
pub fn string_struct() -> StructTag {
    StructTag::new(
        Address::from_static("0x1"),
        Identifier::from_static("string"),
        Identifier::from_static("String"),
        vec![],
    )
}

/// The struct tag `0x2::dynamic_field::Field<name, value>`.
pub fn dynamic_field_struct(name: TypeTag, value: TypeTag) -> StructTag {
    StructTag::new(
        Address::TWO,
        Identifier::from_static("dynamic_field"),
        Identifier::from_static("Field"),
        vec![name, value],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vec_map_is_its_entry_vector() {
        let map: VecMap<u32, u64> = [(7, 9), (1, 2)].into_iter().collect();
        let mut expected = vec![2u8];
        expected.extend(7u32.to_le_bytes());
        expected.extend(9u64.to_le_bytes());
        expected.extend(1u32.to_le_bytes());
        expected.extend(2u64.to_le_bytes());
        assert_eq!(bcs::to_bytes(&map).unwrap(), expected);
        assert_eq!(bcs::from_bytes::<VecMap<u32, u64>>(&expected).unwrap(), map);
        assert_eq!(map.get(&1), Some(&2));
        assert_eq!(map.get(&3), None);
        assert_eq!(map.len(), 2);
        assert!(VecMap::<u8, u8>::default().is_empty());
    }

    #[test]
    fn table_is_uid_then_size() {
        let table = Table { id: Address::new([0xab; 32]), size: 3 };
        let bytes = bcs::to_bytes(&table).unwrap();
        assert_eq!(bytes.len(), 40);
        assert_eq!(&bytes[..32], &[0xab; 32]);
        assert_eq!(&bytes[32..], &3u64.to_le_bytes());
        assert_eq!(bcs::from_bytes::<Table>(&bytes).unwrap(), table);
    }

    #[test]
    fn g1_element_and_treasury_cap_round_trip() {
        let element = G1Element { bytes: vec![0x95; 48] };
        let bytes = bcs::to_bytes(&element).unwrap();
        assert_eq!(bytes[0], 48);
        assert_eq!(bcs::from_bytes::<G1Element>(&bytes).unwrap(), element);

        let cap = TreasuryCap { id: Address::new([1; 32]), total_supply: Supply { value: 5 } };
        let bytes = bcs::to_bytes(&cap).unwrap();
        assert_eq!(bytes.len(), 40);
        assert_eq!(bcs::from_bytes::<TreasuryCap>(&bytes).unwrap(), cap);
    }

    #[test]
    fn dynamic_field_is_id_name_value() {
        let field = DynamicField { id: Address::new([2; 32]), name: 1u64, value: true };
        let bytes = bcs::to_bytes(&field).unwrap();
        let mut expected = vec![2u8; 32];
        expected.extend(1u64.to_le_bytes());
        expected.push(1);
        assert_eq!(bytes, expected);
        assert_eq!(bcs::from_bytes::<DynamicField<u64, bool>>(&bytes).unwrap(), field);
    }

    #[test]
    fn framework_struct_tags_print_as_move_types() {
        assert_eq!(
            CLOCK_ID,
            Address::new({
                let mut six = [0u8; 32];
                six[31] = 6;
                six
            })
        );
        let tag = dynamic_field_struct(TypeTag::U64, TypeTag::Struct(Box::new(string_struct())));
        let text = tag.to_string();
        let two = format!("0x{}2", "0".repeat(63));
        let one = format!("0x{}1", "0".repeat(63));
        assert_eq!(text, format!("{two}::dynamic_field::Field<u64, {one}::string::String>"));
    }
}
