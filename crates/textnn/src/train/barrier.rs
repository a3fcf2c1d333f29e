//! A spinning barrier for threads that meet once per training example.
//!
//! `std::sync::Barrier` parks threads on a mutex and condition variable,
//! which costs microseconds per meeting; the sliced trainer meets once per
//! example (a few microseconds of work), so it spins on an atomic instead,
//! yielding to the scheduler after a while so an oversubscribed machine
//! still makes progress. If a thread panics, the barrier is poisoned and
//! every waiter panics too instead of spinning forever.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Spins before each `yield_now` while waiting.
const SPINS_BEFORE_YIELD: u32 = 2_000;

/// A reusable barrier for a fixed number of threads.
pub(super) struct SpinBarrier {
    threads: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    poisoned: AtomicBool,
}

impl SpinBarrier {
    /// A barrier for `threads` threads (at least 1).
    pub(super) fn new(threads: usize) -> Self {
        SpinBarrier {
            threads: threads.max(1),
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            poisoned: AtomicBool::new(false),
        }
    }

    /// Blocks until all threads have called `wait` for this round. Every
    /// write a thread made before `wait` is visible to every thread after it.
    pub(super) fn wait(&self) {
        if self.threads == 1 {
            return;
        }
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.threads {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            if self.poisoned.load(Ordering::Relaxed) {
                panic!("another training thread panicked");
            }
            spins += 1;
            if spins < SPINS_BEFORE_YIELD {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// Marks the barrier poisoned (called while a thread unwinds).
    pub(super) fn poison(&self) {
        self.poisoned.store(true, Ordering::Relaxed);
    }
}

/// Poisons the barrier if the thread holding it unwinds from a panic.
pub(super) struct PoisonOnPanic<'a>(pub(super) &'a SpinBarrier);

impl Drop for PoisonOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.poison();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn no_thread_passes_a_round_before_all_arrive() {
        let threads = 3;
        let rounds = 2_000;
        let barrier = SpinBarrier::new(threads);
        let counters: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
        std::thread::scope(|s| {
            for t in 0..threads {
                let (barrier, counters) = (&barrier, &counters);
                s.spawn(move || {
                    for round in 0..rounds {
                        counters[t].store(round + 1, Ordering::Relaxed);
                        barrier.wait();
                        for c in counters {
                            assert!(c.load(Ordering::Relaxed) > round);
                        }
                        barrier.wait();
                    }
                });
            }
        });
    }

    #[test]
    fn a_panicking_thread_releases_the_others() {
        let barrier = SpinBarrier::new(2);
        let result = std::thread::scope(|s| {
            let b = &barrier;
            let waiter = s.spawn(move || b.wait());
            let failing = s.spawn(move || {
                let _guard = PoisonOnPanic(b);
                panic!("deliberate");
            });
            (waiter.join(), failing.join())
        });
        assert!(result.0.is_err() && result.1.is_err());
    }
}
