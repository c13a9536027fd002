//! Errors of encoding, decoding, verification and recovery, each naming the values involved.

use crate::{BlobId, SliverIndex, SliverType, inconsistency::InconsistencyProof, merkle::MerkleProofError};

/// Why a blob could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The blob exceeds the largest size the shard count allows.
    #[error("blob of {blob_len} bytes is larger than the maximum of {max_blob_size} bytes for this shard count")]
    BlobTooLarge {
        /// The blob's length.
        blob_len: u64,
        /// The maximum for the shard count.
        max_blob_size: u64,
    },
    /// The shard count cannot be served.
    #[error("{n_shards} shards are not supported: {reason}")]
    UnsupportedShardCount {
        /// The shard count asked for.
        n_shards: u16,
        /// Why not.
        reason: &'static str,
    },
}

/// Why metadata was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// The metadata has a hash pair per shard of a different committee size.
    #[error("metadata has {actual} sliver-pair hashes, expected {expected} (one per shard)")]
    WrongHashCount {
        /// Hash pairs in the metadata.
        actual: usize,
        /// Shards in the committee.
        expected: usize,
    },
    /// The unencoded length is above the maximum blob size.
    #[error("metadata claims {unencoded_length} bytes, more than the maximum blob size of {max_blob_size}")]
    LengthTooLarge {
        /// The claimed length.
        unencoded_length: u64,
        /// The maximum for the shard count.
        max_blob_size: u64,
    },
    /// The metadata hashes to a different blob id.
    #[error("metadata belongs to blob {computed}, not to {expected}")]
    BlobIdMismatch {
        /// The id the request was for.
        expected: BlobId,
        /// The id the metadata derives.
        computed: BlobId,
    },
    /// The bytes are not a BCS-encoded metadata.
    #[error("malformed metadata: {0}")]
    Malformed(#[source] bcs::Error),
}

/// Why a sliver was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SliverError {
    /// The sliver is of the other axis.
    #[error("expected a {expected} sliver, got a {actual} sliver")]
    WrongAxis {
        /// The axis asked for.
        expected: SliverType,
        /// The axis received.
        actual: SliverType,
    },
    /// The sliver index is not below the shard count.
    #[error("sliver index {index} is out of range for {n_shards} shards")]
    IndexOutOfRange {
        /// The index received.
        index: SliverIndex,
        /// The shard count.
        n_shards: u16,
    },
    /// The symbol size differs from the one the blob's length implies.
    #[error("sliver has {actual}-byte symbols, the blob's length implies {expected}-byte symbols")]
    WrongSymbolSize {
        /// Symbol size of the sliver.
        actual: u16,
        /// Symbol size the metadata implies.
        expected: u16,
    },
    /// The symbol size is zero or odd.
    #[error("symbol size {0} is not a positive even number")]
    InvalidSymbolSize(u16),
    /// The data is not a whole number of symbols.
    #[error("sliver data of {len} bytes is not a multiple of the {symbol_size}-byte symbol size")]
    RaggedData {
        /// Bytes of data.
        len: usize,
        /// The symbol size.
        symbol_size: u16,
    },
    /// The sliver has the wrong number of symbols.
    #[error("{axis} sliver has {actual} symbols, expected {expected}")]
    WrongSymbolCount {
        /// The sliver's axis.
        axis: SliverType,
        /// Symbols received.
        actual: usize,
        /// Symbols expected.
        expected: usize,
    },
    /// The sliver's Merkle root differs from the metadata.
    #[error("{axis} sliver {index} does not match its hash in the metadata")]
    HashMismatch {
        /// The sliver's axis.
        axis: SliverType,
        /// The sliver's index.
        index: SliverIndex,
    },
    /// The bytes are not a BCS-encoded sliver.
    #[error("malformed sliver: {0}")]
    Malformed(#[source] bcs::Error),
}

