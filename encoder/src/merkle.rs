//! Merkle trees over Blake2b-256, with inclusion proofs.
//!
//! A leaf is `H(0x00 ‖ data)`, an inner node `H(0x01 ‖ left ‖ right)`. A level with an odd number
//! of nodes is padded with an *empty* node, 32 zero bytes that are not hashed. The root of a tree
//! with no leaves is the empty node; the root of a single leaf is that leaf's hash.
//!
//! ```
//! use floe_encoder::merkle::MerkleTree;
//!
//! let leaves: Vec<Vec<u8>> = (0u8..5).map(|i| vec![i; 10]).collect();
//! let tree = MerkleTree::build(leaves.iter().map(|leaf| leaf.as_slice()));
//! let proof = tree.proof(3).unwrap();
//! assert!(proof.verify(&tree.root(), 5, &leaves[3], 3).is_ok());
//! assert!(proof.verify(&tree.root(), 5, &leaves[2], 3).is_err());
//! ```

use blake2b_simd::{
    Params,
    many::{HashManyJob, hash_many},
};
use serde::{Deserialize, Serialize};

#[cfg(target_arch = "x86_64")]
use crate::blake2b_lanes::{self, Lanes, MAX_LANES};
use crate::config::DIGEST_LEN;

/// A 32-byte digest.
pub type Digest = [u8; DIGEST_LEN];

const LEAF_PREFIX: u8 = 0x00;
const INNER_PREFIX: u8 = 0x01;
const EMPTY: Digest = [0; DIGEST_LEN];
/// Inputs hashed per SIMD pass at most: enough to fill the lanes several times over.
const MAX_BATCH: usize = 64;
/// Inputs hashed per SIMD pass at least: the four lanes of AVX2.
const MIN_BATCH: usize = 4;
/// Bytes of prefixed input staged per pass: small enough to stay in the L2 cache.
const STAGING_BYTES: usize = 128 * 1024;

thread_local! {
    /// Per-thread staging buffer, reused so hashing never allocates in the hot loop.
    static STAGING: core::cell::RefCell<Vec<u8>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// A node of a Merkle tree. BCS: `Empty` is the byte 0, `Digest` the byte 1 and 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Node {
    /// Padding, and the root of an empty tree: hashes as 32 zero bytes.
    Empty,
    /// A Blake2b-256 digest.
    Digest(Digest),
}

impl Node {
    /// The bytes that enter a parent's hash.
    pub const fn bytes(&self) -> Digest {
        match self {
            Self::Empty => EMPTY,
            Self::Digest(digest) => *digest,
        }
    }
}

fn params() -> Params {
    let mut params = Params::new();
    params.hash_length(DIGEST_LEN);
    params
}

/// Blake2b-256 of `data`.
pub fn blake2b256(data: &[u8]) -> Digest {
    to_digest(params().hash(data).as_bytes())
}

fn to_digest(bytes: &[u8]) -> Digest {
    bytes.try_into().expect("hash length is 32")
}

/// The hash of a leaf holding `data`.
pub fn leaf_hash(data: &[u8]) -> Digest {
    params().to_state().update(&[LEAF_PREFIX]).update(data).finalize().as_bytes().try_into().expect("32 bytes")
}

/// The hash of an inner node with the given children.
pub fn inner_hash(left: &Digest, right: &Digest) -> Digest {
    let mut input = [0u8; 1 + 2 * DIGEST_LEN];
    input[0] = INNER_PREFIX;
    input[1..1 + DIGEST_LEN].copy_from_slice(left);
    input[1 + DIGEST_LEN..].copy_from_slice(right);
    blake2b256(&input)
}

