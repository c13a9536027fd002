//! Staking on floe, for WAL holders and node operators: stake WAL with a node, list the stakes an
//! account holds with what each is worth, withdraw them in two steps; register a node as a
//! candidate, set its commission, collect it, vote on prices and capacity, move its address.
//!
//! Every operation checks what the chain would refuse before it signs (amounts, lengths, the
//! withdrawal epoch, the operator capability), so a doomed transaction costs no gas.
//!
//! ```no_run
//! # async fn example(chain: floe_client::ChainAccess, node_id: sui_sdk_types::Address) -> Result<(), floe_client::ChainError> {
//! let staked = chain.stake(node_id, 100 * 1_000_000_000).await?; // 100 WAL
//! let owner = chain.sender().unwrap();
//! for stake in chain.stakes(owner).await? {
//!     println!("{} with {}: {} FROST staked, worth {}", stake.id, stake.node_name, stake.principal, stake.value);
//! }
//! let withdraw_epoch = chain.request_withdraw(staked).await?;
//! // ... once the chain reaches `withdraw_epoch`:
//! let paid = chain.withdraw(staked).await?;
//! # let _ = (withdraw_epoch, paid); Ok(()) }
//! ```

use std::collections::{BTreeMap, btree_map::Entry};

use floe_chain::{
    ClientError,
    floe::{
        FloeEvent, MoveType, ObjectMismatch,
        events::{CommissionCollected, Staked, StakingPoolRegistered, WithdrawalRequested, Withdrawn},
        staked_wal::StakedWal,
        staking::{StakingInnerV1, StorageNodeCap},
        staking_pool::{
            MAX_COMMISSION_RATE, MAX_NAME_LENGTH, MAX_NETWORK_ADDRESS_LENGTH, NETWORK_PUBLIC_KEY_LENGTH,
            PUBLIC_KEY_LENGTH, StakingPool, stake_value,
        },
        state::StateError,
    },
};
use floe_encoder::{bls::BlsSecretKey, messages::ProofOfPossessionMessage, network_key::NetworkPublicKey};
use serde::Serialize;
use sui_sdk_types::{Address, ObjectReference, Owner};
use sui_transaction_builder::{Argument, TransactionBuilder};

use crate::chain_ops::{ChainAccess, ChainError, owned};

// What callers of this module build or match on, re-exported so they need not reach into floe-chain.
pub use floe_chain::floe::{NodeRegistration, staked_wal::StakedWalState, staking_pool::VotingParams};

