//! What each abort code of floe's Move packages means, in a sentence for the person whose
//! transaction it stopped: `code 0 in reserve_space_for_epochs` becomes "storage can be bought
//! only ... up to max_epochs_ahead epochs ahead". The codes are the Move source's constants
//! (`move/README.md` lists them too); a test reads the sources and fails when a constant is
//! missing here or has another code.

use crate::MoveAbort;

/// One abort constant of a floe module and the rule it enforces, in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortRule {
    /// The Move package's name (`floe`, `floe_seal`).
    pub package: &'static str,
    /// The module raising it.
    pub module: &'static str,
    /// The constant's name, e.g. `EInvalidEpochsAhead`.
    pub name: &'static str,
    /// Its code.
    pub code: u64,
    /// The rule, as a sentence a user can act on (lower case, no final stop).
    pub rule: &'static str,
}

/// Every abort constant of `move/floe` and `move/seal`.
pub const ABORT_RULES: &[AbortRule] = &[
    AbortRule {
        package: "floe",
        module: "apportionment",
        name: "ENoStake",
        code: 0,
        rule: "no node has any stake, so there is nothing to apportion shards by",
    },
    AbortRule {
        package: "floe",
        module: "apportionment",
        name: "ELengthMismatch",
        code: 1,
        rule: "the votes and the weights given have different lengths",
    },
    AbortRule {
        package: "floe",
        module: "blob",
        name: "EResourceBounds",
        code: 0,
        rule: "the blob's storage does not cover the current epoch: the blob has expired, or its storage starts later",
    },
    AbortRule {
        package: "floe",
        module: "blob",
        name: "EResourceSize",
        code: 1,
        rule: "the storage is smaller than the blob's encoded size",
    },
    AbortRule {
        package: "floe",
        module: "blob",
        name: "EInvalidBlobId",
        code: 2,
        rule: "the blob id does not match the blob's root hash, size and encoding, or the certificate is for another blob",
    },
    AbortRule {
        package: "floe",
        module: "blob",
        name: "EAlreadyCertified",
        code: 3,
        rule: "the blob is already certified",
    },
    AbortRule {
        package: "floe",
        module: "blob",
        name: "EInvalidBlobPersistenceType",
        code: 4,
        rule: "the certificate says permanent where the blob is deletable, or the reverse",
    },
    AbortRule {
        package: "floe",
        module: "blob",
        name: "EInvalidBlobObject",
        code: 5,
        rule: "the certificate of this deletable blob names another Blob object",
    },
    AbortRule {
        package: "floe",
        module: "blob",
        name: "EBlobNotDeletable",
        code: 6,
        rule: "the blob is permanent: only deletable blobs can be deleted (`floe burn` drops the object without a refund)",
    },
    AbortRule {
        package: "floe",
        module: "blob",
        name: "ENotCertified",
        code: 7,
        rule: "the blob is not certified: only certified blobs can be extended",
    },
    AbortRule {
        package: "floe",
        module: "blob",
        name: "EBlobNotExpired",
        code: 8,
        rule: "the blob has not expired yet (`floe burn` burns it anyway)",
    },
    AbortRule {
        package: "floe",
        module: "blob",
        name: "EIncompatibleExtension",
        code: 9,
        rule: "the extension's storage does not start where the blob's ends, or has another size",
    },
    AbortRule {
        package: "floe",
        module: "blob",
        name: "EAttributeNotFound",
        code: 10,
        rule: "the blob has no attribute with that key",
    },
    AbortRule { package: "floe", module: "blob", name: "ENoAttributes", code: 11, rule: "the blob has no attributes" },
    AbortRule {
        package: "floe",
        module: "blob",
        name: "EWrongEpoch",
        code: 12,
        rule: "the certificate is for another epoch than the current one",
    },
    AbortRule {
        package: "floe",
        module: "shared_blob",
        name: "EInsufficientFunds",
        code: 0,
        rule: "the shared blob's funds do not cover the extension's storage price: add WAL with `floe fund-shared-blob` or extend by fewer epochs",
    },
    AbortRule {
        package: "floe",
        module: "shared_blob",
        name: "ENotCertified",
        code: 1,
        rule: "only a certified blob can be shared (nobody could certify it once shared)",
    },
    AbortRule {
        package: "floe",
        module: "shared_blob",
        name: "EZeroFunds",
        code: 2,
        rule: "a shared blob is funded with a positive amount of WAL",
    },
    AbortRule {
        package: "floe",
        module: "bls_aggregate",
        name: "EInvalidBitmap",
        code: 0,
        rule: "the certificate's signer bitmap does not fit the committee",
    },
    AbortRule {
        package: "floe",
        module: "bls_aggregate",
        name: "ESigVerification",
        code: 1,
        rule: "the certificate's aggregate signature does not verify",
    },
    AbortRule {
        package: "floe",
        module: "bls_aggregate",
        name: "ENotEnoughStake",
        code: 2,
        rule: "the certificate's signers hold too few shards",
    },
    AbortRule {
        package: "floe",
        module: "bls_aggregate",
        name: "EInvalidPublicKey",
        code: 3,
        rule: "a committee member's public key is not 48 bytes",
    },
    AbortRule {
        package: "floe",
        module: "bls_aggregate",
        name: "EInvalidWeight",
        code: 4,
        rule: "a committee member holds no shards, or the shard counts overflow",
    },
    AbortRule {
        package: "floe",
        module: "committee",
        name: "EInvalidShardCounts",
        code: 0,
        rule: "the shard counts do not add up to the number of shards",
    },
    AbortRule {
        package: "floe",
        module: "encoding",
        name: "EInvalidEncodingType",
        code: 0,
        rule: "the encoding type is not RS2",
    },
    AbortRule {
        package: "floe",
        module: "encoding",
        name: "EBlobTooLarge",
        code: 1,
        rule: "the blob is too large for this committee's number of shards",
    },
    AbortRule {
        package: "floe",
        module: "encoding",
        name: "EInvalidShardCount",
        code: 2,
        rule: "the number of shards is zero",
    },
    AbortRule {
        package: "floe",
        module: "init",
        name: "EInvalidParameter",
        code: 0,
        rule: "an initialization parameter is zero or out of range",
    },
    AbortRule {
        package: "floe",
        module: "messages",
        name: "EInvalidAppId",
        code: 0,
        rule: "the signed message is not a storage message (wrong app id)",
    },
    AbortRule {
        package: "floe",
        module: "messages",
        name: "EIncorrectIntentVersion",
        code: 1,
        rule: "the signed message has an unknown intent version",
    },
    AbortRule {
        package: "floe",
        module: "messages",
        name: "EIncorrectEpoch",
        code: 2,
        rule: "the signed message is for another epoch than the committee's (the epoch changed meanwhile: try again)",
    },
    AbortRule {
        package: "floe",
        module: "messages",
        name: "EIncorrectIntentType",
        code: 3,
        rule: "the signed message is of the wrong kind for this call",
    },
    AbortRule {
        package: "floe",
        module: "messages",
        name: "EInvalidPersistenceType",
        code: 4,
        rule: "the signed message's persistence type is neither permanent nor deletable",
    },
    AbortRule {
        package: "floe",
        module: "messages",
        name: "ETrailingBytes",
        code: 5,
        rule: "the signed message has bytes after its body",
    },
    AbortRule {
        package: "floe",
        module: "messages",
        name: "EMessageTooShort",
        code: 6,
        rule: "the signed message is shorter than its header",
    },
    AbortRule {
        package: "floe",
        module: "messages",
        name: "EInvalidChallengeOutcome",
        code: 7,
        rule: "the challenge outcome is neither passed nor failed",
    },
    AbortRule {
        package: "floe",
        module: "staked_wal",
        name: "EInvalidSplitAmount",
        code: 0,
        rule: "the split amount must be above zero and below the stake's principal",
    },
    AbortRule {
        package: "floe",
        module: "staked_wal",
        name: "ENotStaked",
        code: 1,
        rule: "only a stake that is not withdrawing can be split or joined",
    },
    AbortRule {
        package: "floe",
        module: "staked_wal",
        name: "EIncompatibleStakedWal",
        code: 2,
        rule: "the two stakes are with different nodes or start in different epochs",
    },
    AbortRule {
        package: "floe",
        module: "staking",
        name: "EWrongVersion",
        code: 0,
        rule: "the Staking object is of a version this package does not handle",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "EWrongEpochState",
        code: 0,
        rule: "this is not allowed in the current epoch state (the epoch is changing)",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "ETooEarly",
        code: 1,
        rule: "too early: this step's time in the epoch has not come",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "ENoStake",
        code: 2,
        rule: "no node has stake for the next epoch",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "EPoolNotFound",
        code: 3,
        rule: "there is no storage node with that node id",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "EZeroStake",
        code: 4,
        rule: "the amount to stake is zero",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "EInvalidProofOfPossession",
        code: 5,
        rule: "the node's proof of possession of its BLS key does not verify",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "EInvalidSyncEpoch",
        code: 6,
        rule: "the sync report is for another epoch than the current one",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "EDuplicateSyncDone",
        code: 7,
        rule: "the node already reported its sync for this epoch",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "ENotInCommittee",
        code: 8,
        rule: "the node is not in the current committee",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "ENotWithdrawable",
        code: 9,
        rule: "the stake cannot be withdrawn yet: ask with `floe unstake` first, then wait for its withdrawal epoch",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "EWithdrawDirectly",
        code: 10,
        rule: "the stake never counted in a committee: withdraw it directly",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "EEpochMismatch",
        code: 11,
        rule: "the System object is at another epoch than the Staking object",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "EAlreadyWithdrawing",
        code: 12,
        rule: "the stake is already withdrawing",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "EChallengeWindowOpen",
        code: 13,
        rule: "the storage challenge window already opened in this epoch",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "ENoChallengeWindow",
        code: 14,
        rule: "no storage challenge window has opened in this epoch yet",
    },
    AbortRule {
        package: "floe",
        module: "staking_inner",
        name: "EOutcomeRecorded",
        code: 15,
        rule: "this node's challenge outcome for the epoch is already recorded",
    },
    AbortRule {
        package: "floe",
        module: "staking_pool",
        name: "EInvalidCommissionRate",
        code: 0,
        rule: "the commission rate is above 100% (10,000 basis points)",
    },
    AbortRule {
        package: "floe",
        module: "staking_pool",
        name: "ENameTooLong",
        code: 1,
        rule: "the node name is longer than 100 bytes",
    },
    AbortRule {
        package: "floe",
        module: "staking_pool",
        name: "ENetworkAddressTooLong",
        code: 2,
        rule: "the network address is longer than 259 bytes",
    },
    AbortRule {
        package: "floe",
        module: "staking_pool",
        name: "EInvalidPublicKey",
        code: 3,
        rule: "the public key is not 48 bytes",
    },
    AbortRule {
        package: "floe",
        module: "staking_pool",
        name: "EEpochAlreadyProcessed",
        code: 4,
        rule: "the pool was already advanced to this epoch",
    },
    AbortRule {
        package: "floe",
        module: "staking_pool",
        name: "EInvalidNetworkPublicKey",
        code: 5,
        rule: "the network public key is not 32 bytes (an Ed25519 key)",
    },
    AbortRule {
        package: "floe",
        module: "storage_accounting",
        name: "ETooFarInFuture",
        code: 0,
        rule: "the epoch is in the past or further ahead than the system's max_epochs_ahead",
    },
    AbortRule {
        package: "floe",
        module: "storage_accounting",
        name: "EInvalidLength",
        code: 1,
        rule: "the accounting buffer's length is zero",
    },
    AbortRule {
        package: "floe",
        module: "storage_resource",
        name: "ESplitEpochOutOfRange",
        code: 0,
        rule: "the split epoch is not strictly inside the storage's epochs",
    },
    AbortRule {
        package: "floe",
        module: "storage_resource",
        name: "ESplitSizeOutOfRange",
        code: 1,
        rule: "the split size must be above zero and below the storage's size",
    },
    AbortRule {
        package: "floe",
        module: "storage_resource",
        name: "EIncompatibleEpochs",
        code: 2,
        rule: "the two storage reservations' epochs are neither equal nor adjacent",
    },
    AbortRule {
        package: "floe",
        module: "storage_resource",
        name: "EIncompatibleAmount",
        code: 3,
        rule: "storage reservations for different epochs must be the same size to be fused",
    },
    AbortRule {
        package: "floe",
        module: "system",
        name: "EWrongVersion",
        code: 0,
        rule: "the System object is of a version this package does not handle",
    },
    AbortRule {
        package: "floe",
        module: "system_state_inner",
        name: "EInvalidEpochsAhead",
        code: 0,
        rule: "storage can be bought only from the current epoch up to max_epochs_ahead epochs ahead (`floe info` shows the limit)",
    },
    AbortRule {
        package: "floe",
        module: "system_state_inner",
        name: "EStorageExceeded",
        code: 1,
        rule: "the network has not enough free capacity in one of the epochs asked for",
    },
    AbortRule {
        package: "floe",
        module: "system_state_inner",
        name: "EInsufficientFunds",
        code: 2,
        rule: "the WAL paid is less than the price",
    },
    AbortRule {
        package: "floe",
        module: "system_state_inner",
        name: "EWrongCommitteeEpoch",
        code: 3,
        rule: "the new committee is not for the next epoch",
    },
    AbortRule {
        package: "floe",
        module: "system_state_inner",
        name: "EInvalidStorageSize",
        code: 4,
        rule: "the storage size asked for is zero",
    },
    AbortRule {
        package: "floe_seal",
        module: "allowlist",
        name: "EInvalidCap",
        code: 0,
        rule: "the capability is for another allowlist",
    },
    AbortRule {
        package: "floe_seal",
        module: "allowlist",
        name: "ENoAccess",
        code: 1,
        rule: "the sender is not on the allowlist, or the key id is not under this list",
    },
    AbortRule {
        package: "floe_seal",
        module: "allowlist",
        name: "EDuplicate",
        code: 2,
        rule: "the address is already on the allowlist",
    },
    AbortRule {
        package: "floe_seal",
        module: "allowlist",
        name: "ENotInList",
        code: 3,
        rule: "the address is not on the allowlist",
    },
    AbortRule {
        package: "floe_seal",
        module: "allowlist",
        name: "EWrongVersion",
        code: 4,
        rule: "the allowlist is of another package version",
    },
    AbortRule {
        package: "floe_seal",
        module: "key_server",
        name: "EInvalidKeyType",
        code: 0,
        rule: "the key type is not supported (only Boneh-Franklin on BLS12-381)",
    },
    AbortRule {
        package: "floe_seal",
        module: "key_server",
        name: "EInvalidPublicKey",
        code: 1,
        rule: "the key server's public key is not a 96-byte G2 point",
    },
    AbortRule {
        package: "floe_seal",
        module: "owner_policy",
        name: "ENoAccess",
        code: 0,
        rule: "the sender is not the owner named in the key id",
    },
    AbortRule {
        package: "floe_seal",
        module: "subscription",
        name: "EInvalidFee",
        code: 0,
        rule: "the payment is not exactly the service's fee",
    },
    AbortRule {
        package: "floe_seal",
        module: "subscription",
        name: "ENoAccess",
        code: 1,
        rule: "the subscription is for another service or has expired, or the key id is not the service's",
    },
    AbortRule {
        package: "floe_seal",
        module: "subscription",
        name: "EInvalidCap",
        code: 2,
        rule: "the capability is for another service",
    },
    AbortRule {
        package: "floe_seal",
        module: "time_lock",
        name: "EInvalidId",
        code: 0,
        rule: "the key id is not an unlock time (a BCS u64)",
    },
    AbortRule {
        package: "floe_seal",
        module: "time_lock",
        name: "ENoAccess",
        code: 1,
        rule: "the unlock time has not come",
    },
];

