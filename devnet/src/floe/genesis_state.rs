//! floe's objects written at genesis instead of published and initialized by transactions: the
//! WAL treasury and funded WAL coins, System and Staking with their inner states (the same
//! initial state as `init::initialize`), optionally a first committee, and an `InitCap`.

use floe_chain::floe::InitParams;
use floe_chain::floe::committee::{BlsCommittee, BlsCommitteeMember, Committee};
use floe_chain::floe::framework::{G1Element, VecMapEntry};
use floe_chain::floe::staking::{Staking, StakingInnerV1};
use floe_chain::floe::state::INNER_VERSION;
use floe_chain::floe::system::{InitCap, System, SystemStateInnerV1};
use floe_chain::floe::wal::ProtectedTreasury;
use floe_encoder::bls::BlsPublicKey;
use floe_encoder::certificate::Committee as SigningCommittee;
use serde::Serialize;
use sui_sdk_types::{Address, Digest, GenesisObject, MoveStruct, ObjectData, Owner, StructTag, TypeTag};

use super::init::{InitialIds, initial_state, staking_inner_type};
use super::system::inner_type as system_inner_type;
use super::wal::{INITIAL_SUPPLY_FROST, initial_treasury};
use super::{accounting, tag, wal_coin_type};
use crate::config::DevnetConfig;
use crate::dynamic_field::{Field, field_id, field_type};
use crate::framework::CoinValue;
use crate::native::CallError;

/// The version genesis objects start at.
const GENESIS_VERSION: u64 = 1;

/// Why floe's genesis objects cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FloeGenesisError {
    /// The parameters are refused as `init::initialize` refuses them.
    #[error("invalid floe parameters {params:?}: {source}")]
    InvalidParameters {
        /// The parameters given.
        params: InitParams,
        /// What `initialize` would abort with (boxed: the error stays small).
        #[source]
        source: Box<CallError>,
    },
    /// The WAL handed out exceeds the supply.
    #[error("genesis WAL coins total {asked} FROST, more than the supply of {supply}")]
    SupplyExceeded {
        /// The sum asked for.
        asked: u128,
        /// The WAL supply in FROST.
        supply: u64,
    },
}

/// floe's state at genesis. Build it with [`FloeGenesis::new`], adjust it (e.g.
/// [`FloeGenesis::with_committee`]), then [`FloeGenesis::configure`] a devnet with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloeGenesis {
    /// The shared `wal::wal::ProtectedTreasury` (shared at version 1).
    pub treasury: ProtectedTreasury,
    /// WAL coins and their owners. Whatever of the supply no account was given is one coin of
    /// the zero address, so the coins always add up to the supply.
    pub wal_coins: Vec<(Address, CoinValue)>,
    /// The shared `System` (shared at version 1).
    pub system: System,
    /// Its state, written to the dynamic field `1u64`.
    pub system_inner: SystemStateInnerV1,
    /// The shared `Staking` (shared at version 1).
    pub staking: Staking,
    /// Its state, written to the dynamic field `1u64`.
    pub staking_inner: StakingInnerV1,
    /// An `InitCap` and its owner, to run `init::initialize` by transaction.
    pub init_cap: Option<(Address, InitCap)>,
}

/// Deterministic ids for genesis objects, apart from the SUI coins' (seeded by the chain name).
fn genesis_id(counter: u64) -> Address {
    let seed = Digest::new(sui_sdk_types::hash::Hasher::digest(b"floe genesis objects").into_inner());
    Address::derive_id(seed, counter)
}

fn object<T: Serialize>(type_: StructTag, has_public_transfer: bool, value: &T, owner: Owner) -> GenesisObject {
    let contents = bcs::to_bytes(value).expect("Move values serialize");
    let data =
        MoveStruct::new(type_, has_public_transfer, GENESIS_VERSION, contents).expect("objects start with their id");
    GenesisObject::new(ObjectData::Struct(data), owner)
}

/// The field object `parent`'s dynamic field `1u64` holding `value`.
fn version_field<T: Serialize>(parent: Address, value_type: TypeTag, value: &T) -> GenesisObject {
    let id = field_id(parent, &TypeTag::U64, &INNER_VERSION);
    let field = Field { id, name: INNER_VERSION, value };
    object(field_type(TypeTag::U64, value_type), false, &field, Owner::Object(parent))
}

