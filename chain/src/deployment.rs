//! The deployment description: where floe lives on a Sui network, loaded from one file by every
//! component, so switching from the devnet to a real network is a configuration change.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

/// What went wrong loading or saving a deployment description.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    /// The file could not be read or written.
    #[error("deployment file {path}: {source}")]
    Io {
        /// The file involved.
        path: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid deployment description.
    #[error("deployment file {path} is malformed: {source}")]
    Format {
        /// The file involved.
        path: String,
        /// The JSON error, with line and column.
        source: serde_json::Error,
    },
}

/// Package ids of floe's Move packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packages {
    /// The WAL token package (`move/wal`).
    pub wal: Address,
    /// The floe storage package (`move/floe`).
    pub floe: Address,
    /// The Seal access-policy package (`move/seal`).
    pub seal: Address,
}

/// Where floe lives on one Sui network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// The chain identifier as `GetServiceInfo` reports it (base58 genesis checkpoint digest).
    pub chain_id: String,
    /// The gRPC endpoint of a full node, e.g. `http://127.0.0.1:9000`.
    pub rpc_url: String,
    /// The package ids.
    pub packages: Packages,
    /// The shared `System` object.
    pub system_object: Address,
    /// The shared `Staking` object.
    pub staking_object: Address,
}

impl Deployment {
    /// Reads a deployment description from a JSON file.
    pub fn load(path: &Path) -> Result<Self, DeploymentError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| DeploymentError::Io { path: path.display().to_string(), source })?;
        serde_json::from_str(&text)
            .map_err(|source| DeploymentError::Format { path: path.display().to_string(), source })
    }

    /// Writes the description as pretty JSON, atomically (temp file then rename), so a reader
    /// never sees half a file.
    pub fn save(&self, path: &Path) -> Result<(), DeploymentError> {
        let io = |source| DeploymentError::Io { path: path.display().to_string(), source };
        let text = serde_json::to_string_pretty(self).expect("a deployment always serializes");
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Deployment {
        Deployment {
            chain_id: "4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S".into(),
            rpc_url: "http://127.0.0.1:9000".into(),
            packages: Packages {
                wal: Address::from_static("0xa1"),
                floe: Address::from_static("0xf1"),
                seal: Address::from_static("0x5e"),
            },
            system_object: Address::from_static("0x51"),
            staking_object: Address::from_static("0x52"),
        }
    }

    #[test]
    fn save_then_load_gives_the_same_description() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deployment.json");
        sample().save(&path).unwrap();
        assert_eq!(Deployment::load(&path).unwrap(), sample());
    }

    #[test]
    fn addresses_are_written_as_full_hex() {
        let text = serde_json::to_string(&sample()).unwrap();
        assert!(text.contains(&Address::from_static("0xf1").to_string()), "{text}");
    }

    #[test]
    fn malformed_file_reports_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        std::fs::write(&path, "{\"chain_id\": 5}").unwrap();
        let err = Deployment::load(&path).unwrap_err();
        assert!(matches!(err, DeploymentError::Format { .. }));
        assert!(err.to_string().contains("bad.json"), "{err}");
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let err = Deployment::load(Path::new("/nonexistent/deployment.json")).unwrap_err();
        assert!(matches!(err, DeploymentError::Io { .. }));
    }
}
