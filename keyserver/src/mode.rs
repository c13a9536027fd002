//! Which master key answers for which package, in Seal's two independent-server modes:
//!
//! - **open**: one master key, registered as one `KeyServer` object, serves every package;
//! - **permissioned**: the operator keeps one 32-byte seed; each client gets its own master key
//!   derived from it (`MasterKey::derive_from_seed(seed, index)`, Seal's HKDF derivation), its
//!   own `KeyServer` object, and the list of packages (first versions) it may ask keys for. A
//!   request for any other package is refused with `UnsupportedPackageId` before the chain is
//!   asked, and `GET /v1/service?service_id=` answers for the client that object belongs to.

use floe_seal::MasterKey;
use sui_sdk_types::Address;

use crate::error::RequestError;

/// One master key and the `KeyServer` object its public key is registered in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ServedKey {
    /// The IBE master secret key.
    pub master_key: MasterKey,
    /// Its `KeyServer` object id on chain.
    pub object_id: Address,
}

impl std::fmt::Debug for ServedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the master key.
        f.debug_struct("ServedKey").field("object_id", &self.object_id).finish_non_exhaustive()
    }
}

/// A client of a permissioned server: its key and the packages it may fetch keys for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionedClient {
    /// A name for logs and operators.
    pub name: String,
    /// The client's key (derived from the server's seed) and its `KeyServer` object.
    pub key: ServedKey,
    /// The packages (first versions) whose ids this client's key serves.
    pub packages: Vec<Address>,
}

impl PermissionedClient {
    /// The client number `index` of the server with `seed`: its master key is derived from the
    /// seed, so the operator backs up one seed for every client.
    pub fn derived(
        seed: &[u8; 32],
        index: u64,
        name: impl Into<String>,
        object_id: Address,
        packages: Vec<Address>,
    ) -> Self {
        let master_key = MasterKey::derive_from_seed(seed, index);
        Self { name: name.into(), key: ServedKey { master_key, object_id }, packages }
    }
}

/// How a server chooses the key for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerMode {
    /// One key for every package.
    Open(ServedKey),
    /// A key per client, each for its listed packages only.
    Permissioned(Vec<PermissionedClient>),
}

impl ServerMode {
    /// Every key served (one in open mode).
    pub fn keys(&self) -> Vec<ServedKey> {
        match self {
            Self::Open(key) => vec![*key],
            Self::Permissioned(clients) => clients.iter().map(|c| c.key).collect(),
        }
    }

    /// The key that answers for `package`.
    pub fn key_for_package(&self, package: Address) -> Result<ServedKey, RequestError> {
        match self {
            Self::Open(key) => Ok(*key),
            Self::Permissioned(clients) => clients
                .iter()
                .find(|c| c.packages.contains(&package))
                .map(|c| c.key)
                .ok_or(RequestError::UnsupportedPackage(package)),
        }
    }

    /// The key registered as `service_id`; without one, the server's only key.
    pub fn key_for_service(&self, service_id: Option<Address>) -> Result<ServedKey, RequestError> {
        let keys = self.keys();
        match service_id {
            Some(id) => keys.into_iter().find(|k| k.object_id == id).ok_or(RequestError::UnknownService(id)),
            None if keys.len() == 1 => Ok(keys[0]),
            None => Err(RequestError::ServiceIdRequired(keys.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(index: u64, object: &'static str, packages: &[&'static str]) -> PermissionedClient {
        let packages = packages.iter().map(|p| Address::from_static(p)).collect();
        PermissionedClient::derived(&[9; 32], index, format!("c{index}"), Address::from_static(object), packages)
    }

    #[test]
    fn permissioned_clients_have_their_own_keys_and_packages() {
        let mode = ServerMode::Permissioned(vec![client(0, "0xa", &["0x1"]), client(1, "0xb", &["0x2", "0x3"])]);
        let first = mode.key_for_package(Address::from_static("0x1")).unwrap();
        let second = mode.key_for_package(Address::from_static("0x3")).unwrap();
        assert_eq!((first.object_id, second.object_id), (Address::from_static("0xa"), Address::from_static("0xb")));
        assert_ne!(first.master_key, second.master_key);
        assert_eq!(first.master_key, MasterKey::derive_from_seed(&[9; 32], 0));
        assert!(matches!(
            mode.key_for_package(Address::from_static("0x4")),
            Err(RequestError::UnsupportedPackage(p)) if p == Address::from_static("0x4")
        ));
        assert_eq!(mode.key_for_service(Some(Address::from_static("0xb"))).unwrap(), second);
        assert!(matches!(mode.key_for_service(None), Err(RequestError::ServiceIdRequired(2))));
        assert!(matches!(
            mode.key_for_service(Some(Address::from_static("0xc"))),
            Err(RequestError::UnknownService(_))
        ));
    }

    #[test]
    fn an_open_server_serves_every_package_with_one_key() {
        let key =
            ServedKey { master_key: MasterKey::derive_from_seed(&[1; 32], 7), object_id: Address::from_static("0xa") };
        let mode = ServerMode::Open(key);
        assert_eq!(mode.key_for_package(Address::from_static("0x77")).unwrap(), key);
        assert_eq!(mode.key_for_service(None).unwrap(), key);
        assert!(mode.key_for_service(Some(Address::from_static("0xb"))).is_err());
    }
}
