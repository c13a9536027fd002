//! Slivers: the rows (primary) and columns (secondary) of the encoded blob that shards store.
//!
//! A sliver's hash is the Merkle root over its *expansion*: the sliver encoded on the orthogonal
//! axis to all `n` symbols, i.e. the full row or column of the expanded matrix. That lets a node
//! holding one sliver hand out single symbols of orthogonal slivers with a proof against the
//! metadata ([`crate::recovery`]).
//!
//! ```
//! use floe_encoder::{EncodingConfig, SliverType, encode};
//!
//! let config = EncodingConfig::new(7).unwrap();
//! let encoded = encode(&config, b"some bytes to store").unwrap();
//! let pair = &encoded.pairs[2];
//! assert_eq!(pair.primary.axis(), SliverType::Primary);
//! assert!(encoded.metadata.verify_sliver(&config, &pair.secondary).is_ok());
//! let bytes = pair.primary.to_bcs();
//! let back = floe_encoder::Sliver::from_bcs(SliverType::Primary, &bytes).unwrap();
//! assert_eq!(back, pair.primary);
//! ```

use bytes::Bytes;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    EncodingConfig, SliverIndex, SliverPairIndex, SliverType,
    code::{self, Packing, with_code},
    error::SliverError,
    merkle::{self, MerkleTree, Node},
    scratch::ScratchPool,
};

/// One sliver: `axis`, position, and its symbols.
///
/// The symbols are shared [`Bytes`]: a clone, or a request body made of them
/// ([`Sliver::wire_parts`]), costs a reference count, not a copy of megabytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sliver {
    axis: SliverType,
    index: SliverIndex,
    symbol_size: u16,
    data: Bytes,
}

/// A sliver as it travels (BCS): `{ symbols: { data: bytes, symbol_size: u16 }, index: u16 }`, as
/// Walrus sends slivers. The axis travels outside (in the URL, or beside it in a batch), so this
/// becomes a [`Sliver`] only with its axis ([`WireSliver::into_sliver`]). A `Sliver` serializes
/// to this same form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSliver {
    symbols: WireSymbols,
    index: u16,
}

impl WireSliver {
    /// The sliver of `axis`, if its symbols are well formed.
    pub fn into_sliver(self, axis: SliverType) -> Result<Sliver, SliverError> {
        Sliver::new(axis, SliverIndex(self.index), self.symbols.symbol_size, self.symbols.data)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct WireSymbols {
    // One length and one copy, not a `u8` visited per byte: the same BCS, decoded at the speed
    // of a copy (every sliver a node receives or a reader fetches is decoded).
    #[serde(with = "shared_bytes")]
    data: Bytes,
    symbol_size: u16,
}

/// [`Bytes`] as a BCS byte string, through `serde_bytes` (one length, one copy).
mod shared_bytes {
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(data: &Bytes, serializer: S) -> Result<S::Ok, S::Error> {
        serde_bytes::serialize(&data[..], serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
        serde_bytes::ByteBuf::deserialize(deserializer).map(|data| Bytes::from(data.into_vec()))
    }
}

/// A [`WireSliver`] borrowed from the buffer it is decoded from (deserialized from a slice of
/// it): [`WireSliverIn::within`] makes it a `WireSliver` whose symbols are that buffer's own
/// bytes, shared rather than copied. A batch of slivers arrives as one request body; its slivers
/// are slices of it.
#[derive(Debug, Deserialize)]
pub struct WireSliverIn<'a> {
    #[serde(borrow)]
    symbols: WireSymbolsIn<'a>,
    index: u16,
}

#[derive(Debug, Deserialize)]
struct WireSymbolsIn<'a> {
    #[serde(borrow, with = "serde_bytes")]
    data: &'a [u8],
    symbol_size: u16,
}

impl WireSliverIn<'_> {
    /// The sliver, its symbols shared with `buffer`, the buffer this was decoded from.
    ///
    /// # Panics
    /// If the symbols do not lie inside `buffer`.
    pub fn within(self, buffer: &Bytes) -> WireSliver {
        WireSliver {
            symbols: WireSymbols { data: buffer.slice_ref(self.symbols.data), symbol_size: self.symbols.symbol_size },
            index: self.index,
        }
    }
}

