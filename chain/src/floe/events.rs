//! floe's events (`floe::events`, plus `floe::init::Initialized`) and their decoding by type
//! tag. Every `floe::events` event starts with the epoch it was emitted in.

use floe_encoder::BlobId;
use serde::{Deserialize, Serialize};
use sui_sdk_types::{Address, Event, StructTag};

use super::move_type::{DecodeError, MoveType, decode_bcs, move_types};
use crate::deployment::Packages;

/// `BlobRegistered`: a Blob object was created by `register_blob`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRegistered {
    /// The epoch of emission.
    pub epoch: u32,
    /// The blob id.
    pub blob_id: BlobId,
    /// The unencoded size.
    pub size: u64,
    /// The encoding type byte.
    pub encoding_type: u8,
    /// The first epoch the blob is no longer stored.
    pub end_epoch: u32,
    /// Whether the blob is deletable.
    pub deletable: bool,
    /// The Blob object.
    pub object_id: Address,
}

/// `BlobCertified`: a blob was certified, or a certified blob extended (`is_extension`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobCertified {
    /// The epoch of emission.
    pub epoch: u32,
    /// The blob id.
    pub blob_id: BlobId,
    /// The (new) first epoch the blob is no longer stored.
    pub end_epoch: u32,
    /// Whether the blob is deletable.
    pub deletable: bool,
    /// The Blob object.
    pub object_id: Address,
    /// Whether this is an extension of an already certified blob.
    pub is_extension: bool,
}

/// `BlobDeleted`: a deletable blob was deleted by its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobDeleted {
    /// The epoch of emission.
    pub epoch: u32,
    /// The blob id.
    pub blob_id: BlobId,
    /// The end epoch the blob had.
    pub end_epoch: u32,
    /// The deleted Blob object.
    pub object_id: Address,
    /// Whether it had been certified.
    pub was_certified: bool,
}

/// `BlobShared`: a certified blob was wrapped in a shared `SharedBlob` that anyone can fund
/// and extend. Unlike the other `floe::events`, it carries no epoch (sharing reads no System).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobShared {
    /// The SharedBlob object.
    pub object_id: Address,
    /// The Blob object it wraps (its id is kept).
    pub blob_object_id: Address,
    /// The blob id.
    pub blob_id: BlobId,
    /// The blob's end epoch when it was shared.
    pub end_epoch: u32,
    /// The funds it was shared with, in FROST.
    pub funds: u64,
}

/// `InvalidBlobID`: a blob id was proven inconsistently encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidBlobID {
    /// The epoch of emission.
    pub epoch: u32,
    /// The invalid blob id.
    pub blob_id: BlobId,
}

/// `EpochChangeStart`: the epoch change to `epoch` began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochChangeStart {
    /// The new epoch.
    pub epoch: u32,
}

/// `EpochChangeDone`: a quorum of the committee received its shards for `epoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochChangeDone {
    /// The epoch.
    pub epoch: u32,
}

/// `ShardsReceived`: one node reported `epoch_sync_done`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardsReceived {
    /// The epoch of emission.
    pub epoch: u32,
    /// The reporting node.
    pub node_id: Address,
    /// The shards it holds.
    pub shards: Vec<u16>,
}

/// `EpochParametersSelected`: `voting_end` selected the next epoch's committee and parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochParametersSelected {
    /// The epoch of emission.
    pub epoch: u32,
    /// The epoch the parameters are for.
    pub next_epoch: u32,
    /// Total capacity in encoded bytes.
    pub total_capacity_size: u64,
    /// FROST per 1 MiB unit per epoch.
    pub storage_price_per_unit_size: u64,
    /// FROST per 1 MiB unit, once.
    pub write_price_per_unit_size: u64,
}

/// `StakingPoolRegistered`: a storage node registered as a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakingPoolRegistered {
    /// The epoch of emission.
    pub epoch: u32,
    /// The new node id.
    pub node_id: Address,
    /// Its commission rate (bps).
    pub commission_rate: u16,
}

