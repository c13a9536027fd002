//! Publisher authentication: every store carries a JSON Web Token, in the shape of Walrus's
//! authenticated publisher, so that a publisher paying from its operator's wallet can be exposed
//! to the internet behind whatever hands out tokens.
//!
//! A store request sends `Authorization: Bearer <jwt>`. The token is signed with HS256 (a secret
//! shared with the token issuer) or EdDSA (the issuer's Ed25519 public key), and its claims are:
//!
//! | claim | required | meaning |
//! |---|---|---|
//! | `exp` | yes | expiry (seconds since the Unix epoch) |
//! | `jti` | yes | a unique id: a token is accepted once, and remembered until it expires |
//! | `iat` | when `max_token_age` is set | issue time; older than the age limit is refused |
//! | `send_object_to` | no | the address that receives the `Blob` object; the query may not name another |
//! | `epochs` / `max_epochs` | no | the exact / largest number of epochs the store may buy |
//! | `size` / `max_size` | no | the exact / largest blob size in bytes |
//!
//! Everything is checked before the body is read and before any gas is spent: a missing,
//! malformed, wrongly signed or expired token is a 401; a valid token whose claims forbid the
//! request, or one used before, is a 403; a declared body over the token's size limit is a 413.
//! The body's real length is checked again once read (a request need not declare it). Messages
//! never echo the token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode, header};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sui_sdk_types::Address;

use super::ApiError;
use crate::client::StoreOptions;

/// How tokens are verified.
#[derive(Clone, PartialEq, Eq)]
pub enum TokenKey {
    /// HS256 with a shared secret.
    Secret(Vec<u8>),
    /// EdDSA with the issuer's Ed25519 public key (32 bytes).
    Ed25519PublicKey([u8; 32]),
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A secret is never printed, not even in debug output.
        match self {
            Self::Secret(_) => f.write_str("TokenKey::Secret(..)"),
            Self::Ed25519PublicKey(key) => write!(f, "TokenKey::Ed25519PublicKey({})", hex_key(key)),
        }
    }
}

fn hex_key(key: &[u8; 32]) -> String {
    key.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The claims of an upload token (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UploadClaims {
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issue time, seconds since the Unix epoch.
    #[serde(default)]
    pub iat: Option<u64>,
    /// The token's unique id.
    pub jti: String,
    /// The address that must receive the `Blob` object.
    #[serde(default)]
    pub send_object_to: Option<Address>,
    /// The exact number of epochs.
    #[serde(default)]
    pub epochs: Option<u32>,
    /// The largest number of epochs.
    #[serde(default)]
    pub max_epochs: Option<u32>,
    /// The exact blob size.
    #[serde(default)]
    pub size: Option<u64>,
    /// The largest blob size.
    #[serde(default)]
    pub max_size: Option<u64>,
}

impl UploadClaims {
    /// Applies the claims to a request's options: fills `send_object_to` when the query left it
    /// out, and refuses what the token does not allow. `declared_size` is the body's declared
    /// length, if any.
    fn admit(&self, options: &mut StoreOptions, declared_size: Option<u64>) -> Result<(), ApiError> {
        let forbidden = |message: String| ApiError::new(StatusCode::FORBIDDEN, message);
        if let Some(owner) = self.send_object_to {
            match options.send_object_to {
                Some(asked) if asked != owner => {
                    return Err(forbidden(format!(
                        "send_object_to={asked}: this token stores only for {owner}; leave send_object_to out or name {owner}"
                    )));
                }
                _ => options.send_object_to = Some(owner),
            }
        }
        if let Some(epochs) = self.epochs.filter(|epochs| *epochs != options.epochs) {
            return Err(forbidden(format!("epochs={}: this token allows exactly {epochs} epochs", options.epochs)));
        }
        if let Some(max) = self.max_epochs.filter(|max| options.epochs > *max) {
            return Err(forbidden(format!("epochs={}: this token allows at most {max} epochs", options.epochs)));
        }
        if let Some(size) = declared_size {
            self.check_size(size)?;
        }
        Ok(())
    }

    /// Refuses a body size the token does not allow (413).
    pub(crate) fn check_size(&self, size: u64) -> Result<(), ApiError> {
        let too_large = |message: String| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message);
        if let Some(max) = self.max_size.filter(|max| size > *max) {
            return Err(too_large(format!("a blob of {size} bytes: this token allows at most {max} bytes")));
        }
        if let Some(exact) = self.size.filter(|exact| size != *exact) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("a blob of {size} bytes: this token allows exactly {exact} bytes"),
            ));
        }
        Ok(())
    }
}

/// The publisher's token check, with the ids of the tokens already used.
pub struct PublisherAuth {
    key: DecodingKey,
    validation: Validation,
    max_token_age: Option<Duration>,
    /// `jti` → expiry of every token accepted and not yet expired.
    used: Mutex<HashMap<String, u64>>,
}

impl std::fmt::Debug for PublisherAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: never printed.
        f.debug_struct("PublisherAuth").field("max_token_age", &self.max_token_age).finish_non_exhaustive()
    }
}

