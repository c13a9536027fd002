//! Challenging one node: draw its samples, ask, verify every answer against the blob id, ask
//! again what is still unanswered until the deadline, and judge.

use std::collections::BTreeSet;

use floe_chain::{ChainClient, floe::state::CommitteeInfo};
use floe_encoder::{
    BlobId, EncodingConfig, ShardIndex,
    challenge::{ChallengeSample, EligibleBlobs, SAMPLES_PER_NODE, draw_samples},
    network_key::NetworkPublicKey,
};
use floe_node_api::{NodeClient, SampleAnswer};

use super::ChallengeSettings;

/// One member as a challenger sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its node id.
    pub node_id: [u8; 32],
    /// Its API's base URL.
    pub url: String,
    /// The key its TLS certificate must carry.
    pub network_key: NetworkPublicKey,
    /// The shards it is challenged on: held now and in the previous epoch.
    pub shards: Vec<ShardIndex>,
}

/// Every member of `current` with the shards it is challenged on: those it also held in
/// `previous` (none when there is no previous committee, or for a member new to it).
pub fn targets(current: &CommitteeInfo, previous: Option<&CommitteeInfo>) -> Vec<Target> {
    current
        .members
        .iter()
        .map(|member| {
            let before: BTreeSet<ShardIndex> = previous
                .and_then(|previous| previous.members.iter().find(|old| old.node_id == member.node_id))
                .map(|old| old.shards.iter().copied().collect())
                .unwrap_or_default();
            Target {
                node_id: member.node_id.into_inner(),
                url: member.http_url(),
                network_key: member.network_public_key,
                shards: member.shards.iter().copied().filter(|shard| before.contains(shard)).collect(),
            }
        })
        .collect()
}

/// The samples of `target` in the challenge of `seed` over `blobs`.
pub fn samples_of(seed: &[u8; 32], target: &Target, blobs: &EligibleBlobs, n_shards: u16) -> Vec<ChallengeSample> {
    draw_samples(seed, &target.node_id, blobs, &target.shards, n_shards, SAMPLES_PER_NODE)
}

/// A challenger's judgement of one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every sample answered and verified (or excused: its blob died meanwhile).
    Passed,
    /// Why not.
    Failed(String),
}

impl Verdict {
    /// Whether it passed.
    pub fn passed(&self) -> bool {
        matches!(self, Self::Passed)
    }
}

/// When a challenged node must have answered by: a chain time, or the end of the epoch.
#[derive(Debug)]
pub struct Deadline<'a> {
    /// Where the chain's clock is read.
    pub client: &'a ChainClient,
    /// The chain time (ms) answers are due by.
    pub at_ms: u64,
    /// The epoch whose challenge this is.
    pub epoch: floe_encoder::Epoch,
    /// The node's view of the current epoch.
    pub state: &'a crate::chain_state::ChainState,
}

impl Deadline<'_> {
    /// Whether the time is up: the epoch is over, or the chain's clock reached the deadline.
    pub async fn passed(&self) -> bool {
        use crate::chain_view::ChainView as _;
        self.state.current_epoch() != self.epoch
            || self.client.chain_time().await.is_ok_and(|now| now.as_ms() >= self.at_ms)
    }
}

/// Challenges `node` (a member's client) on `samples` until every sample is answered, an answer
/// is forged, or the `deadline` passed. `is_live` excuses samples whose blob died since they
/// were drawn.
pub async fn challenge(
    node: &NodeClient,
    config: &EncodingConfig,
    samples: Vec<ChallengeSample>,
    settings: &ChallengeSettings,
    is_live: impl Fn(&BlobId) -> bool,
    deadline: &Deadline<'_>,
) -> Verdict {
    let total = samples.len();
    let mut pending = samples;
    let mut delay = settings.retry_delay;
    let mut last_problem = String::new();
    loop {
        match node.challenge(&pending, settings.request_timeout).await {
            Ok(answers) => {
                let mut unanswered = Vec::new();
                for (sample, answer) in pending.into_iter().zip(answers) {
                    match answer {
                        SampleAnswer::Answered(answer) => {
                            if let Err(error) = answer.verify(config, &sample) {
                                return Verdict::Failed(format!(
                                    "wrong answer for {} sliver of shard {} of blob {} (symbol {}): {error}",
                                    sample.axis, sample.shard, sample.blob_id, sample.symbol
                                ));
                            }
                        }
                        SampleAnswer::Missing => unanswered.push(sample),
                    }
                }
                if !unanswered.is_empty() {
                    last_problem = format!("the node says it does not hold {} sampled slivers", unanswered.len());
                }
                pending = unanswered;
            }
            Err(error) => last_problem = error.to_string(),
        }
        pending.retain(|sample| is_live(&sample.blob_id));
        if pending.is_empty() {
            return Verdict::Passed;
        }
        if deadline.passed().await {
            return Verdict::Failed(format!(
                "{} of {total} samples unanswered at the deadline ({last_problem})",
                pending.len()
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(settings.max_retry_delay);
    }
}

#[cfg(test)]
mod tests {
    use floe_chain::floe::state::MemberInfo;
    use floe_encoder::bls::BlsSecretKey;
    use sui_sdk_types::Address;

    use super::*;

    fn member(id: u8, shards: &[u16]) -> MemberInfo {
        MemberInfo {
            node_id: Address::new([id; 32]),
            name: format!("node-{id}"),
            public_key: BlsSecretKey::from_seed(&[id; 32]).public_key(),
            shards: shards.iter().copied().map(ShardIndex).collect(),
            network_address: format!("http://127.0.0.1:{}", 9000 + u16::from(id)),
            network_public_key: floe_encoder::network_key::NetworkPublicKey([id; 32]),
        }
    }

    #[test]
    fn a_node_is_challenged_only_on_shards_it_held_in_the_previous_epoch_too() {
        let previous =
            CommitteeInfo { epoch: 4, n_shards: 6, members: vec![member(1, &[0, 1, 2]), member(2, &[3, 4, 5])] };
        let current = CommitteeInfo {
            epoch: 5,
            n_shards: 6,
            members: vec![member(1, &[0, 1]), member(2, &[2, 3, 4]), member(3, &[5])],
        };
        let targets = targets(&current, Some(&previous));
        let shards = |i: usize| targets[i].shards.iter().map(|shard| shard.0).collect::<Vec<_>>();
        assert_eq!(shards(0), vec![0, 1], "kept shards only");
        assert_eq!(shards(1), vec![3, 4], "shard 2 moved to it this epoch");
        assert!(shards(2).is_empty(), "a member new to the committee is not challenged in its first epoch");
        assert_eq!(targets[2].url, "http://127.0.0.1:9003");
        assert_eq!(targets[2].network_key, NetworkPublicKey([3; 32]));
        assert!(super::targets(&current, None).iter().all(|target| target.shards.is_empty()));
    }
}
