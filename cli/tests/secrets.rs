//! Secrets stay secret: a whole `floe localnet` session (first blob stored by the demo, a CLI
//! store, a publisher taking tokens, a forged token refused) logged at debug level writes no
//! private key, JWT secret or token to any log; the files holding keys are readable by their
//! owner only. The localnet's funded key is printed on standard output, where the user asked
//! for it, and nowhere in the logs.

mod common;

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

const SECRET: &str = "the publisher's token secret, never to be logged";

/// A spawned process, killed when the test ends.
struct Spawned(Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `floe --json --log-level debug ARGS` with its standard error written to `log`; returned
/// with the JSON line it prints once serving.
fn spawn_logged(args: &[&str], extra: impl FnOnce(&mut Command), log: &Path) -> (Spawned, Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_floe"));
    command.args(["--json", "--log-level", "debug"]).args(args);
    extra(&mut command);
    let stderr = File::create(log).unwrap();
    let mut child = command.stdout(Stdio::piped()).stderr(stderr).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let started = serde_json::from_str(&line)
        .unwrap_or_else(|_| panic!("{args:?} printed {line:?}; log:\n{}", std::fs::read_to_string(log).unwrap()));
    (Spawned(child), started)
}

/// A PUT over HTTP/1.0 with a bearer token: the status.
fn put(addr: &str, path: &str, token: &str, body: &[u8]) -> u16 {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "PUT {path} HTTP/1.0\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split(' ').nth(1).and_then(|status| status.parse().ok()).expect("an HTTP status line")
}

fn token(secret: &str, nonce: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let claims = json!({ "exp": now + 600, "iat": now, "jti": nonce });
    jsonwebtoken::encode(&Header::default(), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

/// Every `key = "value"` of the node configs the localnet wrote, for keys naming secrets.
fn node_secrets(dir: &Path) -> Vec<String> {
    let mut secrets = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let config = entry.unwrap().path().join("node.toml");
        let Ok(text) = std::fs::read_to_string(&config) else { continue };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&config).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} names the node's keys and must be private", config.display());
        }
        // `bls_key = { seed = "..." }` / `sui_key = ...`: every quoted value on those lines.
        for line in text.lines().filter(|line| line.contains("bls_key") || line.contains("sui_key")) {
            secrets.extend(line.split('"').skip(1).step_by(2).filter(|value| value.len() >= 32).map(str::to_owned));
        }
        // A table form puts the value on the following line.
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if line.starts_with("[bls_key") || line.starts_with("[sui_key") {
                while let Some(next) = lines.next_if(|next| !next.starts_with('[')) {
                    secrets.extend(next.split('"').skip(1).step_by(2).filter(|v| v.len() >= 32).map(str::to_owned));
                }
            }
        }
    }
    secrets
}

#[test]
fn a_localnet_session_logs_no_key_secret_or_token() {
    let dir = tempfile::tempdir().unwrap();
    let logs: PathBuf = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let data = dir.path().join("net");
    let localnet_args = [
        "localnet",
        "--any-ports",
        "--nodes",
        "4",
        "--shards",
        "12",
        "--no-indexer",
        "--key-servers",
        "0",
        "--data-dir",
        data.to_str().unwrap(),
    ];
    let (_localnet, started) = spawn_logged(&localnet_args, |_| {}, &logs.join("localnet.log"));
    let user_key = started["key"].as_str().expect("the localnet prints its funded key").to_owned();
    let deployment = started["deployment_file"].as_str().unwrap().to_owned();

    // A store from the CLI, logged.
    let file = dir.path().join("blob.bin");
    std::fs::write(&file, vec![7u8; 20_000]).unwrap();
    let store = Command::new(env!("CARGO_BIN_EXE_floe"))
        .args(["--json", "--log-level", "debug", "store", file.to_str().unwrap(), "--epochs", "1"])
        .args(["--deployment", &deployment, "--key", &user_key])
        .output()
        .unwrap();
    std::fs::write(logs.join("store.log"), &store.stderr).unwrap();
    assert!(store.status.success(), "{}", String::from_utf8_lossy(&store.stderr));

    // A publisher taking tokens: one good store, one forged token.
    let secret_file = dir.path().join("jwt-secret");
    std::fs::write(&secret_file, SECRET).unwrap();
    let daemon_args =
        ["daemon", "--listen", "127.0.0.1:0", "--plain-http", "--jwt-secret-file", secret_file.to_str().unwrap()];
    let (_daemon, daemon) = spawn_logged(
        &daemon_args,
        |command| {
            command.args(["--deployment", &deployment, "--key", &user_key]);
        },
        &logs.join("daemon.log"),
    );
    let addr = daemon["url"].as_str().unwrap().trim_start_matches("http://").to_owned();
    let good = token(SECRET, "first");
    let forged = token("someone else's secret", "second");
    assert_eq!(put(&addr, "/v1/blobs?epochs=1", &good, b"paid with a token"), 200);
    assert_eq!(put(&addr, "/v1/blobs?epochs=1", &forged, b"not paid"), 401);
    // The same token again is a replay.
    assert_eq!(put(&addr, "/v1/blobs?epochs=1", &good, b"paid with a token"), 403);
    drop(_daemon);

    let mut secrets = node_secrets(&data);
    assert!(secrets.len() >= 8, "expected a BLS and an operator key per node, found {secrets:?}");
    secrets.extend([user_key.clone(), SECRET.to_owned(), good, forged]);
    let mut everything = String::new();
    for entry in std::fs::read_dir(&logs).unwrap() {
        let path = entry.unwrap().path();
        everything.push_str(&std::fs::read_to_string(&path).unwrap());
    }
    assert!(everything.len() > 1_000, "the debug logs are suspiciously short: {everything:?}");
    for secret in &secrets {
        assert!(!everything.contains(secret.as_str()), "a secret ({}...) is in the logs", &secret[..8]);
    }
}
