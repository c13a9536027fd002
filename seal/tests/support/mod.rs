//! Key servers for tests: master keys held locally instead of behind HTTP.

#![allow(dead_code)]

use floe_seal::{Identity, KeyServer, MasterKey, UserKeys};
use rand::{CryptoRng, RngCore};
use sui_sdk_types::Address;

/// n key servers with ids 0x01.., 0x02.., ...
pub struct Committee {
    pub masters: Vec<(Address, MasterKey)>,
}

impl Committee {
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R, n: usize) -> Self {
        let masters = (0..n).map(|i| (Address::new([i as u8 + 1; 32]), MasterKey::generate(rng))).collect();
        Self { masters }
    }

    pub fn servers(&self) -> Vec<KeyServer> {
        self.masters.iter().map(|(id, master)| KeyServer { object_id: *id, public_key: master.public_key() }).collect()
    }

    /// User keys from the servers at `positions` (indices into the committee).
    pub fn keys(&self, identity: &Identity, positions: &[usize]) -> UserKeys {
        let full_id = identity.full_id();
        positions.iter().map(|&i| (self.masters[i].0, self.masters[i].1.derive_user_key(&full_id))).collect()
    }
}

pub fn identity() -> Identity {
    Identity::new(Address::new([0xee; 32]), b"allowlist id and nonce".to_vec())
}
