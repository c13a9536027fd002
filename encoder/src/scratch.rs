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
//! upload. A pool keeps at most [`kept`] buffers of each kind (a small multiple of it where one
//! thread uses buffers of several shapes in turn); a thread takes one for the length of a call and
//! gives it back, and a full pool frees one (the buffer given back, or, among codecs, the one
//! given back longest ago).

use std::sync::{Mutex, OnceLock};

/// Buffers of one kind, at most [`kept`] of them (times `per_core`), free for any thread to take.
pub(crate) struct ScratchPool<T> {
    free: Mutex<Vec<T>>,
    per_core: usize,
}

/// How many buffers of each kind a pool keeps: one per core, since that many threads can use
/// them at once with profit (rayon's pool has one thread per core); threads beyond that wait for
/// a core anyway and pay an allocation per call.
pub(crate) fn kept() -> usize {
    static KEPT: OnceLock<usize> = OnceLock::new();
    *KEPT.get_or_init(|| std::thread::available_parallelism().map_or(2, usize::from).max(2))
}

impl<T> ScratchPool<T> {
    /// An empty pool that keeps one buffer per core.
    pub(crate) const fn new() -> Self {
        Self::per_core(1)
    }

    /// An empty pool that keeps `per_core` buffers per core: for buffers of several shapes that
    /// the same threads use in turn, such as the codecs of a blob's rows and of its columns.
    pub(crate) const fn per_core(per_core: usize) -> Self {
        Self { free: Mutex::new(Vec::new()), per_core }
    }

    /// Runs `f` with a pooled buffer that `matches`, or with `make()` when none does: for
    /// buffers that cost as much to reshape as to make, such as codecs, where taking one of
    /// another shape would only destroy it for the thread that needs it next. The buffer goes
    /// back to the pool afterwards; a full pool drops the one given back longest ago, so the
    /// shapes in use stay.
    pub(crate) fn with_matching<R>(
        &self,
        matches: impl Fn(&T) -> bool,
        make: impl FnOnce() -> T,
        f: impl FnOnce(&mut T) -> R,
    ) -> R {
        let taken = {
            let mut free = self.lock();
            free.iter().position(matches).map(|index| free.remove(index))
        };
        let mut buffer = taken.unwrap_or_else(make);
        let result = f(&mut buffer);
        let evicted = {
            let mut free = self.lock();
            let evicted = (free.len() >= self.capacity()).then(|| free.remove(0));
            free.push(buffer);
            evicted
        };
        // Freed outside the lock: a codec's buffers can be megabytes.
        drop(evicted);
        result
    }

    /// Drops the pooled buffers that `matches`: those a caller knows it is done with, so that
    /// they do not stay beside the ones it needs next.
    pub(crate) fn release(&self, matches: impl Fn(&T) -> bool) {
        let released: Vec<T> = {
            let mut free = self.lock();
            let (released, left) = free.drain(..).partition(matches);
            *free = left;
            released
        };
        drop(released);
    }

    /// Runs `f` with any pooled buffer, or a new empty one; the buffer goes back to the pool
    /// afterwards unless the pool is full. No lock is held while `f` runs, so `f` may use other
    /// pools, or this one.
    pub(crate) fn with_any<R>(&self, f: impl FnOnce(&mut T) -> R) -> R
    where
        T: Default,
    {
        let taken = self.lock().pop();
        let mut buffer = taken.unwrap_or_default();
        let result = f(&mut buffer);
        let mut free = self.lock();
        if free.len() < self.capacity() {
            free.push(buffer);
        }
        result
    }

    /// How many buffers the pool keeps at most.
    fn capacity(&self) -> usize {
        kept() * self.per_core
    }

    /// Whether the pool keeps a buffer that `matches`.
    #[cfg(test)]
    pub(crate) fn holds(&self, matches: impl Fn(&T) -> bool) -> bool {
        self.lock().iter().any(matches)
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
            pool.with_matching(|_| true, make, |buffer| buffer.push(1));
        }
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(pool.len(), 1);

        // Many threads at once each need a buffer; afterwards only `kept()` are left.
        let threads = kept() * 4;
        let barrier = std::sync::Barrier::new(threads);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| pool.with_matching(|_| true, make, |_| barrier.wait()));
            }
        });
        assert!(made.load(std::sync::atomic::Ordering::Relaxed) >= threads);
        assert_eq!(pool.len(), kept());
    }

    #[test]
    fn a_matching_buffer_is_reused_and_others_are_left_for_their_shape() {
        let pool = ScratchPool::<(usize, usize)>::per_core(2);
        let made = std::sync::atomic::AtomicUsize::new(0);
        // Shapes 7 and 9 used in turn by one thread, then by two at once: each is made once per
        // concurrent user, never rebuilt from the other.
        let use_shape = |shape: usize| {
            pool.with_matching(
                |buffer| buffer.0 == shape,
                || (shape, made.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
                |buffer| assert_eq!(buffer.0, shape),
            )
        };
        for shape in [7, 9, 7, 9, 7] {
            use_shape(shape);
        }
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 2);
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    pool.with_matching(|buffer| buffer.0 == 7, || (7, 99), |_| barrier.wait());
                });
            }
        });
        for shape in [7, 9, 7, 9] {
            use_shape(shape);
        }
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 2, "9 was kept while two 7s were in use");
        // A full pool drops the buffer given back longest ago.
        for shape in 100..100 + 2 * kept() {
            use_shape(shape);
        }
        assert_eq!(pool.len(), 2 * kept());
        assert!(pool.with_any(|buffer| buffer.0 != 9), "the shapes used before were dropped for the newer ones");
        pool.release(|buffer| buffer.0 >= 101);
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn a_panic_inside_a_call_loses_only_its_buffer() {
        let pool = ScratchPool::<Vec<u8>>::new();
        pool.with_any(|_| ());
        let outcome = std::panic::catch_unwind(|| pool.with_any(|_: &mut Vec<u8>| panic!("boom")));
        assert!(outcome.is_err());
        assert_eq!(pool.len(), 0);
        pool.with_any(|buffer| buffer.push(3));
        assert_eq!(pool.len(), 1);
    }
}