/// Seconds since the Unix epoch.
fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

impl PublisherAuth {
    /// Tokens verified with `key`; with `max_token_age`, tokens must carry `iat` and be younger.
    pub fn new(key: TokenKey, max_token_age: Option<Duration>) -> Self {
        let (key, algorithm) = match key {
            TokenKey::Secret(secret) => (DecodingKey::from_secret(&secret), Algorithm::HS256),
            TokenKey::Ed25519PublicKey(public) => (DecodingKey::from_ed_der(&public), Algorithm::EdDSA),
        };
        let mut validation = Validation::new(algorithm);
        // Expiry is exact: a token is dead the second it says.
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        validation.validate_aud = false;
        Self { key, validation, max_token_age, used: Mutex::new(HashMap::new()) }
    }

    /// Checks the request's token against its options (see the module docs), records its `jti`,
    /// and returns its claims; `options` gets the token's `send_object_to`.
    pub(crate) fn admit(&self, headers: &HeaderMap, options: &mut StoreOptions) -> Result<UploadClaims, ApiError> {
        let unauthorized = |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, message);
        let value = headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("this publisher requires a token: send Authorization: Bearer <jwt>"))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthorized("the Authorization header is not `Bearer <jwt>`"))?;
        let claims = jsonwebtoken::decode::<UploadClaims>(token, &self.key, &self.validation)
            .map_err(|error| ApiError::new(StatusCode::UNAUTHORIZED, token_error(&error)))?
            .claims;
        let now = now_secs();
        if let Some(max_age) = self.max_token_age {
            let issued = claims.iat.ok_or_else(|| unauthorized("the token has no iat (issue time)"))?;
            if issued > now.saturating_add(60) {
                return Err(unauthorized("the token's iat (issue time) is in the future"));
            }
            if now.saturating_sub(issued) > max_age.as_secs() {
                return Err(unauthorized(&format!(
                    "the token was issued {} s ago; this publisher accepts tokens up to {} s old",
                    now.saturating_sub(issued),
                    max_age.as_secs()
                )));
            }
        }
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        claims.admit(options, declared)?;

        let mut used = self.used.lock().expect("the used-token set is never poisoned");
        used.retain(|_, expiry| *expiry >= now);
        if used.contains_key(&claims.jti) {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "this token was used already; ask for a new one"));
        }
        used.insert(claims.jti.clone(), claims.exp);
        Ok(claims)
    }
}

