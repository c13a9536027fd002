//! The indexer's view of a checkpoint: what ingestion needs from each transaction (its events
//! and which objects it wrote, deleted or wrapped, with their new owners), taken from
//! [`floe_chain::Checkpoint`] or built directly by tests and benchmarks.

use sui_sdk_types::{Address, Event, IdOperation, ObjectOut, Owner};

/// One checkpoint, ready to be indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedCheckpoint {
    /// Its sequence number.
    pub sequence_number: u64,
    /// The epoch it belongs to.
    pub epoch: u64,
    /// Its timestamp (ms since the Unix epoch).
    pub timestamp_ms: u64,
    /// Its transactions in execution order.
    pub transactions: Vec<IndexedTransaction>,
}

/// One transaction of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedTransaction {
    /// The transaction digest (base58 text).
    pub digest: String,
    /// The sender.
    pub sender: Address,
    /// Whether it executed successfully; a failed transaction has no events and its object
    /// changes (gas only) are ignored.
    pub succeeded: bool,
    /// Its events in emission order.
    pub events: Vec<Event>,
    /// The objects it changed.
    pub object_changes: Vec<ObjectChange>,
}

/// What a transaction did to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectChange {
    /// The object.
    pub object_id: Address,
    /// Its state afterwards.
    pub state: ObjectState,
}

/// An object's state after a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectState {
    /// Created, mutated, transferred or unwrapped; now held by this owner.
    Written(Owner),
    /// Deleted.
    Deleted,
    /// Wrapped into another object (no longer directly owned).
    Wrapped,
}

/// The text form of an owner stored in the `owner` columns: the address for address-owned
/// objects (also when sequenced by consensus), `object:<id>` for objects owned by an object,
/// `shared`, `immutable`.
pub fn owner_text(owner: &Owner) -> String {
    match owner {
        Owner::Address(address) | Owner::ConsensusAddress { owner: address, .. } => address.to_string(),
        Owner::Object(parent) => format!("object:{parent}"),
        Owner::Shared(_) => "shared".to_owned(),
        Owner::Immutable => "immutable".to_owned(),
        // Owner kinds added to Sui after this was written.
        other => format!("{other:?}"),
    }
}

impl From<&floe_chain::Checkpoint> for IndexedCheckpoint {
    fn from(checkpoint: &floe_chain::Checkpoint) -> Self {
        let transactions = checkpoint
            .transactions
            .iter()
            .map(|tx| {
                let object_changes = tx
                    .effects
                    .changed_objects
                    .iter()
                    .filter_map(|change| {
                        let state = match (&change.output_state, &change.id_operation) {
                            (ObjectOut::ObjectWrite { owner, .. }, _) => ObjectState::Written(*owner),
                            (ObjectOut::NotExist, IdOperation::Deleted) => ObjectState::Deleted,
                            (ObjectOut::NotExist, _) => ObjectState::Wrapped,
                            // Packages and accumulators are never floe's blobs or stakes.
                            _ => return None,
                        };
                        Some(ObjectChange { object_id: change.object_id, state })
                    })
                    .collect();
                IndexedTransaction {
                    digest: tx.digest.to_string(),
                    sender: tx.sender(),
                    succeeded: tx.succeeded(),
                    events: tx.events.clone(),
                    object_changes,
                }
            })
            .collect();
        Self {
            sequence_number: checkpoint.sequence_number,
            epoch: checkpoint.epoch(),
            timestamp_ms: checkpoint.timestamp_ms(),
            transactions,
        }
    }
}
