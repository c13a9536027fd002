//! Calls on the System object (`floe::system`): buying storage, registering, certifying,
//! extending and deleting blobs, invalidating blob ids; and `init::initialize`.

use floe_encoder::BlobId;
use floe_encoder::metadata::BlobMetadata;
use sui_sdk_types::Address;
use sui_transaction_builder::{Argument, TransactionBuilder};

use super::{CertificateBytes, SharedObject, function, pure};
use crate::deployment::Packages;

const SYSTEM: &str = "system";

/// Calls into the floe package, with its shared System, Staking and Clock objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloeCalls {
    /// The floe package id.
    pub package: Address,
    /// The shared `System`.
    pub system: SharedObject,
    /// The shared `Staking`.
    pub staking: SharedObject,
    /// The shared `Clock` (0x6).
    pub clock: SharedObject,
    /// The shared `Random` (0x8). Its initial shared version is 1 on the devnet; on a Sui
    /// network read it from the object (`SharedObject::from_object`).
    pub random: SharedObject,
}

/// What `register_blob` records about a new blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewBlob {
    /// The blob id, derived from the next three fields.
    pub blob_id: BlobId,
    /// The Merkle root over the sliver pairs (`u256`, little-endian bytes).
    pub root_hash: [u8; 32],
    /// The unencoded size.
    pub size: u64,
    /// The encoding type byte (1 = RS2).
    pub encoding_type: u8,
    /// Whether the owner may delete the blob before it expires.
    pub deletable: bool,
}

impl NewBlob {
    /// The registration of an encoded blob, from its metadata: the id derived from it, its
    /// Merkle root, unencoded length and encoding type.
    pub fn from_metadata(metadata: &BlobMetadata, deletable: bool) -> Self {
        Self {
            blob_id: metadata.compute_blob_id(),
            root_hash: metadata.root_hash().bytes(),
            size: metadata.unencoded_length(),
            encoding_type: metadata.encoding_type().as_u8(),
            deletable,
        }
    }
}

impl FloeCalls {
    /// Calls for a deployment's floe package with its System and Staking objects.
    pub fn new(packages: &Packages, system: SharedObject, staking: SharedObject) -> Self {
        Self { package: packages.floe, system, staking, clock: SharedObject::CLOCK, random: SharedObject::RANDOM }
    }

    /// `system::reserve_space(&mut System, storage_amount, epochs_ahead, &mut Coin<WAL>)`:
    /// buys `storage_amount` encoded bytes for `[current, current + epochs_ahead)`, paid from
    /// `payment`. Returns the `Storage`.
    pub fn reserve_space(
        &self,
        builder: &mut TransactionBuilder,
        storage_amount: u64,
        epochs_ahead: u32,
        payment: Argument,
    ) -> Argument {
        let system = self.system.add(builder, true);
        let args = vec![system, pure(builder, &storage_amount), pure(builder, &epochs_ahead), payment];
        builder.move_call(function(self.package, SYSTEM, "reserve_space"), args)
    }

    /// `system::reserve_space_for_epochs(&mut System, storage_amount, start_epoch, end_epoch,
    /// &mut Coin<WAL>)`: buys `[start_epoch, end_epoch)`. Returns the `Storage`.
    pub fn reserve_space_for_epochs(
        &self,
        builder: &mut TransactionBuilder,
        storage_amount: u64,
        start_epoch: u32,
        end_epoch: u32,
        payment: Argument,
    ) -> Argument {
        let system = self.system.add(builder, true);
        let args = vec![
            system,
            pure(builder, &storage_amount),
            pure(builder, &start_epoch),
            pure(builder, &end_epoch),
            payment,
        ];
        builder.move_call(function(self.package, SYSTEM, "reserve_space_for_epochs"), args)
    }

    /// `system::extend_storage(&mut System, &mut Storage, extended_epochs, &mut Coin<WAL>)`.
    pub fn extend_storage(
        &self,
        builder: &mut TransactionBuilder,
        storage: Argument,
        extended_epochs: u32,
        payment: Argument,
    ) {
        let system = self.system.add(builder, true);
        let args = vec![system, storage, pure(builder, &extended_epochs), payment];
        builder.move_call(function(self.package, SYSTEM, "extend_storage"), args);
    }

