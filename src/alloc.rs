//! The extension's allocator: large blocks are mapped from the kernel, and freed ones are kept for
//! reuse within the most that was in use at once.
//!
//! glibc serves a block of 128 KiB or more with `mmap` at first, but once the process frees such a
//! block it raises that threshold (up to 32 MiB) and serves later blocks from its heaps, whose free
//! space it rarely returns. A counting run grows and frees many large blocks (tables doubling, batch
//! buffers, one heap per worker thread), so under the raised threshold its resident memory grew to
//! several times what it held (the memory probe of `benches/compare.py`; see the README). Python and
//! other extensions keep glibc's behaviour: this only decides where newstally's own blocks live.
//!
//! Unmapping every freed block has its own cost: each block of the next batch or the next call is
//! mapped afresh, and the kernel faults in and zeroes every page again (a fifth of a unigram
//! vectorizer fit, called again on the same corpus, went to the kernel). So freed mappings of
//! [`KEEP_BYTES`] or more are kept (see [`Kept`]), joined with kept neighbours, and handed out
//! again, cut to size, to requests they hold. A large request that no kept block holds gets a new
//! mapping with kept pieces moved into it by the kernel (no copy, no zeroing); a smaller one, a
//! growing one, or one that is to read zero unmaps kept memory of its size first. The bytes newstally has mapped,
//! live and kept together, therefore never exceed the most it had live at once (but for an
//! allocation that finds the list in use by another thread, and maps as if nothing were kept): what
//! a call leaves kept is at most what it had in use at its peak, until the next call reuses it or
//! [`release_kept`] (`newstally.release_memory()`) gives it back.
//!
//! Should the kernel refuse a mapping (too many mappings, say), the block comes from the system
//! allocator instead, as glibc does. Such a block is never page-aligned and a mapped one always is,
//! which is how freeing tells them apart.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::{Mutex, MutexGuard, TryLockError};

/// Blocks this large or larger are mapped.
const MAP_BYTES: usize = 64 << 10;
/// mmap returns page-aligned memory; blocks aligned to a page or more go to the system allocator.
const PAGE: usize = 4096;

pub(crate) struct MapLarge;

/// Freed blocks smaller than this (after joining) are unmapped. They cost few faults to map again,
/// and kept they were mostly left unused, as the lists and hash tables that free them grow by
/// doubling and ask for a new size each time: keeping blocks of every size raised a `count()` run's
/// peak memory from 2.5x to 2.8x–3.0x its tables (the memory probe of `benches/compare.py`, four
/// runs each), against 2.5x–2.6x with this floor.
const KEEP_BYTES: usize = 256 << 10;

/// How many freed mappings are kept at most.
const KEPT_BLOCKS: usize = 64;

/// How many bytes are kept at most, so that what a process holds between calls stays bounded after
/// a very large job. A vectorizer fit of the shared corpora leaves 84 MB kept for unigrams and 291
/// MB for unigrams + bigrams; `count()` 9 MB and 121 MB.
const KEPT_MAX_BYTES: usize = 512 << 20;

/// Freed mappings, oldest first, as (address, length): page-aligned ranges of this allocator's
/// mappings, none adjacent to another (adjacent ones are joined).
///
/// The lock is only ever tried, never waited for: an allocation that finds it taken maps or unmaps
/// as if nothing were kept. So no thread ever blocks in the allocator, and a child process forked
/// while another thread held the lock (a multiprocessing pool started during a count) runs on
/// without the cache instead of deadlocking. No system call is made under the lock.
struct Kept {
    blocks: [(usize, usize); KEPT_BLOCKS],
    n: usize,
    /// The blocks' lengths added up.
    bytes: usize,
}

static KEPT: Mutex<Kept> = Mutex::new(Kept {
    blocks: [(0, 0); KEPT_BLOCKS],
    n: 0,
    bytes: 0,
});

