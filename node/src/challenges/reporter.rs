//! Turning the members' signed verdicts into certificates the chain records: for each
//! challenged node, the verdicts of every member are gathered and checked (message, epoch,
//! signer's key); a verdict signed by members holding a quorum of shards becomes a
//! certificate for `staking::record_challenge_outcome`.
//!
//! Cost: every member signs a verdict on every member, so a committee of `m` serves `m²` of
//! them, and a reporter polls until its nodes' outcomes are recorded. Checking each signature
//! alone (two pairings, about 1 ms) made that `m²` pairings per reporter per poll: 20 s at 100
//! nodes, for each of the 100 nodes, every poll. So only verdicts on the nodes a reporter is due
//! to report are kept, and the signatures of one verdict are checked together as one aggregate
//! ([`Certificate::aggregate`]); each is checked alone only when that fails.

use std::collections::BTreeMap;

use floe_chain::floe::state::CommitteeInfo;
use floe_encoder::{
    Epoch, bft,
    certificate::{self, Certificate, CertificateError},
    messages::{ChallengeOutcomeMessage, SignedMessage},
};

/// A certificate ready for the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyOutcome {
    /// The challenged node.
    pub node_id: [u8; 32],
    /// The verdict a quorum signed.
    pub passed: bool,
    /// The aggregate certificate.
    pub certificate: Certificate,
}

/// The committee as certificates see it (members in on-chain order, weight = shards).
pub fn certificate_committee(committee: &CommitteeInfo) -> Result<certificate::Committee, CertificateError> {
    let members = committee
        .members
        .iter()
        .map(|member| certificate::CommitteeMember {
            public_key: member.public_key,
            weight: u16::try_from(member.shards.len()).unwrap_or(u16::MAX),
            node_id: member.node_id.into_inner(),
        })
        .collect();
    certificate::Committee::new(committee.epoch, members)
}

/// Who signed which verdict on which node: `(node id, passed)` to the signing members' indices,
/// each with its signed message (whose signature is not checked yet unless the member served
/// both verdicts on the node).
pub type SortedVerdicts = BTreeMap<([u8; 32], bool), Vec<(u16, SignedMessage)>>;

/// One verdict a member signed: passed or not, and the message.
type Verdict = (bool, SignedMessage);

/// Sorts `verdicts[i]` (what member `i` served, unchecked) on the nodes in `wanted` by the node
/// and verdict they are about, keeping only canonical messages of `epoch`, one per member and
/// node. A member serving both verdicts on a node has each checked against its key: one that
/// signed both counts for neither.
pub fn sort_verdicts(
    committee: &CommitteeInfo,
    epoch: Epoch,
    verdicts: &[Vec<SignedMessage>],
    wanted: &[[u8; 32]],
) -> SortedVerdicts {
    // (member, node) -> the verdicts the member served on the node.
    let mut served_by: BTreeMap<(u16, [u8; 32]), Vec<Verdict>> = BTreeMap::new();
    for (index, signed) in verdicts.iter().enumerate().take(committee.members.len()) {
        let index = u16::try_from(index).expect("committees are smaller than 65536");
        for message in signed {
            let Ok(outcome) = ChallengeOutcomeMessage::from_bytes(&message.serialized) else { continue };
            // Canonical bytes only, so that all signers of a verdict signed the same message.
            if outcome.epoch != epoch || !wanted.contains(&outcome.node_id) || outcome.to_bytes() != message.serialized
            {
                continue;
            }
            let verdicts = served_by.entry((index, outcome.node_id)).or_default();
            if !verdicts.iter().any(|(passed, _)| *passed == outcome.passed) {
                verdicts.push((outcome.passed, message.clone()));
            }
        }
    }
    let mut sorted = SortedVerdicts::new();
    for ((index, node_id), mut verdicts) in served_by {
        if verdicts.len() > 1 {
            let key = &committee.members[usize::from(index)].public_key;
            verdicts.retain(|(_, message)| message.verify(key).is_ok());
        }
        // A member that signed both verdicts on a node counts for neither.
        if let [(passed, message)] = verdicts.as_slice() {
            sorted.entry((node_id, *passed)).or_default().push((index, message.clone()));
        }
    }
    sorted
}

/// The outcomes whose verdict members holding a quorum of shards signed, aggregated, for the
/// nodes in `wanted`.
pub fn ready_outcomes(
    committee: &CommitteeInfo,
    epoch: Epoch,
    verdicts: &[Vec<SignedMessage>],
    wanted: &[[u8; 32]],
) -> Result<Vec<ReadyOutcome>, CertificateError> {
    let certificate_committee = certificate_committee(committee)?;
    let is_quorum = |signers: &[(u16, SignedMessage)]| {
        let indices: Vec<u16> = signers.iter().map(|(index, _)| *index).collect();
        bft::is_quorum(certificate_committee.weight_of(&indices), committee.n_shards)
    };
    let mut ready = Vec::new();
    for ((node_id, passed), mut signers) in sort_verdicts(committee, epoch, verdicts, wanted) {
        if !is_quorum(&signers) {
            continue;
        }
        let certificate = match Certificate::aggregate(&certificate_committee, signers.clone()) {
            Ok(certificate) => certificate,
            // Someone served a verdict its key did not sign: leave out every such one.
            Err(CertificateError::BadSigners(bad)) => {
                signers.retain(|(index, _)| !bad.contains(index));
                if !is_quorum(&signers) {
                    continue;
                }
                Certificate::aggregate(&certificate_committee, signers)?
            }
            Err(error) => return Err(error),
        };
        ready.push(ReadyOutcome { node_id, passed, certificate });
    }
    Ok(ready)
}

