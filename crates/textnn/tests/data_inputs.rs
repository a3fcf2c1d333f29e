//! Hostile and unusual training data, one test per case, across the five
//! formats: each case is handled, skipped with a count in the
//! [`ReadReport`], or refused with `FILE:LINE: reason`. The table of cases,
//! with the unit tests in `src/data/` that cover the rest, is in
//! `docs/input-formats.md`.

use std::time::{Duration, Instant};
use textnn::data::{parse_dataset, DataFormat, Dataset, Example, ReadOptions, ReadReport};
use textnn::text::{TextPipeline, TokenizerKind};
use textnn::TrainConfig;

/// Parses `bytes` as `format` under the name `t`, with `options`.
fn parse_with(format: DataFormat, bytes: &[u8], options: &ReadOptions) -> textnn::Result<Dataset> {
    parse_dataset("t", bytes, format, options)
}

/// Parses `bytes` as `format` with the default options (labels required).
fn parse(format: DataFormat, bytes: &[u8]) -> textnn::Result<Dataset> {
    parse_with(format, bytes, &ReadOptions::default())
}

/// (text, first label, line) of each example.
fn summary(examples: &[Example]) -> Vec<(&str, Option<&str>, usize)> {
    examples
        .iter()
        .map(|e| {
            (
                e.text.as_str(),
                e.labels.first().map(String::as_str),
                e.line,
            )
        })
        .collect()
}

/// The message of an error, asserting that there was one.
fn error(format: DataFormat, result: textnn::Result<Dataset>) -> String {
    match result {
        Ok(dataset) => panic!("{format}: expected an error, got {dataset:?}"),
        Err(error) => error.to_string(),
    }
}

/// The same file in every format: two good records ("good one"/a on line
/// 1, "good two"/b on line 3 of fastText and JSONL, CSV lines 2 and 4 after
/// the header, intents items on lines 2 and 4) and, between them, the
/// record `middle` as each format writes it.
fn in_every_format(middle: [&str; 5]) -> [(DataFormat, String); 5] {
    let [fasttext, csv, tsv, jsonl, intents] = middle;
    [
        (
            DataFormat::FastText,
            format!("__label__a good one\n{fasttext}\n__label__b good two\n"),
        ),
        (
            DataFormat::Csv,
            format!("text,label\ngood one,a\n{csv}\ngood two,b\n"),
        ),
        (
            DataFormat::Tsv,
            format!("text\tlabel\ngood one\ta\n{tsv}\ngood two\tb\n"),
        ),
        (
            DataFormat::Jsonl,
            format!(
                "{{\"text\": \"good one\", \"label\": \"a\"}}\n{jsonl}\n{{\"text\": \"good two\", \"label\": \"b\"}}\n"
            ),
        ),
        (
            DataFormat::Intents,
            format!(
                "[\n{{\"class\": \"a\", \"sentence\": \"good one\"}},\n{intents},\n{{\"class\": \"b\", \"sentence\": \"good two\"}}\n]\n"
            ),
        ),
    ]
}

/// The line of the middle record of [`in_every_format`].
fn middle_line(format: DataFormat) -> usize {
    match format {
        DataFormat::FastText | DataFormat::Jsonl => 2,
        DataFormat::Csv | DataFormat::Tsv | DataFormat::Intents => 3,
    }
}

/// Checks that the two good records of [`in_every_format`] came through.
fn assert_good_records(format: DataFormat, dataset: &Dataset) {
    let first = middle_line(format) - 1;
    assert_eq!(
        summary(&dataset.examples),
        [
            ("good one", Some("a"), first),
            ("good two", Some("b"), first + 2)
        ],
        "{format}"
    );
}