impl Kept {
    /// Removes block `i`, keeping the others in order.
    fn remove(&mut self, i: usize) -> (usize, usize) {
        let b = self.blocks[i];
        self.blocks.copy_within(i + 1..self.n, i);
        self.n -= 1;
        self.bytes -= b.1;
        b
    }

    /// Removes kept memory up to `bytes` into `out`, largest blocks first (so in as few pieces as
    /// may be), the last one cut if it holds more than is left to take; returns how many pieces.
    fn take(&mut self, bytes: usize, out: &mut [(usize, usize); KEPT_BLOCKS]) -> usize {
        let (mut k, mut got) = (0, 0);
        while got < bytes && self.n > 0 {
            let i = (0..self.n)
                .max_by_key(|&i| self.blocks[i].1)
                .unwrap_or_default();
            let (p, have) = self.blocks[i];
            let piece = have.min(bytes - got);
            if piece == have {
                self.remove(i);
            } else {
                self.blocks[i] = (p + piece, have - piece);
                self.bytes -= piece;
            }
            out[k] = (p, piece);
            k += 1;
            got += piece;
        }
        k
    }

    /// Joins `block` with the kept blocks right before and after it, which it replaces.
    fn join(&mut self, block: (usize, usize)) -> (usize, usize) {
        let (mut start, mut end) = (block.0, block.0 + block.1);
        let mut i = 0;
        while i < self.n {
            let (p, len) = self.blocks[i];
            if p + len == start {
                start = p;
            } else if p == end {
                end = p + len;
            } else {
                i += 1;
                continue;
            }
            self.remove(i);
        }
        (start, end - start)
    }
}

/// The kept list, unless another thread holds it (see [`Kept`]: never waited for).
fn try_kept() -> Option<MutexGuard<'static, Kept>> {
    match KEPT.try_lock() {
        Ok(kept) => Some(kept),
        Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// `bytes` rounded up to whole pages: the length the kernel maps.
fn page_len(bytes: usize) -> usize {
    bytes.next_multiple_of(PAGE)
}

fn unmap(blocks: &[(usize, usize)]) {
    for &(p, len) in blocks {
        // SAFETY: a kept block is a range of this allocator's mappings that nothing refers to.
        unsafe { libc::munmap(p as *mut libc::c_void, len) };
    }
}

/// Requests smaller than this are not [`gather`]ed. Moved pages are resident whether or not the
/// request's owner ever writes them, and below this size requests are mostly growing lists and hash
/// tables, much of whose room stays unwritten: gathering for every size raised a `count()` run's
/// peak memory to 3.1x its tables, against 2.8x without gathering (the memory probe of
/// `benches/compare.py`, blocks of every size kept then). The large ones that miss are mostly
/// matrices and sort keys, written whole.
const GATHER_BYTES: usize = 4 << 20;

/// What becomes of kept memory when no kept block holds a request.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Short {
    /// It is moved into the request's new mapping ([`gather`]).
    Gather,
    /// It is unmapped, as much as the request's size, and the request gets fresh pages: for one that
    /// is to read zero, which fresh pages do without a pass of the caller's, or that will leave much
    /// of its room unwritten, which fresh pages keep out of memory.
    Unmap,
}

