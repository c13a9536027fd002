/// `StakedWal`: WAL staked with one node's pool. It holds the principal; rewards accrue in the
/// pool (through its exchange rate) and are paid out on withdrawal. Transferable, splittable and
/// joinable while staked.
module floe::staked_wal;

use sui::balance::Balance;
use wal::wal::WAL;

/// The split amount is zero or not smaller than the principal.
const EInvalidSplitAmount: u64 = 0;
/// Only staked (not withdrawing) stake can be split or joined.
const ENotStaked: u64 = 1;
/// The two stakes are with different nodes or activate in different epochs.
const EIncompatibleStakedWal: u64 = 2;

/// Whether the stake is active (or activating) or on its way out.
public enum StakedWalState has copy, drop, store {
    Staked,
    Withdrawing { withdraw_epoch: u32 },
}

/// A stake with node `node_id`, counted from `activation_epoch`.
public struct StakedWal has key, store {
    id: UID,
    node_id: ID,
    principal: Balance<WAL>,
    activation_epoch: u32,
    state: StakedWalState,
}

/// A new stake; only the staking object creates them.
public(package) fun mint(
    node_id: ID,
    principal: Balance<WAL>,
    activation_epoch: u32,
    ctx: &mut TxContext,
): StakedWal {
    StakedWal { id: object::new(ctx), node_id, principal, activation_epoch, state: StakedWalState::Staked }
}

/// Destroys a stake and returns its principal.
public(package) fun into_balance(self: StakedWal): Balance<WAL> {
    let StakedWal { id, principal, .. } = self;
    id.delete();
    principal
}

/// Marks the stake as withdrawing from `withdraw_epoch` on.
public(package) fun set_withdrawing(self: &mut StakedWal, withdraw_epoch: u32) {
    assert!(self.is_staked(), ENotStaked);
    self.state = StakedWalState::Withdrawing { withdraw_epoch };
}

/// Splits off `amount` of principal into a new stake with the same node and activation epoch.
public fun split(self: &mut StakedWal, amount: u64, ctx: &mut TxContext): StakedWal {
    assert!(self.is_staked(), ENotStaked);
    assert!(amount > 0 && amount < self.principal.value(), EInvalidSplitAmount);
    StakedWal {
        id: object::new(ctx),
        node_id: self.node_id,
        principal: self.principal.split(amount),
        activation_epoch: self.activation_epoch,
        state: StakedWalState::Staked,
    }
}

/// Joins `other` into `self`: same node, same activation epoch, both staked.
public fun join(self: &mut StakedWal, other: StakedWal) {
    assert!(self.is_staked() && other.is_staked(), ENotStaked);
    assert!(
        self.node_id == other.node_id && self.activation_epoch == other.activation_epoch,
        EIncompatibleStakedWal,
    );
    self.principal.join(other.into_balance());
}

/// The node this stake is with.
public fun node_id(self: &StakedWal): ID { self.node_id }

/// The staked principal.
public fun value(self: &StakedWal): u64 { self.principal.value() }

/// The first epoch the stake counts in.
public fun activation_epoch(self: &StakedWal): u32 { self.activation_epoch }

/// Whether the stake is staked (not withdrawing).
public fun is_staked(self: &StakedWal): bool {
    match (&self.state) {
        StakedWalState::Staked => true,
        StakedWalState::Withdrawing { .. } => false,
    }
}

/// The epoch from which a withdrawing stake can be withdrawn (none while staked).
public fun withdraw_epoch(self: &StakedWal): Option<u32> {
    match (&self.state) {
        StakedWalState::Staked => option::none(),
        StakedWalState::Withdrawing { withdraw_epoch } => option::some(*withdraw_epoch),
    }
}
