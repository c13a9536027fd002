//! A floe network of separate processes under a temporary directory:
//!
//! - "the chain": `floe localnet --external-nodes --no-daemon --no-indexer --key-servers 0
//!   --any-ports`, which makes (or, restarted on its directory, resumes) the devnet with the
//!   genesis committee and writes `node-<i>/node.toml`, but runs no node itself. Its ports are
//!   recorded in `ports.json`, so a restarted chain serves where everyone expects it.
//! - one `floe node --config node-<i>/node.toml` per storage node, on the port registered for it;
//! - optionally the publisher/aggregator, `floe daemon --key <the funded key>`.
//!
//! Logs go to `<dir>/<process>.log` (appended across restarts); the directory is kept when
//! `FLOE_FAULT_KEEP` is set, for a look after a failure.

use std::path::{Path, PathBuf};

use crate::process::{Process, StartError};
use floe_encoder::network_key::NetworkPublicKey;

/// What network to start.
#[derive(Debug, Clone)]
pub struct NetworkOptions {
    /// Storage nodes of the genesis committee.
    pub nodes: usize,
    /// Shards over them.
    pub shards: u16,
    /// Whether to run the publisher/aggregator.
    pub daemon: bool,
}

impl Default for NetworkOptions {
    /// 4 nodes (one may fail: f = 1) sharing 12 shards, with the publisher/aggregator.
    fn default() -> Self {
        Self { nodes: 4, shards: 12, daemon: true }
    }
}

/// A running network; every process is killed when it is dropped.
#[derive(Debug)]
pub struct Network {
    dir: tempfile::TempDir,
    options: NetworkOptions,
    chain: Option<Process>,
    nodes: Vec<Option<Process>>,
    daemon: Option<Process>,
    daemon_listen: String,
    /// The chain's gRPC URL.
    pub rpc_url: String,
    /// The deployment file every command takes.
    pub deployment_file: PathBuf,
    /// The funded user's key (`suiprivkey1...`); the daemon pays with it.
    pub key: String,
    /// Each node's API URL (https).
    pub node_urls: Vec<String>,
    /// Each node's network public key, as on chain: the key its TLS certificate carries.
    pub node_keys: Vec<NetworkPublicKey>,
    /// The publisher/aggregator's URL, once started.
    pub daemon_url: Option<String>,
}