#[test]
fn labels_without_text_are_skipped_and_counted_in_every_format() {
    let files = in_every_format([
        "__label__c  \t",
        ",c",
        "\tc",
        r#"{"label": "c", "text": "  "}"#,
        r#"{"class": "c", "sentence": ""}"#,
    ]);
    for (format, file) in files {
        let dataset = parse(format, file.as_bytes()).unwrap();
        assert_good_records(format, &dataset);
        let report = &dataset.report;
        assert_eq!(report.without_text.count, 1, "{format}");
        assert_eq!(report.without_text.first, [middle_line(format)], "{format}");
        assert_eq!(report.skipped(), 1, "{format}");
        assert_eq!(
            report.to_string(),
            format!(
                "skipped 1 line: 1 without text (line {})",
                middle_line(format)
            )
        );
    }
}

#[test]
fn text_without_a_label_is_skipped_in_training_data_and_kept_for_prediction() {
    let files = in_every_format([
        "no label here",
        "no label here,",
        "no label here\t ",
        r#"{"text": "no label here", "labels": []}"#,
        r#"{"sentence": "no label here"}"#,
    ]);
    let prediction = ReadOptions {
        require_labels: false,
        ..ReadOptions::default()
    };
    for (format, file) in files {
        let dataset = parse(format, file.as_bytes()).unwrap();
        assert_good_records(format, &dataset);
        assert_eq!(dataset.report.without_label.count, 1, "{format}");
        assert_eq!(
            dataset.report.without_label.first,
            [middle_line(format)],
            "{format}"
        );

        let dataset = parse_with(format, file.as_bytes(), &prediction).unwrap();
        assert!(dataset.report.is_clean(), "{format}: {:?}", dataset.report);
        assert_eq!(
            summary(&dataset.examples)[1],
            ("no label here", None, middle_line(format)),
            "{format}"
        );
    }
}

#[test]
fn a_file_of_only_skipped_lines_is_refused_with_the_reasons() {
    let file = b"__label__a\nno label\nno label either\n";
    let message = error(DataFormat::FastText, parse(DataFormat::FastText, file));
    assert_eq!(
        message,
        "t: no examples: skipped 3 lines: 1 without text (line 1), 2 without label (lines 2, 3) \
         (texts come from the words that are not labels, labels from words starting with \"__label__\")"
    );
}

#[test]
fn the_report_keeps_five_line_numbers_and_counts_the_rest() {
    let mut file = String::from("__label__a x\n");
    for _ in 0..12 {
        file.push_str("unlabelled\n");
    }
    let report = parse(DataFormat::FastText, file.as_bytes()).unwrap().report;
    assert_eq!(report.without_label.count, 12);
    assert_eq!(report.without_label.first, [2, 3, 4, 5, 6]);
    assert_eq!(
        report.to_string(),
        "skipped 12 lines: 12 without label (lines 2, 3, 4, 5, 6, ...)"
    );
}

#[test]
fn invalid_utf8_is_refused_with_line_and_byte_offset_in_every_format() {
    // \u{1} marks where the invalid byte goes.
    let files = in_every_format([
        "__label__c ab\u{1}",
        "ab\u{1},c",
        "ab\u{1}\tc",
        "{\"text\": \"ab\u{1}\", \"label\": \"c\"}",
        "{\"sentence\": \"ab\u{1}\", \"class\": \"c\"}",
    ]);
    for (format, file) in files {
        let line_start = file
            .lines()
            .take(middle_line(format) - 1)
            .map(|l| l.len() + 1)
            .sum::<usize>();
        let offset = file.find('\u{1}').unwrap() - line_start;
        // 0xFF is never valid in UTF-8.
        let bytes: Vec<u8> = file
            .bytes()
            .map(|b| if b == 1 { 0xFF } else { b })
            .collect();
        let message = error(format, parse(format, &bytes));
        let expected = format!(
            "t:{}: invalid UTF-8 at byte offset {offset} of the line",
            middle_line(format)
        );
        assert!(message.starts_with(&expected), "{format}: {message}");
        assert!(message.contains("--lossy"), "{format}: {message}");
    }
}

