//! Prediction for many texts at once, on threads, answers in input order.
//!
//! [`Classifier::predict_batch`] ranks each text as
//! [`Classifier::predict_with`] does (the same labels and probabilities,
//! bit for bit, whatever the thread count); [`map_in_order`] is the
//! threading under it, for callers that do more per text (the CLI strips
//! fastText labels and formats each answer on the same threads).
//!
//! The texts are cut into small runs that the threads claim one after
//! another, so a thread the system slows down (another busy process on its
//! core) takes fewer runs instead of holding everyone up; each run's
//! answers land at the run's place, so the output never depends on which
//! thread did what.
//!
//! ```
//! use textnn::data::Example;
//! use textnn::train::{train, TrainConfig};
//! let ex = |text: &str, label: &str| Example { text: text.into(), labels: vec![label.into()], line: 1 };
//! let examples = vec![ex("good morning", "greet"), ex("bye now", "bye")];
//! let config = TrainConfig { epochs: 30, ..TrainConfig::fasttext() };
//! let model = train(&config, &examples, &mut |_| {}).unwrap();
//! let texts = ["bye", "good morning", "morning"];
//! let ranked = model.predict_batch(&texts, 1, 0.0, 2);
//! for (text, labels) in texts.iter().zip(&ranked) {
//!     assert_eq!(labels, &model.predict(text, 1, 0.0));
//! }
//! ```

use crate::model::Classifier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Texts a thread claims at a time: enough that claiming costs nothing
/// next to the work, few enough that a slowed thread holds up little.
const RUN_LEN: usize = 64;

impl Classifier {
    /// [`Classifier::predict`] for each of `texts`, in input order, on up
    /// to `threads` threads (0 counts as 1): the `k` most probable labels
    /// (all if 0) with probability at least `threshold`, most probable
    /// first, ties by label id.
    pub fn predict_batch<T: AsRef<str> + Sync>(
        &self,
        texts: &[T],
        k: usize,
        threshold: f32,
        threads: usize,
    ) -> Vec<Vec<(usize, f32)>> {
        map_in_order(
            texts,
            threads,
            || self.scratch(),
            |text, scratch| self.predict_with(text.as_ref(), k, threshold, scratch),
        )
    }
}

/// `work(item, state)` for each of `items`, answers in input order, on up
/// to `threads` threads (the calling thread is one of them; 0 counts as
/// 1). Each thread makes its own `state` once. Threads claim runs of
/// consecutive items as they go, so the work spreads by how fast each
/// thread really runs; the answer is the same for any thread count.
pub fn map_in_order<T: Sync, S, R: Send>(
    items: &[T],
    threads: usize,
    state: impl Fn() -> S + Sync,
    work: impl Fn(&T, &mut S) -> R + Sync,
) -> Vec<R> {
    let runs = items.len().div_ceil(RUN_LEN);
    let threads = threads.clamp(1, runs.max(1));
    if threads == 1 {
        let mut state = state();
        return items.iter().map(|item| work(item, &mut state)).collect();
    }
    let next_run = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Vec<R>)>> = Mutex::new(Vec::with_capacity(runs));
    let worker = || {
        let mut state = state();
        let mut mine = Vec::new();
        loop {
            let run = next_run.fetch_add(1, Ordering::Relaxed);
            if run >= runs {
                break;
            }
            let slice = &items[run * RUN_LEN..((run + 1) * RUN_LEN).min(items.len())];
            mine.push((
                run,
                slice.iter().map(|item| work(item, &mut state)).collect(),
            ));
        }
        // A poisoned lock means another worker panicked; its panic is
        // raised when the scope joins it.
        if let Ok(mut done) = done.lock() {
            done.append(&mut mine);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(worker);
        }
        worker();
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_unstable_by_key(|&(run, _)| run);
    let mut answers = Vec::with_capacity(items.len());
    for (_, run) in done {
        answers.extend(run);
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A trained model's batch answers, on any thread count, are its
    /// one-at-a-time answers, bit for bit, at k = 1, 5 and all.
    #[test]
    fn predict_batch_is_predict_for_each_text() {
        use crate::data::Example;
        let words = [
            "red", "green", "blue", "cyan", "gold", "grey", "pink", "teal",
        ];
        let text = |i: usize| -> String {
            (0..1 + i % 7)
                .map(|j| words[(i * 3 + j * 5) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
        };
        let examples: Vec<Example> = (0..60)
            .map(|i| Example {
                text: text(i),
                labels: vec![format!("l{}", i % 6)],
                line: i + 1,
            })
            .collect();
        let config = crate::TrainConfig {
            epochs: 3,
            ..crate::TrainConfig::fasttext()
        };
        let model = crate::train(&config, &examples, &mut |_| {}).expect("trains");
        let texts: Vec<String> = (0..300).map(|i| text(i * 7 + 1)).collect();
        for k in [1, 5, 0] {
            let one_by_one: Vec<_> = texts.iter().map(|t| model.predict(t, k, 0.0)).collect();
            for threads in [1, 2, 3] {
                let batch = model.predict_batch(&texts, k, 0.0, threads);
                assert_eq!(batch.len(), one_by_one.len());
                for (got, want) in batch.iter().zip(&one_by_one) {
                    let bits = |r: &Vec<(usize, f32)>| -> Vec<(usize, u32)> {
                        r.iter().map(|&(id, p)| (id, p.to_bits())).collect()
                    };
                    assert_eq!(bits(got), bits(want), "k {k}, {threads} threads");
                }
            }
        }
    }

    proptest! {
        /// Any thread count gives the plain loop's answers in input order.
        #[test]
        fn map_in_order_is_the_plain_map(len in 0usize..700, threads in 0usize..6) {
            let items: Vec<u64> = (0..len as u64).map(|i| i * 7919 % 1000).collect();
            let plain: Vec<u64> = items.iter().map(|&x| x * x + 1).collect();
            let calls = AtomicUsize::new(0);
            let mapped = map_in_order(
                &items,
                threads,
                || calls.fetch_add(1, Ordering::Relaxed),
                |&x, _| x * x + 1,
            );
            prop_assert_eq!(mapped, plain);
            // One state per thread that ran, never more than asked for.
            prop_assert!(calls.load(Ordering::Relaxed) <= threads.max(1));
        }
    }
}
