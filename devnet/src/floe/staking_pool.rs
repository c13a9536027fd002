//! `floe::staking_pool` natively: one node's pool — registration fields, votes, commission and
//! the share accounting through per-epoch exchange rates. The pool is the chain crate's mirror
//! of the Move struct; its `exchange_rates` table lives in dynamic fields of the table's id,
//! reached through the call context.

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::framework::{Table, VecMap, VecMapEntry};
use floe_chain::floe::staking_pool::{
    CommissionChange, ExchangeRate, MAX_COMMISSION_RATE, MAX_NAME_LENGTH, MAX_NETWORK_ADDRESS_LENGTH,
    NETWORK_PUBLIC_KEY_LENGTH, PUBLIC_KEY_LENGTH, PendingWithdrawal, StakingPool, VotingParams, stake_rewards,
};
use sui_sdk_types::TypeTag;

use crate::framework::{E_VEC_MAP_KEY_DOES_NOT_EXIST, framework_abort};
use crate::native::{CallError, MoveCallContext};

use super::{abort_in, overflow, tag};

const MODULE: &str = "staking_pool";

pub(crate) const E_INVALID_COMMISSION_RATE: u64 = abort_code(MODULE, "EInvalidCommissionRate");
pub(crate) const E_NAME_TOO_LONG: u64 = abort_code(MODULE, "ENameTooLong");
pub(crate) const E_NETWORK_ADDRESS_TOO_LONG: u64 = abort_code(MODULE, "ENetworkAddressTooLong");
pub(crate) const E_INVALID_PUBLIC_KEY: u64 = abort_code(MODULE, "EInvalidPublicKey");
pub(crate) const E_EPOCH_ALREADY_PROCESSED: u64 = abort_code(MODULE, "EEpochAlreadyProcessed");
pub(crate) const E_INVALID_NETWORK_PUBLIC_KEY: u64 = abort_code(MODULE, "EInvalidNetworkPublicKey");

/// What registration asks of a new pool.
#[derive(Debug, Clone)]
pub(crate) struct Registration {
    pub name: String,
    pub network_address: String,
    pub public_key: Vec<u8>,
    pub network_public_key: Vec<u8>,
    pub commission_rate: u16,
    pub voting_params: VotingParams,
}

fn rate_key_type() -> TypeTag {
    TypeTag::U32
}

fn rate_type() -> TypeTag {
    TypeTag::Struct(Box::new(tag::<ExchangeRate>()))
}

/// A new pool in `epoch` after the Move checks (name, address, key length, network key length,
/// commission, in that order). Ids are taken as Move takes them: the rate table's first, then the pool's.
pub(crate) fn new(
    call: &mut MoveCallContext<'_>,
    registration: Registration,
    epoch: u32,
) -> Result<StakingPool, CallError> {
    if registration.name.len() > MAX_NAME_LENGTH {
        return Err(abort_in(MODULE, "new", E_NAME_TOO_LONG));
    }
    if registration.network_address.len() > MAX_NETWORK_ADDRESS_LENGTH {
        return Err(abort_in(MODULE, "new", E_NETWORK_ADDRESS_TOO_LONG));
    }
    if registration.public_key.len() != PUBLIC_KEY_LENGTH {
        return Err(abort_in(MODULE, "new", E_INVALID_PUBLIC_KEY));
    }
    if registration.network_public_key.len() != NETWORK_PUBLIC_KEY_LENGTH {
        return Err(abort_in(MODULE, "new", E_INVALID_NETWORK_PUBLIC_KEY));
    }
    if registration.commission_rate > MAX_COMMISSION_RATE {
        return Err(abort_in(MODULE, "new", E_INVALID_COMMISSION_RATE));
    }
    let rates = call.new_id();
    call.add_field(rates, rate_key_type(), &epoch, rate_type(), &ExchangeRate { wal_amount: 0, share_amount: 0 })?;
    Ok(StakingPool {
        id: call.new_id(),
        name: registration.name,
        network_address: registration.network_address,
        public_key: registration.public_key,
        network_public_key: registration.network_public_key,
        voting_params: registration.voting_params,
        commission_rate: registration.commission_rate,
        next_commission: None,
        latest_epoch: epoch,
        wal_balance: 0,
        share_amount: 0,
        pending_stake: VecMap::default(),
        pending_withdrawals: Vec::new(),
        exchange_rates: Table { id: rates, size: 1 },
        rewards_pool: 0,
        commission: 0,
    })
}

fn rate(call: &mut MoveCallContext<'_>, pool: &StakingPool, epoch: u32) -> Result<ExchangeRate, CallError> {
    call.field(pool.exchange_rates.id, rate_key_type(), &epoch, rate_type())
}

fn has_rate(call: &mut MoveCallContext<'_>, pool: &StakingPool, epoch: u32) -> bool {
    call.has_field(pool.exchange_rates.id, &rate_key_type(), &epoch)
}

