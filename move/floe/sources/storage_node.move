/// `StorageNodeCap`: the capability of a node's operator. It names the node (= its staking
/// pool's id), authorizes votes and commission changes, and records epoch-sync reports.
module floe::storage_node;

/// The operator capability of node `node_id`.
public struct StorageNodeCap has key, store {
    id: UID,
    node_id: ID,
    last_epoch_sync_done: u32,
}

/// A capability for `node_id`; only registration creates one.
public(package) fun new(node_id: ID, ctx: &mut TxContext): StorageNodeCap {
    StorageNodeCap { id: object::new(ctx), node_id, last_epoch_sync_done: 0 }
}

/// The node this capability controls.
public fun node_id(self: &StorageNodeCap): ID { self.node_id }

/// The last epoch the node reported its shards received.
public fun last_epoch_sync_done(self: &StorageNodeCap): u32 { self.last_epoch_sync_done }

/// Records a sync report for `epoch`.
public(package) fun set_last_epoch_sync_done(self: &mut StorageNodeCap, epoch: u32) {
    self.last_epoch_sync_done = epoch;
}
