//! Quilt patch ids: a patch's global name, `base64url(quilt blob id || 0x01 || start || end)`.

use std::{fmt, ops::Range, str::FromStr};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::{QUILT_VERSION, QuiltError};
use crate::{BlobId, SliverIndex};

/// A patch's id within its quilt: the version byte and its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuiltPatchInternalId {
    /// First column.
    pub start: u16,
    /// One past the last column.
    pub end: u16,
}

impl QuiltPatchInternalId {
    /// Bytes of the wire form.
    pub const LEN: usize = 5;

    /// `0x01 || start (u16 LE) || end (u16 LE)`.
    pub fn to_bytes(self) -> [u8; Self::LEN] {
        let [s0, s1] = self.start.to_le_bytes();
        let [e0, e1] = self.end.to_le_bytes();
        [QUILT_VERSION, s0, s1, e0, e1]
    }

    /// The secondary slivers (columns) holding the patch.
    pub fn columns(self) -> Range<u16> {
        self.start..self.end
    }

    /// The secondary slivers a reader needs, as sliver indices.
    pub fn secondary_slivers(self) -> impl Iterator<Item = SliverIndex> {
        self.columns().map(SliverIndex)
    }
}

/// The global id of a patch: its quilt's blob id and its internal id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuiltPatchId {
    /// The quilt's blob id.
    pub quilt_id: BlobId,
    /// The patch within the quilt.
    pub patch: QuiltPatchInternalId,
}

impl QuiltPatchId {
    /// Characters of the text form (37 bytes in unpadded base64url).
    pub const TEXT_LEN: usize = 50;

    /// The 37 bytes: blob id then internal id.
    pub fn to_bytes(&self) -> [u8; 32 + QuiltPatchInternalId::LEN] {
        let mut bytes = [0u8; 32 + QuiltPatchInternalId::LEN];
        bytes[..32].copy_from_slice(&self.quilt_id.0);
        bytes[32..].copy_from_slice(&self.patch.to_bytes());
        bytes
    }
}

impl fmt::Display for QuiltPatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.to_bytes()))
    }
}

impl FromStr for QuiltPatchId {
    type Err = QuiltError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: String| QuiltError::InvalidPatchId { text: super::file::shorten(text), reason };
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|err| invalid(format!("not unpadded base64url: {err}")))?;
        if bytes.len() != 32 + QuiltPatchInternalId::LEN {
            return Err(invalid(format!("{} bytes, a QuiltV1 patch id has 37", bytes.len())));
        }
        if bytes[32] != QUILT_VERSION {
            return Err(invalid(format!("version byte {}, expected 1", bytes[32])));
        }
        let quilt_id = BlobId(bytes[..32].try_into().expect("32 bytes"));
        let start = u16::from_le_bytes([bytes[33], bytes[34]]);
        let end = u16::from_le_bytes([bytes[35], bytes[36]]);
        if start >= end {
            return Err(invalid(format!("empty column range {start}..{end}")));
        }
        Ok(Self { quilt_id, patch: QuiltPatchInternalId { start, end } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_and_has_walrus_layout() {
        let id = QuiltPatchId { quilt_id: BlobId([7; 32]), patch: QuiltPatchInternalId { start: 1, end: 0x0203 } };
        let text = id.to_string();
        assert_eq!(text.len(), QuiltPatchId::TEXT_LEN);
        let bytes = URL_SAFE_NO_PAD.decode(&text).unwrap();
        assert_eq!(&bytes[32..], &[1, 1, 0, 3, 2]);
        assert_eq!(text.parse::<QuiltPatchId>().unwrap(), id);
    }

    #[test]
    fn bad_patch_ids_are_refused_with_the_reason() {
        let blob_only = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let wrong_version = URL_SAFE_NO_PAD.encode([[7u8; 32].as_slice(), &[2, 1, 0, 2, 0]].concat());
        let empty_range = URL_SAFE_NO_PAD.encode([[7u8; 32].as_slice(), &[1, 2, 0, 2, 0]].concat());
        for (text, needle) in [
            ("not base64!", "base64url"),
            (blob_only.as_str(), "32 bytes"),
            (wrong_version.as_str(), "version byte 2"),
            (empty_range.as_str(), "empty column range 2..2"),
        ] {
            let err = text.parse::<QuiltPatchId>().unwrap_err();
            assert!(err.to_string().contains(needle), "{text}: {err}");
        }
    }
}