/// A block of `bytes` made of kept memory, or null. The smallest kept block that holds `bytes` is
/// taken; a larger one is cut, and the rest stays kept (any page range of a mapping can be remapped
/// or unmapped on its own, so the two parts are blocks as good as any). When none holds it, kept
/// memory up to `bytes` is gathered into a new mapping or unmapped, as `short` says: either way the
/// bytes mapped do not grow by more than what was not kept. Only requests of [`GATHER_BYTES`] or
/// more gather.
///
/// (Taking only blocks at most twice the request, and mapping afresh otherwise, kept big blocks for
/// big requests but missed dozens of times in a unigram fit that now misses none; without joining,
/// the last call's matrix blocks were cut up by smaller requests before this call's matrix asked
/// for them.)
fn reuse(bytes: usize, short: Short) -> *mut u8 {
    let len = page_len(bytes);
    let Some(mut kept) = try_kept() else {
        return std::ptr::null_mut();
    };
    let best = (0..kept.n)
        .filter(|&i| kept.blocks[i].1 >= len)
        .min_by_key(|&i| kept.blocks[i].1);
    if let Some(i) = best {
        let (p, have) = kept.blocks[i];
        if have == len {
            kept.remove(i);
        } else {
            kept.blocks[i] = (p + len, have - len);
            kept.bytes -= len;
        }
        return p as *mut u8;
    }
    let mut pieces = [(0, 0); KEPT_BLOCKS];
    let k = kept.take(len, &mut pieces);
    drop(kept);
    if short == Short::Unmap || len < GATHER_BYTES || k == 0 {
        unmap(&pieces[..k]);
        return std::ptr::null_mut();
    }
    gather(len, &pieces[..k])
}

/// A new mapping of `len` bytes whose front is made of the pages of `pieces` (at most `len` bytes in
/// all), which the kernel moves there without copying or zeroing them: where kept memory is cut up
/// (a matrix's blocks cut by smaller requests while the last call's matrix was still held), a large
/// request still takes it instead of as many fresh pages. A piece the kernel will not move (one that
/// spans two mappings of different kinds) is unmapped, and its stretch gets fresh pages. Null, with
/// the pieces unmapped, if the kernel refuses the mapping.
fn gather(len: usize, pieces: &[(usize, usize)]) -> *mut u8 {
    let q = map(len);
    if q.is_null() {
        unmap(pieces);
        return q;
    }
    let mut at = q as usize;
    for &(p, n) in pieces {
        // SAFETY: the piece is kept memory nothing refers to, and the target is a stretch of the
        // mapping just made, which it replaces.
        let moved = unsafe {
            libc::mremap(
                p as *mut libc::c_void,
                n,
                n,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                at as *mut libc::c_void,
            )
        };
        if moved == libc::MAP_FAILED {
            unmap(&[(p, n)]);
        }
        at += n;
    }
    q
}

/// Keeps the freed mapping of a block of `bytes` at `p`, joined with kept neighbours, or unmaps it
/// if it is then still smaller than [`KEEP_BYTES`] or larger than [`KEPT_MAX_BYTES`]; unmaps the
/// oldest kept blocks as needed to stay within [`KEPT_BLOCKS`] and [`KEPT_MAX_BYTES`].
fn keep(p: *mut u8, bytes: usize) {
    let block = (p as usize, page_len(bytes));
    let Some(mut kept) = try_kept() else {
        return unmap(&[block]);
    };
    let block = kept.join(block);
    if !(KEEP_BYTES..=KEPT_MAX_BYTES).contains(&block.1) {
        drop(kept);
        return unmap(&[block]);
    }
    let mut oldest = [(0, 0); KEPT_BLOCKS];
    let mut k = 0;
    while kept.n == KEPT_BLOCKS || kept.bytes + block.1 > KEPT_MAX_BYTES {
        oldest[k] = kept.remove(0);
        k += 1;
    }
    let n = kept.n;
    kept.blocks[n] = block;
    kept.n += 1;
    kept.bytes += block.1;
    drop(kept);
    unmap(&oldest[..k]);
}

