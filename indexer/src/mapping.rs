//! From floe's typed events ([`floe_chain::floe::FloeEvent`]) to the indexer's row-level model:
//! the searchable keys of each event row and the `Change` it makes to the domain tables. This
//! is the only module that knows the chain crate's event types.

use floe_chain::Packages;
use floe_chain::floe::FloeEvent;
use serde_json::{Value, json};
use sui_sdk_types::{Address, Event};

/// `kind` of events whose type is not one of floe's.
pub const UNKNOWN_KIND: &str = "unknown";
/// `kind` of events of a floe type whose contents did not decode.
pub const MALFORMED_KIND: &str = "malformed";

/// An event as the `events` table keeps it, before it gets its id and position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MappedEvent {
    pub kind: String,
    pub epoch: Option<u64>,
    pub blob_id: Option<String>,
    pub object_id: Option<Address>,
    pub node_id: Option<Address>,
    pub fields: Value,
    pub change: Option<Change>,
}

/// What one event changes in the domain tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    BlobRegistered {
        object_id: Address,
        blob_id: String,
        size: u64,
        encoding_type: u8,
        epoch: u32,
        end_epoch: u32,
        deletable: bool,
    },
    BlobCertified {
        object_id: Address,
        epoch: u32,
        end_epoch: u32,
        is_extension: bool,
    },
    BlobDeleted {
        object_id: Address,
    },
    BlobIdInvalid {
        blob_id: String,
    },
    EpochStarted {
        epoch: u32,
    },
    EpochDone {
        epoch: u32,
    },
    EpochParameters {
        epoch: u32,
        total_capacity_size: u64,
        storage_price_per_unit_size: u64,
        write_price_per_unit_size: u64,
    },
    ShardsReceived {
        epoch: u32,
        node_id: Address,
        shards: Vec<u16>,
    },
    PoolRegistered {
        epoch: u32,
        node_id: Address,
        commission_rate: u16,
    },
    Staked {
        node_id: Address,
        staked_wal_id: Address,
        amount: u64,
        activation_epoch: u32,
    },
    WithdrawalRequested {
        staked_wal_id: Address,
        withdraw_epoch: u32,
    },
    Withdrawn {
        node_id: Address,
        staked_wal_id: Address,
        principal: u64,
        amount: u64,
    },
    CommissionCollected {
        node_id: Address,
        amount: u64,
    },
    RewardsDistributed {
        node_id: Address,
        amount: u64,
        commission: u64,
    },
    ChallengeWindowOpened {
        epoch: u32,
        /// Hex.
        seed: String,
        opened_at_ms: u64,
    },
    ChallengeOutcome {
        epoch: u32,
        node_id: Address,
        passed: bool,
        stake_support: u16,
    },
    RewardsWithheld {
        epoch: u32,
        node_id: Address,
        amount: u64,
    },
}

/// Decodes `event` and maps it. Never fails: foreign types become `unknown` rows and floe types
/// with broken contents `malformed` rows, both with their raw contents.
pub(crate) fn map_event(packages: &Packages, event: &Event) -> MappedEvent {
    match FloeEvent::from_event(packages, event) {
        Ok(decoded) => map_decoded(decoded),
        Err(error) => MappedEvent {
            kind: MALFORMED_KIND.to_owned(),
            fields: json!({ "error": error.to_string(), "contents": hex::encode(&event.contents) }),
            ..bare(UNKNOWN_KIND)
        },
    }
}

fn bare(kind: &str) -> MappedEvent {
    MappedEvent {
        kind: kind.to_owned(),
        epoch: None,
        blob_id: None,
        object_id: None,
        node_id: None,
        fields: Value::Null,
        change: None,
    }
}

/// The event's fields as JSON, with the blob id in its text form rather than 32 numbers.
fn fields_of<T: serde::Serialize>(event: &T, blob_id: Option<&str>) -> Value {
    let mut value = serde_json::to_value(event).unwrap_or(Value::Null);
    if let (Some(text), Value::Object(map)) = (blob_id, &mut value) {
        map.insert("blob_id".to_owned(), Value::String(text.to_owned()));
    }
    value
}

/// Every `kind` an event row can have: the names `map_decoded` gives, then [`UNKNOWN_KIND`] and
/// [`MALFORMED_KIND`]. The API refuses any other `?kind=`, and the OpenAPI lists these.
pub const EVENT_KINDS: [&str; 18] = [
    "BlobRegistered",
    "BlobCertified",
    "BlobDeleted",
    "BlobShared",
    "InvalidBlobID",
    "EpochChangeStart",
    "EpochChangeDone",
    "ShardsReceived",
    "EpochParametersSelected",
    "StakingPoolRegistered",
    "Staked",
    "WithdrawalRequested",
    "Withdrawn",
    "CommissionCollected",
    "RewardsDistributed",
    "Initialized",
    UNKNOWN_KIND,
    MALFORMED_KIND,
];

