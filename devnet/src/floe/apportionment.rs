//! `floe::apportionment` natively: D'Hondt shard apportionment. (Being written.)
