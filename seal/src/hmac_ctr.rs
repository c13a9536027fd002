//! Seal's `Hmac256Ctr` data encryption: HMAC-SHA3-256 as a PRF in counter mode plus an
//! HMAC-SHA3-256 MAC. It is the variant Move code can decrypt on chain; off chain prefer
//! AES-256-GCM. Like the fixed-IV AES variant it relies on single-use keys.
//!
//! - keystream block i (32 bytes) = HMAC(k, "HMAC-CTR-ENC" ‖ i as u64 little-endian (BCS));
//! - mac = HMAC(k, "HMAC-CTR-MAC" ‖ len(aad) as u64 little-endian ‖ aad ‖ ciphertext).

use hmac::{Hmac, Mac};
use sha3::Sha3_256;

use crate::error::{Result, SealError};
use crate::ibe::KEY_LENGTH;

const ENCRYPTION_TAG: &[u8] = b"HMAC-CTR-ENC";
const MAC_TAG: &[u8] = b"HMAC-CTR-MAC";

type HmacSha3 = Hmac<Sha3_256>;

fn keyed(key: &[u8; KEY_LENGTH], tag: &[u8]) -> HmacSha3 {
    let mut mac = <HmacSha3 as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(tag);
    mac
}

/// XORs `data` with the keystream (encryption and decryption are the same operation).
fn apply_keystream(key: &[u8; KEY_LENGTH], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for (counter, block) in data.chunks(KEY_LENGTH).enumerate() {
        let mut prf = keyed(key, ENCRYPTION_TAG);
        prf.update(&(counter as u64).to_le_bytes());
        let pad = prf.finalize().into_bytes();
        out.extend(block.iter().zip(pad.iter()).map(|(d, p)| d ^ p));
    }
    out
}

fn mac_of(key: &[u8; KEY_LENGTH], aad: &[u8], ciphertext: &[u8]) -> HmacSha3 {
    let mut mac = keyed(key, MAC_TAG);
    mac.update(&(aad.len() as u64).to_le_bytes());
    mac.update(aad);
    mac.update(ciphertext);
    mac
}

/// Encrypts `message`; returns the ciphertext (same length) and the 32-byte MAC.
pub fn encrypt(key: &[u8; KEY_LENGTH], message: &[u8], aad: &[u8]) -> (Vec<u8>, [u8; KEY_LENGTH]) {
    let ciphertext = apply_keystream(key, message);
    let mac = mac_of(key, aad, &ciphertext).finalize().into_bytes().into();
    (ciphertext, mac)
}

/// Checks the MAC (in constant time) and decrypts.
pub fn decrypt(key: &[u8; KEY_LENGTH], ciphertext: &[u8], mac: &[u8; KEY_LENGTH], aad: &[u8]) -> Result<Vec<u8>> {
    mac_of(key, aad, ciphertext).verify_slice(mac).map_err(|_| SealError::MacVerificationFailed)?;
    Ok(apply_keystream(key, ciphertext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_changes() {
        let key = [3u8; KEY_LENGTH];
        let message: Vec<u8> = (0..100u8).collect();
        let (ciphertext, mac) = encrypt(&key, &message, b"aad");
        assert_eq!(ciphertext.len(), message.len());
        assert_eq!(decrypt(&key, &ciphertext, &mac, b"aad").unwrap(), message);
        assert!(matches!(decrypt(&key, &ciphertext, &mac, b"aaX"), Err(SealError::MacVerificationFailed)));
        let mut altered = ciphertext.clone();
        altered[99] ^= 1;
        assert!(matches!(decrypt(&key, &altered, &mac, b"aad"), Err(SealError::MacVerificationFailed)));
    }
}
