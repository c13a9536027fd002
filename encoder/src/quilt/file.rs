//! A file going into (or coming out of) a quilt: identifier, tags and bytes.

use std::collections::BTreeMap;

use super::QuiltError;

/// An identifier's BCS form must stay below this many bytes (Walrus refuses 65535 itself).
const MAX_IDENTIFIER_BCS_LEN: usize = u16::MAX as usize;

/// A file in a quilt: its identifier (unique within the quilt), its tags, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuiltFile {
    identifier: String,
    tags: BTreeMap<String, String>,
    data: Vec<u8>,
}

impl QuiltFile {
    /// A file without tags; the identifier is checked with [`validate_identifier`].
    pub fn new(identifier: impl Into<String>, data: Vec<u8>) -> Result<Self, QuiltError> {
        let identifier = identifier.into();
        validate_identifier(&identifier)?;
        Ok(Self { identifier, tags: BTreeMap::new(), data })
    }

    /// Adds (or replaces) a tag.
    pub fn with_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// Replaces the tags.
    pub fn with_tags(mut self, tags: BTreeMap<String, String>) -> Self {
        self.tags = tags;
        self
    }

    /// The identifier.
    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// The tags.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// The bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The bytes, taken out.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// Header, identifier and tags as written before the data: see the module docs.
    pub(super) fn patch_prefix(&self) -> Result<Vec<u8>, QuiltError> {
        let identifier = bcs::to_bytes(&self.identifier).expect("a string serializes");
        let identifier_len = u16::try_from(identifier.len()).map_err(|_| QuiltError::InvalidIdentifier {
            identifier: shorten(&self.identifier),
            reason: "longer than 65535 bytes",
        })?;
        let tags = if self.tags.is_empty() {
            None
        } else {
            // BCS writes map entries sorted by their serialized keys, as Walrus's clients do.
            let bytes = bcs::to_bytes(&self.tags).expect("a string map serializes");
            let len = u16::try_from(bytes.len())
                .map_err(|_| QuiltError::TagsTooLarge { identifier: self.identifier.clone(), len: bytes.len() })?;
            Some((len, bytes))
        };
        let mut prefix = Vec::with_capacity(PATCH_HEADER_LEN + 2 + identifier.len());
        let rest_len = 2 + identifier.len() + tags.as_ref().map_or(0, |(_, bytes)| 2 + bytes.len()) + self.data.len();
        let rest_len = u32::try_from(rest_len)
            .map_err(|_| QuiltError::FileTooLarge { identifier: self.identifier.clone(), len: rest_len as u64 })?;
        prefix.push(super::QUILT_VERSION);
        prefix.extend_from_slice(&rest_len.to_le_bytes());
        prefix.push(if tags.is_some() { HAS_TAGS } else { 0 });
        prefix.extend_from_slice(&identifier_len.to_le_bytes());
        prefix.extend_from_slice(&identifier);
        if let Some((len, bytes)) = tags {
            prefix.extend_from_slice(&len.to_le_bytes());
            prefix.extend_from_slice(&bytes);
        }
        Ok(prefix)
    }
}

/// Bytes of a patch header: version, length (u32 LE), mask.
pub(super) const PATCH_HEADER_LEN: usize = 6;
/// Mask bit: tags follow the identifier.
pub(super) const HAS_TAGS: u8 = 1;

/// Checks an identifier as Walrus does: not empty, under 65535 bytes (BCS), no trailing
/// whitespace, no control characters.
pub fn validate_identifier(identifier: &str) -> Result<(), QuiltError> {
    let reason = if identifier.is_empty() {
        "empty"
    } else if identifier.len() + uleb_len(identifier.len()) >= MAX_IDENTIFIER_BCS_LEN {
        "longer than 65535 bytes"
    } else if identifier.trim_end() != identifier {
        "ends with whitespace"
    } else if identifier.chars().any(char::is_control) {
        "contains control characters"
    } else {
        return Ok(());
    };
    Err(QuiltError::InvalidIdentifier { identifier: shorten(identifier), reason })
}

/// Bytes of the ULEB128 length prefix BCS puts before a string of `len` bytes.
fn uleb_len(len: usize) -> usize {
    let bits = usize::BITS - len.leading_zeros();
    (bits as usize).div_ceil(7).max(1)
}

/// The first 100 characters, for error messages.
pub(super) fn shorten(text: &str) -> String {
    text.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_checked_as_walrus_does() {
        for good in ["a", "test blob", "_x", ".hidden", "dir/file.txt", "héllo"] {
            validate_identifier(good).unwrap();
        }
        for (bad, reason) in [
            ("", "empty"),
            ("trailing ", "ends with whitespace"),
            ("tab\t", "ends with whitespace"),
            ("nul\0x", "contains control characters"),
            ("c1\u{85}x", "contains control characters"),
        ] {
            match validate_identifier(bad) {
                Err(QuiltError::InvalidIdentifier { reason: got, .. }) => assert_eq!(got, reason, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        let longest = "x".repeat(65534 - 3);
        validate_identifier(&longest).unwrap();
        assert!(validate_identifier(&format!("{longest}x")).is_err());
    }

    #[test]
    fn uleb_lengths() {
        assert_eq!([0, 1, 127, 128, 16383, 16384].map(uleb_len), [1, 1, 1, 2, 2, 3]);
    }
}
