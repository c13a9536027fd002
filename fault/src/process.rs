//! One `floe` process: spawned with `--json`, ready once it printed its first JSON line (every
//! serving command prints one when it serves), its stderr appended to a log file that survives
//! restarts, killed (SIGKILL) or interrupted (SIGINT, a clean stop) on demand, and killed when
//! dropped so a failing test leaves no process behind.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a process may take to print that it serves (loaded CI machines are slow).
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a process may take to stop after SIGINT before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// The `floe` binary under test: `$FLOE_BIN`, else `floe` beside this test executable's `deps/`.
pub fn floe_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("FLOE_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test executable has a path");
    // target/debug/deps/<test>-<hash> -> target/debug/floe
    let bin = exe.parent().and_then(Path::parent).map(|dir| dir.join("floe")).expect("a target directory");
    assert!(
        bin.exists(),
        "{} does not exist: build it first (`cargo build -p floe-cli`) or set FLOE_BIN",
        bin.display()
    );
    bin
}

/// Why a process did not come up.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// It exited before printing its ready line.
    #[error("{name} exited with {status} before serving; its stderr ends with:\n{stderr}")]
    Exited {
        /// Which process.
        name: String,
        /// Its exit status.
        status: ExitStatus,
        /// The end of its log.
        stderr: String,
    },
    /// It printed nothing in time.
    #[error("{name} did not announce itself within {READY_TIMEOUT:?}; its stderr ends with:\n{stderr}")]
    Timeout {
        /// Which process.
        name: String,
        /// The end of its log.
        stderr: String,
    },
    /// Its ready line is not JSON.
    #[error("{name} printed {line:?}, not JSON: {source}")]
    NotJson {
        /// Which process.
        name: String,
        /// What it printed.
        line: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The binary could not be run.
    #[error("cannot run {bin}: {source}")]
    Spawn {
        /// The binary.
        bin: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A running `floe` process.
#[derive(Debug)]
pub struct Process {
    name: String,
    child: Child,
    log: PathBuf,
    /// The JSON line it printed once serving.
    pub started: Value,
}

impl Process {
    /// Runs `floe --json --log-level L ARGS` (L: `$FLOE_FAULT_LOG`, default warn) with its stderr
    /// appended to `log`, and waits for its ready line.
    pub fn start(name: &str, args: &[&str], log: &Path) -> Result<Self, StartError> {
        let bin = floe_bin();
        let level = std::env::var("FLOE_FAULT_LOG").unwrap_or_else(|_| "warn".into());
        let stderr = File::options().create(true).append(true).open(log).expect("the log file opens");
        let mut child = Command::new(&bin)
            .args(["--json", "--log-level", &level])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|source| StartError::Spawn { bin: bin.clone(), source })?;
        let stdout = child.stdout.take().expect("piped");
        let (ready, announced) = mpsc::channel();
        // The reader keeps draining stdout after the ready line, so the process never blocks on a
        // full pipe.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = ready.send(line);
            }
            for _ in lines {}
        });
        let tail = || log_tail(log);
        let line = match announced.recv_timeout(READY_TIMEOUT) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().expect("waiting for an exited child");
                return Err(StartError::Exited { name: name.to_owned(), status, stderr: tail() });
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(StartError::Timeout { name: name.to_owned(), stderr: tail() });
            }
        };
        let started = match serde_json::from_str(&line) {
            Ok(started) => started,
            Err(source) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(StartError::NotJson { name: name.to_owned(), line, source });
            }
        };
        Ok(Self { name: name.to_owned(), child, log: log.to_owned(), started })
    }

    /// Its name in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// SIGKILL, and waits until it is gone.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGINT (what Ctrl-C sends: the servers stop cleanly and close their files); SIGKILL if it
    /// has not exited after a while. Returns its exit status.
    pub fn interrupt(mut self) -> Option<ExitStatus> {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid fits");
        // SAFETY: kill(2) with a pid we spawned and have not reaped, so it names our child.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        self.child.wait().ok()
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last lines of a log, for error messages.
pub(crate) fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
