//! The pass before the first epoch: examples in, vocabulary, labels and
//! feature ids out, on several threads.
//!
//! ```text
//! examples, split into contiguous chunks (one per thread)
//!   chunk k: tokenize ─▶ own Counter (provisional ids in first-seen order) + token numbers
//! counters merged in chunk order ─▶ vocabulary (min-count), word n-gram setting, labels
//!   chunk k: token numbers ─▶ feature ids (character n-grams tokenize again), gold labels
//! chunks concatenated in order ─▶ training data; validation examples likewise
//! ```
//!
//! Merging the chunk counters in chunk order, each taking its names in the
//! order that chunk first saw them, hands out exactly the provisional ids
//! one counter gives when it reads all examples in order. So the
//! vocabulary, the feature ids and the model bytes do not depend on the
//! number of threads.

use super::{known_labels, sliced, Prepared, TrainConfig};
use crate::data::Example;
use crate::features::{word_hash, Featurizer};
use crate::text::TextPipeline;
use crate::vocab::{Counter, Dictionary};

/// Everything training needs from the examples before the first epoch.
pub(super) struct Preparation {
    /// The tokenizer the model keeps.
    pub pipeline: TextPipeline,
    /// Words kept (min-count), ids by decreasing count then word.
    pub vocab: Dictionary,
    /// Labels of the training examples.
    pub labels: Dictionary,
    /// Feature extraction over `vocab`.
    pub featurizer: Featurizer,
    /// The settings with what the data decides filled in: word n-grams
    /// (`bigrams_from_tokens`) and the threads training will use.
    pub config: TrainConfig,
    /// Feature ids and gold label ids of every training example, in order.
    pub data: Prepared,
    /// The same for the validation examples that have a known label.
    pub valid: Prepared,
}

/// Tokenizes, counts and featurizes `examples` (and `valid`) on
/// `config.threads` threads; the result is the same for any thread count.
pub(super) fn prepare(
    config: &TrainConfig,
    examples: &[&Example],
    valid: &[&Example],
) -> Preparation {
    let threads = config.threads.max(1);
    let pipeline = TextPipeline::new(config.text.clone());
    let chunks = split(examples, threads);
    let counted = in_parallel(chunks.clone(), |chunk| count_chunk(&pipeline, chunk));

    // Merge the chunks' counters in chunk order (see the module comment).
    let mut counter = Counter::default();
    let mut numbered = Vec::with_capacity(counted.len());
    let mut total_tokens = 0u64;
    for chunk in counted {
        total_tokens += chunk.numbers.ids.len() as u64;
        let to_merged = counter.merge(chunk.counter);
        numbered.push((chunk.numbers, chunk.word_hashes, to_merged));
    }

    let mut config = config.clone();
    if let Some(threshold) = config.bigrams_from_tokens {
        config.features.word_ngrams = if total_tokens >= threshold { 2 } else { 1 };
    }
    config.threads = match sliced::supported(&config) {
        Ok(()) => sliced::effective_threads(config.threads, config.network.dim),
        Err(_) => 1,
    };
    let (vocab, word_ids) = counter.finish_with_ids(config.min_count);
    let labels = Dictionary::build(
        examples
            .iter()
            .flat_map(|e| e.labels.iter().map(String::as_str)),
        1,
    );
    let featurizer = Featurizer::new(config.features.clone(), vocab.len());

    let context = Context {
        pipeline: &pipeline,
        vocab: &vocab,
        labels: &labels,
        featurizer: &featurizer,
    };
    let jobs = chunks.into_iter().zip(numbered).collect();
    let data = concatenate(in_parallel(
        jobs,
        |(chunk, (numbers, hashes, to_merged))| {
            // This chunk's own table of final ids: its provisional id → the
            // merged provisional id → the vocabulary id.
            let chunk_word_ids: Vec<Option<u32>> = to_merged
                .iter()
                .map(|&merged| word_ids[merged as usize])
                .collect();
            context.featurize_chunk(chunk, &numbers, &chunk_word_ids, &hashes)
        },
    ));
    let valid = concatenate(in_parallel(split(valid, threads), |chunk| {
        context.featurize_valid(chunk)
    }));

    Preparation {
        pipeline,
        vocab,
        labels,
        featurizer,
        config,
        data,
        valid,
    }
}

