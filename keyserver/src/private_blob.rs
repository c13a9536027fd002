//! Private blobs: data sealed for an access policy before it is stored, so that storage nodes,
//! publishers and aggregators only ever hold ciphertext, and opened after reading by whoever the
//! policy admits.
//!
//! [`seal_blob`] encrypts for the identity `policy prefix ‖ random nonce` (the prefix is the owner's
//! address, the allowlist's or the service's object id, which is what the Move policies check; a
//! time lock's identity is its unlock time) and returns the BCS bytes of the [`EncryptedObject`]:
//! store them as an ordinary blob. [`Policy::resolve`] tells
//! which policy a sealed blob was made for, [`Approval::for_reader`] adds what the reader must
//! present (their `Subscription`), and [`open_blob`] asks the key servers for the identity's key
//! with that `seal_approve` PTB and decrypts.
//!
//! ```
//! use floe_keyserver::private_blob::{Approval, Policy, approve_ptb};
//! use floe_chain::floe::SealCalls;
//! use sui_sdk_types::Address;
//!
//! let owner = Policy::Owner(Address::from_static("0xa11ce"));
//! let id = owner.new_id(&mut rand::thread_rng());
//! assert!(id.starts_with(Address::from_static("0xa11ce").as_bytes()));
//! let seal = SealCalls { package: Address::from_static("0x5e"), clock: floe_chain::floe::SharedObject::CLOCK };
//! let approval = Approval::without_subscription(owner);
//! let request = floe_keyserver::check_ptb(&approve_ptb(&seal, &approval, &id)).unwrap();
//! assert_eq!(request.ids, vec![id]);
//! ```

use std::fmt;

use floe_chain::floe::seal::Subscription;
use floe_chain::floe::{FloeObject, MoveType, ObjectMismatch, SealCalls, SharedObject};
use floe_chain::{ChainClient, ClientError, Packages};
use floe_seal::session::SessionKey;
use floe_seal::{EncryptedObject, Identity, KeyServer as SealServer, Payload, encrypt};
use rand::{CryptoRng, RngCore};
use sui_sdk_types::{Address, Digest, ObjectReference, ProgrammableTransaction, TransactionKind, TypeTag};
use sui_transaction_builder::{ObjectInput, TransactionBuilder};

use crate::client::{FetchError, KeyServerInfo, fetch_and_decrypt};

/// Random bytes after the policy prefix, so that two blobs sealed for one policy have
/// different identities (one released key does not open the other).
const NONCE_LENGTH: usize = 16;

/// The length of a time-lock identity: the BCS of a u64, as `time_lock::unlock_time_ms` reads it.
const TIME_LOCK_ID_LENGTH: usize = 8;

/// Who may open a private blob: the policies of floe's Seal package that a blob can be sealed
/// for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// `owner_policy`: only this address.
    Owner(Address),
    /// `allowlist`: the members of this shared `Allowlist`.
    Allowlist(SharedObject),
    /// `subscription`: holders of a live `Subscription` to this shared `Service<coin_type>`.
    Subscription {
        /// The service.
        service: SharedObject,
        /// The coin its fee is paid in (`T` of `Service<T>`).
        coin_type: TypeTag,
    },
    /// `time_lock`: anyone, once the chain's clock reaches `unlock_ms` (ms since the Unix epoch).
    /// Every blob locked until the same millisecond shares one identity, as the Move policy
    /// reads the whole identity as the time.
    TimeLock {
        /// When the key may be released.
        unlock_ms: u64,
    },
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
    /// The object's identity is not one of the policy's.
    #[error("the blob is sealed for identity 0x{id}, which is not under the {policy}")]
    WrongPolicy {
        /// The policy, described.
        policy: String,
        /// The identity, hex.
        id: String,
    },
    /// The identity is too short to name an owner, an allowlist or a service.
    #[error("the sealed identity has {0} bytes: neither a time lock (8) nor an address prefix (32 or more)")]
    ShortIdentity(usize),
    /// The identity's prefix is not the reader's address and names no allowlist or service.
    #[error(
        "the blob is sealed under prefix {id}, which is not the reader's address (owner policy) and \
         not an allowlist or subscription service: {reason}"
    )]
    UnknownPolicy {
        /// The prefix.
        id: Address,
        /// What the chain says about it.
        #[source]
        reason: NotAPolicy,
    },
    /// The reader holds no subscription to the service.
    #[error("{reader} holds no Subscription to service {service}; buy one first (`floe subscribe {service}`)")]
    NoSubscription {
        /// The service.
        service: Address,
        /// The reader.
        reader: Address,
    },
    /// The reader's subscriptions could not be listed.
    #[error("cannot list the subscriptions of {reader}: {source}")]
    Chain {
        /// The reader.
        reader: Address,
        /// What failed.
        #[source]
        source: ClientError,
    },
    /// The key servers did not release enough keys, or the keys did not decrypt.
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

