//! The C++ standard library's heap algorithms (`std::push_heap`,
//! `std::pop_heap`, `std::sort_heap`, as libstdc++ implements them), which
//! fastText uses to keep its k best predictions. Reproducing them step by
//! step reproduces fastText's order among labels of exactly equal score,
//! which its one-vs-all sigmoid table makes common.
//!
//! The comparison is fastText's `comparePairs`: `a.0 > b.0`, so the heap's
//! front is the lowest score and the sorted result runs from highest to
//! lowest.
//!
//! ```
//! use textnn::fasttext_model::heap::{push_heap, sort_heap};
//! let mut heap = Vec::new();
//! for (i, score) in [-1.0f32, -0.5, -2.0].into_iter().enumerate() {
//!     heap.push((score, i as i32));
//!     push_heap(&mut heap);
//! }
//! assert_eq!(heap[0].0, -2.0); // the front is the lowest score
//! sort_heap(&mut heap);
//! assert_eq!(heap, vec![(-0.5, 1), (-1.0, 0), (-2.0, 2)]);
//! ```

/// A prediction: fastText's score (a log-probability) and the label id.
pub type Scored = (f32, i32);

/// fastText's `comparePairs`: the heap's "less than".
fn less(a: &Scored, b: &Scored) -> bool {
    a.0 > b.0
}

/// libstdc++'s `__push_heap`: moves `value` up from `hole` towards `top`.
fn sift_up(heap: &mut [Scored], mut hole: usize, top: usize, value: Scored) {
    while hole > top {
        let parent = (hole - 1) / 2;
        if !less(&heap[parent], &value) {
            break;
        }
        heap[hole] = heap[parent];
        hole = parent;
    }
    heap[hole] = value;
}

/// libstdc++'s `__adjust_heap`: fills the hole at `hole` of a heap of
/// `len` elements, then places `value`.
fn adjust(heap: &mut [Scored], mut hole: usize, len: usize, value: Scored) {
    let top = hole;
    let mut second = hole;
    while second < len.saturating_sub(1) / 2 {
        second = 2 * (second + 1);
        if less(&heap[second], &heap[second - 1]) {
            second -= 1;
        }
        heap[hole] = heap[second];
        hole = second;
    }
    if len & 1 == 0 && len >= 2 && second == (len - 2) / 2 {
        second = 2 * (second + 1);
        heap[hole] = heap[second - 1];
        hole = second - 1;
    }
    sift_up(heap, hole, top, value);
}

/// `std::push_heap`: the last element joins the heap before it.
pub fn push_heap(heap: &mut [Scored]) {
    if let Some(last) = heap.len().checked_sub(1) {
        let value = heap[last];
        sift_up(heap, last, 0, value);
    }
}

/// `std::pop_heap`: moves the front to the end and re-forms the heap
/// before it.
pub fn pop_heap(heap: &mut [Scored]) {
    let len = heap.len();
    if len > 1 {
        pop_into(heap, len - 1);
    }
}

/// libstdc++'s `__pop_heap(first, last, result)` with `result = last`.
fn pop_into(heap: &mut [Scored], last: usize) {
    let value = heap[last];
    heap[last] = heap[0];
    adjust(heap, 0, last, value);
}

/// `std::sort_heap`: highest score first.
pub fn sort_heap(heap: &mut [Scored]) {
    let mut last = heap.len();
    while last > 1 {
        last -= 1;
        pop_into(heap, last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes every score, keeping the best `k` as fastText's findKBest does.
    fn k_best(scores: &[f32], k: usize) -> Vec<Scored> {
        let mut heap: Vec<Scored> = Vec::new();
        for (i, &s) in scores.iter().enumerate() {
            if heap.len() == k && s < heap[0].0 {
                continue;
            }
            heap.push((s, i as i32));
            push_heap(&mut heap);
            if heap.len() > k {
                pop_heap(&mut heap);
                heap.pop();
            }
        }
        sort_heap(&mut heap);
        heap
    }

    #[test]
    fn keeps_the_k_highest_scores_in_decreasing_order() {
        let scores = [0.1, -3.0, 2.5, 0.7, -0.2, 9.0, 1.0, 0.0];
        for k in 1..=scores.len() {
            let mut expected: Vec<f32> = scores.to_vec();
            expected.sort_by(|a, b| b.total_cmp(a));
            let got: Vec<f32> = k_best(&scores, k).iter().map(|p| p.0).collect();
            assert_eq!(got, expected[..k], "k = {k}");
        }
    }

    #[test]
    fn ties_follow_the_heap_not_the_label_order() {
        // Equal scores come out in libstdc++'s order (worked through by
        // hand from its algorithms), not sorted by label.
        let got = k_best(&[1.0, 1.0, 1.0], 3);
        assert_eq!(got.iter().map(|p| p.1).collect::<Vec<_>>(), vec![2, 1, 0]);
    }
}
