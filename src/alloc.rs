//! The extension's allocator: large blocks are mapped from the kernel and given back when freed.
//!
//! glibc serves a block of 128 KiB or more with `mmap` at first, but once the process frees such a
//! block it raises that threshold (up to 32 MiB) and serves later blocks from its heaps, whose free
//! space it rarely returns. A counting run grows and frees many large blocks (tables doubling, batch
//! buffers, one heap per worker thread), so under the raised threshold its resident memory grew to
//! several times what it held (the memory probe of `benches/compare.py`; see the README). Python and
//! other extensions keep glibc's behaviour: this only decides where newstally's own blocks live.
//!
//! Should the kernel refuse a mapping (too many mappings, say), the block comes from the system
//! allocator instead, as glibc does. Such a block is never page-aligned and a mapped one always is,
//! which is how freeing tells them apart.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks this large or larger are mapped.
const MAP_BYTES: usize = 64 << 10;
/// mmap returns page-aligned memory; blocks aligned to a page or more go to the system allocator.
const PAGE: usize = 4096;

pub(crate) struct MapLarge;

fn mapped(layout: Layout) -> bool {
    layout.size() >= MAP_BYTES && layout.align() < PAGE
}

/// A fresh mapping of `bytes`, or null.
fn map(bytes: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping touches no existing memory.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return std::ptr::null_mut();
    }
    crate::hugepages::advise_mapping(p.cast(), bytes);
    p.cast()
}

/// The system allocator's block behind a fallback block of `layout`: room for the block at an offset
/// of one or two alignment units (whichever is not page-aligned), with the block's own address
/// stored just below it.
fn fallback_layout(layout: Layout) -> Option<Layout> {
    let unit = layout.align().max(16);
    Layout::from_size_align(layout.size().checked_add(2 * unit)?, unit).ok()
}

/// A block of `layout` from the system allocator that is not page-aligned, or null.
unsafe fn fallback_alloc(layout: Layout) -> *mut u8 {
    let Some(outer) = fallback_layout(layout) else {
        return std::ptr::null_mut();
    };
    let unit = outer.align();
    // SAFETY: `outer` has a non-zero size.
    let base = unsafe { System.alloc(outer) };
    if base.is_null() {
        return base;
    }
    // `unit` is below a page, so of `base + unit` and `base + 2 * unit` at most one is page-aligned.
    let mut p = base.wrapping_add(unit);
    if p as usize % PAGE == 0 {
        p = base.wrapping_add(2 * unit);
    }
    // SAFETY: `p - 8` lies inside `outer`'s block (the offset is at least 16) and is 8-aligned.
    #[allow(
        clippy::cast_ptr_alignment,
        reason = "p is a multiple of 16 bytes past an aligned base"
    )]
    unsafe {
        p.sub(8).cast::<usize>().write(base as usize);
    }
    p
}

unsafe fn fallback_dealloc(ptr: *mut u8, layout: Layout) {
    // SAFETY: `ptr` came from `fallback_alloc(layout)`, which formed the outer layout and stored the
    // base address below the block.
    #[allow(
        clippy::cast_ptr_alignment,
        reason = "ptr is a multiple of 16 bytes past an aligned base"
    )]
    unsafe {
        let base = ptr.sub(8).cast::<usize>().read() as *mut u8;
        if let Some(outer) = fallback_layout(layout) {
            System.dealloc(base, outer);
        }
    }
}