    /// `system::register_blob(&mut System, Storage, blob_id: u256, root_hash: u256, size,
    /// encoding_type, deletable, &mut Coin<WAL>)`: consumes `storage`, pays the write fee from
    /// `write_payment`. Returns the `Blob`.
    pub fn register_blob(
        &self,
        builder: &mut TransactionBuilder,
        storage: Argument,
        blob: &NewBlob,
        write_payment: Argument,
    ) -> Argument {
        let system = self.system.add(builder, true);
        let args = vec![
            system,
            storage,
            pure(builder, &blob.blob_id),
            pure(builder, &blob.root_hash),
            pure(builder, &blob.size),
            pure(builder, &blob.encoding_type),
            pure(builder, &blob.deletable),
            write_payment,
        ];
        builder.move_call(function(self.package, SYSTEM, "register_blob"), args)
    }

    /// `system::certify_blob(&System, &mut Blob, signature, signers_bitmap, message)`.
    pub fn certify_blob(&self, builder: &mut TransactionBuilder, blob: Argument, certificate: &CertificateBytes) {
        let system = self.system.add(builder, false);
        let [signature, bitmap, message] = certificate.add(builder);
        builder
            .move_call(function(self.package, SYSTEM, "certify_blob"), vec![system, blob, signature, bitmap, message]);
    }

    /// `system::delete_blob(&System, Blob)`: deletes a deletable blob. Returns its `Storage`.
    pub fn delete_blob(&self, builder: &mut TransactionBuilder, blob: Argument) -> Argument {
        let system = self.system.add(builder, false);
        builder.move_call(function(self.package, SYSTEM, "delete_blob"), vec![system, blob])
    }

    /// `system::burn_expired_blob(&System, Blob)`.
    pub fn burn_expired_blob(&self, builder: &mut TransactionBuilder, blob: Argument) {
        let system = self.system.add(builder, false);
        builder.move_call(function(self.package, SYSTEM, "burn_expired_blob"), vec![system, blob]);
    }

    /// `system::extend_blob_with_resource(&System, &mut Blob, Storage)`.
    pub fn extend_blob_with_resource(&self, builder: &mut TransactionBuilder, blob: Argument, extension: Argument) {
        let system = self.system.add(builder, false);
        builder.move_call(function(self.package, SYSTEM, "extend_blob_with_resource"), vec![system, blob, extension]);
    }

    /// `system::extend_blob(&mut System, &mut Blob, extended_epochs, &mut Coin<WAL>)`.
    pub fn extend_blob(
        &self,
        builder: &mut TransactionBuilder,
        blob: Argument,
        extended_epochs: u32,
        payment: Argument,
    ) {
        let system = self.system.add(builder, true);
        let args = vec![system, blob, pure(builder, &extended_epochs), payment];
        builder.move_call(function(self.package, SYSTEM, "extend_blob"), args);
    }

    /// `system::invalidate_blob_id(&System, signature, signers_bitmap, message)`. Returns the
    /// invalidated blob id (`u256`).
    pub fn invalidate_blob_id(&self, builder: &mut TransactionBuilder, certificate: &CertificateBytes) -> Argument {
        let system = self.system.add(builder, false);
        let [signature, bitmap, message] = certificate.add(builder);
        builder
            .move_call(function(self.package, SYSTEM, "invalidate_blob_id"), vec![system, signature, bitmap, message])
    }
}

/// The parameters of `init::initialize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitParams {
    /// The number of shards.
    pub n_shards: u16,
    /// Epoch duration in ms.
    pub epoch_duration_ms: u64,
    /// How many epochs ahead storage can be bought (at most 1000).
    pub max_epochs_ahead: u32,
    /// The largest committee.
    pub max_committee_size: u16,
}

