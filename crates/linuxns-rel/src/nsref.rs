//! How a call names a namespace, and the one helper that opens a path for
//! the call or uses a descriptor as it is.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;

use crate::error::{Error, Result, Syscall};

/// A namespace as a call names it: a path, or an open file descriptor.
#[derive(Debug, Clone, Copy)]
pub enum NsRef<'a> {
    /// Opened read-only for the call and closed again before it returns.
    Path(&'a Path),
    /// Used as it is and never closed. Any number is accepted: one that is
    /// no open descriptor gives `EBADF` from the kernel.
    Fd(RawFd),
}

impl<'a> From<&'a Path> for NsRef<'a> {
    fn from(p: &'a Path) -> Self {
        NsRef::Path(p)
    }
}

impl<'a> From<&'a str> for NsRef<'a> {
    fn from(p: &'a str) -> Self {
        NsRef::Path(Path::new(p))
    }
}

impl<'a> From<&'a PathBuf> for NsRef<'a> {
    fn from(p: &'a PathBuf) -> Self {
        NsRef::Path(p)
    }
}

impl<'a> From<BorrowedFd<'a>> for NsRef<'a> {
    fn from(fd: BorrowedFd<'a>) -> Self {
        NsRef::Fd(fd.as_raw_fd())
    }
}

impl<'a> From<&'a OwnedFd> for NsRef<'a> {
    fn from(fd: &'a OwnedFd) -> Self {
        NsRef::Fd(fd.as_raw_fd())
    }
}

impl<'a> From<&'a std::fs::File> for NsRef<'a> {
    fn from(f: &'a std::fs::File) -> Self {
        NsRef::Fd(f.as_fd().as_raw_fd())
    }
}

/// Opens a namespace read-only and close-on-exec, as nsfs requires.
pub(crate) fn open_path(path: &Path) -> Result<OwnedFd> {
    open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).map_err(|errno| Error {
        errno,
        syscall: Syscall::Open,
        path: Some(path.to_owned()),
    })
}

/// Runs `f` on the namespace `ns` names, opening and closing it if it is a
/// path; a failure keeps the system call `f` names, and the path.
pub(crate) fn with_fd<T>(
    ns: NsRef<'_>,
    f: impl FnOnce(RawFd) -> std::result::Result<T, (Errno, Syscall)>,
) -> Result<T> {
    match ns {
        NsRef::Fd(fd) => f(fd).map_err(|(errno, syscall)| Error {
            errno,
            syscall,
            path: None,
        }),
        NsRef::Path(path) => {
            let fd = open_path(path)?;
            f(fd.as_raw_fd()).map_err(|(errno, syscall)| Error {
                errno,
                syscall,
                path: Some(path.to_owned()),
            })
        }
    }
}

/// A failed ioctl, for [`with_fd`].
pub(crate) fn ioctl(errno: Errno) -> (Errno, Syscall) {
    (errno, Syscall::Ioctl)
}
