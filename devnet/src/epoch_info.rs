//! `GetEpoch`: the current Sui epoch as a full node describes it. The SDKs read the reference gas
//! price (`reference_gas_price`), the system state summary (`system_state.*`: epoch, its start,
//! the reference gas price, the epoch duration, used e.g. to set transaction expirations) and
//! the protocol config (`protocol_config`).
//!
//! The devnet has no validators and no staking of SUI: the committee has no members, the
//! storage fund and stake subsidy are zero, safe mode is off. Its protocol config lists only the
//! limits the devnet itself applies.

use sui_rpc::field::FieldMaskTree;
use sui_rpc::merge::Merge;
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_rpc::proto::timestamp_ms_to_proto;

use crate::gas_selection::MAX_GAS_COINS;
use crate::ledger::Ledger;

/// The protocol version the devnet reports: it implements one fixed set of rules.
pub(crate) const PROTOCOL_VERSION: u64 = 1;
/// The version of the system state summary's layout (`SuiSystemStateInnerV2`).
const SYSTEM_STATE_VERSION: u64 = 2;
/// The nominal Sui epoch length the devnet reports. Its Sui epochs actually end when floe's
/// epochs do (see `floe::EpochDriver`); clients use this only to bound transaction expirations.
const EPOCH_DURATION_MS: u64 = 24 * 60 * 60 * 1000;

/// The current epoch projected through `mask` (default: `epoch`), or `None` if `asked` is not
/// the current epoch (the devnet keeps no history of past epochs' configuration).
pub(crate) fn epoch(ledger: &Ledger, asked: Option<u64>, mask: &FieldMaskTree) -> Option<proto::Epoch> {
    let current = ledger.epoch();
    if asked.is_some_and(|asked| asked != current) {
        return None;
    }
    let first_checkpoint = ledger.first_checkpoint_of_epoch();
    let start_ms = ledger.checkpoint(first_checkpoint).map(|(c, _)| c.summary.timestamp_ms).unwrap_or(0);
    let reference_gas_price = ledger.gas().reference_gas_price;

    let mut full = proto::Epoch::default();
    full.epoch = Some(current);
    full.first_checkpoint = Some(first_checkpoint);
    full.start = Some(timestamp_ms_to_proto(start_ms));
    full.reference_gas_price = Some(reference_gas_price);
    full.system_state = Some(Box::new(system_state(current, start_ms, reference_gas_price)));
    full.protocol_config = Some(protocol_config());
    let mut committee = proto::ValidatorCommittee::default();
    committee.epoch = Some(current);
    full.committee = Some(committee);
    Some(proto::Epoch::merge_from(&full, mask))
}

fn system_state(epoch: u64, start_ms: u64, reference_gas_price: u64) -> proto::SystemState {
    let mut parameters = proto::SystemParameters::default();
    parameters.epoch_duration_ms = Some(EPOCH_DURATION_MS);
    parameters.stake_subsidy_start_epoch = Some(0);
    parameters.min_validator_count = Some(0);
    parameters.max_validator_count = Some(0);
    parameters.min_validator_joining_stake = Some(0);
    parameters.validator_low_stake_threshold = Some(0);
    parameters.validator_very_low_stake_threshold = Some(0);
    parameters.validator_low_stake_grace_period = Some(0);
    let mut storage_fund = proto::StorageFund::default();
    storage_fund.total_object_storage_rebates = Some(0);
    storage_fund.non_refundable_balance = Some(0);
    let mut stake_subsidy = proto::StakeSubsidy::default();
    stake_subsidy.balance = Some(0);
    stake_subsidy.distribution_counter = Some(0);
    stake_subsidy.current_distribution_amount = Some(0);
    stake_subsidy.stake_subsidy_period_length = Some(0);
    stake_subsidy.stake_subsidy_decrease_rate = Some(0);

    let mut state = proto::SystemState::default();
    state.version = Some(SYSTEM_STATE_VERSION);
    state.epoch = Some(epoch);
    state.protocol_version = Some(PROTOCOL_VERSION);
    state.reference_gas_price = Some(reference_gas_price);
    state.epoch_start_timestamp_ms = Some(start_ms);
    state.parameters = Some(parameters);
    state.storage_fund = Some(storage_fund);
    state.stake_subsidy = Some(stake_subsidy);
    state.safe_mode = Some(false);
    state.safe_mode_storage_rewards = Some(0);
    state.safe_mode_computation_rewards = Some(0);
    state.safe_mode_storage_rebates = Some(0);
    state.safe_mode_non_refundable_storage_fee = Some(0);
    state
}

fn protocol_config() -> proto::ProtocolConfig {
    let mut config = proto::ProtocolConfig::default();
    config.protocol_version = Some(PROTOCOL_VERSION);
    config.attributes = crate::transaction_limits::attributes();
    config.attributes.insert("max_gas_payment_objects".to_owned(), MAX_GAS_COINS.to_string());
    config
}