#[test]
fn invalid_utf8_with_lossy_becomes_replacement_characters_in_every_format() {
    let files = in_every_format([
        "__label__c ab\u{1}cd\u{1}",
        "ab\u{1}cd\u{1},c",
        "ab\u{1}cd\u{1}\tc",
        "{\"text\": \"ab\u{1}cd\u{1}\", \"label\": \"c\"}",
        "{\"sentence\": \"ab\u{1}cd\u{1}\", \"class\": \"c\"}",
    ]);
    let lossy = ReadOptions {
        lossy: true,
        ..ReadOptions::default()
    };
    for (format, file) in files {
        // A lone continuation byte and a truncated 3-byte sequence.
        let bytes = file
            .replacen('\u{1}', "\u{0}", 1)
            .replacen('\u{1}', "\u{2}", 1);
        let mut raw = Vec::new();
        for byte in bytes.into_bytes() {
            match byte {
                0 => raw.push(0x80),
                2 => raw.extend_from_slice(&[0xE2, 0x82]),
                other => raw.push(other),
            }
        }
        let dataset = parse_with(format, &raw, &lossy).unwrap();
        let middle = &dataset.examples[1];
        assert_eq!(middle.text, "ab\u{FFFD}cd\u{FFFD}", "{format}");
        assert_eq!(middle.line, middle_line(format), "{format}");
        let report = &dataset.report;
        assert_eq!(report.replaced_utf8.count, 1, "{format}: one line repaired");
        assert_eq!(report.replaced_utf8.first, [middle_line(format)]);
        assert_eq!(report.skipped(), 0);
        assert_eq!(
            report.to_string(),
            format!(
                "replaced invalid UTF-8 with U+FFFD on 1 line (line {})",
                middle_line(format)
            )
        );
    }
}

#[test]
fn nul_bytes_separate_fasttext_words_stay_in_csv_text_and_are_refused_raw_in_json() {
    let (fasttext, csv, tsv, jsonl, intents) = match in_every_format([
        "__label__c nul\0separated\0",
        "nul\0kept,c",
        "nul\0kept\tc",
        "{\"text\": \"nul\0raw\", \"label\": \"c\"}",
        "{\"sentence\": \"nul\0raw\", \"class\": \"c\"}",
    ]) {
        [a, b, c, d, e] => (a, b, c, d, e),
    };
    let dataset = parse(fasttext.0, fasttext.1.as_bytes()).unwrap();
    assert_eq!(dataset.examples[1].text, "nul separated");
    for (format, file) in [csv, tsv] {
        let dataset = parse(format, file.as_bytes()).unwrap();
        assert_eq!(dataset.examples[1].text, "nul\0kept", "{format}");
    }
    for (format, file) in [jsonl, intents] {
        let message = error(format, parse(format, file.as_bytes()));
        let expected = format!("t:{}: invalid JSON at column", middle_line(format));
        assert!(message.starts_with(&expected), "{format}: {message}");
        assert!(message.contains("control character"), "{format}: {message}");
    }
}

#[test]
fn a_byte_order_mark_is_ignored_in_every_format() {
    for (format, file) in in_every_format([
        "__label__c mid",
        "mid,c",
        "mid\tc",
        r#"{"text": "mid", "label": "c"}"#,
        r#"{"sentence": "mid", "class": "c"}"#,
    ]) {
        let with_bom = format!("\u{FEFF}{file}");
        let plain = parse(format, file.as_bytes()).unwrap();
        let bommed = parse(format, with_bom.as_bytes()).unwrap();
        assert_eq!(plain, bommed, "{format}");
        assert_eq!(bommed.examples.len(), 3, "{format}");
    }
}

