//! The quilt index: which columns hold which file, with its tags.

use std::{collections::BTreeMap, ops::Range};

use serde::{Deserialize, Serialize};

use super::{QuiltError, patch_id::QuiltPatchInternalId};
use crate::SliverIndex;

/// One file's entry in the index: identifier, tags and the columns `start..end` it occupies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuiltPatch {
    identifier: String,
    tags: BTreeMap<String, String>,
    start: u16,
    end: u16,
}

impl QuiltPatch {
    pub(super) fn new(identifier: String, tags: BTreeMap<String, String>, start: u16, end: u16) -> Self {
        Self { identifier, tags, start, end }
    }

    /// The identifier.
    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// The tags.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// Whether the patch has tag `key` with `value`.
    pub fn has_tag(&self, key: &str, value: &str) -> bool {
        self.tags.get(key).is_some_and(|v| v == value)
    }

    /// The first column.
    pub fn start(&self) -> u16 {
        self.start
    }

    /// One past the last column.
    pub fn end(&self) -> u16 {
        self.end
    }

    /// The columns, which are the secondary slivers that hold the patch.
    pub fn columns(&self) -> Range<u16> {
        self.start..self.end
    }

    /// The secondary slivers a reader needs for this patch (and no others).
    pub fn secondary_slivers(&self) -> impl Iterator<Item = SliverIndex> {
        self.columns().map(SliverIndex)
    }

    /// The id of the patch within its quilt.
    pub fn internal_id(&self) -> QuiltPatchInternalId {
        QuiltPatchInternalId { start: self.start, end: self.end }
    }
}

/// The index of a quilt: its patches in column order (which is identifier order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuiltIndex {
    patches: Vec<QuiltPatch>,
}

/// BCS form of one patch: the start column is implied by the previous patch's end.
#[derive(Serialize, Deserialize)]
struct WirePatch {
    end_index: u16,
    identifier: String,
    tags: BTreeMap<String, String>,
}

impl QuiltIndex {
    pub(super) fn new(patches: Vec<QuiltPatch>) -> Self {
        Self { patches }
    }

    /// The patches, in column order.
    pub fn patches(&self) -> &[QuiltPatch] {
        &self.patches
    }

    /// The patch with `identifier`.
    pub fn patch(&self, identifier: &str) -> Result<&QuiltPatch, QuiltError> {
        self.patches
            .iter()
            .find(|patch| patch.identifier == identifier)
            .ok_or_else(|| QuiltError::UnknownIdentifier(identifier.to_owned()))
    }

    /// The patch at the columns of `id`.
    pub fn patch_by_internal_id(&self, id: QuiltPatchInternalId) -> Result<&QuiltPatch, QuiltError> {
        self.patches
            .iter()
            .find(|patch| patch.start == id.start && patch.end == id.end)
            .ok_or(QuiltError::UnknownPatch { start: id.start, end: id.end })
    }

    /// The patches with tag `key` = `value` (possibly none).
    pub fn patches_with_tag<'a>(&'a self, key: &'a str, value: &'a str) -> impl Iterator<Item = &'a QuiltPatch> + 'a {
        self.patches.iter().filter(move |patch| patch.has_tag(key, value))
    }

    /// The BCS form stored after the quilt's 5-byte prefix.
    pub fn to_bcs(&self) -> Vec<u8> {
        let wire: Vec<WirePatch> = self
            .patches
            .iter()
            .map(|patch| WirePatch {
                end_index: patch.end,
                identifier: patch.identifier.clone(),
                tags: patch.tags.clone(),
            })
            .collect();
        bcs::to_bytes(&wire).expect("an index serializes")
    }

    /// Parses the BCS form, given the column the first patch starts at (after the index) and
    /// the number of columns, and checks that the patches take increasing, non-empty column
    /// ranges inside the matrix.
    pub fn from_bcs(bytes: &[u8], first_column: u16, n_columns: u16) -> Result<Self, QuiltError> {
        let wire: Vec<WirePatch> = bcs::from_bytes(bytes).map_err(QuiltError::MalformedIndex)?;
        let mut start = first_column;
        let mut patches = Vec::with_capacity(wire.len());
        for (position, patch) in wire.into_iter().enumerate() {
            if patch.end_index <= start || patch.end_index > n_columns {
                return Err(QuiltError::BadPatchRange {
                    position,
                    identifier: super::file::shorten(&patch.identifier),
                    start,
                    end: patch.end_index,
                    min: start,
                    columns: n_columns,
                });
            }
            patches.push(QuiltPatch::new(patch.identifier, patch.tags, start, patch.end_index));
            start = patch.end_index;
        }
        Ok(Self { patches })
    }
}
