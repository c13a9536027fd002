//! Calls on owned `Blob` and `Storage` objects: blob attributes (`floe::blob`) and splitting,
//! fusing and destroying storage reservations (`floe::storage_resource`).

use sui_transaction_builder::{Argument, TransactionBuilder};

use super::{FloeCalls, function, pure, string};

impl FloeCalls {
    /// `blob::insert_or_update_attribute(&mut Blob, key: String, value: String)`.
    pub fn insert_or_update_attribute(&self, builder: &mut TransactionBuilder, blob: Argument, key: &str, value: &str) {
        let args = vec![blob, string(builder, key), string(builder, value)];
        builder.move_call(function(self.package, "blob", "insert_or_update_attribute"), args);
    }

    /// `blob::remove_attribute(&mut Blob, key: String)`: aborts if absent. Returns the value.
    pub fn remove_attribute(&self, builder: &mut TransactionBuilder, blob: Argument, key: &str) -> Argument {
        let args = vec![blob, string(builder, key)];
        builder.move_call(function(self.package, "blob", "remove_attribute"), args)
    }

    /// `blob::remove_attribute_if_exists(&mut Blob, key: String)`. Returns `Option<String>`.
    pub fn remove_attribute_if_exists(&self, builder: &mut TransactionBuilder, blob: Argument, key: &str) -> Argument {
        let args = vec![blob, string(builder, key)];
        builder.move_call(function(self.package, "blob", "remove_attribute_if_exists"), args)
    }

    /// `blob::take_attributes(&mut Blob)`: removes all. Returns the `VecMap<String, String>`.
    pub fn take_attributes(&self, builder: &mut TransactionBuilder, blob: Argument) -> Argument {
        builder.move_call(function(self.package, "blob", "take_attributes"), vec![blob])
    }

    /// `blob::burn(Blob)`: destroys the blob and its storage at any time, without refund.
    pub fn burn_blob(&self, builder: &mut TransactionBuilder, blob: Argument) {
        builder.move_call(function(self.package, "blob", "burn"), vec![blob]);
    }

    /// `storage_resource::split_by_epoch(&mut Storage, split_epoch)`: `storage` keeps
    /// `[start, split_epoch)`. Returns the `Storage` for `[split_epoch, end)`.
    pub fn split_storage_by_epoch(
        &self,
        builder: &mut TransactionBuilder,
        storage: Argument,
        split_epoch: u32,
    ) -> Argument {
        let args = vec![storage, pure(builder, &split_epoch)];
        builder.move_call(function(self.package, "storage_resource", "split_by_epoch"), args)
    }

    /// `storage_resource::split_by_size(&mut Storage, split_size)`. Returns the `Storage` of
    /// `split_size` bytes.
    pub fn split_storage_by_size(
        &self,
        builder: &mut TransactionBuilder,
        storage: Argument,
        split_size: u64,
    ) -> Argument {
        let args = vec![storage, pure(builder, &split_size)];
        builder.move_call(function(self.package, "storage_resource", "split_by_size"), args)
    }

    /// `storage_resource::fuse_periods(&mut Storage, Storage)`: same size, adjacent epochs.
    pub fn fuse_storage_periods(&self, builder: &mut TransactionBuilder, storage: Argument, other: Argument) {
        builder.move_call(function(self.package, "storage_resource", "fuse_periods"), vec![storage, other]);
    }

    /// `storage_resource::fuse_amount(&mut Storage, Storage)`: same epochs, sizes add.
    pub fn fuse_storage_amount(&self, builder: &mut TransactionBuilder, storage: Argument, other: Argument) {
        builder.move_call(function(self.package, "storage_resource", "fuse_amount"), vec![storage, other]);
    }

    /// `storage_resource::fuse(&mut Storage, Storage)`: amounts if the epochs are equal, else
    /// periods.
    pub fn fuse_storage(&self, builder: &mut TransactionBuilder, storage: Argument, other: Argument) {
        builder.move_call(function(self.package, "storage_resource", "fuse"), vec![storage, other]);
    }

    /// `storage_resource::destroy(Storage)`.
    pub fn destroy_storage(&self, builder: &mut TransactionBuilder, storage: Argument) {
        builder.move_call(function(self.package, "storage_resource", "destroy"), vec![storage]);
    }
}

#[cfg(test)]
mod tests {
    use sui_transaction_builder::TransactionBuilder;

    use crate::floe::calls::inspect::{Arg, build, floe_calls, owned, owned_arg, pure};

    #[test]
    fn attribute_calls_take_the_blob_and_bcs_strings() {
        let calls = floe_calls();
        let mut tx = TransactionBuilder::new();
        let blob = owned(&mut tx, 0xb0);
        calls.insert_or_update_attribute(&mut tx, blob, "content-type", "text/plain");
        let _value = calls.remove_attribute(&mut tx, blob, "content-type");
        let _maybe = calls.remove_attribute_if_exists(&mut tx, blob, "etag");
        let _all = calls.take_attributes(&mut tx, blob);
        let built = build(tx);
        let names: Vec<String> = built.iter().map(|call| call.name()).collect();
        assert_eq!(
            names,
            [
                "blob::insert_or_update_attribute",
                "blob::remove_attribute",
                "blob::remove_attribute_if_exists",
                "blob::take_attributes"
            ]
        );
        let mut key = vec![12];
        key.extend(b"content-type");
        let mut value = vec![10];
        value.extend(b"text/plain");
        assert_eq!(built[0].args, vec![owned_arg(0xb0), Arg::Pure(key.clone()), Arg::Pure(value)]);
        assert_eq!(built[1].args, vec![owned_arg(0xb0), Arg::Pure(key)]);
        assert_eq!(built[2].args, vec![owned_arg(0xb0), Arg::Pure(b"\x04etag".to_vec())]);
        assert_eq!(built[3].args, vec![owned_arg(0xb0)]);
        assert!(built.iter().all(|call| call.package == calls.package && call.type_args.is_empty()));
    }

    #[test]
    fn storage_calls_split_fuse_and_destroy() {
        let calls = floe_calls();
        let mut tx = TransactionBuilder::new();
        let storage = owned(&mut tx, 0x50);
        let later = calls.split_storage_by_epoch(&mut tx, storage, 4);
        let part = calls.split_storage_by_size(&mut tx, storage, 1 << 20);
        calls.fuse_storage_periods(&mut tx, storage, later);
        calls.fuse_storage_amount(&mut tx, storage, part);
        let other = owned(&mut tx, 0x51);
        calls.fuse_storage(&mut tx, storage, other);
        calls.destroy_storage(&mut tx, storage);
        let built = build(tx);
        let names: Vec<String> = built.iter().map(|call| call.name()).collect();
        assert_eq!(
            names,
            [
                "storage_resource::split_by_epoch",
                "storage_resource::split_by_size",
                "storage_resource::fuse_periods",
                "storage_resource::fuse_amount",
                "storage_resource::fuse",
                "storage_resource::destroy",
            ]
        );
        assert_eq!(built[0].args, vec![owned_arg(0x50), pure(&4u32)]);
        assert_eq!(built[1].args, vec![owned_arg(0x50), pure(&(1u64 << 20))]);
        assert_eq!(built[2].args, vec![owned_arg(0x50), Arg::Result(0)]);
        assert_eq!(built[3].args, vec![owned_arg(0x50), Arg::Result(1)]);
        assert_eq!(built[4].args, vec![owned_arg(0x50), owned_arg(0x51)]);
        assert_eq!(built[5].args, vec![owned_arg(0x50)]);
    }
}
