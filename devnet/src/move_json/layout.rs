//! Type layouts: a Move type with every datatype replaced by its fields (or variants), type
//! arguments substituted, down to primitives. A layout is what reading a value's BCS bytes needs.

use floe_chain::move_bytecode::{BytecodeError, DatatypeBody, DatatypeDef, Field, SignatureType};
use sui_sdk_types::{Address, Identifier, StructTag, TypeTag};

/// The deepest a layout may nest (structs and vectors), as a full node bounds its JSON renderings
/// (Sui caps at 80 of protobuf's 100 levels, leaving room for the message around the value).
pub(crate) const MAX_DEPTH: usize = 80;

/// A type's layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Layout {
    Bool,
    U8,
    U16,
    U32,
    U64,
    U128,
    U256,
    Address,
    Vector(Box<Layout>),
    /// A struct with its fields in declaration order.
    Struct {
        tag: StructTag,
        fields: Vec<(String, Layout)>,
    },
    /// An enum with its variants (each with its fields) in declaration order.
    Enum {
        tag: StructTag,
        variants: Vec<(String, Vec<(String, Layout)>)>,
    },
}

/// Why a type has no layout.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LayoutError {
    /// No package, module or datatype of that name.
    #[error("datatype {0} not found")]
    UnknownDatatype(String),
    /// The package's module did not read.
    #[error("module {package}::{module} does not read")]
    Bytecode {
        package: Address,
        module: String,
        #[source]
        source: BytecodeError,
    },
    /// A native struct declares no fields to lay out.
    #[error("{0} is a native struct")]
    Native(Box<StructTag>),
    /// The type is instantiated with the wrong number of type arguments.
    #[error("{tag} takes {expected} type arguments")]
    Arity { tag: Box<StructTag>, expected: usize },
    /// A field's type cannot be a stored value's (`signer`, a reference, an unbound parameter).
    #[error("{0} cannot be part of a stored value")]
    NotStorable(String),
    /// A name in the bytecode is not a Move identifier.
    #[error("{0:?} is not an identifier")]
    Identifier(String),
    /// The type nests deeper than [`MAX_DEPTH`].
    #[error("the type nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// Where datatype definitions come from.
pub(crate) trait Datatypes {
    /// The definition of `package::module::name`.
    fn datatype(&mut self, package: &Address, module: &str, name: &str) -> Result<DatatypeDef, LayoutError>;
}

/// The layout of `ty`.
pub(crate) fn layout_of(datatypes: &mut impl Datatypes, ty: &TypeTag) -> Result<Layout, LayoutError> {
    resolve(datatypes, ty, 0)
}

fn resolve(datatypes: &mut impl Datatypes, ty: &TypeTag, depth: usize) -> Result<Layout, LayoutError> {
    if depth > MAX_DEPTH {
        return Err(LayoutError::TooDeep);
    }
    Ok(match ty {
        TypeTag::Bool => Layout::Bool,
        TypeTag::U8 => Layout::U8,
        TypeTag::U16 => Layout::U16,
        TypeTag::U32 => Layout::U32,
        TypeTag::U64 => Layout::U64,
        TypeTag::U128 => Layout::U128,
        TypeTag::U256 => Layout::U256,
        TypeTag::Address => Layout::Address,
        TypeTag::Signer => return Err(LayoutError::NotStorable("signer".into())),
        TypeTag::Vector(inner) => Layout::Vector(Box::new(resolve(datatypes, inner, depth + 1)?)),
        TypeTag::Struct(tag) => {
            let def = datatypes.datatype(tag.address(), tag.module().as_str(), tag.name().as_str())?;
            if def.type_parameters.len() != tag.type_params().len() {
                return Err(LayoutError::Arity { tag: tag.clone(), expected: def.type_parameters.len() });
            }
            let mut fields = |declared: &[Field]| {
                declared
                    .iter()
                    .map(|f| {
                        let ty = instantiate(&f.ty, tag.type_params())?;
                        Ok((f.name.clone(), resolve(datatypes, &ty, depth + 1)?))
                    })
                    .collect::<Result<Vec<_>, LayoutError>>()
            };
            match &def.body {
                DatatypeBody::Struct(declared) => Layout::Struct { tag: (**tag).clone(), fields: fields(declared)? },
                DatatypeBody::Enum(variants) => Layout::Enum {
                    tag: (**tag).clone(),
                    variants: variants.iter().map(|v| Ok((v.name.clone(), fields(&v.fields)?))).collect::<Result<
                        _,
                        LayoutError,
                    >>(
                    )?,
                },
                DatatypeBody::NativeStruct => return Err(LayoutError::Native(tag.clone())),
            }
        }
    })
}

/// A field's declared type with the datatype's type arguments put in for its parameters.
fn instantiate(ty: &SignatureType, arguments: &[TypeTag]) -> Result<TypeTag, LayoutError> {
    let identifier = |name: &str| Identifier::new(name).map_err(|_| LayoutError::Identifier(name.to_owned()));
    Ok(match ty {
        SignatureType::Bool => TypeTag::Bool,
        SignatureType::U8 => TypeTag::U8,
        SignatureType::U16 => TypeTag::U16,
        SignatureType::U32 => TypeTag::U32,
        SignatureType::U64 => TypeTag::U64,
        SignatureType::U128 => TypeTag::U128,
        SignatureType::U256 => TypeTag::U256,
        SignatureType::Address => TypeTag::Address,
        SignatureType::Vector(inner) => TypeTag::Vector(Box::new(instantiate(inner, arguments)?)),
        SignatureType::Datatype { address, module, name, type_arguments } => TypeTag::Struct(Box::new(StructTag::new(
            *address,
            identifier(module.as_str())?,
            identifier(name.as_str())?,
            type_arguments.iter().map(|t| instantiate(t, arguments)).collect::<Result<_, _>>()?,
        ))),
        SignatureType::TypeParameter(index) => arguments
            .get(usize::from(*index))
            .cloned()
            .ok_or_else(|| LayoutError::NotStorable(format!("type parameter {index}")))?,
        SignatureType::Signer => return Err(LayoutError::NotStorable("signer".into())),
        SignatureType::Reference(_) | SignatureType::MutableReference(_) => {
            return Err(LayoutError::NotStorable("a reference".into()));
        }
    })
}
