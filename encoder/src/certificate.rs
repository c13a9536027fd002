//! Certificates: one message signed by committee members holding enough shards, as one
//! aggregate BLS signature and a bitmap of the signers.
//!
//! The rules are the ones the Move contract applies: bit `i % 8` of byte `i / 8` marks committee
//! member `i` (a position in the members list, not a shard); the bitmap is no longer than the
//! members need and its padding bits are zero; the signers' shard weight `w` must satisfy
//! `3w >= 2n + 1` (quorum, to certify a blob) or `3w >= n + 1` (one correct node, to invalidate a
//! blob id); the message's epoch must be the committee's epoch.
//!
//! ```
//! use floe_encoder::{BlobId, bls::BlsSecretKey};
//! use floe_encoder::certificate::{Certificate, Committee, CommitteeMember, Threshold};
//! use floe_encoder::messages::{BlobPersistence, StorageConfirmation};
//!
//! let keys: Vec<BlsSecretKey> = (0..4u8).map(|i| BlsSecretKey::from_seed(&[i; 32])).collect();
//! let members = keys.iter().enumerate().map(|(i, key)| CommitteeMember {
//!     public_key: key.public_key(), weight: 1, node_id: [i as u8; 32],
//! }).collect();
//! let committee = Committee::new(7, members).unwrap();
//! let message = StorageConfirmation { epoch: 7, blob_id: BlobId([1; 32]), persistence: BlobPersistence::Permanent };
//! let confirmations = (0..3).map(|i| (i as u16, message.sign(&keys[i]))).collect::<Vec<_>>();
//! let certificate = Certificate::aggregate(&committee, confirmations).unwrap();
//! assert_eq!(certificate.signers_bitmap(), vec![0b0000_0111]);
//! assert!(certificate.verify(&committee, Threshold::Quorum).is_ok());
//! ```

use serde::{Deserialize, Serialize};

use crate::{
    Epoch, bft,
    bls::{BlsError, BlsPublicKey, BlsSignature},
    messages::{HEADER_LEN, SignedMessage},
};

/// A committee member as certificates see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeMember {
    /// The member's BLS key for the epoch.
    pub public_key: BlsPublicKey,
    /// Shards the member holds in the epoch.
    pub weight: u16,
    /// The member's node id on chain.
    pub node_id: [u8; 32],
}

/// The committee of one epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committee {
    epoch: Epoch,
    n_shards: u16,
    members: Vec<CommitteeMember>,
}

/// Which weight a certificate must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// `3w >= 2n + 1`: certifies a blob.
    Quorum,
    /// `3w >= n + 1`: at least one correct node signed; invalidates a blob id.
    OneCorrectNode,
}

impl Threshold {
    fn is_met(self, weight: u64, n_shards: u16) -> bool {
        match self {
            Self::Quorum => bft::is_quorum(weight, n_shards),
            Self::OneCorrectNode => bft::is_one_correct(weight, n_shards),
        }
    }
}

