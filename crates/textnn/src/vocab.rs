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

use rustc_hash::FxHashMap;

// Keys are strings from the training data and lookups come from any text:
// FxHash is several times faster than SipHash here, and a lookup in a
// table that is already built cannot be made to degrade by its input.
type Index = FxHashMap<String, u32>;

/// A table of strings with ids `0..len` and the count each had in training.
/// Used for the vocabulary (words) and for the labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dictionary {
    names: Vec<String>,
    counts: Vec<u64>,
    index: Index,
}

/// Counts names one at a time, so a corpus can be streamed through once
/// without keeping its tokens; [`Counter::finish`] makes the [`Dictionary`].
///
/// Each distinct name gets a provisional id in order of first sight, which
/// callers can keep instead of the string and translate to the final id
/// with the table [`Counter::finish_with_ids`] returns.
#[derive(Clone, Debug, Default)]
pub struct Counter {
    index: Index,
    counts: Vec<u64>,
}

impl Counter {
    /// Counts one more occurrence of `name`; returns its provisional id and
    /// whether this was its first occurrence.
    pub fn add(&mut self, name: &str) -> (u32, bool) {
        if let Some(&id) = self.index.get(name) {
            self.counts[id as usize] += 1;
            return (id, false);
        }
        let id = self.counts.len() as u32;
        self.index.insert(name.to_string(), id);
        self.counts.push(1);
        (id, true)
    }

    /// Adds every name and count of `other`, taking `other`'s names in the
    /// order it first saw them; returns, for each of `other`'s provisional
    /// ids, the name's provisional id here. Merging the counters of the
    /// consecutive parts of a corpus in order thus gives the same ids and
    /// counts as one counter reading the whole corpus.
    pub fn merge(&mut self, other: Counter) -> Vec<u32> {
        if self.is_empty() {
            // Nothing to look up: take the table as it is.
            let ids = (0..other.len() as u32).collect();
            *self = other;
            return ids;
        }
        let mut names = vec![String::new(); other.len()];
        for (name, id) in other.index {
            names[id as usize] = name;
        }
        names
            .into_iter()
            .zip(other.counts)
            .map(|(name, count)| self.add_count(name, count))
            .collect()
    }

    /// Counts `count` more occurrences of `name`; returns its provisional id.
    fn add_count(&mut self, name: String, count: u64) -> u32 {
        if let Some(&id) = self.index.get(&name) {
            self.counts[id as usize] += count;
            return id;
        }
        let id = self.counts.len() as u32;
        self.index.insert(name, id);
        self.counts.push(count);
        id
    }

    /// Distinct names seen so far.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The dictionary of the names seen at least `min_count` times, ids by
    /// decreasing count, then by name.
    pub fn finish(self, min_count: u64) -> Dictionary {
        self.finish_with_ids(min_count).0
    }

    /// [`Counter::finish`], plus the final id of each provisional id
    /// (`None` for names below `min_count`).
    pub fn finish_with_ids(self, min_count: u64) -> (Dictionary, Vec<Option<u32>>) {
        let mut entries: Vec<(String, u64, u32)> = self
            .index
            .into_iter()
            .map(|(name, id)| (name, self.counts[id as usize], id))
            .filter(|&(_, c, _)| c >= min_count)
            .collect();
        entries.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut final_ids = vec![None; self.counts.len()];
        for (final_id, (_, _, provisional)) in entries.iter().enumerate() {
            final_ids[*provisional as usize] = Some(final_id as u32);
        }
        let entries = entries
            .into_iter()
            .map(|(name, count, _)| (name, count))
            .collect();
        let dictionary = Dictionary::from_entries(entries).expect("counted names are distinct");
        (dictionary, final_ids)
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
        let mut index = Index::with_capacity_and_hasher(entries.len(), Default::default());
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

    /// Splits `names` into the ids of the known ones (`known`) and the
    /// unknown names (`unknown`), in order; both are cleared first. What
    /// scoring needs of an example's gold labels.
    pub fn split_known(&self, names: &[String], known: &mut Vec<usize>, unknown: &mut Vec<String>) {
        known.clear();
        unknown.clear();
        for name in names {
            match self.id(name) {
                Some(id) => known.push(id as usize),
                None => unknown.push(name.clone()),
            }
        }
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
    fn provisional_ids_translate_to_final_ids() {
        let mut counter = Counter::default();
        let words = ["b", "a", "b", "c", "a", "b"];
        let provisional: Vec<u32> = words.iter().map(|w| counter.add(w).0).collect();
        assert_eq!(provisional, [0, 1, 0, 2, 1, 0]);
        assert_eq!(counter.add("d"), (3, true));
        let (dictionary, final_ids) = counter.finish_with_ids(2);
        assert_eq!(dictionary.names(), &["b", "a"]);
        assert_eq!(final_ids, [Some(0), Some(1), None, None]);
        for (w, p) in words.iter().zip(provisional) {
            assert_eq!(dictionary.id(w), final_ids[p as usize]);
        }
    }

    #[test]
    fn merged_parts_count_like_the_whole() {
        let words = ["b", "a", "b", "c", "a", "b", "d", "c", "e", "a", "f", "b"];
        let mut whole = Counter::default();
        let whole_ids: Vec<u32> = words.iter().map(|w| whole.add(w).0).collect();
        let whole_counts = whole.counts.clone();
        let whole_dictionary = whole.finish(1);
        // (cut points of `words` into consecutive parts)
        let table: [&[usize]; 5] = [&[], &[0], &[12], &[3, 3, 7], &[1, 2, 5, 9, 11]];
        for cuts in table {
            let mut bounds = vec![0];
            bounds.extend_from_slice(cuts);
            bounds.push(words.len());
            let mut merged = Counter::default();
            let mut merged_ids = Vec::new();
            for part in bounds.windows(2).map(|b| &words[b[0]..b[1]]) {
                let mut counter = Counter::default();
                let local: Vec<u32> = part.iter().map(|w| counter.add(w).0).collect();
                let to_merged = merged.merge(counter);
                merged_ids.extend(local.iter().map(|&id| to_merged[id as usize]));
            }
            assert_eq!(merged_ids, whole_ids, "cuts {cuts:?}");
            assert_eq!(merged.counts, whole_counts, "cuts {cuts:?}");
            assert_eq!(merged.finish(1), whole_dictionary, "cuts {cuts:?}");
        }
    }

    #[test]
    fn merge_maps_each_provisional_id() {
        let mut first = Counter::default();
        for w in ["x", "y", "x"] {
            first.add(w);
        }
        let mut second = Counter::default();
        for w in ["z", "x", "z", "z"] {
            second.add(w);
        }
        // second's ids: z = 0, x = 1; in first: x = 0, y = 1, then z = 2.
        assert_eq!(first.merge(second), [2, 0]);
        assert_eq!(first.counts, [3, 1, 3]);
        assert_eq!(first.merge(Counter::default()), [] as [u32; 0]);
        let mut empty = Counter::default();
        assert_eq!(empty.merge(first), [0, 1, 2]);
        assert_eq!(empty.counts, [3, 1, 3]);
    }

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