impl Sliver {
    /// A sliver from its parts; the symbol size must be positive and even and divide the data.
    pub fn new(
        axis: SliverType,
        index: SliverIndex,
        symbol_size: u16,
        data: impl Into<Bytes>,
    ) -> Result<Self, SliverError> {
        let data = data.into();
        if symbol_size == 0 || !symbol_size.is_multiple_of(2) {
            return Err(SliverError::InvalidSymbolSize(symbol_size));
        }
        if !data.len().is_multiple_of(usize::from(symbol_size)) {
            return Err(SliverError::RaggedData { len: data.len(), symbol_size });
        }
        Ok(Self { axis, index, symbol_size, data })
    }

    /// Decodes the BCS wire form of a sliver of `axis`.
    pub fn from_bcs(axis: SliverType, bytes: &[u8]) -> Result<Self, SliverError> {
        Self::from_shared_bcs(axis, &Bytes::copy_from_slice(bytes))
    }

    /// Decodes a BCS sliver of `axis` held in shared bytes (an HTTP body, or a slice of one):
    /// its symbols are those bytes, not a copy of them.
    pub fn from_shared_bcs(axis: SliverType, bytes: &Bytes) -> Result<Self, SliverError> {
        let wire: WireSliverIn<'_> = bcs::from_bytes(bytes).map_err(SliverError::Malformed)?;
        wire.within(bytes).into_sliver(axis)
    }

    /// The BCS wire form.
    pub fn to_bcs(&self) -> Vec<u8> {
        crate::wire::to_bcs(self).expect("BCS of bytes and integers cannot fail")
    }

    /// Primary (a row) or secondary (a column).
    pub fn axis(&self) -> SliverType {
        self.axis
    }

    /// Position on its axis.
    pub fn index(&self) -> SliverIndex {
        self.index
    }

    /// The pair this sliver belongs to among `n_shards`, or None if its index is not below
    /// `n_shards` (a sliver decoded from someone else's bytes and not checked yet).
    pub fn pair_index(&self, n_shards: u16) -> Option<SliverPairIndex> {
        (self.index.0 < n_shards).then(|| self.index.pair_index(self.axis, n_shards))
    }

    /// Bytes per symbol.
    pub fn symbol_size(&self) -> u16 {
        self.symbol_size
    }

    /// Number of symbols.
    pub fn n_symbols(&self) -> usize {
        self.data.len() / usize::from(self.symbol_size)
    }

    /// The raw symbols, concatenated.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The raw symbols, taken out of the sliver (copied only if they are shared).
    pub fn into_data(self) -> Vec<u8> {
        self.data.into()
    }

    /// The BCS wire form ([`WireSliver`]) as three pieces: the length prefix of the symbols, the
    /// symbols themselves (shared, not copied), and what follows them. Concatenated they are
    /// [`Sliver::to_bcs`]; a request body made of them sends the sliver without copying it.
    pub fn wire_parts(&self) -> [Bytes; 3] {
        let mut prefix = Vec::with_capacity(5);
        crate::wire::push_length(self.data.len(), &mut prefix);
        let mut suffix = Vec::with_capacity(4);
        suffix.extend_from_slice(&self.symbol_size.to_le_bytes());
        suffix.extend_from_slice(&self.index.0.to_le_bytes());
        [prefix.into(), self.data.clone(), suffix.into()]
    }

    /// Symbol `i`.
    pub fn symbol(&self, i: usize) -> Option<&[u8]> {
        let size = usize::from(self.symbol_size);
        self.data.get(i * size..(i + 1) * size)
    }

    /// Checks index range and symbol count for `config` (not the contents).
    pub fn check_shape(&self, config: &EncodingConfig) -> Result<(), SliverError> {
        if self.index.0 >= config.n_shards() {
            return Err(SliverError::IndexOutOfRange { index: self.index, n_shards: config.n_shards() });
        }
        let expected = usize::from(config.sliver_symbols(self.axis));
        if self.n_symbols() != expected {
            return Err(SliverError::WrongSymbolCount { axis: self.axis, actual: self.n_symbols(), expected });
        }
        Ok(())
    }

