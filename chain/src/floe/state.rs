//! Reading floe's on-chain state from any endpoint: the System and Staking inner states (behind
//! their versioned dynamic fields), staking pools, and the storage committee as clients and
//! nodes need it — each member's BLS key, shards, network address and network (TLS) key, in
//! signer-bitmap order.
//!
//! ```no_run
//! # async fn example(deployment: floe_chain::Deployment) -> Result<(), floe_chain::floe::state::StateError> {
//! use floe_chain::ChainClient;
//! use floe_chain::floe::state::FloeReader;
//!
//! let client = ChainClient::new(&deployment.rpc_url).unwrap();
//! let reader = FloeReader::new(client, deployment);
//! let committee = reader.committee().await?;
//! for member in &committee.members {
//!     println!("{} holds {} shards at {}", member.name, member.shards.len(), member.http_url());
//! }
//! let system = reader.system().await?;
//! println!("storage costs {} FROST per MiB per epoch", system.storage_price_per_unit_size);
//! # Ok(()) }
//! ```

use floe_encoder::ShardIndex;
use floe_encoder::bls::{BlsError, BlsPublicKey};
use floe_encoder::network_key::{BadNetworkKeyLength, NetworkPublicKey};
use serde::de::DeserializeOwned;
use sui_sdk_types::{Address, Object, ObjectData, TypeTag};

use super::committee::Committee;
use super::framework::DynamicField;
use super::staking::StakingInnerV1;
use super::staking_pool::{ExchangeRate, ExchangeRateField, StakingPool};
use super::system::SystemStateInnerV1;
use crate::client::{ChainClient, ClientError};
use crate::deployment::Deployment;

/// The inner-state version this code reads (the dynamic field name under System and Staking).
pub const INNER_VERSION: u64 = 1;

/// Why floe's state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The endpoint failed or does not have the object.
    #[error("reading {what}: {source}")]
    Read {
        /// What was being read.
        what: String,
        /// The client's error.
        source: ClientError,
    },
    /// The object exists but its contents are not what floe's Move package writes.
    #[error("{what} does not decode: {source}")]
    Decode {
        /// What was being read.
        what: String,
        /// Why its bytes are not the Move struct.
        #[source]
        source: bcs::Error,
    },
    /// A package is where floe's object should be.
    #[error("{what} does not decode: it is a package, not an object")]
    NotAnObject {
        /// What was being read.
        what: String,
    },
    /// A node's BLS public key on chain is not a key.
    #[error("{what} does not decode: {source}")]
    BlsKey {
        /// Which key.
        what: String,
        /// Why it is not a key.
        #[source]
        source: BlsError,
    },
    /// A node's network public key on chain has the wrong length.
    #[error("{what} does not decode: {source}")]
    NetworkKey {
        /// Which key.
        what: String,
        /// Its length.
        #[source]
        source: BadNetworkKeyLength,
    },
    /// The System and Staking views disagree (read between two transactions of an epoch change,
    /// or a broken deployment).
    #[error("inconsistent committee: {0}")]
    Inconsistent(String),
}

/// The storage committee of one epoch, as clients and nodes use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeInfo {
    /// The epoch it serves.
    pub epoch: u32,
    /// The total number of shards.
    pub n_shards: u16,
    /// The members in `BlsCommittee` order: member i is bit i of a signer bitmap.
    pub members: Vec<MemberInfo>,
}

impl CommitteeInfo {
    /// The member holding `shard`.
    pub fn holder_of(&self, shard: ShardIndex) -> Option<&MemberInfo> {
        self.members.iter().find(|member| member.shards.contains(&shard))
    }

    /// The position of the member with this BLS key (its bit in a signer bitmap).
    pub fn position_of(&self, public_key: &BlsPublicKey) -> Option<usize> {
        self.members.iter().position(|member| &member.public_key == public_key)
    }
}

/// One storage node of a committee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    /// The node id (its staking pool's object id).
    pub node_id: Address,
    /// The node's name.
    pub name: String,
    /// The key its confirmations are signed with.
    pub public_key: BlsPublicKey,
    /// The shards it holds this epoch, ascending.
    pub shards: Vec<ShardIndex>,
    /// The network address it registered: `host:port` or `https://…` (TLS, its certificate
    /// pinned to `network_public_key`), or `http://…` (plain HTTP, only where a network was set
    /// up so explicitly).
    pub network_address: String,
    /// The key its TLS certificate must carry.
    pub network_public_key: NetworkPublicKey,
}

