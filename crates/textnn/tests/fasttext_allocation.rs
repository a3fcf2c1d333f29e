//! Loading a fastText model never allocates more than the file's size
//! justifies, whatever its header and dictionary claim: a global allocator
//! records the largest single allocation made while a (possibly hostile)
//! file is read. (A product-quantized matrix is the one deliberate
//! exception: it decodes to `4 · dsub` bytes per code byte, `dsub` ≤ 64.)
//!
//! One test in this file, because the allocator is global to the test
//! binary and parallel tests would mix their allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use textnn::fasttext_model::FastTextModel;

/// The system allocator, recording the largest request since the last reset.
struct Recording;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Recording {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Recording = Recording;

fn set(bytes: &[u8], at: usize, value: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at..at + value.len()].copy_from_slice(value);
    b
}

#[test]
fn loading_allocates_no_more_than_the_file_size_justifies() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fasttext/softmax_ngrams.bin");
    let bytes = std::fs::read(path).unwrap();
    let i32s = |v: i32| v.to_le_bytes().to_vec();
    let i64s = |v: i64| v.to_le_bytes().to_vec();
    let cases = vec![
        ("the model itself", bytes.clone()),
        ("dim 2^20", set(&bytes, 8, &i32s(1 << 20))),
        ("bucket 2^31 - 1", set(&bytes, 40, &i32s(i32::MAX))),
        ("2^31 - 1 dictionary entries", {
            let b = set(&bytes, 64, &i32s(i32::MAX));
            set(&b, 68, &i32s(i32::MAX - 42))
        }),
        (
            "a pruning map of 2^31 - 1 entries",
            set(&bytes, 84, &i64s(i32::MAX as i64)),
        ),
        ("2^31 - 1 labels", {
            let b = set(&bytes, 64, &i32s(i32::MAX));
            set(&b, 72, &i32s(i32::MAX - 845))
        }),
    ];
    for (case, b) in cases {
        LARGEST.store(0, Ordering::Relaxed);
        let result = FastTextModel::from_bytes("m", &b);
        let largest = LARGEST.load(Ordering::Relaxed);
        assert_eq!(result.is_ok(), case == "the model itself", "{case}");
        // The file's size plus a little for the dictionary's own
        // structures (hash table, strings) and the sigmoid table.
        assert!(
            largest <= b.len() + 65_536,
            "{case}: an allocation of {largest} bytes for a {}-byte file",
            b.len()
        );
    }
}