/// Hashes `prefix ‖ item` for each `item_len`-byte item of `items` into `out`, several inputs per
/// SIMD pass. This is the hot loop of encoding: every symbol of the expanded matrix and every inner
/// node goes through it.
///
/// Inputs that repeat are hashed once: a zero symbol's leaf, and the parent of two equal children
/// (see [`Repeats`]). A blob smaller than its matrix is zero-padded, and below a few hundred KiB at
/// 1000 shards whole rows of the expanded matrix are zero (a 100 B blob's rows 1 to 333 of 1000,
/// and its columns 50 to 666 as well). Their leaves, their trees and the zero runs of every other
/// tree are then constants, for the encoder and for every node checking a sliver alike.
pub(crate) fn hash_prefixed_items(prefix: u8, items: &[u8], item_len: usize, out: &mut [Digest]) {
    debug_assert_eq!(items.len(), item_len * out.len());
    let Some(first) = items.chunks_exact(item_len).position(|item| Repeats::applies(prefix, item)) else {
        return hash_distinct_items(prefix, items, item_len, out);
    };
    let (done, rest) = out.split_at_mut(first);
    hash_distinct_items(prefix, &items[..first * item_len], item_len, done);
    // Inputs after the first repeat: repeats from the memo, the others gathered and hashed together.
    let mut gathered = Vec::new();
    let mut positions = Vec::new();
    REPEATS.with_borrow_mut(|repeats| {
        for (position, (item, digest)) in
            items[first * item_len..].chunks_exact(item_len).zip(rest.iter_mut()).enumerate()
        {
            if Repeats::applies(prefix, item) {
                *digest = repeats.digest(prefix, item);
            } else {
                gathered.extend_from_slice(item);
                positions.push(position);
            }
        }
    });
    let mut digests = vec![EMPTY; positions.len()];
    hash_distinct_items(prefix, &gathered, item_len, &mut digests);
    for (position, digest) in positions.into_iter().zip(digests) {
        rest[position] = digest;
    }
}

/// The digests of repeating inputs, per thread: a zero symbol's leaf hash for each symbol size, and
/// `H(0x01 ‖ c ‖ c)` for each child digest `c` met twice side by side (the zero subtrees of each
/// height, whatever else repeats). The most recent [`Repeats::CAPACITY`] are kept.
#[derive(Default)]
struct Repeats {
    known: Vec<(RepeatKey, Digest)>,
    next: usize,
    /// The entry the last lookup found or added. Repeats come in runs (a zero run's leaves, then
    /// its level-one parents, and so on up the tree), so this is nearly always the one asked for
    /// next; without it each lookup scanned the memo, comparing 32-byte keys, which was a quarter
    /// of a node's check of a 100 B blob's sliver at 1000 shards.
    last: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RepeatKey {
    ZeroLeaf(usize),
    Doubled(Digest),
}

thread_local! {
    static REPEATS: core::cell::RefCell<Repeats> = core::cell::RefCell::new(Repeats::default());
}

impl Repeats {
    /// Enough for the zero subtrees of every height of a few symbol sizes at once.
    const CAPACITY: usize = 64;

    /// Whether `prefix ‖ item` is a repeating input: a zero symbol, or two equal children.
    fn applies(prefix: u8, item: &[u8]) -> bool {
        match prefix {
            LEAF_PREFIX => item.iter().all(|byte| *byte == 0),
            INNER_PREFIX => item.len() == 2 * DIGEST_LEN && item[..DIGEST_LEN] == item[DIGEST_LEN..],
            _ => false,
        }
    }