/// Records `amount` of stake activating at `activation_epoch`.
pub(crate) fn add_pending_stake(pool: &mut StakingPool, amount: u64, activation_epoch: u32) -> Result<(), CallError> {
    match pool.pending_stake.contents.iter_mut().find(|e| e.key == activation_epoch) {
        Some(entry) => entry.value = entry.value.checked_add(amount).ok_or_else(|| overflow("pending stake"))?,
        None => pool.pending_stake.contents.push(VecMapEntry { key: activation_epoch, value: amount }),
    }
    Ok(())
}

/// Removes `amount` of not-yet-active stake (an early withdrawal).
pub(crate) fn remove_pending_stake(
    pool: &mut StakingPool,
    amount: u64,
    activation_epoch: u32,
) -> Result<(), CallError> {
    let index = pool
        .pending_stake
        .contents
        .iter()
        .position(|e| e.key == activation_epoch)
        .ok_or_else(|| framework_abort("vec_map", "get_mut", E_VEC_MAP_KEY_DOES_NOT_EXIST))?;
    let entry = &mut pool.pending_stake.contents[index];
    entry.value = entry.value.checked_sub(amount).ok_or_else(|| overflow("pending stake"))?;
    if entry.value == 0 {
        pool.pending_stake.contents.remove(index);
    }
    Ok(())
}

/// Records a withdrawal request: the stake leaves the pool at `withdraw_epoch`.
pub(crate) fn add_pending_withdrawal(
    pool: &mut StakingPool,
    principal: u64,
    activation_epoch: u32,
    withdraw_epoch: u32,
) {
    pool.pending_withdrawals.push(PendingWithdrawal { withdraw_epoch, activation_epoch, principal });
}

/// Advances the pool to `new_epoch`: adds the ended epoch's `rewards` less commission, applies a
/// due commission change, records the epoch's exchange rate, then activates pending stake and
/// removes due withdrawals at that rate. Returns the commission cut.
pub(crate) fn advance_epoch(
    call: &mut MoveCallContext<'_>,
    pool: &mut StakingPool,
    new_epoch: u32,
    rewards: u64,
) -> Result<u64, CallError> {
    if new_epoch <= pool.latest_epoch {
        return Err(abort_in(MODULE, "advance_epoch", E_EPOCH_ALREADY_PROCESSED));
    }
    let commission = (u128::from(rewards) * u128::from(pool.commission_rate) / u128::from(MAX_COMMISSION_RATE)) as u64;
    let to_stakers = rewards - commission;
    pool.commission = pool.commission.checked_add(commission).ok_or_else(|| overflow("commission"))?;
    pool.wal_balance = pool.wal_balance.checked_add(to_stakers).ok_or_else(|| overflow("pool balance"))?;
    pool.rewards_pool = pool.rewards_pool.checked_add(to_stakers).ok_or_else(|| overflow("rewards pool"))?;

    if let Some(change) = pool.next_commission
        && change.epoch <= new_epoch
    {
        pool.commission_rate = change.rate;
        pool.next_commission = None;
    }

    let rate = ExchangeRate { wal_amount: pool.wal_balance, share_amount: pool.share_amount };
    call.add_field(pool.exchange_rates.id, rate_key_type(), &new_epoch, rate_type(), &rate)?;
    pool.exchange_rates.size += 1;

    if let Some(index) = pool.pending_stake.contents.iter().position(|e| e.key == new_epoch) {
        let amount = pool.pending_stake.contents.remove(index).value;
        pool.share_amount = pool.share_amount.checked_add(rate.to_shares(amount)).ok_or_else(|| overflow("shares"))?;
        pool.wal_balance = pool.wal_balance.checked_add(amount).ok_or_else(|| overflow("pool balance"))?;
    }

    let (due, remaining): (Vec<PendingWithdrawal>, Vec<PendingWithdrawal>) =
        pool.pending_withdrawals.iter().partition(|w| w.withdraw_epoch == new_epoch);
    let mut shares_out: u64 = 0;
    for withdrawal in &due {
        let activation_rate = self::rate(call, pool, withdrawal.activation_epoch)?;
        shares_out = shares_out
            .checked_add(activation_rate.to_shares(withdrawal.principal))
            .ok_or_else(|| overflow("shares"))?;
    }
    pool.pending_withdrawals = remaining;
    let shares_out = shares_out.min(pool.share_amount);
    let wal_out = rate.to_wal(shares_out).min(pool.wal_balance);
    pool.share_amount -= shares_out;
    pool.wal_balance -= wal_out;
    pool.latest_epoch = new_epoch;
    Ok(commission)
}

