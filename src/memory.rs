//! The allocator and the memory it keeps. The service allocates through mimalloc: Rust code as
//! the global allocator (set in `main.rs`), the embedded SQLite through its allocation hooks
//! ([`configure_allocator`]). Other C code (the system's own libraries) uses glibc's `malloc`.
//! Building the matching index and the tokenizer allocates and frees tens of megabytes; an
//! allocator keeps freed pages for reuse, so without giving them back an idle service would stay
//! at its start-up peak.

use std::ffi::c_long;
use std::sync::OnceLock;

use std::ffi::{c_int, c_void};

use libmimalloc_sys::{
    mi_collect, mi_free, mi_good_size, mi_malloc, mi_option_get, mi_option_set, mi_option_t,
    mi_realloc, mi_usable_size,
};
use libsqlite3_sys::{SQLITE_CONFIG_MALLOC, SQLITE_OK, sqlite3_config, sqlite3_mem_methods};

/// `mi_option_arena_eager_commit` in mimalloc 3's `mimalloc.h` (the crate names only some options).
/// Left at its default, arenas are committed at once on Linux and purged pages only marked
/// reusable: they stay resident until the kernel needs them.
const ARENA_EAGER_COMMIT: mi_option_t = 4;
/// `mi_option_purge_delay`: how many milliseconds freed memory waits before it is given back
/// (1,000 by default).
const PURGE_DELAY: mi_option_t = 15;

/// The purge delay to serve with, once start-up is over.
static SERVING_PURGE_DELAY: OnceLock<c_long> = OnceLock::new();

/// Called once, before the first allocation (`main.rs`). Memory is committed as it is used and, while the
/// service loads, given back as soon as it is freed; [`start_serving`] restores the delay
/// (mimalloc's default, or `MIMALLOC_PURGE_DELAY`), for purging at once costs a list
/// request a tenth of its throughput.
pub fn configure_allocator() {
    // SAFETY: reading and setting options touches only mimalloc's option table.
    unsafe {
        mi_option_set(ARENA_EAGER_COMMIT, 0);
        SERVING_PURGE_DELAY.get_or_init(|| mi_option_get(PURGE_DELAY));
        mi_option_set(PURGE_DELAY, 0);
    }
    sqlite_through_mimalloc();
}

/// SQLite's allocations through mimalloc instead of glibc's `malloc`, whose free-list upkeep
/// took a tenth of a list request's time on SQLite. SQLite takes its allocator only before it is
/// initialized, which no connection has done yet when this runs; it copies the methods.
fn sqlite_through_mimalloc() {
    unsafe extern "C" fn malloc(size: c_int) -> *mut c_void {
        // SAFETY: any size is valid for mi_malloc; SQLite never asks for a negative one.
        unsafe { mi_malloc(usize::try_from(size).unwrap_or(0)) }
    }
    unsafe extern "C" fn free(block: *mut c_void) {
        // SAFETY: SQLite frees only what `malloc` or `realloc` above gave it.
        unsafe { mi_free(block) }
    }
    unsafe extern "C" fn realloc(block: *mut c_void, size: c_int) -> *mut c_void {
        // SAFETY: as for `free`.
        unsafe { mi_realloc(block, usize::try_from(size).unwrap_or(0)) }
    }
    unsafe extern "C" fn size(block: *mut c_void) -> c_int {
        // SAFETY: as for `free`.
        c_int::try_from(unsafe { mi_usable_size(block) }).unwrap_or(c_int::MAX)
    }
    unsafe extern "C" fn roundup(size: c_int) -> c_int {
        // SAFETY: a pure function of the size.
        let rounded = unsafe { mi_good_size(usize::try_from(size).unwrap_or(0)) };
        c_int::try_from(rounded).unwrap_or(size)
    }
    unsafe extern "C" fn init(_: *mut c_void) -> c_int {
        SQLITE_OK
    }
    unsafe extern "C" fn shutdown(_: *mut c_void) {}
    let methods = sqlite3_mem_methods {
        xMalloc: Some(malloc),
        xFree: Some(free),
        xRealloc: Some(realloc),
        xSize: Some(size),
        xRoundup: Some(roundup),
        xInit: Some(init),
        xShutdown: Some(shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: SQLITE_CONFIG_MALLOC takes a pointer to the methods, which SQLite copies; it is
    // called before SQLite is initialized (it would refuse otherwise, and keep its own).
    let status = unsafe { sqlite3_config(SQLITE_CONFIG_MALLOC, &raw const methods) };
    debug_assert_eq!(
        status, SQLITE_OK,
        "SQLite took its allocator before any connection"
    );
}

/// Ends the start-up's immediate purging, once everything is loaded and requests come next.
/// Called on the thread that loaded (the runtime's `block_on`): each thread's free pages are its
/// own to give back.
pub fn start_serving() {
    release_free_pages();
    if let Some(&delay) = SERVING_PURGE_DELAY.get() {
        // SAFETY: the option is a plain value in mimalloc's option table.
        unsafe { mi_option_set(PURGE_DELAY, delay) };
    }
}

/// Hands the free pages of both allocators back to the system. Called after each build of the
/// matching index.
pub fn release_free_pages() {
    // SAFETY: mi_collect returns only mimalloc's own free memory.
    unsafe { mi_collect(true) };
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only inspects and shrinks glibc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option numbers are mimalloc's: each reads its documented default.
    #[test]
    fn the_options_are_the_ones_meant() {
        // SAFETY: reading options only.
        let (eager, delay) = unsafe {
            (
                mi_option_get(ARENA_EAGER_COMMIT),
                mi_option_get(PURGE_DELAY),
            )
        };
        assert_eq!(
            eager, 2,
            "arena_eager_commit: 2 = on overcommitting systems"
        );
        assert_eq!(delay, 1000, "purge_delay: 1,000 ms");
    }
}