    /// The digest of `prefix ‖ item`, an input [`Repeats::applies`] to: from the memo, or hashed
    /// and remembered.
    fn digest(&mut self, prefix: u8, item: &[u8]) -> Digest {
        let key = if prefix == LEAF_PREFIX {
            RepeatKey::ZeroLeaf(item.len())
        } else {
            RepeatKey::Doubled(item[..DIGEST_LEN].try_into().expect("a child digest"))
        };
        if let Some((known, digest)) = self.known.get(self.last)
            && *known == key
        {
            return *digest;
        }
        if let Some(position) = self.known.iter().position(|(known, _)| *known == key) {
            self.last = position;
            return self.known[position].1;
        }
        let digest = params().to_state().update(&[prefix]).update(item).finalize();
        let digest = to_digest(digest.as_bytes());
        if self.known.len() < Self::CAPACITY {
            self.last = self.known.len();
            self.known.push((key, digest));
        } else {
            self.last = self.next;
            self.known[self.next] = (key, digest);
            self.next = (self.next + 1) % Self::CAPACITY;
        }
        digest
    }
}

/// [`hash_prefixed_items`] of inputs that are all hashed.
fn hash_distinct_items(prefix: u8, items: &[u8], item_len: usize, out: &mut [Digest]) {
    if out.is_empty() {
        return;
    }
    // A single input gains nothing from lanes: blake2b_simd hashes it alone.
    #[cfg(target_arch = "x86_64")]
    if out.len() > 1
        && let Some(lanes) = Lanes::for_len(item_len + 1)
    {
        return hash_prefixed_items_in_lanes(lanes, prefix, items, item_len, out);
    }
    let params = params();
    let stride = item_len + 1;
    let batch = (STAGING_BYTES / stride).clamp(MIN_BATCH, MAX_BATCH);
    STAGING.with_borrow_mut(|staging| {
        staging.resize(stride * batch, 0);
        for (items, out) in items.chunks(item_len * batch).zip(out.chunks_mut(batch)) {
            for (slot, item) in staging.chunks_exact_mut(stride).zip(items.chunks_exact(item_len)) {
                slot[0] = prefix;
                slot[1..].copy_from_slice(item);
            }
            // Only as many jobs as inputs: a job is a whole hash state, and the inner levels of
            // short runs pass a handful of inputs.
            let mut jobs: Vec<HashManyJob<'_>> =
                staging.chunks_exact(stride).take(out.len()).map(|input| HashManyJob::new(&params, input)).collect();
            hash_many(jobs.iter_mut());
            for (digest, job) in out.iter_mut().zip(&jobs) {
                *digest = to_digest(job.to_hash().as_bytes());
            }
        }
    });
}

/// `hash_prefixed_items` a kernel's lanes at a time (eight inputs per pass with AVX-512, four with
/// AVX2). Each input is staged as `prefix ‖ item` in a slot of whole blocks; the bytes after it are
/// zeroed once per call and never written again, since every input of a call has the same length
/// (only those bytes: zeroing whole slots on every call was a pass over 8 large symbols' worth of
/// memory per sliver checked). A last pass with lanes to spare hashes whatever the spare slots
/// still hold and drops those digests.
#[cfg(target_arch = "x86_64")]
fn hash_prefixed_items_in_lanes(lanes: Lanes, prefix: u8, items: &[u8], item_len: usize, out: &mut [Digest]) {
    let len = item_len + 1;
    let stride = blake2b_lanes::stride(len);
    let count = lanes.count();
    STAGING.with_borrow_mut(|staging| {
        staging.resize(count * stride, 0);
        for slot in staging.chunks_exact_mut(stride) {
            slot[len..].fill(0);
        }
        let mut digests = [EMPTY; MAX_LANES];
        for (items, out) in items.chunks(item_len * count).zip(out.chunks_mut(count)) {
            for (slot, item) in staging.chunks_exact_mut(stride).zip(items.chunks_exact(item_len)) {
                slot[0] = prefix;
                slot[1..len].copy_from_slice(item);
            }
            lanes.hash(staging, len, &mut digests);
            out.copy_from_slice(&digests[..out.len()]);
        }
    });
}

/// Leaf hashes of consecutive `symbol_size`-byte symbols.
pub(crate) fn hash_leaves(symbols: &[u8], symbol_size: usize, out: &mut [Digest]) {
    hash_prefixed_items(LEAF_PREFIX, symbols, symbol_size, out);
}

/// The root over precomputed leaf hashes, without keeping the tree.
pub(crate) fn root_of_leaf_hashes(leaves: &[Digest]) -> Node {
    match leaves.len() {
        0 => Node::Empty,
        1 => Node::Digest(leaves[0]),
        _ => {
            let mut level = leaves.to_vec();
            while level.len() > 1 {
                level = next_level(level);
            }
            Node::Digest(level[0])
        }
    }
}

/// Hashes pairs of `level` (padded with an empty node when odd) into the level above.
fn next_level(mut level: Vec<Digest>) -> Vec<Digest> {
    if level.len() % 2 == 1 {
        level.push(EMPTY);
    }
    let mut parents = vec![EMPTY; level.len() / 2];
    hash_prefixed_items(INNER_PREFIX, level.as_flattened(), 2 * DIGEST_LEN, &mut parents);
    parents
}

/// A Merkle root computed from leaf hashes fed in order, keeping only one pending node
/// per level: the encoder builds every row's tree this way while it walks the columns, instead
/// of holding all `n * n` leaf hashes.
#[derive(Debug, Clone, Default)]
pub(crate) struct StreamingRoot {
    /// `pending[h]` is a finished node of height `h` waiting for its right sibling.
    pending: Vec<Option<Digest>>,
    n_leaves: usize,
}

impl StreamingRoot {
    /// Adds the next leaf hashes. Runs of leaves that fill a whole subtree are hashed together,
    /// several nodes per SIMD pass (one at a time, each inner node is a single-lane hash: most of
    /// an encoding's row trees at small symbol sizes).
    pub(crate) fn extend(&mut self, leaves: &[Digest]) {
        let mut rest = leaves;
        let mut level = [EMPTY; MAX_BATCH];
        let mut parents = [EMPTY; MAX_BATCH / 2];
        while !rest.is_empty() {
            // The largest power of two of leaves that starts at a subtree boundary (pending
            // levels below it are empty there) and that the run still holds.
            let aligned = 1 << self.n_leaves.trailing_zeros().min(MAX_BATCH.trailing_zeros());
            let size = (1usize << rest.len().ilog2()).min(aligned).min(MAX_BATCH);
            let (block, tail) = rest.split_at(size);
            let mut width = size;
            level[..width].copy_from_slice(block);
            while width > 1 {
                width /= 2;
                hash_prefixed_items(
                    INNER_PREFIX,
                    level[..2 * width].as_flattened(),
                    2 * DIGEST_LEN,
                    &mut parents[..width],
                );
                level[..width].copy_from_slice(&parents[..width]);
            }
            self.push_subtree(size.trailing_zeros() as usize, level[0]);
            rest = tail;
        }
    }

