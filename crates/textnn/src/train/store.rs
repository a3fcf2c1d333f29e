//! Where the prepared training data lives: every example's feature ids
//! and gold label ids, stored flat, in memory or (with
//! [`RunOptions::cache_dir`](super::RunOptions::cache_dir)) in unnamed
//! temporary files that the epochs read through a memory map.
//!
//! With files, memory grows with the vocabulary and the model, not with
//! the corpus: the kernel keeps the pages of the map that fit and reads
//! the others again when an epoch needs them, so a corpus whose feature
//! ids do not fit in RAM still trains. The files have no name (they are
//! deleted when closed, even by a crash) and hold nothing but numbers, in
//! this machine's byte order, for this process only.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use bytemuck::Pod;
use memmap2::{Mmap, MmapMut};

use crate::{Error, Result};

/// Feature ids and gold label ids per example, stored flat; read-only.
pub(crate) struct Prepared {
    ids: Column<u32>,
    /// `ids` of example `i` are `ids[id_offsets[i]..id_offsets[i + 1]]`.
    id_offsets: Column<usize>,
    gold: Column<usize>,
    gold_offsets: Column<usize>,
}

impl Prepared {
    /// No examples, in memory.
    pub fn new() -> Self {
        Prepared {
            ids: Column::Memory(Vec::new()),
            id_offsets: Column::Memory(vec![0]),
            gold: Column::Memory(Vec::new()),
            gold_offsets: Column::Memory(vec![0]),
        }
    }

    /// Appends one example (in-memory data only: chunks built by one
    /// thread before they are handed to a [`Writer`]).
    pub fn push(&mut self, ids: &[u32], gold: &[usize]) {
        let (
            Column::Memory(all_ids),
            Column::Memory(id_offsets),
            Column::Memory(all_gold),
            Column::Memory(gold_offsets),
        ) = (
            &mut self.ids,
            &mut self.id_offsets,
            &mut self.gold,
            &mut self.gold_offsets,
        )
        else {
            unreachable!("only in-memory data grows example by example")
        };
        all_ids.extend_from_slice(ids);
        id_offsets.push(all_ids.len());
        all_gold.extend_from_slice(gold);
        gold_offsets.push(all_gold.len());
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.id_offsets.as_slice().len() - 1
    }

    /// Feature ids of example `i`.
    pub fn features(&self, i: usize) -> &[u32] {
        let offsets = self.id_offsets.as_slice();
        &self.ids.as_slice()[offsets[i]..offsets[i + 1]]
    }

    /// Gold label ids of example `i`.
    pub fn gold(&self, i: usize) -> &[usize] {
        let offsets = self.gold_offsets.as_slice();
        &self.gold.as_slice()[offsets[i]..offsets[i + 1]]
    }

    /// Every feature id of every example, in order.
    pub fn all_features(&self) -> &[u32] {
        self.ids.as_slice()
    }
}

/// Values in memory, or in a file mapped into memory.
enum Column<T> {
    Memory(Vec<T>),
    /// A map of a whole file of `T`s, checked once (length and alignment)
    /// when it was made.
    Mapped(Mmap, std::marker::PhantomData<T>),
}

impl<T: Pod> Column<T> {
    fn as_slice(&self) -> &[T] {
        match self {
            Column::Memory(values) => values,
            // Checked in `ColumnWriter::finish`, so this cannot fail.
            Column::Mapped(map, _) => bytemuck::cast_slice(map),
        }
    }
}

/// The epochs' example order: a permutation of `0..n` that each epoch
/// shuffles, in memory or (8 bytes an example) in a memory-mapped
/// temporary file.
pub(crate) struct Order(OrderData);

enum OrderData {
    Memory(Vec<usize>),
    Mapped(MmapMut),
}

