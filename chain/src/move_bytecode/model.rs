//! What a compiled module declares, once its indexes are resolved into names.

use sui_sdk_types::Address;

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
