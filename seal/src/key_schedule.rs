//! Keys derived from the recombined base key.
//!
//! The Shamir secret (the base key) is never used directly. Each use gets its own key,
//! `SHA3-256(DST_DERIVE_KEY ‖ base key ‖ purpose tag ‖ threshold ‖ every encrypted share ‖ every
//! key-server id)`, which binds it to the exact shares, threshold and server list of the object:
//! changing any of them yields an unrelated key.

use sha3::{Digest, Sha3_256};
use sui_sdk_types::Address;

use crate::ibe::KEY_LENGTH;

/// Domain separation prefix of [`derive_key`].
pub const DST_DERIVE_KEY: &[u8] = b"SUI-SEAL-IBE-BLS12381-H3-00";

/// What a derived key is for; the tag byte keeps the uses independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPurpose {
    /// Masks the encryption randomness `r` stored in the object (tag 0).
    EncryptedRandomness,
    /// Encrypts the data (tag 1).
    Dem,
}

impl KeyPurpose {
    fn tag(self) -> u8 {
        match self {
            KeyPurpose::EncryptedRandomness => 0,
            KeyPurpose::Dem => 1,
        }
    }
}

/// Derives the key for `purpose` from the base key and the object's public parameters.
pub fn derive_key(
    purpose: KeyPurpose,
    base_key: &[u8; KEY_LENGTH],
    encrypted_shares: &[[u8; KEY_LENGTH]],
    threshold: u8,
    servers: &[Address],
) -> [u8; KEY_LENGTH] {
    let mut hash = Sha3_256::new();
    hash.update(DST_DERIVE_KEY);
    hash.update(base_key);
    hash.update([purpose.tag(), threshold]);
    for share in encrypted_shares {
        hash.update(share);
    }
    for server in servers {
        hash.update(server.as_bytes());
    }
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_changes_the_key() {
        let servers = [Address::new([1; 32]), Address::new([2; 32])];
        let shares = [[3; 32], [4; 32]];
        let base = derive_key(KeyPurpose::Dem, &[9; 32], &shares, 2, &servers);
        assert_ne!(base, derive_key(KeyPurpose::EncryptedRandomness, &[9; 32], &shares, 2, &servers));
        assert_ne!(base, derive_key(KeyPurpose::Dem, &[8; 32], &shares, 2, &servers));
        assert_ne!(base, derive_key(KeyPurpose::Dem, &[9; 32], &[[3; 32], [5; 32]], 2, &servers));
        assert_ne!(base, derive_key(KeyPurpose::Dem, &[9; 32], &shares, 1, &servers));
        assert_ne!(base, derive_key(KeyPurpose::Dem, &[9; 32], &shares, 2, &[servers[1], servers[0]]));
    }
}