impl Order {
    /// `0, 1, …, n − 1` in `storage`.
    pub fn identity(n: usize, storage: &Storage) -> Result<Self> {
        let folder = match storage {
            Storage::Memory => return Ok(Order(OrderData::Memory((0..n).collect()))),
            Storage::Files(folder) if n > 0 => folder,
            Storage::Files(_) => return Ok(Order(OrderData::Memory(Vec::new()))),
        };
        let file = tempfile::tempfile_in(folder).map_err(|e| cache_error(folder, e))?;
        let bytes = (n as u64).saturating_mul(std::mem::size_of::<usize>() as u64);
        file.set_len(bytes).map_err(|e| cache_error(folder, e))?;
        // SAFETY: as for `ColumnWriter::finish`: an unnamed temporary file
        // that no other process can open by name and that this process
        // only changes through this one map, which the `Order` owns.
        let mut map = unsafe { MmapMut::map_mut(&file) }.map_err(|e| cache_error(folder, e))?;
        let Ok(values) = bytemuck::try_cast_slice_mut::<u8, usize>(&mut map) else {
            return Err(cache_error(
                folder,
                std::io::Error::other("the order file's map does not fit its values"),
            ));
        };
        for (i, slot) in values.iter_mut().enumerate() {
            *slot = i;
        }
        Ok(Order(OrderData::Mapped(map)))
    }
}

impl std::ops::Deref for Order {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        match &self.0 {
            OrderData::Memory(values) => values,
            // Checked in `Order::identity`, so this cannot fail.
            OrderData::Mapped(map) => bytemuck::cast_slice(map),
        }
    }
}

impl std::ops::DerefMut for Order {
    fn deref_mut(&mut self) -> &mut [usize] {
        match &mut self.0 {
            OrderData::Memory(values) => values,
            OrderData::Mapped(map) => bytemuck::cast_slice_mut(map),
        }
    }
}

/// Where a [`Writer`] puts the examples.
#[derive(Clone, Debug)]
pub(crate) enum Storage {
    /// In memory.
    Memory,
    /// In unnamed temporary files in this folder, mapped once written.
    Files(PathBuf),
}

/// Builds a [`Prepared`] example by example, in memory or in files.
pub(crate) struct Writer {
    ids: ColumnWriter<u32>,
    id_offsets: ColumnWriter<usize>,
    gold: ColumnWriter<usize>,
    gold_offsets: ColumnWriter<usize>,
    /// Values written to `ids` and `gold` so far.
    id_count: usize,
    gold_count: usize,
}

impl Writer {
    /// An empty store in `storage`; files are created now, so a folder
    /// that is missing or not writable fails before any work.
    pub fn new(storage: &Storage) -> Result<Self> {
        let mut writer = Writer {
            ids: ColumnWriter::new(storage)?,
            id_offsets: ColumnWriter::new(storage)?,
            gold: ColumnWriter::new(storage)?,
            gold_offsets: ColumnWriter::new(storage)?,
            id_count: 0,
            gold_count: 0,
        };
        writer.id_offsets.extend(&[0])?;
        writer.gold_offsets.extend(&[0])?;
        Ok(writer)
    }

    /// Appends one example.
    pub fn push(&mut self, ids: &[u32], gold: &[usize]) -> Result<()> {
        self.ids.extend(ids)?;
        self.id_count += ids.len();
        self.id_offsets.extend(&[self.id_count])?;
        self.gold.extend(gold)?;
        self.gold_count += gold.len();
        self.gold_offsets.extend(&[self.gold_count])
    }

    /// Appends every example of `part`, in order.
    pub fn append(&mut self, part: &Prepared) -> Result<()> {
        for i in 0..part.len() {
            self.push(part.features(i), part.gold(i))?;
        }
        Ok(())
    }

    /// The examples written, ready to read.
    pub fn finish(self) -> Result<Prepared> {
        Ok(Prepared {
            ids: self.ids.finish()?,
            id_offsets: self.id_offsets.finish()?,
            gold: self.gold.finish()?,
            gold_offsets: self.gold_offsets.finish()?,
        })
    }
}

enum ColumnWriter<T> {
    Memory(Vec<T>),
    File {
        file: BufWriter<File>,
        /// The folder, for error messages.
        folder: PathBuf,
    },
}

impl<T: Pod> ColumnWriter<T> {
    fn new(storage: &Storage) -> Result<Self> {
        Ok(match storage {
            Storage::Memory => ColumnWriter::Memory(Vec::new()),
            Storage::Files(folder) => ColumnWriter::File {
                file: BufWriter::with_capacity(
                    1 << 20,
                    tempfile::tempfile_in(folder).map_err(|e| cache_error(folder, e))?,
                ),
                folder: folder.clone(),
            },
        })
    }