    /// All `n` symbols of the sliver's row or column of the expanded matrix.
    /// The shape must have been checked.
    pub(crate) fn expansion(&self, config: &EncodingConfig) -> Vec<u8> {
        let k = usize::from(config.sliver_symbols(self.axis));
        with_code(k, config.n_shards_usize(), usize::from(self.symbol_size), |code| code.expand(&self.data))
    }

    /// The sliver's hash, the Merkle root over its expansion. The shape must have been checked.
    pub fn hash(&self, config: &EncodingConfig) -> Node {
        expansion_root(config, self.axis, usize::from(self.symbol_size), &self.data)
    }

    /// The hashes of `slivers`, in order, each as [`Sliver::hash`] gives it. Slivers of one axis
    /// and symbol size are expanded several at a time where their symbols are up to 256 bytes
    /// (`code::Packing`: one codec pass expands 32 slivers of 2-byte symbols in one
    /// 64-byte chunk, or 8 of 48-byte ones in a 512-byte shard), in parallel. Shapes must have
    /// been checked.
    ///
    /// The work runs on rayon's pool, one thread per core, and the caller waits: a storage node
    /// checks each upload request's batch on a thread of its own (tokio's blocking pool), and a
    /// batch of one sliver ran there, beside tens of others, each taking codecs and buffers
    /// (`crate::scratch`) beyond the per-core ones the pools keep, fresh pages every time.
    pub fn hashes(config: &EncodingConfig, slivers: &[&Sliver]) -> Vec<Node> {
        rayon::scope(|_| Self::hashes_here(config, slivers))
    }

    /// [`Sliver::hashes`] on the calling thread (and, for its parallel parts, rayon's).
    fn hashes_here(config: &EncodingConfig, slivers: &[&Sliver]) -> Vec<Node> {
        let shape = |i: usize| (slivers[i].axis, slivers[i].symbol_size);
        let mut order: Vec<usize> = (0..slivers.len()).collect();
        order.sort_by_key(|&i| shape(i));
        let groups: Vec<&[usize]> = order.chunk_by(|&a, &b| shape(a) == shape(b)).collect();
        let group_roots: Vec<Vec<Node>> = groups
            .par_iter()
            .map(|group| {
                let (axis, symbol_size) = shape(group[0]);
                let datas: Vec<&[u8]> = group.iter().map(|&i| &slivers[i].data[..]).collect();
                expansion_roots(config, axis, usize::from(symbol_size), &datas)
            })
            .collect();
        let mut roots = vec![Node::Empty; slivers.len()];
        for (group, group_roots) in groups.iter().zip(group_roots) {
            for (&i, root) in group.iter().zip(group_roots) {
                roots[i] = root;
            }
        }
        roots
    }

    /// The Merkle tree over the expansion, and the expansion, for handing out recovery symbols.
    pub(crate) fn expansion_tree(&self, config: &EncodingConfig) -> (Vec<u8>, MerkleTree) {
        let expansion = self.expansion(config);
        let tree = MerkleTree::build_from_symbols(&expansion, usize::from(self.symbol_size));
        (expansion, tree)
    }
}

/// Buffers for hashing expansions (the parity part and the leaf hashes), reused across slivers.
static EXPANSION: ScratchPool<(Vec<u8>, Vec<merkle::Digest>)> = ScratchPool::new();

/// The hash of the sliver of `axis` holding `data`: the Merkle root over its expansion.
///
/// The expansion is the sliver's own `k` symbols followed by `n - k` parity symbols, so the
/// sliver is hashed where it lies and only the parity is written out: copying the sliver into an
/// expansion first was a third of what checking a large sliver copied.
pub(crate) fn expansion_root(config: &EncodingConfig, axis: SliverType, symbol_size: usize, data: &[u8]) -> Node {
    let k = usize::from(config.sliver_symbols(axis));
    let n = config.n_shards_usize();
    EXPANSION.with_any(|(parity, leaves)| {
        parity.resize((n - k) * symbol_size, 0);
        with_code(k, n, symbol_size, |code| code.parity_into(data, parity));
        leaves.resize(n, [0; 32]);
        merkle::hash_leaves(data, symbol_size, &mut leaves[..k]);
        merkle::hash_leaves(parity, symbol_size, &mut leaves[k..]);
        merkle::root_of_leaf_hashes(leaves)
    })
}

