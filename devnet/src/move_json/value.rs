//! A value's BCS bytes read through its layout into JSON (a protobuf `Value`), by Sui's rules:
//! `u8`/`u16`/`u32` and `bool` as JSON numbers and booleans; `u64`, `u128` and `u256` as decimal
//! strings (JSON numbers cannot hold them exactly); addresses as `0x` and 64 hex digits;
//! `vector<u8>` as base64; other vectors as arrays; a struct as an object of its fields, except
//! `0x1::string::String`, `0x1::ascii::String` and `0x2::url::Url` (the text),
//! `0x2::object::UID` and `ID` (the id), `0x1::option::Option` (`null` or the value) and
//! `0x2::balance::Balance` (the amount, as a string); an enum as an object of its fields plus
//! `"@variant"`, the variant's name.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};
use sui_sdk_types::{Address, StructTag};

use super::layout::{Layout, MAX_DEPTH};
use crate::packages::framework_datatypes::STD;

/// Why bytes did not read as a value of their layout.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ValueError {
    #[error("the bytes end at {0} in the middle of a value")]
    UnexpectedEnd(usize),
    #[error("{0} bytes are left after the value")]
    TrailingBytes(usize),
    #[error("byte {at}: {what}")]
    Invalid { at: usize, what: &'static str },
    #[error("the value nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// `bytes`, all of them, read as a value of `layout`.
pub(crate) fn to_json(layout: &Layout, bytes: &[u8]) -> Result<Value, ValueError> {
    let mut reader = Reader { bytes, at: 0 };
    let value = reader.value(layout, 0)?;
    match bytes.len() - reader.at {
        0 => Ok(value),
        left => Err(ValueError::TrailingBytes(left)),
    }
}

/// Structs a full node renders as something other than an object of their fields.
enum Special {
    Text,
    Id,
    Option,
    Balance,
}

fn special(tag: &StructTag) -> Option<Special> {
    let (address, module, name) = (*tag.address(), tag.module().as_str(), tag.name().as_str());
    match (address, module, name) {
        (STD, "string" | "ascii", "String") | (Address::TWO, "url", "Url") => Some(Special::Text),
        (Address::TWO, "object", "UID" | "ID") => Some(Special::Id),
        (STD, "option", "Option") => Some(Special::Option),
        (Address::TWO, "balance", "Balance") => Some(Special::Balance),
        _ => None,
    }
}

fn string(s: String) -> Value {
    Value { kind: Some(Kind::StringValue(s)) }
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Result<&'b [u8], ValueError> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len());
        let end = end.ok_or(ValueError::UnexpectedEnd(self.bytes.len()))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ValueError> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }

    /// A BCS length or variant index: ULEB128, canonical, at most `u32::MAX`.
    fn uleb128(&mut self) -> Result<usize, ValueError> {
        let start = self.at;
        let mut value: u64 = 0;
        for shift in (0..).step_by(7).take(5) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(ValueError::Invalid { at: start, what: "a length not in its shortest form" });
                }
                return u32::try_from(value)
                    .map(|v| v as usize)
                    .map_err(|_| ValueError::Invalid { at: start, what: "a length past u32::MAX" });
            }
        }
        Err(ValueError::Invalid { at: start, what: "a length longer than 5 bytes" })
    }

    fn byte_vector(&mut self) -> Result<&'b [u8], ValueError> {
        let len = self.uleb128()?;
        self.take(len)
    }

    fn address(&mut self) -> Result<Value, ValueError> {
        Ok(string(Address::new(self.array()?).to_string()))
    }

    fn value(&mut self, layout: &Layout, depth: usize) -> Result<Value, ValueError> {
        if depth > MAX_DEPTH {
            return Err(ValueError::TooDeep);
        }
        Ok(match layout {
            Layout::Bool => match self.take(1)?[0] {
                0 => Value::from(false),
                1 => Value::from(true),
                _ => return Err(ValueError::Invalid { at: self.at - 1, what: "a bool other than 0 or 1" }),
            },
            Layout::U8 => Value::from(u32::from(self.take(1)?[0])),
            Layout::U16 => Value::from(u32::from(u16::from_le_bytes(self.array()?))),
            Layout::U32 => Value::from(u32::from_le_bytes(self.array()?)),
            Layout::U64 => string(u64::from_le_bytes(self.array()?).to_string()),
            Layout::U128 => string(u128::from_le_bytes(self.array()?).to_string()),
            Layout::U256 => string(u256_decimal(self.array()?)),
            Layout::Address => self.address()?,
            Layout::Vector(element) if **element == Layout::U8 => string(BASE64.encode(self.byte_vector()?)),
            Layout::Vector(element) => {
                let len = self.uleb128()?;
                let values = (0..len).map(|_| self.value(element, depth + 1)).collect::<Result<_, _>>()?;
                Value { kind: Some(Kind::ListValue(ListValue { values })) }
            }
            Layout::Struct { tag, fields } => match special(tag) {
                Some(Special::Text) => {
                    let at = self.at;
                    let text = std::str::from_utf8(self.byte_vector()?)
                        .map_err(|_| ValueError::Invalid { at, what: "a string that is not UTF-8" })?;
                    string(text.to_owned())
                }
                Some(Special::Id) => self.address()?,
                Some(Special::Balance) => string(u64::from_le_bytes(self.array()?).to_string()),
                Some(Special::Option) => {
                    let at = self.at;
                    let element = match fields.as_slice() {
                        [(_, Layout::Vector(element))] => element,
                        _ => return Err(ValueError::Invalid { at, what: "an Option not laid out as a vector" }),
                    };
                    match self.uleb128()? {
                        0 => Value { kind: Some(Kind::NullValue(0)) },
                        1 => self.value(element, depth + 1)?,
                        _ => return Err(ValueError::Invalid { at, what: "an Option with more than one value" }),
                    }
                }
                None => self.object(fields, None, depth)?,
            },
            Layout::Enum { variants, .. } => {
                let at = self.at;
                let index = self.uleb128()?;
                let (name, fields) = variants
                    .get(index)
                    .ok_or(ValueError::Invalid { at, what: "an enum variant index out of range" })?;
                self.object(fields, Some(name.as_str()), depth)?
            }
        })
    }

    fn object(
        &mut self,
        fields: &[(String, Layout)],
        variant: Option<&str>,
        depth: usize,
    ) -> Result<Value, ValueError> {
        let mut object = Struct::default();
        if let Some(name) = variant {
            object.fields.insert("@variant".to_owned(), string(name.to_owned()));
        }
        for (name, layout) in fields {
            let value = self.value(layout, depth + 1)?;
            object.fields.insert(name.clone(), value);
        }
        Ok(Value { kind: Some(Kind::StructValue(object)) })
    }
}

/// A little-endian 256-bit unsigned integer in decimal.
fn u256_decimal(bytes: [u8; 32]) -> String {
    // Four 64-bit limbs, least significant first, divided by 10^19 (the largest power of ten in
    // a u64) until zero; each remainder gives 19 digits.
    const CHUNK: u64 = 10_000_000_000_000_000_000;
    let mut limbs: [u64; 4] = std::array::from_fn(|i| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap()));
    let mut chunks = Vec::new();
    while limbs.iter().any(|l| *l != 0) {
        let mut remainder: u128 = 0;
        for limb in limbs.iter_mut().rev() {
            let current = (remainder << 64) | u128::from(*limb);
            *limb = (current / u128::from(CHUNK)) as u64;
            remainder = current % u128::from(CHUNK);
        }
        chunks.push(remainder as u64);
    }
    match chunks.split_last() {
        None => "0".to_owned(),
        Some((most, rest)) => {
            let mut text = most.to_string();
            for chunk in rest.iter().rev() {
                text.push_str(&format!("{chunk:019}"));
            }
            text
        }
    }
}

#[cfg(test)]
#[path = "value_tests.rs"]
mod tests;
