//! Hierarchical softmax: labels are the leaves of a binary Huffman tree
//! built from their training counts, and each internal node `n` has one
//! row of output weights whose logit `z_n` decides, through `σ(z_n)`, the
//! probability of going right:
//!
//! ```text
//! p(label) = Π over the nodes n on the path to label of  σ(z_n) if the path turns right there,
//!                                                        1 − σ(z_n) if it turns left
//! L = −ln p(label) = Σ_path softplus(∓z_n)        dL/dz_n = σ(z_n) − [turns right at n]
//! ```
//!
//! Frequent labels sit near the root, so a training step touches about
//! `log₂(labels)` rows instead of all of them; the probabilities of all
//! labels still sum to 1. With several gold labels the loss is the mean
//! of their `−ln p`, as softmax's targets share the mass.
//!
//! ```
//! use textnn::nn::huffman::HuffmanTree;
//! let tree = HuffmanTree::new(&[50, 30, 10, 10]);
//! assert_eq!(tree.nodes(), 3);
//! assert_eq!(tree.path(0).len(), 1); // the most frequent label is one step from the root
//! let mut p = [0.0f64; 4];
//! tree.probabilities(&[0.3, -1.0, 2.0], &mut p);
//! assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
//! ```

use super::activation::sigmoid;
use crate::linalg::Scalar;

/// The tree: for each label, the internal nodes from the root down to its
/// leaf and which way the path turns at each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HuffmanTree {
    /// `paths[label]` = `(node, turns_right)` from the root down.
    paths: Vec<Vec<(u32, bool)>>,
    /// For each internal node, its children: `(left, right)`, where a
    /// value below `labels` is a leaf (label id) and `labels + i` is
    /// internal node `i`.
    children: Vec<(u32, u32)>,
}

impl HuffmanTree {
    /// The Huffman tree of labels with these training counts (at least
    /// one label). Ties are broken by label id, then by creation order, so
    /// the same counts always give the same tree.
    pub fn new(counts: &[u64]) -> Self {
        let labels = counts.len();
        assert!(labels > 0, "a Huffman tree needs at least one label");
        // Two queues (leaves by ascending count, internal nodes in order of
        // creation, whose counts never decrease) give Huffman's merge order.
        let mut leaves: Vec<usize> = (0..labels).collect();
        leaves.sort_by_key(|&l| (counts[l], l));
        let mut node_counts: Vec<u64> = Vec::with_capacity(labels.saturating_sub(1));
        let mut children = Vec::with_capacity(labels.saturating_sub(1));
        let mut parent = vec![(u32::MAX, false); labels + labels.saturating_sub(1)];
        let (mut next_leaf, mut next_node) = (0, 0);
        let take = |node_counts: &Vec<u64>, next_leaf: &mut usize, next_node: &mut usize| {
            let leaf_count = leaves.get(*next_leaf).map(|&l| counts[l]);
            let node_count = node_counts.get(*next_node).copied();
            match (leaf_count, node_count) {
                (Some(a), Some(b)) if b < a => {
                    *next_node += 1;
                    (labels + *next_node - 1, b)
                }
                (Some(a), _) => {
                    *next_leaf += 1;
                    (leaves[*next_leaf - 1], a)
                }
                (None, Some(b)) => {
                    *next_node += 1;
                    (labels + *next_node - 1, b)
                }
                (None, None) => unreachable!("merging stops at one tree"),
            }
        };
        for i in 0..labels.saturating_sub(1) {
            let (left, left_count) = take(&node_counts, &mut next_leaf, &mut next_node);
            let (right, right_count) = take(&node_counts, &mut next_leaf, &mut next_node);
            node_counts.push(left_count.saturating_add(right_count));
            children.push((left as u32, right as u32));
            parent[left] = (i as u32, false);
            parent[right] = (i as u32, true);
        }
        let paths = (0..labels)
            .map(|label| {
                let mut path = Vec::new();
                let mut at = label;
                while parent[at].0 != u32::MAX {
                    let (node, right) = parent[at];
                    path.push((node, right));
                    at = labels + node as usize;
                }
                path.reverse();
                path
            })
            .collect();
        HuffmanTree { paths, children }
    }

    /// Number of labels (leaves).
    pub fn labels(&self) -> usize {
        self.paths.len()
    }

    /// Number of internal nodes (`labels − 1`): rows of the output layer.
    pub fn nodes(&self) -> usize {
        self.children.len()
    }

    /// The internal nodes from the root to `label`'s leaf, and whether the
    /// path turns right (`σ(z)`) or left (`1 − σ(z)`) at each.
    pub fn path(&self, label: usize) -> &[(u32, bool)] {
        &self.paths[label]
    }

