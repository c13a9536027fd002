//! Calls on the Staking object (`floe::staking`): node registration and votes, staking and
//! withdrawing, the epoch change; and splitting/joining `StakedWal` (`floe::staked_wal`).

use sui_sdk_types::Address;
use sui_transaction_builder::{Argument, TransactionBuilder};

use super::{CertificateBytes, FloeCalls, bytes, function, pure, string};
use crate::floe::staking_pool::VotingParams;

const STAKING: &str = "staking";

/// What `register_candidate` records about a new storage node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRegistration {
    /// A name for people (at most 100 bytes).
    pub name: String,
    /// Where the node serves (at most 259 bytes).
    pub network_address: String,
    /// The node's BLS public key (48 bytes).
    pub public_key: Vec<u8>,
    /// The Ed25519 key of the node's TLS certificate (32 bytes).
    pub network_public_key: Vec<u8>,
    /// The key's proof of possession over (sender, key) for the current epoch (96 bytes).
    pub proof_of_possession: Vec<u8>,
    /// Commission in basis points (at most 10,000).
    pub commission_rate: u16,
    /// The node's first votes.
    pub voting: VotingParams,
}

impl FloeCalls {
    fn staking_call(&self, builder: &mut TransactionBuilder, name: &'static str, mut args: Vec<Argument>) -> Argument {
        let staking = self.staking.add(builder, true);
        args.insert(0, staking);
        builder.move_call(function(self.package, STAKING, name), args)
    }

    /// `staking::register_candidate(&mut Staking, name, network_address, public_key,
    /// network_public_key, proof_of_possession, commission_rate, storage_price, write_price, node_capacity)`.
    /// Returns the `StorageNodeCap`.
    pub fn register_candidate(&self, builder: &mut TransactionBuilder, node: &NodeRegistration) -> Argument {
        let args = vec![
            string(builder, &node.name),
            string(builder, &node.network_address),
            bytes(builder, &node.public_key),
            bytes(builder, &node.network_public_key),
            bytes(builder, &node.proof_of_possession),
            pure(builder, &node.commission_rate),
            pure(builder, &node.voting.storage_price),
            pure(builder, &node.voting.write_price),
            pure(builder, &node.voting.node_capacity),
        ];
        self.staking_call(builder, "register_candidate", args)
    }

    /// `staking::set_next_commission(&mut Staking, &StorageNodeCap, commission_rate)`.
    pub fn set_next_commission(&self, builder: &mut TransactionBuilder, cap: Argument, commission_rate: u16) {
        let rate = pure(builder, &commission_rate);
        self.staking_call(builder, "set_next_commission", vec![cap, rate]);
    }

    /// `staking::collect_commission(&mut Staking, &StorageNodeCap)`. Returns the `Coin<WAL>`.
    pub fn collect_commission(&self, builder: &mut TransactionBuilder, cap: Argument) -> Argument {
        self.staking_call(builder, "collect_commission", vec![cap])
    }

    /// `staking::set_storage_price_vote(&mut Staking, &StorageNodeCap, price)`.
    pub fn set_storage_price_vote(&self, builder: &mut TransactionBuilder, cap: Argument, price: u64) {
        let price = pure(builder, &price);
        self.staking_call(builder, "set_storage_price_vote", vec![cap, price]);
    }

    /// `staking::set_write_price_vote(&mut Staking, &StorageNodeCap, price)`.
    pub fn set_write_price_vote(&self, builder: &mut TransactionBuilder, cap: Argument, price: u64) {
        let price = pure(builder, &price);
        self.staking_call(builder, "set_write_price_vote", vec![cap, price]);
    }

    /// `staking::set_node_capacity_vote(&mut Staking, &StorageNodeCap, capacity)`.
    pub fn set_node_capacity_vote(&self, builder: &mut TransactionBuilder, cap: Argument, capacity: u64) {
        let capacity = pure(builder, &capacity);
        self.staking_call(builder, "set_node_capacity_vote", vec![cap, capacity]);
    }

    /// `staking::set_network_address(&mut Staking, &StorageNodeCap, network_address)`.
    pub fn set_network_address(&self, builder: &mut TransactionBuilder, cap: Argument, network_address: &str) {
        let address = string(builder, network_address);
        self.staking_call(builder, "set_network_address", vec![cap, address]);
    }

