//! Quilts: many small files stored as one blob, in Walrus's QuiltV1 format, byte for byte.
//!
//! Every blob pays for a full copy of its metadata on every shard (about 66 MB at 1000 shards),
//! so a 1 KiB file costs as much as a 60 MB one. A quilt packs up to `n - f - 1` files into one
//! ordinary RS2 blob; the fee is paid once.
//!
//! Layout (QuiltV1). The quilt is the `rows x columns` message matrix of the RS2 encoding for
//! the committee's shard count, written as a blob row by row, so column `j` of the matrix is
//! exactly the systematic *secondary* sliver `j`. Files are written column-wise:
//!
//! - Columns `0..k` hold the index: version byte `0x01`, the index length (u32 LE), then the BCS
//!   of the [`QuiltIndex`] (`vector<{end_index: u16, identifier: String, tags: Map<String,
//!   String>}>`; start indices are implied by the previous end). `k <= 10`.
//! - Each file (a *patch*) then owns the columns `start..end`, in identifier order. A patch is a
//!   6-byte header (version `0x01`, length of the rest as u32 LE, mask: bit 0 = has tags), the
//!   BCS identifier prefixed by its BCS length (u16 LE), the BCS tags prefixed by their length
//!   (u16 LE, only when the mask says so), then the file's bytes. Within a column bytes run
//!   down the rows, symbol after symbol.
//! - The symbol size is the smallest even one for which every part fits in whole columns.
//!
//! A patch is therefore read from its secondary slivers `start..end` alone, without decoding
//! the blob: see [`QuiltPatch::secondary_slivers`] and [`SliverColumns`]. A patch is named
//! globally by its [`QuiltPatchId`]: base64url of the quilt's blob id, the version byte and the
//! start and end column (u16 LE each).
//!
//! ```
//! use floe_encoder::{EncodingConfig, quilt::{Quilt, QuiltFile}};
//!
//! let config = EncodingConfig::new(10).unwrap();
//! let files = vec![
//!     QuiltFile::new("b.txt", b"second".to_vec()).unwrap(),
//!     QuiltFile::new("a.txt", b"first".to_vec()).unwrap().with_tag("lang", "en"),
//! ];
//! let quilt = Quilt::encode(&config, &files).unwrap();
//! let again = Quilt::from_bytes(&config, quilt.bytes().to_vec()).unwrap();
//! assert_eq!(again.file("a.txt").unwrap().data(), b"first");
//! assert_eq!(again.index().patches()[0].identifier(), "a.txt"); // sorted by identifier
//! ```

mod columns;
mod error;
mod file;
mod index;
mod layout;
mod patch_id;

pub use columns::{ColumnSource, SliverColumns};
pub use error::QuiltError;
pub use file::{QuiltFile, validate_identifier};
pub use index::{QuiltIndex, QuiltPatch};
pub use layout::{
    MAX_INDEX_COLUMNS, QUILT_VERSION, Quilt, index_columns, max_patches, read_index, read_patch, read_patch_at,
};
pub use patch_id::{QuiltPatchId, QuiltPatchInternalId};

/// The blob attribute Walrus sets on a quilt's `Blob` object, and its value.
pub const QUILT_BLOB_TYPE_ATTRIBUTE: (&str, &str) = ("_walrusBlobType", "quilt");
