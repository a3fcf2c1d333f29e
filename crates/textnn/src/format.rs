//! The model file container: a header, tagged sections, a checksum.
//!
//! ```text
//! offset  size  field
//! 0       8     magic "TEXTNNMF"
//! 8       4     format version (u32 little-endian)
//! 12      4     number of sections (u32 LE)
//! 16      8     body length in bytes (u64 LE)
//! 24      ...   body: per section a 4-byte tag, a u64 LE length, the bytes
//! end-4   4     CRC-32 (IEEE) of everything before it
//! ```
//!
//! Loading checks, in order: size, magic (recognising a fastText `.bin`),
//! version, body length against the file size (truncation, trailing
//! bytes), checksum, then each section's bounds. Nothing is allocated
//! beyond what the file's real size justifies. Saving writes a temporary
//! file in the same folder, syncs it and renames it over the target, so a
//! reader sees the old file or the new one, never half of one.
//!
//! ```
//! use textnn::format::{decode, encode, Section};
//! let bytes = encode(&[Section { tag: *b"META", bytes: b"{}".to_vec() }]);
//! let sections = decode("in-memory", &bytes).unwrap();
//! assert_eq!(sections[0].bytes, b"{}");
//! let mut corrupt = bytes.clone();
//! corrupt[30] ^= 1;
//! assert!(decode("in-memory", &corrupt).unwrap_err().to_string().contains("checksum"));
//! ```

use crate::{Error, Result};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

/// First bytes of every textnn model file.
pub const MAGIC: [u8; 8] = *b"TEXTNNMF";
/// The format version this textnn writes. Version 2 added the sparse
/// embedding (`EMRI` + `EMRV` in place of `EMBD`); version 3 the network
/// setting `sublinear_tf`, which a version-2 reader would silently ignore
/// (and so weigh repeated words wrongly). Versions 1 and 2 still load.
pub const FORMAT_VERSION: u32 = 3;
/// Oldest format version this textnn reads.
pub const OLDEST_READABLE_VERSION: u32 = 1;
/// fastText's `.bin` magic number (0x2F4F16BA, little-endian).
const FASTTEXT_MAGIC: [u8; 4] = 793_712_314_i32.to_le_bytes();
const HEADER_LEN: usize = 24;
const CHECKSUM_LEN: usize = 4;
const SECTION_HEADER_LEN: usize = 12;

/// One tagged section of a model file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Four ASCII bytes naming the section.
    pub tag: [u8; 4],
    /// Its contents.
    pub bytes: Vec<u8>,
}

/// The contents of a section to be written, borrowed from wherever they
/// live, so a large matrix is written without a byte copy of it.
#[derive(Clone, Copy, Debug)]
pub enum SectionData<'a> {
    /// Raw bytes.
    Bytes(&'a [u8]),
    /// `f32` values, written little-endian.
    Floats(&'a [f32]),
    /// The rows `rows` of a matrix of `width` columns stored row-major in
    /// `values`, one after another, as little-endian `f32`s: a sparse
    /// matrix's stored rows without a copy of them.
    Rows {
        /// The whole matrix.
        values: &'a [f32],
        /// Its number of columns.
        width: usize,
        /// The rows to write, in order.
        rows: &'a [u32],
    },
}

impl SectionData<'_> {
    fn len(&self) -> usize {
        match self {
            SectionData::Bytes(b) => b.len(),
            SectionData::Floats(f) => f.len() * 4,
            SectionData::Rows { width, rows, .. } => rows.len() * width * 4,
        }
    }
}