/// `Staked`: WAL was staked with a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staked {
    /// The epoch of emission.
    pub epoch: u32,
    /// The node.
    pub node_id: Address,
    /// The new StakedWal object.
    pub staked_wal_id: Address,
    /// The staked amount (FROST).
    pub amount: u64,
    /// The first epoch the stake counts in.
    pub activation_epoch: u32,
}

/// `WithdrawalRequested`: a stake started withdrawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalRequested {
    /// The epoch of emission.
    pub epoch: u32,
    /// The node.
    pub node_id: Address,
    /// The StakedWal object.
    pub staked_wal_id: Address,
    /// Its principal (FROST).
    pub principal: u64,
    /// The epoch it can be withdrawn.
    pub withdraw_epoch: u32,
}

/// `Withdrawn`: a stake was withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawn {
    /// The epoch of emission.
    pub epoch: u32,
    /// The node.
    pub node_id: Address,
    /// The destroyed StakedWal object.
    pub staked_wal_id: Address,
    /// Its principal (FROST).
    pub principal: u64,
    /// Principal plus rewards paid out (FROST).
    pub amount: u64,
}

/// `CommissionCollected`: a node operator collected commission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommissionCollected {
    /// The epoch of emission.
    pub epoch: u32,
    /// The node.
    pub node_id: Address,
    /// The amount (FROST).
    pub amount: u64,
}

/// `RewardsDistributed`: a pool's share of an ended epoch's rewards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardsDistributed {
    /// The epoch the rewards were earned in.
    pub epoch: u32,
    /// The node.
    pub node_id: Address,
    /// The pool's whole share (FROST).
    pub amount: u64,
    /// The part of it that went to commission.
    pub commission: u64,
}

/// `RewardsWithheld`: a node's share of an ended epoch's rewards was withheld because a quorum
/// attested that it failed its storage challenges in that epoch; the amount rolls over into the
/// next epoch's rewards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardsWithheld {
    /// The epoch the rewards were earned in.
    pub epoch: u32,
    /// The node.
    pub node_id: Address,
    /// The share withheld (FROST).
    pub amount: u64,
}

/// `ChallengeWindowOpened`: the storage challenge window of `epoch` opened with a seed drawn
/// from Sui's randomness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeWindowOpened {
    /// The epoch of emission (the epoch the challenges are about).
    pub epoch: u32,
    /// The 32-byte seed the node side derives the challenges from.
    pub seed: Vec<u8>,
    /// The clock time (ms) the window opened.
    pub opened_at_ms: u64,
}

/// `ChallengeOutcome`: a quorum certificate of a node's storage challenge outcome was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeOutcome {
    /// The epoch of emission (the epoch the outcome is about).
    pub epoch: u32,
    /// The challenged node.
    pub node_id: Address,
    /// Whether it passed; a failure withholds its rewards for the epoch.
    pub passed: bool,
    /// The signers' shard weight.
    pub stake_support: u16,
}

/// `floe::init::Initialized`: the System and Staking objects were created and shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Initialized {
    /// The shared System object.
    pub system_id: Address,
    /// The shared Staking object.
    pub staking_id: Address,
}

move_types!(Floe;
    "events" => BlobRegistered,
    "events" => BlobCertified,
    "events" => BlobDeleted,
    "events" => BlobShared,
    "events" => InvalidBlobID,
    "events" => EpochChangeStart,
    "events" => EpochChangeDone,
    "events" => ShardsReceived,
    "events" => EpochParametersSelected,
    "events" => StakingPoolRegistered,
    "events" => Staked,
    "events" => WithdrawalRequested,
    "events" => Withdrawn,
    "events" => CommissionCollected,
    "events" => RewardsDistributed,
    "events" => RewardsWithheld,
    "events" => ChallengeWindowOpened,
    "events" => ChallengeOutcome,
    "init" => Initialized,
);