/// Why a blob could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer distinct slivers than the code needs.
    #[error("decoding needs {needed} distinct {axis} slivers, got {got}")]
    NotEnoughSlivers {
        /// The axis decoded from.
        axis: SliverType,
        /// Distinct slivers given.
        got: usize,
        /// Slivers needed.
        needed: usize,
    },
    /// A sliver does not belong to this blob.
    #[error("sliver refused: {0}")]
    Sliver(#[from] SliverError),
    /// The strict check re-encoded the decoded blob to another blob id.
    #[error("the decoded blob re-encodes to {computed}, not to {expected}")]
    ReencodedToAnotherBlob {
        /// The blob id decoded for.
        expected: BlobId,
        /// The id the decoded bytes encode to.
        computed: BlobId,
    },
    /// The slivers decode, but the result does not re-encode to the metadata: the blob was
    /// encoded inconsistently by its writer.
    #[error("the decoded blob is inconsistent with its metadata ({axis} sliver {index} differs)")]
    InconsistentEncoding {
        /// Axis of the first sliver found to differ.
        axis: SliverType,
        /// Index of that sliver.
        index: SliverIndex,
    },
}

/// Why a recovery symbol or a sliver recovery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryError {
    /// The symbol's Merkle proof does not verify against its source sliver's hash.
    #[error("recovery symbol from {source_axis} sliver {source_index} has a bad proof: {error}")]
    BadProof {
        /// Axis of the sliver the symbol came from.
        source_axis: SliverType,
        /// Index of that sliver.
        source_index: SliverIndex,
        /// The proof failure.
        error: MerkleProofError,
    },
    /// The symbol does not help to recover the requested sliver.
    #[error("recovery symbol is for {actual_axis} sliver {actual_index}, not {expected_axis} sliver {expected_index}")]
    WrongTarget {
        /// Axis of the requested sliver.
        expected_axis: SliverType,
        /// Index of the requested sliver.
        expected_index: SliverIndex,
        /// Axis the symbol is for.
        actual_axis: SliverType,
        /// Index the symbol is for.
        actual_index: SliverIndex,
    },
    /// The symbol's size is not the blob's symbol size.
    #[error("recovery symbol has {actual} bytes, the blob's symbols have {expected}")]
    WrongSymbolSize {
        /// Bytes in the symbol.
        actual: usize,
        /// The blob's symbol size.
        expected: u16,
    },
    /// The symbol's source index is out of range.
    #[error("recovery symbol source index {index} is out of range for {n_shards} shards")]
    IndexOutOfRange {
        /// The index.
        index: SliverIndex,
        /// The shard count.
        n_shards: u16,
    },
    /// Fewer distinct verified symbols than needed.
    #[error("recovering a {axis} sliver needs {needed} distinct symbols, got {got}")]
    NotEnoughSymbols {
        /// Axis of the sliver to recover.
        axis: SliverType,
        /// Distinct valid symbols.
        got: usize,
        /// Symbols needed.
        needed: usize,
    },
    /// An inconsistency proof must carry exactly the number of symbols the code needs.
    #[error("an inconsistency proof for a {axis} sliver carries exactly {needed} symbols, got {got}")]
    WrongSymbolCount {
        /// Axis of the target sliver.
        axis: SliverType,
        /// Symbols in the proof.
        got: usize,
        /// Symbols required.
        needed: usize,
    },
    /// Two symbols of an inconsistency proof come from the same source sliver.
    #[error("two symbols come from {source_axis} sliver {source_index}; a proof needs distinct sources")]
    DuplicateSource {
        /// Axis of the repeated source.
        source_axis: SliverType,
        /// Index of the repeated source.
        source_index: SliverIndex,
    },
    /// The recovered sliver does not match the metadata: the writer encoded the blob wrongly.
    /// The proof lets anyone check it.
    #[error("the recovered sliver does not match the metadata: the blob is inconsistently encoded")]
    InconsistentEncoding(Box<InconsistencyProof>),
    /// The recovered sliver matches the metadata, so the proof proves nothing.
    #[error("the symbols recover a sliver that matches the metadata: no inconsistency")]
    Consistent,
    /// A recovery symbol was requested from a sliver for a sliver of the same axis.
    #[error("a {source_axis} sliver gives symbols for {target_axis} slivers, not for {source_axis} ones", target_axis = source_axis.orthogonal())]
    SameAxis {
        /// The axis of the source sliver.
        source_axis: SliverType,
    },
}
