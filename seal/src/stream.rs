//! Sealing and opening objects as byte streams, so large files never sit whole in memory.
//!
//! [`encrypt_to_writer`] writes exactly the BCS bytes of an
//! [`EncryptedObject`](crate::EncryptedObject) whose ciphertext is
//! [`Ciphertext::Aes256GcmChunked`], encrypting the source chunk by chunk; the result can also be
//! read back whole with [`EncryptedObject::from_bytes`](crate::EncryptedObject::from_bytes).
//! [`decrypt_from_reader`] reads the header incrementally, recovers the data key, then decrypts
//! chunk by chunk. Single-shot `Aes256Gcm` and `Hmac256Ctr` objects are accepted too (their blob
//! is read whole, as those formats require).

use std::io::{ErrorKind, Read, Write};

use rand::{CryptoRng, RngCore};
use sui_sdk_types::Address;

use crate::chunked::{self, MAX_CHUNK_SIZE};
use crate::curve::G2_LENGTH;
use crate::dem;
use crate::error::{Result, SealError};
use crate::hmac_ctr;
use crate::ibe::KEY_LENGTH;
use crate::identity::Identity;
use crate::object::{
    Ciphertext, Header, IbeEncryptions, MAX_AAD_LENGTH, MAX_BLOB_LENGTH, MAX_INNER_ID_LENGTH, MAX_SERVERS, NonceBytes,
};
use crate::sealing::{DataKey, KeyServer, UserKeys, check_aad_length, check_blob_length, open_key, seal_key};

/// Largest single-shot (`Aes256Gcm`) blob [`decrypt_from_reader`] will buffer.
pub const MAX_SINGLE_SHOT_BLOB: u64 = 256 * 1024 * 1024;

/// Encrypts `plaintext_len` bytes from `reader` and writes the whole encrypted object to
/// `writer`. Returns the data key. Memory use is one chunk, whatever the size of the input.
#[allow(clippy::too_many_arguments)]
pub fn encrypt_to_writer<R: RngCore + CryptoRng>(
    rng: &mut R,
    identity: &Identity,
    servers: &[KeyServer],
    threshold: u8,
    aad: Option<&[u8]>,
    chunk_size: u32,
    plaintext_len: u64,
    reader: &mut impl Read,
    writer: &mut impl Write,
) -> Result<DataKey> {
    chunked::check_chunk_size(chunk_size)?;
    let blob_len = chunked::ciphertext_len(plaintext_len, chunk_size);
    check_blob_length(blob_len)?;
    check_aad_length(aad)?;
    let (header, key) = seal_key(rng, identity, servers, threshold)?;
    let mut prefix = bcs::to_bytes(&header)?;
    prefix.push(Ciphertext::CHUNKED_TAG);
    prefix.extend_from_slice(&bcs::to_bytes(&chunk_size)?);
    prefix.extend_from_slice(&bcs::to_bytes(&aad)?);
    write_uleb128(&mut prefix, blob_len);
    writer.write_all(&prefix)?;
    chunked::encrypt_stream(&key, chunk_size, aad.unwrap_or_default(), plaintext_len, reader, writer)?;
    writer.flush()?;
    Ok(key)
}

/// Reads one encrypted object from `reader`, decrypts it with `user_keys` and writes the
/// plaintext to `writer`; returns the number of plaintext bytes. The reader must end with the
/// object. On error, discard whatever was written (see [`crate::chunked`]).
pub fn decrypt_from_reader(reader: &mut impl Read, user_keys: &UserKeys, writer: &mut impl Write) -> Result<u64> {
    let mut input = BcsReader { inner: reader };
    let header = input.header()?;
    let written = match input.uleb128("ciphertext kind")? {
        0 => {
            let blob_len = input.uleb128("ciphertext length")?;
            let blob = input.bytes(blob_len, "single-shot ciphertext", MAX_SINGLE_SHOT_BLOB)?;
            let aad = input.option_bytes("aad")?;
            let key = open_key(&header, user_keys)?;
            let plaintext = dem::decrypt(&key, &blob, aad.as_deref().unwrap_or_default())?;
            writer.write_all(&plaintext)?;
            plaintext.len() as u64
        }
        1 => {
            let blob_len = input.uleb128("ciphertext length")?;
            let blob = input.bytes(blob_len, "single-shot ciphertext", MAX_SINGLE_SHOT_BLOB)?;
            let aad = input.option_bytes("aad")?;
            let mac = input.array::<KEY_LENGTH>()?;
            let key = open_key(&header, user_keys)?;
            let plaintext = hmac_ctr::decrypt(&key, &blob, &mac, aad.as_deref().unwrap_or_default())?;
            writer.write_all(&plaintext)?;
            plaintext.len() as u64
        }
        2 => return Err(SealError::UnsupportedCiphertext { kind: "Plain" }),
        3 => {
            let chunk_size = u32::from_le_bytes(input.array::<4>()?);
            chunked::check_chunk_size(chunk_size)?;
            let aad = input.option_bytes("aad")?;
            let blob_len = input.uleb128("ciphertext length")?;
            if blob_len > MAX_BLOB_LENGTH {
                return Err(SealError::FieldTooLong { field: "ciphertext", len: blob_len, max: MAX_BLOB_LENGTH });
            }
            let key = open_key(&header, user_keys)?;
            chunked::decrypt_stream(
                &key,
                chunk_size,
                aad.as_deref().unwrap_or_default(),
                blob_len,
                input.inner,
                writer,
            )?
        }
        tag => {
            return Err(SealError::Malformed(format!("unknown ciphertext kind {tag}")));
        }
    };
    if input.at_end()? { Ok(written) } else { Err(SealError::TrailingData) }
}