/// Why a certificate (or a committee) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// A committee without members, or with more than fit in a `u16` index.
    #[error("a committee needs between 1 and 65535 members, got {0}")]
    BadMemberCount(usize),
    /// The shard weights add up to more than a `u16` can count.
    #[error("committee shard weights add up to {0}, more than 65535 shards")]
    TooManyShards(u64),
    /// The bitmap is longer than the members need.
    #[error("signer bitmap has {len} bytes, the committee of {members} members needs at most {max}")]
    BitmapTooLong {
        /// Bytes in the bitmap.
        len: usize,
        /// Bytes the committee needs.
        max: usize,
        /// Members in the committee.
        members: usize,
    },
    /// A bit beyond the last member is set.
    #[error("signer bitmap marks member {index}, but the committee has only {members} members")]
    SignerOutOfRange {
        /// The member index marked.
        index: usize,
        /// Members in the committee.
        members: usize,
    },
    /// A member signed twice.
    #[error("member {0} appears twice among the signers")]
    DuplicateSigner(u16),
    /// The signers do not carry enough shards.
    #[error("signers hold {weight} of {n_shards} shards, below the {threshold:?} threshold")]
    NotEnoughWeight {
        /// Shards the signers hold.
        weight: u64,
        /// Shards in the committee.
        n_shards: u16,
        /// The threshold required.
        threshold: Threshold,
    },
    /// The message is not for the committee's epoch.
    #[error("message is for epoch {message_epoch}, the committee is of epoch {committee_epoch}")]
    WrongEpoch {
        /// The epoch in the message header.
        message_epoch: Epoch,
        /// The committee's epoch.
        committee_epoch: Epoch,
    },
    /// The message is too short to carry a header.
    #[error("message of {0} bytes has no header")]
    MalformedMessage(usize),
    /// Signers signed different bytes.
    #[error("member {0} signed a different message than the first signer")]
    MessageMismatch(u16),
    /// A signature does not verify.
    #[error("signature check failed: {0}")]
    Signature(#[from] BlsError),
    /// These members' signatures do not verify with their keys (the others' do).
    #[error("the signatures of members {0:?} do not verify with their keys")]
    BadSigners(Vec<u16>),
}

impl Committee {
    /// The committee of `epoch`; its shard count is the sum of the members' weights.
    pub fn new(epoch: Epoch, members: Vec<CommitteeMember>) -> Result<Self, CertificateError> {
        if members.is_empty() || members.len() > usize::from(u16::MAX) {
            return Err(CertificateError::BadMemberCount(members.len()));
        }
        let total: u64 = members.iter().map(|member| u64::from(member.weight)).sum();
        let n_shards = u16::try_from(total).map_err(|_| CertificateError::TooManyShards(total))?;
        Ok(Self { epoch, n_shards, members })
    }

    /// The epoch.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The number of shards, the members' total weight.
    pub fn n_shards(&self) -> u16 {
        self.n_shards
    }

    /// The members, in the on-chain order that bitmap positions refer to.
    pub fn members(&self) -> &[CommitteeMember] {
        &self.members
    }

    /// The bitmap length the members need.
    pub fn bitmap_len(&self) -> usize {
        self.members.len().div_ceil(8)
    }

    /// The total weight of `signers` (member indices, distinct, in range).
    pub fn weight_of(&self, signers: &[u16]) -> u64 {
        signers.iter().map(|i| u64::from(self.members[usize::from(*i)].weight)).sum()
    }
}

/// An aggregate signature of several members on one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// Member indices of the signers, ascending.
    pub signers: Vec<u16>,
    /// The message all signers signed.
    pub message: Vec<u8>,
    /// The aggregate of their signatures.
    pub signature: BlsSignature,
}

