//! BCS for values that carry large byte strings: slivers, and batches and pages of them.
//!
//! `bcs::to_bytes` grows its buffer by doubling, so a value of a few MiB is copied about once
//! more on its way out. These count the bytes first (a pass that copies nothing) and write into
//! a buffer of the final size.
//!
//! ```
//! let value = (7u16, vec![1u8; 1000]);
//! let plain = bcs::to_bytes(&value).unwrap();
//! assert_eq!(floe_encoder::wire::to_bcs(&value).unwrap(), plain);
//! let record = floe_encoder::wire::to_bcs_after(16, &value).unwrap();
//! assert_eq!((&record[..16], &record[16..]), (&[0u8; 16][..], &plain[..]));
//! ```

use serde::Serialize;

/// `value`'s BCS, written into a buffer of its final size.
pub fn to_bcs<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, bcs::Error> {
    to_bcs_after(0, value)
}

/// `room` zero bytes (for the caller to fill, such as a digest of what follows), then `value`'s
/// BCS, in one buffer of the final size.
pub fn to_bcs_after<T: Serialize + ?Sized>(room: usize, value: &T) -> Result<Vec<u8>, bcs::Error> {
    let mut bytes = Vec::with_capacity(room + bcs::serialized_size(value)?);
    bytes.resize(room, 0);
    bcs::serialize_into(&mut bytes, value)?;
    Ok(bytes)
}

/// Appends `len` as BCS writes a sequence's or a byte string's length: ULEB128.
pub fn push_length(len: usize, out: &mut Vec<u8>) {
    let mut rest = len;
    while rest >= 0x80 {
        out.push((rest & 0x7f) as u8 | 0x80);
        rest >>= 7;
    }
    out.push(rest as u8);
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_length_is_written_as_bcs_writes_it() {
        // A sequence of units is its length alone (a unit is no bytes): the length as BCS writes it.
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 2_097_151, 2_097_152] {
            let mut ours = Vec::new();
            super::push_length(len, &mut ours);
            assert_eq!(ours, bcs::to_bytes(&vec![(); len]).unwrap(), "{len}");
        }
    }
}