/// Writes a complete model file of `sections` to `out` as it goes, the
/// checksum computed along the way: memory stays a small buffer, whatever
/// the size of the weights. Gives the same bytes as [`encode`].
pub fn write_sections(out: &mut impl Write, sections: &[([u8; 4], SectionData)]) -> io::Result<()> {
    let mut out = ChecksumWriter {
        inner: out,
        hasher: crc32fast::Hasher::new(),
    };
    let body_len: usize = sections
        .iter()
        .map(|(_, d)| SECTION_HEADER_LEN + d.len())
        .sum();
    out.write_all(&MAGIC)?;
    out.write_all(&FORMAT_VERSION.to_le_bytes())?;
    out.write_all(&(sections.len() as u32).to_le_bytes())?;
    out.write_all(&(body_len as u64).to_le_bytes())?;
    let mut buffer = Vec::with_capacity(1 << 16);
    for (tag, data) in sections {
        out.write_all(tag)?;
        out.write_all(&(data.len() as u64).to_le_bytes())?;
        match data {
            SectionData::Bytes(b) => out.write_all(b)?,
            SectionData::Floats(values) => {
                for chunk in values.chunks(1 << 14) {
                    buffer.clear();
                    for v in chunk {
                        buffer.extend_from_slice(&v.to_le_bytes());
                    }
                    out.write_all(&buffer)?;
                }
            }
            SectionData::Rows {
                values,
                width,
                rows,
            } => {
                for &row in *rows {
                    let start = row as usize * width;
                    for v in &values[start..start + width] {
                        buffer.extend_from_slice(&v.to_le_bytes());
                    }
                    if buffer.len() >= 1 << 16 {
                        out.write_all(&buffer)?;
                        buffer.clear();
                    }
                }
                out.write_all(&buffer)?;
                buffer.clear();
            }
        }
    }
    let crc = out.hasher.clone().finalize();
    out.inner.write_all(&crc.to_le_bytes())?;
    out.inner.flush()
}

/// Passes writes through and hashes what passed.
struct ChecksumWriter<'w, W: Write> {
    inner: &'w mut W,
    hasher: crc32fast::Hasher,
}

impl<W: Write> Write for ChecksumWriter<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Serialises `sections` into a complete model file.
pub fn encode(sections: &[Section]) -> Vec<u8> {
    let body_len: usize = sections
        .iter()
        .map(|s| SECTION_HEADER_LEN + s.bytes.len())
        .sum();
    let mut out = Vec::with_capacity(HEADER_LEN + body_len + CHECKSUM_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    out.extend_from_slice(&(body_len as u64).to_le_bytes());
    for s in sections {
        out.extend_from_slice(&s.tag);
        out.extend_from_slice(&(s.bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&s.bytes);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A section of a decoded file, borrowing its bytes from the file's
/// buffer (so decoding copies nothing: peak memory stays the file plus
/// whatever the caller builds from it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionRef<'a> {
    /// Four ASCII bytes naming the section.
    pub tag: [u8; 4],
    /// Its contents.
    pub bytes: &'a [u8],
}

/// Verifies a model file's bytes and splits them into sections.
/// `source` names the file in error messages.
pub fn decode<'a>(source: &str, bytes: &'a [u8]) -> Result<Vec<SectionRef<'a>>> {
    let bad = |m: String| Error::BadModel {
        path: source.to_string(),
        message: m,
    };
    let (n_sections, body_len) = check_header(source, bytes, bytes.len() as u64)?;
    let (content, stored_crc) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    let stored_crc = u32::from_le_bytes(stored_crc.try_into().expect("4 bytes"));
    if crc32fast::hash(content) != stored_crc {
        return Err(bad("checksum mismatch: the file is corrupt".into()));
    }
    let mut body = MemorySections {
        rest: &content[HEADER_LEN..],
    };
    let sections = walk_sections(source, n_sections, body_len, &mut body)?;
    Ok(sections
        .into_iter()
        .map(|(tag, bytes)| SectionRef { tag, bytes })
        .collect())
}

/// Where [`walk_sections`] reads a file's body from: memory ([`decode`])
/// or the file itself ([`read_file_sections`]).
trait SectionSource {
    /// What one section's contents become.
    type Contents;
    /// The next section header: a 4-byte tag and a u64 LE length.
    fn header(&mut self) -> Result<[u8; SECTION_HEADER_LEN]>;
    /// The next `len` bytes, the contents of section `tag`; `len` is never
    /// more than the body has left.
    fn contents(&mut self, tag: [u8; 4], len: usize) -> Result<Self::Contents>;
}

/// The section walk shared by [`decode`] and [`read_file_sections`]: reads
/// `n_sections` sections from a body of `body_len` bytes. Checks that the
/// count fits the body (each section needs at least its 12-byte header),
/// that each header and each section's claimed length fit what is left,
/// and that nothing follows the last section, before reading any of it.
/// Returns each section's tag and contents.
fn walk_sections<S: SectionSource>(
    source: &str,
    n_sections: usize,
    body_len: u64,
    body: &mut S,
) -> Result<Vec<([u8; 4], S::Contents)>> {
    let bad = |m: String| Error::BadModel {
        path: source.to_string(),
        message: m,
    };
    if n_sections as u64 > body_len / SECTION_HEADER_LEN as u64 {
        return Err(bad(format!(
            "the header announces {n_sections} sections, more than {body_len} bytes can hold"
        )));
    }
    let mut sections = Vec::with_capacity(n_sections);
    let mut remaining = body_len;
    for i in 0..n_sections {
        if remaining < SECTION_HEADER_LEN as u64 {
            return Err(bad(format!("section {i} is cut off")));
        }
        let header = body.header()?;
        remaining -= SECTION_HEADER_LEN as u64;
        let tag: [u8; 4] = header[..4].try_into().expect("4 bytes");
        let len = u64::from_le_bytes(header[4..].try_into().expect("8 bytes"));
        if len > remaining {
            return Err(bad(format!(
                "section {} claims {len} bytes, only {remaining} remain",
                String::from_utf8_lossy(&tag)
            )));
        }
        remaining -= len;
        // `len` is at most the body's length, which the file really has,
        // so whatever `contents` allocates for it is too.
        sections.push((tag, body.contents(tag, len as usize)?));
    }
    if remaining != 0 {
        return Err(bad(format!("{remaining} bytes after the last section")));
    }
    Ok(sections)
}

/// A body in memory: sections borrow their bytes from it.
struct MemorySections<'a> {
    rest: &'a [u8],
}

