/// `Committee`: which shards each node holds in an epoch, ordered by node id. Transitions keep
/// shards where they are when they can, so as few shards as possible move between nodes.
module floe::committee;

use sui::vec_map::{Self, VecMap};

/// The shard counts do not add up to the number of shards.
const EInvalidShardCounts: u64 = 0;

/// Node id -> shard indices, sorted by node id.
public struct Committee has copy, drop, store {
    shards: VecMap<ID, vector<u16>>,
}

/// An empty committee.
public fun empty(): Committee { Committee { shards: vec_map::empty() } }

/// The committee that gives each node of `node_ids` `counts[i]` shards out of `n_shards`,
/// starting from `self`: nodes that shrink or leave give up their highest shards, and nodes that
/// grow or join take the lowest free ones. Nodes come out sorted by node id.
public fun transition(self: &Committee, node_ids: vector<ID>, counts: vector<u16>, n_shards: u16): Committee {
    let mut total: u64 = 0;
    counts.do_ref!(|c| total = total + (*c as u64));
    assert!(total == (n_shards as u64) && node_ids.length() == counts.length(), EInvalidShardCounts);
    // Shards nobody keeps: start with all, remove those kept.
    let mut kept = vector::tabulate!(n_shards as u64, |_| false);
    let mut new_shards: vector<vector<u16>> = vector[];
    let mut i = 0;
    while (i < node_ids.length()) {
        let mut mine = vector[];
        if (self.shards.contains(&node_ids[i])) {
            let old = self.shards.get(&node_ids[i]);
            let mut j = 0;
            while (j < old.length() && mine.length() < (counts[i] as u64)) {
                mine.push_back(old[j]);
                *&mut kept[old[j] as u64] = true;
                j = j + 1;
            };
        };
        new_shards.push_back(mine);
        i = i + 1;
    };
    let mut next_free = 0;
    let mut i = 0;
    while (i < node_ids.length()) {
        let mine = &mut new_shards[i];
        while (mine.length() < (counts[i] as u64)) {
            while (kept[next_free]) next_free = next_free + 1;
            mine.push_back(next_free as u16);
            *&mut kept[next_free] = true;
        };
        i = i + 1;
    };
    // Sort nodes by id, then drop those without shards.
    let mut ids = node_ids;
    let len = ids.length();
    let mut i = 1;
    while (i < len) {
        let mut j = i;
        while (j > 0 && ids[j - 1].to_address().to_u256() > ids[j].to_address().to_u256()) {
            ids.swap(j - 1, j);
            new_shards.swap(j - 1, j);
            j = j - 1;
        };
        i = i + 1;
    };
    let mut shards = vec_map::empty();
    let mut i = 0;
    while (i < len) {
        if (!new_shards[i].is_empty()) {
            let mut mine = new_shards[i];
            sort_u16(&mut mine);
            shards.insert(ids[i], mine);
        };
        i = i + 1;
    };
    Committee { shards }
}

fun sort_u16(v: &mut vector<u16>) {
    let len = v.length();
    let mut i = 1;
    while (i < len) {
        let mut j = i;
        while (j > 0 && v[j - 1] > v[j]) {
            v.swap(j - 1, j);
            j = j - 1;
        };
        i = i + 1;
    };
}

/// The node ids, sorted.
public fun node_ids(self: &Committee): vector<ID> { self.shards.keys() }

/// The number of nodes.
public fun size(self: &Committee): u64 { self.shards.length() }

/// Whether `node_id` is in the committee.
public fun contains(self: &Committee, node_id: &ID): bool { self.shards.contains(node_id) }

/// The shards of `node_id` (empty when it is not in the committee).
public fun shards(self: &Committee, node_id: &ID): vector<u16> {
    if (self.shards.contains(node_id)) *self.shards.get(node_id) else vector[]
}

/// The number of shards of `node_id`.
public fun weight(self: &Committee, node_id: &ID): u16 {
    if (self.shards.contains(node_id)) self.shards.get(node_id).length() as u16 else 0
}

/// The whole assignment.
public fun inner(self: &Committee): &VecMap<ID, vector<u16>> { &self.shards }
