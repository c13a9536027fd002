/// The parameters an epoch runs with, chosen by the stake-weighted votes of its committee.
module floe::epoch_parameters;

/// Capacity and prices of one epoch.
public struct EpochParams has copy, drop, store {
    total_capacity_size: u64,
    storage_price_per_unit_size: u64,
    write_price_per_unit_size: u64,
}

/// New parameters.
public fun new(
    total_capacity_size: u64,
    storage_price_per_unit_size: u64,
    write_price_per_unit_size: u64,
): EpochParams {
    EpochParams { total_capacity_size, storage_price_per_unit_size, write_price_per_unit_size }
}

/// Total capacity in encoded bytes.
public fun capacity(self: &EpochParams): u64 { self.total_capacity_size }

/// WAL (in FROST) per storage unit per epoch.
public fun storage_price(self: &EpochParams): u64 { self.storage_price_per_unit_size }

/// WAL (in FROST) per storage unit, paid once when registering.
public fun write_price(self: &EpochParams): u64 { self.write_price_per_unit_size }
