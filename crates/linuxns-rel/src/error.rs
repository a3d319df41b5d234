//! What a failed call gives: the errno, the system call, and the path.

use std::fmt;
use std::path::PathBuf;

use nix::errno::Errno;

/// The system call that failed; each variant is the call of that name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Syscall {
    Open,
    Ioctl,
    Fstat,
    PidfdOpen,
    PidfdSendSignal,
    NameToHandleAt,
    OpenByHandleAt,
    Bpf,
    Read,
}

impl Syscall {
    /// The call's name, as in its man page and in Node's `err.syscall`.
    pub const fn name(self) -> &'static str {
        match self {
            Syscall::Open => "open",
            Syscall::Ioctl => "ioctl",
            Syscall::Fstat => "fstat",
            Syscall::PidfdOpen => "pidfd_open",
            Syscall::PidfdSendSignal => "pidfd_send_signal",
            Syscall::NameToHandleAt => "name_to_handle_at",
            Syscall::OpenByHandleAt => "open_by_handle_at",
            Syscall::Bpf => "bpf",
            Syscall::Read => "read",
        }
    }
}

/// A failed system call: its errno, which call it was, and the path it was
/// given, if the namespace was named by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What the kernel answered.
    pub errno: Errno,
    /// The call that failed.
    pub syscall: Syscall,
    /// The path the call was given; `None` for a file descriptor.
    pub path: Option<PathBuf>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.syscall.name(), self.errno.desc())?;
        if let Some(path) = &self.path {
            write!(f, " ({})", path.display())?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        std::io::Error::from_raw_os_error(e.errno as i32)
    }
}

/// What every call of this crate gives.
pub type Result<T> = std::result::Result<T, Error>;
