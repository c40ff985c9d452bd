//! Memory the process freed but the allocator still holds. Building the matching index and the
//! tokenizer allocates and frees tens of megabytes; glibc's allocator keeps freed pages for reuse,
//! so without a trim an idle service would stay at its start-up peak.

/// Fixes glibc's thresholds, which otherwise grow after the first large block is freed: a block
/// of 1 MiB or more (argon2's 19 MiB, say) is mapped for itself and unmapped when freed, and the
/// end of a heap is given back once 4 MiB of it are free. Called once, before any thread starts.
pub fn configure_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; nothing else runs yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 4 << 20);
    }
}

/// Hands the allocator's free pages back to the system (glibc's `malloc_trim`); nothing elsewhere.
pub fn release_free_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only inspects and shrinks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}
