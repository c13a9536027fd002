//! Inconsistency proofs: evidence, checkable by anyone, that a blob's writer encoded it wrongly.
//!
//! A node that rebuilds one of its slivers from valid recovery symbols (each proven against the
//! metadata) and finds that the result does not hash to the metadata knows the writer lied: an
//! honest encoding decodes to the committed sliver from *any* set of valid symbols. The proof is
//! that set: exactly as many symbols as the code needs, each with its Merkle proof. Nodes that
//! check it sign an invalid-blob-id message (see [`crate::messages`]).
//!
//! ```
//! use floe_encoder::{EncodingConfig, SliverIndex, SliverType, encode, recovery};
//! use floe_encoder::inconsistency::InconsistencyProof;
//!
//! let config = EncodingConfig::new(4).unwrap();
//! let encoded = encode(&config, b"honest").unwrap();
//! let target = SliverIndex(0);
//! let symbols: Vec<_> = encoded.pairs[..2].iter().map(|pair| {
//!     recovery::recovery_symbols(&config, &pair.primary, &[target]).unwrap().remove(0)
//! }).collect();
//! // For an honest blob the "proof" proves nothing.
//! let proof = InconsistencyProof::new(SliverType::Secondary, target, symbols);
//! assert!(proof.verify(&config, &encoded.metadata).is_err());
//! ```

use serde::{Deserialize, Serialize};

use crate::{
    EncodingConfig, SliverIndex, SliverType,
    error::RecoveryError,
    metadata::VerifiedBlobMetadata,
    recovery::{RecoverySymbol, decode_target},
};

/// The symbols that rebuild sliver `target_index` of `target_axis` into something that does not
/// match the metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InconsistencyProof {
    target_axis: SliverType,
    target_index: SliverIndex,
    symbols: Vec<RecoverySymbol>,
}

impl InconsistencyProof {
    /// A proof from its parts (checked only by [`verify`](Self::verify)).
    pub fn new(target_axis: SliverType, target_index: SliverIndex, symbols: Vec<RecoverySymbol>) -> Self {
        Self { target_axis, target_index, symbols }
    }

    /// The axis of the sliver that fails to match.
    pub fn target_axis(&self) -> SliverType {
        self.target_axis
    }

    /// The index of the sliver that fails to match.
    pub fn target_index(&self) -> SliverIndex {
        self.target_index
    }

    /// The symbols.
    pub fn symbols(&self) -> &[RecoverySymbol] {
        &self.symbols
    }

    /// `Ok` when the proof shows the blob is inconsistently encoded.
    pub fn verify(&self, config: &EncodingConfig, metadata: &VerifiedBlobMetadata) -> Result<(), RecoveryError> {
        if self.target_index.0 >= config.n_shards() {
            return Err(RecoveryError::IndexOutOfRange { index: self.target_index, n_shards: config.n_shards() });
        }
        let needed = usize::from(config.sliver_symbols(self.target_axis));
        if self.symbols.len() != needed {
            return Err(RecoveryError::WrongSymbolCount { axis: self.target_axis, got: self.symbols.len(), needed });
        }
        let mut seen = vec![false; config.n_shards_usize()];
        for symbol in &self.symbols {
            if symbol.target_axis() != self.target_axis || symbol.target_index() != self.target_index {
                return Err(RecoveryError::WrongTarget {
                    expected_axis: self.target_axis,
                    expected_index: self.target_index,
                    actual_axis: symbol.target_axis(),
                    actual_index: symbol.target_index(),
                });
            }
            symbol.verify(config, metadata)?;
            let slot = &mut seen[symbol.source_index().as_usize()];
            if *slot {
                return Err(RecoveryError::DuplicateSource {
                    source_axis: symbol.source_axis(),
                    source_index: symbol.source_index(),
                });
            }
            *slot = true;
        }
        let sliver = decode_target(config, metadata, self.target_axis, self.target_index, &self.symbols);
        if Some(&sliver.hash(config)) == metadata.sliver_hash(self.target_axis, self.target_index) {
            Err(RecoveryError::Consistent)
        } else {
            Ok(())
        }
    }
}
