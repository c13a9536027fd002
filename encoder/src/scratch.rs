//! Work buffers shared by the threads of a process, so that their number, and the memory they
//! keep between calls, follows the number of cores rather than the number of threads that ever
//! encoded or verified something.
//!
//! The encoder's hot loops reuse their buffers (codec work space, a sliver's expansion, batched
//! decoding's packed shards) because allocating them afresh costs page faults and zeroing on
//! every call. Kept per thread, they lived as long as the thread and were as large as the largest
//! blob it ever handled. A storage node verifies slivers on tokio's blocking pool, which grows a
//! thread per concurrent upload request and keeps alive the threads its periodic work (the scrub)
//! wakes, so a node process kept tens of threads' worth of buffers after a large store: in
//! `floe localnet` that was about 200 MiB after one 64 MiB store, and it grew with the largest
//! upload. A pool keeps at most [`kept`] buffers of each kind; a thread takes one for the length
//! of a call and gives it back, and a buffer given back to a full pool is freed.

use std::sync::{Mutex, OnceLock};

/// Buffers of one kind, at most [`kept`] of them, free for any thread to take.
pub(crate) struct ScratchPool<T> {
    free: Mutex<Vec<T>>,
}

/// How many buffers of each kind a pool keeps: one per core, since that many threads can use
/// them at once with profit (rayon's pool has one thread per core); threads beyond that wait for
/// a core anyway and pay an allocation per call.
pub(crate) fn kept() -> usize {
    static KEPT: OnceLock<usize> = OnceLock::new();
    *KEPT.get_or_init(|| std::thread::available_parallelism().map_or(2, usize::from).max(2))
}

impl<T> ScratchPool<T> {
    /// An empty pool.
    pub(crate) const fn new() -> Self {
        Self { free: Mutex::new(Vec::new()) }
    }

    /// Runs `f` with a buffer from the pool, chosen by `prefer` when one matches (a buffer of the
    /// right shape saves a reshape), any other otherwise, or `make()` when the pool is empty. The
    /// buffer goes back to the pool afterwards unless the pool is full. No lock is held while `f`
    /// runs, so `f` may use other pools, or this one.
    pub(crate) fn with<R>(
        &self,
        prefer: impl Fn(&T) -> bool,
        make: impl FnOnce() -> T,
        f: impl FnOnce(&mut T) -> R,
    ) -> R {
        let taken = {
            let mut free = self.lock();
            match free.iter().position(&prefer) {
                Some(index) => Some(free.swap_remove(index)),
                None => free.pop(),
            }
        };
        let mut buffer = taken.unwrap_or_else(make);
        let result = f(&mut buffer);
        let mut free = self.lock();
        if free.len() < kept() {
            free.push(buffer);
        }
        result
    }

    /// Runs `f` with any pooled buffer, or a new empty one.
    pub(crate) fn with_any<R>(&self, f: impl FnOnce(&mut T) -> R) -> R
    where
        T: Default,
    {
        self.with(|_| true, T::default, f)
    }

    /// How many buffers the pool keeps now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<T>> {
        // A panic inside `f` never holds the lock, and a buffer's contents are overwritten by
        // every user, so a poisoned pool is still sound.
        self.free.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_and_no_more_than_kept_survive_any_number_of_threads() {
        let pool = ScratchPool::<Vec<u8>>::new();
        let made = std::sync::atomic::AtomicUsize::new(0);
        let make = || {
            made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Vec::with_capacity(1 << 20)
        };
        // One thread after another: the same buffer each time.
        for _ in 0..5 {
            pool.with(|_| true, make, |buffer| buffer.push(1));
        }
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(pool.len(), 1);

        // Many threads at once each need a buffer; afterwards only `kept()` are left.
        let threads = kept() * 4;
        let barrier = std::sync::Barrier::new(threads);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| pool.with(|_| true, make, |_| barrier.wait()));
            }
        });
        assert!(made.load(std::sync::atomic::Ordering::Relaxed) >= threads);
        assert_eq!(pool.len(), kept());
    }

    #[test]
    fn a_buffer_matching_the_preference_is_taken_first() {
        let pool = ScratchPool::<usize>::new();
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            for shape in [7, 9] {
                let (pool, barrier) = (&pool, &barrier);
                scope.spawn(move || pool.with(|_| false, || shape, |_| barrier.wait()));
            }
        });
        assert_eq!(pool.with(|shape| *shape == 7, || 0, |shape| *shape), 7);
        assert_eq!(pool.with(|shape| *shape == 9, || 0, |shape| *shape), 9);
    }

    #[test]
    fn a_panic_inside_a_call_loses_only_its_buffer() {
        let pool = ScratchPool::<Vec<u8>>::new();
        pool.with(|_| true, Vec::new, |_| ());
        let outcome = std::panic::catch_unwind(|| pool.with(|_| true, Vec::new, |_| panic!("boom")));
        assert!(outcome.is_err());
        assert_eq!(pool.len(), 0);
        pool.with(|_| true, Vec::new, |buffer| buffer.push(3));
        assert_eq!(pool.len(), 1);
    }
}
