//! `exitNow()`: how the tools end once their output is written.

use napi_derive::napi;

/// Ends the process with `code` at once, as `_exit(2)` does. Node's own
/// exit first waits for V8's background compiles of the code that made the
/// output, 10 to 30 ms after a large discovery. For the tools only: nothing
/// runs after it, not even `process.on('exit')` listeners, and output not
/// yet written is lost.
#[napi]
pub fn exit_now(code: i32) {
    // SAFETY: _exit(2) ends the process; it touches no memory of ours.
    unsafe { libc::_exit(code) }
}
