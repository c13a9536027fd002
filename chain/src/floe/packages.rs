//! floe's compiled Move packages, embedded from the checked-in bytecode (`move/<package>/bytecode/`,
//! written by `scripts/move-build`; `scripts/move-test` fails when it differs from the sources).
//!
//! Addresses: each package's own modules are compiled at `0x0`, as for any Sui publication (the
//! chain rewrites `0x0` to the new package id). A package others depend on is compiled, when it is
//! a dependency, at a fixed placeholder ([`CompiledPackage::compiled_as_dependency`], the id the
//! devnet gives it): `floe`'s bytecode names `wal` at `0xa1`. Publishing `floe` where `wal` lives
//! elsewhere rewrites that address too ([`CompiledPackage::linked`]).
//!
//! The package digest is Sui's: Blake2b-256 over the sorted list of each module's Blake2b-256
//! digest and each dependency id.

use serde::Deserialize;
use sui_sdk_types::Address;
use sui_sdk_types::hash::Hasher;

use crate::move_bytecode::{BytecodeError, substitute_address};

/// One compiled package as checked in.
#[derive(Debug)]
pub struct CompiledPackage {
    /// Its folder under `move/`.
    pub folder: &'static str,
    /// `(module name, bytecode)` in publication order (the compiler's dependency order).
    pub modules: &'static [(&'static str, &'static [u8])],
    /// The address its modules are compiled at when another package depends on it.
    pub compiled_as_dependency: Address,
    /// The text of `build.json`.
    build_json: &'static str,
}

/// `build.json`: what `scripts/move-build` recorded next to the modules.
#[derive(Debug, Deserialize)]
struct BuildJson {
    modules: Vec<String>,
    dependencies: Vec<Address>,
    digest: String,
}

macro_rules! modules {
    ($folder:literal: $($module:literal),+ $(,)?) => {
        &[$(($module, include_bytes!(concat!("../../../move/", $folder, "/bytecode/", $module, ".mv")) as &[u8])),+]
    };
}

/// `move/wal`: the WAL coin.
pub static WAL: CompiledPackage = CompiledPackage {
    folder: "wal",
    modules: modules!("wal": "wal"),
    compiled_as_dependency: Address::from_static("0xa1"),
    build_json: include_str!("../../../move/wal/bytecode/build.json"),
};

/// `move/floe`: storage, blobs, System, staking (depends on `wal`).
pub static FLOE: CompiledPackage = CompiledPackage {
    folder: "floe",
    modules: modules!("floe":
        "active_set", "apportionment", "storage_resource", "messages", "events", "encoding", "blob",
        "bls_aggregate", "challenges", "committee", "epoch_parameters", "storage_accounting",
        "system_state_inner", "system", "storage_node", "staking_pool", "staked_wal", "staking_inner",
        "staking", "init", "shared_blob",
    ),
    compiled_as_dependency: Address::from_static("0xf1"),
    build_json: include_str!("../../../move/floe/bytecode/build.json"),
};

/// `move/seal`: Seal access policies and key-server registration.
pub static SEAL: CompiledPackage = CompiledPackage {
    folder: "seal",
    modules: modules!("seal": "identity", "allowlist", "key_server", "owner_policy", "subscription", "time_lock"),
    compiled_as_dependency: Address::from_static("0x5e"),
    build_json: include_str!("../../../move/seal/bytecode/build.json"),
};

/// All of floe's packages in publication order (a dependency before its dependents).
pub fn all() -> [&'static CompiledPackage; 3] {
    [&WAL, &FLOE, &SEAL]
}

impl CompiledPackage {
    fn build(&self) -> BuildJson {
        serde_json::from_str(self.build_json).expect("build.json is checked by the tests")
    }

    /// Module names in publication order as `build.json` records them.
    pub fn recorded_module_names(&self) -> Vec<String> {
        self.build().modules
    }

    /// The package ids its bytecode depends on (the framework and placeholders of floe's own).
    pub fn dependencies(&self) -> Vec<Address> {
        self.build().dependencies
    }