/// Declares [`FloeEvent`] with one variant per event type and its decoder.
macro_rules! floe_events {
    ($($event:ident),+ $(,)?) => {
        /// An event decoded by its type tag; anything that is not a floe event is kept as
        /// [`FloeEvent::Unknown`] so that indexers record it instead of failing.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum FloeEvent {
            $(
                #[doc = concat!("A `", stringify!($event), "` event.")]
                $event($event),
            )+
            /// An event of another package or type (or a floe type carrying type arguments,
            /// which no floe event has).
            Unknown {
                /// The event's type.
                type_tag: StructTag,
                /// Its BCS contents, untouched.
                bytes: Vec<u8>,
            },
        }

        impl FloeEvent {
            /// Decodes an event's BCS `bytes` by its type. Unknown types give
            /// [`FloeEvent::Unknown`]; a floe event whose bytes are not its layout is an error.
            pub fn decode(packages: &Packages, type_tag: &StructTag, bytes: &[u8]) -> Result<Self, DecodeError> {
                if type_tag.type_params().is_empty() {
                    $(
                        if $event::is_named_by(packages, type_tag) {
                            return decode_bcs(type_tag, bytes).map(Self::$event);
                        }
                    )+
                }
                Ok(Self::Unknown { type_tag: type_tag.clone(), bytes: bytes.to_vec() })
            }
        }
    };
}

floe_events!(
    BlobRegistered,
    BlobCertified,
    BlobDeleted,
    BlobShared,
    InvalidBlobID,
    EpochChangeStart,
    EpochChangeDone,
    ShardsReceived,
    EpochParametersSelected,
    StakingPoolRegistered,
    Staked,
    WithdrawalRequested,
    Withdrawn,
    CommissionCollected,
    RewardsDistributed,
    RewardsWithheld,
    ChallengeWindowOpened,
    ChallengeOutcome,
    Initialized,
);

impl FloeEvent {
    /// Decodes a transaction's event (see [`FloeEvent::decode`]).
    pub fn from_event(packages: &Packages, event: &Event) -> Result<Self, DecodeError> {
        Self::decode(packages, &event.type_, &event.contents)
    }

    /// The epoch the event was emitted in (for `RewardsDistributed`, the epoch the rewards were
    /// earned in); `None` for `BlobShared`, `Initialized` and unknown events, which carry none.
    pub fn epoch(&self) -> Option<u32> {
        Some(match self {
            Self::BlobRegistered(e) => e.epoch,
            Self::BlobCertified(e) => e.epoch,
            Self::BlobDeleted(e) => e.epoch,
            Self::InvalidBlobID(e) => e.epoch,
            Self::EpochChangeStart(e) => e.epoch,
            Self::EpochChangeDone(e) => e.epoch,
            Self::ShardsReceived(e) => e.epoch,
            Self::EpochParametersSelected(e) => e.epoch,
            Self::StakingPoolRegistered(e) => e.epoch,
            Self::Staked(e) => e.epoch,
            Self::WithdrawalRequested(e) => e.epoch,
            Self::Withdrawn(e) => e.epoch,
            Self::CommissionCollected(e) => e.epoch,
            Self::RewardsDistributed(e) => e.epoch,
            Self::RewardsWithheld(e) => e.epoch,
            Self::ChallengeWindowOpened(e) => e.epoch,
            Self::ChallengeOutcome(e) => e.epoch,
            Self::BlobShared(_) | Self::Initialized(_) | Self::Unknown { .. } => return None,
        })
    }

