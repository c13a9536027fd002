//! The test network's publisher/aggregator as a Walrus-style HTTP client sees it: its base URL,
//! floe's JSON errors, and the funded user's SUI, which a refused request must leave untouched.

use crate::TestNet;

/// The daemon's base URL (`http://127.0.0.1:PORT`) and a client for it.
#[derive(Debug, Clone)]
pub struct DaemonHttp {
    /// The base URL, without a trailing slash.
    pub base: String,
    /// The HTTP client.
    pub http: reqwest::Client,
}

impl TestNet {
    /// The daemon over HTTP. Panics when the network runs without one.
    pub fn daemon_http(&self) -> DaemonHttp {
        let base = self.localnet.daemon_url().expect("the daemon runs");
        DaemonHttp { base, http: reqwest::Client::new() }
    }

    /// The funded user's SUI balance, in MIST.
    pub async fn user_sui(&self) -> u64 {
        let user = self.localnet.user_key().address();
        self.localnet.chain().balance(user, &sui_sdk_types::StructTag::sui()).await.expect("the balance reads")
    }
}

/// The status and message of one of floe's JSON errors (`{"error": {"code", "message"}}`),
/// checking that the body's code is the status.
pub async fn json_error(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value =
        serde_json::from_slice(&response.bytes().await.expect("the body arrives")).expect("a JSON error");
    assert_eq!(body["error"]["code"], status, "{body}");
    (status, body["error"]["message"].as_str().expect("a message").to_owned())
}
