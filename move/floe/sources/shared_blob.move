/// `SharedBlob`: a certified blob that nobody owns any more and anyone can keep alive. Its owner
/// gives the `Blob` up into a shared object holding a WAL balance; anyone may add WAL to that
/// balance, and anyone may extend the blob's lifetime, paying the storage from the balance
/// only. The blob cannot be deleted, burnt or taken back out: that is what makes funding it
/// safe for strangers.
module floe::shared_blob;

use floe::blob::Blob;
use floe::events;
use floe::system::System;
use floe::system_state_inner;
use sui::balance::{Self, Balance};
use sui::coin::Coin;
use wal::wal::WAL;

/// The shared blob's funds do not cover the storage price of the extension.
const EInsufficientFunds: u64 = 0;
/// Only a certified blob can be shared: once shared, nobody could certify it any more.
const ENotCertified: u64 = 1;
/// A funding coin holds no WAL.
const EZeroFunds: u64 = 2;

/// A shared blob and the WAL that pays for extending it.
public struct SharedBlob has key {
    id: UID,
    blob: Blob,
    funds: Balance<WAL>,
}

/// Shares the certified `blob` with no funds yet. Emits `BlobShared`.
public fun new(blob: Blob, ctx: &mut TxContext) {
    share(blob, balance::zero(), ctx)
}

/// Shares the certified `blob` with `funds` in its balance. Emits `BlobShared`.
public fun new_funded(blob: Blob, funds: Coin<WAL>, ctx: &mut TxContext) {
    assert!(funds.value() > 0, EZeroFunds);
    share(blob, funds.into_balance(), ctx)
}

fun share(blob: Blob, funds: Balance<WAL>, ctx: &mut TxContext) {
    assert!(blob.certified_epoch().is_some(), ENotCertified);
    let shared = SharedBlob { id: object::new(ctx), blob, funds };
    events::emit_blob_shared(
        shared.id.to_inner(),
        shared.blob.object_id(),
        shared.blob.blob_id(),
        shared.blob.end_epoch(),
        shared.funds.value(),
    );
    transfer::share_object(shared);
}

/// Adds all of `added` to the shared blob's funds.
public fun fund(self: &mut SharedBlob, added: Coin<WAL>) {
    assert!(added.value() > 0, EZeroFunds);
    self.funds.join(added.into_balance());
}

/// Extends the blob by `extended_epochs`, paying the storage price from the funds (aborts
/// with `EInsufficientFunds` when they fall short, before anything is bought). Emits
/// `BlobCertified` with `is_extension` and the new end epoch, as extending an owned blob does.
public fun extend(self: &mut SharedBlob, system: &mut System, extended_epochs: u32, ctx: &mut TxContext) {
    let units = system_state_inner::storage_units(self.blob.storage().size());
    let price = units * system.storage_price_per_unit_size() * (extended_epochs as u64);
    assert!(self.funds.value() >= price, EInsufficientFunds);
    let mut payment = self.funds.split(price).into_coin(ctx);
    system.extend_blob(&mut self.blob, extended_epochs, &mut payment, ctx);
    // The price above is the system's, so nothing is left; should that ever change, what is
    // left goes back to the funds rather than being lost.
    self.funds.join(payment.into_balance());
}

// === Accessors ===

/// The shared blob's object id.
public fun object_id(self: &SharedBlob): ID { self.id.to_inner() }

/// The blob it holds.
public fun blob(self: &SharedBlob): &Blob { &self.blob }

/// The WAL (in FROST) available for extensions.
public fun funds(self: &SharedBlob): u64 { self.funds.value() }
