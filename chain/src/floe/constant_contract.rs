//! Checks every Rust constant that mirrors a constant of floe's Move packages against the Move
//! source: `const NAME: uN = value;` in the module's file under `move/`, with the same value. A
//! changed limit, unit or version in Move fails here instead of drifting.

use std::path::PathBuf;

use floe_encoder::EncodingType;
use floe_encoder::config::{DIGEST_LEN, MAX_SYMBOL_SIZE, MIN_N_SHARDS};
use floe_encoder::messages::{INTENT_VERSION, IntentType, STORAGE_APP_ID};

use super::messages::BlobPersistenceType;
use super::{deploy, pricing, seal, staking_pool, state, wal};

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

/// The BCS variant byte of a persistence type, which `messages.move` reads as a constant.
fn persistence_byte(persistence: &BlobPersistenceType) -> u64 {
    u64::from(bcs::to_bytes(persistence).expect("persistence types serialize")[0])
}

#[test]
fn every_mirrored_constant_has_the_move_value() {
    let mirrors = [
        ("floe", "system_state_inner", "BYTES_PER_UNIT_SIZE", pricing::BYTES_PER_UNIT_SIZE),
        ("floe", "encoding", "RS2", u64::from(EncodingType::RS2.as_u8())),
        ("floe", "encoding", "MAX_SYMBOL_SIZE", u64::from(MAX_SYMBOL_SIZE)),
        ("floe", "encoding", "HASHES_PER_PAIR_BYTES", 2 * DIGEST_LEN as u64),
        ("floe", "encoding", "METADATA_FIXED_BYTES", DIGEST_LEN as u64),
        ("floe", "init", "MIN_N_SHARDS", u64::from(MIN_N_SHARDS)),
        ("floe", "init", "MAX_MAX_EPOCHS_AHEAD", u64::from(deploy::MAX_MAX_EPOCHS_AHEAD)),
        ("floe", "messages", "PROOF_OF_POSSESSION_MSG_TYPE", IntentType::ProofOfPossession as u64),
        ("floe", "messages", "BLOB_CERT_MSG_TYPE", IntentType::BlobCertification as u64),
        ("floe", "messages", "INVALID_BLOB_ID_MSG_TYPE", IntentType::InvalidBlobId as u64),
        ("floe", "messages", "CHALLENGE_OUTCOME_MSG_TYPE", IntentType::ChallengeOutcome as u64),
        ("floe", "messages", "INTENT_VERSION", u64::from(INTENT_VERSION)),
        ("floe", "messages", "APP_ID", u64::from(STORAGE_APP_ID)),
        ("floe", "messages", "PERSISTENCE_PERMANENT", persistence_byte(&BlobPersistenceType::Permanent)),
        (
            "floe",
            "messages",
            "PERSISTENCE_DELETABLE",
            persistence_byte(&BlobPersistenceType::Deletable { object_id: sui_sdk_types::Address::ZERO }),
        ),
        ("floe", "bls_aggregate", "PUBLIC_KEY_LENGTH", staking_pool::PUBLIC_KEY_LENGTH as u64),
        ("floe", "system", "VERSION", state::INNER_VERSION),
        ("floe", "staking", "VERSION", state::INNER_VERSION),
        ("floe", "staking_pool", "MAX_COMMISSION_RATE", u64::from(staking_pool::MAX_COMMISSION_RATE)),
        ("floe", "staking_pool", "MAX_NAME_LENGTH", staking_pool::MAX_NAME_LENGTH as u64),
        ("floe", "staking_pool", "MAX_NETWORK_ADDRESS_LENGTH", staking_pool::MAX_NETWORK_ADDRESS_LENGTH as u64),
        ("floe", "staking_pool", "PUBLIC_KEY_LENGTH", staking_pool::PUBLIC_KEY_LENGTH as u64),
        ("floe", "staking_pool", "NETWORK_PUBLIC_KEY_LENGTH", staking_pool::NETWORK_PUBLIC_KEY_LENGTH as u64),
        ("wal", "wal", "FROST_PER_WAL", wal::FROST_PER_WAL),
        ("wal", "wal", "DECIMALS", u64::from(wal::DECIMALS)),
        ("wal", "wal", "TOTAL_SUPPLY_WAL", wal::TOTAL_SUPPLY_WAL),
        ("seal", "key_server", "VERSION_V2", seal::KEY_SERVER_VERSION),
        ("seal", "key_server", "KEY_TYPE_BONEH_FRANKLIN_BLS12381", u64::from(seal::KEY_TYPE_BONEH_FRANKLIN_BLS12381)),
        ("seal", "key_server", "G2_LENGTH", seal::G2_LENGTH as u64),
        ("seal", "allowlist", "VERSION", seal::ALLOWLIST_VERSION),
        ("seal", "allowlist", "BLOB_LINK", u64::from(seal::ALLOWLIST_BLOB_LINK)),
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
