//! A freed large block is kept for the next one (`oversize_threshold:0`), in a process of its own:
//! another test's allocation in the same process could take the freed block first.

use std::hint::black_box;

mod common;

use common::minor_faults;

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
