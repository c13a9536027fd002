//! Which port each service of a local network listens on, and why a restart keeps them.
//!
//! Storage nodes and key servers are registered on chain with their URLs, and every file the
//! network writes (`deployment.json`, `node-<i>/node.toml`, `key-servers.json`) names the chain's
//! URL. A network restarted on its data directory must therefore serve on the ports of its first
//! start, whatever ports were asked for this time: the first start records the ports it actually
//! bound (the free ports picked under [`Ports::ephemeral`]) in `ports.json`, and later starts bind those.
//! Services added by a restart with more nodes or key servers get the planned ports.
//!
//! A port picked now is often bound later, by another process: an external node (`floe node`)
//! starts after the chain has registered its URL, and a restarted service binds its recorded
//! port again. Until then the port is free, and a port the OS picks for a listener comes from
//! the same range it gives every outgoing connection a local port from
//! (`/proc/sys/net/ipv4/ip_local_port_range`): on a busy machine a connection took a node's port
//! in that gap ("Address already in use", seen once in CI with many networks starting at once).
//! [`Ports::ephemeral`] therefore picks free ports outside that range, where only a listener
//! asking for that very port can take it.

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

/// Where the kernel picks local ports of outgoing connections when the machine does not say.
const DEFAULT_CONNECTION_PORTS: (u16, u16) = (32768, 60999);
/// The lowest port picked: below it live the well-known and registered services people run.
const LOWEST_PICKED_PORT: u16 = 10000;

/// The range the kernel gives outgoing connections their local port from.
fn connection_ports() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut bounds = text.split_whitespace().map(str::parse::<u16>);
            Some((bounds.next()?.ok()?, bounds.next()?.ok()?))
        })
        .filter(|(low, high)| low <= high)
        .unwrap_or(DEFAULT_CONNECTION_PORTS)
}

/// A port free on localhost now, outside the range of outgoing connections' local ports, so
/// that only a listener asking for it can take it before it is bound. Picked at random (tests
/// start many networks at once); 0 (the OS's pick) if no free one turns up.
pub(crate) fn free_port_no_connection_takes() -> u16 {
    use rand::seq::SliceRandom;
    let (low, high) = connection_ports();
    let candidates: Vec<u16> = (LOWEST_PICKED_PORT..=u16::MAX).filter(|port| !(low..=high).contains(port)).collect();
    let mut rng = rand::thread_rng();
    (0..64)
        .filter_map(|_| candidates.choose(&mut rng).copied())
        .find(|port| std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, *port)).is_ok())
        .unwrap_or(0)
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
    fn picked_ports_are_free_and_outside_the_range_of_outgoing_connections() {
        let (low, high) = connection_ports();
        for _ in 0..50 {
            let port = free_port_no_connection_takes();
            assert!(port >= LOWEST_PICKED_PORT, "{port} is below {LOWEST_PICKED_PORT}");
            assert!(!(low..=high).contains(&port), "{port} is in the connections' range {low}-{high}");
            std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, port)).expect("the picked port is free");
        }
    }

    #[test]
    fn ephemeral_plans_pick_distinct_ports_outside_the_connections_range() {
        let plan = PortPlan::new(Ports::ephemeral(), None);
        let (low, high) = connection_ports();
        let ports: Vec<u16> =
            (0..8).map(|i| plan.node(i).port()).chain([plan.rpc().port(), plan.daemon().port()]).collect();
        for port in &ports {
            assert!(*port != 0 && !(low..=high).contains(port), "{port} in {low}-{high}");
        }
        let distinct: std::collections::BTreeSet<_> = ports.iter().collect();
        assert!(distinct.len() >= ports.len() - 1, "random picks from thousands of ports rarely repeat: {ports:?}");
    }

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
        let plan = PortPlan::new(Ports::default(), None);
        assert_eq!(plan.rpc().port(), Ports::default().rpc);
        assert_eq!(plan.node(3).port(), Ports::default().first_node + 3);
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