impl MemberInfo {
    /// The base URL of the node's HTTP API.
    pub fn http_url(&self) -> String {
        node_url(&self.network_address)
    }
}

/// The base URL of a node's API from the address it registered: a bare `host:port` means https
/// (every node serves TLS unless its operator registered an explicit `http://` URL).
pub fn node_url(network_address: &str) -> String {
    let address = network_address.trim().trim_end_matches('/');
    if address.starts_with("http://") || address.starts_with("https://") {
        address.to_owned()
    } else {
        format!("https://{address}")
    }
}

fn network_key_of(pool: &StakingPool) -> Result<NetworkPublicKey, StateError> {
    NetworkPublicKey::from_bytes(&pool.network_public_key).map_err(|source| StateError::NetworkKey {
        what: format!("network public key in the staking pool of node {}", pool.id),
        source,
    })
}

/// Reads floe's state for one deployment.
#[derive(Debug, Clone)]
pub struct FloeReader {
    client: ChainClient,
    deployment: Deployment,
}

impl FloeReader {
    /// A reader of `deployment`'s objects through `client`.
    pub fn new(client: ChainClient, deployment: Deployment) -> Self {
        Self { client, deployment }
    }

    /// The client used.
    pub fn client(&self) -> &ChainClient {
        &self.client
    }

    /// The deployment read.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// The System's inner state (committee, capacity, prices, accounting).
    pub async fn system(&self) -> Result<SystemStateInnerV1, StateError> {
        self.inner(self.deployment.system_object, "System").await
    }

    /// The Staking's inner state (epoch, epoch state, committee shards, pools table).
    pub async fn staking(&self) -> Result<StakingInnerV1, StateError> {
        self.inner(self.deployment.staking_object, "Staking").await
    }

    /// A staking pool by node id (the pool's object id).
    pub async fn pool(&self, node_id: Address) -> Result<StakingPool, StateError> {
        self.decode_object(node_id, || format!("staking pool {node_id}")).await
    }

    /// Every registered pool, in registration order (`staking.pool_ids`).
    pub async fn pools(&self, staking: &StakingInnerV1) -> Result<Vec<StakingPool>, StateError> {
        futures::future::try_join_all(staking.pool_ids.iter().map(|id| self.pool(*id))).await
    }

    /// The exchange rate `pool` recorded at `epoch`: none for an epoch it has not reached or
    /// was not registered in yet (a pool records one at registration and at each epoch change).
    pub async fn exchange_rate(&self, pool: &StakingPool, epoch: u32) -> Result<Option<ExchangeRate>, StateError> {
        let key = bcs::to_bytes(&epoch).expect("u32 serializes");
        let field_id = pool.exchange_rates.id.derive_dynamic_child_id(&TypeTag::U32, &key);
        let what = || format!("exchange rate of pool {} at epoch {epoch} (field {field_id})", pool.id);
        match self.client.get_object(field_id).await {
            Ok(object) => Ok(Some(decode::<ExchangeRateField>(&object, what)?.value)),
            Err(ClientError::ObjectNotFound(_)) => Ok(None),
            Err(source) => Err(StateError::Read { what: what(), source }),
        }
    }

    /// The current committee: the System's BLS committee (keys, order) joined with the shard
    /// assignment Staking keeps and each node's pool (name, network address).
    pub async fn committee(&self) -> Result<CommitteeInfo, StateError> {
        let (system, staking) = futures::try_join!(self.system(), self.staking())?;
        let bls = system.committee;
        if bls.epoch != staking.epoch {
            return Err(StateError::Inconsistent(format!(
                "System's committee is for epoch {}, Staking is at epoch {}",
                bls.epoch, staking.epoch
            )));
        }
        let pools = futures::future::try_join_all(bls.members.iter().map(|member| self.pool(member.node_id))).await?;
        let mut members = Vec::with_capacity(bls.members.len());
        for (member, pool) in bls.members.iter().zip(pools) {
            let public_key = BlsPublicKey::from_bytes(&member.public_key.bytes).map_err(|source| {
                StateError::BlsKey { what: format!("public key of node {}", member.node_id), source }
            })?;
            let shards = staking
                .committee
                .shards
                .contents
                .iter()
                .find(|entry| entry.key == member.node_id)
                .map(|entry| entry.value.iter().copied().map(ShardIndex).collect::<Vec<_>>())
                .ok_or_else(|| StateError::Inconsistent(format!("node {} has no shards in Staking", member.node_id)))?;
            if shards.len() != usize::from(member.weight) {
                return Err(StateError::Inconsistent(format!(
                    "node {} has weight {} in System but {} shards in Staking",
                    member.node_id,
                    member.weight,
                    shards.len()
                )));
            }
            let mut shards = shards;
            shards.sort_unstable();
            let network_public_key = network_key_of(&pool)?;
            members.push(MemberInfo {
                node_id: member.node_id,
                name: pool.name,
                public_key,
                shards,
                network_address: pool.network_address,
                network_public_key,
            });
        }
        Ok(CommitteeInfo { epoch: bls.epoch, n_shards: bls.n_shards, members })
    }