/// What one thread learns from its chunk of examples.
struct CountedChunk {
    /// The chunk's names, provisional ids in the order the chunk saw them.
    counter: Counter,
    /// Each example's tokens as provisional ids of `counter`.
    numbers: Prepared,
    /// [`word_hash`] of each provisional id.
    word_hashes: Vec<u64>,
}

/// Tokenizes and counts one chunk, keeping each token as a number.
fn count_chunk(pipeline: &TextPipeline, chunk: &[&Example]) -> CountedChunk {
    let mut counter = Counter::default();
    let mut word_hashes = Vec::new();
    let mut numbers = Prepared::new();
    let mut tokens = Vec::new();
    let mut example_numbers = Vec::new();
    for example in chunk {
        pipeline.tokenize_into(&example.text, &mut tokens);
        example_numbers.clear();
        for token in &tokens {
            let (number, first_time) = counter.add(token);
            if first_time {
                word_hashes.push(word_hash(token));
            }
            example_numbers.push(number);
        }
        numbers.push(&example_numbers, &[]);
    }
    CountedChunk {
        counter,
        numbers,
        word_hashes,
    }
}

/// The finished tables every featurizing thread reads.
struct Context<'a> {
    pipeline: &'a TextPipeline,
    vocab: &'a Dictionary,
    labels: &'a Dictionary,
    featurizer: &'a Featurizer,
}

impl Context<'_> {
    /// Feature ids and gold labels of a chunk of training examples, from
    /// their token numbers (`word_ids` and `word_hashes` are indexed by
    /// the chunk's provisional ids). Character n-grams need the text, so
    /// with them each example is tokenized again.
    fn featurize_chunk(
        &self,
        chunk: &[&Example],
        numbers: &Prepared,
        word_ids: &[Option<u32>],
        word_hashes: &[u64],
    ) -> Prepared {
        let mut data = Prepared::new();
        let (mut tokens, mut features, mut gold) = (Vec::new(), Vec::new(), Vec::new());
        for (i, example) in chunk.iter().enumerate() {
            if self.featurizer.config().char_ngrams.is_some() {
                self.pipeline.tokenize_into(&example.text, &mut tokens);
                self.featurizer.extract(self.vocab, &tokens, &mut features);
            } else {
                self.featurizer.extract_numbered(
                    numbers.features(i),
                    word_ids,
                    word_hashes,
                    &mut features,
                );
            }
            known_labels(self.labels, &example.labels, &mut gold);
            data.push(&features, &gold);
        }
        data
    }

    /// Feature ids and gold labels of a chunk of validation examples,
    /// skipping those without a label known from training.
    fn featurize_valid(&self, chunk: &[&Example]) -> Prepared {
        let mut data = Prepared::new();
        let (mut tokens, mut features, mut gold) = (Vec::new(), Vec::new(), Vec::new());
        for example in chunk {
            known_labels(self.labels, &example.labels, &mut gold);
            if gold.is_empty() {
                continue;
            }
            self.pipeline.tokenize_into(&example.text, &mut tokens);
            self.featurizer.extract(self.vocab, &tokens, &mut features);
            data.push(&features, &gold);
        }
        data
    }
}

/// `items` cut into at most `parts` contiguous chunks of nearly equal
/// length, in order; always at least one chunk (empty for no items).
fn split<T>(items: &[T], parts: usize) -> Vec<&[T]> {
    let chunk_len = items.len().div_ceil(parts.max(1)).max(1);
    if items.is_empty() {
        return vec![items];
    }
    items.chunks(chunk_len).collect()
}

