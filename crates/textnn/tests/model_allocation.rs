//! Loading never allocates more than the file's size justifies, whatever
//! its header and metadata claim: a global allocator records the largest
//! single allocation made while a (possibly hostile) model is loaded.
//!
//! This file holds one test, because the allocator is global to the test
//! binary and parallel tests would mix their allocations.

mod common;

use common::{fix_checksum, rebuild, tiny_model, with_meta};
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use textnn::Classifier;

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

/// The largest single allocation made while loading `bytes`.
fn largest_allocation_while_loading(bytes: &[u8]) -> usize {
    LARGEST.store(0, Ordering::Relaxed);
    let _ = Classifier::from_bytes("m", bytes);
    LARGEST.load(Ordering::Relaxed)
}

#[test]
fn loading_allocates_no_more_than_the_file_size_justifies() {
    let bytes = tiny_model().to_bytes();
    let mut cases: Vec<(String, Vec<u8>)> = vec![("the model itself".into(), bytes.clone())];
    for pointer in [
        "/network/input_rows",
        "/network/dim",
        "/network/n_labels",
        "/network/hidden/0",
        "/settings/features/buckets",
    ] {
        for value in [u64::MAX, 1 << 40, 1 << 20] {
            let b = with_meta(&bytes, |m| *m.pointer_mut(pointer).unwrap() = json!(value));
            cases.push((format!("{pointer} = {value}"), b));
        }
    }
    let mut huge_count = bytes.clone();
    huge_count[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    fix_checksum(&mut huge_count);
    cases.push(("u32::MAX sections".into(), huge_count));
    let mut huge_section = bytes.clone();
    huge_section[28..36].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
    fix_checksum(&mut huge_section);
    cases.push(("a section of 2^63 bytes".into(), huge_section));
    let many_hidden = with_meta(&bytes, |m| m["network"]["hidden"] = json!(vec![3; 200]));
    cases.push(("200 hidden layers".into(), many_hidden));
    let no_weights = rebuild(&bytes, |s| s.truncate(1));
    cases.push(("metadata only".into(), no_weights));
    for (case, b) in cases {
        let largest = largest_allocation_while_loading(&b);
        // The file's size plus a little for the metadata's own structures
        // (hash tables, strings).
        assert!(
            largest <= b.len() + 4096,
            "{case}: an allocation of {largest} bytes for a {}-byte file",
            b.len()
        );
    }
}
