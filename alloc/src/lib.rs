//! The allocator of floe's processes (the `floe` binary, and the examples that measure it):
//! jemalloc, with three changes that keep a busy process's memory its own from one large block
//! to the next, and give it back once the process is idle.
//!
//! **Freed large blocks are kept like small ones.** By default jemalloc gives a freed extent of
//! 8 MiB or more (after merging with its free neighbours) back to the kernel at once, where
//! smaller ones are kept for reuse and given back over its decay time (10 s). A node checking a
//! sliver of a 128 MiB blob at 100 shards expands it to 6 MB, with a Reed-Solomon work space as
//! large, and stores a copy; freed, such blocks merge with their free neighbours past 8 MiB. Each
//! came back as fresh pages, one page fault each, and on a virtual machine whose freed memory goes
//! back to its host (a balloon with free page reporting, as here) one host fault each too.
//! [`JEMALLOC_OPTIONS`] turns that off (`oversize_threshold:0`).
//!
//! **Freed memory is given back by jemalloc's background thread** (`background_thread:true`).
//! Without it, decay runs only as later allocations pass by, so an idle process would keep what
//! its last large blocks held (a `floe localnet` kept 630 MiB after a 147 MB store, against
//! 360 MiB before these changes); with it, memory goes back over the 10 s after it is freed, busy
//! or idle (280 MiB).
//!
//! **Zeroed blocks of a page or more are written with zeros when they are allocated.** jemalloc
//! hands out a zeroed block on fresh pages (new to the process, or given back to the kernel by
//! its decay) without writing it, since the kernel supplies zeros on first touch. If that block
//! is *read* before it is written, every page of it is mapped to the kernel's one shared zero
//! page. redb does exactly that for every page it allocates (`vec![0; len]` copied into its page
//! buffer), and a storage node allocates a page the size of each sliver it stores. When such a
//! block is freed, jemalloc keeps its pages and gives them out again, and the first write to each
//! of them is then a copy-on-write fault away from the zero page, which must flush the old
//! mapping from every core's TLB: an interrupt to the other cores, on a virtual machine a VM exit
//! on each. Written at allocation, a fresh page is faulted in once as the process's own (nothing
//! to flush), and a reused one not at all.
//!
//! Measured in a 256 MiB store on 10 nodes / 1000 shards (`big_store`, `perf record -a -g`):
//! page faults took 31% of the nodes' CPU, half of it in those TLB flushes; 4% with these
//! changes. docs/performance.md ("The allocator, and this machine's memory", under "Storing files
//! larger than memory") has the store times before and after.

use std::{
    alloc::{GlobalAlloc, Layout},
    ffi::c_char,
};

use tikv_jemallocator::Jemalloc;

/// jemalloc's options, read from this symbol as it starts (before `main`); its `MALLOC_CONF`
/// environment variable, `_RJEM_MALLOC_CONF` for this prefixed build, is read after it and
/// overrides them. `oversize_threshold:0`: no eager return of freed extents of 8 MiB or more;
/// `background_thread:true`: freed memory is returned on time even when nothing allocates (see
/// the crate doc).
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static JEMALLOC_OPTIONS: Options = Options(c"oversize_threshold:0,background_thread:true".as_ptr());

/// A C string pointer, as jemalloc declares its `malloc_conf`.
#[derive(Debug)]
#[repr(transparent)]
pub struct Options(*const c_char);

// SAFETY: the pointer is to a string literal, never written.
unsafe impl Sync for Options {}

/// Zeroed blocks from this size on are written here. A smaller one shares its page with other
/// blocks, which have touched it already.
pub const WRITTEN_FROM: usize = 4096;

/// jemalloc, with zeroed blocks of [`WRITTEN_FROM`] bytes or more written at allocation. Declare
/// it as the process's allocator:
///
/// ```
/// #[global_allocator]
/// static ALLOCATOR: floe_alloc::Allocator = floe_alloc::Allocator;
///
/// fn main() {
///     let block = vec![0u8; 1 << 20];
///     assert!(block.iter().all(|&byte| byte == 0));
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Allocator;

// SAFETY: every call is jemalloc's own with the caller's layout; `alloc_zeroed` writes only the
// `layout.size()` bytes jemalloc has just returned for that layout.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is `GlobalAlloc::alloc`'s, passed on.
        unsafe { Jemalloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() < WRITTEN_FROM {
            // SAFETY: as `alloc`.
            return unsafe { Jemalloc.alloc_zeroed(layout) };
        }
        // SAFETY: as `alloc`.
        let block = unsafe { Jemalloc.alloc(layout) };
        if !block.is_null() {
            // SAFETY: `block` is a fresh allocation of `layout.size()` bytes.
            unsafe { block.write_bytes(0, layout.size()) };
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: `block` came from this allocator, that is from jemalloc, with `layout`.
        unsafe { Jemalloc.dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `dealloc`; `new_size` is the caller's, under `GlobalAlloc::realloc`'s contract.
        unsafe { Jemalloc.realloc(block, layout, new_size) }
    }
}
