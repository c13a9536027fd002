//! What storage costs (`floe::system_state_inner`): storage is sold in units of 1 MiB of encoded
//! size; buying it costs `units × storage price` per epoch, registering a blob on it
//! `units × write price` once. Defined here once for the devnet, which charges it, and for the
//! client, which predicts it before paying; a test checks the unit against the Move source.
//!
//! ```
//! use floe_chain::floe::pricing::{self, BYTES_PER_UNIT_SIZE};
//!
//! // 10,680 encoded bytes take one unit; 3 epochs at 5 FROST per unit and epoch cost 15.
//! assert_eq!(pricing::storage_units(10_680), 1);
//! assert_eq!(pricing::storage_price(10_680, 5, 3), Ok(15));
//! assert_eq!(pricing::write_fee(BYTES_PER_UNIT_SIZE + 1, 7), Ok(14));
//! ```

/// Bytes of encoded size per storage unit, 1 MiB (`system_state_inner::BYTES_PER_UNIT_SIZE`).
pub const BYTES_PER_UNIT_SIZE: u64 = 1_048_576;

/// A price past `u64::MAX` FROST, where the Move arithmetic aborts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{units} storage units at {price_per_unit} FROST per unit for {epochs} epoch(s) cost more than u64::MAX FROST")]
pub struct PriceOverflow {
    /// The units priced.
    pub units: u64,
    /// The price per unit (and epoch, for storage).
    pub price_per_unit: u64,
    /// The epochs priced (1 for the write fee).
    pub epochs: u64,
}

/// The units `encoded_size` bytes occupy, rounded up (`system_state_inner::storage_units`).
pub const fn storage_units(encoded_size: u64) -> u64 {
    encoded_size.div_ceil(BYTES_PER_UNIT_SIZE)
}

/// `units × price_per_unit × epochs`, in the order Move multiplies.
fn units_price(encoded_size: u64, price_per_unit: u64, epochs: u64) -> Result<u64, PriceOverflow> {
    let units = storage_units(encoded_size);
    units.checked_mul(price_per_unit).and_then(|per_epoch| per_epoch.checked_mul(epochs)).ok_or(PriceOverflow {
        units,
        price_per_unit,
        epochs,
    })
}

/// One epoch of storage for `encoded_size` bytes at `price_per_unit` FROST per unit and epoch:
/// what `reserve_space_for_epochs` moves into each epoch's rewards.
pub fn storage_price_per_epoch(encoded_size: u64, price_per_unit: u64) -> Result<u64, PriceOverflow> {
    units_price(encoded_size, price_per_unit, 1)
}

/// `epochs` epochs of storage for `encoded_size` bytes at `price_per_unit` FROST per unit and
/// epoch: what reserving, extending and extending a shared blob cost.
pub fn storage_price(encoded_size: u64, price_per_unit: u64, epochs: u32) -> Result<u64, PriceOverflow> {
    units_price(encoded_size, price_per_unit, u64::from(epochs))
}

/// The one-time fee of registering a blob of `encoded_size` bytes at `write_price_per_unit`
/// FROST per unit (`system_state_inner::register_blob`).
pub fn write_fee(encoded_size: u64, write_price_per_unit: u64) -> Result<u64, PriceOverflow> {
    units_price(encoded_size, write_price_per_unit, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_up_to_whole_units() {
        assert_eq!(storage_units(0), 0);
        assert_eq!(storage_units(1), 1);
        assert_eq!(storage_units(BYTES_PER_UNIT_SIZE), 1);
        assert_eq!(storage_units(BYTES_PER_UNIT_SIZE + 1), 2);
    }

    #[test]
    fn storage_is_priced_per_unit_and_epoch_and_writes_per_unit_once() {
        assert_eq!(storage_price(BYTES_PER_UNIT_SIZE + 1, 5, 3), Ok(30));
        assert_eq!(storage_price(BYTES_PER_UNIT_SIZE, 5, 0), Ok(0));
        assert_eq!(storage_price_per_epoch(3 * BYTES_PER_UNIT_SIZE, 4), Ok(12));
        assert_eq!(write_fee(3 * BYTES_PER_UNIT_SIZE, 4), Ok(12));
    }

    #[test]
    fn a_price_past_u64_is_refused_with_its_factors() {
        let error = storage_price(2 * BYTES_PER_UNIT_SIZE, u64::MAX / 2, 2).unwrap_err();
        assert_eq!(error, PriceOverflow { units: 2, price_per_unit: u64::MAX / 2, epochs: 2 });
        assert!(error.to_string().contains("2 storage units"), "{error}");
        assert!(write_fee(2 * BYTES_PER_UNIT_SIZE, u64::MAX).is_err());
    }
}