#[test]
fn crlf_line_ends_and_a_last_line_without_newline_read_as_lf_in_every_format() {
    for (format, file) in in_every_format([
        "__label__c mid",
        "mid,c",
        "mid\tc",
        r#"{"text": "mid", "label": "c"}"#,
        r#"{"sentence": "mid", "class": "c"}"#,
    ]) {
        let expected = parse(format, file.as_bytes()).unwrap();
        let crlf = file.replace('\n', "\r\n");
        assert_eq!(
            parse(format, crlf.as_bytes()).unwrap(),
            expected,
            "{format} crlf"
        );
        let unterminated = file.trim_end_matches('\n');
        assert_eq!(
            parse(format, unterminated.as_bytes()).unwrap(),
            expected,
            "{format} without final newline"
        );
        let both = crlf.trim_end_matches("\r\n");
        assert_eq!(
            parse(format, both.as_bytes()).unwrap(),
            expected,
            "{format} both"
        );
    }
}

/// Parses `file` and asserts it took less than a generous bound: a
/// quadratic reader would need hours on 10 MB, a linear one well under a
/// second, so the bound only tells the two apart on a busy machine.
fn parse_in_linear_time(format: DataFormat, file: &[u8]) -> Dataset {
    let started = Instant::now();
    let dataset = parse(format, file).unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(30),
        "{format}: {} MB took {elapsed:?}",
        file.len() / 1_000_000
    );
    dataset
}

#[test]
fn a_ten_megabyte_line_is_read_in_linear_time() {
    const WORDS: usize = 2_000_000; // "word " × 2,000,000 = 10 MB
    let long_text = "word ".repeat(WORDS);
    let long_text = long_text.trim_end();
    let files = [
        (
            DataFormat::FastText,
            format!("__label__a short\n__label__b {long_text}\n"),
        ),
        (DataFormat::Csv, format!("text,label\nshort,a\n{long_text},b\n")),
        (
            DataFormat::Jsonl,
            format!(
                "{{\"text\": \"short\", \"label\": \"a\"}}\n{{\"text\": \"{long_text}\", \"label\": \"b\"}}\n"
            ),
        ),
        (
            DataFormat::Intents,
            format!(
                "[{{\"class\": \"a\", \"sentence\": \"short\"}},\n{{\"class\": \"b\", \"sentence\": \"{long_text}\"}}]"
            ),
        ),
    ];
    for (format, file) in files {
        assert!(file.len() > 10_000_000, "{format}");
        let dataset = parse_in_linear_time(format, file.as_bytes());
        assert_eq!(dataset.examples.len(), 2, "{format}");
        assert_eq!(dataset.examples[1].text.len(), long_text.len(), "{format}");
        let line = if format == DataFormat::Csv { 3 } else { 2 };
        assert_eq!(dataset.examples[1].line, line, "{format}");
    }
}

#[test]
fn tabs_and_unicode_spaces_separate_fasttext_words_and_labels() {
    // Tab, no-break space, em space, ideographic space, narrow no-break space.
    let file = "__label__a\u{A0}one\ttwo\u{2003}three\u{3000}four\u{202F}__label__b\n";
    let dataset = parse(DataFormat::FastText, file.as_bytes()).unwrap();
    assert_eq!(dataset.examples[0].text, "one two three four");
    assert_eq!(dataset.examples[0].labels, ["a", "b"]);
}

#[test]
fn unicode_spaces_are_kept_in_csv_and_json_texts_and_trimmed_from_labels() {
    let text = "one\u{A0}two\u{2003}three\u{3000}four\tfive";
    let files = [
        (
            DataFormat::Csv,
            format!("text,label\n\"{text}\",\u{A0}a\u{3000}\n"),
        ),
        (
            DataFormat::Tsv,
            format!("text\tlabel\n\"{text}\"\t\u{2003}a\n"),
        ),
        (
            DataFormat::Jsonl,
            format!(
                "{{\"text\": \"{}\", \"label\": \"\u{A0}a\"}}\n",
                text.replace('\t', "\\t")
            ),
        ),
    ];
    for (format, file) in files {
        let dataset = parse(format, file.as_bytes()).unwrap();
        assert_eq!(dataset.examples[0].text, text, "{format}");
        assert_eq!(dataset.examples[0].labels, ["a"], "{format}");
    }
}

