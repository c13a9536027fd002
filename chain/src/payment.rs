//! Paying in a coin type inside a programmable transaction: choosing coins that cover an amount,
//! merging them and splitting off the exact payment, and choosing the SUI gas coin.

use sui_sdk_types::{Address, ObjectReference, StructTag, TypeTag, framework::Coin};
use sui_transaction_builder::{Argument, ObjectInput, TransactionBuilder};

use crate::client::{ChainClient, ClientError};

/// What went wrong preparing a payment.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The owner does not hold enough of the coin type (excluding coins set aside, e.g. gas).
    #[error("{owner} holds {available} of {coin_type} in spendable coins, {needed} needed")]
    InsufficientBalance {
        /// The payer.
        owner: Address,
        /// The coin type.
        coin_type: String,
        /// The amount asked for.
        needed: u64,
        /// What the payer's eligible coins add up to.
        available: u64,
    },
    /// Reading the owner's coins failed.
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// A coin chosen for a payment: its reference and balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedCoin {
    /// The coin's object reference.
    pub reference: ObjectReference,
    /// Its balance.
    pub balance: u64,
}

/// The struct tag `0x2::coin::Coin<coin_type>`.
pub fn coin_struct(coin_type: &StructTag) -> StructTag {
    StructTag::coin(TypeTag::Struct(Box::new(coin_type.clone())))
}

/// Every coin of `coin_type` that `owner` holds, in the node's order.
pub async fn owned_coins(
    client: &ChainClient,
    owner: Address,
    coin_type: &StructTag,
) -> Result<Vec<SelectedCoin>, ClientError> {
    let objects = client.owned_objects(owner, Some(&coin_struct(coin_type))).await?;
    let wanted = TypeTag::Struct(Box::new(coin_type.clone()));
    Ok(objects
        .iter()
        .filter_map(|object| {
            let coin = Coin::try_from_object(object)?;
            (coin.coin_type() == &wanted).then(|| SelectedCoin {
                reference: ObjectReference::new(object.object_id(), object.version(), object.digest()),
                balance: coin.balance(),
            })
        })
        .collect())
}

/// Chooses coins of `coin_type` owned by `owner` whose balances add up to at least `amount`,
/// largest first, skipping `exclude` (e.g. the gas coin).
pub async fn select_coins(
    client: &ChainClient,
    owner: Address,
    coin_type: &StructTag,
    amount: u64,
    exclude: &[Address],
) -> Result<Vec<SelectedCoin>, PaymentError> {
    let mut coins: Vec<SelectedCoin> = owned_coins(client, owner, coin_type)
        .await?
        .into_iter()
        .filter(|c| !exclude.contains(c.reference.object_id()))
        .collect();
    coins.sort_by_key(|c| std::cmp::Reverse(c.balance));
    let mut chosen = Vec::new();
    let mut total: u64 = 0;
    for coin in coins.iter() {
        if total >= amount && !chosen.is_empty() {
            break;
        }
        total = total.saturating_add(coin.balance);
        chosen.push(coin.clone());
    }
    if total < amount || chosen.is_empty() {
        return Err(PaymentError::InsufficientBalance {
            owner,
            coin_type: coin_type.to_string(),
            needed: amount,
            available: coins.iter().map(|c| c.balance).fold(0u64, u64::saturating_add),
        });
    }
    Ok(chosen)
}

/// Chooses the SUI coin to pay gas with: the largest one holding at least `budget`.
pub async fn select_gas(client: &ChainClient, owner: Address, budget: u64) -> Result<SelectedCoin, PaymentError> {
    let sui = StructTag::sui();
    // Asking for 0 yields just the largest coin; having no coin at all is an insufficient balance.
    let largest = match select_coins(client, owner, &sui, 0, &[]).await {
        Ok(mut coins) => coins.pop(),
        Err(PaymentError::InsufficientBalance { .. }) => None,
        Err(e) => return Err(e),
    };
    match largest {
        Some(coin) if coin.balance >= budget => Ok(coin),
        other => Err(PaymentError::InsufficientBalance {
            owner,
            coin_type: sui.to_string(),
            needed: budget,
            available: other.map(|c| c.balance).unwrap_or(0),
        }),
    }
}

/// Adds `coins` as inputs, merges them into the first and splits off exactly `amount`; returns
/// the argument of the new coin holding the payment. The remainder stays with the sender.
///
/// # Panics
/// If `coins` is empty (use [`select_coins`], which never returns an empty list).
pub fn split_payment(builder: &mut TransactionBuilder, coins: &[SelectedCoin], amount: u64) -> Argument {
    let mut inputs = coins.iter().map(|coin| {
        let r = &coin.reference;
        builder.object(ObjectInput::owned(*r.object_id(), r.version(), *r.digest()))
    });
    let first = inputs.next().expect("split_payment needs at least one coin");
    let rest: Vec<Argument> = inputs.collect();
    if !rest.is_empty() {
        builder.merge_coins(first, rest);
    }
    let amount = builder.pure(&amount);
    builder.split_coins(first, vec![amount]).remove(0)
}

/// A builder with sender, one gas coin, gas price and budget set: what every floe call starts with.
pub fn transaction_for(sender: Address, gas: &SelectedCoin, gas_price: u64, gas_budget: u64) -> TransactionBuilder {
    let mut builder = TransactionBuilder::new();
    builder.set_sender(sender);
    let r = &gas.reference;
    builder.add_gas_objects([ObjectInput::owned(*r.object_id(), r.version(), *r.digest())]);
    builder.set_gas_price(gas_price);
    builder.set_gas_budget(gas_budget);
    builder
}
