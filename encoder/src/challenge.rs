//! Storage challenges: proof that a node still holds what it was paid to keep, checkable by
//! anyone who knows only the blob ids on chain.
//!
//! A challenge names [`ChallengeSample`]s: a blob, one of the node's shards, an axis and a symbol
//! position `0..n`. The node answers each with a [`ChallengeAnswer`]: that symbol of its sliver's
//! expansion, the symbol's Merkle proof to the sliver's hash, the blob's sliver-pair hashes and
//! their Merkle proof to the metadata root, and the blob's encoding type and length. From those
//! alone the verifier recomputes the root and the blob id ([`ChallengeAnswer::verify`]): no
//! metadata download, no trusted party. About 32·⌈log₂ n⌉·2 + 100 bytes plus one symbol per
//! answer (~740 bytes at n = 1000).
//!
//! Each epoch the samples are drawn from a seed nobody knew before ([`draw_samples`]: the seed
//! of the epoch's challenge window, from Sui's on-chain randomness), the challenged node's id,
//! the blobs every node must hold (sorted, [`EligibleBlobs`]) and the node's shards. Drawing is
//! uniform over (blob, shard, axis) — that is, over the slivers the node must hold — and over
//! the symbol position.
//!
//! # How many samples
//! A node that lost a fraction `q` of its slivers answers one sample with probability `1 - q`, and
//! all `k` independent samples with probability `(1 - q)^k`. For a node holding 90% to fail with
//! probability at least 99.9%: `0.9^k <= 0.001`, so `k >= ln 0.001 / ln 0.9 = 65.56`, and
//! [`SAMPLES_PER_NODE`] is 66 (`0.9^66 = 0.00095`; 65 would give 0.00106). A node holding 99%
//! is caught with probability `1 - 0.99^66 = 48.5%` per epoch, 99.9% within 11 epochs.
//!
//! ```
//! use floe_encoder::{EncodingConfig, ShardIndex, encode};
//! use floe_encoder::challenge::{ChallengeAnswer, EligibleBlobs, draw_samples};
//!
//! let config = EncodingConfig::new(10).unwrap();
//! let encoded = encode(&config, b"kept for ten epochs").unwrap();
//! let blob_id = *encoded.metadata.blob_id();
//! let blobs = EligibleBlobs::new(vec![blob_id]);
//! let shards = [ShardIndex(3), ShardIndex(7)];
//! let samples = draw_samples(&[1; 32], &[2; 32], &blobs, &shards, 10, 5);
//! for sample in &samples {
//!     // The node looks up its sliver of the sampled shard and axis...
//!     let pair = floe_encoder::mapping::pair_for_shard(sample.shard, &blob_id, 10);
//!     let sliver = encoded.pairs[pair.as_usize()].sliver(sample.axis);
//!     let answer = ChallengeAnswer::new(&config, &encoded.metadata, sliver, sample).unwrap();
//!     // ...and anyone checks the answer against the blob id alone.
//!     answer.verify(&config, sample).unwrap();
//! }
//! ```

use serde::{Deserialize, Serialize};

use crate::{
    BlobId, EncodingConfig, EncodingType, ShardIndex, SliverPairIndex, SliverType,
    error::EncodeError,
    mapping::pair_for_shard,
    merkle::{self, MerkleProof, MerkleProofError, MerkleTree},
    metadata::{SliverPairMetadata, VerifiedBlobMetadata},
    sliver::Sliver,
};

/// Samples per challenged node per epoch: a node holding 90% of its slivers fails with
/// probability at least 99.9% (see the module docs for the arithmetic).
pub const SAMPLES_PER_NODE: usize = 66;

/// Domain separation of the sample derivation from every other use of the seed.
const SAMPLE_DOMAIN: &[u8] = b"floe-storage-challenge-v1";

/// One thing a node must prove it holds: symbol `symbol` of the expansion of its sliver on
/// `axis` of `blob_id`, in shard `shard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChallengeSample {
    /// The blob.
    pub blob_id: BlobId,
    /// One of the challenged node's shards.
    pub shard: ShardIndex,
    /// The sliver's axis.
    pub axis: SliverType,
    /// The symbol's position in the sliver's expansion, `0..n`.
    pub symbol: u16,
}

/// The blobs every node of the committee must hold in a challenge, in one canonical order
/// (ascending blob id, no duplicates), so every node draws the same samples.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EligibleBlobs(Vec<BlobId>);