    /// The committee of the previous epoch, which still holds the slivers of shards that moved
    /// until their new owners have them: Staking's previous shard assignment joined with each
    /// node's pool (key, name, network address). `None` in the first epoch, which has no
    /// predecessor.
    pub async fn previous_committee(&self) -> Result<Option<CommitteeInfo>, StateError> {
        let staking = self.staking().await?;
        let node_ids = staking.previous_committee.shards.contents.iter().map(|entry| entry.key);
        let pools = futures::future::try_join_all(node_ids.map(|node_id| self.pool(node_id))).await?;
        previous_committee_of(&staking, &pools)
    }

    async fn inner<V: DeserializeOwned>(&self, parent: Address, name: &str) -> Result<V, StateError> {
        let key = bcs::to_bytes(&INNER_VERSION).expect("u64 serializes");
        let field_id = parent.derive_dynamic_child_id(&TypeTag::U64, &key);
        let field: DynamicField<u64, V> =
            self.decode_object(field_id, || format!("{name} {parent} inner state (field {field_id})")).await?;
        Ok(field.value)
    }

    async fn decode_object<T: DeserializeOwned>(
        &self,
        id: Address,
        what: impl Fn() -> String,
    ) -> Result<T, StateError> {
        let object = self.client.get_object(id).await.map_err(|source| StateError::Read { what: what(), source })?;
        decode(&object, what)
    }
}

fn decode<T: DeserializeOwned>(object: &Object, what: impl Fn() -> String) -> Result<T, StateError> {
    let ObjectData::Struct(data) = object.data() else {
        return Err(StateError::NotAnObject { what: what() });
    };
    bcs::from_bytes(data.contents()).map_err(|source| StateError::Decode { what: what(), source })
}