impl<'a> MemorySections<'a> {
    /// The next `len` bytes ([`walk_sections`] never asks for more than
    /// are left).
    fn take(&mut self, len: usize) -> &'a [u8] {
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        taken
    }
}

impl<'a> SectionSource for MemorySections<'a> {
    type Contents = &'a [u8];

    fn header(&mut self) -> Result<[u8; SECTION_HEADER_LEN]> {
        Ok(self.take(SECTION_HEADER_LEN).try_into().expect("12 bytes"))
    }

    fn contents(&mut self, _tag: [u8; 4], len: usize) -> Result<&'a [u8]> {
        Ok(self.take(len))
    }
}

/// The checks on a file's first bytes `head` (at least the 24-byte header
/// when the file is that long) and its total length: magic (naming a
/// fastText `.bin`), version, and the body length against the file size.
/// Returns the section count and the body length.
fn check_header(source: &str, head: &[u8], file_len: u64) -> Result<(usize, u64)> {
    let bad = |m: String| Error::BadModel {
        path: source.to_string(),
        message: m,
    };
    if head.len() >= 4 && head[..4] == FASTTEXT_MAGIC {
        return Err(bad(
            "this is a fastText model, not a textnn one: the textnn commands read it as it is \
             (`textnn::any_model::AnyModel::load` in the library), and `textnn convert` stores it in a textnn file"
                .into(),
        ));
    }
    if head.len() < MAGIC.len() || head[..MAGIC.len()] != MAGIC {
        return Err(bad("not a textnn model (wrong magic bytes)".into()));
    }
    if file_len < (HEADER_LEN + CHECKSUM_LEN) as u64 {
        return Err(bad(format!(
            "truncated: {} bytes is shorter than the {}-byte header",
            file_len,
            HEADER_LEN + CHECKSUM_LEN
        )));
    }
    let version = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes"));
    if version > FORMAT_VERSION {
        return Err(bad(format!(
            "made by a newer textnn: upgrade textnn to read it (format version {version}; this textnn reads versions {OLDEST_READABLE_VERSION} to {FORMAT_VERSION})"
        )));
    }
    if version < OLDEST_READABLE_VERSION {
        return Err(bad(format!("unknown format version {version}")));
    }
    let n_sections = u32::from_le_bytes(head[12..16].try_into().expect("4 bytes")) as usize;
    let body_len = u64::from_le_bytes(head[16..24].try_into().expect("8 bytes"));
    let actual_body = file_len - (HEADER_LEN + CHECKSUM_LEN) as u64;
    if body_len > actual_body {
        return Err(bad(format!(
            "truncated: the header announces {} bytes, the file has {}",
            body_len.saturating_add((HEADER_LEN + CHECKSUM_LEN) as u64),
            file_len
        )));
    }
    if body_len < actual_body {
        return Err(bad(format!(
            "{} unexpected bytes after the end of the model",
            actual_body - body_len
        )));
    }
    Ok((n_sections, body_len))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// folder, flushed to disk, then renamed over `path`. On any failure the
/// previous file at `path` (if any) is unchanged and the temporary file is
/// removed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically_with(path, bytes, |file, bytes| file.write_all(bytes))
}

