//! A reader for compiled Move modules (the Move binary format, versions 5 to 7 with Sui's flavor),
//! limited to what describing a package needs: the module's name and address, its datatypes
//! (structs and enums with their fields) and its functions (visibility, `entry`, type parameters,
//! parameter and return types), plus the one rewrite a publisher makes: replacing an address in
//! the module's address pool.
//!
//! Layout: magic `A1 1C EB 0B`, a little-endian u32 version (for version 7 and later the high byte
//! is the flavor, 5 for Sui), a ULEB128 table count, that many table headers (kind byte, ULEB128
//! offset and length, offsets relative to the end of the headers), the tables, then the ULEB128
//! index of the module's own module handle. Every index inside a table is ULEB128; a table's
//! entries follow each other without lengths, so a table is read entry by entry from its start
//! (function definitions include their code, which is walked instruction by instruction to find
//! the next definition). No crate on crates.io reads Sui's current format (Sui's own
//! `move-binary-format` is not published there), hence this focused reader.

mod binary;
mod code;
mod model;
#[cfg(test)]
mod tests;

use sui_sdk_types::Address;

use binary::{Cursor, get, read_header, read_table, table};
pub use model::{
    AbilitySet, CompiledModule, DatatypeBody, DatatypeDef, DatatypeTypeParameter, Field, FunctionDef, SignatureType,
    Variant, Visibility,
};

/// Why a module could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BytecodeError {
    /// The bytes do not start with the Move magic number.
    #[error("not a compiled Move module (bad magic number)")]
    BadMagic,
    /// A binary format version this reader does not know.
    #[error("unsupported Move bytecode version {version} (flavor {flavor}); supported: 5 to 7, Sui flavor")]
    UnsupportedVersion {
        /// The version without its flavor byte.
        version: u32,
        /// The flavor byte.
        flavor: u32,
    },
    /// The bytes end inside a value.
    #[error("module ends unexpectedly at byte {0}")]
    Truncated(usize),
    /// A ULEB128 value does not fit.
    #[error("ULEB128 value at byte {0} overflows")]
    Overflow(usize),
    /// A byte that must be one of a few values is not.
    #[error("unexpected {what} {value:#x} at byte {at}")]
    Unexpected {
        /// What was being read.
        what: &'static str,
        /// The byte found.
        value: u8,
        /// Its position.
        at: usize,
    },
    /// An index points past the end of its table.
    #[error("{table} index {index} is out of range ({len} entries)")]
    BadIndex {
        /// The table indexed.
        table: &'static str,
        /// The index.
        index: usize,
        /// The table's length.
        len: usize,
    },
    /// An identifier is not UTF-8.
    #[error("identifier at byte {0} is not UTF-8")]
    BadIdentifier(usize),
    /// The table headers are inconsistent (overlapping or past the end).
    #[error("malformed table headers")]
    BadTables,
    /// [`substitute_address`] found no entry equal to the address to replace.
    #[error("the module's address pool has no {0}")]
    AddressNotFound(Address),
}

/// The module's handle tables, resolved lazily into names.
struct Pools {
    identifiers: Vec<String>,
    addresses: Vec<Address>,
    /// (address index, name index)
    module_handles: Vec<(usize, usize)>,
    /// (module handle, name index, abilities, type parameters)
    datatype_handles: Vec<(usize, usize, AbilitySet, Vec<DatatypeTypeParameter>)>,
}

/// A signature token before datatype handles are resolved to names.
#[derive(Clone)]
enum RawToken {
    Bool,
    U8,
    U16,
    U32,
    U64,
    U128,
    U256,
    Address,
    Signer,
    Vector(Box<RawToken>),
    Datatype(usize, Vec<RawToken>),
    TypeParameter(u16),
    Reference(Box<RawToken>),
    MutableReference(Box<RawToken>),
}

fn read_token(c: &mut Cursor<'_>, depth: usize) -> Result<RawToken, BytecodeError> {
    // Signatures nest (vector<vector<..>>); the format caps the depth far below this.
    if depth > 256 {
        return Err(BytecodeError::Overflow(c.pos));
    }
    let at = c.pos;
    Ok(match c.byte()? {
        0x1 => RawToken::Bool,
        0x2 => RawToken::U8,
        0x3 => RawToken::U64,
        0x4 => RawToken::U128,
        0x5 => RawToken::Address,
        0x6 => RawToken::Reference(Box::new(read_token(c, depth + 1)?)),
        0x7 => RawToken::MutableReference(Box::new(read_token(c, depth + 1)?)),
        0x8 => RawToken::Datatype(c.index()?, Vec::new()),
        0x9 => {
            let at = c.pos;
            RawToken::TypeParameter(u16::try_from(c.uleb()?).map_err(|_| BytecodeError::Overflow(at))?)
        }
        0xA => RawToken::Vector(Box::new(read_token(c, depth + 1)?)),
        0xB => {
            let handle = c.index()?;
            let arity = c.index()?;
            let args = (0..arity).map(|_| read_token(c, depth + 1)).collect::<Result<_, _>>()?;
            RawToken::Datatype(handle, args)
        }
        0xC => RawToken::Signer,
        0xD => RawToken::U16,
        0xE => RawToken::U32,
        0xF => RawToken::U256,
        value => return Err(BytecodeError::Unexpected { what: "signature token", value, at }),
    })
}

