/// `ActiveSet`: the at most `max_size` nodes the next committee is selected from, each with its
/// stake for the next selection. It bounds the epoch change: `voting_end` reads only these
/// nodes' pools, however many candidates registered. A node enters when there is room or when
/// its stake is larger than the smallest entry's, which it then replaces; a node whose stake
/// drops to zero leaves.
module floe::active_set;

/// One member: a node and its stake for the next committee selection.
public struct ActiveSetEntry has copy, drop, store {
    node_id: ID,
    staked_amount: u64,
}

/// The members in the order they entered (the committee selection's tie-break).
public struct ActiveSet has copy, drop, store {
    max_size: u16,
    entries: vector<ActiveSetEntry>,
}

/// An empty set of at most `max_size` nodes.
public(package) fun new(max_size: u16): ActiveSet { ActiveSet { max_size, entries: vector[] } }

/// Records `stake` as `node_id`'s stake for the next selection: a member's entry is updated
/// (and removed at zero); a non-member with stake enters when the set has room, or else in place
/// of the smallest entry (the latest entered among equals) if its stake is strictly larger.
/// Returns whether the node is a member afterwards. O(max_size).
public(package) fun insert_or_update(self: &mut ActiveSet, node_id: ID, stake: u64): bool {
    let mut found = self.entries.find_index!(|e| e.node_id == node_id);
    if (found.is_some()) {
        let i = found.extract();
        if (stake == 0) {
            self.entries.remove(i);
            return false
        };
        self.entries[i].staked_amount = stake;
        return true
    };
    if (stake == 0) return false;
    if (self.entries.length() < (self.max_size as u64)) {
        self.entries.push_back(ActiveSetEntry { node_id, staked_amount: stake });
        return true
    };
    // Full: the smallest entry, the latest entered among equals, is the one to beat.
    let mut smallest = 0;
    let mut i = 1;
    while (i < self.entries.length()) {
        if (self.entries[i].staked_amount <= self.entries[smallest].staked_amount) smallest = i;
        i = i + 1;
    };
    if (stake <= self.entries[smallest].staked_amount) return false;
    // `remove` keeps the others in entry order; the newcomer entered last.
    self.entries.remove(smallest);
    self.entries.push_back(ActiveSetEntry { node_id, staked_amount: stake });
    true
}

/// The members' node ids, in entry order.
public fun node_ids(self: &ActiveSet): vector<ID> { self.entries.map_ref!(|e| e.node_id) }

/// The members' recorded stakes, in entry order.
public fun staked_amounts(self: &ActiveSet): vector<u64> { self.entries.map_ref!(|e| e.staked_amount) }

/// Whether `node_id` is a member.
public fun contains(self: &ActiveSet, node_id: ID): bool { self.entries.any!(|e| e.node_id == node_id) }

/// The recorded stake of `node_id` (0 for a non-member).
public fun stake_of(self: &ActiveSet, node_id: ID): u64 {
    let i = self.entries.find_index!(|e| e.node_id == node_id);
    if (i.is_some()) self.entries[i.destroy_some()].staked_amount else 0
}

/// The number of members.
public fun size(self: &ActiveSet): u64 { self.entries.length() }

/// The most members the set holds.
public fun max_size(self: &ActiveSet): u16 { self.max_size }