    fn extend(&mut self, values: &[T]) -> Result<()> {
        match self {
            ColumnWriter::Memory(all) => all.extend_from_slice(values),
            ColumnWriter::File { file, folder } => file
                .write_all(bytemuck::cast_slice(values))
                .map_err(|e| cache_error(folder, e))?,
        }
        Ok(())
    }

    fn finish(self) -> Result<Column<T>> {
        let (file, folder) = match self {
            ColumnWriter::Memory(values) => return Ok(Column::Memory(values)),
            ColumnWriter::File { file, folder } => (file, folder),
        };
        let file = file
            .into_inner()
            .map_err(|e| cache_error(&folder, e.into_error()))?;
        if file.metadata().map_err(|e| cache_error(&folder, e))?.len() == 0 {
            // An empty file cannot be mapped on every system.
            return Ok(Column::Memory(Vec::new()));
        }
        // SAFETY: the map is only sound while nobody changes the file. It
        // is an unnamed temporary file (`tempfile_in`: O_TMPFILE, or
        // created and unlinked at once), so no other process can open it
        // by name; this process wrote it completely above and never
        // writes to it again; the map is read-only and lives inside the
        // `Prepared`, which owns it until training ends.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| cache_error(&folder, e))?;
        if bytemuck::try_cast_slice::<u8, T>(&map).is_err() {
            return Err(cache_error(
                &folder,
                std::io::Error::other("a cache file's length or alignment does not fit its values"),
            ));
        }
        Ok(Column::Mapped(map, std::marker::PhantomData))
    }
}

/// An I/O error of the training cache, naming its folder.
fn cache_error(folder: &Path, error: std::io::Error) -> Error {
    Error::Io {
        path: folder.to_path_buf(),
        cause: std::io::Error::new(
            error.kind(),
            format!("training cache (--cache-dir): {error}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples() -> Vec<(Vec<u32>, Vec<usize>)> {
        vec![
            (vec![1, 2, 3], vec![0]),
            (vec![], vec![1, 2]),
            (vec![7; 1000], vec![]),
            (vec![u32::MAX, 0], vec![usize::MAX]),
        ]
    }

    fn contents(data: &Prepared) -> Vec<(Vec<u32>, Vec<usize>)> {
        (0..data.len())
            .map(|i| (data.features(i).to_vec(), data.gold(i).to_vec()))
            .collect()
    }

    #[test]
    fn memory_and_files_store_the_same_examples() {
        let dir = tempfile::tempdir().unwrap();
        for storage in [Storage::Memory, Storage::Files(dir.path().to_path_buf())] {
            let mut writer = Writer::new(&storage).unwrap();
            let mut part = Prepared::new();
            for (i, (ids, gold)) in examples().iter().enumerate() {
                if i < 2 {
                    writer.push(ids, gold).unwrap();
                } else {
                    part.push(ids, gold);
                }
            }
            writer.append(&part).unwrap();
            let data = writer.finish().unwrap();
            assert_eq!(contents(&data), examples(), "{storage:?}");
            assert_eq!(data.all_features().len(), 1005);
            // Unnamed files: nothing is left in the folder.
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        }
    }

    #[test]
    fn an_order_is_the_identity_in_memory_and_in_a_file() {
        let dir = tempfile::tempdir().unwrap();
        for storage in [Storage::Memory, Storage::Files(dir.path().to_path_buf())] {
            for n in [0, 1, 1000] {
                let mut order = Order::identity(n, &storage).unwrap();
                assert!(order.iter().copied().eq(0..n), "{storage:?}, {n}");
                order.reverse();
                assert!(order.iter().copied().eq((0..n).rev()), "{storage:?}, {n}");
            }
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn no_examples_in_files_is_an_empty_store() {
        let dir = tempfile::tempdir().unwrap();
        let data = Writer::new(&Storage::Files(dir.path().to_path_buf()))
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(data.len(), 0);
    }

    #[test]
    fn a_missing_cache_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-folder");
        let Err(error) = Writer::new(&Storage::Files(missing.clone())) else {
            panic!("a missing folder was accepted");
        };
        let message = error.to_string();
        assert!(message.contains("no-such-folder"), "{message}");
        assert!(message.contains("--cache-dir"), "{message}");
    }
}