/// The previous committee described by `staking`, with each member's key, name and address from
/// its pool (`pools` holds at least the pool of every node of the previous committee). Members
/// are in node-id order, the order of the BLS committee the System kept for that epoch.
fn previous_committee_of(staking: &StakingInnerV1, pools: &[StakingPool]) -> Result<Option<CommitteeInfo>, StateError> {
    let Committee { shards } = &staking.previous_committee;
    if shards.is_empty() || staking.epoch == 0 {
        return Ok(None);
    }
    let mut members = Vec::with_capacity(shards.len());
    for entry in &shards.contents {
        let pool = pools.iter().find(|pool| pool.id == entry.key).ok_or_else(|| {
            StateError::Inconsistent(format!("node {} of the previous committee has no staking pool", entry.key))
        })?;
        let public_key = BlsPublicKey::from_bytes(&pool.public_key).map_err(|source| StateError::BlsKey {
            what: format!("public key in the staking pool of node {}", entry.key),
            source,
        })?;
        let mut shards: Vec<ShardIndex> = entry.value.iter().copied().map(ShardIndex).collect();
        shards.sort_unstable();
        members.push(MemberInfo {
            node_id: entry.key,
            name: pool.name.clone(),
            public_key,
            shards,
            network_address: pool.network_address.clone(),
            network_public_key: network_key_of(pool)?,
        });
    }
    members.sort_unstable_by_key(|member| member.node_id);
    Ok(Some(CommitteeInfo { epoch: staking.epoch - 1, n_shards: staking.n_shards, members }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(address: &str) -> MemberInfo {
        MemberInfo {
            node_id: Address::ZERO,
            name: "n".into(),
            public_key: floe_encoder::bls::BlsSecretKey::from_seed(&[1; 32]).public_key(),
            shards: vec![ShardIndex(1), ShardIndex(3)],
            network_address: address.into(),
            network_public_key: NetworkPublicKey([9; 32]),
        }
    }

    #[test]
    fn host_and_port_addresses_mean_https_and_plain_http_is_explicit() {
        assert_eq!(member("127.0.0.1:9185").http_url(), "https://127.0.0.1:9185");
        assert_eq!(member("https://node.example/").http_url(), "https://node.example");
        assert_eq!(member("http://127.0.0.1:9185").http_url(), "http://127.0.0.1:9185");
    }

    #[test]
    fn shards_are_found_with_their_holder() {
        let committee = CommitteeInfo { epoch: 1, n_shards: 4, members: vec![member("a:1")] };
        assert_eq!(committee.holder_of(ShardIndex(3)).map(|m| m.name.as_str()), Some("n"));
        assert!(committee.holder_of(ShardIndex(2)).is_none());
        assert_eq!(committee.position_of(&committee.members[0].public_key), Some(0));
    }

    fn pool(byte: u8) -> StakingPool {
        use super::super::framework::Table;
        use super::super::staking_pool::VotingParams;
        StakingPool {
            id: Address::new([byte; 32]),
            name: format!("node-{byte}"),
            network_address: format!("127.0.0.1:{}", 9000 + u16::from(byte)),
            public_key: floe_encoder::bls::BlsSecretKey::from_seed(&[byte; 32]).public_key().to_bytes().to_vec(),
            network_public_key: vec![byte; 32],
            voting_params: VotingParams { storage_price: 1, write_price: 1, node_capacity: 1 << 30 },
            commission_rate: 0,
            next_commission: None,
            latest_epoch: 0,
            wal_balance: 0,
            share_amount: 0,
            pending_stake: Default::default(),
            pending_withdrawals: Vec::new(),
            exchange_rates: Table { id: Address::ZERO, size: 0 },
            rewards_pool: 0,
            commission: 0,
        }
    }

    fn staking(epoch: u32, previous: &[(u8, &[u16])]) -> StakingInnerV1 {
        use super::super::framework::Table;
        use super::super::staking::EpochState;
        let previous_committee = Committee {
            shards: previous.iter().map(|(byte, shards)| (Address::new([*byte; 32]), shards.to_vec())).collect(),
        };
        StakingInnerV1 {
            n_shards: 5,
            epoch_duration_ms: 1,
            max_committee_size: 10,
            epoch,
            epoch_start_ms: 0,
            pools: Table { id: Address::ZERO, size: 3 },
            pool_ids: Vec::new(),
            committee: Committee { shards: Default::default() },
            previous_committee,
            next_committee: None,
            next_epoch_params: None,
            epoch_state: EpochState::EpochChangeDone(0),
            active_set: super::super::staking::ActiveSet { max_size: 10, entries: Vec::new() },
            challenges: crate::floe::challenges::ChallengeState::new(epoch),
        }
    }

    #[test]
    fn the_previous_committee_takes_keys_names_and_addresses_from_the_pools() {
        let pools = [pool(3), pool(1), pool(2)];
        // Inserted out of node-id order, shards unsorted: the result is in bitmap order.
        let info = previous_committee_of(&staking(4, &[(2, &[4, 0]), (1, &[1, 2, 3])]), &pools).unwrap().unwrap();
        assert_eq!(info.epoch, 3);
        assert_eq!(info.n_shards, 5);
        let names: Vec<&str> = info.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["node-1", "node-2"]);
        assert_eq!(info.members[1].shards, [ShardIndex(0), ShardIndex(4)]);
        assert_eq!(info.members[0].http_url(), "https://127.0.0.1:9001");
        assert_eq!(info.members[0].network_public_key, NetworkPublicKey([1; 32]));
        assert_eq!(info.members[1].public_key, floe_encoder::bls::BlsSecretKey::from_seed(&[2; 32]).public_key());
        assert_eq!(info.holder_of(ShardIndex(3)).map(|m| m.node_id), Some(Address::new([1; 32])));
    }

    #[test]
    fn the_first_epoch_has_no_previous_committee() {
        assert_eq!(previous_committee_of(&staking(1, &[]), &[]).unwrap(), None);
        assert_eq!(previous_committee_of(&staking(0, &[(1, &[0])]), &[pool(1)]).unwrap(), None);
    }

    #[test]
    fn a_previous_member_without_a_pool_or_with_a_bad_key_is_named() {
        let error = previous_committee_of(&staking(2, &[(7, &[0])]), &[pool(1)]).unwrap_err();
        assert!(error.to_string().contains(&Address::new([7; 32]).to_string()), "{error}");
        let mut broken = pool(1);
        broken.public_key = vec![1, 2, 3];
        let error = previous_committee_of(&staking(2, &[(1, &[0])]), &[broken]).unwrap_err();
        assert!(matches!(error, StateError::BlsKey { .. }), "{error}");
    }
}