/// Slivers expanded together by [`expansion_roots`] at most, which bounds the parity it holds
/// (64 slivers of 256-byte symbols at 1000 shards: 11 MiB). A node's batch of one blob's slivers
/// is one pass up to this, coded in packed calls all of one width.
const EXPANDED_AT_ONCE: usize = 64;

/// [`expansion_root`] of each of `datas` (slivers of `axis`), in order: up to
/// [`EXPANDED_AT_ONCE`] at a time, their parity in packed codec calls ([`code::parities_into`]),
/// their trees in parallel.
pub(crate) fn expansion_roots<D: AsRef<[u8]> + Sync>(
    config: &EncodingConfig,
    axis: SliverType,
    symbol_size: usize,
    datas: &[D],
) -> Vec<Node> {
    // One sliver alone (a sliver uploaded by itself) is coded as it is, not packed.
    if Packing::new(symbol_size).per_parity_call() == 1 || datas.len() == 1 {
        return datas.par_iter().map(|data| expansion_root(config, axis, symbol_size, data.as_ref())).collect();
    }
    let k = usize::from(config.sliver_symbols(axis));
    let n = config.n_shards_usize();
    let mut roots = Vec::with_capacity(datas.len());
    for datas in datas.chunks(EXPANDED_AT_ONCE) {
        let mut parities = vec![vec![0u8; (n - k) * symbol_size]; datas.len()];
        code::parities_into(k, n, symbol_size, datas, &mut parities);
        let these: Vec<Node> = datas
            .par_iter()
            .zip(&parities)
            .map_init(
                || vec![[0u8; 32]; n],
                |leaves, (data, parity)| {
                    merkle::hash_leaves(data.as_ref(), symbol_size, &mut leaves[..k]);
                    merkle::hash_leaves(parity, symbol_size, &mut leaves[k..]);
                    merkle::root_of_leaf_hashes(leaves)
                },
            )
            .collect();
        roots.extend(these);
    }
    roots
}

/// The wire form of a [`WireSliver`], without its axis; its data copied once, straight from the
/// sliver.
impl Serialize for Sliver {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireSliverRef {
            symbols: WireSymbolsRef { data: &self.data, symbol_size: self.symbol_size },
            index: self.index.0,
        }
        .serialize(serializer)
    }
}

#[derive(Serialize)]
struct WireSliverRef<'a> {
    symbols: WireSymbolsRef<'a>,
    index: u16,
}

#[derive(Serialize)]
struct WireSymbolsRef<'a> {
    #[serde(with = "serde_bytes")]
    data: &'a [u8],
    symbol_size: u16,
}

/// What one shard stores of a blob: primary sliver `p` and secondary sliver `n - 1 - p`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliverPair {
    /// Primary sliver `p`.
    pub primary: Sliver,
    /// Secondary sliver `n - 1 - p`.
    pub secondary: Sliver,
}

impl SliverPair {
    /// The pair's index, from its primary sliver.
    pub fn index(&self) -> SliverPairIndex {
        SliverPairIndex(self.primary.index.0)
    }