fn map_decoded(decoded: FloeEvent) -> MappedEvent {
    let name = match &decoded {
        FloeEvent::Unknown { .. } => UNKNOWN_KIND,
        FloeEvent::BlobRegistered(_) => "BlobRegistered",
        FloeEvent::BlobCertified(_) => "BlobCertified",
        FloeEvent::BlobDeleted(_) => "BlobDeleted",
        FloeEvent::BlobShared(_) => "BlobShared",
        FloeEvent::InvalidBlobID(_) => "InvalidBlobID",
        FloeEvent::EpochChangeStart(_) => "EpochChangeStart",
        FloeEvent::EpochChangeDone(_) => "EpochChangeDone",
        FloeEvent::ShardsReceived(_) => "ShardsReceived",
        FloeEvent::EpochParametersSelected(_) => "EpochParametersSelected",
        FloeEvent::StakingPoolRegistered(_) => "StakingPoolRegistered",
        FloeEvent::Staked(_) => "Staked",
        FloeEvent::WithdrawalRequested(_) => "WithdrawalRequested",
        FloeEvent::Withdrawn(_) => "Withdrawn",
        FloeEvent::CommissionCollected(_) => "CommissionCollected",
        FloeEvent::RewardsDistributed(_) => "RewardsDistributed",
        FloeEvent::RewardsWithheld(_) => "RewardsWithheld",
        FloeEvent::ChallengeWindowOpened(_) => "ChallengeWindowOpened",
        FloeEvent::ChallengeOutcome(_) => "ChallengeOutcome",
        FloeEvent::Initialized(_) => "Initialized",
    };
    let row = bare(name);
    match decoded {
        FloeEvent::Unknown { bytes, .. } => MappedEvent { fields: json!({ "contents": hex::encode(bytes) }), ..row },
        FloeEvent::BlobRegistered(e) => {
            let blob_id = e.blob_id.to_string();
            MappedEvent {
                epoch: Some(e.epoch.into()),
                fields: fields_of(&e, Some(&blob_id)),
                object_id: Some(e.object_id),
                change: Some(Change::BlobRegistered {
                    object_id: e.object_id,
                    blob_id: blob_id.clone(),
                    size: e.size,
                    encoding_type: e.encoding_type,
                    epoch: e.epoch,
                    end_epoch: e.end_epoch,
                    deletable: e.deletable,
                }),
                blob_id: Some(blob_id),
                ..row
            }
        }
        FloeEvent::BlobCertified(e) => {
            let blob_id = e.blob_id.to_string();
            MappedEvent {
                epoch: Some(e.epoch.into()),
                fields: fields_of(&e, Some(&blob_id)),
                object_id: Some(e.object_id),
                blob_id: Some(blob_id),
                change: Some(Change::BlobCertified {
                    object_id: e.object_id,
                    epoch: e.epoch,
                    end_epoch: e.end_epoch,
                    is_extension: e.is_extension,
                }),
                ..row
            }
        }
        FloeEvent::BlobDeleted(e) => {
            let blob_id = e.blob_id.to_string();
            MappedEvent {
                epoch: Some(e.epoch.into()),
                fields: fields_of(&e, Some(&blob_id)),
                object_id: Some(e.object_id),
                blob_id: Some(blob_id),
                change: Some(Change::BlobDeleted { object_id: e.object_id }),
                ..row
            }
        }
        // The row's object is the SharedBlob, so `?kind=BlobShared&blob_id=` finds the shared
        // objects of a blob id; the wrapped Blob keeps its own row (its owner becomes none).
        FloeEvent::BlobShared(e) => {
            let blob_id = e.blob_id.to_string();
            MappedEvent {
                fields: fields_of(&e, Some(&blob_id)),
                object_id: Some(e.object_id),
                blob_id: Some(blob_id),
                ..row
            }
        }
        FloeEvent::InvalidBlobID(e) => {
            let blob_id = e.blob_id.to_string();
            MappedEvent {
                epoch: Some(e.epoch.into()),
                fields: fields_of(&e, Some(&blob_id)),
                change: Some(Change::BlobIdInvalid { blob_id: blob_id.clone() }),
                blob_id: Some(blob_id),
                ..row
            }
        }
        FloeEvent::EpochChangeStart(e) => MappedEvent {
            epoch: Some(e.epoch.into()),
            fields: fields_of(&e, None),
            change: Some(Change::EpochStarted { epoch: e.epoch }),
            ..row
        },
        FloeEvent::EpochChangeDone(e) => MappedEvent {
            epoch: Some(e.epoch.into()),
            fields: fields_of(&e, None),
            change: Some(Change::EpochDone { epoch: e.epoch }),
            ..row
        },
        FloeEvent::ShardsReceived(e) => MappedEvent {
            epoch: Some(e.epoch.into()),
            node_id: Some(e.node_id),
            fields: fields_of(&e, None),
            change: Some(Change::ShardsReceived { epoch: e.epoch, node_id: e.node_id, shards: e.shards }),
            ..row
        },
        FloeEvent::EpochParametersSelected(e) => MappedEvent {
            epoch: Some(e.next_epoch.into()),
            fields: fields_of(&e, None),
            change: Some(Change::EpochParameters {
                epoch: e.next_epoch,
                total_capacity_size: e.total_capacity_size,
                storage_price_per_unit_size: e.storage_price_per_unit_size,
                write_price_per_unit_size: e.write_price_per_unit_size,
            }),
            ..row
        },
        FloeEvent::StakingPoolRegistered(e) => MappedEvent {
            epoch: Some(e.epoch.into()),
            node_id: Some(e.node_id),
            fields: fields_of(&e, None),
            change: Some(Change::PoolRegistered {
                epoch: e.epoch,
                node_id: e.node_id,
                commission_rate: e.commission_rate,
            }),
            ..row
        },
        FloeEvent::Staked(e) => MappedEvent {
            epoch: Some(e.epoch.into()),
            node_id: Some(e.node_id),
            object_id: Some(e.staked_wal_id),
            fields: fields_of(&e, None),
            change: Some(Change::Staked {
                node_id: e.node_id,
                staked_wal_id: e.staked_wal_id,
                amount: e.amount,
                activation_epoch: e.activation_epoch,
            }),
            ..row
        },
        FloeEvent::WithdrawalRequested(e) => MappedEvent {
            epoch: Some(e.epoch.into()),
            node_id: Some(e.node_id),
            object_id: Some(e.staked_wal_id),
            fields: fields_of(&e, None),
            change: Some(Change::WithdrawalRequested {
                staked_wal_id: e.staked_wal_id,
                withdraw_epoch: e.withdraw_epoch,
            }),
            ..row
        },
        FloeEvent::Withdrawn(e) => MappedEvent {
            epoch: Some(e.epoch.into()),
            node_id: Some(e.node_id),
            object_id: Some(e.staked_wal_id),
            fields: fields_of(&e, None),
            change: Some(Change::Withdrawn {
                node_id: e.node_id,
                staked_wal_id: e.staked_wal_id,
                principal: e.principal,
                amount: e.amount,
            }),
            ..row
        },
        FloeEvent::CommissionCollected(e) => MappedEvent {
            epoch: Some(e.epoch.into()),
            node_id: Some(e.node_id),
            fields: fields_of(&e, None),
            change: Some(Change::CommissionCollected { node_id: e.node_id, amount: e.amount }),
            ..row
        },
        FloeEvent::RewardsDistributed(e) => MappedEvent {
            epoch: Some(e.epoch.into()),
            node_id: Some(e.node_id),
            fields: fields_of(&e, None),
            change: Some(Change::RewardsDistributed { node_id: e.node_id, amount: e.amount, commission: e.commission }),
            ..row
        },
        FloeEvent::RewardsWithheld(e) => MappedEvent {
            epoch: Some(e.epoch.into()),
            node_id: Some(e.node_id),
            fields: fields_of(&e, None),
            change: Some(Change::RewardsWithheld { epoch: e.epoch, node_id: e.node_id, amount: e.amount }),
            ..row
        },
        FloeEvent::ChallengeWindowOpened(e) => {
            let seed = hex::encode(&e.seed);
            MappedEvent {
                epoch: Some(e.epoch.into()),
                fields: json!({ "epoch": e.epoch, "seed": seed, "opened_at_ms": e.opened_at_ms }),
                change: Some(Change::ChallengeWindowOpened { epoch: e.epoch, seed, opened_at_ms: e.opened_at_ms }),
                ..row
            }
        }
        FloeEvent::ChallengeOutcome(e) => MappedEvent {
            epoch: Some(e.epoch.into()),
            node_id: Some(e.node_id),
            fields: fields_of(&e, None),
            change: Some(Change::ChallengeOutcome {
                epoch: e.epoch,
                node_id: e.node_id,
                passed: e.passed,
                stake_support: e.stake_support,
            }),
            ..row
        },
        FloeEvent::Initialized(e) => MappedEvent { fields: fields_of(&e, None), ..row },
    }
}