/// Why an identity's prefix names no allowlist or subscription service.
#[derive(Debug, thiserror::Error)]
pub enum NotAPolicy {
    /// No object has that id.
    #[error("{0} (an owner-only blob of another address looks like this)")]
    Missing(#[source] ClientError),
    /// The object is something else.
    #[error(transparent)]
    Object(#[from] ObjectMismatch),
}

impl Policy {
    /// A fresh inner identity under this policy: prefix ‖ 16 random bytes, or for a time lock
    /// the BCS of its unlock time.
    pub fn new_id<R: RngCore + CryptoRng>(&self, rng: &mut R) -> Vec<u8> {
        let prefix = match self {
            Self::Owner(owner) => *owner,
            Self::Allowlist(list) => list.id,
            Self::Subscription { service, .. } => service.id,
            Self::TimeLock { unlock_ms } => return unlock_ms.to_le_bytes().to_vec(),
        };
        let mut nonce = [0u8; NONCE_LENGTH];
        rng.fill_bytes(&mut nonce);
        [prefix.as_bytes(), &nonce[..]].concat()
    }

    /// Whether inner identity `id` is one this policy's `seal_approve` can grant.
    pub fn covers(&self, id: &[u8]) -> bool {
        match self {
            Self::Owner(owner) => id.starts_with(owner.as_bytes()),
            Self::Allowlist(list) => id.starts_with(list.id.as_bytes()),
            Self::Subscription { service, .. } => id.starts_with(service.id.as_bytes()),
            Self::TimeLock { unlock_ms } => id == unlock_ms.to_le_bytes(),
        }
    }

    /// Which policy the inner identity `id` belongs to, for `reader`: 8 bytes are a time lock;
    /// otherwise the first 32 bytes are the reader's own address (owner policy), a shared
    /// `Allowlist` or a shared `Service` of `packages`' Seal package. The chain's
    /// `seal_approve` still decides whether the policy admits the reader.
    pub async fn resolve(
        chain: &ChainClient,
        packages: &Packages,
        id: &[u8],
        reader: Address,
    ) -> Result<Self, PrivateBlobError> {
        if let Ok(time) = <[u8; TIME_LOCK_ID_LENGTH]>::try_from(id) {
            return Ok(Self::TimeLock { unlock_ms: u64::from_le_bytes(time) });
        }
        let prefix: [u8; Address::LENGTH] = id
            .get(..Address::LENGTH)
            .and_then(|p| p.try_into().ok())
            .ok_or(PrivateBlobError::ShortIdentity(id.len()))?;
        let prefix = Address::new(prefix);
        if prefix == reader {
            return Ok(Self::Owner(reader));
        }
        let unknown = |reason: NotAPolicy| PrivateBlobError::UnknownPolicy { id: prefix, reason };
        let object = chain.get_object(prefix).await.map_err(|e| unknown(NotAPolicy::Missing(e)))?;
        let mismatch = |reason: ObjectMismatch| unknown(reason.into());
        let shared = SharedObject::from_object(&object).map_err(|e| mismatch(e.into()))?;
        let contents = object.as_struct().ok_or_else(|| mismatch(ObjectMismatch::Package))?;
        match FloeObject::from_move_struct(packages, contents) {
            Ok(FloeObject::Allowlist(_)) => Ok(Self::Allowlist(shared)),
            Ok(FloeObject::Service { coin_type, .. }) => Ok(Self::Subscription { service: shared, coin_type }),
            Ok(_) => Err(mismatch(ObjectMismatch::of_type(contents.object_type()))),
            Err(e) => Err(mismatch(e.into())),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Owner(owner) => write!(f, "owner policy of {owner}"),
            Self::Allowlist(list) => write!(f, "allowlist {}", list.id),
            Self::Subscription { service, .. } => write!(f, "subscription service {}", service.id),
            Self::TimeLock { unlock_ms } => write!(f, "time lock until {}", floe_chain::ClockTime(*unlock_ms)),
        }
    }
}

/// What a reader presents to the key servers for a policy: the policy and, for a subscription,
/// the reader's own `Subscription` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The policy.
    pub policy: Policy,
    /// The reader's subscription (subscription policies only).
    pub subscription: Option<ObjectReference>,
}

impl Approval {
    /// The approval `reader` can present for `policy`: for a subscription, the reader's newest
    /// `Subscription` to the service (the key servers decide whether it is still live).
    pub async fn for_reader(
        chain: &ChainClient,
        packages: &Packages,
        policy: Policy,
        reader: Address,
    ) -> Result<Self, PrivateBlobError> {
        let Policy::Subscription { service, .. } = &policy else {
            return Ok(Self { policy, subscription: None });
        };
        let owned = chain
            .owned_objects(reader, Some(&Subscription::struct_tag(packages)))
            .await
            .map_err(|source| PrivateBlobError::Chain { reader, source })?;
        let newest = owned
            .iter()
            .filter_map(|object| {
                let subscription: Subscription = bcs::from_bytes(object.as_struct()?.contents()).ok()?;
                (subscription.service_id == service.id).then_some((subscription.created_at_ms, object))
            })
            .max_by_key(|(created_at_ms, _)| *created_at_ms)
            .map(|(_, object)| ObjectReference::new(object.object_id(), object.version(), object.digest()));
        match newest {
            Some(subscription) => Ok(Self { policy, subscription: Some(subscription) }),
            None => Err(PrivateBlobError::NoSubscription { service: service.id, reader }),
        }
    }

