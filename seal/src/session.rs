//! Session keys: the user's wallet signs once, and a short-lived Ed25519 key signs each key
//! request for the session.
//!
//! The wallet signs a [`Certificate`] in Sui's personal-message format over the text
//! `Accessing keys of package <package> for <ttl> mins from <YYYY-MM-DD HH:MM:SS UTC>, session
//! key <base64 session public key>` (Seal's wording). The certificate does not carry the package:
//! the key server takes it from the PTB it is asked to evaluate and checks the signature over the
//! text for that package, so a session signed for one package verifies for no other (Seal's wire
//! shape, which Seal's SDK sends). Each request to a key server is then signed
//! by the session key over the BCS of `(ptb, enc_key, enc_verification_key)`, which binds the
//! ephemeral ElGamal key to the request so that no one can replay it with their own key.
//!
//! ```
//! use floe_seal::session::{Certificate, SessionKey};
//! use sui_crypto::ed25519::Ed25519PrivateKey;
//! use sui_sdk_types::Address;
//!
//! let wallet = Ed25519PrivateKey::new([7; 32]);
//! let user = wallet.public_key().derive_address();
//! let package = Address::from_static("0x5e");
//! let now_ms = 1_750_000_000_000;
//! let session = SessionKey::create(&wallet, user, package, 10, now_ms, &mut rand::thread_rng())?;
//!
//! // Sent with every request; the key server checks it and the request signature.
//! let certificate: Certificate = session.certificate();
//! certificate.verify(package, now_ms + 60_000)?;
//! assert!(certificate.verify(Address::from_static("0x77"), now_ms).is_err(), "signed for 0x5e only");
//! let signature = session.sign_request(b"ptb", b"enc key", b"enc vk");
//! certificate.verify_request(b"ptb", b"enc key", b"enc vk", &signature)?;
//! assert!(certificate.verify(package, now_ms + 11 * 60_000).is_err(), "expired after 10 min");
//! # Ok::<(), floe_seal::session::SessionError>(())
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sui_crypto::ed25519::{Ed25519PrivateKey, Ed25519VerifyingKey};
use sui_crypto::{SignatureError, Signer, SuiSigner, SuiVerifier, UserSignatureVerifier, Verifier};
use sui_sdk_types::{Address, Ed25519PublicKey, Ed25519Signature, PersonalMessage, UserSignature};

/// The longest session a certificate may certify, in minutes (Seal's default bound).
pub const MAX_TTL_MIN: u16 = 30;
/// How far in the future a certificate's creation time may lie, for clocks that disagree a
/// little between user and key server.
pub const MAX_CLOCK_SKEW_MS: u64 = 2_000;

const MS_PER_MIN: u64 = 60_000;