/// [`write_atomically`] where `write` produces the contents into the
/// temporary file itself (e.g. [`write_sections`] through a buffer), so
/// they never need to be in memory all at once.
pub fn write_atomically_by(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".textnn-").suffix(".tmp");
    // Temporary files are private (0600) by default; a model is an
    // ordinary file that a server running as another user may read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    // Listed until the rename, for an exit that skips the drop below.
    let _listed = crate::in_flight::register(tmp.path());
    // On any failure below the temporary file is removed when `tmp` is
    // dropped, and `path` has not been touched yet.
    write(tmp.as_file_mut()).map_err(|e| Error::io(path, save_failure(e)))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(path, save_failure(e)))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// [`write_atomically`], with the writing step given by the caller:
/// `write(temporary file, bytes)`. This is the seam where tests inject a
/// failure mid-write (a writer that fails after N bytes, or one that
/// writes to `/dev/full`) and check that the previous file survives.
pub fn write_atomically_with(
    path: &Path,
    bytes: &[u8],
    write: impl FnOnce(&mut File, &[u8]) -> io::Result<()>,
) -> Result<()> {
    write_atomically_by(path, |file| write(file, bytes))
}

/// Rewords a failed write so that the user learns what happened to the
/// file: a full disk is named as such, and either way the previous model
/// is still there.
fn save_failure(cause: io::Error) -> io::Error {
    let what = if cause.kind() == io::ErrorKind::StorageFull {
        format!("the disk is full ({cause})")
    } else {
        format!("writing failed ({cause})")
    };
    io::Error::new(
        cause.kind(),
        format!("{what}; nothing was saved and the previous file, if any, is unchanged"),
    )
}

/// A section read by [`read_file_sections`].
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedSection {
    /// Four ASCII bytes naming the section.
    pub tag: [u8; 4],
    /// Its contents.
    pub body: SectionBody,
}

/// The contents of an [`OwnedSection`].
#[derive(Clone, Debug, PartialEq)]
pub enum SectionBody {
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// Little-endian `f32`s, decoded as they were read.
    Floats(Vec<f32>),
}

/// Reads and verifies a model file section by section, with the checks of
/// [`decode`] (the checksum last, before anything is returned). Sections
/// tagged with one of `float_tags` (and a length that is a multiple of 4)
/// are decoded into `f32`s as they are read, so loading needs the decoded
/// weights plus a small buffer, not the file and its decoding at once. No
/// section gets more memory than the bytes the file really has for it.
pub fn read_file_sections(path: &Path, float_tags: &[[u8; 4]]) -> Result<Vec<OwnedSection>> {
    let source = path.display().to_string();
    let bad = |m: String| Error::BadModel {
        path: source.clone(),
        message: m,
    };
    let io_error = |e: io::Error| Error::io(path, e);
    let (mut reader, n_sections, body_len) = open_container(path)?;
    let mut body = FileSections {
        reader: &mut reader,
        buffer: vec![0u8; 1 << 16],
        float_tags,
        path,
    };
    let sections = walk_sections(&source, n_sections, body_len, &mut body)?
        .into_iter()
        .map(|(tag, body)| OwnedSection { tag, body })
        .collect();
    let computed = reader.hasher.finalize();
    let mut stored = [0u8; CHECKSUM_LEN];
    reader.inner.read_exact(&mut stored).map_err(io_error)?;
    if u32::from_le_bytes(stored) != computed {
        return Err(bad("checksum mismatch: the file is corrupt".into()));
    }
    Ok(sections)
}

