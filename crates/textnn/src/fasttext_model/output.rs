//! fastText's output layer at prediction, with fastText's arithmetic.
//!
//! With the hidden vector `h` (the mean of the input rows) and output rows
//! `w_j`:
//!
//! ```text
//! softmax   p_j = exp(w_j·h − max) / Σ exp(w_k·h − max)
//! ova, ns   p_j = σ(w_j·h), σ read from fastText's 512-step table on [−8, 8] (0 below, 1 above)
//! hs        p_leaf = Π over the path from the root of σ(±w_node·h), searched depth first
//! score     s_j = ln(p_j + 1e-5)            (hs: the sum of ln(σ + 1e-5) along the path)
//! reported  exp(s_j)                         (what fastText's predict prints)
//! ```
//!
//! The `1e-5` inside the logarithm is fastText's (`std_log`): a reported
//! probability is the model's plus `1e-5` (for hs, one such term per tree
//! level), and textnn reports the same numbers so that both programs agree
//! to the last digit. The k best are kept with the C++ heap algorithms
//! ([`super::heap`]), so even ties come out in fastText's order.

use super::args::FastTextLoss;
use super::heap::{pop_heap, push_heap, sort_heap, Scored};
use super::matrix::Rows;

/// fastText's `SIGMOID_TABLE_SIZE` and `MAX_SIGMOID`.
const SIGMOID_TABLE_SIZE: usize = 512;
const MAX_SIGMOID: f32 = 8.0;

/// The count fastText's hs tree gives nodes not yet built; label counts
/// must stay below it.
pub const UNBUILT_NODE_COUNT: i64 = 1_000_000_000_000_000;

/// fastText's `std_log`: `ln(x + 1e-5)`, the `1e-5` added in double
/// precision.
pub fn std_log(x: f32) -> f32 {
    ((x as f64) + 1e-5).ln() as f32
}

/// One node of the hierarchical-softmax tree: leaves are the labels
/// (`0..n_labels`), internal nodes follow.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Node {
    left: i32,
    right: i32,
    count: i64,
}

/// The output layer of a fastText model.
#[derive(Clone, Debug)]
pub struct OutputLayer {
    loss: FastTextLoss,
    weights: Rows,
    n_labels: usize,
    tree: Vec<Node>,
    sigmoid_table: Vec<f32>,
}

impl OutputLayer {
    /// The layer for `loss` with `weights` (one row per label; hs uses the
    /// first `n_labels − 1` as its internal nodes) and the labels' training
    /// counts, from which hs builds its tree as fastText does.
    pub fn new(loss: FastTextLoss, weights: Rows, label_counts: &[i64]) -> Self {
        let n_labels = label_counts.len();
        let tree = if loss == FastTextLoss::Hs {
            huffman_tree(label_counts)
        } else {
            Vec::new()
        };
        OutputLayer {
            loss,
            weights,
            n_labels,
            tree,
            sigmoid_table: sigmoid_table(),
        }
    }

    /// The output weights.
    pub fn weights(&self) -> &Rows {
        &self.weights
    }

    /// fastText's table sigmoid (`Loss::sigmoid`).
    fn sigmoid(&self, x: f32) -> f32 {
        if x < -MAX_SIGMOID {
            0.0
        } else if x > MAX_SIGMOID {
            1.0
        } else {
            let i = ((x + MAX_SIGMOID) * SIGMOID_TABLE_SIZE as f32 / MAX_SIGMOID / 2.0) as usize;
            self.sigmoid_table[i]
        }
    }

    /// Each label's output for softmax (probabilities) and ova/ns
    /// (independent sigmoids), into `out` (`computeOutput`).
    fn compute_output(&self, hidden: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.extend((0..self.n_labels).map(|j| self.weights.dot_row(hidden, j)));
        if self.loss == FastTextLoss::Softmax {
            let max = out.iter().fold(out[0], |m, &v| if v > m { v } else { m });
            let mut z = 0.0f32;
            for v in out.iter_mut() {
                *v = ((*v - max) as f64).exp() as f32;
                z += *v;
            }
            for v in out.iter_mut() {
                *v /= z;
            }
        } else {
            for v in out.iter_mut() {
                *v = self.sigmoid(*v);
            }
        }
    }

    /// The `k` best labels (fastText's `predict`), highest score first, as
    /// `(score, label)`; `output` is a buffer.
    pub fn predict(
        &self,
        hidden: &[f32],
        k: usize,
        threshold: f32,
        output: &mut Vec<f32>,
        heap: &mut Vec<Scored>,
    ) {
        heap.clear();
        if self.loss == FastTextLoss::Hs {
            let root = 2 * self.n_labels - 2;
            self.dfs(k, threshold, root, heap, hidden);
        } else {
            self.compute_output(hidden, output);
            for (i, &p) in output.iter().enumerate() {
                if p < threshold {
                    continue;
                }
                let score = std_log(p);
                if heap.len() == k && score < heap[0].0 {
                    continue;
                }
                heap.push((score, i as i32));
                push_heap(heap);
                if heap.len() > k {
                    pop_heap(heap);
                    heap.pop();
                }
            }
        }
        sort_heap(heap);
    }