/// Why a staking operation was refused before anything was sent.
#[derive(Debug, thiserror::Error)]
pub enum StakingError {
    /// Staking nothing.
    #[error("the amount to stake is 0 FROST; stake more than nothing")]
    ZeroStake,
    /// No pool has this node id.
    #[error("no storage node {node_id} is registered (see `floe info` for the candidates)")]
    UnknownNode {
        /// The node id asked for.
        node_id: Address,
    },
    /// The object is not a `StakedWal`.
    #[error("object {id} is not a floe StakedWal: {reason}")]
    NotAStakedWal {
        /// The object.
        id: Address,
        /// What it is instead.
        #[source]
        reason: ObjectMismatch,
    },
    /// No object has the id (a withdrawn stake is gone).
    #[error("object {0} is not a floe StakedWal: no such object (already withdrawn?)")]
    NoStakedWal(Address),
    /// The stake belongs to someone else.
    #[error("StakedWal {id} is owned by {owner:?}, not by the signer {sender}")]
    NotOwned {
        /// The stake.
        id: Address,
        /// Its owner.
        owner: Owner,
        /// Who tried.
        sender: Address,
    },
    /// A withdrawal was already requested.
    #[error("StakedWal {id} is already withdrawing; withdraw it from epoch {withdraw_epoch}")]
    AlreadyWithdrawing {
        /// The stake.
        id: Address,
        /// When it can be withdrawn.
        withdraw_epoch: u32,
    },
    /// The stake was never counted by a committee: it needs no request.
    #[error(
        "StakedWal {id} activates at epoch {activation_epoch} and no committee counted it yet: withdraw it directly"
    )]
    WithdrawDirectly {
        /// The stake.
        id: Address,
        /// Its activation epoch.
        activation_epoch: u32,
    },
    /// Withdrawing a counted stake needs a request first.
    #[error("StakedWal {id} is staked: request its withdrawal first (`floe unstake`)")]
    WithdrawalNotRequested {
        /// The stake.
        id: Address,
    },
    /// The withdrawal epoch has not come.
    #[error("StakedWal {id} can be withdrawn from epoch {withdraw_epoch}; the chain is at epoch {epoch}")]
    WithdrawTooEarly {
        /// The stake.
        id: Address,
        /// From when it can be withdrawn.
        withdraw_epoch: u32,
        /// The current epoch.
        epoch: u32,
    },
    /// The signer operates no node.
    #[error(
        "account {owner} holds no StorageNodeCap: it operates no registered node (register with `floe node register`)"
    )]
    NoStorageNodeCap {
        /// The account.
        owner: Address,
    },
    /// The account operates a node already.
    #[error("account {owner} already operates node {node_id}; one account runs one node")]
    AlreadyRegistered {
        /// The account.
        owner: Address,
        /// Its node.
        node_id: Address,
    },
    /// A `StorageNodeCap` that does not decode.
    #[error("StorageNodeCap {id} does not decode: {reason}")]
    BadCap {
        /// The object.
        id: Address,
        /// What it is instead.
        #[source]
        reason: ObjectMismatch,
    },
    /// Commission above 100%.
    #[error("commission of {rate} basis points is above the maximum of {MAX_COMMISSION_RATE} (100%)")]
    CommissionTooHigh {
        /// The rate asked for.
        rate: u16,
    },
    /// A name the pool would refuse.
    #[error("node name of {length} bytes is longer than the {MAX_NAME_LENGTH} allowed")]
    NameTooLong {
        /// Its length.
        length: usize,
    },
    /// A network address the pool would refuse.
    #[error("network address of {length} bytes is longer than the {MAX_NETWORK_ADDRESS_LENGTH} allowed")]
    AddressTooLong {
        /// Its length.
        length: usize,
    },
    /// A BLS public key of the wrong length.
    #[error("BLS public key of {length} bytes; a compressed G1 key has {PUBLIC_KEY_LENGTH}")]
    BadPublicKey {
        /// Its length.
        length: usize,
    },
    /// A network public key of the wrong length.
    #[error("network public key of {length} bytes; an Ed25519 key has {NETWORK_PUBLIC_KEY_LENGTH}")]
    BadNetworkKey {
        /// Its length.
        length: usize,
    },
    /// `vote` with nothing to vote on.
    #[error("nothing to vote on: give a storage price, a write price or a capacity")]
    EmptyVote,
}

/// One `StakedWal` an account holds, with what withdrawing it pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StakeInfo {
    /// The `StakedWal` object.
    pub id: Address,
    /// The node staked with.
    pub node_id: Address,
    /// That node's name.
    pub node_name: String,
    /// The staked principal (FROST).
    pub principal: u64,
    /// The first epoch the stake counts in.
    pub activation_epoch: u32,
    /// Staked, or withdrawing from an epoch on.
    pub state: StakedWalState,
    /// What `withdraw_stake` pays (FROST): the principal plus its rewards, valued at the rate of
    /// the withdrawal epoch once that has come, else at the pool's latest rate.
    pub value: u64,
}

/// A node operator's votes; `None` leaves a vote as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeVotes {
    /// FROST per 1 MiB unit per epoch.
    pub storage_price: Option<u64>,
    /// FROST per 1 MiB unit, once.
    pub write_price: Option<u64>,
    /// Encoded bytes the node offers.
    pub node_capacity: Option<u64>,
}