// SAFETY: a block whose layout is not `mapped` is wholly the system allocator's; one whose layout is
// `mapped` is a mapping of the layout's size if page-aligned, else a fallback block. Callers pass back
// the layout a block was made with.
unsafe impl GlobalAlloc for MapLarge {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !mapped(layout) {
            return unsafe { System.alloc(layout) };
        }
        let p = map(layout.size());
        if p.is_null() {
            unsafe { fallback_alloc(layout) }
        } else {
            p
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !mapped(layout) {
            return unsafe { System.alloc_zeroed(layout) };
        }
        // Fresh anonymous pages read as zero.
        let p = map(layout.size());
        if !p.is_null() {
            return p;
        }
        let p = unsafe { fallback_alloc(layout) };
        if !p.is_null() {
            unsafe { p.write_bytes(0, layout.size()) };
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !mapped(layout) {
            unsafe { System.dealloc(ptr, layout) }
        } else if ptr as usize % PAGE == 0 {
            unsafe { libc::munmap(ptr.cast(), layout.size()) };
        } else {
            unsafe { fallback_dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size`, with `layout`'s alignment, is a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (mapped(layout), mapped(new_layout)) {
            (false, false) => return unsafe { System.realloc(ptr, layout, new_size) },
            (true, true) if ptr as usize % PAGE == 0 => {
                // The kernel moves the pages rather than copying them.
                let p = unsafe {
                    libc::mremap(ptr.cast(), layout.size(), new_size, libc::MREMAP_MAYMOVE)
                };
                if p != libc::MAP_FAILED {
                    crate::hugepages::advise_mapping(p.cast(), new_size);
                    return p.cast();
                }
            }
            _ => {}
        }
        // Between the two kinds of block, or after a refused remapping: a new block and a copy.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills a block with a pattern that tells positions apart.
    fn fill(p: *mut u8, n: usize) {
        for i in 0..n {
            unsafe { p.add(i).write((i % 251) as u8) };
        }
    }

    fn check(p: *const u8, n: usize) {
        for i in 0..n {
            assert_eq!(unsafe { p.add(i).read() }, (i % 251) as u8, "byte {i}");
        }
    }

    #[test]
    fn keeps_contents_across_every_kind_of_resize() {
        let a = MapLarge;
        // small -> small -> mapped -> larger mappings -> smaller mappings -> small
        // Past 4 MiB a block is advised to use huge pages, which must not stop it moving.
        let big = crate::hugepages::MIN_BYTES;
        let sizes = [
            100,
            5000,
            MAP_BYTES + 1,
            3 * MAP_BYTES,
            big + 4097,
            3 * big,
            big,
            MAP_BYTES,
            64,
        ];
        let layout = Layout::from_size_align(sizes[0], 8).unwrap();
        let mut p = unsafe { a.alloc(layout) };
        let mut layout = layout;
        fill(p, sizes[0]);
        for w in sizes.windows(2) {
            let (old, new) = (w[0], w[1]);
            p = unsafe { a.realloc(p, layout, new) };
            assert!(!p.is_null());
            layout = Layout::from_size_align(new, 8).unwrap();
            check(p, old.min(new));
            fill(p, new);
        }
        unsafe { a.dealloc(p, layout) };
    }

    #[test]
    fn zeroed_blocks_read_zero_and_large_alignments_are_honoured() {
        let a = MapLarge;
        for (size, align) in [
            (64, 8),
            (MAP_BYTES, 32),
            (MAP_BYTES * 2, PAGE),
            (MAP_BYTES, 2 * PAGE),
        ] {
            let layout = Layout::from_size_align(size, align).unwrap();
            let p = unsafe { a.alloc_zeroed(layout) };
            assert!(!p.is_null());
            assert_eq!(p as usize % align, 0);
            assert!((0..size).all(|i| unsafe { p.add(i).read() } == 0));
            unsafe { a.dealloc(p, layout) };
        }
    }

    #[test]
    fn fallback_blocks_are_never_page_aligned_and_free_cleanly() {
        let a = MapLarge;
        for align in [8, 16, 64, 2048] {
            for size in [MAP_BYTES, MAP_BYTES + 3, 5 * MAP_BYTES] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // Many, so that some system blocks would have been page-aligned without the offset.
                let blocks: Vec<*mut u8> =
                    (0..64).map(|_| unsafe { fallback_alloc(layout) }).collect();
                for &p in &blocks {
                    assert!(!p.is_null());
                    assert_ne!(p as usize % PAGE, 0);
                    assert_eq!(p as usize % align, 0);
                    fill(p, size);
                }
                // A fallback block moves to a mapping and back to a fallback-sized block.
                let p = unsafe { a.realloc(blocks[0], layout, 2 * size) };
                check(p, size);
                unsafe { a.dealloc(p, Layout::from_size_align(2 * size, align).unwrap()) };
                for &p in &blocks[1..] {
                    check(p, size);
                    unsafe { a.dealloc(p, layout) };
                }
            }
        }
    }
}