/// Reads only the header of an encrypted object (identity, key servers, threshold, encrypted
/// shares), leaving `reader` at the start of the ciphertext. A client uses it to learn which
/// policy and servers to ask before fetching keys, and to recognize a floe-sealed blob.
pub fn read_header(reader: &mut impl Read) -> Result<Header> {
    BcsReader { inner: reader }.header()
}

/// BCS's ULEB128 length encoding.
fn write_uleb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads BCS values one by one from a stream (the `bcs` crate only reads whole inputs).
struct BcsReader<'a, R: Read> {
    inner: &'a mut R,
}

impl<R: Read> BcsReader<'_, R> {
    fn fill(&mut self, buffer: &mut [u8]) -> Result<()> {
        self.inner.read_exact(buffer).map_err(|error| match error.kind() {
            ErrorKind::UnexpectedEof => SealError::Malformed("object ends inside its header".into()),
            _ => SealError::Io(error),
        })
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        self.fill(&mut out)?;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    /// ULEB128 as BCS writes it: at most 32 significant bits, canonical (no redundant bytes).
    fn uleb128(&mut self, field: &'static str) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..32).step_by(7) {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(SealError::Malformed(format!("non-canonical length of {field}")));
                }
                return if value > u64::from(u32::MAX) {
                    Err(SealError::Malformed(format!("length of {field} overflows u32")))
                } else {
                    Ok(value)
                };
            }
        }
        Err(SealError::Malformed(format!("length of {field} overflows u32")))
    }

    fn bytes(&mut self, len: u64, field: &'static str, max: u64) -> Result<Vec<u8>> {
        if len > max {
            return Err(SealError::FieldTooLong { field, len, max });
        }
        let mut out = vec![0u8; len as usize];
        self.fill(&mut out)?;
        Ok(out)
    }

    fn length_prefixed(&mut self, field: &'static str, max: usize) -> Result<Vec<u8>> {
        let len = self.uleb128(field)?;
        self.bytes(len, field, max as u64)
    }

    fn option_bytes(&mut self, field: &'static str) -> Result<Option<Vec<u8>>> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.length_prefixed(field, MAX_AAD_LENGTH)?)),
            tag => Err(SealError::Malformed(format!("option tag {tag} for {field}"))),
        }
    }

    fn count(&mut self, field: &'static str) -> Result<usize> {
        let len = self.uleb128(field)?;
        if len > MAX_SERVERS as u64 {
            return Err(SealError::TooManyServers { servers: len as usize, max: MAX_SERVERS });
        }
        Ok(len as usize)
    }

    fn header(&mut self) -> Result<Header> {
        let version = self.u8()?;
        if version != 0 {
            return Err(SealError::UnsupportedVersion { version });
        }
        let package_id = Address::new(self.array::<{ Address::LENGTH }>()?);
        let id = self.length_prefixed("inner id", MAX_INNER_ID_LENGTH)?;
        let services = (0..self.count("services")?)
            .map(|_| Ok((Address::new(self.array::<{ Address::LENGTH }>()?), self.u8()?)))
            .collect::<Result<Vec<_>>>()?;
        let threshold = self.u8()?;
        let kem = self.uleb128("key encapsulation kind")?;
        if kem != 0 {
            return Err(SealError::Malformed(format!("unknown key encapsulation kind {kem}")));
        }
        let nonce = NonceBytes(self.array::<G2_LENGTH>()?);
        let encrypted_shares =
            (0..self.count("encrypted shares")?).map(|_| self.array::<KEY_LENGTH>()).collect::<Result<Vec<_>>>()?;
        let encrypted_randomness = self.array::<KEY_LENGTH>()?;
        let header = Header {
            version,
            package_id,
            id,
            services,
            threshold,
            encrypted_shares: IbeEncryptions::BonehFranklinBls12381 { nonce, encrypted_shares, encrypted_randomness },
        };
        header.validate()?;
        Ok(header)
    }

    fn at_end(&mut self) -> Result<bool> {
        let mut probe = [0u8; 1];
        loop {
            match self.inner.read(&mut probe) {
                Ok(n) => return Ok(n == 0),
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(error.into()),
            }
        }
    }
}

// The chunk-size limit must keep a sealed chunk addressable as a usize buffer.
const _: () = assert!(MAX_CHUNK_SIZE as u64 + 16 < u32::MAX as u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uleb128_matches_bcs_length_prefixes() {
        for len in [0usize, 1, 127, 128, 300, 16_384, 70_000] {
            let mut ours = Vec::new();
            write_uleb128(&mut ours, len as u64);
            let bcs_vector = bcs::to_bytes(&vec![0u8; len]).unwrap();
            assert_eq!(ours, bcs_vector[..bcs_vector.len() - len], "len {len}");
            let mut reader = BcsReader { inner: &mut ours.as_slice() };
            assert_eq!(reader.uleb128("test").unwrap(), len as u64);
        }
        let mut reader = BcsReader { inner: &mut [0x80u8, 0x00].as_slice() };
        assert!(matches!(reader.uleb128("x"), Err(SealError::Malformed(_))));
    }
}
