//! Signed messages in JSON answers: `{"serializedMessage", "signature"}`, both base64 (standard
//! alphabet, padded). A storage confirmation comes as [`ConfirmationAnswer`]
//! (`{"signed": {...}}`), an invalid-blob attestation as a bare [`SignedMessageJson`].

use base64::{Engine as _, engine::general_purpose::STANDARD};
use floe_encoder::{
    bls::{BlsError, BlsSignature},
    messages::SignedMessage,
};
use serde::{Deserialize, Serialize};

/// A signed message as JSON. Parsing checks the base64 and that the signature is a valid BLS
/// signature encoding (not that it verifies: the reader knows the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Base64Fields", into = "Base64Fields")]
pub struct SignedMessageJson(pub SignedMessage);

/// The answer of `GET /v1/blobs/{id}/confirmation/...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationAnswer {
    /// The node's signed `StorageConfirmation`.
    pub signed: SignedMessageJson,
}

/// Why a signed message in JSON was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedJsonError {
    /// `serializedMessage` is not base64.
    #[error("serializedMessage is not base64: {0}")]
    Message(#[source] base64::DecodeError),
    /// `signature` is not base64.
    #[error("signature is not base64: {0}")]
    SignatureText(#[source] base64::DecodeError),
    /// `signature` is not a BLS signature.
    #[error("signature: {0}")]
    Signature(#[from] BlsError),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Base64Fields {
    serialized_message: String,
    signature: String,
}

impl From<SignedMessageJson> for Base64Fields {
    fn from(SignedMessageJson(message): SignedMessageJson) -> Self {
        Self {
            serialized_message: STANDARD.encode(&message.serialized),
            signature: STANDARD.encode(message.signature.to_bytes()),
        }
    }
}

impl TryFrom<Base64Fields> for SignedMessageJson {
    type Error = SignedJsonError;

    fn try_from(fields: Base64Fields) -> Result<Self, Self::Error> {
        let serialized = STANDARD.decode(&fields.serialized_message).map_err(SignedJsonError::Message)?;
        let signature = STANDARD.decode(&fields.signature).map_err(SignedJsonError::SignatureText)?;
        let signature = BlsSignature::from_bytes(&signature)?;
        Ok(Self(SignedMessage { serialized, signature }))
    }
}

#[cfg(test)]
mod tests {
    use floe_encoder::{
        BlobId,
        bls::BlsSecretKey,
        messages::{BlobPersistence, StorageConfirmation},
    };

    use super::*;

    #[test]
    fn a_confirmation_round_trips_through_the_served_json_shape() {
        let key = BlsSecretKey::from_seed(&[4; 32]);
        let confirmation =
            StorageConfirmation { epoch: 1, blob_id: BlobId([2; 32]), persistence: BlobPersistence::Permanent };
        let signed = confirmation.sign(&key);
        let text = serde_json::to_string(&ConfirmationAnswer { signed: SignedMessageJson(signed.clone()) }).unwrap();
        let expected = format!(
            r#"{{"signed":{{"serializedMessage":"{}","signature":"{}"}}}}"#,
            STANDARD.encode(&signed.serialized),
            STANDARD.encode(signed.signature.to_bytes())
        );
        assert_eq!(text, expected);
        let parsed: ConfirmationAnswer = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.signed.0, signed);
        assert!(parsed.signed.0.verify(&key.public_key()).is_ok());
    }

    #[test]
    fn bad_base64_or_a_short_signature_is_refused_naming_the_field() {
        let error = serde_json::from_str::<SignedMessageJson>(r#"{"serializedMessage":"!!","signature":"AA=="}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("serializedMessage is not base64"), "{error}");
        let error = serde_json::from_str::<SignedMessageJson>(r#"{"serializedMessage":"AA==","signature":"AA=="}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("signature: invalid BLS signature encoding"), "{error}");
    }
}
