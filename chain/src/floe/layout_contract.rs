//! Checks every mirror against the Move source it mirrors: the struct (or enum) is declared in
//! the module's file under `move/`, with the same field (or variant) names in the same order.
//! Together with the hand-computed byte layouts in each module, this keeps the mirrors from
//! drifting when a Move struct changes.

use std::path::PathBuf;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use super::move_type::{FloePackage, MoveType};

/// What a Rust type's `Deserialize` asks for: a struct's fields or an enum's variants.
#[derive(Default)]
struct Members(Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for &mut Members {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct or enum"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = Some(fields);
        Err(de::Error::custom("captured"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = Some(variants);
        Err(de::Error::custom("captured"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// The field or variant names of a mirror, in declaration order.
fn rust_members<T: MoveType>() -> Vec<&'static str> {
    let mut members = Members::default();
    let _ = T::deserialize(&mut members);
    members.0.unwrap_or_else(|| panic!("{} is not a struct or enum", T::NAME)).to_vec()
}

/// The source file of `T`'s module.
fn move_source<T: MoveType>() -> String {
    let package = match T::PACKAGE {
        FloePackage::Wal => "wal",
        FloePackage::Floe => "floe",
        FloePackage::Seal => "seal",
    };
    let path: PathBuf =
        [env!("CARGO_MANIFEST_DIR"), "..", "move", package, "sources", &format!("{}.move", T::MODULE)].iter().collect();
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The field or variant names of `public struct|enum name` in a Move source, in order.
fn move_members(source: &str, name: &str) -> Option<Vec<String>> {
    let without_comments: String =
        source.lines().map(|line| line.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    for keyword in ["public struct ", "public enum "] {
        let pattern = format!("{keyword}{name}");
        let mut from = 0;
        while let Some(found) = without_comments[from..].find(&pattern) {
            let start = from + found + pattern.len();
            from = start;
            let rest = &without_comments[start..];
            if !rest.starts_with([' ', '<', '{']) {
                continue; // a longer name with this prefix
            }
            let open = rest.find('{')?;
            return Some(top_level_entries(&rest[open + 1..]).into_iter().map(leading_identifier).collect());
        }
    }
    None
}

/// The comma-separated entries of a `{ ... }` body up to its closing brace.
fn top_level_entries(body: &str) -> Vec<&str> {
    let mut entries = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in body.char_indices() {
        match c {
            '{' | '(' | '<' => depth += 1,
            '>' | ')' => depth -= 1,
            '}' if depth == 0 => {
                entries.push(&body[start..i]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                entries.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    entries.into_iter().map(str::trim).filter(|entry| !entry.is_empty()).collect()
}

fn leading_identifier(entry: &str) -> String {
    entry.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

fn check<T: MoveType>() {
    let source = move_source::<T>();
    let move_side = move_members(&source, T::NAME)
        .unwrap_or_else(|| panic!("{}::{} is not declared in its module", T::MODULE, T::NAME));
    assert_eq!(rust_members::<T>(), move_side, "{}::{}", T::MODULE, T::NAME);
}

macro_rules! check_all {
    ($($ty:path),+ $(,)?) => { $( check::<$ty>(); )+ };
}

#[test]
fn every_mirror_has_the_move_members_in_order() {
    use super::{
        blob, challenges, committee, events, messages, seal, shared_blob, staked_wal, staking, staking_pool, storage,
        system, wal,
    };
    check_all!(
        blob::Blob,
        blob::BlobIdDerivation,
        committee::BlsCommitteeMember,
        committee::BlsCommittee,
        committee::Committee,
        committee::EpochParams,
        messages::CertifiedMessage,
        messages::BlobPersistenceType,
        messages::CertifiedBlobMessage,
        messages::InvalidBlobIdMessage,
        messages::ChallengeOutcomeMessage,
        challenges::ChallengeState,
        staked_wal::StakedWalState,
        staked_wal::StakedWal,
        staking::Staking,
        staking::EpochState,
        staking::StakingInnerV1,
        staking::ActiveSet,
        staking::ActiveSetEntry,
        staking::StorageNodeCap,
        staking_pool::VotingParams,
        staking_pool::ExchangeRate,
        staking_pool::CommissionChange,
        staking_pool::PendingWithdrawal,
        staking_pool::StakingPool,
        storage::Storage,
        storage::FutureAccounting,
        storage::FutureAccountingRingBuffer,
        system::System,
        system::SystemStateInnerV1,
        system::InitCap,
        wal::ProtectedTreasury,
        seal::Allowlist,
        seal::AllowlistCap,
        seal::KeyServer,
        seal::KeyServerV2,
        seal::ServerType,
        seal::Service,
        seal::ServiceCap,
        seal::Subscription,
        events::BlobRegistered,
        events::BlobCertified,
        events::BlobDeleted,
        events::BlobShared,
        shared_blob::SharedBlob,
        events::InvalidBlobID,
        events::EpochChangeStart,
        events::EpochChangeDone,
        events::ShardsReceived,
        events::EpochParametersSelected,
        events::StakingPoolRegistered,
        events::Staked,
        events::WithdrawalRequested,
        events::Withdrawn,
        events::CommissionCollected,
        events::RewardsDistributed,
        events::RewardsWithheld,
        events::ChallengeWindowOpened,
        events::ChallengeOutcome,
        events::Initialized,
    );
}

#[test]
fn the_source_reader_sees_order_variants_and_prefixes() {
    let source = "public struct AB has drop { x: u8 }\n/// doc\npublic struct A<phantom T> has key {\n    \
                  // note\n    id: UID,\n    map: VecMap<u32, vector<u8>>,\n    last: Option<u64>,\n}\n\
                  public enum E has drop { One(u16), Two { a: u8, b: u8 }, Three }";
    assert_eq!(move_members(source, "A").unwrap(), ["id", "map", "last"]);
    assert_eq!(move_members(source, "AB").unwrap(), ["x"]);
    assert_eq!(move_members(source, "E").unwrap(), ["One", "Two", "Three"]);
    assert_eq!(move_members(source, "Missing"), None);
}

#[test]
fn a_reordered_mirror_would_be_caught() {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Swapped {
        end_epoch: u32,
        start_epoch: u32,
    }
    let mut members = Members::default();
    let _ = Swapped::deserialize(&mut members);
    let source = "public struct Storage has key, store { id: UID, start_epoch: u32, end_epoch: u32 }";
    assert_ne!(members.0.unwrap().to_vec(), move_members(source, "Storage").unwrap()[1..].to_vec());
}
