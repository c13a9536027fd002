/// Shard apportionment by stake (D'Hondt) and the stake-weighted votes on prices and capacity.
module floe::apportionment;

/// There is nothing to apportion: no stake at all.
const ENoStake: u64 = 0;
/// The votes and weights have different lengths.
const ELengthMismatch: u64 = 1;

/// Apportions `n_seats` over `stakes` by D'Hondt: each next seat goes to the largest
/// stake / (seats + 1); ties go to the lower index. Starts from the lower quota
/// floor(stake * n / total), which D'Hondt never goes below.
public fun dhondt(n_seats: u16, stakes: &vector<u64>): vector<u16> {
    let mut total: u128 = 0;
    stakes.do_ref!(|s| total = total + (*s as u128));
    assert!(total > 0, ENoStake);
    let mut seats = stakes.map_ref!(|s| ((*s as u128) * (n_seats as u128) / total) as u16);
    let mut assigned: u64 = 0;
    seats.do_ref!(|s| assigned = assigned + (*s as u64));
    let mut remaining = (n_seats as u64) - assigned;
    while (remaining > 0) {
        let mut best = 0;
        let mut i = 1;
        while (i < stakes.length()) {
            // stakes[i] / (seats[i] + 1) > stakes[best] / (seats[best] + 1), cross-multiplied.
            let lhs = (stakes[i] as u128) * ((seats[best] as u128) + 1);
            let rhs = (stakes[best] as u128) * ((seats[i] as u128) + 1);
            if (lhs > rhs) best = i;
            i = i + 1;
        };
        *&mut seats[best] = seats[best] + 1;
        remaining = remaining - 1;
    };
    seats
}

/// The lowest vote such that members holding a quorum (3w >= 2n+1) of the weight voted at or
/// below it.
public fun quorum_below(votes: vector<u64>, weights: vector<u16>, n_shards: u16): u64 {
    quorum_vote(votes, weights, n_shards, true)
}

/// The highest vote such that members holding a quorum (3w >= 2n+1) of the weight voted at or
/// above it.
public fun quorum_above(votes: vector<u64>, weights: vector<u16>, n_shards: u16): u64 {
    quorum_vote(votes, weights, n_shards, false)
}

fun quorum_vote(mut votes: vector<u64>, mut weights: vector<u16>, n_shards: u16, ascending: bool): u64 {
    assert!(votes.length() == weights.length(), ELengthMismatch);
    assert!(!votes.is_empty(), ENoStake);
    // Insertion sort of (vote, weight) pairs; committees are small.
    let len = votes.length();
    let mut i = 1;
    while (i < len) {
        let mut j = i;
        while (j > 0 && (if (ascending) votes[j - 1] > votes[j] else votes[j - 1] < votes[j])) {
            votes.swap(j - 1, j);
            weights.swap(j - 1, j);
            j = j - 1;
        };
        i = i + 1;
    };
    let mut cumulative: u64 = 0;
    let mut k = 0;
    while (k < len) {
        cumulative = cumulative + (weights[k] as u64);
        if (3 * cumulative >= 2 * (n_shards as u64) + 1) return votes[k];
        k = k + 1;
    };
    votes[len - 1]
}
