//! Single-shot data encryption (Seal's `Aes256Gcm` ciphertext): AES-256-GCM with a fixed IV.
//!
//! A fixed IV is safe here because every DEM key is derived from a fresh random base key and
//! encrypts exactly one message. The IV is 16 bytes (GCM then derives its counter block through
//! GHASH), matching Seal's constant so objects interoperate. Large payloads should use the
//! chunked format in [`crate::chunked`] instead, which never holds the whole payload in memory.

use aes_gcm::aead::consts::U16;
use aes_gcm::aes::Aes256;
use aes_gcm::{AeadInPlace, AesGcm, KeyInit};

use crate::error::{Result, SealError};
use crate::ibe::KEY_LENGTH;

/// Seal's fixed 16-byte GCM IV.
const FIXED_IV: [u8; 16] = [138, 55, 153, 253, 198, 46, 121, 219, 160, 128, 89, 7, 214, 156, 148, 220];

/// Length of the GCM authentication tag appended to the ciphertext.
pub const TAG_LENGTH: usize = 16;

type Aes256Gcm16 = AesGcm<Aes256, U16>;

/// Encrypts `message` with `aad`; returns ciphertext ‖ 16-byte tag.
pub fn encrypt(key: &[u8; KEY_LENGTH], message: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut buffer = Vec::with_capacity(message.len() + TAG_LENGTH);
    buffer.extend_from_slice(message);
    let tag = Aes256Gcm16::new(key.into())
        .encrypt_in_place_detached(&FIXED_IV.into(), aad, &mut buffer)
        // aes-gcm only fails for messages over 64 GiB, which a Vec in memory is not.
        .expect("single-shot AES-GCM message is under the 64 GiB limit");
    buffer.extend_from_slice(&tag);
    buffer
}

/// Decrypts ciphertext ‖ tag produced by [`encrypt`] with the same key and aad.
pub fn decrypt(key: &[u8; KEY_LENGTH], ciphertext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    let body_len = ciphertext.len().checked_sub(TAG_LENGTH).ok_or(SealError::AuthenticationFailed)?;
    let (body, tag) = ciphertext.split_at(body_len);
    let mut buffer = body.to_vec();
    Aes256Gcm16::new(key.into())
        .decrypt_in_place_detached(&FIXED_IV.into(), aad, &mut buffer, tag.into())
        .map_err(|_| SealError::AuthenticationFailed)?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_any_change() {
        let key = [7u8; KEY_LENGTH];
        let sealed = encrypt(&key, b"payload", b"aad");
        assert_eq!(sealed.len(), 7 + TAG_LENGTH);
        assert_eq!(decrypt(&key, &sealed, b"aad").unwrap(), b"payload");
        assert!(matches!(decrypt(&key, &sealed, b"aaX"), Err(SealError::AuthenticationFailed)));
        assert!(matches!(decrypt(&[8; KEY_LENGTH], &sealed, b"aad"), Err(SealError::AuthenticationFailed)));
        let mut flipped = sealed.clone();
        flipped[0] ^= 1;
        assert!(matches!(decrypt(&key, &flipped, b"aad"), Err(SealError::AuthenticationFailed)));
        assert!(matches!(decrypt(&key, &sealed[..10], b"aad"), Err(SealError::AuthenticationFailed)));
        assert!(matches!(decrypt(&key, &[], b"aad"), Err(SealError::AuthenticationFailed)));
    }
}
