//! Byzantine fault-tolerance arithmetic over shard counts and shard weights.
//!
//! A committee of `n` shards tolerates `f = (n - 1) / 3` faulty shards. Two thresholds follow:
//! a *quorum* (`3w >= 2n + 1`, at least `2f + 1` shards) guarantees that a majority of the correct
//! shards agree, and *one correct node* (`3w >= n + 1`, at least `f + 1` shards) guarantees that at
//! least one correct shard is among the signers.
//!
//! ```
//! use floe_encoder::bft;
//!
//! assert_eq!(bft::max_faulty(1000), 333);
//! assert_eq!(bft::min_correct(1000), 667);
//! assert!(bft::is_quorum(667, 1000) && !bft::is_quorum(666, 1000));
//! assert!(bft::is_one_correct(334, 1000) && !bft::is_one_correct(333, 1000));
//! ```

/// The largest number of shards that may be faulty: `f = (n - 1) / 3`.
pub const fn max_faulty(n_shards: u16) -> u16 {
    n_shards.saturating_sub(1) / 3
}

/// The number of shards that are correct at the least: `n - f`.
pub const fn min_correct(n_shards: u16) -> u16 {
    n_shards - max_faulty(n_shards)
}

/// Whether `weight` shards out of `n_shards` form a quorum: `3w >= 2n + 1`.
#[allow(clippy::int_plus_one)] // written as the protocol states it
pub const fn is_quorum(weight: u64, n_shards: u16) -> bool {
    3 * weight >= 2 * n_shards as u64 + 1
}

/// Whether `weight` shards out of `n_shards` contain at least one correct shard: `3w >= n + 1`.
#[allow(clippy::int_plus_one)] // written as the protocol states it
pub const fn is_one_correct(weight: u64, n_shards: u16) -> bool {
    3 * weight >= n_shards as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_the_smallest_weights_meeting_each_rule() {
        for n in 4..=2000u16 {
            let f = max_faulty(n);
            let quorum = (0..=n).find(|w| is_quorum(u64::from(*w), n)).unwrap();
            let one_correct = (0..=n).find(|w| is_one_correct(u64::from(*w), n)).unwrap();
            // Any quorum outweighs the faulty shards twice over, and any one-correct set outweighs them.
            assert!(quorum > 2 * f && one_correct > f, "n={n}");
            // Two quorums always intersect in more than f shards.
            assert!(2 * quorum - n > f, "n={n}");
            if n % 3 == 1 {
                assert_eq!((quorum, one_correct), (2 * f + 1, f + 1), "n={n}");
            }
        }
    }
}
