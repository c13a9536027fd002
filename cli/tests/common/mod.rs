//! What the CLI tests share: a `floe localnet` spawned as its own process (killed when the test
//! ends) and running the `floe` binary for its JSON answer.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A spawned `floe localnet`, killed when the test ends.
pub struct Localnet {
    child: Child,
    /// Its data directory.
    pub dir: PathBuf,
    /// The deployment file it wrote.
    pub deployment: PathBuf,
    /// The funded user's key (`suiprivkey...`).
    pub key: String,
    /// The JSON line it printed once serving.
    pub started: Value,
}

impl Drop for Localnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Localnet {
    /// `floe --json localnet --any-ports --nodes 4 --shards 12 --no-indexer --data-dir DIR ARGS`,
    /// returned once it printed that it serves.
    pub fn start(dir: &Path, args: &[&str]) -> Self {
        Self::spawn(dir, &[&["--no-indexer"], args].concat())
    }

    /// As [`Localnet::start`], with the indexer running (`started["explorer_url"]`).
    pub fn start_indexed(dir: &Path, args: &[&str]) -> Self {
        Self::spawn(dir, args)
    }

    fn spawn(dir: &Path, args: &[&str]) -> Self {
        let mut command = floe_command(&["localnet", "--any-ports", "--nodes", "4", "--shards", "12"]);
        command.args(["--data-dir", dir.to_str().unwrap()]).args(args);
        let (child, started) = spawn_announced(command);
        Self {
            child,
            dir: dir.to_owned(),
            deployment: started["deployment_file"].as_str().unwrap().into(),
            key: started["key"].as_str().unwrap().to_owned(),
            started,
        }
    }

    /// Runs `floe --json ARGS --deployment D [--key KEY]`: the JSON it printed, or its stderr.
    pub fn floe(&self, key: Option<&str>, args: &[&str]) -> Result<Value, String> {
        let mut command = floe_command(args);
        command.arg("--deployment").arg(&self.deployment);
        if let Some(key) = key {
            command.args(["--key", key]);
        }
        run(command)
    }
}

/// Spawns a long-running `floe` command and returns it with the JSON line it prints once it
/// serves.
pub fn spawn_announced(mut command: Command) -> (Child, Value) {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let started = serde_json::from_str(&line).unwrap_or_else(|_| panic!("{command:?} printed {line:?}, not JSON"));
    (child, started)
}

/// `floe --json --log-level warn ARGS`.
pub fn floe_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_floe"));
    command.args(["--json", "--log-level", "warn"]).args(args);
    command
}

/// Runs `command`: the last JSON line it printed, or its stderr if it failed.
pub fn run(mut command: Command) -> Result<Value, String> {
    let out = command.output().unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let stdout = String::from_utf8(out.stdout).unwrap();
    Ok(stdout.lines().last().map(|l| serde_json::from_str(l).unwrap()).unwrap_or_default())
}
