//! Checks every Rust constant that mirrors a constant of floe's Move packages against the Move
//! source: `const NAME: uN = value;` in the module's file under `move/`, with the same value. A
//! changed limit, unit or version in Move fails here instead of drifting.

use std::path::PathBuf;

use floe_encoder::EncodingType;

use super::{pricing, seal, staking_pool, state, wal};

/// The value of `const name: uN = value;` in `move/<package>/sources/<module>.move`.
fn move_constant(package: &str, module: &str, name: &str) -> u64 {
    let path: PathBuf =
        [env!("CARGO_MANIFEST_DIR"), "..", "move", package, "sources", &format!("{module}.move")].iter().collect();
    let source = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    source
        .lines()
        .find_map(|line| {
            let (declared, value) = line.trim().strip_prefix("const ")?.split_once(" = ")?;
            let (constant, ty) = declared.split_once(':')?;
            (constant == name && ty.trim().starts_with('u')).then(|| value.trim_end_matches(';').replace('_', ""))
        })
        .unwrap_or_else(|| panic!("no const {name} in {}", path.display()))
        .parse()
        .unwrap_or_else(|err| panic!("{package}::{module}::{name} is not an integer: {err}"))
}

#[test]
fn every_mirrored_constant_has_the_move_value() {
    let mirrors = [
        ("floe", "system_state_inner", "BYTES_PER_UNIT_SIZE", pricing::BYTES_PER_UNIT_SIZE),
        ("floe", "encoding", "RS2", u64::from(EncodingType::RS2.as_u8())),
        ("floe", "system", "VERSION", state::INNER_VERSION),
        ("floe", "staking", "VERSION", state::INNER_VERSION),
        ("floe", "staking_pool", "MAX_COMMISSION_RATE", u64::from(staking_pool::MAX_COMMISSION_RATE)),
        ("floe", "staking_pool", "MAX_NAME_LENGTH", staking_pool::MAX_NAME_LENGTH as u64),
        ("floe", "staking_pool", "MAX_NETWORK_ADDRESS_LENGTH", staking_pool::MAX_NETWORK_ADDRESS_LENGTH as u64),
        ("floe", "staking_pool", "PUBLIC_KEY_LENGTH", staking_pool::PUBLIC_KEY_LENGTH as u64),
        ("floe", "staking_pool", "NETWORK_PUBLIC_KEY_LENGTH", staking_pool::NETWORK_PUBLIC_KEY_LENGTH as u64),
        ("wal", "wal", "FROST_PER_WAL", wal::FROST_PER_WAL),
        ("seal", "key_server", "VERSION_V2", seal::KEY_SERVER_VERSION),
    ];
    for (package, module, name, rust) in mirrors {
        assert_eq!(rust, move_constant(package, module, name), "{package}::{module}::{name}");
    }
}

#[test]
fn the_constant_reader_takes_underscored_values_and_refuses_a_missing_name() {
    assert_eq!(move_constant("wal", "wal", "TOTAL_SUPPLY_WAL"), 5_000_000_000);
    assert!(std::panic::catch_unwind(|| move_constant("floe", "system_state_inner", "NO_SUCH_CONSTANT")).is_err());
}
