//! Private blobs: data sealed for an access policy before it is stored, so that storage nodes,
//! publishers and aggregators only ever hold ciphertext, and opened after reading by whoever the
//! policy admits.
//!
//! [`seal_blob`] encrypts for the identity `policy prefix ‖ random nonce` (the prefix is the owner's
//! address or the allowlist's object id, which is what the Move policies check) and returns the
//! BCS bytes of the [`EncryptedObject`]: store them as an ordinary blob. [`open_blob`] parses those
//! bytes, asks the key servers for the identity's key with the policy's `seal_approve` PTB, and
//! decrypts. [`Policy::resolve`] tells which policy a sealed blob was made for.
//!
//! ```
//! use floe_keyserver::private_blob::{Policy, approve_ptb};
//! use floe_chain::floe::SealCalls;
//! use sui_sdk_types::Address;
//!
//! let owner = Policy::Owner(Address::from_static("0xa11ce"));
//! let id = owner.new_id(&mut rand::thread_rng());
//! assert!(id.starts_with(Address::from_static("0xa11ce").as_bytes()));
//! let seal = SealCalls { package: Address::from_static("0x5e"), clock: floe_chain::floe::SharedObject::CLOCK };
//! let request = floe_keyserver::check_ptb(&approve_ptb(&seal, &owner, &id)).unwrap();
//! assert_eq!(request.ids, vec![id]);
//! ```

use floe_chain::ChainClient;
use floe_chain::floe::{SealCalls, SharedObject};
use floe_seal::session::SessionKey;
use floe_seal::{EncryptedObject, Identity, KeyServer as SealServer, ObjectId, Payload, encrypt};
use rand::{CryptoRng, RngCore};
use sui_sdk_types::{Address, Digest, ProgrammableTransaction, TransactionKind};
use sui_transaction_builder::{ObjectInput, TransactionBuilder};

use crate::client::{FetchError, KeyServerInfo, fetch_and_decrypt};

/// Random bytes after the policy prefix, so that two blobs sealed for one policy have
/// different identities (one released key does not open the other).
const NONCE_LENGTH: usize = 16;

/// Who may open a private blob: the policies of floe's Seal package that a blob can be sealed
/// for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// `owner_policy`: only this address.
    Owner(Address),
    /// `allowlist`: the members of this shared `Allowlist`.
    Allowlist(SharedObject),
}

/// Why a private blob could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum PrivateBlobError {
    /// Encryption failed (bad threshold, too many servers, data too long).
    #[error("sealing failed: {0}")]
    Seal(#[source] floe_seal::SealError),
    /// The bytes are not a sealed object.
    #[error("the blob is not a sealed object: {0}")]
    NotSealed(#[source] floe_seal::SealError),
    /// The object is sealed under another package than the policy's.
    #[error("the blob is sealed for package {found}, not the policy package {expected}")]
    WrongPackage {
        /// The policy package.
        expected: Address,
        /// The package in the object's header.
        found: Address,
    },
    /// The object's identity does not start with the policy's prefix.
    #[error("the blob is sealed for identity 0x{id}, which is not under policy prefix {prefix}")]
    WrongPolicy {
        /// The policy's prefix (owner address or allowlist id).
        prefix: Address,
        /// The identity, hex.
        id: String,
    },
    /// The identity is too short to name an owner or an allowlist.
    #[error("the sealed identity has {0} bytes, fewer than an address")]
    ShortIdentity(usize),
    /// The identity names an object that is not a shared allowlist.
    #[error("identity prefix {id} is neither the reader's address nor a shared allowlist: {reason}")]
    UnknownPolicy {
        /// The prefix.
        id: Address,
        /// Why it is not an allowlist.
        reason: String,
    },
    /// The key servers did not release enough keys, or the keys did not decrypt.
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

impl Policy {
    /// The bytes every identity of this policy starts with.
    pub fn prefix(&self) -> Address {
        match self {
            Self::Owner(owner) => *owner,
            Self::Allowlist(list) => list.id,
        }
    }

    /// A fresh inner identity under this policy: prefix ‖ 16 random bytes.
    pub fn new_id<R: RngCore + CryptoRng>(&self, rng: &mut R) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LENGTH];
        rng.fill_bytes(&mut nonce);
        [self.prefix().as_bytes(), &nonce[..]].concat()
    }

    /// Which policy the inner identity `id` belongs to, for `reader`: its prefix is either the
    /// reader's own address (owner policy) or a shared object, taken as an allowlist (the
    /// chain's `seal_approve` decides whether it really admits the reader).
    pub async fn resolve(chain: &ChainClient, id: &[u8], reader: Address) -> Result<Self, PrivateBlobError> {
        let prefix: [u8; Address::LENGTH] = id
            .get(..Address::LENGTH)
            .and_then(|p| p.try_into().ok())
            .ok_or(PrivateBlobError::ShortIdentity(id.len()))?;
        let prefix = Address::new(prefix);
        if prefix == reader {
            return Ok(Self::Owner(reader));
        }
        let unknown = |reason: String| PrivateBlobError::UnknownPolicy { id: prefix, reason };
        let object = chain.get_object(prefix).await.map_err(|e| unknown(e.to_string()))?;
        let shared = SharedObject::from_object(&object).map_err(|e| unknown(e.to_string()))?;
        Ok(Self::Allowlist(shared))
    }
}

