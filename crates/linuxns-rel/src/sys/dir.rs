//! `readlinkat(2)` and `getdents64(2)` into caller buffers, for the scan of
//! `/proc`: `nix`'s own allocate per call.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;

/// `readlinkat(2)` into `buf`. A target longer than `buf` comes back cut to
/// its length.
pub(crate) fn readlinkat<'b>(
    dir: BorrowedFd<'_>,
    path: &CStr,
    buf: &'b mut [u8],
) -> nix::Result<&'b [u8]> {
    // SAFETY: `path` is NUL-terminated and the kernel writes at most `buf.len()` bytes into `buf`.
    let n = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            path.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    let n = usize::try_from(Errno::result(n)?).map_err(|_| Errno::EINVAL)?;
    buf.get(..n).ok_or(Errno::EINVAL)
}

/// `getdents64(2)`: the next `struct linux_dirent64` records of the open
/// directory, as many as fit `buf`; empty at the end.
pub(crate) fn getdents64<'b>(dir: BorrowedFd<'_>, buf: &'b mut [u8]) -> nix::Result<&'b [u8]> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let n = unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            dir.as_raw_fd(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    let n = usize::try_from(Errno::result(n)?).map_err(|_| Errno::EINVAL)?;
    buf.get(..n).ok_or(Errno::EINVAL)
}
