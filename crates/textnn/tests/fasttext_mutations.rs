//! Damaged and hostile fastText models: every truncation, a sweep of bit
//! flips over whole files, every bit of the fields that fix the model's
//! shape, and one test per hostile field. A fastText file has no checksum,
//! so a flip inside a word or a weight can give another valid model; what
//! must hold is that loading never panics, that an error names the file
//! and the byte, and that every structural field is checked.

use std::path::Path;
use textnn::fasttext_model::FastTextModel;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fasttext")
            .join(name),
    )
    .unwrap()
}

/// Loads `bytes`: the error message, or `None` when it loaded. A panic
/// fails the test with `case`.
fn load(bytes: &[u8], case: &str) -> Option<String> {
    match std::panic::catch_unwind(|| FastTextModel::from_bytes("m.bin", bytes)) {
        Ok(Ok(model)) => {
            // An accepted model must predict numbers in [0, 1 + 1e-5 per level].
            for (_, p) in model.predict("turn on the kitchen lights", 0, 0.0) {
                assert!((0.0..=1.001).contains(&p), "{case}: probability {p}");
            }
            None
        }
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => panic!("loading panicked: {case}"),
    }
}

/// The error of loading `bytes`, which must be refused.
fn error(bytes: &[u8], case: &str) -> String {
    let err = load(bytes, case).unwrap_or_else(|| panic!("{case}: loaded"));
    assert!(
        err.starts_with("m.bin: fastText model, byte "),
        "{case}: {err}"
    );
    err
}

/// Offsets in a fastText file: the fixed header fields, and where the
/// dictionary's entries end (the quantized-input flag).
const DIM: usize = 8;
const WORD_NGRAMS: usize = 28;
const LOSS: usize = 32;
const MODEL: usize = 36;
const BUCKET: usize = 40;
const MINN: usize = 44;
const MAXN: usize = 48;
const T: usize = 56;
const SIZE: usize = 64;
const N_WORDS: usize = 68;
const N_LABELS: usize = 72;
const PRUNE_SIZE: usize = 84;
const ENTRIES: usize = 92;

/// Offset of the byte after the dictionary entries (no pruning map).
fn after_entries(bytes: &[u8]) -> usize {
    let size = i32::from_le_bytes(bytes[SIZE..SIZE + 4].try_into().unwrap());
    let mut at = ENTRIES;
    for _ in 0..size {
        at += bytes[at..].iter().position(|&b| b == 0).unwrap() + 1 + 9;
    }
    at
}