    /// Whether the event is not one of floe's.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown { .. })
    }
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::Identifier;

    use super::*;
    use crate::floe::move_type::assert_bcs_round_trip;
    use crate::floe::test_vectors;

    fn packages() -> Packages {
        Packages { wal: Address::new([0xa1; 32]), floe: Address::new([0xf1; 32]), seal: Address::new([0x5e; 32]) }
    }

    fn id(byte: u8) -> Address {
        Address::new([byte; 32])
    }

    fn registered() -> BlobRegistered {
        BlobRegistered {
            epoch: 1,
            blob_id: test_vectors::blob_id(),
            size: 1000,
            encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
            end_epoch: 3,
            deletable: false,
            object_id: id(0x0b),
        }
    }

    #[test]
    fn blob_registered_bytes_by_hand() {
        let bytes = assert_bcs_round_trip(&registered());
        let mut expected = vec![1, 0, 0, 0];
        expected.extend(test_vectors::blob_id().0);
        expected.extend([0xe8, 0x03, 0, 0, 0, 0, 0, 0]); // 1000
        expected.push(1);
        expected.extend([3, 0, 0, 0]);
        expected.push(0);
        expected.extend([0x0b; 32]);
        assert_eq!(bytes, expected);
        assert_eq!(bytes.len(), 4 + 32 + 8 + 1 + 4 + 1 + 32);
    }

    #[test]
    fn blob_lifecycle_events_by_hand() {
        let certified = BlobCertified {
            epoch: 2,
            blob_id: test_vectors::blob_id(),
            end_epoch: 9,
            deletable: true,
            object_id: id(3),
            is_extension: true,
        };
        let bytes = assert_bcs_round_trip(&certified);
        assert_eq!(&bytes[36..42], &[9, 0, 0, 0, 1, 3]);
        assert_eq!(bytes.last(), Some(&1));
        assert_eq!(bytes.len(), 4 + 32 + 4 + 1 + 32 + 1);

        let deleted = BlobDeleted {
            epoch: 2,
            blob_id: test_vectors::blob_id(),
            end_epoch: 9,
            object_id: id(4),
            was_certified: false,
        };
        let bytes = assert_bcs_round_trip(&deleted);
        assert_eq!(bytes.len(), 4 + 32 + 4 + 32 + 1);
        assert_eq!(bytes.last(), Some(&0));

        let shared = BlobShared {
            object_id: id(5),
            blob_object_id: id(4),
            blob_id: test_vectors::blob_id(),
            end_epoch: 9,
            funds: 0x0102,
        };
        let bytes = assert_bcs_round_trip(&shared);
        assert_eq!(bytes.len(), 32 + 32 + 32 + 4 + 8);
        assert_eq!((&bytes[..32], &bytes[32..64]), (&[5; 32][..], &[4; 32][..]));
        assert_eq!(&bytes[96..], &[9, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(FloeEvent::BlobShared(shared).epoch(), None);

        let invalid = InvalidBlobID { epoch: 1, blob_id: test_vectors::blob_id() };
        let bytes = assert_bcs_round_trip(&invalid);
        // The event's bytes are exactly the invalid-blob-id message body.
        assert_eq!(bytes, test_vectors::invalid_blob_id_message()[3..]);
    }

    #[test]
    fn epoch_events_by_hand() {
        assert_eq!(assert_bcs_round_trip(&EpochChangeStart { epoch: 0x0102 }), vec![2, 1, 0, 0]);
        assert_eq!(assert_bcs_round_trip(&EpochChangeDone { epoch: 7 }), vec![7, 0, 0, 0]);
        let received = ShardsReceived { epoch: 1, node_id: id(2), shards: vec![0, 0x0105] };
        let mut expected = vec![1, 0, 0, 0];
        expected.extend([2; 32]);
        expected.extend([2, 0, 0, 5, 1]);
        assert_eq!(assert_bcs_round_trip(&received), expected);
        let selected = EpochParametersSelected {
            epoch: 1,
            next_epoch: 2,
            total_capacity_size: 3,
            storage_price_per_unit_size: 4,
            write_price_per_unit_size: 5,
        };
        let bytes = assert_bcs_round_trip(&selected);
        assert_eq!(bytes.len(), 8 + 24);
        assert_eq!((bytes[4], bytes[8], bytes[16], bytes[24]), (2, 3, 4, 5));
    }

    #[test]
    fn challenge_events_by_hand() {
        let withheld = RewardsWithheld { epoch: 2, node_id: id(1), amount: 600 };
        let bytes = assert_bcs_round_trip(&withheld);
        assert_eq!(bytes.len(), 4 + 32 + 8);
        assert_eq!(&bytes[36..], &600u64.to_le_bytes());

        let opened = ChallengeWindowOpened { epoch: 3, seed: vec![7; 32], opened_at_ms: 9 };
        let bytes = assert_bcs_round_trip(&opened);
        assert_eq!(bytes.len(), 4 + 1 + 32 + 8);
        assert_eq!((bytes[0], bytes[4], bytes[5]), (3, 32, 7));
        assert_eq!(&bytes[37..], &9u64.to_le_bytes());

        let outcome = ChallengeOutcome { epoch: 3, node_id: id(1), passed: false, stake_support: 8 };
        let bytes = assert_bcs_round_trip(&outcome);
        assert_eq!(&bytes[36..], &[0, 8, 0]);
        let decoded = FloeEvent::decode(&packages(), &ChallengeOutcome::struct_tag(&packages()), &bytes).unwrap();
        assert_eq!(decoded, FloeEvent::ChallengeOutcome(outcome));
        assert_eq!(decoded.epoch(), Some(3));
    }

    #[test]
    fn staking_events_by_hand() {
        let registered = StakingPoolRegistered { epoch: 0, node_id: id(1), commission_rate: 500 };
        let bytes = assert_bcs_round_trip(&registered);
        assert_eq!(&bytes[36..], &500u16.to_le_bytes());

        let staked = Staked { epoch: 1, node_id: id(1), staked_wal_id: id(2), amount: 10, activation_epoch: 2 };
        let bytes = assert_bcs_round_trip(&staked);
        assert_eq!(bytes.len(), 4 + 32 + 32 + 8 + 4);
        assert_eq!(&bytes[36..68], &[2; 32]);
        assert_eq!(&bytes[76..], &[2, 0, 0, 0]);

        let requested =
            WithdrawalRequested { epoch: 1, node_id: id(1), staked_wal_id: id(2), principal: 10, withdraw_epoch: 3 };
        assert_eq!(&assert_bcs_round_trip(&requested)[76..], &[3, 0, 0, 0]);

        let withdrawn = Withdrawn { epoch: 3, node_id: id(1), staked_wal_id: id(2), principal: 10, amount: 12 };
        let bytes = assert_bcs_round_trip(&withdrawn);
        assert_eq!(&bytes[68..], &[10, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0]);

        let collected = CommissionCollected { epoch: 3, node_id: id(1), amount: 4 };
        assert_eq!(assert_bcs_round_trip(&collected).len(), 44);
        let rewards = RewardsDistributed { epoch: 2, node_id: id(1), amount: 100, commission: 5 };
        assert_eq!(&assert_bcs_round_trip(&rewards)[44..], &5u64.to_le_bytes());

        let initialized = Initialized { system_id: id(0x51), staking_id: id(0x52) };
        let mut expected = vec![0x51; 32];
        expected.extend([0x52; 32]);
        assert_eq!(assert_bcs_round_trip(&initialized), expected);
    }

    #[test]
    fn decoding_picks_the_variant_named_by_the_tag() {
        let packages = packages();
        let bytes = bcs::to_bytes(&registered()).unwrap();
        let tag = BlobRegistered::struct_tag(&packages);
        assert_eq!(FloeEvent::decode(&packages, &tag, &bytes).unwrap(), FloeEvent::BlobRegistered(registered()));

        let start = EpochChangeStart { epoch: 5 };
        let tag = EpochChangeStart::struct_tag(&packages);
        let decoded = FloeEvent::decode(&packages, &tag, &bcs::to_bytes(&start).unwrap()).unwrap();
        assert_eq!(decoded, FloeEvent::EpochChangeStart(start));
        // Same bytes, other name: a different variant.
        let tag = EpochChangeDone::struct_tag(&packages);
        let decoded = FloeEvent::decode(&packages, &tag, &bcs::to_bytes(&start).unwrap()).unwrap();
        assert_eq!(decoded, FloeEvent::EpochChangeDone(EpochChangeDone { epoch: 5 }));

        let initialized = Initialized { system_id: id(1), staking_id: id(2) };
        let tag = Initialized::struct_tag(&packages);
        assert_eq!(tag.module().as_str(), "init");
        let decoded = FloeEvent::decode(&packages, &tag, &bcs::to_bytes(&initialized).unwrap()).unwrap();
        assert_eq!(decoded, FloeEvent::Initialized(initialized));
    }

    #[test]
    fn every_floe_event_but_initialized_reports_its_epoch() {
        assert_eq!(FloeEvent::BlobRegistered(registered()).epoch(), Some(1));
        let rewards = RewardsDistributed { epoch: 6, node_id: id(1), amount: 1, commission: 0 };
        assert_eq!(FloeEvent::RewardsDistributed(rewards).epoch(), Some(6));
        let initialized = Initialized { system_id: id(1), staking_id: id(2) };
        assert_eq!(FloeEvent::Initialized(initialized).epoch(), None);
        let unknown = FloeEvent::Unknown { type_tag: StructTag::gas_coin(), bytes: vec![] };
        assert_eq!(unknown.epoch(), None);
    }

    #[test]
    fn foreign_types_are_unknown_not_errors() {
        let packages = packages();
        let bytes = bcs::to_bytes(&registered()).unwrap();
        // The same module and name from another package.
        let other_package = StructTag::new(
            id(0x99),
            Identifier::from_static("events"),
            Identifier::from_static("BlobRegistered"),
            vec![],
        );
        // A floe module with a name floe does not emit.
        let other_name = StructTag::new(
            packages.floe,
            Identifier::from_static("events"),
            Identifier::from_static("BlobExploded"),
            vec![],
        );
        // A floe event name under another module.
        let other_module = StructTag::new(
            packages.floe,
            Identifier::from_static("blob"),
            Identifier::from_static("BlobRegistered"),
            vec![],
        );
        // A floe event tag with a type argument.
        let generic = StructTag::new(
            packages.floe,
            Identifier::from_static("events"),
            Identifier::from_static("BlobRegistered"),
            vec![sui_sdk_types::TypeTag::U8],
        );
        for tag in [other_package, other_name, other_module, generic, StructTag::gas_coin()] {
            let decoded = FloeEvent::decode(&packages, &tag, &bytes).unwrap();
            assert!(decoded.is_unknown(), "{tag}");
            assert_eq!(decoded, FloeEvent::Unknown { type_tag: tag.clone(), bytes: bytes.clone() });
        }
    }

    #[test]
    fn floe_event_with_a_broken_layout_is_an_error_naming_it() {
        let packages = packages();
        let mut bytes = bcs::to_bytes(&registered()).unwrap();
        let tag = BlobRegistered::struct_tag(&packages);
        let err = FloeEvent::decode(&packages, &tag, &bytes[..bytes.len() - 1]).unwrap_err();
        assert!(err.to_string().contains("BlobRegistered"), "{err}");
        bytes.push(0);
        assert!(FloeEvent::decode(&packages, &tag, &bytes).is_err(), "trailing byte accepted");
    }

    #[test]
    fn from_event_reads_type_and_contents() {
        let packages = packages();
        let event = Event {
            package_id: packages.floe,
            module: Identifier::from_static("system"),
            sender: id(0xaa),
            type_: BlobRegistered::struct_tag(&packages),
            contents: bcs::to_bytes(&registered()).unwrap(),
        };
        assert_eq!(FloeEvent::from_event(&packages, &event).unwrap(), FloeEvent::BlobRegistered(registered()));
    }
}