/// Opens the container at `path` and checks its header against the
/// file's length: a reader (hashing from the first byte) positioned at the
/// first section, the section count and the body's length.
fn open_container(path: &Path) -> Result<(HashingReader<io::BufReader<File>>, usize, u64)> {
    let source = path.display().to_string();
    if path.is_dir() {
        return Err(Error::BadModel {
            path: source,
            message: "is a directory, not a model file".into(),
        });
    }
    let io_error = |e: io::Error| Error::io(path, e);
    let file = File::open(path).map_err(io_error)?;
    let file_len = file.metadata().map_err(io_error)?.len();
    let mut reader = HashingReader {
        inner: io::BufReader::with_capacity(1 << 16, file),
        hasher: crc32fast::Hasher::new(),
    };
    let mut head = [0u8; HEADER_LEN];
    let head_len = file_len.min(HEADER_LEN as u64) as usize;
    reader.read_exact(&mut head[..head_len]).map_err(io_error)?;
    let (n_sections, body_len) = check_header(&source, &head[..head_len], file_len)?;
    Ok((reader, n_sections, body_len))
}

/// The first section of the file at `path`, as bytes, after the checks
/// of the container's header (magic, version, lengths) and of that
/// section's own length; the rest of the file is not read, so its
/// checksum is not verified here. For a small header section in front of
/// large weights (a checkpoint's settings), which a full
/// [`read_file_sections`] verifies later. `None` when the file has no
/// section.
pub fn read_first_section(path: &Path) -> Result<Option<OwnedSection>> {
    let (mut reader, n_sections, body_len) = open_container(path)?;
    let mut body = FileSections {
        reader: &mut reader,
        buffer: Vec::new(),
        float_tags: &[],
        path,
    };
    if n_sections == 0 || body_len < SECTION_HEADER_LEN as u64 {
        return Ok(None);
    }
    let header = body.header()?;
    let tag: [u8; 4] = header[..4].try_into().expect("4 bytes");
    let len = u64::from_le_bytes(header[4..].try_into().expect("8 bytes"));
    if len > body_len - SECTION_HEADER_LEN as u64 {
        return Err(Error::BadModel {
            path: path.display().to_string(),
            message: format!(
                "section {} claims {len} bytes, only {} remain",
                String::from_utf8_lossy(&tag),
                body_len - SECTION_HEADER_LEN as u64
            ),
        });
    }
    // `len` is at most the body's length, which the file really has.
    let body = body.contents(tag, len as usize)?;
    Ok(Some(OwnedSection { tag, body }))
}

/// A body read from a file: sections tagged with one of `float_tags` (and
/// a length that is a multiple of 4) become `f32`s as they are read,
/// through `buffer`; the others become bytes.
struct FileSections<'r, R> {
    reader: &'r mut HashingReader<R>,
    buffer: Vec<u8>,
    float_tags: &'r [[u8; 4]],
    path: &'r Path,
}

