//! `floe::active_set` natively: the at most `max_size` nodes `voting_end` selects the committee
//! from, each with its stake for the next selection, in the order they entered. It is what keeps
//! the epoch change's work bounded by the committee size rather than by the number of pools.

use floe_chain::floe::staking::{ActiveSet, ActiveSetEntry};
use sui_sdk_types::Address;

/// `active_set::insert_or_update`: a member's entry takes `stake` (and goes at zero); a
/// non-member with stake enters when there is room, or else in place of the smallest entry (the
/// latest entered among equals) if `stake` is strictly larger. Returns whether the node is a
/// member afterwards.
pub(crate) fn insert_or_update(set: &mut ActiveSet, node_id: Address, stake: u64) -> bool {
    if let Some(i) = set.entries.iter().position(|e| e.node_id == node_id) {
        if stake == 0 {
            set.entries.remove(i);
            return false;
        }
        set.entries[i].staked_amount = stake;
        return true;
    }
    if stake == 0 {
        return false;
    }
    if set.entries.len() < usize::from(set.max_size) {
        set.entries.push(ActiveSetEntry { node_id, staked_amount: stake });
        return true;
    }
    // The smallest, the latest entered among equals (Move scans with `<=`).
    let mut smallest = 0;
    for (i, entry) in set.entries.iter().enumerate().skip(1) {
        if entry.staked_amount <= set.entries[smallest].staked_amount {
            smallest = i;
        }
    }
    if stake <= set.entries[smallest].staked_amount {
        return false;
    }
    // `remove` keeps the others in entry order; the newcomer entered last.
    set.entries.remove(smallest);
    set.entries.push(ActiveSetEntry { node_id, staked_amount: stake });
    true
}

/// The members' node ids, in entry order.
pub(crate) fn node_ids(set: &ActiveSet) -> Vec<Address> {
    set.entries.iter().map(|e| e.node_id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(n: u8) -> Address {
        Address::new([n; 32])
    }

    #[test]
    fn a_full_active_set_replaces_its_smallest_member_only_for_a_larger_stake() {
        let mut set = ActiveSet { max_size: 3, entries: vec![] };
        assert!(insert_or_update(&mut set, node(1), 10));
        assert!(insert_or_update(&mut set, node(2), 5));
        assert!(insert_or_update(&mut set, node(3), 5));
        assert!(!insert_or_update(&mut set, node(4), 5));
        assert!(insert_or_update(&mut set, node(4), 6));
        assert_eq!(node_ids(&set), vec![node(1), node(2), node(4)]);
        assert!(insert_or_update(&mut set, node(1), 1));
        assert_eq!(set.entries[0].staked_amount, 1);
        assert!(!insert_or_update(&mut set, node(5), 0));
    }

    #[test]
    fn a_member_whose_stake_drops_to_zero_leaves_the_active_set() {
        let mut set = ActiveSet { max_size: 2, entries: vec![] };
        insert_or_update(&mut set, node(1), 10);
        insert_or_update(&mut set, node(2), 20);
        assert!(!insert_or_update(&mut set, node(1), 0));
        assert!(insert_or_update(&mut set, node(3), 1));
        assert_eq!(node_ids(&set), vec![node(2), node(3)]);
    }
}
