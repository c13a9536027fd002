//! `SignatureVerificationService.VerifySignature`: whether a user signature signs a message, and
//! optionally whether it is the given address's. The message is a `Bcs` whose name says what it
//! is: `TransactionData` (a transaction's BCS) or `PersonalMessage` (the BCS of the message's
//! bytes, as `signPersonalMessage` signs them). Simple (Ed25519, Secp256k1/r1) and multisig
//! signatures are checked; zkLogin would need the JWKs and passkeys are not enabled, so those
//! come back invalid with the reason.

use std::borrow::Cow;

use sui_crypto::{SuiVerifier, UserSignatureVerifier};
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::{Address, PersonalMessage, Transaction, UserSignature};
use tonic::{Request, Response, Status};

use crate::service::DevnetService;

/// What the request's message is.
enum Message {
    Transaction(Box<Transaction>),
    Personal(Vec<u8>),
}

fn message(encoded: &proto::Bcs) -> Result<Message, Status> {
    let bytes = encoded.value.as_deref().unwrap_or_default();
    match encoded.name.as_deref() {
        Some("TransactionData") => bcs::from_bytes(bytes)
            .map(|t| Message::Transaction(Box::new(t)))
            .map_err(|e| Status::invalid_argument(format!("invalid message: not a TransactionData: {e}"))),
        Some("PersonalMessage") => bcs::from_bytes(bytes)
            .map(Message::Personal)
            .map_err(|e| Status::invalid_argument(format!("invalid message: not a BCS vector<u8>: {e}"))),
        other => Err(Status::invalid_argument(format!(
            "invalid message.name {other:?}: expected \"TransactionData\" or \"PersonalMessage\""
        ))),
    }
}

/// Whether `signature` signs `message` (and is `address`'s, if given); the reason if not.
fn verify(message: &Message, signature: &UserSignature, address: Option<Address>) -> Result<(), String> {
    let verifier = UserSignatureVerifier::new();
    match message {
        Message::Transaction(transaction) => verifier.verify_transaction(transaction, signature),
        Message::Personal(bytes) => {
            verifier.verify_personal_message(&PersonalMessage(Cow::Borrowed(bytes.as_slice())), signature)
        }
    }
    .map_err(|e| e.to_string())?;
    match address {
        Some(address) if signature.derive_address() != address => {
            Err(format!("the signature is {}'s, not {address}'s", signature.derive_address()))
        }
        _ => Ok(()),
    }
}

#[tonic::async_trait]
impl proto::signature_verification_service_server::SignatureVerificationService for DevnetService {
    async fn verify_signature(
        &self,
        request: Request<proto::VerifySignatureRequest>,
    ) -> Result<Response<proto::VerifySignatureResponse>, Status> {
        let request = request.into_inner();
        let message = message(request.message.as_ref().ok_or_else(|| Status::invalid_argument("missing message"))?)?;
        let signature = request.signature.as_ref().ok_or_else(|| Status::invalid_argument("missing signature"))?;
        let signature = UserSignature::try_from(signature)
            .map_err(|e| Status::invalid_argument(format!("invalid signature: {e}")))?;
        let address = request
            .address
            .as_deref()
            .map(|a| a.parse::<Address>().map_err(|e| Status::invalid_argument(format!("invalid address {a:?}: {e}"))))
            .transpose()?;
        let mut response = proto::VerifySignatureResponse::default();
        match verify(&message, &signature, address) {
            Ok(()) => response.is_valid = Some(true),
            Err(reason) => {
                response.is_valid = Some(false);
                response.reason = Some(reason);
            }
        }
        Ok(Response::new(response))
    }
}