    /// Adds the root of a full subtree of `2^height` leaves; the tree must hold a multiple of
    /// `2^height` leaves.
    fn push_subtree(&mut self, height: usize, root: Digest) {
        debug_assert_eq!(self.n_leaves % (1 << height), 0, "a subtree starts at its own boundary");
        self.n_leaves += 1 << height;
        if self.pending.len() < height {
            self.pending.resize(height, None);
        }
        let mut carry = root;
        for slot in &mut self.pending[height..] {
            match slot.take() {
                Some(left) => carry = inner_hash(&left, &carry),
                None => {
                    *slot = Some(carry);
                    return;
                }
            }
        }
        self.pending.push(Some(carry));
    }

    /// The root, as [`MerkleTree`] defines it: a level's odd last node pairs with an empty node.
    pub(crate) fn root(&self) -> Node {
        let mut carry: Option<Digest> = None;
        let mut level_len = self.n_leaves;
        for slot in &self.pending {
            if level_len <= 1 {
                break;
            }
            carry = match (*slot, carry) {
                (Some(left), Some(right)) => Some(inner_hash(&left, &right)),
                (Some(last), None) | (None, Some(last)) => Some(inner_hash(&last, &EMPTY)),
                (None, None) => None,
            };
            level_len = level_len.div_ceil(2);
        }
        match (self.n_leaves, carry) {
            (0, _) => Node::Empty,
            (_, Some(root)) => Node::Digest(root),
            // A full tree of 2^h leaves: the root is the single pending node.
            (_, None) => Node::Digest(self.pending.iter().rev().find_map(|slot| *slot).expect("at least one leaf")),
        }
    }
}

/// The number of siblings on a path from a leaf to the root: `ceil(log2(n_leaves))`.
pub const fn path_length(n_leaves: usize) -> usize {
    if n_leaves <= 1 { 0 } else { (n_leaves - 1).ilog2() as usize + 1 }
}

/// A Merkle tree kept whole, to produce inclusion proofs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    /// Level 0 is the leaves; each level excludes its padding node.
    levels: Vec<Vec<Digest>>,
}