/// `staking_pool::catch_up`: brings a pool that missed epoch changes up to `epoch` as if it had
/// been advanced through each with no rewards, visiting only the epochs where stake activates or
/// leaves (ascending) and `epoch` itself; nothing for a pool already there.
pub(crate) fn catch_up(call: &mut MoveCallContext<'_>, pool: &mut StakingPool, epoch: u32) -> Result<(), CallError> {
    loop {
        let latest = pool.latest_epoch;
        let events = pool.pending_stake.contents.iter().map(|e| e.key);
        let events = events.chain(pool.pending_withdrawals.iter().map(|w| w.withdraw_epoch));
        let next = events.filter(|&e| e > latest && e < epoch).min().unwrap_or(epoch);
        if next <= latest {
            return Ok(());
        }
        advance_epoch(call, pool, next, 0)?;
        if next == epoch {
            return Ok(());
        }
    }
}

/// The rewards owed on `principal` activated at `activation_epoch` and withdrawn at
/// `withdraw_epoch` (its shares valued at the withdrawal rate, less the principal), taken out
/// of the pool's rewards (never more than they hold).
pub(crate) fn withdraw_rewards(
    call: &mut MoveCallContext<'_>,
    pool: &mut StakingPool,
    principal: u64,
    activation_epoch: u32,
    withdraw_epoch: u32,
) -> Result<u64, CallError> {
    let (activation, withdrawal) = (rate(call, pool, activation_epoch)?, rate(call, pool, withdraw_epoch)?);
    let rewards = stake_rewards(principal, &activation, &withdrawal, pool.rewards_pool);
    pool.rewards_pool -= rewards;
    Ok(rewards)
}

/// The stake counted for `epoch` (a future one): active stake plus stake activating by then,
/// minus stake leaving by then (valued at the latest rate).
pub(crate) fn stake_at_epoch(call: &mut MoveCallContext<'_>, pool: &StakingPool, epoch: u32) -> Result<u64, CallError> {
    let mut stake = pool.wal_balance;
    for entry in &pool.pending_stake.contents {
        if entry.key <= epoch {
            stake = stake.checked_add(entry.value).ok_or_else(|| overflow("stake"))?;
        }
    }
    let latest = rate(call, pool, pool.latest_epoch)?;
    for withdrawal in &pool.pending_withdrawals {
        if withdrawal.withdraw_epoch <= epoch {
            let value = if has_rate(call, pool, withdrawal.activation_epoch) {
                latest.to_wal(rate(call, pool, withdrawal.activation_epoch)?.to_shares(withdrawal.principal))
            } else {
                withdrawal.principal
            };
            stake -= value.min(stake);
        }
    }
    Ok(stake)
}

/// Sets the commission rate taking effect at `epoch`.
pub(crate) fn set_next_commission(pool: &mut StakingPool, rate: u16, epoch: u32) -> Result<(), CallError> {
    if rate > MAX_COMMISSION_RATE {
        return Err(abort_in(MODULE, "set_next_commission", E_INVALID_COMMISSION_RATE));
    }
    pool.next_commission = Some(CommissionChange { rate, epoch });
    Ok(())
}

/// Sets the network address.
pub(crate) fn set_network_address(pool: &mut StakingPool, network_address: String) -> Result<(), CallError> {
    if network_address.len() > MAX_NETWORK_ADDRESS_LENGTH {
        return Err(abort_in(MODULE, "set_network_address", E_NETWORK_ADDRESS_TOO_LONG));
    }
    pool.network_address = network_address;
    Ok(())
}

/// Sets the network public key.
pub(crate) fn set_network_public_key(pool: &mut StakingPool, key: Vec<u8>) -> Result<(), CallError> {
    if key.len() != NETWORK_PUBLIC_KEY_LENGTH {
        return Err(abort_in(MODULE, "set_network_public_key", E_INVALID_NETWORK_PUBLIC_KEY));
    }
    pool.network_public_key = key;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::Address;

    use super::*;

    #[test]
    fn pending_stake_adds_up_and_empty_entries_disappear() {
        let mut pool = StakingPool {
            id: Address::ZERO,
            name: String::new(),
            network_address: String::new(),
            public_key: vec![],
            network_public_key: vec![],
            voting_params: VotingParams { storage_price: 0, write_price: 0, node_capacity: 0 },
            commission_rate: 0,
            next_commission: None,
            latest_epoch: 0,
            wal_balance: 0,
            share_amount: 0,
            pending_stake: VecMap::default(),
            pending_withdrawals: vec![],
            exchange_rates: Table { id: Address::ZERO, size: 1 },
            rewards_pool: 0,
            commission: 0,
        };
        add_pending_stake(&mut pool, 5, 2).unwrap();
        add_pending_stake(&mut pool, 6, 2).unwrap();
        add_pending_stake(&mut pool, 1, 3).unwrap();
        assert_eq!(pool.pending_stake.get(&2), Some(&11));
        remove_pending_stake(&mut pool, 11, 2).unwrap();
        assert_eq!(pool.pending_stake.len(), 1);
        assert!(remove_pending_stake(&mut pool, 1, 9).is_err());
    }
}