#[cfg(test)]
mod tests {
    use floe_chain::floe::state::MemberInfo;
    use floe_encoder::{ShardIndex, bls::BlsSecretKey, certificate::Threshold};
    use sui_sdk_types::Address;

    use super::*;

    fn key(i: u8) -> BlsSecretKey {
        BlsSecretKey::from_seed(&[i; 32])
    }

    /// Four members of 1, 2, 3 and 4 shards (n = 10, quorum 7).
    fn committee() -> CommitteeInfo {
        let mut next = 0u16;
        let members = (1..=4u8)
            .map(|i| {
                let shards = (next..next + u16::from(i)).map(ShardIndex).collect();
                next += u16::from(i);
                MemberInfo {
                    node_id: Address::new([i; 32]),
                    name: format!("n{i}"),
                    public_key: key(i).public_key(),
                    shards,
                    network_address: "http://127.0.0.1:1".into(),
                    network_public_key: floe_encoder::network_key::NetworkPublicKey([i; 32]),
                }
            })
            .collect();
        CommitteeInfo { epoch: 6, n_shards: 10, members }
    }

    fn verdict(signer: u8, epoch: Epoch, node: u8, passed: bool) -> SignedMessage {
        ChallengeOutcomeMessage { epoch, node_id: [node; 32], passed }.sign(&key(signer))
    }

    #[test]
    fn a_verdict_signed_by_a_quorum_of_shards_becomes_a_certificate_the_chain_accepts() {
        let committee = committee();
        // Node 4 (4 shards) is judged failed by members 2, 3 and 4 (9 shards) and passed by 1.
        let verdicts = vec![
            vec![verdict(1, 6, 4, true), verdict(1, 6, 1, true)],
            vec![verdict(2, 6, 4, false), verdict(2, 6, 1, true)],
            vec![verdict(3, 6, 4, false)],
            vec![verdict(4, 6, 4, false), verdict(4, 6, 1, true)],
        ];
        let ready = ready_outcomes(&committee, 6, &verdicts, &[[4; 32], [1; 32]]).unwrap();
        // Node 1 passed by members 1, 2 and 4: 1 + 2 + 4 = 7 shards, a quorum too.
        let found: Vec<_> = ready.iter().map(|outcome| (outcome.node_id[0], outcome.passed)).collect();
        assert_eq!(found, vec![(1, true), (4, false)]);
        let certificate_committee = certificate_committee(&committee).unwrap();
        for outcome in &ready {
            outcome.certificate.verify(&certificate_committee, Threshold::Quorum).unwrap();
        }
        assert_eq!(ready[1].certificate.signers, vec![1, 2, 3]);
    }

    #[test]
    fn only_quorums_count_and_forged_or_stale_verdicts_are_ignored() {
        let committee = committee();
        let certificate_committee = certificate_committee(&committee).unwrap();
        let verdicts = vec![
            // Member 1 serves a verdict signed by member 2's key: not its own, ignored.
            vec![verdict(2, 6, 3, false)],
            vec![verdict(2, 6, 3, false)],
            // Member 3 serves a verdict of another epoch: ignored.
            vec![verdict(3, 5, 3, false)],
            vec![verdict(4, 6, 3, false)],
        ];
        // Members 2 and 4 hold 6 shards: no quorum of 7.
        assert!(ready_outcomes(&committee, 6, &verdicts, &[[3; 32]]).unwrap().is_empty());
        let mut with_three = verdicts.clone();
        with_three[2].push(verdict(3, 6, 3, false));
        let ready = ready_outcomes(&committee, 6, &with_three, &[[3; 32]]).unwrap();
        assert_eq!(ready.len(), 1);
        assert_eq!((ready[0].node_id, ready[0].passed), ([3; 32], false));
        assert_eq!(ready[0].certificate.signers, vec![1, 2, 3]);
        ready[0].certificate.verify(&certificate_committee, Threshold::Quorum).unwrap();
        // Not wanted (already recorded): not returned.
        assert!(ready_outcomes(&committee, 6, &with_three, &[[1; 32]]).unwrap().is_empty());
    }

    #[test]
    fn a_member_signing_both_verdicts_on_a_node_counts_for_neither() {
        let committee = committee();
        let verdicts =
            vec![vec![], vec![], vec![verdict(3, 6, 2, false)], vec![verdict(4, 6, 2, false), verdict(4, 6, 2, true)]];
        let sorted = sort_verdicts(&committee, 6, &verdicts, &[[2; 32]]);
        assert_eq!(sorted[&([2; 32], false)].iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![2]);
        assert!(sorted.get(&([2; 32], true)).is_none_or(Vec::is_empty));
    }
}