/// `init::initialize(InitCap, n_shards, epoch_duration_ms, max_epochs_ahead,
/// max_committee_size)`: creates and shares System and Staking (see the `Initialized` event).
pub fn initialize(builder: &mut TransactionBuilder, floe_package: Address, init_cap: Argument, params: &InitParams) {
    let args = vec![
        init_cap,
        pure(builder, &params.n_shards),
        pure(builder, &params.epoch_duration_ms),
        pure(builder, &params.max_epochs_ahead),
        pure(builder, &params.max_committee_size),
    ];
    builder.move_call(function(floe_package, "init", "initialize"), args);
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::Address;
    use sui_transaction_builder::TransactionBuilder;

    use super::*;
    use crate::floe::calls::inspect::{Arg, build, floe_calls, owned, owned_arg, pure, single, system};
    use crate::floe::test_vectors;

    fn new_blob() -> NewBlob {
        NewBlob {
            blob_id: test_vectors::blob_id(),
            root_hash: test_vectors::root_hash(),
            size: test_vectors::SIZE,
            encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
            deletable: true,
        }
    }

    fn certificate() -> CertificateBytes {
        CertificateBytes {
            signature: test_vectors::certify_signature(),
            signers_bitmap: vec![7],
            message: test_vectors::certify_message(),
        }
    }

    #[test]
    fn reserve_register_and_transfer_compose_in_one_transaction() {
        let calls = floe_calls();
        let mut tx = TransactionBuilder::new();
        let payment = owned(&mut tx, 0xc0);
        let storage = calls.reserve_space(&mut tx, 10_680, 2, payment);
        let blob = calls.register_blob(&mut tx, storage, &new_blob(), payment);
        let recipient = tx.pure(&Address::new([0xee; 32]));
        tx.transfer_objects(vec![blob], recipient);
        let built = build(tx);
        assert_eq!(built.len(), 2);

        let reserve = &built[0];
        assert_eq!(reserve.package, calls.package);
        assert_eq!(reserve.name(), "system::reserve_space");
        assert!(reserve.type_args.is_empty());
        assert_eq!(reserve.args, vec![system(true), pure(&10_680u64), pure(&2u32), owned_arg(0xc0)]);

        let register = &built[1];
        assert_eq!(register.name(), "system::register_blob");
        // The u256 blob id and root hash are 32 little-endian bytes, no length prefix.
        let blob_id = Arg::Pure(test_vectors::blob_id().0.to_vec());
        let root_hash = Arg::Pure(test_vectors::root_hash().to_vec());
        assert_eq!(
            register.args,
            vec![
                system(true),
                Arg::Result(0),
                blob_id,
                root_hash,
                pure(&1000u64),
                Arg::Pure(vec![1]),
                Arg::Pure(vec![1]),
                owned_arg(0xc0),
            ]
        );
    }

    #[test]
    fn reserve_for_epochs_and_extensions_take_the_system_mutably() {
        let calls = floe_calls();
        let mut tx = TransactionBuilder::new();
        let payment = owned(&mut tx, 0xc0);
        let storage = calls.reserve_space_for_epochs(&mut tx, 5, 3, 7, payment);
        calls.extend_storage(&mut tx, storage, 2, payment);
        let blob = owned(&mut tx, 0xb0);
        calls.extend_blob(&mut tx, blob, 4, payment);
        let built = build(tx);
        assert_eq!(built[0].name(), "system::reserve_space_for_epochs");
        assert_eq!(built[0].args, vec![system(true), pure(&5u64), pure(&3u32), pure(&7u32), owned_arg(0xc0)]);
        assert_eq!(built[1].name(), "system::extend_storage");
        assert_eq!(built[1].args, vec![system(true), Arg::Result(0), pure(&2u32), owned_arg(0xc0)]);
        assert_eq!(built[2].name(), "system::extend_blob");
        assert_eq!(built[2].args, vec![system(true), owned_arg(0xb0), pure(&4u32), owned_arg(0xc0)]);
    }

    #[test]
    fn certify_takes_the_system_read_only_and_three_byte_vectors() {
        let calls = floe_calls();
        let mut tx = TransactionBuilder::new();
        let blob = owned(&mut tx, 0xb0);
        calls.certify_blob(&mut tx, blob, &certificate());
        let call = single(tx);
        assert_eq!(call.name(), "system::certify_blob");
        let mut signature = vec![96];
        signature.extend(test_vectors::certify_signature());
        let mut message = vec![40];
        message.extend(test_vectors::certify_message());
        assert_eq!(
            call.args,
            vec![system(false), owned_arg(0xb0), Arg::Pure(signature), Arg::Pure(vec![1, 7]), Arg::Pure(message)]
        );
    }

    #[test]
    fn read_only_system_calls_merge_to_mutable_with_a_mutable_use() {
        let calls = floe_calls();
        let mut tx = TransactionBuilder::new();
        let blob = owned(&mut tx, 0xb0);
        calls.certify_blob(&mut tx, blob, &certificate());
        let payment = owned(&mut tx, 0xc0);
        calls.extend_blob(&mut tx, blob, 1, payment);
        let built = build(tx);
        // One System input, mutable because extend_blob needs it so.
        assert_eq!(built[0].args[0], system(true));
        assert_eq!(built[1].args[0], system(true));
    }

    #[test]
    fn delete_burn_extend_with_resource_and_invalidate() {
        let calls = floe_calls();
        let mut tx = TransactionBuilder::new();
        let blob = owned(&mut tx, 0xb0);
        let storage = calls.delete_blob(&mut tx, blob);
        let other = owned(&mut tx, 0xb1);
        calls.extend_blob_with_resource(&mut tx, other, storage);
        let expired = owned(&mut tx, 0xb2);
        calls.burn_expired_blob(&mut tx, expired);
        let invalid = CertificateBytes {
            signature: test_vectors::certify_signature(),
            signers_bitmap: vec![9],
            message: test_vectors::invalid_blob_id_message(),
        };
        let _blob_id = calls.invalidate_blob_id(&mut tx, &invalid);
        let built = build(tx);
        let names: Vec<String> = built.iter().map(|call| call.name()).collect();
        assert_eq!(
            names,
            [
                "system::delete_blob",
                "system::extend_blob_with_resource",
                "system::burn_expired_blob",
                "system::invalidate_blob_id"
            ]
        );
        assert_eq!(built[0].args, vec![system(false), owned_arg(0xb0)]);
        assert_eq!(built[1].args, vec![system(false), owned_arg(0xb1), Arg::Result(0)]);
        assert_eq!(built[2].args, vec![system(false), owned_arg(0xb2)]);
        assert_eq!(built[3].args.len(), 4);
        assert_eq!(built[3].args[2], Arg::Pure(vec![1, 9]));
    }

    #[test]
    fn new_blob_from_encoder_metadata_commits_to_its_derivation() {
        use floe_encoder::{EncodingConfig, encode, merkle::blake2b256};

        use crate::floe::blob::BlobIdDerivation;

        let config = EncodingConfig::new(10).unwrap();
        let encoded = encode(&config, &[7u8; 1000]).unwrap();
        let blob = NewBlob::from_metadata(encoded.metadata.metadata(), true);
        assert_eq!(&blob.blob_id, encoded.metadata.blob_id());
        assert_eq!(
            (blob.size, blob.encoding_type, blob.deletable),
            (1000, floe_encoder::EncodingType::RS2.as_u8(), true)
        );
        // What register_blob will check on chain: the id is the hash of the derivation.
        let derivation =
            BlobIdDerivation { encoding_type: blob.encoding_type, size: blob.size, root_hash: blob.root_hash };
        assert_eq!(blake2b256(&bcs::to_bytes(&derivation).unwrap()), blob.blob_id.0);
    }

    #[test]
    fn initialize_consumes_the_cap_with_four_parameters() {
        let mut tx = TransactionBuilder::new();
        let cap = owned(&mut tx, 0x1c);
        let params =
            InitParams { n_shards: 10, epoch_duration_ms: 60_000, max_epochs_ahead: 52, max_committee_size: 4 };
        initialize(&mut tx, Address::new([0xf1; 32]), cap, &params);
        let call = single(tx);
        assert_eq!(call.name(), "init::initialize");
        assert_eq!(call.args, vec![owned_arg(0x1c), pure(&10u16), pure(&60_000u64), pure(&52u32), pure(&4u16)]);
    }
}
