//! A checkpoint as floe's components consume it: every transaction with its sender, effects and
//! events, decoded from the canonical BCS the node sends.

use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::{Address, CheckpointSummary, Digest, Event, Transaction, TransactionEffectsV2, TransactionEvents};

use crate::executed::effects_v2;

/// The read mask that yields everything [`Checkpoint`] decodes.
pub const CHECKPOINT_FIELDS: &[&str] = &[
    "sequence_number",
    "digest",
    "summary.bcs",
    "transactions.digest",
    "transactions.transaction.bcs",
    "transactions.effects.bcs",
    "transactions.events.bcs",
];

/// A checkpoint field was missing or did not decode.
#[derive(Debug, thiserror::Error)]
#[error("checkpoint {sequence_number:?}: {reason}")]
pub struct CheckpointDecodeError {
    /// The checkpoint's sequence number, if it was readable.
    pub sequence_number: Option<u64>,
    /// What was missing or malformed.
    pub reason: String,
}

/// One transaction of a checkpoint.
#[derive(Debug, Clone)]
pub struct CheckpointTransaction {
    /// The transaction digest.
    pub digest: Digest,
    /// The transaction (sender, kind, gas).
    pub transaction: Transaction,
    /// Its effects; check `effects.status` before trusting its writes.
    pub effects: TransactionEffectsV2,
    /// The events it emitted (none if it failed).
    pub events: Vec<Event>,
}

impl CheckpointTransaction {
    /// The sender's address.
    pub fn sender(&self) -> Address {
        self.transaction.sender
    }

    /// Whether the transaction executed successfully.
    pub fn succeeded(&self) -> bool {
        matches!(self.effects.status, sui_sdk_types::ExecutionStatus::Success)
    }
}

/// A checkpoint with its transactions.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// Its sequence number.
    pub sequence_number: u64,
    /// Its digest.
    pub digest: Digest,
    /// The signed summary's contents (epoch, timestamp, previous digest, ...).
    pub summary: CheckpointSummary,
    /// Its transactions, in execution order.
    pub transactions: Vec<CheckpointTransaction>,
}

impl Checkpoint {
    /// The epoch it belongs to.
    pub fn epoch(&self) -> u64 {
        self.summary.epoch
    }

    /// Its timestamp in milliseconds since the Unix epoch.
    pub fn timestamp_ms(&self) -> u64 {
        self.summary.timestamp_ms
    }
}

fn bcs_of(bcs: Option<&proto::Bcs>) -> Option<&[u8]> {
    bcs.and_then(|b| b.value.as_deref())
}

impl TryFrom<&proto::Checkpoint> for Checkpoint {
    type Error = CheckpointDecodeError;

    fn try_from(checkpoint: &proto::Checkpoint) -> Result<Self, Self::Error> {
        let sequence_number = checkpoint.sequence_number;
        let fail = |reason: String| CheckpointDecodeError { sequence_number, reason };
        let summary_bytes = bcs_of(checkpoint.summary.as_ref().and_then(|s| s.bcs.as_ref()))
            .ok_or_else(|| fail("no summary bcs".into()))?;
        let summary: CheckpointSummary =
            bcs::from_bytes(summary_bytes).map_err(|e| fail(format!("summary bcs: {e}")))?;
        if sequence_number.is_some_and(|s| s != summary.sequence_number) {
            return Err(fail(format!("summary says {}", summary.sequence_number)));
        }
        let transactions = checkpoint
            .transactions
            .iter()
            .enumerate()
            .map(|(i, tx)| {
                let transaction: Transaction = bcs::from_bytes(
                    bcs_of(tx.transaction.as_ref().and_then(|t| t.bcs.as_ref()))
                        .ok_or_else(|| fail(format!("transaction {i}: no bcs")))?,
                )
                .map_err(|e| fail(format!("transaction {i}: {e}")))?;
                let effects = bcs_of(tx.effects.as_ref().and_then(|e| e.bcs.as_ref()))
                    .ok_or_else(|| fail(format!("transaction {i}: no effects bcs")))
                    .and_then(|b| bcs::from_bytes(b).map_err(|e| fail(format!("transaction {i} effects: {e}"))))
                    .and_then(|e| effects_v2(e).ok_or_else(|| fail(format!("transaction {i}: effects not v2"))))?;
                let events = match bcs_of(tx.events.as_ref().and_then(|e| e.bcs.as_ref())) {
                    Some(b) => {
                        bcs::from_bytes::<TransactionEvents>(b)
                            .map_err(|e| fail(format!("transaction {i} events: {e}")))?
                            .0
                    }
                    None => Vec::new(),
                };
                Ok(CheckpointTransaction { digest: transaction.digest(), transaction, effects, events })
            })
            .collect::<Result<_, CheckpointDecodeError>>()?;
        let digest = summary.digest();
        Ok(Self { sequence_number: summary.sequence_number, digest, summary, transactions })
    }
}