    /// The sliver of `axis`.
    pub fn sliver(&self, axis: SliverType) -> &Sliver {
        match axis {
            SliverType::Primary => &self.primary,
            SliverType::Secondary => &self.secondary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcs_is_data_then_symbol_size_then_index() {
        let sliver = Sliver::new(SliverType::Secondary, SliverIndex(0x0102), 2, vec![9, 8, 7, 6]).unwrap();
        assert_eq!(sliver.to_bcs(), vec![4, 9, 8, 7, 6, 2, 0, 0x02, 0x01]);
        assert_eq!(Sliver::from_bcs(SliverType::Secondary, &sliver.to_bcs()).unwrap(), sliver);
    }

    #[test]
    fn the_wire_parts_concatenated_are_the_bcs_and_share_the_symbols() {
        // Lengths whose ULEB128 prefix takes one, two and three bytes, and each boundary.
        for len in [0usize, 2, 126, 128, 130, 16_382, 16_384, 1 << 20] {
            let sliver = Sliver::new(SliverType::Primary, SliverIndex(0x0304), 2, vec![7u8; len]).unwrap();
            let parts = sliver.wire_parts();
            assert_eq!(parts.concat(), sliver.to_bcs(), "{len} bytes");
            assert_eq!(parts[1].as_ptr(), sliver.data().as_ptr(), "the symbols are not copied");
        }
    }

    #[test]
    fn a_sliver_decoded_from_shared_bytes_is_a_slice_of_them() {
        let sliver = Sliver::new(SliverType::Secondary, SliverIndex(9), 4, vec![3u8; 400]).unwrap();
        let bytes = Bytes::from(sliver.to_bcs());
        let shared = Sliver::from_shared_bcs(SliverType::Secondary, &bytes).unwrap();
        assert_eq!(shared, sliver);
        assert_eq!(shared, Sliver::from_bcs(SliverType::Secondary, &bytes).unwrap());
        assert!(bytes.as_ptr_range().contains(&shared.data().as_ptr()), "the symbols are not copied");
        // Cut short, one byte too many, or ragged symbols: refused, as by `from_bcs`.
        for bad in [bytes.slice(..bytes.len() - 1), Bytes::from([&bytes[..], &[0]].concat())] {
            assert!(Sliver::from_shared_bcs(SliverType::Secondary, &bad).is_err());
        }
        let ragged = Bytes::from(bcs::to_bytes(&(vec![1u8; 6], 4u16, 9u16)).unwrap());
        assert!(matches!(
            Sliver::from_shared_bcs(SliverType::Secondary, &ragged),
            Err(SliverError::RaggedData { len: 6, symbol_size: 4 })
        ));
    }

    #[test]
    fn hashes_together_equal_hashes_one_at_a_time() {
        // 100 B at 100 shards has 2-byte symbols (packed many to a chunk), 100 KB 44-byte ones
        // (8 codewords to a call), 200 KB 88-byte ones (a chunk and a tail each, 4 to a call);
        // both axes, out of order, all slivers of a blob (more than one pass of
        // EXPANDED_AT_ONCE), then batches smaller than a packed call.
        for len in [100usize, 100_000, 200_000] {
            let config = EncodingConfig::new(100).unwrap();
            let blob: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let encoded = crate::encode(&config, &blob).unwrap();
            let slivers: Vec<&Sliver> =
                encoded.pairs.iter().rev().flat_map(|pair| [&pair.secondary, &pair.primary]).collect();
            let one_at_a_time: Vec<Node> = slivers.iter().map(|sliver| sliver.hash(&config)).collect();
            assert_eq!(Sliver::hashes(&config, &slivers), one_at_a_time, "blob of {len} bytes");
            for few in [2, 3, 5] {
                assert_eq!(Sliver::hashes(&config, &slivers[..few]), one_at_a_time[..few], "{few} of {len} bytes");
            }
        }
    }

    #[test]
    fn a_slivers_hash_is_the_root_over_its_whole_expansion_whatever_was_hashed_before() {
        // One thread reuses its buffers across shapes: large symbols at 100 shards, then small
        // ones at 10 and back, each against the tree built over the expansion written out whole.
        let shapes = [(100, 200_000), (10, 300), (100, 5_000), (10, 1_000_000)];
        for (n, len) in shapes.into_iter().chain(shapes.into_iter().rev()) {
            let config = EncodingConfig::new(n).unwrap();
            let blob: Vec<u8> = (0..len).map(|i| (i * 13 + n as usize) as u8).collect();
            let encoded = crate::encode(&config, &blob).unwrap();
            for sliver in [&encoded.pairs[0].primary, &encoded.pairs[1].secondary] {
                let (_, tree) = sliver.expansion_tree(&config);
                assert_eq!(sliver.hash(&config), tree.root(), "n = {n}, {len} bytes, {:?}", sliver.axis);
            }
        }
    }

    #[test]
    fn a_batch_verification_names_each_sliver_that_fails() {
        let config = EncodingConfig::new(10).unwrap();
        let encoded = crate::encode(&config, &[5u8; 300]).unwrap();
        let mut tampered = encoded.pairs[3].primary.clone();
        let mut data = tampered.data.to_vec();
        data[0] ^= 1;
        tampered.data = data.into();
        let short = Sliver::new(
            SliverType::Secondary,
            SliverIndex(2),
            tampered.symbol_size,
            vec![0; usize::from(tampered.symbol_size)],
        )
        .unwrap();
        let batch = [&encoded.pairs[0].primary, &tampered, &short, &encoded.pairs[1].secondary];
        let results = encoded.metadata.verify_slivers(&config, &batch);
        assert_eq!(results[0], Ok(()));
        assert_eq!(results[1], Err(SliverError::HashMismatch { axis: SliverType::Primary, index: SliverIndex(3) }));
        assert!(matches!(results[2], Err(SliverError::WrongSymbolCount { .. })), "{:?}", results[2]);
        assert_eq!(results[3], Ok(()));
    }

    #[test]
    fn slivers_of_many_blobs_are_each_checked_against_their_own_blobs_metadata() {
        let config = EncodingConfig::new(10).unwrap();
        // Same shape (one group, hashed together), different blobs.
        let (a, b) = (crate::encode(&config, &[5u8; 300]).unwrap(), crate::encode(&config, &[6u8; 300]).unwrap());
        let checks = [
            (&a.metadata, &a.pairs[0].primary),
            (&b.metadata, &b.pairs[0].primary),
            (&a.metadata, &b.pairs[1].secondary),
            (&b.metadata, &b.pairs[2].secondary),
        ];
        let results = crate::metadata::VerifiedBlobMetadata::verify_each(&config, &checks);
        assert_eq!(results[..2], [Ok(()), Ok(())]);
        assert_eq!(
            results[2],
            Err(SliverError::HashMismatch { axis: SliverType::Secondary, index: b.pairs[1].secondary.index })
        );
        assert_eq!(results[3], Ok(()));
    }

    #[test]
    fn malformed_slivers_are_refused_with_the_reason() {
        assert_eq!(
            Sliver::new(SliverType::Primary, SliverIndex(0), 3, vec![0; 6]),
            Err(SliverError::InvalidSymbolSize(3))
        );
        assert_eq!(
            Sliver::new(SliverType::Primary, SliverIndex(0), 4, vec![0; 6]),
            Err(SliverError::RaggedData { len: 6, symbol_size: 4 })
        );
        assert!(matches!(Sliver::from_bcs(SliverType::Primary, &[200]), Err(SliverError::Malformed(_))));
        // Trailing garbage after a valid sliver is refused too.
        let mut bytes = Sliver::new(SliverType::Primary, SliverIndex(1), 2, vec![1, 2]).unwrap().to_bcs();
        bytes.push(0);
        assert!(matches!(Sliver::from_bcs(SliverType::Primary, &bytes), Err(SliverError::Malformed(_))));
        let config = EncodingConfig::new(4).unwrap();
        let short = Sliver::new(SliverType::Primary, SliverIndex(1), 2, vec![1, 2]).unwrap();
        assert_eq!(
            short.check_shape(&config),
            Err(SliverError::WrongSymbolCount { axis: SliverType::Primary, actual: 1, expected: 3 })
        );
        let far = Sliver::new(SliverType::Primary, SliverIndex(4), 2, vec![0; 6]).unwrap();
        assert_eq!(far.check_shape(&config), Err(SliverError::IndexOutOfRange { index: SliverIndex(4), n_shards: 4 }));
    }

    /// Found by the `sliver` fuzz target: a decoded secondary sliver whose index is beyond the
    /// shard count made `pair_index` subtract past zero.
    #[test]
    fn a_decoded_sliver_with_an_index_beyond_the_shards_has_no_pair() {
        let sliver = Sliver::from_bcs(SliverType::Secondary, &[0x00, 0x50, 0x50, 0x00, 0x01]).unwrap();
        assert!(sliver.index().0 >= 10);
        assert_eq!(sliver.pair_index(10), None);
        let inside = Sliver::new(SliverType::Secondary, SliverIndex(2), 2, vec![0; 4]).unwrap();
        assert_eq!(inside.pair_index(10), Some(SliverPairIndex(7)));
    }
}
