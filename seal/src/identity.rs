//! IBE identities. Package and key-server object ids are `sui_sdk_types::Address`es: 32 bytes in
//! BCS, as Seal's encrypted-object format writes them.
//!
//! An identity is the policy package's id followed by an inner id the policy chooses (an owner
//! address, an allowlist id and a nonce, a BCS-encoded unlock time, ...). The package owns every
//! identity that starts with its id: only its `seal_approve*` functions decide who gets keys.

use sui_sdk_types::Address;

/// An IBE identity: policy package id ‖ inner id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The first published version of the policy package.
    pub package: Address,
    /// The bytes the policy's `seal_approve*` functions receive as their `id` argument.
    pub inner: Vec<u8>,
}

impl Identity {
    /// Builds an identity from its two parts.
    pub fn new(package: Address, inner: impl Into<Vec<u8>>) -> Self {
        Self { package, inner: inner.into() }
    }

    /// The full id that is hashed to G1: the 32 package bytes followed by the inner id, with no
    /// length prefix.
    pub fn full_id(&self) -> Vec<u8> {
        [self.package.as_bytes(), &self.inner].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_id_is_plain_concatenation() {
        let identity = Identity::new(Address::new([7; 32]), vec![1, 2, 3]);
        let full = identity.full_id();
        assert_eq!(full.len(), 35);
        assert_eq!(&full[..32], &[7; 32]);
        assert_eq!(&full[32..], &[1, 2, 3]);
    }
}