/// Why a session could not be created, or a certificate or request was refused.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The TTL is 0 or above [`MAX_TTL_MIN`].
    #[error("session TTL of {ttl_min} min is not within 1..={max} min")]
    InvalidTtl {
        /// The TTL asked for.
        ttl_min: u16,
        /// The bound.
        max: u16,
    },
    /// The certificate claims to be created after now (plus the allowed skew).
    #[error("certificate created at {created_ms} ms, after the server's now {now_ms} ms")]
    CreatedInFuture {
        /// The certificate's creation time.
        created_ms: u64,
        /// The verifier's clock.
        now_ms: u64,
    },
    /// The session is over.
    #[error("session expired at {expired_ms} ms, now is {now_ms} ms")]
    Expired {
        /// When the session ended.
        expired_ms: u64,
        /// The verifier's clock.
        now_ms: u64,
    },
    /// The wallet's signature does not verify over the certificate's message for the package the
    /// request calls (a session signed for another package lands here too).
    #[error("the user's signature over the session certificate for package {package} does not verify: {source}")]
    InvalidCertificateSignature {
        /// The package the request calls, which the signed text must name.
        package: Address,
        /// What the verifier reported.
        #[source]
        source: SignatureError,
    },
    /// The certificate names an MVR package name instead of a package id; floe resolves none.
    #[error(
        "the certificate names the MVR package {0:?}; floe's key servers resolve no MVR names, create the session with the package id"
    )]
    MvrName(String),
    /// The signature verifies but was made by another address than the certificate's user.
    #[error("certificate signed by {signer}, but it names user {user}")]
    SignerMismatch {
        /// Who signed.
        signer: Address,
        /// Who the certificate names.
        user: Address,
    },
    /// The request's session signature does not verify under the certified session key.
    #[error("the request signature does not verify under the session key")]
    InvalidRequestSignature,
    /// A base64 field of the wire form does not decode.
    #[error("certificate field {field} is malformed: {source}")]
    MalformedBase64 {
        /// The field.
        field: &'static str,
        /// Why.
        #[source]
        source: base64::DecodeError,
    },
    /// The session key of the wire form is not an Ed25519 public key.
    #[error("certificate field session_vk is malformed: {0} bytes, expected 32")]
    SessionKeyLength(usize),
    /// The signature of the wire form is not a Sui signature.
    #[error("certificate field signature is malformed: {0}")]
    MalformedSignature(#[source] bcs::Error),
    /// The wallet refused or failed to sign.
    #[error("the wallet could not sign the session certificate: {0}")]
    Signing(#[source] SignatureError),
}

/// What a key server needs to accept a session: the user, the session's public key and its
/// lifetime, signed by the user's wallet. Wire form (JSON, Seal's): `{user, session_vk,
/// creation_time, ttl_min, signature, mvr_name?}` with the key and the Sui signature in base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CertificateWire", into = "CertificateWire")]
pub struct Certificate {
    /// The user's address (the sender the key server simulates as).
    pub user: Address,
    /// The session's Ed25519 public key.
    pub session_vk: Ed25519PublicKey,
    /// When the session started, ms since the Unix epoch.
    pub creation_time_ms: u64,
    /// How long it lasts, in minutes.
    pub ttl_min: u16,
    /// The wallet's signature over [`personal_message`] (any Sui signature scheme).
    pub signature: UserSignature,
    /// An MVR name the text named instead of the package id (Seal's SDK sends it when a session
    /// is created with one); floe's key servers refuse such certificates.
    pub mvr_name: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct CertificateWire {
    user: Address,
    session_vk: String,
    creation_time: u64,
    ttl_min: u16,
    signature: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mvr_name: Option<String>,
}

impl From<Certificate> for CertificateWire {
    fn from(c: Certificate) -> Self {
        Self {
            user: c.user,
            session_vk: BASE64.encode(c.session_vk.as_bytes()),
            creation_time: c.creation_time_ms,
            ttl_min: c.ttl_min,
            signature: c.signature.to_base64(),
            mvr_name: c.mvr_name,
        }
    }
}

impl TryFrom<CertificateWire> for Certificate {
    type Error = SessionError;

    fn try_from(w: CertificateWire) -> Result<Self, SessionError> {
        let vk = BASE64
            .decode(&w.session_vk)
            .map_err(|source| SessionError::MalformedBase64 { field: "session_vk", source })?;
        let session_vk = Ed25519PublicKey::from_bytes(&vk).map_err(|_| SessionError::SessionKeyLength(vk.len()))?;
        let signature = UserSignature::from_base64(&w.signature).map_err(SessionError::MalformedSignature)?;
        Ok(Self {
            user: w.user,
            session_vk,
            creation_time_ms: w.creation_time,
            ttl_min: w.ttl_min,
            signature,
            mvr_name: w.mvr_name,
        })
    }
}

/// The text the wallet signs for a session (Seal's wording, so wallets show the same prompt).
pub fn personal_message(
    package: Address,
    ttl_min: u16,
    creation_time_ms: u64,
    session_vk: &Ed25519PublicKey,
) -> String {
    format!(
        "Accessing keys of package {package} for {ttl_min} mins from {}, session key {}",
        utc_timestamp(creation_time_ms),
        BASE64.encode(session_vk.as_bytes()),
    )
}

/// The bytes the session key signs for one request: BCS of `(ptb, enc_key, enc_vk)`.
pub fn request_message(ptb: &[u8], enc_key: &[u8], enc_verification_key: &[u8]) -> Vec<u8> {
    bcs::to_bytes(&(ptb, enc_key, enc_verification_key)).expect("BCS of byte vectors does not fail")
}

fn check_ttl(ttl_min: u16) -> Result<(), SessionError> {
    if ttl_min == 0 || ttl_min > MAX_TTL_MIN {
        return Err(SessionError::InvalidTtl { ttl_min, max: MAX_TTL_MIN });
    }
    Ok(())
}

impl Certificate {
    /// When the session ends, ms since the Unix epoch.
    pub fn expires_at_ms(&self) -> u64 {
        self.creation_time_ms.saturating_add(u64::from(self.ttl_min) * MS_PER_MIN)
    }

    /// Key-server side: checks the TTL bound, that the session has started and not ended at
    /// `now_ms`, and the user's signature over the text for `package`, the package the request's
    /// PTB calls (verified as Sui verifies a personal message, so multisig and zkLogin signers
    /// verify too where enabled).
    pub fn verify(&self, package: Address, now_ms: u64) -> Result<(), SessionError> {
        check_ttl(self.ttl_min)?;
        if self.creation_time_ms > now_ms.saturating_add(MAX_CLOCK_SKEW_MS) {
            return Err(SessionError::CreatedInFuture { created_ms: self.creation_time_ms, now_ms });
        }
        if now_ms >= self.expires_at_ms() {
            return Err(SessionError::Expired { expired_ms: self.expires_at_ms(), now_ms });
        }
        if let Some(name) = &self.mvr_name {
            return Err(SessionError::MvrName(name.clone()));
        }
        let text = personal_message(package, self.ttl_min, self.creation_time_ms, &self.session_vk);
        let message = PersonalMessage(text.as_bytes().into());
        UserSignatureVerifier::new()
            .verify_personal_message(&message, &self.signature)
            .map_err(|source| SessionError::InvalidCertificateSignature { package, source })?;
        let signer = self.signature.derive_address();
        if signer != self.user {
            return Err(SessionError::SignerMismatch { signer, user: self.user });
        }
        Ok(())
    }

    /// Key-server side: checks the session key's signature over one request.
    pub fn verify_request(
        &self,
        ptb: &[u8],
        enc_key: &[u8],
        enc_verification_key: &[u8],
        signature: &Ed25519Signature,
    ) -> Result<(), SessionError> {
        let key = Ed25519VerifyingKey::new(&self.session_vk).map_err(|_| SessionError::InvalidRequestSignature)?;
        let message = request_message(ptb, enc_key, enc_verification_key);
        Verifier::<Ed25519Signature>::verify(&key, &message, signature)
            .map_err(|_| SessionError::InvalidRequestSignature)
    }
}

/// A user's session for one package: the certificate the wallet signed and the session's
/// secret key, which signs requests. Never leaves the client.
#[derive(Clone)]
pub struct SessionKey {
    certificate: Certificate,
    package: Address,
    secret: Ed25519PrivateKey,
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the session secret.
        f.debug_struct("SessionKey").field("certificate", &self.certificate).finish()
    }
}

impl SessionKey {
    /// Starts a session of `ttl_min` minutes (1..=[`MAX_TTL_MIN`]) from `now_ms`: draws a session
    /// key and has `wallet` (the key of `user`) sign the certificate once.
    pub fn create<S: SuiSigner, R: RngCore + CryptoRng>(
        wallet: &S,
        user: Address,
        package: Address,
        ttl_min: u16,
        now_ms: u64,
        rng: &mut R,
    ) -> Result<Self, SessionError> {
        check_ttl(ttl_min)?;
        let secret = Ed25519PrivateKey::generate(rng);
        let session_vk = secret.public_key();
        let text = personal_message(package, ttl_min, now_ms, &session_vk);
        let signature =
            wallet.sign_personal_message(&PersonalMessage(text.as_bytes().into())).map_err(SessionError::Signing)?;
        let certificate =
            Certificate { user, session_vk, creation_time_ms: now_ms, ttl_min, signature, mvr_name: None };
        Ok(Self { certificate, package, secret })
    }

    /// The certificate sent with every request.
    pub fn certificate(&self) -> Certificate {
        self.certificate.clone()
    }

    /// The user this session acts for.
    pub fn user(&self) -> Address {
        self.certificate.user
    }

    /// The package this session may fetch keys for.
    pub fn package(&self) -> Address {
        self.package
    }

    /// Signs one request (the PTB bytes and the request's ephemeral keys).
    pub fn sign_request(&self, ptb: &[u8], enc_key: &[u8], enc_verification_key: &[u8]) -> Ed25519Signature {
        Signer::<Ed25519Signature>::sign(&self.secret, &request_message(ptb, enc_key, enc_verification_key))
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` of a Unix time in ms (proleptic Gregorian calendar), as Seal's
/// message shows the creation time.
fn utc_timestamp(ms: u64) -> String {
    use chrono::Datelike;
    match i64::try_from(ms).ok().and_then(chrono::DateTime::from_timestamp_millis) {
        // The year by hand: chrono's `%Y` signs years past 9999.
        Some(t) => format!("{:04}-{}", t.year(), t.format("%m-%d %H:%M:%S UTC")),
        // Past the calendar's last year (262143), which no certificate's clock reaches.
        None => format!("{ms} ms after 1970-01-01 UTC"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_750_000_000_000;

    fn wallet(byte: u8) -> Ed25519PrivateKey {
        Ed25519PrivateKey::new([byte; 32])
    }

    fn package() -> Address {
        Address::from_static("0x5e")
    }

    fn session(ttl_min: u16) -> SessionKey {
        let w = wallet(1);
        SessionKey::create(&w, w.public_key().derive_address(), package(), ttl_min, NOW, &mut rand::thread_rng())
            .unwrap()
    }

    #[test]
    fn timestamps_print_as_utc_calendar_time() {
        assert_eq!(utc_timestamp(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_timestamp(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_timestamp(1_750_000_000_123), "2025-06-15 15:06:40 UTC");
        assert_eq!(utc_timestamp(978_307_199_999), "2000-12-31 23:59:59 UTC");
        assert_eq!(utc_timestamp(253_402_300_800_000), "10000-01-01 00:00:00 UTC");
    }

    #[test]
    fn message_follows_seals_wording() {
        let vk = Ed25519PublicKey::new([0; 32]);
        let text = personal_message(package(), 30, 0, &vk);
        assert_eq!(
            text,
            format!(
                "Accessing keys of package {} for 30 mins from 1970-01-01 00:00:00 UTC, session key {}",
                package(),
                BASE64.encode([0u8; 32])
            )
        );
    }

    #[test]
    fn certificate_is_valid_from_creation_until_ttl() {
        let cert = session(5).certificate();
        cert.verify(package(), NOW).unwrap();
        cert.verify(package(), NOW + 5 * 60_000 - 1).unwrap();
        let end = NOW + 5 * 60_000;
        assert!(matches!(
            cert.verify(package(), end),
            Err(SessionError::Expired { expired_ms, now_ms }) if expired_ms == end && now_ms == end
        ));
        assert!(matches!(cert.verify(package(), NOW - 10_000), Err(SessionError::CreatedInFuture { .. })));
    }

    #[test]
    fn ttl_above_thirty_minutes_is_refused_on_both_sides() {
        let w = wallet(1);
        let user = w.public_key().derive_address();
        let err = SessionKey::create(&w, user, package(), 31, NOW, &mut rand::thread_rng()).unwrap_err();
        assert!(matches!(err, SessionError::InvalidTtl { ttl_min: 31, max: 30 }), "{err}");
        // A forged long TTL in a certificate signed for a short one breaks the signature.
        let mut cert = session(30).certificate();
        cert.ttl_min = 31;
        assert!(matches!(cert.verify(package(), NOW), Err(SessionError::InvalidTtl { .. })));
    }

    #[test]
    fn tampered_or_foreign_certificates_are_refused() {
        let mut cert = session(10).certificate();
        cert.creation_time_ms += 1_000;
        assert!(matches!(cert.verify(package(), NOW + 2_000), Err(SessionError::InvalidCertificateSignature { .. })));

        let mut cert = session(10).certificate();
        let other = wallet(2).public_key().derive_address();
        cert.user = other;
        assert!(matches!(cert.verify(package(), NOW), Err(SessionError::SignerMismatch { .. })));

        // Signed for 0x5e: the text for any other package is not what the wallet signed.
        let cert = session(10).certificate();
        let elsewhere = Address::from_static("0x77");
        assert!(matches!(
            cert.verify(elsewhere, NOW),
            Err(SessionError::InvalidCertificateSignature { package, .. }) if package == elsewhere
        ));

        let mut cert = session(10).certificate();
        cert.mvr_name = Some("@floe/seal".into());
        assert!(matches!(cert.verify(package(), NOW), Err(SessionError::MvrName(name)) if name == "@floe/seal"));
    }

    #[test]
    fn request_signature_binds_ptb_and_ephemeral_keys() {
        let session = session(10);
        let cert = session.certificate();
        let signature = session.sign_request(b"ptb", b"key", b"vk");
        cert.verify_request(b"ptb", b"key", b"vk", &signature).unwrap();
        assert!(matches!(
            cert.verify_request(b"ptb", b"other key", b"vk", &signature),
            Err(SessionError::InvalidRequestSignature)
        ));
        assert!(matches!(
            cert.verify_request(b"ptb2", b"key", b"vk", &signature),
            Err(SessionError::InvalidRequestSignature)
        ));
        let stranger = self::session(10);
        let forged = stranger.sign_request(b"ptb", b"key", b"vk");
        assert!(matches!(
            cert.verify_request(b"ptb", b"key", b"vk", &forged),
            Err(SessionError::InvalidRequestSignature)
        ));
    }

    #[test]
    fn certificates_in_seals_sdk_shape_parse() {
        // What @mysten/seal's SessionKey.getCertificate() produces (mvr_name present when set).
        let cert = session(10).certificate();
        let mut json = serde_json::to_value(&cert).unwrap();
        json["mvr_name"] = serde_json::Value::String("@a/b".into());
        let parsed: Certificate = serde_json::from_value(json).unwrap();
        assert_eq!(parsed.mvr_name.as_deref(), Some("@a/b"));
    }

    #[test]
    fn certificate_round_trips_through_json() {
        let cert = session(10).certificate();
        let text = serde_json::to_string(&cert).unwrap();
        assert!(text.contains("\"creation_time\""));
        // Seal's shape: no package (the key server reads it from the PTB), no null mvr_name.
        assert!(!text.contains("package") && !text.contains("mvr_name"), "{text}");
        let back: Certificate = serde_json::from_str(&text).unwrap();
        assert_eq!(back, cert);
        back.verify(package(), NOW).unwrap();
    }
}