impl FloeGenesis {
    /// floe as publishing and initializing with `params` leaves it, with `wal_accounts` given
    /// one WAL coin per amount (FROST).
    pub fn new(params: &InitParams, wal_accounts: &[(Address, Vec<u64>)]) -> Result<Self, FloeGenesisError> {
        let ids = InitialIds { system: genesis_id(2), staking: genesis_id(3), pools: genesis_id(4) };
        let state = initial_state(params, ids)
            .map_err(|source| FloeGenesisError::InvalidParameters { params: *params, source: Box::new(source) })?;
        let asked: u128 = wal_accounts.iter().flat_map(|(_, coins)| coins).map(|&v| v as u128).sum();
        if asked > INITIAL_SUPPLY_FROST as u128 {
            return Err(FloeGenesisError::SupplyExceeded { asked, supply: INITIAL_SUPPLY_FROST });
        }
        let mut counter = 16;
        let mut coin = |value| {
            counter += 1;
            CoinValue { id: genesis_id(counter), value }
        };
        let mut wal_coins: Vec<(Address, CoinValue)> = wal_accounts
            .iter()
            .flat_map(|(owner, coins)| coins.iter().map(move |&v| (*owner, v)))
            .map(|(o, v)| (o, coin(v)))
            .collect();
        let rest = INITIAL_SUPPLY_FROST - asked as u64;
        if rest > 0 {
            wal_coins.push((Address::ZERO, coin(rest)));
        }
        Ok(Self {
            treasury: initial_treasury(genesis_id(0), genesis_id(1)),
            wal_coins,
            system: state.system,
            system_inner: state.system_inner,
            staking: state.staking,
            staking_inner: state.staking_inner,
            init_cap: None,
        })
    }

    /// Starts at `committee`'s epoch with that committee (members in bitmap order; node ids as
    /// given), selling `total_capacity_size` bytes at the given prices. Staking records the
    /// same epoch and shard assignment (consecutive shard ids in member order) but no pools:
    /// this is a signing committee for storage, not a staked one.
    pub fn with_committee(
        mut self,
        committee: &SigningCommittee,
        total_capacity_size: u64,
        storage_price_per_unit_size: u64,
        write_price_per_unit_size: u64,
    ) -> Self {
        let members = committee.members();
        let keys: Vec<BlsPublicKey> = members.iter().map(|m| m.public_key).collect();
        let total_aggregated_key = match BlsPublicKey::aggregate(&keys) {
            Ok(key) => key.to_bytes().to_vec(),
            Err(_) => self.system_inner.committee.total_aggregated_key.bytes.clone(),
        };
        let epoch = committee.epoch();
        let inner = &mut self.system_inner;
        inner.committee = BlsCommittee {
            members: members
                .iter()
                .map(|m| BlsCommitteeMember {
                    public_key: G1Element { bytes: m.public_key.to_bytes().to_vec() },
                    weight: m.weight,
                    node_id: Address::new(m.node_id),
                })
                .collect(),
            n_shards: committee.n_shards(),
            epoch,
            total_aggregated_key: G1Element { bytes: total_aggregated_key },
        };
        inner.total_capacity_size = total_capacity_size;
        inner.storage_price_per_unit_size = storage_price_per_unit_size;
        inner.write_price_per_unit_size = write_price_per_unit_size;
        inner.future_accounting =
            accounting::new_ring(epoch, inner.max_epochs_ahead + 1).expect("max_epochs_ahead + 1 is never zero");
        let mut next_shard = 0u16;
        let shards = members
            .iter()
            .map(|m| {
                let first = next_shard;
                next_shard += m.weight;
                VecMapEntry { key: Address::new(m.node_id), value: (first..next_shard).collect() }
            })
            .collect();
        self.staking_inner.n_shards = committee.n_shards();
        self.staking_inner.epoch = epoch;
        self.staking_inner.committee = Committee { shards: floe_chain::floe::framework::VecMap { contents: shards } };
        self
    }

    /// Adds an `InitCap` owned by `owner`.
    pub fn with_init_cap(mut self, owner: Address) -> Self {
        self.init_cap = Some((owner, InitCap { id: genesis_id(5) }));
        self
    }

    /// The genesis objects: treasury, coins, System and Staking with their fields, the InitCap.
    pub fn objects(&self) -> Vec<GenesisObject> {
        let shared = Owner::Shared(GENESIS_VERSION);
        let mut objects = vec![object(tag::<ProtectedTreasury>(), false, &self.treasury, shared)];
        objects.extend(
            self.wal_coins.iter().map(|(owner, coin)| object(wal_coin_type(), true, coin, Owner::Address(*owner))),
        );
        objects.push(object(tag::<System>(), false, &self.system, shared));
        objects.push(version_field(self.system.id, system_inner_type(), &self.system_inner));
        objects.push(object(tag::<Staking>(), false, &self.staking, shared));
        objects.push(version_field(self.staking.id, staking_inner_type(), &self.staking_inner));
        if let Some((owner, cap)) = &self.init_cap {
            objects.push(object(tag::<InitCap>(), true, cap, Owner::Address(*owner)));
        }
        objects
    }

    /// Adds the objects to `config`'s genesis and names System and Staking in its deployment.
    pub fn configure(&self, config: &mut DevnetConfig) {
        config.genesis_objects.extend(self.objects());
        config.system_object = self.system.id;
        config.staking_object = self.staking.id;
    }
}