/// Every Unicode white-space character that is not ASCII: `char::is_whitespace`.
const UNICODE_SPACES: [char; 19] = [
    '\u{85}', '\u{A0}', '\u{1680}', '\u{2000}', '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}',
    '\u{2005}', '\u{2006}', '\u{2007}', '\u{2008}', '\u{2009}', '\u{200A}', '\u{2028}', '\u{2029}',
    '\u{202F}', '\u{205F}', '\u{3000}',
];

/// The tokens of `text` under the fastText preset's pipeline (whitespace
/// tokenizer) and under the default one (unicode tokenizer).
fn tokens_of_both_tokenizers(text: &str) -> (Vec<String>, Vec<String>) {
    let whitespace = TextPipeline::new(TrainConfig::fasttext().text);
    assert_eq!(whitespace.config().tokenizer, TokenizerKind::Whitespace);
    let unicode = TextPipeline::new(TrainConfig::default_preset().text);
    assert_eq!(unicode.config().tokenizer, TokenizerKind::Unicode);
    (whitespace.tokenize(text), unicode.tokenize(text))
}

#[test]
fn unicode_spaces_split_whitespace_tokens_as_the_fasttext_reader_splits_words() {
    assert!(UNICODE_SPACES.iter().all(|c| c.is_whitespace()));
    for space in UNICODE_SPACES {
        let text = format!("one{space}two");
        // The fastText reader: two words (and a label after the space).
        let line = format!("__label__a{space}{text}\n");
        let dataset = parse(DataFormat::FastText, line.as_bytes()).unwrap();
        assert_eq!(
            dataset.examples[0].text, "one two",
            "U+{:04X}",
            space as u32
        );
        assert_eq!(dataset.examples[0].labels, ["a"], "U+{:04X}", space as u32);
        // Both tokenizers: two tokens, whether the text came through the
        // fastText reader (joined by ' ') or kept whole (CSV, JSON, predict).
        for seen in [text.as_str(), "one two"] {
            let (whitespace, unicode) = tokens_of_both_tokenizers(seen);
            assert_eq!(whitespace, ["one", "two"], "U+{:04X}", space as u32);
            assert_eq!(unicode, ["one", "two"], "U+{:04X}", space as u32);
        }
    }
}

#[test]
fn zero_width_characters_are_not_spaces() {
    // (text, whitespace tokens, unicode tokens): U+200B ZERO WIDTH SPACE,
    // U+2060 WORD JOINER and U+FEFF are not white space, so no reader or
    // whitespace tokenizer splits there; UAX #29 cuts at U+200B only.
    let cases: [(&str, &[&str], &[&str]); 3] = [
        ("one\u{200B}two", &["one\u{200B}two"], &["one", "two"]),
        ("one\u{2060}two", &["one\u{2060}two"], &["one\u{2060}two"]),
        ("one\u{FEFF}two", &["one\u{FEFF}two"], &["one\u{FEFF}two"]),
    ];
    for (text, whitespace_expected, unicode_expected) in cases {
        let line = format!("__label__a {text}\n");
        let dataset = parse(DataFormat::FastText, line.as_bytes()).unwrap();
        assert_eq!(dataset.examples[0].text, text);
        let csv = format!("text,label\n{text},a\n");
        let dataset = parse(DataFormat::Csv, csv.as_bytes()).unwrap();
        assert_eq!(dataset.examples[0].text, text);
        let (whitespace, unicode) = tokens_of_both_tokenizers(text);
        assert_eq!(whitespace, whitespace_expected, "{text:?}");
        assert_eq!(unicode, unicode_expected, "{text:?}");
    }
}

