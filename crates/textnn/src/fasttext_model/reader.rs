//! Strict little-endian reads from a fastText model file.
//!
//! Every read first checks that the file still has the bytes it asks for,
//! so no count or size read from the file can make the reader allocate
//! more than the file's remaining length; every failure names the file and
//! the byte offset where the problem is.
//!
//! ```
//! use textnn::fasttext_model::reader::ByteReader;
//! let bytes = [7u8, 0, 0, 0, 1];
//! let mut reader = ByteReader::new("demo.bin", &bytes[..], bytes.len() as u64);
//! assert_eq!(reader.i32("a number").unwrap(), 7);
//! let err = reader.i64("a count").unwrap_err().to_string();
//! assert!(err.contains("demo.bin") && err.contains("a count"), "{err}");
//! ```

use crate::{Error, Result};
use std::io::{BufRead, Read};

/// Reads the fields of a fastText file from `R`, which has `len` bytes in all.
pub struct ByteReader<R> {
    source: String,
    reader: R,
    offset: u64,
    len: u64,
}

impl<R: BufRead> ByteReader<R> {
    /// A reader of `len` bytes from `reader`; `source` names it in errors.
    pub fn new(source: &str, reader: R, len: u64) -> Self {
        ByteReader {
            source: source.to_string(),
            reader,
            offset: 0,
            len,
        }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> u64 {
        self.len - self.offset
    }

    /// The error `message` about the field at the current offset.
    pub fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::BadModel {
            path: self.source.clone(),
            message: format!("fastText model, byte {}: {message}", self.offset),
        }
    }

    /// Fails unless `n` more bytes are there for `what`.
    pub fn ensure(&self, n: u64, what: &str) -> Result<()> {
        if n > self.remaining() {
            return Err(self.error(format!(
                "truncated: {what}: {n} bytes needed, only {} remain",
                self.remaining()
            )));
        }
        Ok(())
    }

    /// Exactly `buf.len()` bytes for `what`.
    fn fill(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        self.ensure(buf.len() as u64, what)?;
        self.reader.read_exact(buf).map_err(|e| {
            self.error(format!(
                "reading {what}: {e} (the file changed while it was read?)"
            ))
        })?;
        self.offset += buf.len() as u64;
        Ok(())
    }

    /// One byte.
    pub fn u8(&mut self, what: &str) -> Result<u8> {
        let mut b = [0u8; 1];
        self.fill(&mut b, what)?;
        Ok(b[0])
    }

    /// A C++ `bool`: one byte, 0 or 1.
    pub fn bool(&mut self, what: &str) -> Result<bool> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            other => {
                self.offset -= 1;
                Err(self.error(format!("{what} must be 0 or 1, got {other}")))
            }
        }
    }

    /// A 32-bit signed integer.
    pub fn i32(&mut self, what: &str) -> Result<i32> {
        let mut b = [0u8; 4];
        self.fill(&mut b, what)?;
        Ok(i32::from_le_bytes(b))
    }

    /// A 64-bit signed integer.
    pub fn i64(&mut self, what: &str) -> Result<i64> {
        let mut b = [0u8; 8];
        self.fill(&mut b, what)?;
        Ok(i64::from_le_bytes(b))
    }

    /// A 64-bit float.
    pub fn f64(&mut self, what: &str) -> Result<f64> {
        let mut b = [0u8; 8];
        self.fill(&mut b, what)?;
        Ok(f64::from_le_bytes(b))
    }

    /// A 32-bit signed integer in `min..=max`.
    pub fn i32_in(&mut self, what: &str, min: i32, max: i32) -> Result<i32> {
        let value = self.i32(what)?;
        if !(min..=max).contains(&value) {
            self.offset -= 4;
            return Err(self.error(format!(
                "{what} must be between {min} and {max}, got {value}"
            )));
        }
        Ok(value)
    }

    /// A 64-bit signed integer in `min..=max`.
    pub fn i64_in(&mut self, what: &str, min: i64, max: i64) -> Result<i64> {
        let value = self.i64(what)?;
        if !(min..=max).contains(&value) {
            self.offset -= 8;
            return Err(self.error(format!(
                "{what} must be between {min} and {max}, got {value}"
            )));
        }
        Ok(value)
    }

    /// `n` raw bytes (checked against the file before they are allocated).
    pub fn bytes(&mut self, n: u64, what: &str) -> Result<Vec<u8>> {
        self.ensure(n, what)?;
        let mut buf = vec![0u8; n as usize];
        self.fill(&mut buf, what)?;
        Ok(buf)
    }

    /// A NUL-terminated string, without its NUL.
    pub fn c_string(&mut self, what: &str) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        // `take` keeps the search within the bytes the file has left.
        let remaining = self.remaining();
        let read = (&mut self.reader).take(remaining).read_until(0, &mut out);
        let n = read.map_err(|e| self.error(format!("reading {what}: {e}")))?;
        if out.last() != Some(&0) {
            return Err(self.error(format!(
                "truncated: {what} has no terminating NUL before the end of the file"
            )));
        }
        self.offset += n as u64;
        out.pop();
        Ok(out)
    }

    /// `n` little-endian `f32`s, checked finite (checked against the file
    /// before they are allocated).
    pub fn f32s(&mut self, n: u64, what: &str) -> Result<Vec<f32>> {
        let bytes = n
            .checked_mul(4)
            .ok_or_else(|| self.error(format!("{what}: {n} floats overflow any file size")))?;
        self.ensure(bytes, what)?;
        let mut values = Vec::with_capacity(n as usize);
        let mut chunk = vec![0u8; (bytes as usize).min(1 << 16)];
        let start = self.offset;
        let mut left = bytes as usize;
        while left > 0 {
            let take = left.min(chunk.len());
            self.fill(&mut chunk[..take], what)?;
            values.extend(
                chunk[..take]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))),
            );
            left -= take;
        }
        if let Some(at) = values.iter().position(|v| !v.is_finite()) {
            self.offset = start + 4 * at as u64;
            return Err(self.error(format!(
                "{what} holds a NaN or infinite value ({} at index {at})",
                values[at]
            )));
        }
        Ok(values)
    }

    /// Fails unless every byte has been read.
    pub fn finish(&self) -> Result<()> {
        if self.remaining() > 0 {
            return Err(self.error(format!(
                "{} unexpected bytes after the end of the model",
                self.remaining()
            )));
        }
        Ok(())
    }
}
