//! The allocator's zeroed blocks: zero, whether fresh or reused, and a large one's pages already
//! the process's own, so that reading and then writing it faults nothing in.

use std::hint::black_box;

#[global_allocator]
static ALLOCATOR: floe_alloc::Allocator = floe_alloc::Allocator;

/// Minor page faults of the calling thread so far.
fn minor_faults() -> i64 {
    // SAFETY: `getrusage` writes only the `rusage` it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) }, 0);
    usage.ru_minflt
}

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

#[test]
fn a_freed_large_block_is_kept_for_the_next_one() {
    const SIZE: usize = 16 << 20;
    const PAGE: usize = 4096;
    let mut block = vec![0u8; SIZE];
    block.fill(7);
    drop(black_box(block));
    let before = minor_faults();
    let mut again = black_box(Vec::<u8>::with_capacity(SIZE));
    again.resize(SIZE, 9);
    black_box(&again);
    let faults = minor_faults() - before;
    // Given back to the kernel at once (jemalloc's default for 8 MiB and more), each of the
    // block's 4096 pages faults in again.
    assert!(faults < 64, "{faults} page faults writing a 16 MiB block just after one was freed");
    assert_eq!(again.iter().step_by(PAGE).filter(|&&byte| byte == 9).count(), SIZE / PAGE);
}
