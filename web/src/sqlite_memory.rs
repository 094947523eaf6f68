//! How the embedded SQLite allocates: from mimalloc, the allocator the rest
//! of the server uses, and without SQLite's global memory statistics (a
//! mutex taken on every allocation, for figures Roster never reads). A
//! profile of a 100,000-row import showed SQLite's thread spending a fifth
//! of its time in glibc's malloc and in those mutexes (BENCHMARKS.md,
//! "Import").

use std::os::raw::{c_int, c_void};
use std::sync::Once;

use libsqlite3_sys as ffi;

unsafe extern "C" fn malloc(size: c_int) -> *mut c_void {
    libmimalloc_sys::mi_malloc(size.max(0) as usize)
}

unsafe extern "C" fn free(pointer: *mut c_void) {
    libmimalloc_sys::mi_free(pointer)
}

unsafe extern "C" fn realloc(pointer: *mut c_void, size: c_int) -> *mut c_void {
    libmimalloc_sys::mi_realloc(pointer, size.max(0) as usize)
}

unsafe extern "C" fn size(pointer: *mut c_void) -> c_int {
    libmimalloc_sys::mi_usable_size(pointer).min(c_int::MAX as usize) as c_int
}

unsafe extern "C" fn roundup(size: c_int) -> c_int {
    size.saturating_add(7) & !7
}

unsafe extern "C" fn init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn shutdown(_: *mut c_void) {}

/// Configures SQLite's allocation, once per process, before the first
/// connection initialises SQLite (after that SQLite refuses the change and
/// keeps its defaults, which is only slower).
pub fn configure() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let methods = ffi::sqlite3_mem_methods {
            xMalloc: Some(malloc),
            xFree: Some(free),
            xRealloc: Some(realloc),
            xSize: Some(size),
            xRoundup: Some(roundup),
            xInit: Some(init),
            xShutdown: Some(shutdown),
            pAppData: std::ptr::null_mut(),
        };
        // SAFETY: sqlite3_config must run before SQLite is initialised and
        // while no other thread uses SQLite: this runs once, from the first
        // call to `db::connect`, before any connection is opened. SQLite
        // copies `methods`; the functions follow its contract (sizes in
        // bytes, NULL on failure, xSize of a live allocation).
        let results = unsafe {
            [
                ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int),
                ffi::sqlite3_config(
                    ffi::SQLITE_CONFIG_MALLOC,
                    &methods as *const ffi::sqlite3_mem_methods,
                ),
            ]
        };
        if results.iter().any(|r| *r != ffi::SQLITE_OK) {
            tracing::debug!(
                ?results,
                "SQLite was initialised already; its allocator stays"
            );
        }
    });
}
