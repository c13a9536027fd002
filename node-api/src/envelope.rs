//! The envelope of every JSON answer of the node (Walrus' shape): `{"success": {"code", "data"}}`
//! for a success, `{"error": {"code", "message"}}` for a refusal. The node answers with it, the
//! client unwraps it.

use serde::{Deserialize, Serialize};

/// A JSON answer: the HTTP status code repeated in the body, with the data or the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Envelope<T> {
    /// `{"success": {"code": 200, "data": ...}}`.
    Success {
        /// The HTTP status code.
        code: u16,
        /// The answer.
        data: T,
    },
    /// `{"error": {"code": 404, "message": "..."}}`.
    Error {
        /// The HTTP status code.
        code: u16,
        /// What was wrong, for a person to read.
        message: String,
    },
}

/// An error answer: it carries no data, so its data type does not matter.
pub type ErrorEnvelope = Envelope<()>;

impl ErrorEnvelope {
    /// `{"error": {"code": code, "message": message}}`.
    pub fn error(code: u16, message: impl Into<String>) -> Self {
        Self::Error { code, message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bodies as the node served them before the type moved here: a change to the wire shape
    /// fails this test.
    #[test]
    fn envelopes_keep_the_served_json_shape() {
        let stored = r#"{"success":{"code":201,"data":"metadata of blob x stored"}}"#;
        let parsed: Envelope<String> = serde_json::from_str(stored).unwrap();
        assert_eq!(parsed, Envelope::Success { code: 201, data: "metadata of blob x stored".to_owned() });
        assert_eq!(serde_json::to_string(&parsed).unwrap(), stored);

        let refused = r#"{"error":{"code":403,"message":"blob x is not registered on chain in epoch 1"}}"#;
        let error = ErrorEnvelope::error(403, "blob x is not registered on chain in epoch 1");
        assert_eq!(serde_json::to_string(&error).unwrap(), refused);
        // An error parses whatever data type the caller expected.
        let parsed: Envelope<u64> = serde_json::from_str(refused).unwrap();
        assert!(matches!(parsed, Envelope::Error { code: 403, message } if message.contains("not registered")));
        assert!(serde_json::from_str::<Envelope<u64>>(r#"{"data":1}"#).is_err());
    }
}
