//! A typed HTTP client of one storage node's API: floe-node-api's [`NodeClient`], re-exported
//! with its error and the node's blob status. Every answer is untrusted: reads are bounded by
//! the largest valid answer, metadata is verified against the blob id, slivers against the
//! metadata, and confirmations against the exact message the client expects (an upload checks
//! their signatures together, as one aggregate).

pub use floe_node_api::*;
