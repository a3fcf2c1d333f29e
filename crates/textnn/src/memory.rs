//! Asking the operating system for large pages under the embedding.
//!
//! A bigram model's embedding spans hundreds of megabytes and every
//! example reads and writes rows scattered all over it: with 4 KiB pages
//! nearly every row costs a TLB miss (a page-table walk), and the first
//! touch of each page a fault. Transparent huge pages (2 MiB) cover the
//! same memory with 512 times fewer entries. Linux's default policy
//! (`madvise`) grants them only to memory that asks, which this does; on
//! other systems, or when the kernel says no, nothing changes. The advice
//! never changes the memory's contents, only how it is mapped.

/// Size of a transparent huge page on x86-64 and most arm64 kernels.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// Advises the kernel to back the whole 2 MiB pages inside `values` with
/// huge pages. Worth it for large, freshly allocated (untouched) buffers;
/// buffers under 8 MiB are left alone.
pub fn advise_huge_pages<T>(values: &[T]) {
    #[cfg(target_os = "linux")]
    {
        let bytes = std::mem::size_of_val(values);
        if bytes < 4 * HUGE_PAGE {
            return;
        }
        let start = values.as_ptr() as usize;
        let first = start.next_multiple_of(HUGE_PAGE);
        let end = (start + bytes) / HUGE_PAGE * HUGE_PAGE;
        if end > first {
            // SAFETY: [first, end) lies inside `values`, memory this
            // process owns and keeps mapped while the slice lives;
            // MADV_HUGEPAGE only changes how pages are mapped, never their
            // contents, and a refusal (an error code) is harmless.
            unsafe {
                libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = values;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_keeps_the_contents_and_accepts_any_size() {
        for len in [0usize, 1, 1000, 3 << 20, 5 << 20] {
            let mut values = vec![0.0f32; len];
            advise_huge_pages(&values);
            for (i, v) in values.iter_mut().enumerate().step_by(4099) {
                *v = i as f32;
            }
            advise_huge_pages(&values[len / 3..]);
            assert!(values
                .iter()
                .enumerate()
                .all(|(i, &v)| v == if i % 4099 == 0 { i as f32 } else { 0.0 }));
        }
    }
}
