//! The allocator's zeroed blocks: zero, whether fresh or reused, and a large one's pages already
//! the process's own, so that reading and then writing it faults nothing in.

use std::hint::black_box;

mod common;

use common::minor_faults;

#[test]
fn zeroed_blocks_are_zero_fresh_or_reused() {
    for size in [1, 100, floe_alloc::WRITTEN_FROM - 1, floe_alloc::WRITTEN_FROM, 64 << 10, 3 << 20, 16 << 20] {
        // A block of the same size filled and freed first, so the zeroed one may reuse its memory.
        drop(black_box(vec![0xa5u8; size]));
        let zeroed = black_box(vec![0u8; size]);
        assert!(zeroed.iter().all(|&byte| byte == 0), "a zeroed block of {size} bytes holds a non-zero byte");
    }
}

#[test]
fn a_large_zeroed_block_read_then_written_faults_in_no_page() {
    const SIZE: usize = 16 << 20;
    const PAGE: usize = 4096;
    let mut block = black_box(vec![0u8; SIZE]);
    let before = minor_faults();
    // Read every page first (as redb copies its zeroed page buffers), then write every page.
    let sum: u64 = block.iter().step_by(PAGE).map(|&byte| u64::from(byte)).sum();
    assert_eq!(black_box(sum), 0);
    for page in block.chunks_mut(PAGE) {
        page[0] = 1;
    }
    black_box(&block);
    let faults = minor_faults() - before;
    // Left to the kernel's zero page, the read maps each of the 4096 pages and the write copies
    // each on a second fault.
    assert!(faults < 64, "{faults} page faults reading then writing a 16 MiB zeroed block");
}
