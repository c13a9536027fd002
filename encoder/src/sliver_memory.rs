//! Memory for the slivers of one axis of an encoding: one zeroed block holding all `n` of them,
//! each sliver a shared slice of it ([`Bytes`]), the block freed when the last slice is dropped.
//!
//! An encoding writes every sliver into fresh memory: 4-5x the blob in all, in `2n` slivers. As
//! `2n` heap blocks, each 4 KiB page of them cost a page fault (on a virtual machine often a host
//! fault too), and the allocator (`floe-alloc`) wrote zeros over each block before the encoder
//! wrote it again. A block of [`MAPPED_FROM`] bytes or more is instead an anonymous mapping of
//! its own, which the kernel supplies zeroed (nothing is written twice), advised for transparent
//! huge pages, so a fault brings in 2 MiB at once where the kernel has them (without, it maps
//! 4 KiB pages as before). The rest of the process keeps its pages as they were: jemalloc's
//! `thp:always` for the whole process made encoding faster still (its work buffers and the blob
//! too) but kept about 55 MiB more resident in every `floe` process, small allocations spread
//! over half-used huge pages.
//!
//! docs/performance.md ("One mapping per axis", under "The dev profile optimizes the store path")
//! has the figures: `floe blob-id` of a 64 MiB file at 100 shards took a third of the page faults
//! and half the kernel time.
//!
//! ```
//! use floe_encoder::{EncodingConfig, encode};
//!
//! // The slivers of a blob of a few MiB share one mapping per axis, each a slice of it.
//! let encoded = encode(&EncodingConfig::new(100).unwrap(), &vec![7u8; 4 << 20]).unwrap();
//! let (first, second) = (&encoded.pairs[0].primary, &encoded.pairs[1].primary);
//! let gap = second.data().as_ptr() as usize - first.data().as_ptr() as usize;
//! assert_eq!(gap, first.data().len());
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;

/// Blocks of this many bytes or more are mappings of their own: one huge page's worth. A
/// smaller one is a heap block, where a mapping would cost two system calls for a few pages.
pub const MAPPED_FROM: usize = 2 << 20;

/// Bytes of sliver blocks mapped now, process-wide.
static MAPPED: AtomicUsize = AtomicUsize::new(0);

/// Bytes of sliver memory held in mappings of their own right now, across the process. A
/// counting heap allocator does not see them: memory accounting adds this (the encoding bench's
/// peak memory does).
pub fn mapped_bytes() -> usize {
    MAPPED.load(Ordering::Relaxed)
}

/// `count` zeroed slivers of `sliver_len` bytes each, in one block, filled in place and then
/// shared out as slices.
pub(crate) struct SliverMemory {
    block: Block,
    sliver_len: usize,
}

/// The block under a [`SliverMemory`]: an anonymous mapping, or a heap block when small (or
/// when the mapping is refused).
enum Block {
    Heap(Vec<u8>),
    Mapped(Mapping),
}

/// An anonymous mapping, counted in [`mapped_bytes`] while it lives.
struct Mapping(memmap2::MmapMut);

impl Drop for Mapping {
    fn drop(&mut self) {
        MAPPED.fetch_sub(self.0.len(), Ordering::Relaxed);
    }
}

impl AsRef<[u8]> for Block {
    fn as_ref(&self) -> &[u8] {
        match self {
            Self::Heap(bytes) => bytes,
            Self::Mapped(map) => &map.0,
        }
    }
}

impl AsMut<[u8]> for Block {
    fn as_mut(&mut self) -> &mut [u8] {
        match self {
            Self::Heap(bytes) => bytes,
            Self::Mapped(map) => &mut map.0,
        }
    }
}

impl SliverMemory {
    /// Room for `count` slivers of `sliver_len` (at least 1) bytes, all zero.
    pub(crate) fn zeroed(count: usize, sliver_len: usize) -> Self {
        assert!(sliver_len > 0, "a sliver holds at least one symbol");
        let len = count.checked_mul(sliver_len).expect("an encoding's slivers fit in memory");
        let block = if len >= MAPPED_FROM { mapped(len) } else { None };
        Self { block: block.unwrap_or_else(|| Block::Heap(vec![0; len])), sliver_len }
    }

    /// The whole block: every sliver's bytes, end to end.
    pub(crate) fn block_mut(&mut self) -> &mut [u8] {
        self.block.as_mut()
    }

    /// Each sliver's bytes, in order, to be written.
    pub(crate) fn slivers_mut(&mut self) -> Vec<&mut [u8]> {
        self.block.as_mut().chunks_exact_mut(self.sliver_len).collect()
    }

    /// Each sliver as a shared slice of the block, in order.
    pub(crate) fn into_slivers(self) -> Vec<Bytes> {
        let sliver_len = self.sliver_len;
        let count = self.block.as_ref().len() / sliver_len;
        let shared = Bytes::from_owner(self.block);
        (0..count).map(|i| shared.slice(i * sliver_len..(i + 1) * sliver_len)).collect()
    }

    /// Whether the block is a mapping of its own (for tests).
    #[cfg(test)]
    fn is_mapped(&self) -> bool {
        matches!(self.block, Block::Mapped(_))
    }
}

/// An anonymous mapping of `len` bytes advised for huge pages, or `None` if the kernel refuses
/// the mapping (the caller falls back to the heap). The advice is best effort: a kernel without
/// transparent huge pages, or with them turned off, maps 4 KiB pages as before.
fn mapped(len: usize) -> Option<Block> {
    let map = memmap2::MmapMut::map_anon(len).ok()?;
    #[cfg(target_os = "linux")]
    let _ = map.advise(memmap2::Advice::HugePage);
    MAPPED.fetch_add(len, Ordering::Relaxed);
    Some(Block::Mapped(Mapping(map)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slivers_are_written_in_place_and_shared_out_as_consecutive_slices() {
        for (count, sliver_len, mapped) in [(10, 3, false), (100, (MAPPED_FROM / 100) + 1, true)] {
            let mut memory = SliverMemory::zeroed(count, sliver_len);
            assert_eq!(memory.is_mapped(), mapped);
            if mapped {
                // Other tests encode alongside: at least this block is counted.
                assert!(mapped_bytes() >= count * sliver_len);
            }
            let mut slivers = memory.slivers_mut();
            assert_eq!(slivers.len(), count);
            assert!(slivers.iter().all(|sliver| sliver.len() == sliver_len && sliver.iter().all(|&b| b == 0)));
            for (i, sliver) in slivers.iter_mut().enumerate() {
                sliver.fill(i as u8);
            }
            let shared = memory.into_slivers();
            assert_eq!(shared.len(), count);
            for (i, sliver) in shared.iter().enumerate() {
                assert_eq!(sliver.as_ref(), vec![i as u8; sliver_len].as_slice());
            }
            // One block: each slice starts where the one before ends.
            for pair in shared.windows(2) {
                assert_eq!(pair[1].as_ptr() as usize, pair[0].as_ptr() as usize + sliver_len);
            }
            // A slice outlives the rest of the block's slices.
            let last = shared.last().unwrap().clone();
            drop(shared);
            assert_eq!(last.as_ref(), vec![(count - 1) as u8; sliver_len].as_slice());
        }
    }
}
