//! Sliver recovery: rebuilding a lost sliver from single symbols of orthogonal slivers.
//!
//! Symbol `t` of the expansion of secondary sliver `c` is also symbol `c` of the expansion of
//! primary sliver `t` (both are cell `(t, c)` of the expanded matrix). So a node holding any
//! sliver can hand out one symbol for any orthogonal sliver, with a Merkle proof against its own
//! sliver's hash in the metadata. A lost primary sliver needs `n - f` such symbols, a lost
//! secondary sliver `n - 2f`: bandwidth about one sliver, not one blob.
//!
//! ```
//! use floe_encoder::{EncodingConfig, SliverIndex, SliverType, encode, recovery};
//!
//! let config = EncodingConfig::new(10).unwrap();
//! let encoded = encode(&config, &[7u8; 3000]).unwrap();
//! let target = SliverIndex(3); // primary sliver 3 is lost
//! // Nodes holding secondary slivers each give one symbol for it.
//! let symbols = encoded.pairs.iter().map(|pair| {
//!     recovery::recovery_symbols(&config, &pair.secondary, &[target]).unwrap().remove(0)
//! });
//! let rebuilt = recovery::recover_sliver(&config, &encoded.metadata, SliverType::Primary, target, symbols).unwrap();
//! assert_eq!(rebuilt, encoded.pairs[3].primary);
//! ```

use serde::{Deserialize, Serialize};

use crate::{
    EncodingConfig, SliverIndex, SliverType,
    code::with_code,
    error::{RecoveryError, SliverError},
    inconsistency::InconsistencyProof,
    merkle::MerkleProof,
    metadata::VerifiedBlobMetadata,
    sliver::Sliver,
};

/// One symbol of a sliver's expansion, offered to rebuild the orthogonal sliver `target_index`,
/// with its proof against the source sliver's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverySymbol {
    source_axis: SliverType,
    source_index: SliverIndex,
    target_index: SliverIndex,
    #[serde(with = "serde_bytes")]
    data: Vec<u8>,
    proof: MerkleProof,
}

impl RecoverySymbol {
    /// The axis of the sliver that produced the symbol.
    pub fn source_axis(&self) -> SliverType {
        self.source_axis
    }

    /// The index of the sliver that produced the symbol; also its position in the target.
    pub fn source_index(&self) -> SliverIndex {
        self.source_index
    }

    /// The axis of the sliver this symbol helps rebuild.
    pub fn target_axis(&self) -> SliverType {
        self.source_axis.orthogonal()
    }

    /// The index of the sliver this symbol helps rebuild.
    pub fn target_index(&self) -> SliverIndex {
        self.target_index
    }

    /// The symbol's bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The Merkle proof against the source sliver's hash.
    pub fn proof(&self) -> &MerkleProof {
        &self.proof
    }

    /// Checks the symbol's size and its proof against the metadata.
    pub fn verify(&self, config: &EncodingConfig, metadata: &VerifiedBlobMetadata) -> Result<(), RecoveryError> {
        let n_shards = config.n_shards();
        for index in [self.source_index, self.target_index] {
            if index.0 >= n_shards {
                return Err(RecoveryError::IndexOutOfRange { index, n_shards });
            }
        }
        let expected = metadata.symbol_size(config);
        if self.data.len() != usize::from(expected) {
            return Err(RecoveryError::WrongSymbolSize { actual: self.data.len(), expected });
        }
        let root = metadata.sliver_hash(self.source_axis, self.source_index).expect("index checked");
        self.proof.verify(root, config.n_shards_usize(), &self.data, self.target_index.as_usize()).map_err(|error| {
            RecoveryError::BadProof { source_axis: self.source_axis, source_index: self.source_index, error }
        })
    }
}

/// The symbols `sliver` contributes to each of the orthogonal slivers in `targets`.
pub fn recovery_symbols(
    config: &EncodingConfig,
    sliver: &Sliver,
    targets: &[SliverIndex],
) -> Result<Vec<RecoverySymbol>, SliverError> {
    sliver.check_shape(config)?;
    let n_shards = config.n_shards();
    if let Some(bad) = targets.iter().find(|target| target.0 >= n_shards) {
        return Err(SliverError::IndexOutOfRange { index: *bad, n_shards });
    }
    let (expansion, tree) = sliver.expansion_tree(config);
    let size = usize::from(sliver.symbol_size());
    Ok(targets
        .iter()
        .map(|target| {
            let at = target.as_usize();
            RecoverySymbol {
                source_axis: sliver.axis(),
                source_index: sliver.index(),
                target_index: *target,
                data: expansion[at * size..(at + 1) * size].to_vec(),
                proof: tree.proof(at).expect("target below n"),
            }
        })
        .collect())
}

/// Rebuilds sliver `target_index` of `target_axis` from recovery symbols. Every symbol is
/// checked; duplicates of a source are ignored. If the symbols are valid but rebuild a sliver
/// that does not match the metadata, the writer encoded the blob wrongly and the error carries
/// an [`InconsistencyProof`].
pub fn recover_sliver(
    config: &EncodingConfig,
    metadata: &VerifiedBlobMetadata,
    target_axis: SliverType,
    target_index: SliverIndex,
    symbols: impl IntoIterator<Item = RecoverySymbol>,
) -> Result<Sliver, RecoveryError> {
    let needed = usize::from(config.sliver_symbols(target_axis));
    let mut seen = vec![false; config.n_shards_usize()];
    let mut chosen = Vec::with_capacity(needed);
    for symbol in symbols {
        if symbol.target_axis() != target_axis || symbol.target_index != target_index {
            return Err(RecoveryError::WrongTarget {
                expected_axis: target_axis,
                expected_index: target_index,
                actual_axis: symbol.target_axis(),
                actual_index: symbol.target_index,
            });
        }
        symbol.verify(config, metadata)?;
        let slot = &mut seen[symbol.source_index.as_usize()];
        if !*slot {
            *slot = true;
            chosen.push(symbol);
            if chosen.len() == needed {
                break;
            }
        }
    }
    if chosen.len() < needed {
        return Err(RecoveryError::NotEnoughSymbols { axis: target_axis, got: chosen.len(), needed });
    }
    let sliver = decode_target(config, metadata, target_axis, target_index, &chosen);
    if Some(&sliver.hash(config)) == metadata.sliver_hash(target_axis, target_index) {
        Ok(sliver)
    } else {
        Err(RecoveryError::InconsistentEncoding(Box::new(InconsistencyProof::new(target_axis, target_index, chosen))))
    }
}

/// Decodes the target sliver from exactly the needed number of distinct, verified symbols.
pub(crate) fn decode_target(
    config: &EncodingConfig,
    metadata: &VerifiedBlobMetadata,
    target_axis: SliverType,
    target_index: SliverIndex,
    symbols: &[RecoverySymbol],
) -> Sliver {
    let symbol_size = metadata.symbol_size(config);
    let k = usize::from(config.sliver_symbols(target_axis));
    let data = with_code(k, config.n_shards_usize(), usize::from(symbol_size), |code| {
        code.decode(symbols.iter().map(|s| (s.source_index.as_usize(), s.data.as_slice())))
    });
    Sliver::new(target_axis, target_index, symbol_size, data).expect("whole symbols")
}
