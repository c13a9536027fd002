//! Answering a challenge: for each sample, the stored sliver's symbol with its proofs, or
//! "missing". The node answers for every shard it stores, so a shard kept for its new owner
//! after an epoch change answers too (its holder of record is challenged, not this node).

use std::collections::HashMap;

use floe_encoder::{
    BlobId,
    challenge::{ChallengeAnswer, ChallengeSample},
    metadata::VerifiedBlobMetadata,
};
use floe_node_api::{SampleAnswer, challenge::MAX_CHALLENGE_SAMPLES};

use crate::{error::NodeError, node::StorageNode};

impl StorageNode {
    /// The answers to `samples`, in order. At most [`MAX_CHALLENGE_SAMPLES`] per call, since
    /// each costs one re-expansion of a sliver.
    pub fn answer_challenge(&self, samples: &[ChallengeSample]) -> Result<Vec<SampleAnswer>, NodeError> {
        if samples.len() > MAX_CHALLENGE_SAMPLES {
            return Err(NodeError::BadQuery(format!(
                "{} samples in one challenge; at most {MAX_CHALLENGE_SAMPLES}",
                samples.len()
            )));
        }
        let (_, config) = self.committee();
        let mut metadata: HashMap<BlobId, Option<VerifiedBlobMetadata>> = HashMap::new();
        let mut answers = Vec::with_capacity(samples.len());
        for sample in samples {
            let verified = metadata.entry(sample.blob_id).or_insert_with(|| self.metadata(&sample.blob_id).ok());
            let answer = match verified {
                // A sliver damaged on disk is set aside for repair and answered as missing: the
                // other samples are still answered, and the challenger learns only the truth.
                Some(verified) => match self.read_sliver(sample.shard, sample.axis, &sample.blob_id)? {
                    Some(sliver) => match ChallengeAnswer::new(&config, verified, &sliver, sample) {
                        Ok(answer) => SampleAnswer::Answered(answer),
                        Err(error) => {
                            tracing::warn!(blob_id = %sample.blob_id, shard = %sample.shard, %error, "cannot answer a challenge sample from the stored sliver");
                            SampleAnswer::Missing
                        }
                    },
                    None => SampleAnswer::Missing,
                },
                None => SampleAnswer::Missing,
            };
            answers.push(answer);
        }
        Ok(answers)
    }
}
