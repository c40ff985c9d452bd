//! Memory the process freed but the allocator still holds. Building the matching index and the
//! tokenizer allocates and frees tens of megabytes; glibc's allocator keeps freed pages for reuse,
//! so without a trim an idle service would stay at its start-up peak.

/// Hands the allocator's free pages back to the system (glibc's `malloc_trim`); nothing elsewhere.
pub fn release_free_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only inspects and shrinks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}