/// Gives every kept mapping back to the kernel; returns how many bytes that was. Skipped (0) if
/// another thread is using the list at that moment.
pub(crate) fn release_kept() -> usize {
    let mut all = [(0, 0); KEPT_BLOCKS];
    let k = try_kept().map_or(0, |mut kept| kept.take(usize::MAX, &mut all));
    unmap(&all[..k]);
    all[..k].iter().map(|b| b.1).sum()
}

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
        let p = reuse(layout.size(), Short::Gather);
        if !p.is_null() {
            return p;
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
        let p = reuse(layout.size(), Short::Unmap);
        if !p.is_null() {
            unsafe { p.write_bytes(0, layout.size()) };
            return p;
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
            keep(ptr, layout.size());
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
                if page_len(new_size) > page_len(layout.size()) {
                    // Growing into a kept block costs a copy, where growing the mapping costs a
                    // fault and a zeroed page for every page added. A growing list's new room is
                    // not written yet: gathered pieces would make it resident.
                    let p = reuse(new_size, Short::Unmap);
                    if !p.is_null() {
                        unsafe { std::ptr::copy_nonoverlapping(ptr, p, layout.size()) };
                        keep(ptr, layout.size());
                        return p;
                    }
                }
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

    /// The kept list is the process's: tests that look at it, or whose blocks would land in it, take
    /// turns.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn serial() -> MutexGuard<'static, ()> {
        SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A turn at the kept list, which starts empty.
    fn empty_list() -> MutexGuard<'static, ()> {
        let turn = serial();
        release_kept();
        turn
    }

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    #[test]
    fn freed_blocks_are_reused_cut_to_size_and_joined_again() {
        let _turn = empty_list();
        let alloc = MapLarge;
        let (whole, quarter) = (1 << 20, 1 << 18);
        let block = unsafe { alloc.alloc(layout(whole)) };
        fill(block, whole);
        unsafe { alloc.dealloc(block, layout(whole)) };
        let first = unsafe { alloc.alloc(layout(quarter)) };
        let second = unsafe { alloc.alloc(layout(quarter)) };
        assert_eq!((first, second), (block, block.wrapping_add(quarter)));
        fill(second, quarter);
        check(second, quarter);
        unsafe {
            alloc.dealloc(second, layout(quarter));
            alloc.dealloc(first, layout(quarter));
        }
        // The two quarters and the half left kept are one block again.
        let again = unsafe { alloc.alloc(layout(whole)) };
        assert_eq!(again, block);
        unsafe { alloc.dealloc(again, layout(whole)) };
        assert_eq!(release_kept(), whole);
        assert_eq!(release_kept(), 0);
    }

    #[test]
    fn a_block_grows_into_a_kept_block_with_its_contents() {
        let _turn = empty_list();
        let a = MapLarge;
        let room = unsafe { a.alloc(layout(1 << 20)) };
        let p = unsafe { a.alloc(layout(MAP_BYTES)) };
        fill(p, MAP_BYTES);
        unsafe { a.dealloc(room, layout(1 << 20)) };
        let q = unsafe { a.realloc(p, layout(MAP_BYTES), 1 << 19) };
        assert_eq!(q, room);
        check(q, MAP_BYTES);
        unsafe { a.dealloc(q, layout(1 << 19)) };
        release_kept();
    }

    #[test]
    fn a_reused_block_asked_for_zeroed_reads_zero() {
        let _turn = empty_list();
        let a = MapLarge;
        let size = KEEP_BYTES + 5;
        let p = unsafe { a.alloc(layout(size)) };
        unsafe { p.write_bytes(0xFF, size) };
        unsafe { a.dealloc(p, layout(size)) };
        let q = unsafe { a.alloc_zeroed(layout(size)) };
        assert_eq!(q, p);
        assert!((0..size).all(|i| unsafe { q.add(i).read() } == 0));
        unsafe { a.dealloc(q, layout(size)) };
        release_kept();
    }

    #[test]
    fn a_request_no_kept_block_holds_takes_the_kept_pieces_moved_into_place() {
        let _turn = empty_list();
        let alloc = MapLarge;
        let piece = GATHER_BYTES / 2;
        // Two kept pieces that cannot join: the block between them stays in use.
        let [first, between, second] = [0, 1, 2].map(|_| unsafe { alloc.alloc(layout(piece)) });
        unsafe {
            first.write_bytes(1, piece);
            second.write_bytes(2, piece);
            alloc.dealloc(first, layout(piece));
            alloc.dealloc(second, layout(piece));
        }
        // More than both: their pages come first, in some order, then fresh zeroed ones.
        let big = unsafe { alloc.alloc(layout(3 * piece)) };
        let byte = |i: usize| unsafe { big.add(i).read() };
        let (a, b) = (byte(0), byte(piece));
        assert!((a, b) == (1, 2) || (a, b) == (2, 1), "{a} {b}");
        assert!((0..piece).all(|i| byte(i) == a && byte(piece + i) == b));
        assert!((2 * piece..3 * piece).all(|i| byte(i) == 0));
        assert_eq!(release_kept(), 0, "both pieces were taken");
        unsafe {
            alloc.dealloc(big, layout(3 * piece));
            alloc.dealloc(between, layout(piece));
        }
        release_kept();
    }

    #[test]
    fn a_small_or_zeroed_request_no_kept_block_holds_unmaps_kept_memory_of_its_size() {
        let _turn = serial();
        let alloc = MapLarge;
        for (size, zeroed) in [(8 * KEEP_BYTES, false), (2 * GATHER_BYTES, true)] {
            release_kept();
            let small = unsafe { alloc.alloc(layout(KEEP_BYTES)) };
            unsafe { small.write_bytes(7, KEEP_BYTES) };
            unsafe { alloc.dealloc(small, layout(KEEP_BYTES)) };
            let big = unsafe {
                if zeroed {
                    alloc.alloc_zeroed(layout(size))
                } else {
                    alloc.alloc(layout(size))
                }
            };
            // Fresh pages, where moved ones would read 7.
            assert!((0..size).all(|i| unsafe { big.add(i).read() } == 0));
            assert_eq!(release_kept(), 0, "the small block was unmapped");
            unsafe { alloc.dealloc(big, layout(size)) };
            assert_eq!(release_kept(), size);
        }
    }

    #[test]
    fn kept_memory_stays_within_its_byte_cap() {
        let _turn = empty_list();
        let alloc = MapLarge;
        // Never written, so never resident: only address space.
        let big = KEPT_MAX_BYTES / 4 * 3;
        let [first, between, second] = [0, 1, 2].map(|_| unsafe { alloc.alloc(layout(big)) });
        unsafe {
            alloc.dealloc(first, layout(big));
            alloc.dealloc(second, layout(big));
        }
        assert_eq!(
            release_kept(),
            big,
            "the first was unmapped to keep the second"
        );
        unsafe { alloc.dealloc(between, layout(big)) };
        release_kept();
        let huge = unsafe { alloc.alloc(layout(KEPT_MAX_BYTES + PAGE)) };
        unsafe { alloc.dealloc(huge, layout(KEPT_MAX_BYTES + PAGE)) };
        assert_eq!(release_kept(), 0);
    }

    #[test]
    fn freed_blocks_too_small_to_keep_are_unmapped() {
        let _turn = empty_list();
        let alloc = MapLarge;
        let p = unsafe { alloc.alloc(layout(KEEP_BYTES - PAGE)) };
        unsafe { alloc.dealloc(p, layout(KEEP_BYTES - PAGE)) };
        assert_eq!(release_kept(), 0);
    }

    #[test]
    fn a_full_list_unmaps_its_oldest_block() {
        let _turn = empty_list();
        let a = MapLarge;
        let blocks: Vec<*mut u8> = (0..2 * KEPT_BLOCKS + 2)
            .map(|_| unsafe { a.alloc(layout(KEEP_BYTES)) })
            .collect();
        // Every other block, so that no two freed ones can be neighbours and join.
        for (i, &p) in blocks.iter().enumerate() {
            if i % 2 == 0 {
                unsafe { a.dealloc(p, layout(KEEP_BYTES)) };
            }
        }
        assert_eq!(release_kept(), KEPT_BLOCKS * KEEP_BYTES);
        for (i, &p) in blocks.iter().enumerate() {
            if i % 2 == 1 {
                unsafe { a.dealloc(p, layout(KEEP_BYTES)) };
            }
        }
        release_kept();
    }

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
        let _turn = serial();
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
        let _turn = serial();
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
        let _turn = serial();
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
