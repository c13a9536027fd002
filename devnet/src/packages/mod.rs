//! Move packages as objects and as the `MovePackageService` describes them.
//!
//! Each native package that carries compiled bytecode ([`NativePackage::compiled`]) exists on the
//! chain as a package object created by genesis at the id it is registered under, holding floe's
//! checked-in modules as Sui stores a published package: the modules' own address (`0x0` in the
//! compiled bytecode) rewritten to the package id, dependencies on floe's other packages moved
//! from their placeholder ids to where those are registered, a type origin table naming the
//! package for each of its datatypes, and a linkage table with every dependency at version 1.
//! Genesis creates them at fixed ids rather than running Publish transactions, as Sui's own
//! genesis does for its system packages: floe's ids are constants every component and test uses.
//!
//! `MovePackageService` answers from those objects' bytecode, and for Move's standard library
//! (`0x1`) and the Sui framework (`0x2`), whose bytecode the devnet does not have, from a table of
//! their datatypes ([`framework_datatypes`]) and of the natively implemented functions' signatures
//! ([`framework_signatures`]).

mod descriptors;
pub(crate) mod framework_datatypes;
mod framework_signatures;
mod service;

use std::collections::BTreeMap;

use floe_chain::floe::packages::CompiledPackage;
use floe_chain::move_bytecode::{BytecodeError, read_module, substitute_address};
use sui_sdk_types::{Address, GenesisObject, Identifier, MovePackage, ObjectData, Owner, TypeOrigin, UpgradeInfo};

use crate::admission::Packages;

pub(crate) use service::PackageService;

/// The version of every package genesis creates, as for a newly published package.
const PACKAGE_VERSION: u64 = 1;

/// Why a compiled package could not become a package object (a defect in the checked-in bytecode).
#[derive(Debug, thiserror::Error)]
pub enum PackageObjectError {
    /// A module did not read or rewrite.
    #[error("package {package}: module {module}: {source}")]
    Bytecode {
        /// The package folder.
        package: &'static str,
        /// The module.
        module: &'static str,
        /// The reader's error.
        #[source]
        source: BytecodeError,
    },
    /// A module or datatype name is not a Move identifier.
    #[error("package {package}: {name:?} is not an identifier")]
    Identifier {
        /// The package folder.
        package: &'static str,
        /// The name.
        name: String,
    },
}

/// The package object of `compiled` registered at `id`; `links` moves each of floe's placeholder
/// ids to where that package is registered.
pub(crate) fn package_object(
    compiled: &'static CompiledPackage,
    id: Address,
    links: &[(Address, Address)],
) -> Result<MovePackage, PackageObjectError> {
    let bad_name = |name: &str| PackageObjectError::Identifier { package: compiled.folder, name: name.to_owned() };
    let linked = compiled.linked(links).map_err(|source| PackageObjectError::Bytecode {
        package: compiled.folder,
        module: "(linking)",
        source,
    })?;
    let mut modules = BTreeMap::new();
    let mut type_origin_table = Vec::new();
    for ((name, _), bytes) in compiled.modules.iter().zip(linked) {
        let bytecode_error = |source| PackageObjectError::Bytecode { package: compiled.folder, module: name, source };
        let bytes = substitute_address(&bytes, Address::ZERO, id).map_err(bytecode_error)?;
        let module = read_module(&bytes).map_err(bytecode_error)?;
        let module_name = Identifier::new(*name).map_err(|_| bad_name(name))?;
        for datatype in &module.datatypes {
            type_origin_table.push(TypeOrigin {
                module_name: module_name.clone(),
                struct_name: Identifier::new(&datatype.name).map_err(|_| bad_name(&datatype.name))?,
                package: id,
            });
        }
        modules.insert(module_name, bytes);
    }
    let linkage_table = compiled
        .dependencies()
        .into_iter()
        .map(|dep| {
            let at = links.iter().find(|(from, _)| *from == dep).map_or(dep, |(_, to)| *to);
            (at, UpgradeInfo { upgraded_id: at, upgraded_version: PACKAGE_VERSION })
        })
        .collect();
    Ok(MovePackage { id, version: PACKAGE_VERSION, modules, type_origin_table, linkage_table })
}

/// The genesis objects of every registered native package that has compiled bytecode, ordered by
/// id so that genesis (and so the chain id) does not depend on map order.
pub(crate) fn genesis_objects(packages: &Packages) -> Result<Vec<GenesisObject>, PackageObjectError> {
    let mut compiled: Vec<(Address, &'static CompiledPackage)> =
        packages.iter().filter_map(|(id, native)| native.compiled().map(|c| (*id, c))).collect();
    compiled.sort_by_key(|(id, _)| *id);
    let links: Vec<(Address, Address)> =
        compiled.iter().map(|(id, c)| (c.compiled_as_dependency, *id)).filter(|(from, to)| from != to).collect();
    compiled
        .into_iter()
        .map(|(id, c)| {
            let package = package_object(c, id, &links)?;
            Ok(GenesisObject::new(ObjectData::Package(package), Owner::Immutable))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use floe_chain::floe::packages::{FLOE, SEAL, WAL};
    use floe_chain::move_bytecode::{CompiledModule, FunctionDef, Visibility};

    use super::*;
    use crate::native::FunctionTable;
    use crate::{FloePackage, SealPackage, WalPackage};

    /// Whether a transaction can name `f`: a public or entry function. (The seal natives also
    /// answer public reads that return references, e.g. `allowlist::name`, which a key server's
    /// simulation may call.)
    fn callable(f: &FunctionDef) -> bool {
        f.visibility == Visibility::Public || f.is_entry
    }

    /// The functions of `table` that `compiled` does not let a transaction call (absent, private
    /// or `public(package)`), as `module::function`.
    fn not_callable(table: FunctionTable, compiled: &CompiledPackage) -> Vec<String> {
        let modules: Vec<CompiledModule> =
            compiled.modules.iter().map(|(_, bytes)| read_module(bytes).expect("checked-in modules read")).collect();
        table
            .functions()
            .filter(|(module, name)| {
                let f = modules.iter().find(|m| m.name == *module).and_then(|m| m.function(name));
                !f.is_some_and(callable)
            })
            .map(|(module, name)| format!("{module}::{name}"))
            .collect()
    }

    /// A native package answers only calls its Move package answers: every native function is a
    /// function of the bytecode that a transaction can call. (The natives are a subset: reads a
    /// flow does not need are left to the Move package.)
    #[test]
    fn every_native_function_is_callable_in_the_compiled_package() {
        for (name, table, compiled) in [
            ("wal", WalPackage::FUNCTIONS, &WAL),
            ("floe", FloePackage::FUNCTIONS, &FLOE),
            ("floe_seal", SealPackage::FUNCTIONS, &SEAL),
        ] {
            assert!(table.functions().count() > 0, "{name} has no natives");
            let extra = not_callable(table, compiled);
            assert!(extra.is_empty(), "{name}: natives the bytecode does not let a transaction call: {extra:?}");
        }
    }

    #[test]
    fn a_native_the_package_lacks_is_seen() {
        let table = FunctionTable(&[("wal", &[("burn", |_, _| Ok(vec![])), ("mint_more", |_, _| Ok(vec![]))])]);
        assert_eq!(not_callable(table, &WAL), ["wal::mint_more"]);
        // `init` is private: a transaction cannot call it.
        let table = FunctionTable(&[("wal", &[("init", |_, _| Ok(vec![]))])]);
        assert_eq!(not_callable(table, &WAL), ["wal::init"]);
    }
}
