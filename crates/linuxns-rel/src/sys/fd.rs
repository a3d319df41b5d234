//! Descriptors the kernel hands out, and `fstat(2)` of a descriptor number.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::sys::stat::FileStat;

/// Takes ownership of a descriptor that a system call has just returned.
/// Every new descriptor of this crate passes through here.
///
/// # Safety
///
/// `fd` must be open and owned by nothing else.
pub(super) unsafe fn owned(fd: RawFd) -> OwnedFd {
    // SAFETY: the caller's promise.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// A new descriptor from a system call's return value (a `long` for those
/// made through `syscall(2)`), or its errno.
///
/// # Safety
///
/// `ret`, where it is not -1, must be a descriptor the kernel has just
/// returned to the caller.
pub(super) unsafe fn owned_from(ret: libc::c_long) -> nix::Result<OwnedFd> {
    let fd = RawFd::try_from(Errno::result(ret)?).map_err(|_| Errno::EBADF)?;
    // SAFETY: the caller's promise.
    Ok(unsafe { owned(fd) })
}

/// `fstat(2)` of a descriptor number: any number reaches the kernel (not so
/// through `BorrowedFd`, for -1), so a bad one gives `EBADF`.
pub(crate) fn fstat(fd: RawFd) -> nix::Result<FileStat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: the kernel fills in `st` when it returns 0.
    Errno::result(unsafe { libc::fstat(fd, st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so `st` is initialised.
    Ok(unsafe { st.assume_init() })
}
