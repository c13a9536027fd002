//! An idle process gives freed memory back (jemalloc's background thread), in a process of its
//! own so that no other test's memory moves its resident size.

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

#[global_allocator]
static ALLOCATOR: floe_alloc::Allocator = floe_alloc::Allocator;

/// The process's resident memory, in bytes.
fn resident() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).expect("a VmRSS line");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse::<u64>().ok()).expect("VmRSS in kB") * 1024
}

#[test]
fn memory_freed_by_an_idle_process_is_given_back_within_its_decay_time() {
    const SIZE: usize = 64 << 20;
    let block = black_box(vec![1u8; SIZE]);
    let holding = resident();
    drop(block);
    // jemalloc's decay gives dirty memory back over 10 s; nothing allocates meanwhile, so only
    // its background thread can do it.
    let started = Instant::now();
    let given_back = |now: u64| holding.saturating_sub(now) >= SIZE as u64 * 3 / 4;
    let mut now = resident();
    while !given_back(now) && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(250));
        now = resident();
    }
    assert!(
        given_back(now),
        "resident {} MiB while holding 64 MiB, still {} MiB {} s after freeing it",
        holding >> 20,
        now >> 20,
        started.elapsed().as_secs()
    );
}
