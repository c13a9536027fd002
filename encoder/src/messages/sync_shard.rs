//! A node's request to a shard's previous owner for the shard's slivers, after an epoch change
//! moved the shard to it. Signed with the requester's BLS key, so the previous owner can check
//! that the chain assigns the shard to that key in that epoch before serving.

use crate::{
    BlobId, Epoch, ShardIndex, SliverType,
    bls::{BlsPublicKey, BlsSecretKey, PUBLIC_KEY_LEN},
    messages::{IntentType, MessageError, SignedMessage, check_body_len, header, parse_header},
};

/// Bytes of the body: shard (u16 LE), axis (u8), first blob id (32 B), count (u16 LE),
/// the requester's BLS public key (48 B).
const BODY_LEN: usize = 2 + 1 + 32 + 2 + PUBLIC_KEY_LEN;

/// "Send me, the holder of `shard` in `epoch`, up to `count` slivers of `axis` of that shard,
/// of blobs from `start` on in blob id order."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncShardRequest {
    /// The epoch in which the requester holds the shard.
    pub epoch: Epoch,
    /// The shard.
    pub shard: ShardIndex,
    /// Which slivers of the shard.
    pub axis: SliverType,
    /// The first blob id wanted (inclusive).
    pub start: BlobId,
    /// At most this many slivers.
    pub count: u16,
    /// The requester's key: the one the chain must assign the shard to, and the signer.
    pub requester: BlsPublicKey,
}

impl SyncShardRequest {
    /// The bytes the requester signs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = header(IntentType::SyncShard, self.epoch).to_vec();
        bytes.extend_from_slice(&self.shard.0.to_le_bytes());
        bytes.push(match self.axis {
            SliverType::Primary => 0,
            SliverType::Secondary => 1,
        });
        bytes.extend_from_slice(&self.start.0);
        bytes.extend_from_slice(&self.count.to_le_bytes());
        bytes.extend_from_slice(&self.requester.to_bytes());
        bytes
    }

    /// Parses and checks message bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        let (epoch, body) = parse_header(bytes, IntentType::SyncShard)?;
        check_body_len(IntentType::SyncShard, body, BODY_LEN)?;
        let shard = ShardIndex(u16::from_le_bytes([body[0], body[1]]));
        let axis = match body[2] {
            0 => SliverType::Primary,
            1 => SliverType::Secondary,
            other => return Err(MessageError::UnknownSliverType(other)),
        };
        let start = BlobId(body[3..35].try_into().expect("32 bytes"));
        let count = u16::from_le_bytes([body[35], body[36]]);
        let requester = BlsPublicKey::from_bytes(&body[37..]).map_err(MessageError::InvalidKey)?;
        Ok(Self { epoch, shard, axis, start, count, requester })
    }

    /// Signs the request with the requester's key (whose public key must be `requester`).
    pub fn sign(&self, key: &BlsSecretKey) -> SignedMessage {
        SignedMessage::sign(self.to_bytes(), key)
    }

    /// Parses a signed request and checks that its own `requester` key signed it.
    pub fn verify(signed: &SignedMessage) -> Result<Self, MessageError> {
        let request = Self::from_bytes(&signed.serialized)?;
        signed.verify(&request.requester).map_err(MessageError::BadSignature)?;
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: &BlsSecretKey) -> SyncShardRequest {
        SyncShardRequest {
            epoch: 7,
            shard: ShardIndex(513),
            axis: SliverType::Secondary,
            start: BlobId([9; 32]),
            count: 40,
            requester: key.public_key(),
        }
    }

    #[test]
    fn a_request_round_trips_and_verifies_with_its_own_key() {
        let key = BlsSecretKey::from_seed(&[4; 32]);
        let signed = request(&key).sign(&key);
        assert_eq!(&signed.serialized[..7], &[3, 0, 3, 7, 0, 0, 0]);
        assert_eq!(&signed.serialized[7..10], &[1, 2, 1]);
        assert_eq!(SyncShardRequest::verify(&signed).unwrap(), request(&key));
    }

    #[test]
    fn a_request_signed_by_another_key_or_cut_short_is_refused() {
        let (key, other) = (BlsSecretKey::from_seed(&[4; 32]), BlsSecretKey::from_seed(&[5; 32]));
        // Claims to come from `key`, signed by `other`.
        let forged = request(&key).sign(&other);
        assert!(matches!(SyncShardRequest::verify(&forged), Err(MessageError::BadSignature(_))));
        let mut short = request(&key).to_bytes();
        short.pop();
        assert!(matches!(SyncShardRequest::from_bytes(&short), Err(MessageError::WrongBodyLength { .. })));
        let mut bad_axis = request(&key).to_bytes();
        bad_axis[9] = 2;
        assert_eq!(SyncShardRequest::from_bytes(&bad_axis), Err(MessageError::UnknownSliverType(2)));
    }
}
