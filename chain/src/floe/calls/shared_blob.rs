//! Calls on shared blobs (`floe::shared_blob`): sharing a certified blob (with or without
//! funds), funding a shared blob, and extending it from its funds. A `SharedBlob` is a shared
//! object, passed as a [`SharedObject`] with the mutability each function needs.

use sui_transaction_builder::{Argument, TransactionBuilder};

use super::{FloeCalls, SharedObject, function, pure};

const SHARED_BLOB: &str = "shared_blob";

impl FloeCalls {
    /// `shared_blob::new(Blob)`: shares the certified blob with no funds.
    pub fn share_blob(&self, builder: &mut TransactionBuilder, blob: Argument) {
        builder.move_call(function(self.package, SHARED_BLOB, "new"), vec![blob]);
    }

    /// `shared_blob::new_funded(Blob, Coin<WAL>)`: shares the certified blob with the coin as
    /// its funds.
    pub fn share_blob_funded(&self, builder: &mut TransactionBuilder, blob: Argument, funds: Argument) {
        builder.move_call(function(self.package, SHARED_BLOB, "new_funded"), vec![blob, funds]);
    }

    /// `shared_blob::fund(&mut SharedBlob, Coin<WAL>)`: adds the whole coin to the funds.
    pub fn fund_shared_blob(&self, builder: &mut TransactionBuilder, shared_blob: &SharedObject, added: Argument) {
        let shared = shared_blob.add(builder, true);
        builder.move_call(function(self.package, SHARED_BLOB, "fund"), vec![shared, added]);
    }

    /// `shared_blob::extend(&mut SharedBlob, &mut System, extended_epochs)`: pays from the
    /// shared blob's funds.
    pub fn extend_shared_blob(
        &self,
        builder: &mut TransactionBuilder,
        shared_blob: &SharedObject,
        extended_epochs: u32,
    ) {
        let shared = shared_blob.add(builder, true);
        let system = self.system.add(builder, true);
        let args = vec![shared, system, pure(builder, &extended_epochs)];
        builder.move_call(function(self.package, SHARED_BLOB, "extend"), args);
    }
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::Address;
    use sui_transaction_builder::TransactionBuilder;

    use crate::floe::calls::SharedObject;
    use crate::floe::calls::inspect::{Arg, build, floe_calls, owned, owned_arg, pure};

    #[test]
    fn shared_blob_calls_pass_the_shared_blob_mutably_and_the_system_for_extensions() {
        let calls = floe_calls();
        let shared = SharedObject::new(Address::new([0x5b; 32]), 12);
        let mut tx = TransactionBuilder::new();
        let blob = owned(&mut tx, 0xb0);
        calls.share_blob(&mut tx, blob);
        let (other, coin) = (owned(&mut tx, 0xb1), owned(&mut tx, 0xc0));
        calls.share_blob_funded(&mut tx, other, coin);
        let coin = owned(&mut tx, 0xc1);
        calls.fund_shared_blob(&mut tx, &shared, coin);
        calls.extend_shared_blob(&mut tx, &shared, 3);
        let built = build(tx);
        let names: Vec<String> = built.iter().map(|call| call.name()).collect();
        assert_eq!(names, ["shared_blob::new", "shared_blob::new_funded", "shared_blob::fund", "shared_blob::extend"]);
        let shared_arg = Arg::Shared { id: Address::new([0x5b; 32]), version: 12, mutable: true };
        let system = Arg::Shared { id: calls.system.id, version: calls.system.initial_shared_version, mutable: true };
        assert_eq!(built[0].args, vec![owned_arg(0xb0)]);
        assert_eq!(built[1].args, vec![owned_arg(0xb1), owned_arg(0xc0)]);
        assert_eq!(built[2].args, vec![shared_arg.clone(), owned_arg(0xc1)]);
        assert_eq!(built[3].args, vec![shared_arg, system, pure(&3u32)]);
        assert!(built.iter().all(|call| call.package == calls.package && call.type_args.is_empty()));
    }
}
