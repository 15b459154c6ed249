//! A cache prefetch hint.

/// Asks the CPU to start loading the cache line holding `value`. A hint: it changes no result.
#[inline]
pub(crate) fn prefetch<T>(value: &T) {
    prefetch_addr(std::ptr::from_ref(value));
}

/// [`prefetch`] by address, for memory no reference can be formed to, such as a Python object that
/// is only borrowed. Any address will do: a prefetch never faults.
#[inline]
pub(crate) fn prefetch_addr<T>(addr: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch has no architectural effect and cannot fault, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(addr.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}
