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

use sui_sdk_types::Address;

const MAGIC: [u8; 4] = [0xA1, 0x1C, 0xEB, 0x0B];
const SUI_FLAVOR: u32 = 0x05;
const MIN_VERSION: u32 = 5;
const MAX_VERSION: u32 = 7;

/// A table's kind byte in the header.
mod table {
    pub const MODULE_HANDLES: u8 = 0x1;
    pub const DATATYPE_HANDLES: u8 = 0x2;
    pub const FUNCTION_HANDLES: u8 = 0x3;
    pub const SIGNATURES: u8 = 0x5;
    pub const IDENTIFIERS: u8 = 0x7;
    pub const ADDRESS_IDENTIFIERS: u8 = 0x8;
    pub const STRUCT_DEFS: u8 = 0xA;
    pub const FUNCTION_DEFS: u8 = 0xC;
    pub const ENUM_DEFS: u8 = 0x11;
}

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

/// A set of Move abilities (bit 0 copy, 1 drop, 2 store, 3 key, as in the binary format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AbilitySet(pub u8);

impl AbilitySet {
    /// `copy`.
    pub const COPY: u8 = 0x1;
    /// `drop`.
    pub const DROP: u8 = 0x2;
    /// `store`.
    pub const STORE: u8 = 0x4;
    /// `key`.
    pub const KEY: u8 = 0x8;

    /// Whether every ability in `bit` is in the set.
    pub fn has(self, bit: u8) -> bool {
        self.0 & bit == bit
    }
}

/// A type as it appears in a signature or a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureType {
    /// `bool`.
    Bool,
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `u64`.
    U64,
    /// `u128`.
    U128,
    /// `u256`.
    U256,
    /// `address`.
    Address,
    /// `signer`.
    Signer,
    /// `vector<T>`.
    Vector(Box<SignatureType>),
    /// A struct or enum, possibly instantiated.
    Datatype {
        /// The address of its package as the module names it (the package's original id).
        address: Address,
        /// Its module.
        module: String,
        /// Its name.
        name: String,
        /// Type arguments (empty when not generic).
        type_arguments: Vec<SignatureType>,
    },
    /// The function's or datatype's type parameter at this position.
    TypeParameter(u16),
    /// `&T`.
    Reference(Box<SignatureType>),
    /// `&mut T`.
    MutableReference(Box<SignatureType>),
}

/// A datatype's type parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatatypeTypeParameter {
    /// Abilities the argument must have.
    pub constraints: AbilitySet,
    /// Declared `phantom`.
    pub is_phantom: bool,
}

/// A named field of a struct or enum variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// The field's type.
    pub ty: SignatureType,
}

/// An enum variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The variant's name.
    pub name: String,
    /// Its fields, in declaration order.
    pub fields: Vec<Field>,
}

/// What a datatype holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatatypeBody {
    /// A struct with its fields in declaration order.
    Struct(Vec<Field>),
    /// A native struct (no declared fields).
    NativeStruct,
    /// An enum with its variants in declaration order.
    Enum(Vec<Variant>),
}

/// A struct or enum defined by the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatatypeDef {
    /// Its name.
    pub name: String,
    /// Its abilities.
    pub abilities: AbilitySet,
    /// Its type parameters.
    pub type_parameters: Vec<DatatypeTypeParameter>,
    /// Its fields or variants.
    pub body: DatatypeBody,
}

/// A function's visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Callable only inside its module.
    Private,
    /// `public`.
    Public,
    /// `public(package)` (friend).
    Friend,
}

/// A function defined by the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDef {
    /// Its name.
    pub name: String,
    /// Its visibility.
    pub visibility: Visibility,
    /// Declared `entry`.
    pub is_entry: bool,
    /// Abilities required of each type parameter.
    pub type_parameters: Vec<AbilitySet>,
    /// Parameter types.
    pub parameters: Vec<SignatureType>,
    /// Return types.
    pub returns: Vec<SignatureType>,
}

/// What a compiled module declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledModule {
    /// The module's own address (its package's original id; `0x0` before publication).
    pub address: Address,
    /// The module's name.
    pub name: String,
    /// Datatypes in definition order: structs first, then enums.
    pub datatypes: Vec<DatatypeDef>,
    /// Functions in definition order.
    pub functions: Vec<FunctionDef>,
    /// The module's dependencies' and its own addresses (the address pool).
    pub addresses: Vec<Address>,
}

impl CompiledModule {
    /// The datatype called `name`.
    pub fn datatype(&self, name: &str) -> Option<&DatatypeDef> {
        self.datatypes.iter().find(|d| d.name == name)
    }

