//! A node's attestation of another node's storage challenge outcome in an epoch; a certificate
//! of a quorum of these is what `staking::record_challenge_outcome` records on chain.

use crate::{
    Epoch,
    bls::BlsSecretKey,
    messages::{IntentType, MessageError, SignedMessage, check_body_len, header, parse_header},
};

/// Body length: the node id (32 bytes), then the outcome byte.
const BODY_LEN: usize = 33;

/// "`node_id` passed (or failed) its storage challenges of `epoch`". Body: the node id (the
/// node's staking pool id, 32 bytes), then 1 = passed or 0 = failed, nothing after
/// (`messages::challenge_outcome_message` in Move).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChallengeOutcomeMessage {
    /// The epoch whose challenges the outcome is about (the committee's epoch that certifies it).
    pub epoch: Epoch,
    /// The challenged node's id.
    pub node_id: [u8; 32],
    /// Whether it answered its challenges.
    pub passed: bool,
}

impl ChallengeOutcomeMessage {
    /// The bytes a node signs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = header(IntentType::ChallengeOutcome, self.epoch).to_vec();
        bytes.extend_from_slice(&self.node_id);
        bytes.push(u8::from(self.passed));
        bytes
    }

    /// Parses and checks message bytes, refusing what the Move parser refuses.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        let (epoch, body) = parse_header(bytes, IntentType::ChallengeOutcome)?;
        check_body_len(IntentType::ChallengeOutcome, body, BODY_LEN)?;
        let node_id: [u8; 32] = body[..32].try_into().expect("32 bytes");
        let passed = match body[32] {
            0 => false,
            1 => true,
            other => return Err(MessageError::UnknownChallengeOutcome(other)),
        };
        Ok(Self { epoch, node_id, passed })
    }

    /// Signs the attestation.
    pub fn sign(&self, key: &BlsSecretKey) -> SignedMessage {
        SignedMessage::sign(self.to_bytes(), key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector `move/floe/tests/challenge_tests.move` checks
    /// (`the_message_bytes_are_the_shared_vector`): epoch 5, node 0x42..42, passed.
    const PASSED_EPOCH_5: &str = "04000305000000424242424242424242424242424242424242424242424242424242424242424201";

    #[test]
    fn bytes_are_the_vector_the_move_parser_accepts() {
        let message = ChallengeOutcomeMessage { epoch: 5, node_id: [0x42; 32], passed: true };
        assert_eq!(hex::encode(message.to_bytes()), PASSED_EPOCH_5);
        let failed = ChallengeOutcomeMessage { passed: false, ..message };
        assert_eq!(hex::encode(failed.to_bytes()), format!("{}00", &PASSED_EPOCH_5[..PASSED_EPOCH_5.len() - 2]));
        assert_eq!(ChallengeOutcomeMessage::from_bytes(&message.to_bytes()).unwrap(), message);
        assert_eq!(ChallengeOutcomeMessage::from_bytes(&failed.to_bytes()).unwrap(), failed);
    }

    #[test]
    fn what_move_refuses_is_refused() {
        let bytes = ChallengeOutcomeMessage { epoch: 5, node_id: [0x42; 32], passed: true }.to_bytes();
        let mut two = bytes.clone();
        *two.last_mut().unwrap() = 2;
        assert_eq!(ChallengeOutcomeMessage::from_bytes(&two), Err(MessageError::UnknownChallengeOutcome(2)));
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(
            ChallengeOutcomeMessage::from_bytes(&trailing),
            Err(MessageError::WrongBodyLength { actual: 34, expected: 33, .. })
        ));
        let mut other = bytes.clone();
        other[0] = 2;
        assert!(matches!(
            ChallengeOutcomeMessage::from_bytes(&other),
            Err(MessageError::WrongIntent { actual: 2, .. })
        ));
    }

    #[test]
    fn signed_outcome_verifies_with_the_signer_key() {
        let key = BlsSecretKey::from_seed(&[3; 32]);
        let signed = ChallengeOutcomeMessage { epoch: 2, node_id: [1; 32], passed: false }.sign(&key);
        assert!(signed.verify(&key.public_key()).is_ok());
    }
}