    /// An approval that needs no object of the reader's (owner, allowlist, time lock).
    ///
    /// # Panics
    /// For a subscription policy, which needs [`Approval::for_reader`].
    pub fn without_subscription(policy: Policy) -> Self {
        assert!(
            !matches!(policy, Policy::Subscription { .. }),
            "a subscription approval needs the reader's Subscription"
        );
        Self { policy, subscription: None }
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
    let identity = Identity::new(package, policy.new_id(rng));
    let servers: Vec<SealServer> =
        servers.iter().map(|s| SealServer { object_id: s.object_id, public_key: s.public_key }).collect();
    let (object, _) = encrypt(rng, &identity, &servers, threshold, Payload::Aes256Gcm { data, aad: None })
        .map_err(PrivateBlobError::Seal)?;
    Ok(object.to_bytes())
}

/// Whether `bytes` parse as a sealed object; returns it if so.
pub fn parse_sealed(bytes: &[u8]) -> Result<EncryptedObject, PrivateBlobError> {
    EncryptedObject::from_bytes(bytes).map_err(PrivateBlobError::NotSealed)
}

/// Opens a sealed blob read back from storage: asks `servers` (at least the object's threshold
/// of them must answer) for its key with the `seal_approve` call of `approval`, as the user of
/// `session`, and decrypts.
pub async fn open_blob(
    http: &reqwest::Client,
    servers: &[KeyServerInfo],
    session: &SessionKey,
    seal: &SealCalls,
    approval: &Approval,
    bytes: &[u8],
) -> Result<Vec<u8>, PrivateBlobError> {
    let object = parse_sealed(bytes)?;
    let header = &object.header;
    let found = header.package_id;
    if found != seal.package {
        return Err(PrivateBlobError::WrongPackage { expected: seal.package, found });
    }
    if !approval.policy.covers(&header.id) {
        return Err(PrivateBlobError::WrongPolicy { policy: approval.policy.to_string(), id: hex(&header.id) });
    }
    let ptb = approve_ptb(seal, approval, &header.id);
    Ok(fetch_and_decrypt(http, servers, session, &ptb, &object).await?)
}

/// The key request PTB for inner identity `id` under `approval`: one `seal_approve` call. The
/// sender and gas are placeholders; key servers only simulate the commands.
pub fn approve_ptb(seal: &SealCalls, approval: &Approval, id: &[u8]) -> ProgrammableTransaction {
    let mut tx = TransactionBuilder::new();
    tx.set_sender(Address::ZERO);
    tx.add_gas_objects([ObjectInput::owned(Address::ZERO, 1, Digest::ZERO)]);
    tx.set_gas_price(1);
    tx.set_gas_budget(1);
    match (&approval.policy, &approval.subscription) {
        (Policy::Owner(_), _) => seal.owner_seal_approve(&mut tx, id),
        (Policy::Allowlist(list), _) => seal.allowlist_seal_approve(&mut tx, id, list),
        (Policy::TimeLock { .. }, _) => seal.time_lock_seal_approve(&mut tx, id),
        (Policy::Subscription { service, coin_type }, subscription) => {
            // Without a subscription the call is still well formed; the servers refuse it.
            let r = subscription.clone().unwrap_or_else(|| ObjectReference::new(Address::ZERO, 1, Digest::ZERO));
            let subscription = tx.object(ObjectInput::owned(*r.object_id(), r.version(), *r.digest()));
            seal.subscription_seal_approve(&mut tx, coin_type, id, subscription, service);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> Policy {
        Policy::Subscription { service: SharedObject::new(Address::new([0x5e; 32]), 3), coin_type: TypeTag::U64 }
    }

    #[test]
    fn identities_start_with_the_policy_prefix_and_differ_per_blob() {
        let mut rng = rand::thread_rng();
        for policy in [
            Policy::Owner(Address::new([1; 32])),
            Policy::Allowlist(SharedObject::new(Address::new([2; 32]), 1)),
            service(),
        ] {
            let (a, b) = (policy.new_id(&mut rng), policy.new_id(&mut rng));
            assert_eq!(a.len(), Address::LENGTH + NONCE_LENGTH);
            assert_ne!(a, b, "two blobs of one policy must not share a key");
            assert!(policy.covers(&a) && policy.covers(&b));
            assert!(!Policy::Owner(Address::new([9; 32])).covers(&a));
        }
    }

    #[test]
    fn a_time_lock_identity_is_the_bcs_of_its_unlock_time() {
        let policy = Policy::TimeLock { unlock_ms: 1_800_000_000_123 };
        let id = policy.new_id(&mut rand::thread_rng());
        assert_eq!(id, bcs::to_bytes(&1_800_000_000_123u64).unwrap());
        assert!(policy.covers(&id));
        assert!(!Policy::TimeLock { unlock_ms: 1_800_000_000_124 }.covers(&id));
    }

    #[test]
    fn each_policy_asks_for_its_own_seal_approve() {
        let seal = SealCalls { package: Address::new([0xee; 32]), clock: SharedObject::CLOCK };
        let subscription = ObjectReference::new(Address::new([7; 32]), 4, Digest::ZERO);
        let cases = [
            (Approval::without_subscription(Policy::Owner(Address::new([1; 32]))), "owner_policy", 1),
            (Approval::without_subscription(Policy::TimeLock { unlock_ms: 5 }), "time_lock", 2),
            (Approval { policy: service(), subscription: Some(subscription) }, "subscription", 4),
        ];
        for (approval, module, inputs) in cases {
            let ptb = approve_ptb(&seal, &approval, b"id");
            let request = crate::check_ptb(&ptb).unwrap();
            assert_eq!(request.package, seal.package);
            assert_eq!(ptb.inputs.len(), inputs, "{module}");
            match &ptb.commands[..] {
                [sui_sdk_types::Command::MoveCall(call)] => assert_eq!(call.module.as_str(), module),
                other => panic!("one call expected, got {other:?}"),
            }
        }
    }

    #[test]
    #[should_panic(expected = "needs the reader's Subscription")]
    fn a_subscription_approval_needs_the_subscription() {
        Approval::without_subscription(service());
    }
}
