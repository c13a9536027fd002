//! `floe::apportionment` natively: D'Hondt shard apportionment and the stake-weighted votes on
//! prices and capacity, with the Move module's arithmetic (integer cross-multiplication, ties to
//! the lower index) so both sides pick the same committee and the same parameters.

use floe_chain::floe::aborts::abort_code;

use crate::native::CallError;

use super::abort_in;

const MODULE: &str = "apportionment";
pub(crate) const E_NO_STAKE: u64 = abort_code(MODULE, "ENoStake");
pub(crate) const E_LENGTH_MISMATCH: u64 = abort_code(MODULE, "ELengthMismatch");

/// Apportions `n_seats` over `stakes` by D'Hondt: each next seat goes to the largest
/// `stake / (seats + 1)`, ties to the lower index. Starts from the lower quota
/// `floor(stake * n / total)`, which D'Hondt never goes below, so at most one round per node.
pub(crate) fn dhondt(n_seats: u16, stakes: &[u64]) -> Result<Vec<u16>, CallError> {
    let total: u128 = stakes.iter().map(|s| u128::from(*s)).sum();
    if total == 0 {
        return Err(abort_in(MODULE, "dhondt", E_NO_STAKE));
    }
    let mut seats: Vec<u16> = stakes.iter().map(|s| (u128::from(*s) * u128::from(n_seats) / total) as u16).collect();
    let assigned: u64 = seats.iter().map(|s| u64::from(*s)).sum();
    for _ in assigned..u64::from(n_seats) {
        let mut best = 0;
        for i in 1..stakes.len() {
            // stakes[i] / (seats[i] + 1) > stakes[best] / (seats[best] + 1), cross-multiplied.
            let lhs = u128::from(stakes[i]) * (u128::from(seats[best]) + 1);
            let rhs = u128::from(stakes[best]) * (u128::from(seats[i]) + 1);
            if lhs > rhs {
                best = i;
            }
        }
        seats[best] += 1;
    }
    Ok(seats)
}

/// The lowest vote such that members holding a quorum (3w >= 2n+1) of the weight voted at or
/// below it (prices: a quorum accepts it).
pub(crate) fn quorum_below(votes: &[u64], weights: &[u16], n_shards: u16) -> Result<u64, CallError> {
    quorum_vote(votes, weights, n_shards, true)
}

/// The highest vote such that members holding a quorum of the weight voted at or above it
/// (capacity: a quorum offers it).
pub(crate) fn quorum_above(votes: &[u64], weights: &[u16], n_shards: u16) -> Result<u64, CallError> {
    quorum_vote(votes, weights, n_shards, false)
}

fn quorum_vote(votes: &[u64], weights: &[u16], n_shards: u16, ascending: bool) -> Result<u64, CallError> {
    // Move aborts inside its private helper, so Sui reports that function.
    let function = "quorum_vote";
    if votes.len() != weights.len() {
        return Err(abort_in(MODULE, function, E_LENGTH_MISMATCH));
    }
    if votes.is_empty() {
        return Err(abort_in(MODULE, function, E_NO_STAKE));
    }
    let mut pairs: Vec<(u64, u16)> = votes.iter().copied().zip(weights.iter().copied()).collect();
    // A stable sort keeps equal votes in input order, as Move's insertion sort does.
    if ascending {
        pairs.sort_by_key(|(vote, _)| *vote);
    } else {
        pairs.sort_by_key(|(vote, _)| std::cmp::Reverse(*vote));
    }
    let mut cumulative: u64 = 0;
    // The quorum rule in the protocol's form, 3w >= 2n + 1.
    #[allow(clippy::int_plus_one)]
    for (vote, weight) in &pairs {
        cumulative += u64::from(*weight);
        if 3 * cumulative >= 2 * u64::from(n_shards) + 1 {
            return Ok(*vote);
        }
    }
    Ok(pairs[pairs.len() - 1].0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dhondt_gives_seats_in_proportion_to_stake() {
        assert_eq!(dhondt(10, &[300, 300, 200, 200]).unwrap(), vec![3, 3, 2, 2]);
        assert_eq!(dhondt(100, &[1, 1, 1]).unwrap(), vec![34, 33, 33]);
        assert_eq!(dhondt(7, &[100, 0, 50]).unwrap(), vec![5, 0, 2]);
        let seats = dhondt(1000, &[7, 13, 1_000_003, 2]).unwrap();
        assert_eq!(seats.iter().map(|s| u64::from(*s)).sum::<u64>(), 1000);
    }

    #[test]
    fn dhondt_ties_go_to_the_lower_index() {
        assert_eq!(dhondt(1, &[5, 5]).unwrap(), vec![1, 0]);
        assert_eq!(dhondt(5, &[2, 2, 2, 2]).unwrap(), vec![2, 1, 1, 1]);
    }

    #[test]
    fn dhondt_without_stake_aborts_with_no_stake() {
        let err = dhondt(10, &[0, 0]).unwrap_err();
        assert_eq!(err, abort_in(MODULE, "dhondt", E_NO_STAKE));
    }

    #[test]
    fn quorum_below_is_the_lowest_price_a_quorum_accepts() {
        // weights 3/3/2/2 of 10: a quorum needs 7.
        assert_eq!(quorum_below(&[10, 40, 20, 30], &[3, 3, 2, 2], 10).unwrap(), 30);
        assert_eq!(quorum_above(&[10, 40, 20, 30], &[3, 3, 2, 2], 10).unwrap(), 20);
    }

    #[test]
    fn votes_and_weights_must_pair_up() {
        assert_eq!(quorum_below(&[1], &[1, 2], 3).unwrap_err(), abort_in(MODULE, "quorum_vote", E_LENGTH_MISMATCH));
        assert_eq!(quorum_above(&[], &[], 3).unwrap_err(), abort_in(MODULE, "quorum_vote", E_NO_STAKE));
    }
}