    /// `staking::set_network_public_key(&mut Staking, &StorageNodeCap, network_public_key)`.
    pub fn set_network_public_key(&self, builder: &mut TransactionBuilder, cap: Argument, network_public_key: &[u8]) {
        let key = bytes(builder, network_public_key);
        self.staking_call(builder, "set_network_public_key", vec![cap, key]);
    }

    /// `staking::stake_with_pool(&mut Staking, Coin<WAL>, node_id: ID)`: stakes the whole coin.
    /// Returns the `StakedWal`.
    pub fn stake_with_pool(&self, builder: &mut TransactionBuilder, to_stake: Argument, node_id: Address) -> Argument {
        let node = pure(builder, &node_id);
        self.staking_call(builder, "stake_with_pool", vec![to_stake, node])
    }

    /// `staking::request_withdraw_stake(&mut Staking, &mut StakedWal)`.
    pub fn request_withdraw_stake(&self, builder: &mut TransactionBuilder, staked_wal: Argument) {
        self.staking_call(builder, "request_withdraw_stake", vec![staked_wal]);
    }

    /// `staking::withdraw_stake(&mut Staking, StakedWal)`. Returns the `Coin<WAL>`.
    pub fn withdraw_stake(&self, builder: &mut TransactionBuilder, staked_wal: Argument) -> Argument {
        self.staking_call(builder, "withdraw_stake", vec![staked_wal])
    }

    /// `staking::can_withdraw_early(&Staking, &StakedWal)`. Returns the `bool`.
    pub fn can_withdraw_early(&self, builder: &mut TransactionBuilder, staked_wal: Argument) -> Argument {
        let staking = self.staking.add(builder, false);
        builder.move_call(function(self.package, STAKING, "can_withdraw_early"), vec![staking, staked_wal])
    }

    /// `staking::try_join_active_set(&mut Staking, node_id: ID)`: offers a node to the active set
    /// at its current stake (anyone may call it).
    pub fn try_join_active_set(&self, builder: &mut TransactionBuilder, node_id: Address) {
        let node = pure(builder, &node_id);
        self.staking_call(builder, "try_join_active_set", vec![node]);
    }

    /// `staking::voting_end(&mut Staking, &Clock)`: selects the next committee.
    pub fn voting_end(&self, builder: &mut TransactionBuilder) {
        let clock = self.clock.add(builder, false);
        self.staking_call(builder, "voting_end", vec![clock]);
    }

    /// `staking::initiate_epoch_change(&mut Staking, &mut System, &Clock)`.
    pub fn initiate_epoch_change(&self, builder: &mut TransactionBuilder) {
        let system = self.system.add(builder, true);
        let clock = self.clock.add(builder, false);
        self.staking_call(builder, "initiate_epoch_change", vec![system, clock]);
    }

    /// `staking::epoch_sync_done(&mut Staking, &mut StorageNodeCap, epoch, &Clock)`.
    pub fn epoch_sync_done(&self, builder: &mut TransactionBuilder, cap: Argument, epoch: u32) {
        let epoch = pure(builder, &epoch);
        let clock = self.clock.add(builder, false);
        self.staking_call(builder, "epoch_sync_done", vec![cap, epoch, clock]);
    }

    /// `staking::open_challenge_window(&mut Staking, &Random, &Clock)`: opens the current
    /// epoch's storage challenge window with a seed from Sui's randomness. The function is
    /// `entry`: Sui refuses a transaction whose later commands use anything after it but
    /// transfers and merges, so make it the transaction's last call.
    pub fn open_challenge_window(&self, builder: &mut TransactionBuilder) {
        let random = self.random.add(builder, false);
        let clock = self.clock.add(builder, false);
        self.staking_call(builder, "open_challenge_window", vec![random, clock]);
    }

    /// `staking::record_challenge_outcome(&mut Staking, &System, signature, signers_bitmap,
    /// message)`: records a quorum certificate over a `ChallengeOutcomeMessage` of the current
    /// epoch.
    pub fn record_challenge_outcome(&self, builder: &mut TransactionBuilder, certificate: &CertificateBytes) {
        let system = self.system.add(builder, false);
        let [signature, bitmap, message] = certificate.add(builder);
        self.staking_call(builder, "record_challenge_outcome", vec![system, signature, bitmap, message]);
    }

