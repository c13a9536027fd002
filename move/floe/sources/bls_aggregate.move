/// The BLS committee of an epoch and the check of its aggregated certificates.
///
/// A certificate is one BLS12-381 min-pk signature aggregated by the signers, plus a bitmap of
/// who signed (bit i%8 of byte i/8 for member i, as positioned in `members`). The check sums the
/// non-signers' keys, subtracts them from the precomputed sum of all keys, and verifies once.
module floe::bls_aggregate;

use floe::messages::{Self, CertifiedMessage};
use sui::bls12381::{Self, G1};
use sui::group_ops::{Self, Element};

/// Length of a compressed G1 public key.
const PUBLIC_KEY_LENGTH: u64 = 48;

/// The signer bitmap is longer than the committee needs or sets a bit past the last member.
const EInvalidBitmap: u64 = 0;
/// The aggregate signature does not verify against the signers' aggregate key.
const ESigVerification: u64 = 1;
/// The signers' shard weight is below the required threshold.
const ENotEnoughStake: u64 = 2;
/// A member public key is not 48 bytes.
const EInvalidPublicKey: u64 = 3;
/// A member has zero weight, or the weights overflow u16.
const EInvalidWeight: u64 = 4;

/// One committee member: its BLS key, its weight (number of shards) and its node id.
public struct BlsCommitteeMember has copy, drop, store {
    public_key: Element<G1>,
    weight: u16,
    node_id: ID,
}

/// The committee of one epoch.
public struct BlsCommittee has copy, drop, store {
    members: vector<BlsCommitteeMember>,
    n_shards: u16,
    epoch: u32,
    total_aggregated_key: Element<G1>,
}

/// A member from its 48-byte compressed public key.
public fun new_member(public_key: vector<u8>, weight: u16, node_id: ID): BlsCommitteeMember {
    assert!(public_key.length() == PUBLIC_KEY_LENGTH, EInvalidPublicKey);
    assert!(weight > 0, EInvalidWeight);
    BlsCommitteeMember { public_key: bls12381::g1_from_bytes(&public_key), weight, node_id }
}

/// The committee of `epoch`; `n_shards` is the sum of the members' weights.
public(package) fun new_committee(epoch: u32, members: vector<BlsCommitteeMember>): BlsCommittee {
    let mut n_shards: u64 = 0;
    let mut total_aggregated_key = bls12381::g1_identity();
    members.do_ref!(|member| {
        n_shards = n_shards + (member.weight as u64);
        total_aggregated_key = bls12381::g1_add(&total_aggregated_key, &member.public_key);
    });
    assert!(n_shards <= 0xFFFF, EInvalidWeight);
    BlsCommittee { members, n_shards: n_shards as u16, epoch, total_aggregated_key }
}

/// An empty committee (before the first epoch change), for `n_shards` shards nobody holds yet.
public(package) fun empty_committee(epoch: u32, n_shards: u16): BlsCommittee {
    BlsCommittee {
        members: vector[],
        n_shards,
        epoch,
        total_aggregated_key: bls12381::g1_identity(),
    }
}

/// Verifies a certificate over `message` and returns its signers' weight; aborts on a bad bitmap
/// or signature (no threshold is checked here).
public fun verify_certificate_and_weight(
    self: &BlsCommittee,
    signature: &vector<u8>,
    signers_bitmap: &vector<u8>,
    message: &vector<u8>,
): u16 {
    let n_members = self.members.length();
    assert!(signers_bitmap.length() <= (n_members + 7) / 8, EInvalidBitmap);
    let mut non_signer_key = bls12381::g1_identity();
    let mut non_signer_weight: u64 = 0;
    let mut i = 0;
    while (i < signers_bitmap.length() * 8) {
        let signed = ((signers_bitmap[i / 8] >> ((i % 8) as u8)) & 1) == 1;
        if (i >= n_members) {
            assert!(!signed, EInvalidBitmap);
        } else if (!signed) {
            let member = &self.members[i];
            non_signer_key = bls12381::g1_add(&non_signer_key, &member.public_key);
            non_signer_weight = non_signer_weight + (member.weight as u64);
        };
        i = i + 1;
    };
    // Members past the end of a short bitmap did not sign.
    while (i < n_members) {
        let member = &self.members[i];
        non_signer_key = bls12381::g1_add(&non_signer_key, &member.public_key);
        non_signer_weight = non_signer_weight + (member.weight as u64);
        i = i + 1;
    };
    let signer_key = bls12381::g1_sub(&self.total_aggregated_key, &non_signer_key);
    assert!(
        bls12381::bls12381_min_pk_verify(signature, group_ops::bytes(&signer_key), message),
        ESigVerification,
    );
    ((self.n_shards as u64) - non_signer_weight) as u16
}

/// Verifies a certificate signed by a quorum (3w >= 2n+1) of this committee in its epoch and
/// returns the parsed message.
public fun verify_quorum_in_epoch(
    self: &BlsCommittee,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
): CertifiedMessage {
    let weight = self.verify_certificate_and_weight(&signature, &signers_bitmap, &message);
    assert!(is_quorum(weight, self.n_shards), ENotEnoughStake);
    messages::new_certified_message(message, self.epoch, weight)
}

/// Verifies a certificate signed by at least one correct node (3w >= n+1) of this committee in
/// its epoch and returns the parsed message.
public fun verify_one_correct_node_in_epoch(
    self: &BlsCommittee,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
): CertifiedMessage {
    let weight = self.verify_certificate_and_weight(&signature, &signers_bitmap, &message);
    assert!(is_one_correct_node(weight, self.n_shards), ENotEnoughStake);
    messages::new_certified_message(message, self.epoch, weight)
}

/// Whether `weight` of `n_shards` is a quorum: 3w >= 2n + 1.
public fun is_quorum(weight: u16, n_shards: u16): bool {
    3 * (weight as u64) >= 2 * (n_shards as u64) + 1
}

/// Whether `weight` of `n_shards` includes at least one correct node: 3w >= n + 1.
public fun is_one_correct_node(weight: u16, n_shards: u16): bool {
    3 * (weight as u64) >= (n_shards as u64) + 1
}

// === Accessors ===

/// The committee's epoch.
public fun epoch(self: &BlsCommittee): u32 { self.epoch }

/// The number of shards (sum of weights).
public fun n_shards(self: &BlsCommittee): u16 { self.n_shards }

/// The members, in bitmap order.
public fun members(self: &BlsCommittee): &vector<BlsCommitteeMember> { &self.members }

/// The number of members.
public fun n_members(self: &BlsCommittee): u64 { self.members.length() }

/// The precomputed sum of all members' keys.
public fun total_aggregated_key(self: &BlsCommittee): &Element<G1> { &self.total_aggregated_key }

/// Whether `node_id` is a member.
public fun contains(self: &BlsCommittee, node_id: &ID): bool {
    self.members.any!(|member| &member.node_id == node_id)
}

/// The weight of `node_id` (0 when it is not a member).
public fun weight_of(self: &BlsCommittee, node_id: &ID): u16 {
    let mut weight = 0;
    self.members.do_ref!(|member| if (&member.node_id == node_id) weight = member.weight);
    weight
}

/// A member's public key.
public fun member_public_key(self: &BlsCommitteeMember): &Element<G1> { &self.public_key }

/// A member's weight.
public fun member_weight(self: &BlsCommitteeMember): u16 { self.weight }

/// A member's node id.
public fun member_node_id(self: &BlsCommitteeMember): ID { self.node_id }
