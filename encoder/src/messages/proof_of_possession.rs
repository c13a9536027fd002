//! Proof that a node holds the secret key of the BLS public key it registers, bound to its Sui
//! address so a key cannot be replayed by another account.

use crate::{
    Epoch,
    bls::{BlsPublicKey, BlsSecretKey, PUBLIC_KEY_LEN},
    messages::{IntentType, MessageError, SignedMessage, check_body_len, header, parse_header},
};

/// Body: the node's Sui address (32 bytes) ‖ its BLS public key (48 bytes, no length prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofOfPossessionMessage {
    /// The epoch at registration.
    pub epoch: Epoch,
    /// The Sui address registering the node.
    pub sui_address: [u8; 32],
    /// The key being registered.
    pub public_key: BlsPublicKey,
}

impl ProofOfPossessionMessage {
    /// The bytes signed with the registered key.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = header(IntentType::ProofOfPossession, self.epoch).to_vec();
        bytes.extend_from_slice(&self.sui_address);
        bytes.extend_from_slice(&self.public_key.to_bytes());
        bytes
    }

    /// Parses and checks message bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        let (epoch, body) = parse_header(bytes, IntentType::ProofOfPossession)?;
        check_body_len(IntentType::ProofOfPossession, body, 32 + PUBLIC_KEY_LEN)?;
        let public_key = BlsPublicKey::from_bytes(&body[32..]).map_err(MessageError::InvalidKey)?;
        Ok(Self { epoch, sui_address: body[..32].try_into().expect("32 bytes"), public_key })
    }

    /// The proof for `key` and `sui_address`, signed by `key`.
    pub fn prove(epoch: Epoch, sui_address: [u8; 32], key: &BlsSecretKey) -> SignedMessage {
        let message = Self { epoch, sui_address, public_key: key.public_key() };
        SignedMessage::sign(message.to_bytes(), key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_verifies_under_the_key_it_names() {
        let key = BlsSecretKey::from_seed(&[5; 32]);
        let signed = ProofOfPossessionMessage::prove(0, [0x11; 32], &key);
        let parsed = ProofOfPossessionMessage::from_bytes(&signed.serialized).unwrap();
        assert_eq!(parsed.public_key, key.public_key());
        signed.verify(&parsed.public_key).unwrap();
        let other = BlsSecretKey::from_seed(&[6; 32]);
        assert!(signed.verify(&other.public_key()).is_err());
    }
}