    /// `HierarchicalSoftmaxLoss::dfs`: leaves reached with a score above
    /// `ln(threshold + 1e-5)` that beat the heap's worst. fastText recurses;
    /// this walks the same pre-order (left subtree first) with a stack of
    /// its own, so a deep tree (a hostile file's) cannot overflow the call
    /// stack.
    fn dfs(&self, k: usize, threshold: f32, root: usize, heap: &mut Vec<Scored>, hidden: &[f32]) {
        let floor = std_log(threshold);
        let mut stack = vec![(root, 0.0f32)];
        while let Some((node, score)) = stack.pop() {
            if score < floor {
                continue;
            }
            if heap.len() == k && score < heap[0].0 {
                continue;
            }
            let Node { left, right, .. } = self.tree[node];
            if left == -1 && right == -1 {
                heap.push((score, node as i32));
                push_heap(heap);
                if heap.len() > k {
                    pop_heap(heap);
                    heap.pop();
                }
                continue;
            }
            let f = self.node_sigmoid(hidden, node);
            // `1.0 - f` is computed in double, then passed to std_log as a float.
            let left_score = score + std_log((1.0f64 - f as f64) as f32);
            // Right first, so that the left subtree is walked first.
            stack.push((right as usize, score + std_log(f)));
            stack.push((left as usize, left_score));
        }
    }

    /// `σ(w_node · h)` of an internal node, as fastText's hs computes it:
    /// `1. / (1 + std::exp(-f))` with a float `exp`.
    fn node_sigmoid(&self, hidden: &[f32], node: usize) -> f32 {
        let f = self.weights.dot_row(hidden, node - self.n_labels);
        (1.0f64 / (1.0f32 + (-f).exp()) as f64) as f32
    }

    /// Every label's probability (without fastText's `1e-5`), by label id:
    /// softmax, the sigmoids of ova/ns, or for hs the product along each
    /// leaf's path.
    pub fn probabilities(&self, hidden: &[f32], out: &mut Vec<f32>) {
        if self.loss != FastTextLoss::Hs {
            self.compute_output(hidden, out);
            return;
        }
        out.clear();
        out.resize(self.n_labels, 0.0);
        let mut stack = vec![(2 * self.n_labels - 2, 1.0f32)];
        while let Some((node, p)) = stack.pop() {
            let Node { left, right, .. } = self.tree[node];
            if left == -1 {
                out[node] = p;
                continue;
            }
            let f = self.node_sigmoid(hidden, node);
            stack.push((left as usize, p * (1.0 - f)));
            stack.push((right as usize, p * f));
        }
    }

    /// Whether labels are independent (ova, ns) rather than competing.
    pub fn is_one_vs_all(&self) -> bool {
        matches!(self.loss, FastTextLoss::Ova | FastTextLoss::Ns)
    }
}

/// fastText's sigmoid table: `σ(x)` at 513 points from −8 to 8.
fn sigmoid_table() -> Vec<f32> {
    (0..=SIGMOID_TABLE_SIZE)
        .map(|i| {
            let x = (i * 2 * MAX_SIGMOID as usize) as f32 / SIGMOID_TABLE_SIZE as f32 - MAX_SIGMOID;
            (1.0 / (1.0 + (-x).exp() as f64)) as f32
        })
        .collect()
}

/// `HierarchicalSoftmaxLoss::buildTree`: labels sorted by decreasing count
/// are the leaves; the two least frequent of the remaining leaves and
/// internal nodes merge (on equal counts the internal node is taken first).
/// Every count must be below [`UNBUILT_NODE_COUNT`] (the reader checks),
/// so a leaf always wins over a node not yet built.
fn huffman_tree(counts: &[i64]) -> Vec<Node> {
    let n = counts.len();
    let mut tree = vec![
        Node {
            left: -1,
            right: -1,
            count: UNBUILT_NODE_COUNT,
        };
        2 * n - 1
    ];
    for (node, &count) in tree.iter_mut().zip(counts) {
        node.count = count;
    }
    let mut leaf = n as i64 - 1;
    let mut node = n;
    for i in n..2 * n - 1 {
        let mut mini = [0usize; 2];
        for slot in &mut mini {
            if leaf >= 0 && tree[leaf as usize].count < tree[node].count {
                *slot = leaf as usize;
                leaf -= 1;
            } else {
                *slot = node;
                node += 1;
            }
        }
        tree[i].left = mini[0] as i32;
        tree[i].right = mini[1] as i32;
        tree[i].count = tree[mini[0]].count.saturating_add(tree[mini[1]].count);
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_table_runs_from_zero_to_one() {
        let table = sigmoid_table();
        assert_eq!(table.len(), 513);
        assert!((table[256] - 0.5).abs() < 1e-7);
        assert!(table[0] < 0.001 && table[512] > 0.999);
    }

    #[test]
    fn huffman_tree_of_three_labels() {
        // Counts 5, 3, 2: 2 and 3 merge first (node 3, count 5), then node 3
        // with label 0 (equal counts: the internal node comes first).
        let tree = huffman_tree(&[5, 3, 2]);
        assert_eq!((tree[3].left, tree[3].right, tree[3].count), (2, 1, 5));
        assert_eq!((tree[4].left, tree[4].right, tree[4].count), (3, 0, 10));
    }

    #[test]
    fn hs_probabilities_sum_to_one() {
        let weights = Rows {
            rows: 3,
            cols: 2,
            values: vec![0.3, -0.2, 1.5, 0.4, 0.0, 0.0],
            scales: None,
        };
        let layer = OutputLayer::new(FastTextLoss::Hs, weights, &[5, 3, 2]);
        let mut p = Vec::new();
        layer.probabilities(&[0.7, -1.1], &mut p);
        let sum: f32 = p.iter().sum();
        assert!((sum - 1.0).abs() < 1e-6, "{p:?}");
    }
}
