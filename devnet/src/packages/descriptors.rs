//! Package contents as the gRPC API describes them (`FunctionDescriptor`, `DatatypeDescriptor`,
//! `OpenSignature`, ...), filled as a Sui full node fills them: type names are
//! `<full 0x-prefixed address>::<module>::<name>` with the address the bytecode names (a package's
//! original id), abilities are listed copy, drop, store, key, and fields and variants carry their
//! declaration position.

use floe_chain::move_bytecode::{
    AbilitySet, CompiledModule, DatatypeBody, DatatypeDef, Field, FunctionDef, SignatureType, Visibility,
};
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::Address;

use proto::datatype_descriptor::DatatypeKind;
use proto::function_descriptor::Visibility as ProtoVisibility;
use proto::open_signature::Reference;
use proto::open_signature_body::Type as BodyType;

/// A type the API cannot describe: `signer` has no `OpenSignatureBody` type (Sui's own resolver
/// refuses it too), and a reference may only be a parameter's or return's outermost layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the type of {what} cannot be described by the API ({reason})")]
pub struct UndescribableType {
    /// The function or field.
    pub what: String,
    /// Why.
    pub reason: &'static str,
}

fn abilities(set: AbilitySet) -> Vec<i32> {
    [
        (AbilitySet::COPY, proto::Ability::Copy),
        (AbilitySet::DROP, proto::Ability::Drop),
        (AbilitySet::STORE, proto::Ability::Store),
        (AbilitySet::KEY, proto::Ability::Key),
    ]
    .into_iter()
    .filter(|(bit, _)| set.has(*bit))
    .map(|(_, a)| a as i32)
    .collect()
}

/// `0x<64 hex digits>::module::name`.
pub(crate) fn type_name(address: &Address, module: &str, name: &str) -> String {
    format!("{address}::{module}::{name}")
}

fn body(ty: &SignatureType, what: &str) -> Result<proto::OpenSignatureBody, UndescribableType> {
    let mut message = proto::OpenSignatureBody::default();
    let kind = match ty {
        SignatureType::Bool => BodyType::Bool,
        SignatureType::U8 => BodyType::U8,
        SignatureType::U16 => BodyType::U16,
        SignatureType::U32 => BodyType::U32,
        SignatureType::U64 => BodyType::U64,
        SignatureType::U128 => BodyType::U128,
        SignatureType::U256 => BodyType::U256,
        SignatureType::Address => BodyType::Address,
        SignatureType::Vector(inner) => {
            message.type_parameter_instantiation = vec![body(inner, what)?];
            BodyType::Vector
        }
        SignatureType::Datatype { address, module, name, type_arguments } => {
            message.type_name = Some(type_name(address, module, name));
            message.type_parameter_instantiation =
                type_arguments.iter().map(|t| body(t, what)).collect::<Result<_, _>>()?;
            BodyType::Datatype
        }
        SignatureType::TypeParameter(index) => {
            message.type_parameter = Some(u32::from(*index));
            BodyType::Parameter
        }
        SignatureType::Signer => {
            return Err(UndescribableType { what: what.to_owned(), reason: "signer" });
        }
        SignatureType::Reference(_) | SignatureType::MutableReference(_) => {
            return Err(UndescribableType { what: what.to_owned(), reason: "a reference nested in a type" });
        }
    };
    message.r#type = Some(kind as i32);
    Ok(message)
}

fn open_signature(ty: &SignatureType, what: &str) -> Result<proto::OpenSignature, UndescribableType> {
    let mut message = proto::OpenSignature::default();
    let inner = match ty {
        SignatureType::Reference(inner) => {
            message.reference = Some(Reference::Immutable as i32);
            inner
        }
        SignatureType::MutableReference(inner) => {
            message.reference = Some(Reference::Mutable as i32);
            inner
        }
        other => other,
    };
    message.body = Some(body(inner, what)?);
    Ok(message)
}

