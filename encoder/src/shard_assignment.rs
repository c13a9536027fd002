//! A committee's shard assignment: every shard of `0..n` is held by exactly one member. A
//! committee that breaks it cannot store a blob (a pair without a holder) or cannot weigh a
//! certificate (a shard counted twice), so the node and the client refuse it alike.
//!
//! ```
//! use floe_encoder::{ShardIndex, shard_assignment};
//!
//! let shards = |range: std::ops::Range<u16>| range.map(ShardIndex).collect::<Vec<_>>();
//! let members = [shards(0..3), shards(3..4)];
//! let holders = shard_assignment::holders(4, members.iter().map(Vec::as_slice)).unwrap();
//! assert_eq!(holders, [0, 0, 0, 1]);
//! assert!(shard_assignment::holders(5, members.iter().map(Vec::as_slice)).is_err(), "shard 4 has no holder");
//! ```

use crate::ShardIndex;

/// Why the members' shards are not every shard exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ShardAssignmentError {
    /// A member names a shard beyond the shard count.
    #[error("member {member} holds shard {shard}, but the committee has only {n_shards} shards")]
    OutOfRange {
        /// The member's position in the committee.
        member: usize,
        /// The shard.
        shard: ShardIndex,
        /// The shard count.
        n_shards: u16,
    },
    /// A shard is held by no member, or by more than one (or twice by one).
    #[error("shard {shard} is held by {holders} members, expected exactly one")]
    NotHeldOnce {
        /// The first such shard.
        shard: ShardIndex,
        /// How many times members claim it.
        holders: usize,
    },
}

/// For each shard of `0..n_shards`, the position of the member holding it, given each member's
/// shards in committee order; refused unless every shard is held exactly once.
pub fn holders<'a>(
    n_shards: u16,
    members: impl IntoIterator<Item = &'a [ShardIndex]>,
) -> Result<Vec<usize>, ShardAssignmentError> {
    let mut claims: Vec<Vec<usize>> = vec![Vec::new(); usize::from(n_shards)];
    for (member, shards) in members.into_iter().enumerate() {
        for &shard in shards {
            let claim =
                claims.get_mut(shard.as_usize()).ok_or(ShardAssignmentError::OutOfRange { member, shard, n_shards })?;
            claim.push(member);
        }
    }
    claims
        .iter()
        .zip(0..n_shards)
        .map(|(claim, shard)| match claim.as_slice() {
            [member] => Ok(*member),
            _ => Err(ShardAssignmentError::NotHeldOnce { shard: ShardIndex(shard), holders: claim.len() }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shards(indices: &[u16]) -> Vec<ShardIndex> {
        indices.iter().copied().map(ShardIndex).collect()
    }

    fn holders_of(n_shards: u16, members: &[&[u16]]) -> Result<Vec<usize>, ShardAssignmentError> {
        let members: Vec<Vec<ShardIndex>> = members.iter().map(|member| shards(member)).collect();
        holders(n_shards, members.iter().map(Vec::as_slice))
    }

    #[test]
    fn each_shard_maps_to_the_member_that_holds_it() {
        assert_eq!(holders_of(5, &[&[4, 0], &[2], &[1, 3]]).unwrap(), [0, 2, 1, 2, 0]);
    }

    #[test]
    fn a_shard_held_twice_or_never_is_refused_with_its_index_and_count() {
        assert_eq!(
            holders_of(4, &[&[0, 1, 2], &[2, 3]]).unwrap_err(),
            ShardAssignmentError::NotHeldOnce { shard: ShardIndex(2), holders: 2 }
        );
        assert_eq!(
            holders_of(4, &[&[0, 1, 1, 3]]).unwrap_err(),
            ShardAssignmentError::NotHeldOnce { shard: ShardIndex(1), holders: 2 }
        );
        let error = holders_of(4, &[&[0, 1, 2]]).unwrap_err();
        assert_eq!(error, ShardAssignmentError::NotHeldOnce { shard: ShardIndex(3), holders: 0 });
        assert_eq!(error.to_string(), "shard 3 is held by 0 members, expected exactly one");
    }

    #[test]
    fn a_shard_beyond_the_count_is_refused_with_its_member() {
        let error = holders_of(4, &[&[0, 1], &[2, 3, 4]]).unwrap_err();
        assert_eq!(error, ShardAssignmentError::OutOfRange { member: 1, shard: ShardIndex(4), n_shards: 4 });
    }
}