impl MerkleTree {
    /// Builds the tree over the given leaf data.
    pub fn build<'a>(leaves: impl IntoIterator<Item = &'a [u8]>) -> Self {
        Self::from_leaf_hashes(leaves.into_iter().map(leaf_hash).collect())
    }

    /// Builds the tree over consecutive `symbol_size`-byte symbols.
    pub fn build_from_symbols(symbols: &[u8], symbol_size: usize) -> Self {
        let mut leaves = vec![EMPTY; symbols.len() / symbol_size];
        hash_leaves(symbols, symbol_size, &mut leaves);
        Self::from_leaf_hashes(leaves)
    }

    /// Builds the tree over precomputed leaf hashes.
    pub fn from_leaf_hashes(leaves: Vec<Digest>) -> Self {
        let mut levels = vec![leaves];
        while levels.last().expect("at least the leaves").len() > 1 {
            let level = levels.last().expect("at least the leaves").clone();
            levels.push(next_level(level));
        }
        Self { levels }
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.levels[0].len()
    }

    /// The root hash.
    pub fn root(&self) -> Node {
        match self.levels.last().expect("at least the leaves").as_slice() {
            [] => Node::Empty,
            [root] => Node::Digest(*root),
            _ => unreachable!("levels are built up to a single node"),
        }
    }

    /// The inclusion proof of leaf `index`.
    pub fn proof(&self, index: usize) -> Result<MerkleProof, MerkleProofError> {
        let n_leaves = self.n_leaves();
        if index >= n_leaves {
            return Err(MerkleProofError::LeafIndexOutOfBounds { index, n_leaves });
        }
        let mut path = Vec::with_capacity(path_length(n_leaves));
        let mut position = index;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = position ^ 1;
            path.push(level.get(sibling).map_or(Node::Empty, |digest| Node::Digest(*digest)));
            position /= 2;
        }
        Ok(MerkleProof { path })
    }
}

/// The siblings on the path from a leaf to the root, bottom up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerkleProof {
    path: Vec<Node>,
}

impl MerkleProof {
    /// A proof from its sibling path.
    pub fn new(path: Vec<Node>) -> Self {
        Self { path }
    }

    /// The sibling path.
    pub fn path(&self) -> &[Node] {
        &self.path
    }

    /// Checks that `leaf_data` is leaf `index` of the `n_leaves`-leaf tree with root `root`.
    pub fn verify(&self, root: &Node, n_leaves: usize, leaf_data: &[u8], index: usize) -> Result<(), MerkleProofError> {
        self.verify_leaf_hash(root, n_leaves, &leaf_hash(leaf_data), index)
    }

    /// Like [`verify`](Self::verify), for a leaf whose hash is already known.
    pub fn verify_leaf_hash(
        &self,
        root: &Node,
        n_leaves: usize,
        leaf: &Digest,
        index: usize,
    ) -> Result<(), MerkleProofError> {
        if self.root_from_leaf_hash(n_leaves, leaf, index)? == *root {
            Ok(())
        } else {
            Err(MerkleProofError::RootMismatch)
        }
    }

    /// The root that leaf `index` of an `n_leaves`-leaf tree, with hash `leaf`, has under this
    /// path: for checking against a value derived from the root (a blob id) rather than the
    /// root itself.
    pub fn root_from_leaf_hash(&self, n_leaves: usize, leaf: &Digest, index: usize) -> Result<Node, MerkleProofError> {
        if index >= n_leaves {
            return Err(MerkleProofError::LeafIndexOutOfBounds { index, n_leaves });
        }
        let expected = path_length(n_leaves);
        if self.path.len() != expected {
            return Err(MerkleProofError::WrongPathLength { len: self.path.len(), expected });
        }
        let mut current = *leaf;
        let mut position = index;
        for sibling in &self.path {
            current = if position.is_multiple_of(2) {
                inner_hash(&current, &sibling.bytes())
            } else {
                inner_hash(&sibling.bytes(), &current)
            };
            position /= 2;
        }
        Ok(Node::Digest(current))
    }
}