    /// The function called `name`.
    pub fn function(&self, name: &str) -> Option<&FunctionDef> {
        self.functions.iter().find(|f| f.name == name)
    }
}

/// A position-tracking reader over a byte slice.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], pos: usize) -> Self {
        Self { bytes, pos }
    }

    fn byte(&mut self) -> Result<u8, BytecodeError> {
        let b = *self.bytes.get(self.pos).ok_or(BytecodeError::Truncated(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], BytecodeError> {
        let end =
            self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or(BytecodeError::Truncated(self.pos))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn uleb(&mut self) -> Result<u64, BytecodeError> {
        let start = self.pos;
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(BytecodeError::Overflow(start));
            }
            value |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(BytecodeError::Overflow(start))
    }

    fn index(&mut self) -> Result<usize, BytecodeError> {
        let at = self.pos;
        usize::try_from(self.uleb()?).map_err(|_| BytecodeError::Overflow(at))
    }
}

/// Where a table's entries are, as absolute positions in the module.
#[derive(Debug, Clone, Copy)]
struct TableRange {
    start: usize,
    end: usize,
}

/// The parsed header: the version and each table's range.
struct Header {
    version: u32,
    tables: Vec<(u8, TableRange)>,
    self_handle: usize,
}

fn read_header(bytes: &[u8]) -> Result<Header, BytecodeError> {
    if bytes.len() < 8 || bytes[..4] != MAGIC {
        return Err(BytecodeError::BadMagic);
    }
    let flavored = u32::from_le_bytes(bytes[4..8].try_into().expect("four bytes"));
    // Versions up to 6 carry no flavor byte; from 7 on the high byte must be Sui's.
    let (version, flavor) = if flavored & 0x00FF_FFFF <= 6 && flavored >> 24 == 0 {
        (flavored, 0)
    } else {
        (flavored & 0x00FF_FFFF, flavored >> 24)
    };
    if !(MIN_VERSION..=MAX_VERSION).contains(&version) || (version >= 7 && flavor != SUI_FLAVOR) {
        return Err(BytecodeError::UnsupportedVersion { version, flavor });
    }
    let mut c = Cursor::new(bytes, 8);
    let count = c.uleb()?;
    let mut raw = Vec::new();
    for _ in 0..count {
        let kind = c.byte()?;
        let offset = c.index()?;
        let len = c.index()?;
        raw.push((kind, offset, len));
    }
    let data = c.pos;
    let mut tables = Vec::new();
    let mut size = 0usize;
    for (kind, offset, len) in raw {
        let start = data.checked_add(offset).ok_or(BytecodeError::BadTables)?;
        let end = start.checked_add(len).filter(|&e| e <= bytes.len()).ok_or(BytecodeError::BadTables)?;
        size = size.max(offset + len);
        tables.push((kind, TableRange { start, end }));
    }
    let mut c = Cursor::new(bytes, data + size);
    let self_handle = c.index()?;
    Ok(Header { version, tables, self_handle })
}

impl Header {
    fn range(&self, kind: u8) -> Option<TableRange> {
        self.tables.iter().find(|(k, _)| *k == kind).map(|(_, r)| *r)
    }
}

/// Reads every entry of table `kind` with `entry`.
fn read_table<T>(
    bytes: &[u8],
    header: &Header,
    kind: u8,
    mut entry: impl FnMut(&mut Cursor<'_>) -> Result<T, BytecodeError>,
) -> Result<Vec<T>, BytecodeError> {
    let Some(range) = header.range(kind) else { return Ok(Vec::new()) };
    let mut c = Cursor::new(&bytes[..range.end], range.start);
    let mut out = Vec::new();
    while c.pos < range.end {
        out.push(entry(&mut c)?);
    }
    Ok(out)
}

fn get<'t, T>(items: &'t [T], index: usize, table: &'static str) -> Result<&'t T, BytecodeError> {
    items.get(index).ok_or(BytecodeError::BadIndex { table, index, len: items.len() })
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

/// Skips one function body: locals, instructions (each opcode with its operands), jump tables.
fn skip_code(c: &mut Cursor<'_>, version: u32) -> Result<(), BytecodeError> {
    c.uleb()?; // locals signature
    let count = c.index()?;
    for _ in 0..count {
        let at = c.pos;
        match c.byte()? {
            // No operand: stack, arithmetic, comparison, reference and cast instructions.
            0x01 | 0x02 | 0x08 | 0x09 | 0x14..=0x28 | 0x2E..=0x30 | 0x33..=0x35 | 0x4B..=0x4D => {}
            // One ULEB128 operand: a branch offset, local, constant, handle or signature index.
            0x03..=0x05 | 0x07 | 0x0A..=0x13 | 0x29..=0x2D | 0x36..=0x3F | 0x41..=0x45 | 0x47 | 0x4E..=0x56 => {
                c.uleb()?;
            }
            // Signature index and a u64 element count.
            0x40 | 0x46 => {
                c.uleb()?;
                c.take(8)?;
            }
            0x31 => {
                c.take(1)?;
            }
            0x48 => {
                c.take(2)?;
            }
            0x49 => {
                c.take(4)?;
            }
            0x06 => {
                c.take(8)?;
            }
            0x32 => {
                c.take(16)?;
            }
            0x4A => {
                c.take(32)?;
            }
            value => return Err(BytecodeError::Unexpected { what: "opcode", value, at }),
        }
    }
    if version >= 7 {
        let tables = c.index()?;
        for _ in 0..tables {
            c.uleb()?; // enum definition
            let branches = c.index()?;
            let at = c.pos;
            match c.byte()? {
                0x1 => {
                    for _ in 0..branches {
                        c.uleb()?;
                    }
                }
                value => return Err(BytecodeError::Unexpected { what: "jump table kind", value, at }),
            }
        }
    }
    Ok(())
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
            skip_code(c, version)?;
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
        raw.iter().map(|t| pools.resolve(clone_token(t))).collect()
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

fn clone_token(t: &RawToken) -> RawToken {
    match t {
        RawToken::Bool => RawToken::Bool,
        RawToken::U8 => RawToken::U8,
        RawToken::U16 => RawToken::U16,
        RawToken::U32 => RawToken::U32,
        RawToken::U64 => RawToken::U64,
        RawToken::U128 => RawToken::U128,
        RawToken::U256 => RawToken::U256,
        RawToken::Address => RawToken::Address,
        RawToken::Signer => RawToken::Signer,
        RawToken::Vector(t) => RawToken::Vector(Box::new(clone_token(t))),
        RawToken::Datatype(h, args) => RawToken::Datatype(*h, args.iter().map(clone_token).collect()),
        RawToken::TypeParameter(i) => RawToken::TypeParameter(*i),
        RawToken::Reference(t) => RawToken::Reference(Box::new(clone_token(t))),
        RawToken::MutableReference(t) => RawToken::MutableReference(Box::new(clone_token(t))),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-assembled module `0x0::m` with `struct S<phantom T: store> has key, store { id: u64,
    /// v: vector<T> }`, `enum E has drop { A { x: bool }, B }` and
    /// `public entry fun f<T: copy>(s: &mut S<T>, n: u8): u256 { abort 0 }` (code: LdU64 0, Abort).
    fn sample() -> Vec<u8> {
        fn uleb(out: &mut Vec<u8>, mut v: u64) {
            loop {
                let b = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    out.push(b);
                    return;
                }
                out.push(b | 0x80);
            }
        }
        let ident = |names: &[&str]| {
            let mut t = Vec::new();
            for n in names {
                uleb(&mut t, n.len() as u64);
                t.extend_from_slice(n.as_bytes());
            }
            t
        };
        // identifiers: 0 m, 1 S, 2 id, 3 v, 4 E, 5 A, 6 x, 7 B, 8 f
        let identifiers = ident(&["m", "S", "id", "v", "E", "A", "x", "B", "f"]);
        let addresses = vec![0u8; 32];
        let module_handles = vec![0, 0];
        // S: module 0, name 1, key|store, one param: store, phantom
        // E: module 0, name 4, drop, no params
        let datatype_handles = vec![0, 1, 0x0C, 1, 0x04, 1, 0, 4, 0x02, 0];
        // signatures: 0 [&mut S<T0>, u8], 1 [u256], 2 []
        let signatures = vec![2, 0x7, 0xB, 0, 1, 0x9, 0, 0x2, 1, 0xF, 0];
        // f: module 0, name 8, params sig 0, returns sig 1, one type param: copy
        let function_handles = vec![0, 8, 0, 1, 1, 0x1];
        // S declared: handle 0, two fields id: u64, v: vector<T0>
        let struct_defs = vec![0, 0x2, 2, 2, 0x3, 3, 0xA, 0x9, 0];
        // E: handle 1, declared, variants A { x: bool }, B {}
        let enum_defs = vec![1, 0x2, 2, 5, 1, 6, 0x1, 7, 0];
        // f: handle 0, public, entry, no acquires, locals sig 2, 2 instructions, no jump tables
        let mut function_defs = vec![0, 0x1, 0x4, 0, 2, 2, 0x06];
        function_defs.extend_from_slice(&0u64.to_le_bytes());
        function_defs.extend_from_slice(&[0x27, 0]);
        let tables: Vec<(u8, Vec<u8>)> = vec![
            (table::MODULE_HANDLES, module_handles),
            (table::DATATYPE_HANDLES, datatype_handles),
            (table::FUNCTION_HANDLES, function_handles),
            (table::SIGNATURES, signatures),
            (table::IDENTIFIERS, identifiers),
            (table::ADDRESS_IDENTIFIERS, addresses),
            (table::STRUCT_DEFS, struct_defs),
            (table::ENUM_DEFS, enum_defs),
            // Last, so that the tests know where f's code ends.
            (table::FUNCTION_DEFS, function_defs),
        ];
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&(SUI_FLAVOR << 24 | 7).to_le_bytes());
        uleb(&mut out, tables.len() as u64);
        let mut offset = 0;
        for (kind, t) in &tables {
            out.push(*kind);
            uleb(&mut out, offset);
            uleb(&mut out, t.len() as u64);
            offset += t.len() as u64;
        }
        for (_, t) in &tables {
            out.extend_from_slice(t);
        }
        out.push(0); // self module handle
        out
    }

    #[test]
    fn reads_datatypes_and_functions() {
        let m = read_module(&sample()).unwrap();
        assert_eq!((m.address, m.name.as_str()), (Address::ZERO, "m"));
        let s = m.datatype("S").unwrap();
        assert!(s.abilities.has(AbilitySet::KEY | AbilitySet::STORE) && !s.abilities.has(AbilitySet::DROP));
        assert_eq!(s.type_parameters, vec![DatatypeTypeParameter { constraints: AbilitySet(0x4), is_phantom: true }]);
        assert_eq!(
            s.body,
            DatatypeBody::Struct(vec![
                Field { name: "id".into(), ty: SignatureType::U64 },
                Field { name: "v".into(), ty: SignatureType::Vector(Box::new(SignatureType::TypeParameter(0))) },
            ])
        );
        let e = m.datatype("E").unwrap();
        assert_eq!(
            e.body,
            DatatypeBody::Enum(vec![
                Variant { name: "A".into(), fields: vec![Field { name: "x".into(), ty: SignatureType::Bool }] },
                Variant { name: "B".into(), fields: vec![] },
            ])
        );
        let f = m.function("f").unwrap();
        assert_eq!((f.visibility, f.is_entry), (Visibility::Public, true));
        assert_eq!(f.type_parameters, vec![AbilitySet(AbilitySet::COPY)]);
        let s_of_t = SignatureType::Datatype {
            address: Address::ZERO,
            module: "m".into(),
            name: "S".into(),
            type_arguments: vec![SignatureType::TypeParameter(0)],
        };
        assert_eq!(f.parameters, vec![SignatureType::MutableReference(Box::new(s_of_t)), SignatureType::U8]);
        assert_eq!(f.returns, vec![SignatureType::U256]);
    }

    #[test]
    fn substitutes_the_own_address() {
        let to = Address::from_static("0xf1");
        let rewritten = substitute_address(&sample(), Address::ZERO, to).unwrap();
        assert_eq!(rewritten.len(), sample().len());
        let m = read_module(&rewritten).unwrap();
        assert_eq!(m.address, to);
        let SignatureType::MutableReference(inner) = &m.function("f").unwrap().parameters[0] else { panic!() };
        assert!(matches!(&**inner, SignatureType::Datatype { address, .. } if *address == to));
        assert_eq!(substitute_address(&sample(), Address::TWO, to), Err(BytecodeError::AddressNotFound(Address::TWO)));
    }

    #[test]
    fn rejects_malformed_modules() {
        assert_eq!(read_module(b"not move"), Err(BytecodeError::BadMagic));
        let mut wrong_flavor = sample();
        wrong_flavor[7] = 0x01;
        assert!(matches!(read_module(&wrong_flavor), Err(BytecodeError::UnsupportedVersion { version: 7, flavor: 1 })));
        let bytes = sample();
        assert!(matches!(read_module(&bytes[..bytes.len() - 20]), Err(_)));
        let mut bad_opcode = sample();
        let at = bad_opcode.len() - 3; // the Abort opcode of f
        assert_eq!(bad_opcode[at], 0x27);
        bad_opcode[at] = 0xFF;
        assert!(matches!(read_module(&bad_opcode), Err(BytecodeError::Unexpected { what: "opcode", value: 0xFF, .. })));
    }
}