impl<R: Read> SectionSource for FileSections<'_, R> {
    type Contents = SectionBody;

    fn header(&mut self) -> Result<[u8; SECTION_HEADER_LEN]> {
        let mut header = [0u8; SECTION_HEADER_LEN];
        self.reader
            .read_exact(&mut header)
            .map_err(|e| Error::io(self.path, e))?;
        Ok(header)
    }

    fn contents(&mut self, tag: [u8; 4], len: usize) -> Result<SectionBody> {
        let io_error = |e: io::Error| Error::io(self.path, e);
        if self.float_tags.contains(&tag) && len % 4 == 0 {
            let mut values = Vec::with_capacity(len / 4);
            let mut left = len;
            while left > 0 {
                let chunk = &mut self.buffer[..left.min(1 << 16)];
                self.reader.read_exact(chunk).map_err(io_error)?;
                values.extend(
                    chunk
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))),
                );
                left -= chunk.len();
            }
            Ok(SectionBody::Floats(values))
        } else {
            let mut bytes = vec![0u8; len];
            self.reader.read_exact(&mut bytes).map_err(io_error)?;
            Ok(SectionBody::Bytes(bytes))
        }
    }
}

/// Passes reads through and hashes what passed.
struct HashingReader<R> {
    inner: R,
    hasher: crc32fast::Hasher,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Little-endian bytes of `values`.
pub fn f32s_to_bytes(values: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 4);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Parses little-endian `f32`s; `None` if the length is not a multiple of 4.
pub fn bytes_to_f32s(bytes: &[u8]) -> Option<Vec<f32>> {
    (bytes.len() % 4 == 0).then(|| {
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    })
}

#[cfg(test)]
mod tests {

    /// A small container with a bytes section and two float sections.
    fn sample_file() -> (Vec<u8>, Vec<f32>) {
        let floats: Vec<f32> = (0..300).map(|i| i as f32 * 0.5 - 7.0).collect();
        let mut bytes = Vec::new();
        write_sections(
            &mut bytes,
            &[
                (*b"META", SectionData::Bytes(b"{\"a\":[1,2]}")),
                (*b"EMBD", SectionData::Floats(&floats)),
                (*b"DENB", SectionData::Floats(&floats[..3])),
            ],
        )
        .unwrap();
        (bytes, floats)
    }

    #[test]
    fn reading_a_file_by_sections_gives_what_decode_gives() {
        let (bytes, floats) = sample_file();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.textnn");
        std::fs::write(&path, &bytes).unwrap();
        let read = read_file_sections(&path, &[*b"EMBD", *b"DENB"]).unwrap();
        let decoded = decode("m", &bytes).unwrap();
        assert_eq!(read.len(), decoded.len());
        assert_eq!(read[0].body, SectionBody::Bytes(decoded[0].bytes.to_vec()));
        assert_eq!(read[1].body, SectionBody::Floats(floats.clone()));
        assert_eq!(read[2].body, SectionBody::Floats(floats[..3].to_vec()));
    }

    #[test]
    fn reading_by_sections_refuses_every_truncation_and_bit_flip() {
        let (bytes, _) = sample_file();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.textnn");
        for len in 0..bytes.len() {
            std::fs::write(&path, &bytes[..len]).unwrap();
            assert!(
                read_file_sections(&path, &[*b"EMBD"]).is_err(),
                "prefix of {len} bytes"
            );
        }
        for at in (0..bytes.len()).step_by(7) {
            for bit in [0, 3, 7] {
                let mut flipped = bytes.clone();
                flipped[at] ^= 1 << bit;
                std::fs::write(&path, &flipped).unwrap();
                let read = read_file_sections(&path, &[*b"EMBD"]);
                assert!(read.is_err(), "bit {bit} of byte {at}");
                assert_eq!(
                    read.is_err(),
                    decode("m", &flipped).is_err(),
                    "both readers refuse byte {at}"
                );
            }
        }
        std::fs::write(&path, [bytes.as_slice(), b"x"].concat()).unwrap();
        assert!(read_file_sections(&path, &[]).is_err(), "trailing byte");
        assert!(read_file_sections(dir.path(), &[])
            .unwrap_err()
            .to_string()
            .contains("directory"));
    }

