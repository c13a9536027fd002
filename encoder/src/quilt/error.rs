//! Why a quilt could not be built or read.

use crate::error::EncodeError;

/// Why a quilt could not be built, parsed or read. Reading errors name the column and the field
/// that was wrong, because a quilt's bytes are chosen by whoever stored it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuiltError {
    /// A quilt holds at least one file.
    #[error("a quilt needs at least one file")]
    NoFiles,
    /// More files than the shard count leaves columns for (one column goes to the index).
    #[error("{files} files do not fit in one quilt: at most {max} for this shard count")]
    TooManyFiles {
        /// Files given.
        files: usize,
        /// The most a quilt can hold at this shard count.
        max: usize,
    },
    /// The identifier is not acceptable.
    #[error("invalid quilt identifier {identifier:?}: {reason}")]
    InvalidIdentifier {
        /// The identifier (cut to 100 characters).
        identifier: String,
        /// Why.
        reason: &'static str,
    },
    /// Two files share an identifier.
    #[error("duplicate quilt identifier {0:?}")]
    DuplicateIdentifier(String),
    /// A file's tags serialize to more than the 65535 bytes their length field allows.
    #[error("the tags of {identifier:?} take {len} bytes, more than the 65535 allowed")]
    TagsTooLarge {
        /// The file.
        identifier: String,
        /// Serialized tag bytes.
        len: usize,
    },
    /// A file (with its identifier and tags) is larger than the 4-byte length field allows.
    #[error("{identifier:?} takes {len} bytes in the quilt, more than the 4294967295 a patch may")]
    FileTooLarge {
        /// The file.
        identifier: String,
        /// Bytes it takes.
        len: u64,
    },
    /// The files need a symbol size above the maximum.
    #[error("the files need {symbol_size}-byte symbols, more than the maximum of {max}; store fewer or smaller files")]
    QuiltTooLarge {
        /// Symbol size needed.
        symbol_size: u64,
        /// The maximum symbol size.
        max: u16,
    },
    /// The blob length is not a whole matrix for this shard count.
    #[error("a quilt of {len} bytes is not a whole number of {source_symbols}-symbol matrices (wrong shard count?)")]
    NotAligned {
        /// The blob's length.
        len: usize,
        /// Source symbols of the matrix.
        source_symbols: u64,
    },
    /// A version byte other than QuiltV1's.
    #[error("unsupported quilt version byte {found} in {place} (expected 1)")]
    UnsupportedVersion {
        /// The byte read.
        found: u8,
        /// Where: "the quilt index" or "the patch at column N".
        place: String,
    },
    /// The index is larger than the 10 columns it may span.
    #[error("the quilt index claims {len} bytes, more than the {max} its 10 columns can hold")]
    IndexTooLarge {
        /// Claimed length.
        len: u64,
        /// Most the index may take.
        max: u64,
    },
    /// The first column is too short to hold the index's 5-byte prefix.
    #[error("malformed quilt index: a column of {column_len} bytes cannot hold the index prefix")]
    IndexPrefixTruncated {
        /// The column's length in bytes.
        column_len: usize,
    },
    /// The index bytes are not a BCS `QuiltIndexV1`.
    #[error("malformed quilt index: {0}")]
    MalformedIndex(#[source] bcs::Error),
    /// The index ranges are not increasing columns inside the matrix.
    #[error(
        "quilt index patch {position} ({identifier:?}) has columns {start}..{end}, not inside {min}..{columns} after the previous patch"
    )]
    BadPatchRange {
        /// Position in the index.
        position: usize,
        /// Its identifier.
        identifier: String,
        /// Start column.
        start: u16,
        /// End column.
        end: u16,
        /// The first column it may start at.
        min: u16,
        /// Columns in the matrix.
        columns: u16,
    },
    /// A patch's bytes are not a valid patch.
    #[error("malformed patch at column {column}: {reason}")]
    MalformedPatch {
        /// The patch's first column.
        column: u16,
        /// What was wrong.
        reason: String,
    },
    /// No patch has this identifier.
    #[error("no patch with identifier {0:?} in the quilt")]
    UnknownIdentifier(String),
    /// The patch id does not name a patch of this quilt.
    #[error("no patch at columns {start}..{end} in the quilt")]
    UnknownPatch {
        /// Start column.
        start: u16,
        /// End column.
        end: u16,
    },
    /// Columns needed for a read were not given.
    #[error("missing secondary slivers (columns) {0:?}")]
    MissingColumns(Vec<u16>),
    /// Columns of different lengths, or of the wrong axis.
    #[error("inconsistent columns: {0}")]
    InconsistentColumns(String),
    /// A quilt patch id that does not parse.
    #[error("invalid quilt patch id {text:?}: {reason}")]
    InvalidPatchId {
        /// The text given.
        text: String,
        /// Why.
        reason: String,
    },
    /// The shard count cannot encode this quilt.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}