/// The code of floe's abort constant `module::name` (`abort_code("blob", "EInvalidBlobId")` is 2),
/// read from [`ABORT_RULES`], which a test holds to the Move sources. Meant for constants, where it
/// is evaluated at compile time: a constant that is not in the table fails the build, and a code
/// changed in `move/` reaches every user through the table. floe's module names are unique across
/// its packages, so the module and the name identify the constant.
pub const fn abort_code(module: &str, name: &str) -> u64 {
    let mut i = 0;
    while i < ABORT_RULES.len() {
        let rule = &ABORT_RULES[i];
        if same(rule.module, module) && same(rule.name, name) {
            return rule.code;
        }
        i += 1;
    }
    panic!("no such abort constant in floe's Move packages (see ABORT_RULES)")
}

/// `a == b`, in a `const fn`.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Packages that are Sui's own (`0x1` std, `0x2` sui, `0x3` sui_system): their module names
/// can equal floe's (`staking_pool`), their codes mean something else.
fn is_framework(package: &sui_sdk_types::Address) -> bool {
    let bytes = package.as_bytes();
    bytes[..31].iter().all(|byte| *byte == 0) && (1..=3).contains(&bytes[31])
}

/// The rule behind `abort`, when a floe module raised it. floe's module names are unique across
/// its packages, so the module and the code identify the constant whatever the package's id on
/// this chain.
pub fn rule_of(abort: &MoveAbort) -> Option<&'static AbortRule> {
    if is_framework(&abort.package) {
        return None;
    }
    ABORT_RULES.iter().find(|rule| rule.module == abort.module && rule.code == abort.code)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use sui_sdk_types::Address;

    use super::*;

    /// `(package, module, name, code)` of every `const E...: u64 = N;` in a package's sources.
    fn move_constants(dir: &str, package: &'static str) -> BTreeSet<(&'static str, String, String, u64)> {
        let sources: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "move", dir, "sources"].iter().collect();
        let mut constants = BTreeSet::new();
        for entry in std::fs::read_dir(&sources).unwrap() {
            let path = entry.unwrap().path();
            let module = path.file_stem().unwrap().to_str().unwrap().to_owned();
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let Some(rest) = line.trim().strip_prefix("const E") else { continue };
                let Some((name, value)) = rest.split_once(": u64 = ") else { continue };
                let code = value.trim_end_matches(';').trim().parse().unwrap();
                constants.insert((package, module.clone(), format!("E{name}"), code));
            }
        }
        constants
    }

    #[test]
    fn every_abort_constant_of_the_move_sources_has_its_rule_and_code() {
        let mut source = move_constants("floe", "floe");
        source.extend(move_constants("seal", "floe_seal"));
        let table: BTreeSet<_> = ABORT_RULES
            .iter()
            .map(|rule| (rule.package, rule.module.to_owned(), rule.name.to_owned(), rule.code))
            .collect();
        assert_eq!(table.len(), ABORT_RULES.len(), "a constant is listed twice");
        let missing: Vec<_> = source.difference(&table).collect();
        let extra: Vec<_> = table.difference(&source).collect();
        assert!(missing.is_empty() && extra.is_empty(), "missing here: {missing:?}; not in the sources: {extra:?}");
        let modules: BTreeSet<_> = ABORT_RULES.iter().map(|rule| (rule.package, rule.module)).collect();
        let names: BTreeSet<_> = modules.iter().map(|(_, module)| module).collect();
        assert_eq!(modules.len(), names.len(), "module names are unique across floe's packages");
    }

    #[test]
    fn abort_code_finds_the_constant_of_that_module_only() {
        assert_eq!(abort_code("blob", "EInvalidBlobId"), 2);
        assert_eq!(abort_code("staking_inner", "EOutcomeRecorded"), 15);
        assert_eq!(abort_code("time_lock", "ENoAccess"), 1);
        // One name, two modules, two codes.
        assert_eq!((abort_code("apportionment", "ENoStake"), abort_code("staking_inner", "ENoStake")), (0, 2));
        assert!(std::panic::catch_unwind(|| abort_code("blob", "ENoSuchConstant")).is_err());
        assert!(std::panic::catch_unwind(|| abort_code("no_such_module", "EInvalidBlobId")).is_err());
    }

    #[test]
    fn floe_aborts_are_explained_and_the_frameworks_are_not() {
        let abort = |package: Address, module: &str, code| MoveAbort {
            code,
            package,
            module: module.to_owned(),
            function: Some("reserve_space_for_epochs".to_owned()),
        };
        let floe = Address::from_static("0xf1");
        let rule = rule_of(&abort(floe, "system_state_inner", 0)).unwrap();
        assert_eq!(rule.name, "EInvalidEpochsAhead");
        assert!(rule.rule.contains("max_epochs_ahead"), "{}", rule.rule);
        assert_eq!(rule_of(&abort(floe, "system_state_inner", 99)), None);
        // Sui's own staking_pool (0x3) is not floe's.
        assert_eq!(rule_of(&abort(Address::from_static("0x3"), "staking_pool", 0)), None);
        assert_eq!(rule_of(&abort(floe, "staking_pool", 0)).unwrap().name, "EInvalidCommissionRate");
    }
}