impl Network {
    /// Starts the chain, every node and (if asked) the daemon.
    pub fn start(options: NetworkOptions) -> Result<Self, StartError> {
        let dir = tempfile::Builder::new().prefix("floe-fault-").tempdir().expect("a temporary directory");
        let mut net = Self {
            nodes: (0..options.nodes).map(|_| None).collect(),
            dir,
            options,
            chain: None,
            daemon: None,
            daemon_listen: "127.0.0.1:0".into(),
            rpc_url: String::new(),
            deployment_file: PathBuf::new(),
            key: String::new(),
            node_urls: Vec::new(),
            node_keys: Vec::new(),
            daemon_url: None,
        };
        net.start_chain()?;
        // Nodes start in parallel: each catches up with the chain before it announces itself.
        let dir = net.dir.path().to_owned();
        let started: Vec<Result<Process, StartError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..net.options.nodes)
                .map(|i| {
                    scope.spawn({
                        let dir = dir.clone();
                        move || start_node(&dir, i)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a node starter panicked")).collect()
        });
        for (i, node) in started.into_iter().enumerate() {
            net.nodes[i] = Some(node?);
        }
        if net.options.daemon {
            net.start_daemon()?;
        }
        Ok(net)
    }

    /// The network's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Storage nodes.
    pub fn n_nodes(&self) -> usize {
        self.options.nodes
    }

    /// Shards.
    pub fn n_shards(&self) -> u16 {
        self.options.shards
    }

    /// Starts (or restarts, on its directory) the chain.
    pub fn start_chain(&mut self) -> Result<(), StartError> {
        let dir = self.dir.path().to_str().expect("a UTF-8 temporary path").to_owned();
        let (nodes, shards) = (self.options.nodes.to_string(), self.options.shards.to_string());
        let args = [
            "localnet",
            "--external-nodes",
            "--no-daemon",
            "--no-indexer",
            "--key-servers",
            "0",
            "--any-ports",
            "--nodes",
            &nodes,
            "--shards",
            &shards,
            "--data-dir",
            &dir,
        ];
        let chain = Process::start("chain", &args, &self.dir.path().join("chain.log"))?;
        let text = |field: &str| chain.started[field].as_str().unwrap_or_default().to_owned();
        self.rpc_url = text("rpc_url");
        self.deployment_file = PathBuf::from(text("deployment_file"));
        self.key = text("key");
        self.node_urls = chain.started["node_urls"]
            .as_array()
            .map(|urls| urls.iter().filter_map(|u| u.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        self.node_keys = chain.started["node_network_keys"]
            .as_array()
            .map(|keys| keys.iter().filter_map(|key| key.as_str()?.parse().ok()).collect())
            .unwrap_or_default();
        self.chain = Some(chain);
        Ok(())
    }

    /// An HTTP client of node `i`'s API: https with its key pinned, as every floe client does.
    pub fn node_http(&self, i: usize) -> reqwest::Client {
        floe_client::node_api::tls::pinned_http_client(&self.node_keys[i])
    }

    /// SIGKILLs the chain.
    pub fn kill_chain(&mut self) {
        if let Some(chain) = self.chain.take() {
            chain.kill();
        }
    }

    /// Starts node `i` from its directory.
    pub fn start_node(&mut self, i: usize) -> Result<(), StartError> {
        self.nodes[i] = Some(start_node(self.dir.path(), i)?);
        Ok(())
    }

    /// SIGKILLs node `i`.
    pub fn kill_node(&mut self, i: usize) {
        if let Some(node) = self.nodes[i].take() {
            node.kill();
        }
    }

    /// Stops node `i` cleanly (SIGINT): its database is closed when this returns.
    pub fn stop_node(&mut self, i: usize) {
        if let Some(node) = self.nodes[i].take() {
            node.interrupt();
        }
    }

    /// Whether node `i` runs (started, not stopped, not exited).
    pub fn node_running(&mut self, i: usize) -> bool {
        self.nodes[i].as_mut().is_some_and(Process::is_running)
    }

    /// Node `i`'s announcement (`url`, `public_key`, `epoch`, `shards`), while it runs.
    pub fn node_started(&self, i: usize) -> Option<&serde_json::Value> {
        self.nodes[i].as_ref().map(|node| &node.started)
    }

    /// Node `i`'s configuration file.
    pub fn node_config(&self, i: usize) -> PathBuf {
        node_dir(self.dir.path(), i).join("node.toml")
    }

    /// Node `i`'s database file.
    pub fn node_database(&self, i: usize) -> PathBuf {
        node_dir(self.dir.path(), i).join("db").join("node.redb")
    }

    /// Node `i`'s sliver file (its sliver records of 64 KiB and more), beside its database.
    pub fn node_sliver_file(&self, i: usize) -> PathBuf {
        node_dir(self.dir.path(), i).join("db").join("slivers.dat")
    }

    /// Node `i`'s log.
    pub fn node_log(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("node-{i}.log"))
    }

    /// Starts (or restarts, on the port of its first start) the publisher/aggregator, paying
    /// with the funded key.
    pub fn start_daemon(&mut self) -> Result<(), StartError> {
        let deployment = self.deployment_file.to_str().expect("a UTF-8 path").to_owned();
        let args = [
            "daemon",
            "--deployment",
            &deployment,
            "--key",
            &self.key,
            "--listen",
            &self.daemon_listen,
            "--plain-http",
        ];
        let daemon = Process::start("daemon", &args, &self.dir.path().join("daemon.log"))?;
        let url = daemon.started["url"].as_str().unwrap_or_default().to_owned();
        self.daemon_listen = url.trim_start_matches("http://").to_owned();
        self.daemon_url = Some(url);
        self.daemon = Some(daemon);
        Ok(())
    }

    /// Runs another `floe` process against this network, logging to `<dir>/<name>.log`.
    pub fn spawn(&self, name: &str, args: &[&str]) -> Result<Process, StartError> {
        Process::start(name, args, &self.dir.path().join(format!("{name}.log")))
    }

    /// The end of every process's log, for a failure message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        let mut entries: Vec<_> = std::fs::read_dir(self.dir.path())
            .map(|dir| dir.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        for path in entries.into_iter().filter(|p| p.extension().is_some_and(|e| e == "log")) {
            out.push_str(&format!("--- {}\n{}\n", path.display(), crate::process::log_tail(&path)));
        }
        out
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        // Stop every process before the directory goes.
        self.daemon.take();
        self.nodes.iter_mut().for_each(|node| drop(node.take()));
        self.chain.take();
        if std::env::var_os("FLOE_FAULT_KEEP").is_some() {
            let kept = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("a temporary directory"));
            eprintln!("kept {}", kept.keep().display());
        }
    }
}

fn node_dir(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("node-{i}"))
}

fn start_node(dir: &Path, i: usize) -> Result<Process, StartError> {
    let config = node_dir(dir, i).join("node.toml");
    let config = config.to_str().expect("a UTF-8 path");
    Process::start(&format!("node {i}"), &["node", "--config", config], &dir.join(format!("node-{i}.log")))
}