    /// `staked_wal::split(&mut StakedWal, amount)`. Returns the new `StakedWal` of `amount`.
    pub fn split_staked_wal(&self, builder: &mut TransactionBuilder, staked_wal: Argument, amount: u64) -> Argument {
        let args = vec![staked_wal, pure(builder, &amount)];
        builder.move_call(function(self.package, "staked_wal", "split"), args)
    }

    /// `staked_wal::join(&mut StakedWal, StakedWal)`.
    pub fn join_staked_wal(&self, builder: &mut TransactionBuilder, staked_wal: Argument, other: Argument) {
        builder.move_call(function(self.package, "staked_wal", "join"), vec![staked_wal, other]);
    }
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::Address;
    use sui_transaction_builder::TransactionBuilder;

    use super::*;
    use crate::floe::calls::CertificateBytes;
    use crate::floe::calls::inspect::{Arg, build, clock, floe_calls, owned, owned_arg, pure, single, staking, system};
    use crate::floe::test_vectors;

    #[test]
    fn register_candidate_passes_nine_values_after_the_staking_object() {
        let calls = floe_calls();
        let node = NodeRegistration {
            name: "n0".into(),
            network_address: "127.0.0.1:9100".into(),
            public_key: test_vectors::node_0_public_key(),
            network_public_key: vec![0x7e; 32],
            proof_of_possession: vec![0x8b; 96],
            commission_rate: 500,
            voting: VotingParams { storage_price: 5, write_price: 1, node_capacity: 1 << 30 },
        };
        let mut tx = TransactionBuilder::new();
        let cap = calls.register_candidate(&mut tx, &node);
        let recipient = tx.pure(&Address::new([0xee; 32]));
        tx.transfer_objects(vec![cap], recipient);
        let call = single(tx);
        assert_eq!(call.name(), "staking::register_candidate");
        let mut key = vec![48];
        key.extend(test_vectors::node_0_public_key());
        let mut network_key = vec![32];
        network_key.extend([0x7e; 32]);
        let mut pop = vec![96];
        pop.extend([0x8b; 96]);
        assert_eq!(
            call.args,
            vec![
                staking(true),
                Arg::Pure(b"\x02n0".to_vec()),
                pure(&"127.0.0.1:9100"),
                Arg::Pure(key),
                Arg::Pure(network_key),
                Arg::Pure(pop),
                pure(&500u16),
                pure(&5u64),
                pure(&1u64),
                pure(&(1u64 << 30)),
            ]
        );
    }

    #[test]
    fn operator_calls_take_the_cap_by_reference_argument() {
        let calls = floe_calls();
        let mut tx = TransactionBuilder::new();
        let cap = owned(&mut tx, 0xca);
        calls.set_next_commission(&mut tx, cap, 100);
        let _coin = calls.collect_commission(&mut tx, cap);
        calls.set_storage_price_vote(&mut tx, cap, 7);
        calls.set_write_price_vote(&mut tx, cap, 8);
        calls.set_node_capacity_vote(&mut tx, cap, 9);
        calls.set_network_address(&mut tx, cap, "n:1");
        calls.set_network_public_key(&mut tx, cap, &[0x7e; 32]);
        calls.epoch_sync_done(&mut tx, cap, 3);
        let built = build(tx);
        let expected = [
            ("staking::set_next_commission", vec![staking(true), owned_arg(0xca), pure(&100u16)]),
            ("staking::collect_commission", vec![staking(true), owned_arg(0xca)]),
            ("staking::set_storage_price_vote", vec![staking(true), owned_arg(0xca), pure(&7u64)]),
            ("staking::set_write_price_vote", vec![staking(true), owned_arg(0xca), pure(&8u64)]),
            ("staking::set_node_capacity_vote", vec![staking(true), owned_arg(0xca), pure(&9u64)]),
            ("staking::set_network_address", vec![staking(true), owned_arg(0xca), pure(&"n:1")]),
            ("staking::set_network_public_key", vec![staking(true), owned_arg(0xca), pure(&vec![0x7e_u8; 32])]),
            ("staking::epoch_sync_done", vec![staking(true), owned_arg(0xca), pure(&3u32), clock()]),
        ];
        assert_eq!(built.len(), expected.len());
        for (call, (name, args)) in built.iter().zip(expected) {
            assert_eq!(call.name(), name);
            assert_eq!(call.args, args, "{name}");
        }
    }