    /// `p[label]` for every label from the node logits `z` (one per node).
    pub fn probabilities<F: Scalar>(&self, logits: &[F], probs: &mut [F]) {
        let labels = self.labels();
        if labels == 1 {
            probs[0] = F::one();
            return;
        }
        // Walk down from the root (the last node created), multiplying.
        let mut stack = vec![(labels + self.nodes() - 1, F::one())];
        while let Some((at, p)) = stack.pop() {
            if at < labels {
                probs[at] = p;
                continue;
            }
            let node = at - labels;
            let right = sigmoid(logits[node]);
            let (l, r) = self.children[node];
            stack.push((l as usize, p * (F::one() - right)));
            stack.push((r as usize, p * right));
        }
    }

    /// `L = (1/m) Σ_{gold} Σ_{path} softplus(∓z_n)`, in `f64`.
    pub fn loss<F: Scalar>(&self, logits: &[F], gold: &[usize]) -> f64 {
        let m = gold.len().max(1) as f64;
        gold.iter()
            .filter(|&&g| g < self.labels())
            .map(|&g| {
                self.paths[g]
                    .iter()
                    .map(|&(node, right)| {
                        let z = logits[node as usize].to_f64_lossy();
                        // −ln σ(z) = softplus(−z); −ln(1 − σ(z)) = softplus(z).
                        super::loss::softplus(if right { -z } else { z })
                    })
                    .sum::<f64>()
                    / m
            })
            .sum()
    }

    /// `dL/dz`: zero except on the gold labels' paths, where it is
    /// `(1/m) Σ (σ(z_n) − [turns right at n])`.
    pub fn gradient<F: Scalar>(&self, logits: &[F], gold: &[usize], dlogits: &mut [F]) {
        dlogits.fill(F::zero());
        let m = F::c(gold.len().max(1) as f64);
        for &g in gold.iter().filter(|&&g| g < self.labels()) {
            for &(node, right) in &self.paths[g] {
                let n = node as usize;
                let target = if right { F::one() } else { F::zero() };
                dlogits[n] = dlogits[n] + (sigmoid(logits[n]) - target) / m;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequent_labels_get_short_paths_and_every_path_is_distinct() {
        let counts = [100, 60, 30, 20, 5, 5, 1];
        let tree = HuffmanTree::new(&counts);
        assert_eq!(tree.nodes(), counts.len() - 1);
        for a in 0..counts.len() {
            for b in 0..counts.len() {
                if counts[a] > counts[b] {
                    assert!(tree.path(a).len() <= tree.path(b).len(), "{:?}", tree.paths);
                }
            }
        }
        let mut codes: Vec<Vec<(u32, bool)>> =
            (0..counts.len()).map(|l| tree.path(l).to_vec()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), counts.len());
        // Huffman's optimality: the weighted path length equals the sum of
        // the merged counts, 6 + 11 + 31 + 61 + 121 + 221 = 451.
        let weighted: u64 = (0..counts.len())
            .map(|l| counts[l] * tree.path(l).len() as u64)
            .sum();
        assert_eq!(weighted, 451);
    }

    #[test]
    fn probabilities_sum_to_one_and_match_the_loss() {
        for labels in [1usize, 2, 3, 7, 40] {
            let counts: Vec<u64> = (0..labels as u64).map(|i| 1 + (i * 37) % 11).collect();
            let tree = HuffmanTree::new(&counts);
            let logits: Vec<f64> = (0..tree.nodes())
                .map(|i| ((i * 13) % 7) as f64 - 3.0)
                .collect();
            let mut p = vec![0.0; labels];
            tree.probabilities(&logits, &mut p);
            assert!(
                (p.iter().sum::<f64>() - 1.0).abs() < 1e-12,
                "{labels} labels: {p:?}"
            );
            for (g, &pg) in p.iter().enumerate() {
                assert!((tree.loss(&logits, &[g]) + pg.ln()).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let tree = HuffmanTree::new(&[9, 7, 4, 4, 2, 1]);
        let logits: Vec<f64> = vec![0.4, -1.2, 2.0, 0.1, -0.3];
        for gold in [vec![0usize], vec![5], vec![2, 4]] {
            let mut g = vec![0.0; logits.len()];
            tree.gradient(&logits, &gold, &mut g);
            for n in 0..logits.len() {
                let h = 1e-6;
                let (mut up, mut down) = (logits.clone(), logits.clone());
                up[n] += h;
                down[n] -= h;
                let numeric = (tree.loss(&up, &gold) - tree.loss(&down, &gold)) / (2.0 * h);
                assert!(
                    (numeric - g[n]).abs() < 1e-7,
                    "node {n}, gold {gold:?}: {numeric} vs {}",
                    g[n]
                );
            }
        }
    }

    #[test]
    fn same_counts_give_the_same_tree() {
        let counts = [3, 3, 3, 3, 3];
        assert_eq!(HuffmanTree::new(&counts), HuffmanTree::new(&counts));
    }
}