/// Encrypts `data` for a fresh identity under `policy` of `package` (the Seal package) so that
/// any `threshold` of `servers` can release its key; returns the sealed object's bytes, ready
/// to be stored as a blob.
pub fn seal_blob<R: RngCore + CryptoRng>(
    rng: &mut R,
    package: Address,
    policy: &Policy,
    servers: &[KeyServerInfo],
    threshold: u8,
    data: &[u8],
) -> Result<Vec<u8>, PrivateBlobError> {
    let identity = Identity::new(ObjectId(package.into_inner()), policy.new_id(rng));
    let servers: Vec<SealServer> = servers
        .iter()
        .map(|s| SealServer { object_id: ObjectId(s.object_id.into_inner()), public_key: s.public_key })
        .collect();
    let (object, _) = encrypt(rng, &identity, &servers, threshold, Payload::Aes256Gcm { data, aad: None })
        .map_err(PrivateBlobError::Seal)?;
    Ok(object.to_bytes())
}

/// Whether `bytes` parse as a sealed object; returns it if so.
pub fn parse_sealed(bytes: &[u8]) -> Result<EncryptedObject, PrivateBlobError> {
    EncryptedObject::from_bytes(bytes).map_err(PrivateBlobError::NotSealed)
}

/// Opens a sealed blob read back from storage: asks `servers` (at least the object's threshold
/// of them must answer) for its key with `policy`'s `seal_approve` call, as the user of
/// `session`, and decrypts.
pub async fn open_blob(
    http: &reqwest::Client,
    servers: &[KeyServerInfo],
    session: &SessionKey,
    seal: &SealCalls,
    policy: &Policy,
    bytes: &[u8],
) -> Result<Vec<u8>, PrivateBlobError> {
    let object = parse_sealed(bytes)?;
    let header = &object.header;
    let found = Address::new(header.package_id.0);
    if found != seal.package {
        return Err(PrivateBlobError::WrongPackage { expected: seal.package, found });
    }
    let prefix = policy.prefix();
    if !header.id.starts_with(prefix.as_bytes()) {
        return Err(PrivateBlobError::WrongPolicy { prefix, id: hex(&header.id) });
    }
    let ptb = approve_ptb(seal, policy, &header.id);
    Ok(fetch_and_decrypt(http, servers, session, &ptb, &object).await?)
}

/// The key request PTB for inner identity `id` under `policy`: one `seal_approve` call. The
/// sender and gas are placeholders; key servers only simulate the commands.
pub fn approve_ptb(seal: &SealCalls, policy: &Policy, id: &[u8]) -> ProgrammableTransaction {
    let mut tx = TransactionBuilder::new();
    tx.set_sender(Address::ZERO);
    tx.add_gas_objects([ObjectInput::owned(Address::ZERO, 1, Digest::ZERO)]);
    tx.set_gas_price(1);
    tx.set_gas_budget(1);
    match policy {
        Policy::Owner(_) => seal.owner_seal_approve(&mut tx, id),
        Policy::Allowlist(list) => seal.allowlist_seal_approve(&mut tx, id, list),
    }
    match tx.try_build().map(|t| t.kind) {
        Ok(TransactionKind::ProgrammableTransaction(ptb)) => ptb,
        // Sender, gas, price and budget are all set above, so building cannot fail.
        other => unreachable!("a complete builder yields a PTB, got {other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