impl EligibleBlobs {
    /// The set of `blobs`, sorted and deduplicated.
    pub fn new(mut blobs: Vec<BlobId>) -> Self {
        blobs.sort_unstable();
        blobs.dedup();
        Self(blobs)
    }

    /// The blobs, ascending.
    pub fn as_slice(&self) -> &[BlobId] {
        &self.0
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is nothing to challenge.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The `count` samples of the node `node_id` for the challenge with `seed`: sample `i` comes
/// from `Blake2b-256(domain ‖ seed ‖ node_id ‖ i as u32 LE)`, whose first three 8-byte words
/// (little endian, reduced modulo the range) pick the blob, the shard and the symbol and whose
/// last byte's low bit the axis. The modulo bias is below 2⁻⁴⁰ for any realistic count.
/// Nothing to draw from (no blobs, no shards) gives no samples.
pub fn draw_samples(
    seed: &[u8; 32],
    node_id: &[u8; 32],
    blobs: &EligibleBlobs,
    shards: &[ShardIndex],
    n_shards: u16,
    count: usize,
) -> Vec<ChallengeSample> {
    if blobs.is_empty() || shards.is_empty() || n_shards == 0 {
        return Vec::new();
    }
    let mut input = Vec::with_capacity(SAMPLE_DOMAIN.len() + 68);
    (0..count)
        .map(|i| {
            input.clear();
            input.extend_from_slice(SAMPLE_DOMAIN);
            input.extend_from_slice(seed);
            input.extend_from_slice(node_id);
            input.extend_from_slice(&u32::try_from(i).unwrap_or(u32::MAX).to_le_bytes());
            let digest = merkle::blake2b256(&input);
            let word = |at: usize| u64::from_le_bytes(digest[at..at + 8].try_into().expect("8 bytes"));
            let pick = |at: usize, len: usize| usize::try_from(word(at) % len as u64).expect("below a usize length");
            ChallengeSample {
                blob_id: blobs.0[pick(0, blobs.len())],
                shard: shards[pick(8, shards.len())],
                symbol: u16::try_from(word(16) % u64::from(n_shards)).expect("below a u16"),
                axis: if digest[31] & 1 == 0 { SliverType::Primary } else { SliverType::Secondary },
            }
        })
        .collect()
}

/// A node's answer to one [`ChallengeSample`]; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeAnswer {
    /// The sliver pair the sampled shard stores of the blob.
    pub pair: SliverPairIndex,
    /// The sampled symbol of the sliver's expansion.
    #[serde(with = "serde_bytes")]
    pub symbol: Vec<u8>,
    /// The symbol's proof to the sliver's hash (leaf `sample.symbol` of `n`).
    pub symbol_proof: MerkleProof,
    /// The pair's hashes, as in the blob's metadata.
    pub pair_hashes: SliverPairMetadata,
    /// The pair's proof to the metadata root (leaf `pair` of `n`).
    pub pair_proof: MerkleProof,
    /// The blob's encoding type.
    pub encoding_type: EncodingType,
    /// The blob's length before encoding.
    pub unencoded_length: u64,
}

/// Why an answer could not be made or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// The sample names a symbol position outside the expansion.
    #[error("symbol {symbol} is out of range for {n_shards} shards")]
    SymbolOutOfRange {
        /// The position asked for.
        symbol: u16,
        /// The shard count.
        n_shards: u16,
    },
    /// The sliver handed to [`ChallengeAnswer::new`] is not the sampled one.
    #[error("the sample asks for the {axis} sliver of pair {pair}, got the {actual_axis} sliver {actual_index}")]
    WrongSliver {
        /// The sampled axis.
        axis: SliverType,
        /// The pair the sampled shard stores.
        pair: SliverPairIndex,
        /// The sliver's axis.
        actual_axis: SliverType,
        /// The sliver's index.
        actual_index: crate::SliverIndex,
    },
    /// The answer is for another pair than the sampled shard stores of the blob.
    #[error("answer for pair {actual}, shard {shard} stores pair {expected} of this blob")]
    WrongPair {
        /// The shard.
        shard: ShardIndex,
        /// The pair it stores.
        expected: SliverPairIndex,
        /// The pair answered.
        actual: SliverPairIndex,
    },
    /// The claimed length is not one the shard count can encode.
    #[error("the answer claims an unencodable length: {0}")]
    Length(#[source] EncodeError),
    /// The symbol has the wrong size for the claimed length.
    #[error("symbol of {actual} bytes, the blob's symbols have {expected}")]
    WrongSymbolSize {
        /// Bytes in the answer.
        actual: usize,
        /// The blob's symbol size.
        expected: u16,
    },
    /// The symbol's proof does not lead to the sliver's hash.
    #[error("the symbol's proof does not lead to the {axis} sliver hash: {source}")]
    BadSymbolProof {
        /// The sampled axis.
        axis: SliverType,
        /// Why.
        source: MerkleProofError,
    },
    /// The pair's proof is malformed.
    #[error("the sliver pair's proof is malformed: {0}")]
    BadPairProof(#[source] MerkleProofError),
    /// The proofs lead to another blob id.
    #[error("the answer's proofs lead to blob {computed}, not to the sampled {expected}")]
    BlobIdMismatch {
        /// The sampled blob.
        expected: BlobId,
        /// What the answer derives.
        computed: BlobId,
    },
}

impl ChallengeAnswer {
    /// The answer to `sample` from the node's `sliver` of the blob whose verified metadata is
    /// `metadata`. Costs one re-expansion of the sliver and one hash per pair.
    pub fn new(
        config: &EncodingConfig,
        metadata: &VerifiedBlobMetadata,
        sliver: &Sliver,
        sample: &ChallengeSample,
    ) -> Result<Self, ChallengeError> {
        let n_shards = config.n_shards();
        if sample.symbol >= n_shards {
            return Err(ChallengeError::SymbolOutOfRange { symbol: sample.symbol, n_shards });
        }
        let pair = pair_for_shard(sample.shard, &sample.blob_id, n_shards);
        if sliver.axis() != sample.axis || sliver.index() != pair.sliver_index(sample.axis, n_shards) {
            return Err(ChallengeError::WrongSliver {
                axis: sample.axis,
                pair,
                actual_axis: sliver.axis(),
                actual_index: sliver.index(),
            });
        }
        let (expansion, tree) = sliver.expansion_tree(config);
        let size = usize::from(sliver.symbol_size());
        let at = usize::from(sample.symbol);
        let pairs = metadata.metadata().hashes();
        let pair_tree =
            MerkleTree::from_leaf_hashes(pairs.iter().map(|hashes| merkle::leaf_hash(&hashes.leaf_input())).collect());
        Ok(Self {
            pair,
            symbol: expansion[at * size..(at + 1) * size].to_vec(),
            symbol_proof: tree.proof(at).expect("symbol checked below n"),
            pair_hashes: pairs[pair.as_usize()],
            pair_proof: pair_tree.proof(pair.as_usize()).expect("pair below n"),
            encoding_type: metadata.metadata().encoding_type(),
            unencoded_length: metadata.unencoded_length(),
        })
    }

    /// Checks the answer against the sample alone: the pair is the one the sampled shard
    /// stores, the symbol has the blob's symbol size and proves into the sliver hash, and the
    /// pair's hashes prove into a metadata root that derives the sampled blob id.
    pub fn verify(&self, config: &EncodingConfig, sample: &ChallengeSample) -> Result<(), ChallengeError> {
        let n_shards = config.n_shards();
        let n = config.n_shards_usize();
        if sample.symbol >= n_shards {
            return Err(ChallengeError::SymbolOutOfRange { symbol: sample.symbol, n_shards });
        }
        let expected = pair_for_shard(sample.shard, &sample.blob_id, n_shards);
        if self.pair != expected {
            return Err(ChallengeError::WrongPair { shard: sample.shard, expected, actual: self.pair });
        }
        let symbol_size = config.symbol_size_for(self.unencoded_length).map_err(ChallengeError::Length)?;
        if self.symbol.len() != usize::from(symbol_size) {
            return Err(ChallengeError::WrongSymbolSize { actual: self.symbol.len(), expected: symbol_size });
        }
        self.symbol_proof
            .verify(self.pair_hashes.hash(sample.axis), n, &self.symbol, usize::from(sample.symbol))
            .map_err(|source| ChallengeError::BadSymbolProof { axis: sample.axis, source })?;
        let leaf = merkle::leaf_hash(&self.pair_hashes.leaf_input());
        let root = self
            .pair_proof
            .root_from_leaf_hash(n, &leaf, self.pair.as_usize())
            .map_err(ChallengeError::BadPairProof)?;
        let computed = BlobId::derive(self.encoding_type, self.unencoded_length, &root);
        if computed != sample.blob_id {
            return Err(ChallengeError::BlobIdMismatch { expected: sample.blob_id, computed });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::encode;

    /// A blob of `len` bytes whose symbols differ (a constant blob has equal symbols, so a
    /// proof for one position would prove its equal neighbour too).
    fn blob(config: &EncodingConfig, len: usize, salt: u8) -> crate::EncodedBlob {
        let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt) ^ (i >> 8) as u8).collect();
        encode(config, &data).unwrap()
    }

    fn answer_for(config: &EncodingConfig, encoded: &crate::EncodedBlob, sample: &ChallengeSample) -> ChallengeAnswer {
        let pair = pair_for_shard(sample.shard, &sample.blob_id, config.n_shards());
        ChallengeAnswer::new(config, &encoded.metadata, encoded.pairs[pair.as_usize()].sliver(sample.axis), sample)
            .unwrap()
    }

    #[test]
    fn sixty_six_samples_catch_a_node_holding_ninety_percent_with_probability_above_999_per_mille() {
        // The arithmetic of the module docs.
        assert!(0.9f64.powi(SAMPLES_PER_NODE as i32) <= 0.001);
        assert!(0.9f64.powi(SAMPLES_PER_NODE as i32 - 1) > 0.001, "66 is the smallest such count");

        // And the sampler, counted: a node must hold 2 axes of 10 shards of 500 blobs (10,000
        // slivers) and lost exactly 10% of them. Over 20,000 epochs with fresh seeds, the epochs
        // in which no sample hit a lost sliver must be about 0.00095 * 20,000 = 19.
        let blobs = EligibleBlobs::new((0..500u32).map(|i| BlobId(merkle::blake2b256(&i.to_le_bytes()))).collect());
        let shards: Vec<ShardIndex> = (20..30).map(ShardIndex).collect();
        let mut all = Vec::new();
        for blob_id in blobs.as_slice() {
            for shard in &shards {
                for axis in [SliverType::Primary, SliverType::Secondary] {
                    all.push((*blob_id, *shard, axis));
                }
            }
        }
        let lost: HashSet<_> = all.iter().enumerate().filter(|(i, _)| i % 10 == 3).map(|(_, s)| *s).collect();
        assert_eq!(lost.len() * 10, all.len());
        let epochs = 20_000u32;
        let undetected = (0..epochs)
            .filter(|epoch| {
                let seed = merkle::blake2b256(&epoch.to_le_bytes());
                draw_samples(&seed, &[7; 32], &blobs, &shards, 100, SAMPLES_PER_NODE)
                    .iter()
                    .all(|s| !lost.contains(&(s.blob_id, s.shard, s.axis)))
            })
            .count();
        // Binomial(20,000, 0.00095): mean 19, standard deviation 4.4.
        assert!((5..=40).contains(&undetected), "{undetected} of {epochs} epochs missed the loss");
    }

    #[test]
    fn samples_depend_on_seed_and_node_and_cover_every_blob_shard_axis_and_symbol() {
        let blobs = EligibleBlobs::new((0..5u8).map(|i| BlobId([i; 32])).collect());
        let shards = [ShardIndex(1), ShardIndex(4)];
        let draw = |seed: u8, node: u8| draw_samples(&[seed; 32], &[node; 32], &blobs, &shards, 10, 400);
        assert_eq!(draw(1, 1), draw(1, 1), "deterministic");
        assert_ne!(draw(1, 1), draw(2, 1), "another seed");
        assert_ne!(draw(1, 1), draw(1, 2), "another node");
        let samples = draw(3, 3);
        assert_eq!(samples.iter().map(|s| s.blob_id).collect::<HashSet<_>>().len(), 5);
        assert_eq!(samples.iter().map(|s| s.shard).collect::<HashSet<_>>(), shards.into_iter().collect());
        assert_eq!(samples.iter().map(|s| s.axis).collect::<HashSet<_>>().len(), 2);
        assert_eq!(samples.iter().map(|s| s.symbol).collect::<HashSet<_>>(), (0..10).collect());
        assert!(draw_samples(&[1; 32], &[1; 32], &EligibleBlobs::default(), &shards, 10, 66).is_empty());
        assert!(draw_samples(&[1; 32], &[1; 32], &blobs, &[], 10, 66).is_empty());
    }

    #[test]
    fn the_order_blobs_are_listed_in_does_not_change_the_samples() {
        let ids: Vec<BlobId> = (0..9u8).map(|i| BlobId([i * 7; 32])).collect();
        let mut reversed = ids.clone();
        reversed.reverse();
        reversed.push(ids[0]);
        let draw =
            |blobs: Vec<BlobId>| draw_samples(&[5; 32], &[6; 32], &EligibleBlobs::new(blobs), &[ShardIndex(0)], 10, 30);
        assert_eq!(draw(ids), draw(reversed));
    }

    #[test]
    fn honest_answers_verify_for_every_shard_axis_and_symbol_and_survive_bcs() {
        let config = EncodingConfig::new(10).unwrap();
        for len in [0usize, 1, 777, 20_000] {
            let encoded = blob(&config, len, 3);
            let blob_id = *encoded.metadata.blob_id();
            for shard in 0..10 {
                for axis in [SliverType::Primary, SliverType::Secondary] {
                    for symbol in [0, 4, 9] {
                        let sample = ChallengeSample { blob_id, shard: ShardIndex(shard), axis, symbol };
                        let answer = answer_for(&config, &encoded, &sample);
                        answer.verify(&config, &sample).unwrap();
                        let decoded: ChallengeAnswer = bcs::from_bytes(&bcs::to_bytes(&answer).unwrap()).unwrap();
                        assert_eq!(decoded, answer);
                    }
                }
            }
        }
    }

    #[test]
    fn forged_answers_are_refused_naming_what_is_wrong() {
        let config = EncodingConfig::new(10).unwrap();
        let encoded = blob(&config, 5_000, 1);
        let other = blob(&config, 5_000, 2);
        let blob_id = *encoded.metadata.blob_id();
        let sample = ChallengeSample { blob_id, shard: ShardIndex(2), axis: SliverType::Secondary, symbol: 6 };
        let honest = answer_for(&config, &encoded, &sample);

        let mut flipped = honest.clone();
        flipped.symbol[0] ^= 1;
        assert!(matches!(flipped.verify(&config, &sample), Err(ChallengeError::BadSymbolProof { .. })));

        // Another symbol of the right sliver, offered for the sampled position.
        let mut moved = honest.clone();
        let other_position = answer_for(&config, &encoded, &ChallengeSample { symbol: 7, ..sample });
        moved.symbol = other_position.symbol;
        moved.symbol_proof = other_position.symbol_proof;
        assert!(matches!(moved.verify(&config, &sample), Err(ChallengeError::BadSymbolProof { .. })));

        // A valid answer for another blob does not answer this one.
        let other_id = *other.metadata.blob_id();
        let for_other = answer_for(&config, &other, &ChallengeSample { blob_id: other_id, ..sample });
        let error = ChallengeAnswer { pair: honest.pair, ..for_other }.verify(&config, &sample).unwrap_err();
        assert!(
            matches!(error, ChallengeError::BlobIdMismatch { .. } | ChallengeError::BadSymbolProof { .. }),
            "{error}"
        );

        let mut wrong_pair = honest.clone();
        wrong_pair.pair = SliverPairIndex((honest.pair.0 + 1) % 10);
        assert!(matches!(wrong_pair.verify(&config, &sample), Err(ChallengeError::WrongPair { .. })));

        let mut longer = honest.clone();
        longer.unencoded_length += 1;
        assert!(longer.verify(&config, &sample).is_err());

        let mut short = honest.clone();
        short.symbol.pop();
        assert!(matches!(short.verify(&config, &sample), Err(ChallengeError::WrongSymbolSize { .. })));

        let mut truncated_path = honest.clone();
        truncated_path.pair_proof = MerkleProof::new(honest.pair_proof.path()[1..].to_vec());
        assert!(matches!(truncated_path.verify(&config, &sample), Err(ChallengeError::BadPairProof(_))));

        assert!(matches!(
            honest.verify(&config, &ChallengeSample { symbol: 10, ..sample }),
            Err(ChallengeError::SymbolOutOfRange { .. })
        ));
    }

    #[test]
    fn an_answer_needs_the_sampled_sliver() {
        let config = EncodingConfig::new(10).unwrap();
        let encoded = blob(&config, 100, 9);
        let sample = ChallengeSample {
            blob_id: *encoded.metadata.blob_id(),
            shard: ShardIndex(0),
            axis: SliverType::Primary,
            symbol: 1,
        };
        let pair = pair_for_shard(sample.shard, &sample.blob_id, 10);
        let wrong_axis = encoded.pairs[pair.as_usize()].sliver(SliverType::Secondary);
        let wrong_pair = encoded.pairs[(pair.as_usize() + 1) % 10].sliver(SliverType::Primary);
        for sliver in [wrong_axis, wrong_pair] {
            assert!(matches!(
                ChallengeAnswer::new(&config, &encoded.metadata, sliver, &sample),
                Err(ChallengeError::WrongSliver { .. })
            ));
        }
    }
}