/// What was wrong with a token, without its content.
fn token_error(error: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::ExpiredSignature => "the token has expired".into(),
        ErrorKind::InvalidSignature => "the token's signature does not verify with this publisher's key".into(),
        ErrorKind::InvalidAlgorithm => "the token is signed with another algorithm than this publisher's".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token has no {claim} claim"),
        ErrorKind::Json(cause) => format!("the token's claims are not upload claims: {cause}"),
        _ => "the token is not a well-formed JWT".into(),
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;

    const SECRET: &[u8] = b"a secret shared with the token issuer";

    fn token(claims: serde_json::Value, secret: &[u8]) -> HeaderMap {
        let jwt = jsonwebtoken::encode(&Header::default(), &claims, &EncodingKey::from_secret(secret)).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, format!("Bearer {jwt}").parse().unwrap());
        headers
    }

    fn options(epochs: u32) -> StoreOptions {
        StoreOptions { epochs, ..StoreOptions::default() }
    }

    fn auth() -> PublisherAuth {
        PublisherAuth::new(TokenKey::Secret(SECRET.to_vec()), None)
    }

    #[test]
    fn a_valid_token_is_accepted_once_and_names_the_owner() {
        let auth = auth();
        let owner = Address::from_static("0xb0b");
        let headers =
            token(json!({ "exp": now_secs() + 60, "jti": "t1", "send_object_to": owner.to_string() }), SECRET);
        let mut asked = options(2);
        auth.admit(&headers, &mut asked).unwrap();
        assert_eq!(asked.send_object_to, Some(owner));
        let replay = auth.admit(&headers, &mut options(2)).unwrap_err();
        assert_eq!(replay.status, StatusCode::FORBIDDEN);
        assert!(replay.message.contains("used already"), "{}", replay.message);
    }

    #[test]
    fn missing_forged_expired_and_malformed_tokens_are_401_without_echoing_the_token() {
        let auth = auth();
        let no_token = auth.admit(&HeaderMap::new(), &mut options(1)).unwrap_err();
        assert_eq!((no_token.status, no_token.message.contains("Bearer")), (StatusCode::UNAUTHORIZED, true));

        let forged = token(json!({ "exp": now_secs() + 60, "jti": "f" }), b"another secret");
        let error = auth.admit(&forged, &mut options(1)).unwrap_err();
        assert_eq!(error.status, StatusCode::UNAUTHORIZED);
        assert!(error.message.contains("signature"), "{}", error.message);

        let expired = token(json!({ "exp": now_secs() - 1, "jti": "e" }), SECRET);
        let error = auth.admit(&expired, &mut options(1)).unwrap_err();
        assert_eq!((error.status, error.message.as_str()), (StatusCode::UNAUTHORIZED, "the token has expired"));

        let no_jti = token(json!({ "exp": now_secs() + 60 }), SECRET);
        let error = auth.admit(&no_jti, &mut options(1)).unwrap_err();
        assert!(error.message.contains("jti"), "{}", error.message);

        let mut garbage = HeaderMap::new();
        garbage.insert(header::AUTHORIZATION, "Bearer not.a.jwt-secret-looking-value".parse().unwrap());
        let error = auth.admit(&garbage, &mut options(1)).unwrap_err();
        assert_eq!(error.status, StatusCode::UNAUTHORIZED);
        assert!(!error.message.contains("secret-looking"), "the token is not echoed: {}", error.message);
    }

    #[test]
    fn claims_bound_the_epochs_the_size_and_the_owner() {
        let auth = auth();
        let exp = now_secs() + 60;
        let capped = token(json!({ "exp": exp, "jti": "c1", "max_epochs": 3 }), SECRET);
        assert_eq!(auth.admit(&capped, &mut options(4)).unwrap_err().status, StatusCode::FORBIDDEN);
        let exact = token(json!({ "exp": exp, "jti": "c2", "epochs": 2 }), SECRET);
        assert!(auth.admit(&exact, &mut options(3)).unwrap_err().message.contains("exactly 2"));

        let mut sized = token(json!({ "exp": exp, "jti": "c3", "max_size": 100 }), SECRET);
        sized.insert(header::CONTENT_LENGTH, "101".parse().unwrap());
        let error = auth.admit(&sized, &mut options(1)).unwrap_err();
        assert_eq!(error.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(error.message.contains("at most 100 bytes"), "{}", error.message);

        let owner = token(json!({ "exp": exp, "jti": "c4", "send_object_to": "0xb0b" }), SECRET);
        let mut elsewhere = StoreOptions { send_object_to: Some(Address::from_static("0xe1e")), ..options(1) };
        assert_eq!(auth.admit(&owner, &mut elsewhere).unwrap_err().status, StatusCode::FORBIDDEN);
    }

    #[test]
    fn a_refused_request_does_not_use_up_its_token() {
        let auth = auth();
        let headers = token(json!({ "exp": now_secs() + 60, "jti": "r", "max_epochs": 2 }), SECRET);
        assert!(auth.admit(&headers, &mut options(5)).is_err());
        auth.admit(&headers, &mut options(2)).unwrap();
    }

    #[test]
    fn eddsa_tokens_verify_with_the_issuers_public_key_only() {
        use base64::Engine as _;
        use sui_crypto::Signer as _;
        use sui_crypto::ed25519::Ed25519PrivateKey;

        let issuer = Ed25519PrivateKey::new([7; 32]);
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let signed = |claims: serde_json::Value, key: &Ed25519PrivateKey| {
            let body = format!("{}.{}", b64(br#"{"alg":"EdDSA","typ":"JWT"}"#), b64(claims.to_string().as_bytes()));
            let signature: sui_sdk_types::Ed25519Signature = key.try_sign(body.as_bytes()).unwrap();
            let mut headers = HeaderMap::new();
            let value = format!("Bearer {body}.{}", b64(signature.inner()));
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            headers
        };
        let auth = PublisherAuth::new(TokenKey::Ed25519PublicKey(issuer.public_key().into_inner()), None);
        let exp = now_secs() + 60;
        auth.admit(&signed(json!({ "exp": exp, "jti": "ed" }), &issuer), &mut options(1)).unwrap();
        let impostor = Ed25519PrivateKey::new([8; 32]);
        let error = auth.admit(&signed(json!({ "exp": exp, "jti": "x" }), &impostor), &mut options(1)).unwrap_err();
        assert_eq!(error.status, StatusCode::UNAUTHORIZED);
        // An HS256 token made with the public key as its secret is not accepted either.
        let confused = token(json!({ "exp": exp, "jti": "y" }), issuer.public_key().inner());
        assert!(auth.admit(&confused, &mut options(1)).unwrap_err().message.contains("algorithm"));
    }

    #[test]
    fn an_age_limit_needs_a_recent_issue_time() {
        let auth = PublisherAuth::new(TokenKey::Secret(SECRET.to_vec()), Some(Duration::from_secs(300)));
        let exp = now_secs() + 3600;
        let old = token(json!({ "exp": exp, "jti": "o", "iat": now_secs() - 301 }), SECRET);
        assert!(auth.admit(&old, &mut options(1)).unwrap_err().message.contains("up to 300 s old"));
        let none = token(json!({ "exp": exp, "jti": "n" }), SECRET);
        assert!(auth.admit(&none, &mut options(1)).unwrap_err().message.contains("iat"));
        let fresh = token(json!({ "exp": exp, "jti": "f", "iat": now_secs() }), SECRET);
        auth.admit(&fresh, &mut options(1)).unwrap();
    }
}