    /// The package digest the compiler reported.
    pub fn recorded_digest(&self) -> [u8; 32] {
        let hex = self.build().digest;
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("build.json digest is hex");
        }
        out
    }

    /// The modules' bytes, in publication order.
    pub fn module_bytes(&self) -> Vec<Vec<u8>> {
        self.modules.iter().map(|(_, bytes)| bytes.to_vec()).collect()
    }

    /// Sui's package digest of these modules and dependencies.
    pub fn digest(&self) -> [u8; 32] {
        package_digest(&self.module_bytes(), &self.dependencies())
    }

    /// The modules with floe's own dependencies moved from their placeholders to where they
    /// were published: `links` maps a placeholder ([`CompiledPackage::compiled_as_dependency`]) to
    /// the real id. Placeholders the bytecode does not name are skipped.
    pub fn linked(&self, links: &[(Address, Address)]) -> Result<Vec<Vec<u8>>, BytecodeError> {
        self.modules
            .iter()
            .map(|(_, bytes)| {
                let mut bytes = bytes.to_vec();
                for (from, to) in links {
                    match substitute_address(&bytes, *from, *to) {
                        Ok(rewritten) => bytes = rewritten,
                        Err(BytecodeError::AddressNotFound(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(bytes)
            })
            .collect()
    }

    /// The modules as they are stored once published at `id` with its dependencies at their
    /// placeholders: `0x0` rewritten to `id`.
    pub fn modules_at(&self, id: Address) -> Result<Vec<(&'static str, Vec<u8>)>, BytecodeError> {
        self.modules.iter().map(|(name, bytes)| Ok((*name, substitute_address(bytes, Address::ZERO, id)?))).collect()
    }
}

/// Sui's package digest: Blake2b-256 over the sorted module digests and dependency ids.
pub fn package_digest(modules: &[Vec<u8>], dependencies: &[Address]) -> [u8; 32] {
    let mut components: Vec<[u8; 32]> = modules.iter().map(|m| Hasher::digest(m).into_inner()).collect();
    components.extend(dependencies.iter().map(|d| d.into_inner()));
    components.sort();
    let mut hasher = Hasher::new();
    for c in &components {
        hasher.update(c);
    }
    hasher.finalize().into_inner()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::move_bytecode::read_module;

    fn bytecode_dir(package: &CompiledPackage) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../move").join(package.folder).join("bytecode")
    }

    /// The embedded modules are exactly the checked-in files, in build.json's order, and no file
    /// is left out.
    #[test]
    fn embedded_bytecode_equals_the_checked_in_files() {
        for package in all() {
            let dir = bytecode_dir(package);
            let names: Vec<String> = package.modules.iter().map(|(n, _)| n.to_string()).collect();
            assert_eq!(names, package.recorded_module_names(), "{}: module order", package.folder);
            let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter_map(|f| f.strip_suffix(".mv").map(str::to_string))
                .collect();
            on_disk.sort();
            let mut embedded = names.clone();
            embedded.sort();
            assert_eq!(embedded, on_disk, "{}: modules on disk", package.folder);
            for (name, bytes) in package.modules {
                let file = std::fs::read(dir.join(format!("{name}.mv"))).unwrap();
                assert_eq!(*bytes, file.as_slice(), "{}::{name} bytes", package.folder);
            }
        }
    }

    #[test]
    fn digest_matches_the_compiler() {
        for package in all() {
            assert_eq!(package.digest(), package.recorded_digest(), "{}", package.folder);
        }
    }

    #[test]
    fn modules_are_compiled_at_zero_and_name_themselves() {
        for package in all() {
            for (name, bytes) in package.modules {
                let module = read_module(bytes).unwrap();
                assert_eq!(module.address, Address::ZERO, "{}::{name}", package.folder);
                assert_eq!(module.name, *name);
            }
        }
        // floe names wal at wal's placeholder, which is one of floe's recorded dependencies.
        assert!(FLOE.dependencies().contains(&WAL.compiled_as_dependency));
    }

    #[test]
    fn linking_moves_the_dependency() {
        let elsewhere = Address::from_static("0x1234");
        let linked = FLOE.linked(&[(WAL.compiled_as_dependency, elsewhere)]).unwrap();
        let staking_pool = FLOE.modules.iter().position(|(n, _)| *n == "staking_pool").unwrap();
        let before = read_module(FLOE.modules[staking_pool].1).unwrap();
        let after = read_module(&linked[staking_pool]).unwrap();
        assert!(before.addresses.contains(&WAL.compiled_as_dependency));
        assert!(after.addresses.contains(&elsewhere) && !after.addresses.contains(&WAL.compiled_as_dependency));
        assert_eq!(after.address, Address::ZERO);
    }
}
