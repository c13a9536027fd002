//! What the allocator's test processes share: the allocator under test and a page fault counter.

#[global_allocator]
static ALLOCATOR: floe_alloc::Allocator = floe_alloc::Allocator;

/// Minor page faults of the calling thread so far: a page the process takes from the kernel (or
/// a copy-on-write of the shared zero page) counts one.
pub fn minor_faults() -> i64 {
    // SAFETY: `getrusage` writes only the `rusage` it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) }, 0);
    usage.ru_minflt
}