/// Text that stresses Unicode handling: a decomposed accent (e + U+0301),
/// Hebrew and Arabic (right to left, with a right-to-left mark), emoji with
/// a skin tone and a zero-width-joiner family.
const UNICODE_TEXTS: [(&str, &str); 3] = [
    ("cafe\u{301} cre\u{300}me brûlée", "food"),
    ("\u{5E9}\u{5DC}\u{5D5}\u{5DD} \u{200F}مرحبا بك", "greeting"),
    ("party 🎉 👍🏽 👨‍👩‍👧 tonight", "party"),
];

#[test]
fn combining_marks_right_to_left_text_and_emoji_are_kept_byte_for_byte() {
    let fasttext: String = UNICODE_TEXTS
        .iter()
        .map(|(text, label)| format!("__label__{label} {text}\n"))
        .collect();
    let jsonl: String = UNICODE_TEXTS
        .iter()
        .map(|(text, label)| format!("{{\"text\": \"{text}\", \"label\": \"{label}\"}}\n"))
        .collect();
    let csv: String = std::iter::once("text,label\n".to_string())
        .chain(
            UNICODE_TEXTS
                .iter()
                .map(|(text, label)| format!("{text},{label}\n")),
        )
        .collect();
    for (format, file) in [
        (DataFormat::FastText, fasttext),
        (DataFormat::Jsonl, jsonl),
        (DataFormat::Csv, csv),
    ] {
        let dataset = parse(format, file.as_bytes()).unwrap();
        let got: Vec<(&str, &str)> = dataset
            .examples
            .iter()
            .map(|e| (e.text.as_str(), e.labels[0].as_str()))
            .collect();
        assert_eq!(got, UNICODE_TEXTS, "{format}");
    }
}

#[test]
fn combining_marks_right_to_left_text_and_emoji_train_and_predict() {
    let examples: Vec<Example> = UNICODE_TEXTS
        .iter()
        .enumerate()
        .map(|(index, (text, label))| Example {
            text: text.to_string(),
            labels: vec![label.to_string()],
            line: index + 1,
        })
        .collect();
    let mut config = textnn::TrainConfig::default_preset();
    config.epochs = 40;
    config.network.dim = 8;
    config.dropout = 0.0;
    let model = textnn::train(&config, &examples, &mut |_| {}).unwrap();
    // NFC makes the decomposed accent match the precomposed one.
    let cases = [("café", "food"), ("שלום", "greeting"), ("🎉", "party")];
    for (text, label) in cases {
        let top = model.predict(text, 1, 0.0);
        assert_eq!(model.label_name(top[0].0), label, "{text}");
    }
}

#[test]
fn csv_physical_lines_survive_quoted_newlines_for_later_skips_and_errors() {
    // Record 1 spans lines 2-4, record 2 (no text) is line 5, record 3
    // spans lines 6-7 with a CRLF inside, record 4 has too many fields.
    let file = "text,label\n\"multi\nline, \"\"quoted\"\"\ntext\",a\n,b\n\"crlf\r\ninside\",c\ntoo,many,fields\n";
    let message = error(DataFormat::Csv, parse(DataFormat::Csv, file.as_bytes()));
    assert!(
        message.starts_with("t:8: expected 2 fields like the header, found 3"),
        "{message}"
    );
    let fixed = file.replace("too,many,fields", "fine,d");
    let dataset = parse(DataFormat::Csv, fixed.as_bytes()).unwrap();
    assert_eq!(
        summary(&dataset.examples),
        [
            ("multi\nline, \"quoted\"\ntext", Some("a"), 2),
            ("crlf\r\ninside", Some("c"), 6),
            ("fine", Some("d"), 8),
        ]
    );
    assert_eq!(dataset.report.without_text.first, [5]);
}

#[test]
fn a_clean_file_has_an_empty_report() {
    let dataset = parse(DataFormat::FastText, b"__label__a x\n").unwrap();
    assert_eq!(dataset.report, ReadReport::default());
    assert!(dataset.report.is_clean());
    assert_eq!(dataset.report.to_string(), "");
}
