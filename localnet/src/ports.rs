//! Which port each service of a local network listens on, and why a restart keeps them.
//!
//! Storage nodes and key servers are registered on chain with their URLs, and every file the
//! network writes (`deployment.json`, `node-<i>/node.toml`, `key-servers.json`) names the chain's
//! URL. A network restarted on its data directory must therefore serve on the ports of its first
//! start, whatever ports were asked for this time: the first start records the ports it actually
//! bound (the OS's picks under [`Ports::ephemeral`]) in `ports.json`, and later starts bind those.
//! Services added by a restart with more nodes or key servers get the planned ports.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Ports;

/// The file, under the data directory, that records the ports of the first start.
pub const PORTS_FILE: &str = "ports.json";

/// The ports a network served on, as recorded in [`PORTS_FILE`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundPorts {
    /// The devnet's gRPC port.
    pub rpc: u16,
    /// Each storage node's port, in node order.
    pub nodes: Vec<u16>,
    /// The publisher/aggregator.
    pub daemon: u16,
    /// The indexer's explorer (0: it did not run).
    pub indexer: u16,
    /// Each key server's port, in order.
    pub key_servers: Vec<u16>,
}

/// Why the recorded ports could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum PortsFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a port record (edited by hand?).
    #[error(
        "{path} does not record a network's ports ({source}); fix it, or delete it to use new ports (nodes registered at the old ones become unreachable)"
    )]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
}

impl BoundPorts {
    /// The record under `data_dir`, if a network started there before.
    pub fn load(data_dir: &Path) -> Result<Option<Self>, PortsFileError> {
        let path = data_dir.join(PORTS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map(Some).map_err(|source| PortsFileError::Malformed { path, source })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(PortsFileError::Io { path, source }),
        }
    }

    /// Writes the record under `data_dir`.
    pub fn save(&self, data_dir: &Path) -> Result<(), PortsFileError> {
        let path = data_dir.join(PORTS_FILE);
        let json = serde_json::to_vec_pretty(self).expect("ports serialize");
        std::fs::write(&path, json).map_err(|source| PortsFileError::Io { path, source })
    }
}

/// The address of every service for one start: the recorded port where there is one, else the
/// planned one.
#[derive(Debug, Clone)]
pub(crate) struct PortPlan {
    planned: Ports,
    recorded: Option<BoundPorts>,
}

impl PortPlan {
    pub(crate) fn new(planned: Ports, recorded: Option<BoundPorts>) -> Self {
        Self { planned, recorded }
    }

    fn pick(&self, recorded: impl FnOnce(&BoundPorts) -> Option<u16>, planned: u16, offset: usize) -> SocketAddr {
        match self.recorded.as_ref().and_then(recorded).filter(|port| *port != 0) {
            Some(port) => Ports::at(port, 0),
            None => Ports::at(planned, offset),
        }
    }

    pub(crate) fn rpc(&self) -> SocketAddr {
        self.pick(|r| Some(r.rpc), self.planned.rpc, 0)
    }

    pub(crate) fn node(&self, i: usize) -> SocketAddr {
        self.pick(|r| r.nodes.get(i).copied(), self.planned.first_node, i)
    }

    pub(crate) fn daemon(&self) -> SocketAddr {
        self.pick(|r| Some(r.daemon), self.planned.daemon, 0)
    }

    pub(crate) fn indexer(&self) -> SocketAddr {
        self.pick(|r| Some(r.indexer), self.planned.indexer, 0)
    }

    pub(crate) fn key_server(&self, i: usize) -> SocketAddr {
        self.pick(|r| r.key_servers.get(i).copied(), self.planned.first_key_server, i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_ports_win_over_planned_ones_and_new_services_get_planned_ports() {
        let recorded =
            BoundPorts { rpc: 41000, nodes: vec![41001, 41002], daemon: 41003, indexer: 0, key_servers: vec![] };
        let plan = PortPlan::new(Ports::default(), Some(recorded));
        assert_eq!(plan.rpc().port(), 41000);
        assert_eq!(plan.node(1).port(), 41002);
        assert_eq!(plan.node(2).port(), Ports::default().first_node + 2, "a node added by the restart");
        assert_eq!(plan.daemon().port(), 41003);
        assert_eq!(plan.indexer().port(), Ports::default().indexer, "the indexer did not run before");
        assert_eq!(plan.key_server(0).port(), Ports::default().first_key_server);
    }

    #[test]
    fn a_first_start_uses_the_planned_ports() {
        let plan = PortPlan::new(Ports::ephemeral(), None);
        assert_eq!(plan.rpc().port(), 0);
        assert_eq!(plan.node(3).port(), 0);
    }

    #[test]
    fn the_record_round_trips_through_its_file_and_a_damaged_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(BoundPorts::load(dir.path()).unwrap(), None);
        let ports = BoundPorts { rpc: 1, nodes: vec![2, 3], daemon: 4, indexer: 5, key_servers: vec![6] };
        ports.save(dir.path()).unwrap();
        assert_eq!(BoundPorts::load(dir.path()).unwrap(), Some(ports));
        std::fs::write(dir.path().join(PORTS_FILE), b"{").unwrap();
        let error = BoundPorts::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("ports.json") && error.contains("does not record"), "{error}");
    }
}
