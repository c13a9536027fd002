//! Gas selection, what a Sui full node does for `SimulateTransaction` with `do_gas_selection`:
//! the price defaults to the reference gas price, the budget to what the transaction will cost,
//! and the coins are the gas owner's SUI coins that the transaction does not use as inputs.
//!
//! The devnet charges every transaction the same fixed amount ([`GasSchedule::charge`]), so the
//! estimated budget is exactly that charge. Coins are taken largest first until they cover the
//! budget; a transaction that spends from the gas coin itself (`Argument::Gas`, e.g. splitting
//! SUI off it) gets all of the owner's coins (up to Sui's limit of 256), which Sui merges into
//! the first, so that as much SUI as the owner has is available to it.

use std::collections::HashSet;

use sui_sdk_types::{Address, Argument, Command, GasPayment, ObjectReference};

use crate::admission::{GasSchedule, Rejection};
use crate::unresolved::PartialGas;

/// Sui's limit on the number of gas coins of one transaction.
pub(crate) const MAX_GAS_COINS: usize = 256;

/// A SUI coin the gas owner holds, with its balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GasCoin {
    pub reference: ObjectReference,
    pub balance: u64,
}

/// Whether any command reads or spends the gas coin.
pub(crate) fn uses_gas_coin(commands: &[Command]) -> bool {
    fn gas<'a>(mut arguments: impl Iterator<Item = &'a Argument>) -> bool {
        arguments.any(|a| matches!(a, Argument::Gas))
    }
    commands.iter().any(|command| match command {
        Command::MoveCall(call) => gas(call.arguments.iter()),
        Command::TransferObjects(t) => gas(t.objects.iter().chain([&t.address])),
        Command::SplitCoins(s) => gas([&s.coin].into_iter().chain(&s.amounts)),
        Command::MergeCoins(m) => gas([&m.coin].into_iter().chain(&m.coins_to_merge)),
        Command::MakeMoveVector(v) => gas(v.elements.iter()),
        _ => false,
    })
}

/// Completes the gas payment: given parts are kept, missing ones chosen. `coins` are the owner's
/// SUI coins; those among `inputs` are never chosen.
pub(crate) fn select_gas(
    given: &PartialGas,
    sender: Address,
    spends_gas_coin: bool,
    inputs: &HashSet<Address>,
    mut coins: Vec<GasCoin>,
    schedule: GasSchedule,
) -> Result<GasPayment, Rejection> {
    let owner = given.owner.unwrap_or(sender);
    let price = given.price.unwrap_or(schedule.reference_gas_price);
    let budget = given.budget.unwrap_or(schedule.charge);
    if !given.objects.is_empty() {
        return Ok(GasPayment { objects: given.objects.clone(), owner, price, budget });
    }
    coins.retain(|c| !inputs.contains(c.reference.object_id()));
    coins.sort_by(|a, b| b.balance.cmp(&a.balance).then_with(|| a.reference.object_id().cmp(b.reference.object_id())));
    let mut chosen = Vec::new();
    let mut total: u64 = 0;
    for coin in coins.into_iter().take(MAX_GAS_COINS) {
        if total >= budget && !spends_gas_coin {
            break;
        }
        total = total.saturating_add(coin.balance);
        chosen.push(coin.reference);
    }
    if total < budget || chosen.is_empty() {
        return Err(Rejection::InsufficientGas { balance: total, budget });
    }
    Ok(GasPayment { objects: chosen, owner, price, budget })
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::{Digest, SplitCoins, TransferObjects};

    use super::*;

    const SCHEDULE: GasSchedule = GasSchedule { reference_gas_price: 1000, charge: 2_000_000 };

    fn coin(n: u8, balance: u64) -> GasCoin {
        GasCoin { reference: ObjectReference::new(Address::new([n; 32]), 3, Digest::ZERO), balance }
    }

    fn ids(payment: &GasPayment) -> Vec<Address> {
        payment.objects.iter().map(|r| *r.object_id()).collect()
    }

    #[test]
    fn the_largest_coins_cover_the_estimated_budget_at_the_reference_price() {
        let sender = Address::new([9; 32]);
        let coins = vec![coin(1, 1_000_000), coin(2, 5_000_000), coin(3, 1_500_000)];
        let payment =
            select_gas(&PartialGas::default(), sender, false, &HashSet::new(), coins.clone(), SCHEDULE).unwrap();
        assert_eq!(ids(&payment), vec![Address::new([2; 32])]);
        assert_eq!((payment.owner, payment.price, payment.budget), (sender, 1000, 2_000_000));

        // Without the big coin, the two small ones together cover it.
        let inputs = HashSet::from([Address::new([2; 32])]);
        let payment = select_gas(&PartialGas::default(), sender, false, &inputs, coins, SCHEDULE).unwrap();
        assert_eq!(ids(&payment), vec![Address::new([3; 32]), Address::new([1; 32])]);
    }

    #[test]
    fn spending_the_gas_coin_takes_every_coin_and_given_parts_are_kept() {
        let sender = Address::new([9; 32]);
        let coins = vec![coin(1, 1_000_000), coin(2, 5_000_000), coin(3, 1_500_000)];
        let payment = select_gas(&PartialGas::default(), sender, true, &HashSet::new(), coins, SCHEDULE).unwrap();
        assert_eq!(ids(&payment).len(), 3);

        let given = PartialGas { objects: vec![coin(7, 1).reference], owner: None, price: Some(1500), budget: None };
        let payment = select_gas(&given, sender, false, &HashSet::new(), vec![], SCHEDULE).unwrap();
        assert_eq!((ids(&payment), payment.price, payment.budget), (vec![Address::new([7; 32])], 1500, 2_000_000));
    }

    #[test]
    fn too_little_sui_is_refused_with_the_amounts() {
        let error = select_gas(
            &PartialGas::default(),
            Address::new([9; 32]),
            false,
            &HashSet::new(),
            vec![coin(1, 600_000)],
            SCHEDULE,
        )
        .unwrap_err();
        assert!(matches!(error, Rejection::InsufficientGas { balance: 600_000, budget: 2_000_000 }), "{error}");
    }

    #[test]
    fn the_gas_coin_is_seen_in_every_command_kind() {
        let split = Command::SplitCoins(SplitCoins { coin: Argument::Gas, amounts: vec![Argument::Input(0)] });
        let transfer = Command::TransferObjects(TransferObjects {
            objects: vec![Argument::Input(0)],
            address: Argument::Input(1),
        });
        assert!(uses_gas_coin(&[transfer.clone(), split]));
        assert!(!uses_gas_coin(&[transfer]));
    }
}
