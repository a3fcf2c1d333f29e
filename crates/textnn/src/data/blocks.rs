//! Reading a data file a block at a time, so that training never holds the
//! whole corpus in memory.
//!
//! fastText and JSONL files are cut into blocks of whole lines of about
//! [`BLOCK_BYTES`] each (a newline byte never occurs inside a UTF-8
//! sequence, so a cut after one is always at a character boundary); CSV,
//! TSV (quoted fields may span lines) and intents JSON (one document) are
//! one block. Every block is parsed by the same code as [`read_dataset`],
//! with line numbers counted from the block's first line, so the examples,
//! the errors and the [`ReadReport`] are exactly those of a whole-file read.
//!
//! [`read_dataset`]: super::read_dataset

use std::io::Read;
use std::path::Path;

use super::{input_error, no_examples, parse_part, DataFormat, Example, ReadOptions, ReadReport};
use crate::{Error, Result};

/// How many bytes of a line-based file [`read_blocks`] parses at a time
/// (a block grows past it only to finish a longer line).
pub const BLOCK_BYTES: usize = 16 << 20;

/// Reads `path` in blocks of about `block_bytes` (see the module comment)
/// and calls `each` with the examples of every block, in file order.
/// Returns what was skipped or repaired. The errors are those of
/// [`read_dataset`](super::read_dataset), "no examples" included (found
/// at the end, after `each` has seen every block); an error from `each`
/// stops the reading and is returned.
pub fn read_blocks(
    path: &Path,
    options: &ReadOptions,
    block_bytes: usize,
    each: &mut dyn FnMut(Vec<Example>) -> Result<()>,
) -> Result<ReadReport> {
    let source = path.display().to_string();
    if path.is_dir() {
        return Err(input_error(&source, "is a directory, expected a data file"));
    }
    let format = options
        .format
        .unwrap_or_else(|| DataFormat::from_path(path));
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut report = ReadReport::default();
    let mut examples_seen = 0usize;
    let mut give = |examples: Vec<Example>| {
        examples_seen += examples.len();
        each(examples)
    };
    if !matches!(format, DataFormat::FastText | DataFormat::Jsonl) {
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, e))?;
        give(parse_part(
            &source,
            &bytes,
            1,
            format,
            options,
            &mut report,
        )?)?;
    } else {
        let block_bytes = block_bytes.max(1);
        let mut buffer: Vec<u8> = Vec::new();
        let mut first_line = 1;
        let mut end_of_file = false;
        while !end_of_file {
            // Fill the buffer to a block, or further until it holds a newline.
            let mut wanted = block_bytes;
            let cut = loop {
                end_of_file =
                    fill(&mut file, &mut buffer, wanted).map_err(|e| Error::io(path, e))?;
                if end_of_file {
                    break buffer.len();
                }
                match buffer.iter().rposition(|&b| b == b'\n') {
                    Some(newline) => break newline + 1,
                    None => wanted = buffer.len() + block_bytes,
                }
            };
            let block = &buffer[..cut];
            let examples = parse_part(&source, block, first_line, format, options, &mut report)?;
            first_line += block.iter().filter(|&&b| b == b'\n').count();
            buffer.drain(..cut);
            give(examples)?;
        }
    }
    if examples_seen == 0 {
        return Err(input_error(&source, no_examples(format, options, &report)));
    }
    Ok(report)
}

