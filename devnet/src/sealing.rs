//! Sealing: building the next checkpoint (summary and contents) over a batch of executed
//! transactions, chained to the previous one by digest.

use sui_sdk_types::{
    CheckpointContents, CheckpointSummary, CheckpointTransactionInfo, EndOfEpochData, GasCostSummary,
    TransactionEffects,
};

use crate::store::{CheckpointRecord, TransactionRecord};

/// The checkpoint after `previous` holding `transactions`, whose checkpoint number, index and
/// timestamp are filled in. A checkpoint that `ends_epoch` carries end-of-epoch data, as the
/// last checkpoint of a Sui epoch does; the checkpoints after it are in the next epoch.
pub(crate) fn build_checkpoint(
    previous: Option<&CheckpointSummary>,
    transactions: &mut [TransactionRecord],
    timestamp_ms: u64,
    ends_epoch: bool,
) -> CheckpointRecord {
    let sequence_number = previous.map_or(0, |p| p.sequence_number + 1);
    let mut rolling = previous.map(|p| p.epoch_rolling_gas_cost_summary.clone()).unwrap_or_default();
    for (index, record) in transactions.iter_mut().enumerate() {
        record.checkpoint = sequence_number;
        record.index = index as u64;
        record.timestamp_ms = timestamp_ms;
        let TransactionEffects::V2(effects) = &record.effects else { continue };
        rolling = GasCostSummary::new(
            rolling.computation_cost + effects.gas_used.computation_cost,
            rolling.storage_cost + effects.gas_used.storage_cost,
            rolling.storage_rebate + effects.gas_used.storage_rebate,
            rolling.non_refundable_storage_fee + effects.gas_used.non_refundable_storage_fee,
        );
    }
    let contents = CheckpointContents::new_v1(
        transactions
            .iter()
            .map(|r| CheckpointTransactionInfo::new(r.transaction.digest(), r.effects.digest(), r.signatures.clone()))
            .collect(),
    );
    let summary = CheckpointSummary {
        epoch: previous.map_or(0, next_epoch),
        sequence_number,
        network_total_transactions: previous.map_or(0, |p| p.network_total_transactions) + transactions.len() as u64,
        content_digest: contents.digest(),
        previous_digest: previous.map(CheckpointSummary::digest),
        epoch_rolling_gas_cost_summary: rolling,
        timestamp_ms,
        checkpoint_commitments: Vec::new(),
        end_of_epoch_data: ends_epoch.then(|| EndOfEpochData {
            next_epoch_committee: Vec::new(),
            next_epoch_protocol_version: 1,
            epoch_commitments: Vec::new(),
        }),
        version_specific_data: Vec::new(),
    };
    CheckpointRecord { summary, contents, transactions: transactions.iter().map(|r| r.transaction.digest()).collect() }
}

/// The epoch of the checkpoint after `previous`: the next one after an end-of-epoch checkpoint.
pub(crate) fn next_epoch(previous: &CheckpointSummary) -> u64 {
    previous.epoch + u64::from(previous.end_of_epoch_data.is_some())
}