impl StakingError {
    /// Checks `node` against the pool's limits.
    fn check_registration(node: &NodeRegistration) -> Result<(), Self> {
        if node.commission_rate > MAX_COMMISSION_RATE {
            return Err(Self::CommissionTooHigh { rate: node.commission_rate });
        }
        if node.name.len() > MAX_NAME_LENGTH {
            return Err(Self::NameTooLong { length: node.name.len() });
        }
        Self::check_address(&node.network_address)?;
        if node.public_key.len() != PUBLIC_KEY_LENGTH {
            return Err(Self::BadPublicKey { length: node.public_key.len() });
        }
        if node.network_public_key.len() != NETWORK_PUBLIC_KEY_LENGTH {
            return Err(Self::BadNetworkKey { length: node.network_public_key.len() });
        }
        Ok(())
    }

    fn check_address(address: &str) -> Result<(), Self> {
        if address.len() > MAX_NETWORK_ADDRESS_LENGTH {
            return Err(Self::AddressTooLong { length: address.len() });
        }
        Ok(())
    }
}

/// What withdrawing `staked` from `pool` pays: the principal for stake the pool has not
/// activated yet; otherwise its shares at the activation epoch's rate valued at the rate of the
/// withdrawal epoch (or the latest one, while that has not come).
async fn value_of(chain: &ChainAccess, staked: &StakedWal, pool: &StakingPool) -> Result<u64, ChainError> {
    let valued_at = match staked.state {
        StakedWalState::Withdrawing { withdraw_epoch } => withdraw_epoch.min(pool.latest_epoch),
        StakedWalState::Staked => pool.latest_epoch,
    };
    if staked.activation_epoch > valued_at {
        return Ok(staked.principal);
    }
    let (activation, valuation) = futures::try_join!(
        chain.reader.exchange_rate(pool, staked.activation_epoch),
        chain.reader.exchange_rate(pool, valued_at),
    )?;
    match (activation, valuation) {
        (Some(activation), Some(valuation)) => {
            Ok(stake_value(staked.principal, &activation, &valuation, pool.rewards_pool))
        }
        (None, _) => Err(ChainError::MissingExchangeRate {
            pool: pool.id,
            epoch: staked.activation_epoch,
            latest: pool.latest_epoch,
        }),
        (_, None) => {
            Err(ChainError::MissingExchangeRate { pool: pool.id, epoch: valued_at, latest: pool.latest_epoch })
        }
    }
}

/// The `what` event among `executed`'s, as `pick` selects it.
fn event<E>(
    chain: &ChainAccess,
    executed: &floe_chain::Executed,
    what: &'static str,
    pick: impl Fn(FloeEvent) -> Option<E>,
) -> Result<E, ChainError> {
    let packages = &chain.deployment().packages;
    executed
        .events
        .iter()
        .find_map(|event| FloeEvent::from_event(packages, event).ok().and_then(&pick))
        .ok_or_else(|| ChainError::MissingEvent { digest: executed.digest, event: what })
}

impl ChainAccess {
    /// The Staking object's state: epoch, epoch state, committees, pool ids.
    pub async fn staking(&self) -> Result<StakingInnerV1, ChainError> {
        Ok(self.reader.staking().await?)
    }

    /// The staking pool of `node_id`; [`StakingError::UnknownNode`] when there is none.
    pub async fn pool(&self, node_id: Address) -> Result<StakingPool, ChainError> {
        match self.reader.pool(node_id).await {
            Ok(pool) => Ok(pool),
            Err(StateError::Read { source: ClientError::ObjectNotFound(_), .. }) => {
                Err(StakingError::UnknownNode { node_id }.into())
            }
            // A wrong object type decodes badly: not a pool either.
            Err(StateError::Decode { .. }) => Err(StakingError::UnknownNode { node_id }.into()),
            Err(error) => Err(error.into()),
        }
    }