impl Certificate {
    /// Aggregates members' signed messages into a certificate. The signatures are checked
    /// together, as one aggregate against the signers' aggregate key (two pairings, whatever the
    /// number of signers); only if that fails is each checked alone, so that the members that
    /// signed garbage are named ([`CertificateError::BadSigners`]) and can be left out.
    /// (The members' keys carry proofs of possession, registered on chain, so adding keys up
    /// cannot be gamed by a member choosing its key after the others'.)
    pub fn aggregate(committee: &Committee, signed: Vec<(u16, SignedMessage)>) -> Result<Self, CertificateError> {
        let Some((_, first)) = signed.first() else {
            return Err(CertificateError::NotEnoughWeight {
                weight: 0,
                n_shards: committee.n_shards,
                threshold: Threshold::OneCorrectNode,
            });
        };
        let message = first.serialized.clone();
        let mut keys = Vec::with_capacity(signed.len());
        for (index, confirmation) in &signed {
            let member = committee.members.get(usize::from(*index)).ok_or(CertificateError::SignerOutOfRange {
                index: usize::from(*index),
                members: committee.members.len(),
            })?;
            if confirmation.serialized != message {
                return Err(CertificateError::MessageMismatch(*index));
            }
            keys.push(&member.public_key);
        }
        let mut signers: Vec<u16> = signed.iter().map(|(index, _)| *index).collect();
        signers.sort_unstable();
        if let Some(pair) = signers.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(CertificateError::DuplicateSigner(pair[0]));
        }
        let signature = BlsSignature::aggregate(signed.iter().map(|(_, confirmation)| &confirmation.signature))?;
        if BlsPublicKey::aggregate(keys.iter().copied())?.verify(&message, &signature).is_err() {
            let bad: Vec<u16> = signed
                .iter()
                .zip(&keys)
                .filter(|((_, confirmation), key)| confirmation.verify(key).is_err())
                .map(|((index, _), _)| *index)
                .collect();
            if !bad.is_empty() {
                return Err(CertificateError::BadSigners(bad));
            }
            // Each valid alone, yet not together: refuse rather than hand out a bad aggregate.
            return Err(CertificateError::Signature(BlsError::BadSignature));
        }
        Ok(Self { signers, message, signature })
    }

    /// The signer bitmap as the chain takes it. Sized by the largest signer, not the last: a
    /// certificate decoded from someone else's bytes need not list its signers in order.
    pub fn signers_bitmap(&self) -> Vec<u8> {
        let len = self.signers.iter().max().map_or(0, |largest| usize::from(*largest) / 8 + 1);
        let mut bitmap = vec![0u8; len];
        for signer in &self.signers {
            bitmap[usize::from(*signer) / 8] |= 1 << (signer % 8);
        }
        bitmap
    }

    /// Reads a signer bitmap against a committee, with the chain's rules.
    pub fn signers_from_bitmap(committee: &Committee, bitmap: &[u8]) -> Result<Vec<u16>, CertificateError> {
        let members = committee.members.len();
        if bitmap.len() > committee.bitmap_len() {
            return Err(CertificateError::BitmapTooLong { len: bitmap.len(), max: committee.bitmap_len(), members });
        }
        let mut signers = Vec::new();
        for (byte_index, byte) in bitmap.iter().enumerate() {
            for bit in 0..8 {
                if byte & (1 << bit) != 0 {
                    let index = byte_index * 8 + bit;
                    if index >= members {
                        return Err(CertificateError::SignerOutOfRange { index, members });
                    }
                    signers.push(u16::try_from(index).expect("members fit in u16"));
                }
            }
        }
        Ok(signers)
    }

    /// The epoch in the message header.
    pub fn message_epoch(&self) -> Result<Epoch, CertificateError> {
        let header = self.message.get(..HEADER_LEN).ok_or(CertificateError::MalformedMessage(self.message.len()))?;
        Ok(Epoch::from_le_bytes(header[3..7].try_into().expect("4 bytes")))
    }

    /// Checks the certificate against `committee`: signers distinct and in range, weight above
    /// `threshold`, message of the committee's epoch, aggregate signature valid.
    pub fn verify(&self, committee: &Committee, threshold: Threshold) -> Result<(), CertificateError> {
        let message_epoch = self.message_epoch()?;
        if message_epoch != committee.epoch {
            return Err(CertificateError::WrongEpoch { message_epoch, committee_epoch: committee.epoch });
        }
        let members = committee.members.len();
        let mut seen = vec![false; members];
        for signer in &self.signers {
            let index = usize::from(*signer);
            let slot = seen.get_mut(index).ok_or(CertificateError::SignerOutOfRange { index, members })?;
            if *slot {
                return Err(CertificateError::DuplicateSigner(*signer));
            }
            *slot = true;
        }
        let weight = committee.weight_of(&self.signers);
        if !threshold.is_met(weight, committee.n_shards) {
            return Err(CertificateError::NotEnoughWeight { weight, n_shards: committee.n_shards, threshold });
        }
        let key = BlsPublicKey::aggregate(self.signers.iter().map(|i| &committee.members[usize::from(*i)].public_key))?;
        key.verify(&self.message, &self.signature)?;
        Ok(())
    }
}