/// `work` applied to every input, one scoped thread per input after the
/// first (which the calling thread takes); results in input order. A panic
/// in `work` is passed on to the caller.
fn in_parallel<I: Send, R: Send>(inputs: Vec<I>, work: impl Fn(I) -> R + Sync) -> Vec<R> {
    let mut inputs = inputs.into_iter();
    let Some(first) = inputs.next() else {
        return Vec::new();
    };
    let work = &work;
    std::thread::scope(|scope| {
        let others: Vec<_> = inputs
            .map(|input| scope.spawn(move || work(input)))
            .collect();
        let mut results = Vec::with_capacity(others.len() + 1);
        results.push(work(first));
        for handle in others {
            match handle.join() {
                Ok(result) => results.push(result),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    })
}

/// The examples of `parts`, in order, as one [`Prepared`].
fn concatenate(parts: Vec<Prepared>) -> Prepared {
    let mut parts = parts.into_iter();
    let Some(mut all) = parts.next() else {
        return Prepared::new();
    };
    for part in parts {
        for i in 0..part.len() {
            all.push(part.features(i), part.gold(i));
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureConfig;
    use crate::train::Batch;

    fn examples() -> Vec<Example> {
        let texts = [
            ("the cat sat on the mat", "pets"),
            ("a dog and a cat", "pets"),
            ("stocks fell sharply today", "money"),
            ("the bank raised rates", "money"),
            ("rates and stocks and the cat", "money"),
            ("my dog ate the homework", "pets"),
            ("Über café naïve façade", "words"),
            ("", "empty"),
            ("bank bank bank", "money"),
        ];
        texts
            .iter()
            .enumerate()
            .map(|(i, (text, label))| Example {
                text: (*text).into(),
                labels: vec![(*label).into(), "any".into()],
                line: i + 1,
            })
            .collect()
    }

    /// Everything `prepare` decides, except the threads training will use.
    fn outcome(p: &Preparation) -> impl PartialEq + std::fmt::Debug {
        let all = |d: &Prepared| {
            (0..d.len())
                .map(|i| (d.features(i).to_vec(), d.gold(i).to_vec()))
                .collect::<Vec<_>>()
        };
        (
            p.vocab.names().to_vec(),
            p.vocab.counts().to_vec(),
            p.labels.names().to_vec(),
            p.featurizer.clone(),
            p.config.features.clone(),
            all(&p.data),
            all(&p.valid),
        )
    }

    #[test]
    fn any_thread_count_prepares_the_same_data() {
        let all = examples();
        let (train, valid): (Vec<&Example>, Vec<&Example>) =
            (all.iter().collect(), all[2..6].iter().collect());
        // (word n-grams, character n-grams, min count, words decided by data)
        let settings = [
            (1, None, 1, None),
            (2, None, 1, None),
            (3, None, 2, None),
            (1, Some((2, 4)), 1, None),
            (1, None, 1, Some(10)),
            (1, None, 1, Some(1_000)),
        ];
        for (word_ngrams, char_ngrams, min_count, bigrams_from_tokens) in settings {
            let config = TrainConfig {
                features: FeatureConfig {
                    word_ngrams,
                    char_ngrams,
                    buckets: 1_000,
                    binary: false,
                },
                min_count,
                bigrams_from_tokens,
                ..TrainConfig::fasttext()
            };
            let one = prepare(&config, &train, &valid);
            assert_eq!(one.data.len(), train.len());
            assert_eq!(one.valid.len(), valid.len());
            for threads in [2, 3, 4, 9, 20] {
                let many = prepare(
                    &TrainConfig {
                        threads,
                        ..config.clone()
                    },
                    &train,
                    &valid,
                );
                assert_eq!(
                    outcome(&many),
                    outcome(&one),
                    "{threads} threads, word n-grams {word_ngrams}, char n-grams {char_ngrams:?}"
                );
            }
        }
    }

    #[test]
    fn the_data_decides_bigrams_and_the_trainer_decides_threads() {
        let all = examples();
        let train: Vec<&Example> = all.iter().collect();
        // The examples hold 37 tokens; the sliced trainer (batch 1) uses
        // the threads asked for, the general one (batch 2) one thread.
        // (bigrams from tokens, batch, requested threads, word n-grams, threads)
        let table = [
            (Some(37), 1, 3, 2, 3),
            (Some(38), 1, 3, 1, 3),
            (None, 1, 2, 1, 2),
            (None, 2, 2, 1, 1),
        ];
        for (bigrams_from_tokens, batch, threads, word_ngrams, used) in table {
            let config = TrainConfig {
                bigrams_from_tokens,
                batch: Batch::Size(batch),
                threads,
                ..TrainConfig::fasttext()
            };
            let p = prepare(&config, &train, &[]);
            assert_eq!(
                p.config.features.word_ngrams, word_ngrams,
                "{bigrams_from_tokens:?}"
            );
            assert_eq!(p.config.threads, used, "batch {batch}");
        }
    }

    #[test]
    fn validation_keeps_only_examples_with_known_labels() {
        let all = examples();
        let train: Vec<&Example> = all[..4].iter().collect();
        let unknown = Example {
            text: "a dog".into(),
            labels: vec!["never seen".into()],
            line: 1,
        };
        let valid = vec![&all[4], &unknown, &all[5]];
        for threads in [1, 2, 3] {
            let p = prepare(
                &TrainConfig {
                    threads,
                    ..TrainConfig::fasttext()
                },
                &train,
                &valid,
            );
            assert_eq!(p.valid.len(), 2, "{threads} threads");
            let money = p.labels.id("money").unwrap() as usize;
            let pets = p.labels.id("pets").unwrap() as usize;
            let any = p.labels.id("any").unwrap() as usize;
            assert_eq!(p.valid.gold(0), [money, any]);
            assert_eq!(p.valid.gold(1), [pets, any]);
        }
    }

    #[test]
    fn split_gives_contiguous_chunks_in_order() {
        // (items, parts, chunk lengths)
        let table: [(usize, usize, &[usize]); 6] = [
            (0, 3, &[0]),
            (1, 3, &[1]),
            (5, 1, &[5]),
            (5, 2, &[3, 2]),
            (6, 3, &[2, 2, 2]),
            (7, 3, &[3, 3, 1]),
        ];
        for (n, parts, lengths) in table {
            let items: Vec<usize> = (0..n).collect();
            let chunks = split(&items, parts);
            let got: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
            assert_eq!(got, lengths, "{n} items in {parts} parts");
            assert_eq!(chunks.concat(), items);
        }
    }

    #[test]
    fn in_parallel_keeps_input_order() {
        let squares = in_parallel((0..7u64).collect(), |x| x * x);
        assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36]);
        assert!(in_parallel(Vec::<u8>::new(), |x| x).is_empty());
    }

    #[test]
    fn concatenate_keeps_every_example_in_order() {
        let part = |rows: &[(&[u32], &[usize])]| {
            let mut p = Prepared::new();
            for (ids, gold) in rows {
                p.push(ids, gold);
            }
            p
        };
        let all = concatenate(vec![
            part(&[(&[1, 2], &[0]), (&[], &[1])]),
            part(&[]),
            part(&[(&[3], &[0, 1])]),
        ]);
        assert_eq!(all.len(), 3);
        assert_eq!(all.features(0), [1, 2]);
        assert_eq!(all.gold(0), [0]);
        assert_eq!(all.features(1), [] as [u32; 0]);
        assert_eq!(all.gold(1), [1]);
        assert_eq!(all.features(2), [3]);
        assert_eq!(all.gold(2), [0, 1]);
        assert_eq!(concatenate(Vec::new()).len(), 0);
    }
}