/// A function's descriptor.
pub(crate) fn function(f: &FunctionDef) -> Result<proto::FunctionDescriptor, UndescribableType> {
    let mut message = proto::FunctionDescriptor::default();
    message.name = Some(f.name.clone());
    message.visibility = Some(match f.visibility {
        Visibility::Private => ProtoVisibility::Private,
        Visibility::Public => ProtoVisibility::Public,
        Visibility::Friend => ProtoVisibility::Friend,
    } as i32);
    message.is_entry = Some(f.is_entry);
    message.type_parameters = f
        .type_parameters
        .iter()
        .map(|set| {
            let mut p = proto::TypeParameter::default();
            p.constraints = abilities(*set);
            p
        })
        .collect();
    message.parameters = f.parameters.iter().map(|t| open_signature(t, &f.name)).collect::<Result<_, _>>()?;
    message.returns = f.returns.iter().map(|t| open_signature(t, &f.name)).collect::<Result<_, _>>()?;
    Ok(message)
}

fn fields(fields: &[Field], owner: &str) -> Result<Vec<proto::FieldDescriptor>, UndescribableType> {
    fields
        .iter()
        .enumerate()
        .map(|(position, field)| {
            let mut message = proto::FieldDescriptor::default();
            message.name = Some(field.name.clone());
            message.position = Some(position as u32);
            message.r#type = Some(body(&field.ty, &format!("{owner}.{}", field.name))?);
            Ok(message)
        })
        .collect()
}

/// A datatype's descriptor; `package` is the package it is read from (the type's defining id,
/// as the devnet's packages are never upgraded) and `module` its module.
pub(crate) fn datatype(
    package: &Address,
    module: &str,
    d: &DatatypeDef,
) -> Result<proto::DatatypeDescriptor, UndescribableType> {
    let mut message = proto::DatatypeDescriptor::default();
    message.type_name = Some(type_name(package, module, &d.name));
    message.defining_id = Some(package.to_string());
    message.module = Some(module.to_owned());
    message.name = Some(d.name.clone());
    message.abilities = abilities(d.abilities);
    message.type_parameters = d
        .type_parameters
        .iter()
        .map(|p| {
            let mut m = proto::TypeParameter::default();
            m.constraints = abilities(p.constraints);
            m.is_phantom = Some(p.is_phantom);
            m
        })
        .collect();
    match &d.body {
        DatatypeBody::Struct(declared) => {
            message.kind = Some(DatatypeKind::Struct as i32);
            message.fields = fields(declared, &d.name)?;
        }
        DatatypeBody::NativeStruct => message.kind = Some(DatatypeKind::Struct as i32),
        DatatypeBody::Enum(variants) => {
            message.kind = Some(DatatypeKind::Enum as i32);
            message.variants = variants
                .iter()
                .enumerate()
                .map(|(position, v)| {
                    let mut m = proto::VariantDescriptor::default();
                    m.name = Some(v.name.clone());
                    m.position = Some(position as u32);
                    m.fields = fields(&v.fields, &format!("{}::{}", d.name, v.name))?;
                    Ok(m)
                })
                .collect::<Result<_, _>>()?;
        }
    }
    Ok(message)
}

/// A module's descriptor: its bytecode, datatypes and functions (each sorted by name, as a full
/// node lists them).
pub(crate) fn module(
    package: &Address,
    compiled: &CompiledModule,
    bytecode: &[u8],
) -> Result<proto::Module, UndescribableType> {
    let mut message = proto::Module::default();
    message.name = Some(compiled.name.clone());
    message.contents = Some(bytecode.to_vec().into());
    let mut datatypes: Vec<&DatatypeDef> = compiled.datatypes.iter().collect();
    datatypes.sort_by(|a, b| a.name.cmp(&b.name));
    message.datatypes =
        datatypes.into_iter().map(|d| datatype(package, &compiled.name, d)).collect::<Result<_, _>>()?;
    let mut functions: Vec<&FunctionDef> = compiled.functions.iter().collect();
    functions.sort_by(|a, b| a.name.cmp(&b.name));
    message.functions = functions.into_iter().map(function).collect::<Result<_, _>>()?;
    Ok(message)
}
