//! Large tables on huge pages where the system allows it.
//!
//! An n-gram table of a corpus spans tens of megabytes and is probed at random: with 4 KiB pages
//! nearly every probe also misses the TLB, and the page walk adds a second trip to memory. Linux maps a
//! region with 2 MiB pages when asked (`transparent_hugepage` set to `madvise` or `always`); elsewhere
//! this is a no-op.

/// Regions smaller than this stay on small pages (a huge page would mostly hold nothing).
pub(crate) const MIN_BYTES: usize = 4 << 20;

/// A vector of `len` copies of `value`, on huge pages when the platform allows.
pub(crate) fn vec_of<T: Copy>(value: T, len: usize) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(len);
    advise(v.as_ptr().cast::<u8>(), len * std::mem::size_of::<T>());
    v.resize(len, value);
    v
}

#[cfg(target_os = "linux")]
fn advise(ptr: *const u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    if bytes < MIN_BYTES {
        return;
    }
    // Only whole huge pages inside the region can be mapped huge.
    let start = (ptr as usize).next_multiple_of(HUGE);
    let end = (ptr as usize + bytes) / HUGE * HUGE;
    if end > start {
        // SAFETY: the range lies inside an allocation this process owns; madvise only changes how
        // the kernel backs it, and its failure (e.g. THP disabled) leaves ordinary pages.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

/// Huge pages over the whole of a large mapping of `bytes` at `ptr` (page-aligned), which the caller
/// owns: fewer page faults for buffers written once, and fewer TLB misses for tables. Unlike
/// [`vec_of`], which advises the 2 MiB-aligned middle of a block inside some allocator's mapping,
/// this advises the mapping whole: a partly advised mapping is split in three, and `mremap` cannot
/// move a range that spans mappings.
#[cfg(target_os = "linux")]
pub(crate) fn advise_mapping(ptr: *mut u8, bytes: usize) {
    if bytes >= MIN_BYTES {
        // SAFETY: the range is one mapping the caller owns; failure (e.g. THP disabled) leaves
        // ordinary pages.
        unsafe { libc::madvise(ptr.cast(), bytes, libc::MADV_HUGEPAGE) };
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_: *const u8, _: usize) {}
