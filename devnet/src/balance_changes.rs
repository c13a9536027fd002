//! Balance changes of a transaction, as Sui reports them next to its effects: for every address
//! and coin type, how much the address's coins of that type hold after the transaction minus
//! before (gas charged included), computed from the coin objects the transaction read and wrote.
//! Pairs that did not change are left out.

use std::collections::BTreeMap;

use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::framework::Coin;
use sui_sdk_types::{Address, Object, Owner, TypeTag};

use crate::store::TransactionRecord;

/// The non-zero net change per (address, coin type), ordered by address then coin type.
pub(crate) fn balance_changes(record: &TransactionRecord) -> Vec<(Address, TypeTag, i128)> {
    let mut net: BTreeMap<(Address, String), (TypeTag, i128)> = BTreeMap::new();
    let mut add = |object: &Object, sign: i128| {
        let (Owner::Address(owner), Some(coin)) = (object.owner(), Coin::try_from_object(object)) else {
            return;
        };
        let coin_type = coin.coin_type().clone();
        let entry = net.entry((*owner, coin_type.to_string())).or_insert((coin_type, 0));
        entry.1 += sign * i128::from(coin.balance());
    };
    for object in &record.input_objects {
        add(object, -1);
    }
    for object in &record.output_objects {
        add(object, 1);
    }
    net.into_iter()
        .filter(|(_, (_, amount))| *amount != 0)
        .map(|((owner, _), (t, amount))| (owner, t, amount))
        .collect()
}

/// The same as the API's messages.
pub(crate) fn balance_change_messages(record: &TransactionRecord) -> Vec<proto::BalanceChange> {
    balance_changes(record)
        .into_iter()
        .map(|(address, coin_type, amount)| {
            let mut change = proto::BalanceChange::default();
            change.address = Some(address.to_string());
            change.coin_type = Some(coin_type.to_string());
            change.amount = Some(amount.to_string());
            change
        })
        .collect()
}