fn set_i32(bytes: &mut [u8], at: usize, value: i32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn set_i64(bytes: &mut [u8], at: usize, value: i64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn every_truncation_of_a_model_is_refused() {
    // Every cut in the header and dictionary, where the fields are; every
    // 13th in the matrices (each load reads the whole dictionary first).
    let bytes = fixture("softmax_words.bin");
    let matrices = after_entries(&bytes);
    let cuts = (0..matrices).chain((matrices..bytes.len()).step_by(13));
    for len in cuts {
        let err = error(&bytes[..len], &format!("prefix {len}"));
        assert!(err.contains("truncated"), "prefix {len}: {err}");
    }
    assert!(load(&bytes, "whole").is_none());
}

#[test]
fn truncations_of_a_quantized_pruned_model_are_refused() {
    let bytes = fixture("hs_quantized_pruned.ftz");
    for len in (0..bytes.len()).step_by(17) {
        error(&bytes[..len], &format!("prefix {len}"));
    }
}

#[test]
fn a_byte_after_the_model_is_refused() {
    let mut bytes = fixture("softmax_quantized.ftz");
    bytes.push(0);
    assert!(error(&bytes, "trailing byte").contains("1 unexpected bytes after the end"));
}

#[test]
fn bit_flips_anywhere_never_panic() {
    for name in [
        "hs_wordngrams.bin",
        "hs_quantized_pruned.ftz",
        "ova_words.bin",
    ] {
        let bytes = fixture(name);
        for bit in (0..bytes.len() * 8).step_by(211) {
            let mut b = bytes.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            if let Some(err) = load(&b, &format!("{name}: bit {bit}")) {
                assert!(err.starts_with("m.bin: "), "{name}: bit {bit}: {err}");
            }
        }
    }
}

#[test]
fn every_bit_flip_in_the_shape_fields_is_refused() {
    // dim, bucket, the dictionary's sizes and the matrices' shapes fix how
    // many bytes follow: any change must be caught.
    let bytes = fixture("softmax_ngrams.bin");
    let flag = after_entries(&bytes);
    let input_shape = flag + 1;
    let fields = [
        DIM,
        BUCKET,
        SIZE,
        N_WORDS,
        N_LABELS,
        input_shape,
        input_shape + 8,
    ];
    for at in fields {
        for bit in 0..32 {
            let mut b = bytes.clone();
            b[at + bit / 8] ^= 1 << (bit % 8);
            error(&b, &format!("field at {at}, bit {bit}"));
        }
    }
}

/// A change made to a model's bytes.
type Mutation = Box<dyn Fn(&mut Vec<u8>)>;

#[test]
fn hostile_settings_are_refused_by_name() {
    let bytes = fixture("softmax_ngrams.bin");
    let cases: Vec<(&str, Mutation, &str)> = vec![
        (
            "magic",
            Box::new(|b| set_i32(b, 0, 1)),
            "not a fastText model",
        ),
        ("version 11", Box::new(|b| set_i32(b, 4, 11)), "version 11"),
        (
            "dim 0",
            Box::new(|b| set_i32(b, DIM, 0)),
            "dim must be between 1",
        ),
        (
            "dim negative",
            Box::new(|b| set_i32(b, DIM, -4)),
            "dim must be between 1",
        ),
        (
            "word n-grams 0",
            Box::new(|b| set_i32(b, WORD_NGRAMS, 0)),
            "wordNgrams",
        ),
        (
            "loss 9",
            Box::new(|b| set_i32(b, LOSS, 9)),
            "unknown loss 9",
        ),
        (
            "cbow",
            Box::new(|b| set_i32(b, MODEL, 1)),
            "unsupervised cbow",
        ),
        (
            "model 7",
            Box::new(|b| set_i32(b, MODEL, 7)),
            "unknown model kind 7",
        ),
        (
            "bucket negative",
            Box::new(|b| set_i32(b, BUCKET, -1)),
            "bucket must be",
        ),
        (
            "bucket 0 with n-grams",
            Box::new(|b| set_i32(b, BUCKET, 0)),
            "bucket is 0",
        ),
        (
            "minn above maxn",
            Box::new(|b| set_i32(b, MINN, 9)),
            "minn 9 is above maxn",
        ),
        (
            "maxn negative",
            Box::new(|b| set_i32(b, MAXN, -1)),
            "maxn must be",
        ),
        (
            "t NaN",
            Box::new(|b| b[T..T + 8].copy_from_slice(&f64::NAN.to_le_bytes())),
            "t (sampling",
        ),
        (
            "size negative",
            Box::new(|b| set_i32(b, SIZE, -1)),
            "dictionary size",
        ),
        (
            "huge dictionary",
            Box::new(|b| {
                set_i32(b, SIZE, i32::MAX);
                set_i32(b, N_WORDS, i32::MAX - 42);
            }),
            "truncated: the dictionary's entries: 21474836470 bytes needed",
        ),
        (
            "words above size",
            Box::new(|b| set_i32(b, N_WORDS, i32::MAX)),
            "word count",
        ),
        (
            "no label",
            Box::new(|b| {
                let n = i32::from_le_bytes(b[N_LABELS..N_LABELS + 4].try_into().unwrap());
                set_i32(b, N_LABELS, 0);
                let words = i32::from_le_bytes(b[N_WORDS..N_WORDS + 4].try_into().unwrap());
                set_i32(b, N_WORDS, words + n);
            }),
            "at least one label",
        ),
        (
            "prune size -2",
            Box::new(|b| set_i64(b, PRUNE_SIZE, -2)),
            "pruned n-gram count",
        ),
        (
            "huge pruning map",
            Box::new(|b| set_i64(b, PRUNE_SIZE, i32::MAX as i64)),
            "truncated",
        ),
        (
            "entry type 2",
            Box::new(|b| {
                let at = ENTRIES + b[ENTRIES..].iter().position(|&x| x == 0).unwrap() + 9;
                b[at] = 2;
            }),
            "an entry's type must be 0 or 1",
        ),
        (
            "a label among the words",
            Box::new(|b| {
                let at = ENTRIES + b[ENTRIES..].iter().position(|&x| x == 0).unwrap() + 9;
                b[at] = 1;
            }),
            "entry 0 is a label",
        ),
        (
            "negative count",
            Box::new(|b| {
                let at = ENTRIES + b[ENTRIES..].iter().position(|&x| x == 0).unwrap() + 1;
                set_i64(b, at, -5);
            }),
            "an entry's count",
        ),
        (
            "quantized flag 2",
            Box::new(|b| {
                let at = after_entries(b);
                b[at] = 2;
            }),
            "quantized-input flag must be 0 or 1",
        ),
        (
            "pruned but dense",
            Box::new(|b| set_i64(b, PRUNE_SIZE, 0)),
            "pruned but the input matrix is not quantized",
        ),
        (
            "input rows",
            Box::new(|b| {
                let at = after_entries(b) + 1;
                set_i64(b, at, i64::MAX);
            }),
            "the input matrix is 9223372036854775807 × 4",
        ),
        (
            "a NaN weight",
            Box::new(|b| {
                let at = after_entries(b) + 1 + 16 + 4 * 7;
                b[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
            }),
            "NaN or infinite value",
        ),
        (
            "an infinite output weight",
            Box::new(|b| {
                let n = b.len();
                b[n - 4..].copy_from_slice(&f32::INFINITY.to_le_bytes());
            }),
            "NaN or infinite value",
        ),
    ];
    for (case, mutate, expected) in cases {
        let mut b = bytes.clone();
        mutate(&mut b);
        let err = error(&b, case);
        assert!(err.contains(expected), "{case}: {err}");
    }
}

#[test]
fn a_duplicated_word_is_refused() {
    // Rename the second word to the first: same length needed, so find two
    // words of equal length.
    let bytes = fixture("softmax_words.bin");
    let mut starts = vec![ENTRIES];
    for _ in 0..50 {
        let at = *starts.last().unwrap();
        starts.push(at + bytes[at..].iter().position(|&b| b == 0).unwrap() + 10);
    }
    let word =
        |at: usize| bytes[at..at + bytes[at..].iter().position(|&b| b == 0).unwrap()].to_vec();
    let (a, b) = starts
        .iter()
        .enumerate()
        .flat_map(|(i, &a)| starts[i + 1..].iter().map(move |&b| (a, b)))
        .find(|&(a, b)| word(a).len() == word(b).len())
        .unwrap();
    let mut mutated = bytes.clone();
    let first = word(a);
    mutated[b..b + first.len()].copy_from_slice(&first);
    assert!(error(&mutated, "duplicate").contains("appears twice"));
}

#[test]
fn hostile_quantizer_fields_are_refused_by_name() {
    let bytes = fixture("softmax_quantized.ftz");
    let flag = after_entries(&bytes);
    assert_eq!(bytes[flag], 1, "the fixture is quantized");
    // qnorm (1), rows (8), cols (8), code size (4), codes, then the quantizer.
    let code_size_at = flag + 1 + 1 + 16;
    let code_size =
        i32::from_le_bytes(bytes[code_size_at..code_size_at + 4].try_into().unwrap()) as usize;
    let pq = code_size_at + 4 + code_size;
    let cases: Vec<(&str, usize, i32, &str)> = vec![
        // A wrong code size shifts every later field: refused, whichever
        // field then looks wrong first.
        (
            "code size",
            code_size_at,
            code_size as i32 - 3,
            "the input matrix",
        ),
        ("huge code size", code_size_at, i32::MAX, "truncated"),
        ("quantizer dim", pq, 4, "do not split dim 4"),
        ("dsub 0", pq + 8, 0, "dsub must be between 1"),
        ("dsub huge", pq + 8, 1000, "dsub must be between 1 and 64"),
        ("nsubq", pq + 4, 2, "do not split dim"),
        ("lastdsub", pq + 12, 2, "do not split dim"),
    ];
    for (case, at, value, expected) in cases {
        let mut b = bytes.clone();
        set_i32(&mut b, at, value);
        let err = error(&b, case);
        assert!(err.contains(expected), "{case}: {err}");
    }
    let mut b = bytes.clone();
    b[flag + 1] = 7;
    assert!(error(&b, "qnorm 7").contains("qnorm must be 0 or 1"));
}

#[test]
fn a_textnn_container_holding_a_fasttext_model_checks_its_shapes() {
    let model = FastTextModel::from_bytes("m", &fixture("ova_charngrams.bin")).unwrap();
    let bytes = model.to_bytes();
    assert!(FastTextModel::container_from_bytes("c", &bytes).is_ok());
    for len in (0..bytes.len()).step_by(97) {
        assert!(
            FastTextModel::container_from_bytes("c", &bytes[..len]).is_err(),
            "prefix {len}"
        );
    }
    // A flipped bit anywhere fails the checksum.
    for bit in (0..bytes.len() * 8).step_by(101) {
        let mut b = bytes.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        assert!(
            FastTextModel::container_from_bytes("c", &b).is_err(),
            "bit {bit}"
        );
    }
}