impl Pools {
    fn identifier(&self, index: usize) -> Result<String, BytecodeError> {
        get(&self.identifiers, index, "identifier").cloned()
    }

    fn module(&self, handle: usize) -> Result<(Address, String), BytecodeError> {
        let (address, name) = *get(&self.module_handles, handle, "module handle")?;
        Ok((*get(&self.addresses, address, "address identifier")?, self.identifier(name)?))
    }

    fn resolve(&self, token: RawToken) -> Result<SignatureType, BytecodeError> {
        Ok(match token {
            RawToken::Bool => SignatureType::Bool,
            RawToken::U8 => SignatureType::U8,
            RawToken::U16 => SignatureType::U16,
            RawToken::U32 => SignatureType::U32,
            RawToken::U64 => SignatureType::U64,
            RawToken::U128 => SignatureType::U128,
            RawToken::U256 => SignatureType::U256,
            RawToken::Address => SignatureType::Address,
            RawToken::Signer => SignatureType::Signer,
            RawToken::Vector(t) => SignatureType::Vector(Box::new(self.resolve(*t)?)),
            RawToken::Reference(t) => SignatureType::Reference(Box::new(self.resolve(*t)?)),
            RawToken::MutableReference(t) => SignatureType::MutableReference(Box::new(self.resolve(*t)?)),
            RawToken::TypeParameter(i) => SignatureType::TypeParameter(i),
            RawToken::Datatype(handle, args) => {
                let (module_handle, name, _, _) = get(&self.datatype_handles, handle, "datatype handle")?;
                let (address, module) = self.module(*module_handle)?;
                SignatureType::Datatype {
                    address,
                    module,
                    name: self.identifier(*name)?,
                    type_arguments: args.into_iter().map(|a| self.resolve(a)).collect::<Result<_, _>>()?,
                }
            }
        })
    }
}

fn read_ability_set(c: &mut Cursor<'_>) -> Result<AbilitySet, BytecodeError> {
    let at = c.pos;
    let value = c.uleb()?;
    u8::try_from(value).ok().filter(|v| *v <= 0xF).map(AbilitySet).ok_or(BytecodeError::Unexpected {
        what: "ability set",
        value: value as u8,
        at,
    })
}

fn read_fields(c: &mut Cursor<'_>) -> Result<Vec<(usize, RawToken)>, BytecodeError> {
    let count = c.index()?;
    (0..count).map(|_| Ok((c.index()?, read_token(c, 0)?))).collect()
}