/// Why an inclusion proof was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MerkleProofError {
    /// The leaf index is outside the tree.
    #[error("leaf index {index} is out of bounds for a tree of {n_leaves} leaves")]
    LeafIndexOutOfBounds {
        /// The index asked for.
        index: usize,
        /// The tree's leaf count.
        n_leaves: usize,
    },
    /// The path does not have `ceil(log2(n_leaves))` siblings.
    #[error("the proof has {len} siblings, a tree of this size needs {expected}")]
    WrongPathLength {
        /// Siblings in the proof.
        len: usize,
        /// Siblings needed.
        expected: usize,
    },
    /// The path leads to a different root.
    #[error("the proof leads to a different root")]
    RootMismatch,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deliberately naive tree: the definition, level by level, with explicit padding.
    fn reference_root(leaves: &[Vec<u8>]) -> Node {
        if leaves.is_empty() {
            return Node::Empty;
        }
        let mut level: Vec<Digest> = leaves
            .iter()
            .map(|leaf| {
                let mut input = vec![0u8];
                input.extend_from_slice(leaf);
                blake2b256(&input)
            })
            .collect();
        while level.len() > 1 {
            if level.len() % 2 == 1 {
                level.push([0; 32]);
            }
            level = level
                .chunks(2)
                .map(|pair| {
                    let mut input = vec![1u8];
                    input.extend_from_slice(&pair[0]);
                    input.extend_from_slice(&pair[1]);
                    blake2b256(&input)
                })
                .collect();
        }
        Node::Digest(level[0])
    }

    fn leaves(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| (0..(i % 7 + 1)).map(|j| (i * 31 + j) as u8).collect()).collect()
    }

    #[test]
    fn every_proof_verifies_for_every_leaf_count_from_1_to_70() {
        for n in 1..=70 {
            let leaves = leaves(n);
            let tree = MerkleTree::build(leaves.iter().map(Vec::as_slice));
            assert_eq!(tree.root(), reference_root(&leaves), "n={n}");
            for (i, leaf) in leaves.iter().enumerate() {
                let proof = tree.proof(i).unwrap();
                assert_eq!(proof.path().len(), path_length(n));
                proof.verify(&tree.root(), n, leaf, i).unwrap();
                // The same proof does not vouch for another position or other data.
                if n > 1 {
                    assert!(proof.verify(&tree.root(), n, leaf, (i + 1) % n).is_err(), "n={n} i={i}");
                }
                assert_eq!(proof.verify(&tree.root(), n, b"not a leaf", i), Err(MerkleProofError::RootMismatch));
            }
        }
    }

    #[test]
    fn fast_root_equals_the_tree_root() {
        for n in 0..=70 {
            let leaves = leaves(n);
            let hashes: Vec<Digest> = leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
            assert_eq!(root_of_leaf_hashes(&hashes), reference_root(&leaves), "n={n}");
        }
    }

    #[test]
    fn streaming_root_fed_in_runs_equals_the_tree_root_for_every_leaf_count() {
        // Runs shorter than, equal to and longer than one SIMD batch, starting on and off the
        // subtree boundaries.
        for run in [1, 2, 3, 37, 64, 100] {
            for n in 0..=300 {
                let hashes: Vec<Digest> = (0..n).map(|i: usize| leaf_hash(&i.to_le_bytes())).collect();
                let mut streaming = StreamingRoot::default();
                for chunk in hashes.chunks(run) {
                    streaming.extend(chunk);
                }
                assert_eq!(streaming.root(), root_of_leaf_hashes(&hashes), "run={run} n={n}");
            }
        }
    }

    #[test]
    fn zero_symbols_of_each_size_have_their_own_leaf_hash() {
        // One after the other on one thread, nothing in between to push a size out of the memo.
        for symbol_size in [2usize, 6, 2, 64, 6] {
            let zeros = vec![0u8; 3 * symbol_size];
            let mut hashes = [EMPTY; 3];
            hash_leaves(&zeros, symbol_size, &mut hashes);
            assert_eq!(hashes, [leaf_hash(&zeros[..symbol_size]); 3], "size {symbol_size}");
        }
    }

    #[test]
    fn repeated_inputs_hash_as_the_plain_definition() {
        // Zero symbols in runs (whole zero subtrees, runs cut by subtree boundaries, a lone zero
        // symbol), and pairs of equal leaves: more distinct equal pairs than the memo keeps, so
        // it evicts and hashes again.
        for symbol_size in [2usize, 6, 64, 604] {
            for n in [1usize, 2, 3, 8, 70, 333, 1000] {
                let zero = vec![0u8; symbol_size];
                let patterns: [&dyn Fn(usize) -> Vec<u8>; 3] = [
                    &|i| if (1..n * 2 / 3).contains(&i) { zero.clone() } else { vec![i as u8 | 1; symbol_size] },
                    &|i| if i % 7 == 3 { zero.clone() } else { vec![(i % 251) as u8 | 1; symbol_size] },
                    &|i| vec![(i / 2 % 251) as u8; symbol_size],
                ];
                for (pattern, leaf_of) in patterns.iter().enumerate() {
                    let leaves: Vec<Vec<u8>> = (0..n).map(leaf_of).collect();
                    let expected = reference_root(&leaves);
                    let mut hashes = vec![EMPTY; n];
                    hash_leaves(leaves.concat().as_slice(), symbol_size, &mut hashes);
                    for (leaf, hash) in leaves.iter().zip(&hashes) {
                        assert_eq!(*hash, leaf_hash(leaf), "size {symbol_size} n {n} pattern {pattern}");
                    }
                    assert_eq!(root_of_leaf_hashes(&hashes), expected, "size {symbol_size} n {n} pattern {pattern}");
                    let mut streaming = StreamingRoot::default();
                    for run in hashes.chunks(37) {
                        streaming.extend(run);
                    }
                    assert_eq!(streaming.root(), expected, "size {symbol_size} n {n} pattern {pattern}");
                }
            }
        }
    }

    #[test]
    fn batched_leaf_hashing_equals_one_at_a_time() {
        for symbol_size in [2usize, 6, 64, 127, 128, 604] {
            let symbols: Vec<u8> = (0..symbol_size * 150).map(|i| (i * 7) as u8).collect();
            let mut batched = vec![[0; 32]; 150];
            hash_leaves(&symbols, symbol_size, &mut batched);
            for (digest, symbol) in batched.iter().zip(symbols.chunks(symbol_size)) {
                assert_eq!(*digest, leaf_hash(symbol));
            }
        }
    }

    #[test]
    fn empty_and_single_leaf_roots() {
        assert_eq!(MerkleTree::build(std::iter::empty()).root(), Node::Empty);
        let tree = MerkleTree::build([b"x".as_slice()]);
        assert_eq!(tree.root(), Node::Digest(leaf_hash(b"x")));
        assert!(tree.proof(0).unwrap().path().is_empty());
        assert!(matches!(tree.proof(1), Err(MerkleProofError::LeafIndexOutOfBounds { index: 1, n_leaves: 1 })));
    }

    #[test]
    fn tampered_or_truncated_proofs_are_refused() {
        let leaves = leaves(9);
        let tree = MerkleTree::build(leaves.iter().map(Vec::as_slice));
        let proof = tree.proof(4).unwrap();
        let mut path = proof.path().to_vec();
        path.pop();
        assert_eq!(
            MerkleProof::new(path).verify(&tree.root(), 9, &leaves[4], 4),
            Err(MerkleProofError::WrongPathLength { len: 3, expected: 4 })
        );
        let mut path = proof.path().to_vec();
        path[1] = Node::Digest([7; 32]);
        assert_eq!(MerkleProof::new(path).verify(&tree.root(), 9, &leaves[4], 4), Err(MerkleProofError::RootMismatch));
    }

    #[test]
    fn padding_sibling_is_an_empty_node_in_the_proof_bcs() {
        let leaves = leaves(3);
        let tree = MerkleTree::build(leaves.iter().map(Vec::as_slice));
        let proof = tree.proof(2).unwrap();
        assert_eq!(proof.path()[0], Node::Empty);
        let bytes = bcs::to_bytes(&proof).unwrap();
        assert_eq!(bytes[0], 2); // two siblings
        assert_eq!(bytes[1], 0); // the first is Empty
        assert_eq!(bcs::from_bytes::<MerkleProof>(&bytes).unwrap(), proof);
    }
}
