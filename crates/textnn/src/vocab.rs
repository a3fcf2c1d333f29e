//! Token ↔ id and label ↔ id tables, with counts.
//!
//! Ids are assigned by decreasing count, ties broken by the string itself,
//! so the same training data always gives the same ids (and the same model
//! file), whatever order a hash map would iterate in.
//!
//! ```
//! use textnn::vocab::Dictionary;
//! let d = Dictionary::build(["b", "a", "b", "c"].into_iter(), 1);
//! assert_eq!(d.names(), &["b", "a", "c"]);
//! assert_eq!(d.id("a"), Some(1));
//! assert_eq!(Dictionary::build(["b", "a", "b"].into_iter(), 2).names(), &["b"]);
//! ```

use std::collections::HashMap;

/// A table of strings with ids `0..len` and the count each had in training.
/// Used for the vocabulary (words) and for the labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dictionary {
    names: Vec<String>,
    counts: Vec<u64>,
    index: HashMap<String, u32>,
}

/// Counts names one at a time, so a corpus can be streamed through once
/// without keeping its tokens; [`Counter::finish`] makes the [`Dictionary`].
#[derive(Clone, Debug, Default)]
pub struct Counter {
    counts: HashMap<String, u64>,
}

impl Counter {
    /// Counts one more occurrence of `name`.
    pub fn add(&mut self, name: &str) {
        match self.counts.get_mut(name) {
            Some(count) => *count += 1,
            None => {
                self.counts.insert(name.to_string(), 1);
            }
        }
    }

    /// The dictionary of the names seen at least `min_count` times, ids by
    /// decreasing count, then by name.
    pub fn finish(self, min_count: u64) -> Dictionary {
        let mut entries: Vec<(String, u64)> = self
            .counts
            .into_iter()
            .filter(|&(_, c)| c >= min_count)
            .collect();
        entries.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Dictionary::from_entries(entries).expect("counted names are distinct")
    }
}

impl Dictionary {
    /// Counts `items` and keeps those seen at least `min_count` times.
    pub fn build<'a>(items: impl Iterator<Item = &'a str>, min_count: u64) -> Self {
        let mut counter = Counter::default();
        for item in items {
            counter.add(item);
        }
        counter.finish(min_count)
    }

    /// Rebuilds a dictionary from stored `(name, count)` pairs, in id order.
    /// Returns the first duplicate name as the error.
    pub fn from_entries(entries: Vec<(String, u64)>) -> Result<Self, String> {
        let mut index = HashMap::with_capacity(entries.len());
        let mut names = Vec::with_capacity(entries.len());
        let mut counts = Vec::with_capacity(entries.len());
        for (i, (name, count)) in entries.into_iter().enumerate() {
            if index.insert(name.clone(), i as u32).is_some() {
                return Err(name);
            }
            names.push(name);
            counts.push(count);
        }
        Ok(Dictionary {
            names,
            counts,
            index,
        })
    }

    /// Id of `name`, if known.
    #[inline]
    pub fn id(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// Name of id `id`.
    pub fn name(&self, id: usize) -> &str {
        &self.names[id]
    }

    /// All names, by id.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Training counts, by id.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_count_then_name() {
        // (items, min_count, expected names by id)
        let table: [(&[&str], u64, &[&str]); 4] = [
            (&["x", "y", "y", "z", "z"], 1, &["y", "z", "x"]),
            (&["x", "y", "y", "z", "z"], 2, &["y", "z"]),
            (&["x"], 2, &[]),
            (&[], 1, &[]),
        ];
        for (items, min_count, expected) in table {
            let d = Dictionary::build(items.iter().copied(), min_count);
            assert_eq!(d.names(), expected, "{items:?} min {min_count}");
        }
    }

    #[test]
    fn from_entries_refuses_duplicates() {
        let err = Dictionary::from_entries(vec![("a".into(), 1), ("a".into(), 2)]).unwrap_err();
        assert_eq!(err, "a");
    }
}