/// Reads what a compiled module declares.
pub fn read_module(bytes: &[u8]) -> Result<CompiledModule, BytecodeError> {
    let header = read_header(bytes)?;
    let identifiers = read_table(bytes, &header, table::IDENTIFIERS, |c| {
        let len = c.index()?;
        let at = c.pos;
        let raw = c.take(len)?;
        String::from_utf8(raw.to_vec()).map_err(|_| BytecodeError::BadIdentifier(at))
    })?;
    let addresses = read_table(bytes, &header, table::ADDRESS_IDENTIFIERS, |c| {
        Ok(Address::new(c.take(32)?.try_into().expect("32 bytes")))
    })?;
    let module_handles = read_table(bytes, &header, table::MODULE_HANDLES, |c| Ok((c.index()?, c.index()?)))?;
    let datatype_handles = read_table(bytes, &header, table::DATATYPE_HANDLES, |c| {
        let module = c.index()?;
        let name = c.index()?;
        let abilities = read_ability_set(c)?;
        let count = c.index()?;
        let params = (0..count)
            .map(|_| {
                let constraints = read_ability_set(c)?;
                let at = c.pos;
                let is_phantom = match c.byte()? {
                    0 => false,
                    1 => true,
                    value => return Err(BytecodeError::Unexpected { what: "phantom flag", value, at }),
                };
                Ok(DatatypeTypeParameter { constraints, is_phantom })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((module, name, abilities, params))
    })?;
    let signatures = read_table(bytes, &header, table::SIGNATURES, |c| {
        let len = c.index()?;
        (0..len).map(|_| read_token(c, 0)).collect::<Result<Vec<_>, _>>()
    })?;
    // (module handle, name, parameters signature, returns signature, type parameters)
    let function_handles = read_table(bytes, &header, table::FUNCTION_HANDLES, |c| {
        let module = c.index()?;
        let name = c.index()?;
        let parameters = c.index()?;
        let returns = c.index()?;
        let count = c.index()?;
        let type_parameters = (0..count).map(|_| read_ability_set(c)).collect::<Result<Vec<_>, _>>()?;
        Ok((module, name, parameters, returns, type_parameters))
    })?;
    let struct_defs = read_table(bytes, &header, table::STRUCT_DEFS, |c| {
        let handle = c.index()?;
        let at = c.pos;
        let fields = match c.byte()? {
            0x1 => None,
            0x2 => Some(read_fields(c)?),
            value => return Err(BytecodeError::Unexpected { what: "struct field flag", value, at }),
        };
        Ok((handle, fields))
    })?;
    let enum_defs = read_table(bytes, &header, table::ENUM_DEFS, |c| {
        let handle = c.index()?;
        let at = c.pos;
        match c.byte()? {
            0x2 => {}
            value => return Err(BytecodeError::Unexpected { what: "enum flag", value, at }),
        }
        let count = c.index()?;
        let variants = (0..count).map(|_| Ok((c.index()?, read_fields(c)?))).collect::<Result<Vec<_>, _>>()?;
        Ok((handle, variants))
    })?;
    let version = header.version;
    let function_defs = read_table(bytes, &header, table::FUNCTION_DEFS, |c| {
        let handle = c.index()?;
        let at = c.pos;
        let visibility = match c.byte()? {
            0x0 => Visibility::Private,
            0x1 => Visibility::Public,
            0x3 => Visibility::Friend,
            value => return Err(BytecodeError::Unexpected { what: "visibility", value, at }),
        };
        let at = c.pos;
        let flags = c.byte()?;
        const NATIVE: u8 = 0x2;
        const ENTRY: u8 = 0x4;
        if flags & !(NATIVE | ENTRY) != 0 {
            return Err(BytecodeError::Unexpected { what: "function flags", value: flags, at });
        }
        let acquires = c.index()?;
        for _ in 0..acquires {
            c.uleb()?;
        }
        if flags & NATIVE == 0 {
            code::skip_code(c, version)?;
        }
        Ok((handle, visibility, flags & ENTRY != 0))
    })?;

    let pools = Pools { identifiers, addresses, module_handles, datatype_handles };
    let (address, name) = pools.module(header.self_handle)?;
    let fields = |raw: Vec<(usize, RawToken)>| -> Result<Vec<Field>, BytecodeError> {
        raw.into_iter().map(|(name, ty)| Ok(Field { name: pools.identifier(name)?, ty: pools.resolve(ty)? })).collect()
    };
    let datatype = |handle: usize, body: DatatypeBody| -> Result<DatatypeDef, BytecodeError> {
        let (_, name, abilities, type_parameters) = get(&pools.datatype_handles, handle, "datatype handle")?;
        Ok(DatatypeDef {
            name: pools.identifier(*name)?,
            abilities: *abilities,
            type_parameters: type_parameters.clone(),
            body,
        })
    };
    let mut datatypes = Vec::new();
    for (handle, raw) in struct_defs {
        let body = match raw {
            None => DatatypeBody::NativeStruct,
            Some(raw) => DatatypeBody::Struct(fields(raw)?),
        };
        datatypes.push(datatype(handle, body)?);
    }
    for (handle, raw_variants) in enum_defs {
        let variants = raw_variants
            .into_iter()
            .map(|(name, raw)| Ok(Variant { name: pools.identifier(name)?, fields: fields(raw)? }))
            .collect::<Result<Vec<_>, BytecodeError>>()?;
        datatypes.push(datatype(handle, DatatypeBody::Enum(variants))?);
    }
    let signature = |index: usize| -> Result<Vec<SignatureType>, BytecodeError> {
        // Signatures are shared between functions, so each use resolves a fresh copy.
        let raw = get(&signatures, index, "signature")?;
        raw.iter().map(|t| pools.resolve(t.clone())).collect()
    };
    let mut functions = Vec::new();
    for (handle, visibility, is_entry) in function_defs {
        let (_, name, parameters, returns, type_parameters) = get(&function_handles, handle, "function handle")?;
        functions.push(FunctionDef {
            name: pools.identifier(*name)?,
            visibility,
            is_entry,
            type_parameters: type_parameters.clone(),
            parameters: signature(*parameters)?,
            returns: signature(*returns)?,
        });
    }
    Ok(CompiledModule { address, name, datatypes, functions, addresses: pools.addresses })
}

/// Returns the module with `from` replaced by `to` in its address pool: what Sui's publish does
/// to a package's own address (compiled at `0x0`, rewritten to the new package id), and what
/// re-linking a module to a dependency published elsewhere does. Every reference to modules at
/// `from` (the module itself, its friends, types and functions there) follows, since they all
/// name the pool entry; constants (`@0x0` literals) are not in the pool and stay.
pub fn substitute_address(bytes: &[u8], from: Address, to: Address) -> Result<Vec<u8>, BytecodeError> {
    let header = read_header(bytes)?;
    let Some(range) = header.range(table::ADDRESS_IDENTIFIERS) else {
        return Err(BytecodeError::AddressNotFound(from));
    };
    let mut out = bytes.to_vec();
    let mut found = false;
    for start in (range.start..range.end).step_by(32) {
        if out.get(start..start + 32) == Some(from.as_bytes()) {
            out[start..start + 32].copy_from_slice(to.as_bytes());
            found = true;
        }
    }
    if !found {
        return Err(BytecodeError::AddressNotFound(from));
    }
    Ok(out)
}