    #[test]
    fn stake_withdraw_and_split_compose() {
        let calls = floe_calls();
        let node_id = Address::new([0x90; 32]);
        let mut tx = TransactionBuilder::new();
        let coin = owned(&mut tx, 0xc0);
        let staked = calls.stake_with_pool(&mut tx, coin, node_id);
        let part = calls.split_staked_wal(&mut tx, staked, 10);
        calls.join_staked_wal(&mut tx, staked, part);
        let _early = calls.can_withdraw_early(&mut tx, staked);
        calls.request_withdraw_stake(&mut tx, staked);
        let _coin = calls.withdraw_stake(&mut tx, staked);
        let built = build(tx);
        assert_eq!(built[0].name(), "staking::stake_with_pool");
        assert_eq!(built[0].args, vec![staking(true), owned_arg(0xc0), Arg::Pure(vec![0x90; 32])]);
        assert_eq!(built[1].name(), "staked_wal::split");
        assert_eq!(built[1].args, vec![Arg::Result(0), pure(&10u64)]);
        assert_eq!(built[2].name(), "staked_wal::join");
        assert_eq!(built[2].args, vec![Arg::Result(0), Arg::Result(1)]);
        // can_withdraw_early reads Staking, but the same transaction writes it: one mutable input.
        assert_eq!(built[3].name(), "staking::can_withdraw_early");
        assert_eq!(built[3].args, vec![staking(true), Arg::Result(0)]);
        assert_eq!(built[4].name(), "staking::request_withdraw_stake");
        assert_eq!(built[5].name(), "staking::withdraw_stake");
        assert_eq!(built[5].args, vec![staking(true), Arg::Result(0)]);
    }

    #[test]
    fn can_withdraw_early_alone_reads_staking_immutably() {
        let calls = floe_calls();
        let mut tx = TransactionBuilder::new();
        let staked = owned(&mut tx, 0x5a);
        calls.can_withdraw_early(&mut tx, staked);
        assert_eq!(single(tx).args, vec![staking(false), owned_arg(0x5a)]);
    }

    #[test]
    fn epoch_change_calls_use_the_clock_read_only() {
        let calls = floe_calls();
        let mut tx = TransactionBuilder::new();
        calls.voting_end(&mut tx);
        calls.initiate_epoch_change(&mut tx);
        let built = build(tx);
        assert_eq!(built[0].name(), "staking::voting_end");
        assert_eq!(built[0].args, vec![staking(true), clock()]);
        assert_eq!(built[1].name(), "staking::initiate_epoch_change");
        assert_eq!(built[1].args, vec![staking(true), system(true), clock()]);
    }

    #[test]
    fn challenge_calls_read_random_clock_and_system() {
        let calls = floe_calls();
        let mut tx = TransactionBuilder::new();
        calls.open_challenge_window(&mut tx);
        let call = single(tx);
        assert_eq!(call.name(), "staking::open_challenge_window");
        let random = Arg::Shared { id: crate::floe::framework::RANDOM_ID, version: 1, mutable: false };
        assert_eq!(call.args, vec![staking(true), random, clock()]);

        let certificate =
            CertificateBytes { signature: vec![0xaa; 96], signers_bitmap: vec![7], message: vec![4, 0, 3, 1, 0, 0, 0] };
        let mut tx = TransactionBuilder::new();
        calls.record_challenge_outcome(&mut tx, &certificate);
        let call = single(tx);
        assert_eq!(call.name(), "staking::record_challenge_outcome");
        assert_eq!(
            call.args,
            vec![
                staking(true),
                system(false),
                pure(&vec![0xaau8; 96]),
                pure(&vec![7u8]),
                pure(&vec![4u8, 0, 3, 1, 0, 0, 0])
            ]
        );
    }
}