    /// Every registered pool, in registration order.
    pub async fn pools(&self) -> Result<Vec<StakingPool>, ChainError> {
        let staking = self.staking().await?;
        Ok(self.reader.pools(&staking).await?)
    }

    /// Stakes `amount` FROST of the signer's WAL with node `node_id`; the signer keeps the new
    /// `StakedWal`, whose id is returned. It counts from the next epoch (or the one after, when
    /// the next committee is already selected).
    pub async fn stake(&self, node_id: Address, amount: u64) -> Result<Address, ChainError> {
        if amount == 0 {
            return Err(StakingError::ZeroStake.into());
        }
        self.pool(node_id).await?;
        let sender = self.signer()?.address();
        let mut builder = self.builder().await?;
        let payment = self.wal_payment(&mut builder, amount).await?;
        let staked = self.calls.stake_with_pool(&mut builder, payment, node_id);
        let owner = builder.pure(&sender);
        builder.transfer_objects(vec![staked], owner);
        let executed = self.execute(builder).await?;
        let staked: Staked = event(self, &executed, "Staked", |e| match e {
            FloeEvent::Staked(staked) => Some(staked),
            _ => None,
        })?;
        Ok(staked.staked_wal_id)
    }

    /// Every `StakedWal` `owner` holds, with its node's name and what withdrawing it pays.
    pub async fn stakes(&self, owner: Address) -> Result<Vec<StakeInfo>, ChainError> {
        let tag = StakedWal::struct_tag(&self.deployment().packages);
        let objects = self.client().owned_objects(owner, Some(&tag)).await?;
        let packages = &self.deployment().packages;
        let stakes = objects
            .iter()
            .map(|object| {
                StakedWal::from_object(packages, object)
                    .map_err(|reason| StakingError::NotAStakedWal { id: object.object_id(), reason })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut pools = BTreeMap::new();
        for stake in &stakes {
            if let Entry::Vacant(entry) = pools.entry(stake.node_id) {
                entry.insert(self.reader.pool(stake.node_id).await?);
            }
        }
        let mut infos = Vec::with_capacity(stakes.len());
        for stake in stakes {
            let pool = &pools[&stake.node_id];
            infos.push(StakeInfo {
                id: stake.id,
                node_id: stake.node_id,
                node_name: pool.name.clone(),
                principal: stake.principal,
                activation_epoch: stake.activation_epoch,
                state: stake.state,
                value: value_of(self, &stake, pool).await?,
            });
        }
        infos.sort_by_key(|info| (info.activation_epoch, info.id));
        Ok(infos)
    }

    /// The signer's `StakedWal` `id` and its current reference.
    async fn own_staked_wal(&self, id: Address) -> Result<(StakedWal, ObjectReference), ChainError> {
        let sender = self.signer()?.address();
        let object = match self.client().get_object(id).await {
            Ok(object) => object,
            Err(ClientError::ObjectNotFound(_)) => return Err(StakingError::NoStakedWal(id).into()),
            Err(error) => return Err(error.into()),
        };
        let staked = StakedWal::from_object(&self.deployment().packages, &object)
            .map_err(|reason| StakingError::NotAStakedWal { id, reason })?;
        if object.owner() != &Owner::Address(sender) {
            return Err(StakingError::NotOwned { id, owner: *object.owner(), sender }.into());
        }
        Ok((staked, ObjectReference::new(id, object.version(), object.digest())))
    }

    /// Asks to withdraw the signer's stake `staked_wal`; returns the epoch from which
    /// [`Self::withdraw`] pays it (the next one, or the one after when its node is in the
    /// already selected next committee).
    pub async fn request_withdraw(&self, staked_wal: Address) -> Result<u32, ChainError> {
        let (staked, reference) = self.own_staked_wal(staked_wal).await?;
        if let StakedWalState::Withdrawing { withdraw_epoch } = staked.state {
            return Err(StakingError::AlreadyWithdrawing { id: staked_wal, withdraw_epoch }.into());
        }
        if self.staking().await?.can_withdraw_early(&staked) {
            let activation_epoch = staked.activation_epoch;
            return Err(StakingError::WithdrawDirectly { id: staked_wal, activation_epoch }.into());
        }
        let mut builder = self.builder().await?;
        let argument = owned(&mut builder, &reference);
        self.calls.request_withdraw_stake(&mut builder, argument);
        let executed = self.execute(builder).await?;
        let requested: WithdrawalRequested = event(self, &executed, "WithdrawalRequested", |e| match e {
            FloeEvent::WithdrawalRequested(requested) => Some(requested),
            _ => None,
        })?;
        Ok(requested.withdraw_epoch)
    }

    /// Withdraws the signer's stake `staked_wal` into a WAL coin the signer keeps; returns the
    /// amount paid (principal and rewards). Allowed from its withdrawal epoch on, or at once for
    /// stake no committee counted yet.
    pub async fn withdraw(&self, staked_wal: Address) -> Result<u64, ChainError> {
        let (staked, reference) = self.own_staked_wal(staked_wal).await?;
        let staking = self.staking().await?;
        if !staking.can_withdraw_early(&staked) {
            match staked.state {
                StakedWalState::Staked => return Err(StakingError::WithdrawalNotRequested { id: staked_wal }.into()),
                StakedWalState::Withdrawing { withdraw_epoch } if withdraw_epoch > staking.epoch => {
                    let epoch = staking.epoch;
                    return Err(StakingError::WithdrawTooEarly { id: staked_wal, withdraw_epoch, epoch }.into());
                }
                StakedWalState::Withdrawing { .. } => {}
            }
        }
        let sender = self.signer()?.address();
        let mut builder = self.builder().await?;
        let argument = owned(&mut builder, &reference);
        let coin = self.calls.withdraw_stake(&mut builder, argument);
        let owner = builder.pure(&sender);
        builder.transfer_objects(vec![coin], owner);
        let executed = self.execute(builder).await?;
        let withdrawn: Withdrawn = event(self, &executed, "Withdrawn", |e| match e {
            FloeEvent::Withdrawn(withdrawn) => Some(withdrawn),
            _ => None,
        })?;
        Ok(withdrawn.amount)
    }

    // === Operators ===

    /// The `StorageNodeCap` `owner` holds, if any (an account operates at most one node here:
    /// the first capability found).
    pub async fn storage_node_cap(&self, owner: Address) -> Result<Option<StorageNodeCap>, ChainError> {
        Ok(self.cap_object(owner).await?.map(|(cap, _)| cap))
    }

    async fn cap_object(&self, owner: Address) -> Result<Option<(StorageNodeCap, ObjectReference)>, ChainError> {
        let tag = StorageNodeCap::struct_tag(&self.deployment().packages);
        let caps = self.client().owned_objects(owner, Some(&tag)).await?;
        let Some(object) = caps.first() else { return Ok(None) };
        let id = object.object_id();
        let cap = StorageNodeCap::from_object(&self.deployment().packages, object)
            .map_err(|reason| StakingError::BadCap { id, reason })?;
        Ok(Some((cap, ObjectReference::new(id, object.version(), object.digest()))))
    }

    /// One transaction of `calls` on the signer's node capability; returns it with the result.
    async fn operator_call(
        &self,
        calls: impl FnOnce(&ChainAccess, &mut TransactionBuilder, Argument),
    ) -> Result<(StorageNodeCap, floe_chain::Executed), ChainError> {
        let sender = self.signer()?.address();
        let (cap, reference) =
            self.cap_object(sender).await?.ok_or(StakingError::NoStorageNodeCap { owner: sender })?;
        let mut builder = self.builder().await?;
        let argument = owned(&mut builder, &reference);
        calls(self, &mut builder, argument);
        Ok((cap, self.execute(builder).await?))
    }

    /// What registering the signer's node with BLS key `bls_key` and TLS key `network_key` takes:
    /// the BLS key's proof of possession by the signer for the current epoch, and the given fields.
    pub async fn node_registration(
        &self,
        bls_key: &BlsSecretKey,
        network_key: &NetworkPublicKey,
        name: &str,
        network_address: &str,
        commission_rate: u16,
        voting: VotingParams,
    ) -> Result<NodeRegistration, ChainError> {
        let sender = self.signer()?.address();
        let epoch = self.staking().await?.epoch;
        let proof = ProofOfPossessionMessage::prove(epoch, sender.into_inner(), bls_key);
        Ok(NodeRegistration {
            name: name.to_owned(),
            network_address: network_address.to_owned(),
            public_key: bls_key.public_key().to_bytes().to_vec(),
            network_public_key: network_key.to_bytes().to_vec(),
            proof_of_possession: proof.signature.to_bytes().to_vec(),
            commission_rate,
            voting,
        })
    }

    /// Registers the signer's node as a committee candidate (it joins a committee once stake
    /// selects it); the signer keeps the `StorageNodeCap`. Returns the node id. Refused when the
    /// signer operates a node already (the operator calls act on the account's one capability).
    pub async fn register_candidate(&self, node: &NodeRegistration) -> Result<Address, ChainError> {
        StakingError::check_registration(node)?;
        let sender = self.signer()?.address();
        if let Some(cap) = self.storage_node_cap(sender).await? {
            return Err(StakingError::AlreadyRegistered { owner: sender, node_id: cap.node_id }.into());
        }
        let mut builder = self.builder().await?;
        let cap = self.calls.register_candidate(&mut builder, node);
        let owner = builder.pure(&sender);
        builder.transfer_objects(vec![cap], owner);
        let executed = self.execute(builder).await?;
        let registered: StakingPoolRegistered = event(self, &executed, "StakingPoolRegistered", |e| match e {
            FloeEvent::StakingPoolRegistered(registered) => Some(registered),
            _ => None,
        })?;
        Ok(registered.node_id)
    }

    /// Sets the signer's node's commission (basis points); returns the epoch it takes effect
    /// (two epochs on).
    pub async fn set_next_commission(&self, rate: u16) -> Result<u32, ChainError> {
        if rate > MAX_COMMISSION_RATE {
            return Err(StakingError::CommissionTooHigh { rate }.into());
        }
        let (cap, _) =
            self.operator_call(|chain, builder, cap| chain.calls.set_next_commission(builder, cap, rate)).await?;
        let pool = self.reader.pool(cap.node_id).await?;
        pool.next_commission.map(|change| change.epoch).ok_or(ChainError::CommissionNotApplied { pool: cap.node_id })
    }

    /// Collects the signer's node's commission into a WAL coin the signer keeps; returns the
    /// amount (FROST).
    pub async fn collect_commission(&self) -> Result<u64, ChainError> {
        let sender = self.signer()?.address();
        let (_, executed) = self
            .operator_call(|chain, builder, cap| {
                let coin = chain.calls.collect_commission(builder, cap);
                let owner = builder.pure(&sender);
                builder.transfer_objects(vec![coin], owner);
            })
            .await?;
        let collected: CommissionCollected = event(self, &executed, "CommissionCollected", |e| match e {
            FloeEvent::CommissionCollected(collected) => Some(collected),
            _ => None,
        })?;
        Ok(collected.amount)
    }

    /// Sets the given votes of the signer's node in one transaction.
    pub async fn vote(&self, votes: &NodeVotes) -> Result<(), ChainError> {
        if votes == &NodeVotes::default() {
            return Err(StakingError::EmptyVote.into());
        }
        self.operator_call(|chain, builder, cap| {
            if let Some(price) = votes.storage_price {
                chain.calls.set_storage_price_vote(builder, cap, price);
            }
            if let Some(price) = votes.write_price {
                chain.calls.set_write_price_vote(builder, cap, price);
            }
            if let Some(capacity) = votes.node_capacity {
                chain.calls.set_node_capacity_vote(builder, cap, capacity);
            }
        })
        .await
        .map(drop)
    }

    /// Sets the signer's node's storage price vote (FROST per 1 MiB unit per epoch).
    pub async fn set_storage_price_vote(&self, price: u64) -> Result<(), ChainError> {
        self.vote(&NodeVotes { storage_price: Some(price), ..NodeVotes::default() }).await
    }

    /// Sets the signer's node's write price vote (FROST per 1 MiB unit).
    pub async fn set_write_price_vote(&self, price: u64) -> Result<(), ChainError> {
        self.vote(&NodeVotes { write_price: Some(price), ..NodeVotes::default() }).await
    }

    /// Sets the signer's node's capacity vote (encoded bytes).
    pub async fn set_node_capacity_vote(&self, capacity: u64) -> Result<(), ChainError> {
        self.vote(&NodeVotes { node_capacity: Some(capacity), ..NodeVotes::default() }).await
    }

    /// Sets the signer's node's network address.
    pub async fn set_network_address(&self, network_address: &str) -> Result<(), ChainError> {
        StakingError::check_address(network_address)?;
        self.operator_call(|chain, builder, cap| chain.calls.set_network_address(builder, cap, network_address))
            .await
            .map(drop)
    }

    /// Publishes a new network (TLS) key for the signer's node: clients pin it from the next
    /// committee read on, so the node should serve a certificate for it from then.
    pub async fn set_network_public_key(&self, key: &NetworkPublicKey) -> Result<(), ChainError> {
        self.operator_call(|chain, builder, cap| chain.calls.set_network_public_key(builder, cap, &key.to_bytes()))
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration() -> NodeRegistration {
        NodeRegistration {
            name: "n".into(),
            network_address: "http://127.0.0.1:1".into(),
            public_key: vec![0; PUBLIC_KEY_LENGTH],
            network_public_key: vec![0; NETWORK_PUBLIC_KEY_LENGTH],
            proof_of_possession: vec![0; 96],
            commission_rate: MAX_COMMISSION_RATE,
            voting: VotingParams { storage_price: 1, write_price: 1, node_capacity: 1 },
        }
    }

    #[test]
    fn registrations_the_pool_would_refuse_are_refused_with_the_values() {
        assert!(StakingError::check_registration(&registration()).is_ok());
        let error = StakingError::check_registration(&NodeRegistration { commission_rate: 10_001, ..registration() });
        assert_eq!(
            error.unwrap_err().to_string(),
            "commission of 10001 basis points is above the maximum of 10000 (100%)"
        );
        let error = StakingError::check_registration(&NodeRegistration { name: "x".repeat(101), ..registration() });
        assert!(matches!(error, Err(StakingError::NameTooLong { length: 101 })));
        assert!(
            StakingError::check_registration(&NodeRegistration { name: "x".repeat(100), ..registration() }).is_ok()
        );
        let address = "a".repeat(260);
        let error = StakingError::check_registration(&NodeRegistration { network_address: address, ..registration() });
        assert!(matches!(error, Err(StakingError::AddressTooLong { length: 260 })));
        let error = StakingError::check_registration(&NodeRegistration { public_key: vec![0; 47], ..registration() });
        assert!(matches!(error, Err(StakingError::BadPublicKey { length: 47 })));
        let error =
            StakingError::check_registration(&NodeRegistration { network_public_key: vec![0; 31], ..registration() });
        assert!(matches!(error, Err(StakingError::BadNetworkKey { length: 31 })));
    }
}