    #[test]
    fn streaming_writer_gives_the_bytes_of_encode() {
        let floats: Vec<f32> = (0..40_000).map(|i| (i as f32).sin() * 1e3).collect();
        let meta = br#"{"x":1}"#.to_vec();
        let expected = encode(&[
            Section {
                tag: *b"META",
                bytes: meta.clone(),
            },
            Section {
                tag: *b"EMBD",
                bytes: f32s_to_bytes(&floats),
            },
            Section {
                tag: *b"DENB",
                bytes: Vec::new(),
            },
        ]);
        let mut streamed = Vec::new();
        write_sections(
            &mut streamed,
            &[
                (*b"META", SectionData::Bytes(&meta)),
                (*b"EMBD", SectionData::Floats(&floats)),
                (*b"DENB", SectionData::Floats(&[])),
            ],
        )
        .unwrap();
        assert!(streamed == expected);
        assert_eq!(decode("streamed", &streamed).unwrap().len(), 3);
    }

    use super::*;

    fn sample() -> Vec<u8> {
        encode(&[
            Section {
                tag: *b"META",
                bytes: b"{\"a\":1}".to_vec(),
            },
            Section {
                tag: *b"EMBD",
                bytes: f32s_to_bytes(&[1.0, -2.5]),
            },
        ])
    }

    #[test]
    fn round_trip_keeps_every_section() {
        let bytes = sample();
        let sections = decode("m", &bytes).unwrap();
        assert_eq!(sections.len(), 2);
        assert_eq!(&sections[1].tag, b"EMBD");
        assert_eq!(bytes_to_f32s(sections[1].bytes).unwrap(), vec![1.0, -2.5]);
    }

    #[test]
    fn every_truncation_is_refused() {
        let bytes = sample();
        for len in 0..bytes.len() {
            assert!(
                decode("m", &bytes[..len]).is_err(),
                "prefix of {len} bytes accepted"
            );
        }
    }

    #[test]
    fn every_single_bit_flip_is_refused() {
        let bytes = sample();
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[i / 8] ^= 1 << (i % 8);
            assert!(decode("m", &b).is_err(), "flip of bit {i} accepted");
        }
    }

    #[test]
    fn header_problems_have_clear_messages() {
        let mut newer = sample();
        newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        let mut trailing = sample();
        trailing.push(0);
        let mut fasttext = 793_712_314_i32.to_le_bytes().to_vec();
        fasttext.extend_from_slice(&[0; 40]);
        // (bytes, expected words in the message)
        let table: [(Vec<u8>, &str); 4] = [
            (newer, "newer textnn"),
            (trailing, "unexpected bytes"),
            (fasttext, "fastText"),
            (b"hello world, this is text".to_vec(), "not a textnn model"),
        ];
        for (bytes, expected) in table {
            let msg = decode("model.bin", &bytes).unwrap_err().to_string();
            assert!(
                msg.starts_with("model.bin: ") && msg.contains(expected),
                "{msg}"
            );
        }
    }

    #[test]
    fn atomic_write_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.textnn");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644, "{mode:o}");
        }
    }

    #[test]
    fn write_into_a_missing_folder_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/folder/m.textnn");
        let err = write_atomically(&path, b"x").unwrap_err().to_string();
        assert!(err.contains("no/such/folder"), "{err}");
    }

    #[test]
    fn the_first_section_alone_is_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (bytes, _) = sample_file();
        let path = dir.path().join("m.textnn");
        std::fs::write(&path, &bytes).unwrap();
        let first = read_first_section(&path).unwrap().expect("a section");
        assert_eq!(&first.tag, b"META");
        assert!(matches!(&first.body, SectionBody::Bytes(b) if b == b"{\"a\":[1,2]}"));
        // A damaged header is refused as by a full read; a container
        // without sections has none to give.
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(read_first_section(&path).is_err());
        std::fs::write(&path, encode(&[])).unwrap();
        assert!(read_first_section(&path).unwrap().is_none());
        // A first section longer than the body is refused by name.
        let mut long = bytes.clone();
        long[HEADER_LEN + 4..HEADER_LEN + 12].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&path, &long).unwrap();
        let err = read_first_section(&path).unwrap_err().to_string();
        assert!(err.contains("section META claims"), "{err}");
    }
}
