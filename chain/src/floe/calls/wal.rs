//! Calls into the WAL package (`wal::wal`).

use sui_sdk_types::Address;
use sui_transaction_builder::{Argument, TransactionBuilder};

use super::{SharedObject, function};
use crate::deployment::Packages;

/// Calls into a deployment's WAL package, with its shared `ProtectedTreasury`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalCalls {
    /// The WAL package id.
    pub package: Address,
    /// The shared `ProtectedTreasury` (not in the deployment description: read it from the
    /// publish transaction or the chain).
    pub treasury: SharedObject,
}

impl WalCalls {
    /// Calls for a deployment's WAL package and its treasury.
    pub fn new(packages: &Packages, treasury: SharedObject) -> Self {
        Self { package: packages.wal, treasury }
    }

    /// `wal::burn(&mut ProtectedTreasury, Coin<WAL>)`: burns the whole coin.
    pub fn burn(&self, builder: &mut TransactionBuilder, coin: Argument) {
        let treasury = self.treasury.add(builder, true);
        builder.move_call(function(self.package, "wal", "burn"), vec![treasury, coin]);
    }

    /// `wal::total_supply(&ProtectedTreasury)`. Returns the `u64`.
    pub fn total_supply(&self, builder: &mut TransactionBuilder) -> Argument {
        let treasury = self.treasury.add(builder, false);
        builder.move_call(function(self.package, "wal", "total_supply"), vec![treasury])
    }
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::Address;
    use sui_transaction_builder::TransactionBuilder;

    use super::*;
    use crate::floe::calls::inspect::{Arg, build, owned, owned_arg, packages, single};

    fn wal() -> WalCalls {
        WalCalls::new(&packages(), SharedObject::new(Address::new([0x7e; 32]), 2))
    }

    #[test]
    fn burn_takes_the_treasury_mutably_and_the_coin() {
        let mut tx = TransactionBuilder::new();
        let coin = owned(&mut tx, 0xc0);
        wal().burn(&mut tx, coin);
        let call = single(tx);
        assert_eq!(call.package, packages().wal);
        assert_eq!(call.name(), "wal::burn");
        assert_eq!(
            call.args,
            vec![Arg::Shared { id: Address::new([0x7e; 32]), version: 2, mutable: true }, owned_arg(0xc0)]
        );
    }

    #[test]
    fn total_supply_reads_the_treasury() {
        let mut tx = TransactionBuilder::new();
        wal().total_supply(&mut tx);
        let built = build(tx);
        assert_eq!(built[0].name(), "wal::total_supply");
        assert_eq!(built[0].args, vec![Arg::Shared { id: Address::new([0x7e; 32]), version: 2, mutable: false }]);
    }
}
