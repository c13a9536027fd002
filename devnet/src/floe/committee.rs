//! `floe::committee` natively: which shards each node holds, and the transition to the next
//! epoch's assignment that keeps shards where they are whenever it can.

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::committee::Committee;
use floe_chain::floe::framework::VecMap;
use sui_sdk_types::Address;

use crate::native::CallError;

use super::abort_in;

pub(crate) const E_INVALID_SHARD_COUNTS: u64 = abort_code("committee", "EInvalidShardCounts");

/// The committee giving `node_ids[i]` `counts[i]` of `n_shards` shards, starting from
/// `current`: nodes that shrink or leave give up their highest shards, nodes that grow or join
/// take the lowest free ones; nodes come out sorted by id and nodes without shards are dropped.
pub(crate) fn transition(
    current: &Committee,
    node_ids: &[Address],
    counts: &[u16],
    n_shards: u16,
) -> Result<Committee, CallError> {
    let total: u64 = counts.iter().map(|c| u64::from(*c)).sum();
    if total != u64::from(n_shards) || node_ids.len() != counts.len() {
        return Err(abort_in("committee", "transition", E_INVALID_SHARD_COUNTS));
    }
    let mut taken = vec![false; usize::from(n_shards)];
    // Each node first keeps its lowest old shards, up to its new count.
    let mut assigned: Vec<Vec<u16>> = node_ids
        .iter()
        .zip(counts)
        .map(|(id, count)| {
            let old = current.shards.get(id).map(Vec::as_slice).unwrap_or_default();
            let kept: Vec<u16> = old.iter().take(usize::from(*count)).copied().collect();
            for shard in &kept {
                taken[usize::from(*shard)] = true;
            }
            kept
        })
        .collect();
    // Then, in the given order, each fills up with the lowest shards nobody kept.
    let mut next_free = 0usize;
    for (mine, count) in assigned.iter_mut().zip(counts) {
        while mine.len() < usize::from(*count) {
            while taken[next_free] {
                next_free += 1;
            }
            taken[next_free] = true;
            mine.push(next_free as u16);
        }
    }
    let mut nodes: Vec<(Address, Vec<u16>)> = node_ids.iter().copied().zip(assigned).collect();
    // Sorted by id as Move compares them: the address read as a (big-endian) u256, which is the
    // byte order of the address.
    nodes.sort_by_key(|(id, _)| id.into_inner());
    let shards: VecMap<Address, Vec<u16>> = nodes
        .into_iter()
        .filter(|(_, shards)| !shards.is_empty())
        .map(|(id, mut shards)| {
            shards.sort_unstable();
            (id, shards)
        })
        .collect();
    Ok(Committee { shards })
}

/// The number of shards `node_id` holds in `committee` (0 when it is not a member).
pub(crate) fn weight(committee: &Committee, node_id: &Address) -> u16 {
    committee.shards.get(node_id).map_or(0, |s| s.len() as u16)
}

/// The node ids of `committee`, in its (sorted) order.
pub(crate) fn node_ids(committee: &Committee) -> Vec<Address> {
    committee.shards.contents.iter().map(|e| e.key).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(byte: u8) -> Address {
        Address::new([byte; 32])
    }

    fn empty() -> Committee {
        Committee { shards: VecMap::default() }
    }

    #[test]
    fn the_first_committee_assigns_shards_in_node_id_order() {
        let next = transition(&empty(), &[id(2), id(1)], &[3, 2], 5).unwrap();
        assert_eq!(node_ids(&next), vec![id(1), id(2)]);
        assert_eq!(next.shards.get(&id(2)).unwrap(), &vec![0, 1, 2]);
        assert_eq!(next.shards.get(&id(1)).unwrap(), &vec![3, 4]);
    }

    #[test]
    fn transitions_keep_shards_where_they_are() {
        let first = transition(&empty(), &[id(1), id(2), id(3)], &[4, 3, 3], 10).unwrap();
        // Node 3 leaves, node 4 joins with 2, node 1 shrinks to 3, node 2 grows to 5.
        let next = transition(&first, &[id(2), id(1), id(4)], &[5, 3, 2], 10).unwrap();
        let old1 = first.shards.get(&id(1)).unwrap();
        let old2 = first.shards.get(&id(2)).unwrap();
        assert_eq!(next.shards.get(&id(1)).unwrap(), &old1[..3].to_vec());
        assert!(old2.iter().all(|s| next.shards.get(&id(2)).unwrap().contains(s)));
        assert_eq!(weight(&next, &id(3)), 0);
        assert_eq!(weight(&next, &id(4)), 2);
        let mut all: Vec<u16> = next.shards.contents.iter().flat_map(|e| e.value.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<u16>>());
    }

    #[test]
    fn shard_counts_must_add_up_to_the_shard_count() {
        let err = transition(&empty(), &[id(1)], &[3], 4).unwrap_err();
        assert_eq!(err, abort_in("committee", "transition", E_INVALID_SHARD_COUNTS));
    }
}