/// Reads from `file` until `buffer` holds `wanted` bytes or the file ends;
/// true when it ended.
fn fill(file: &mut std::fs::File, buffer: &mut Vec<u8>, wanted: usize) -> std::io::Result<bool> {
    while buffer.len() < wanted {
        let start = buffer.len();
        buffer.resize(wanted, 0);
        match file.read(&mut buffer[start..]) {
            Ok(0) => {
                buffer.truncate(start);
                return Ok(true);
            }
            Ok(n) => buffer.truncate(start + n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buffer.truncate(start),
            Err(e) => {
                buffer.truncate(start);
                return Err(e);
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::read_dataset;
    use std::io::Write;

    /// Every block size gives what one whole-file read gives: the same
    /// examples (line numbers included), report, or error.
    fn agrees_with_a_whole_read(name: &str, content: &[u8], options: &ReadOptions) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(content)
            .unwrap();
        let whole = read_dataset(&path, options).map_err(|e| e.to_string());
        for block_bytes in [1, 2, 3, 7, 16, 64, 1 << 20] {
            let mut examples = Vec::new();
            let mut blocks = 0;
            let read = read_blocks(&path, options, block_bytes, &mut |block| {
                blocks += 1;
                examples.extend(block);
                Ok(())
            })
            .map_err(|e| e.to_string());
            let streamed = read.map(|report| (examples, report));
            let expected = whole
                .clone()
                .map(|dataset| (dataset.examples, dataset.report));
            assert_eq!(streamed, expected, "{name}, blocks of {block_bytes} bytes");
            if block_bytes == 1 && name.ends_with(".txt") && expected.is_ok() {
                assert!(blocks > 1, "{name} was not cut into blocks");
            }
        }
    }

    #[test]
    fn blocks_give_the_examples_reports_and_errors_of_a_whole_read() {
        let plain = ReadOptions::default();
        let lossy = ReadOptions {
            lossy: true,
            ..ReadOptions::default()
        };
        let cases: Vec<(&str, &[u8], &ReadOptions)> = vec![
            ("a.txt", b"__label__a one two\n__label__b three\n", &plain),
            ("bom.txt", b"\xEF\xBB\xBF__label__a x\r\n\r\n__label__b y z\r\n", &plain),
            ("skips.txt", b"__label__a\nno label here\n\n__label__b ok\n__label__c  last", &plain),
            ("long.txt", b"__label__a a very long line that spans many small blocks\n__label__b x\n", &plain),
            ("bad.txt", b"__label__a fine\n__label__b caf\xC3\n__label__c x\n", &plain),
            ("repaired.txt", b"__label__a fine\n__label__b caf\xC3 \xFF\n__label__c \xFEx\n", &lossy),
            ("empty-label.txt", b"__label__a x\n\n__label__ y\n", &plain),
            ("nothing.txt", b"\n\n__label__a\n", &plain),
            ("a.jsonl", b"{\"text\": \"hi\", \"label\": \"a\"}\n\n{\"text\": \"\", \"label\": \"b\"}\n{\"text\": \"yo\", \"label\": [\"b\", \"c\"]}\n", &plain),
            ("bad.jsonl", b"{\"text\": \"hi\", \"label\": \"a\"}\n{\"text\": 3}\n", &plain),
            ("a.csv", b"text,label\n\"two\nlines\",a\nplain,b\n", &plain),
            ("a.json", b"[{\"class\": \"a\", \"sentence\": \"hi there\"}]", &plain),
        ];
        for (name, content, options) in cases {
            agrees_with_a_whole_read(name, content, options);
        }
    }

    #[test]
    fn an_error_from_the_caller_stops_the_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "__label__a x\n__label__b y\n__label__c z\n").unwrap();
        let mut calls = 0;
        let error = read_blocks(&path, &ReadOptions::default(), 4, &mut |_| {
            calls += 1;
            Err(Error::InvalidConfig("enough".into()))
        })
        .unwrap_err();
        assert_eq!((calls, error.to_string().contains("enough")), (1, true));
    }

    #[test]
    fn a_missing_file_or_a_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let options = ReadOptions::default();
        for path in [dir.path().join("missing.txt"), dir.path().to_path_buf()] {
            let message = read_blocks(&path, &options, 16, &mut |_| Ok(()))
                .unwrap_err()
                .to_string();
            assert!(message.contains(&path.display().to_string()), "{message}");
        }
    }
}
