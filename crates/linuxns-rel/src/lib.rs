//! Relations between Linux namespaces, asked of the kernel through the nsfs
//! ioctls: the user namespace that owns a namespace, the parent of a user or
//! PID namespace, the uid that owns a user namespace, and a namespace's type.
//!
//! A namespace is named by a [`NsRef`]: a path such as `/proc/self/ns/net`
//! (opened read-only and closed again inside the call) or a file descriptor
//! that the caller owns (never closed here). Namespaces handed back
//! ([`get_userns`], [`get_parentns`]) come as [`OwnedFd`]s, read-only and
//! close-on-exec, which are themselves namespace references.
//!
//! ```no_run
//! use linuxns_rel::{get_nstype, get_userns, get_owner_uid, NsType};
//! use std::os::fd::AsRawFd;
//!
//! let owner = get_userns("/proc/self/ns/net")?;
//! println!("owner uid {}", get_owner_uid(&owner)?);
//! assert_eq!(NsType::from_flag(get_nstype(&owner)?), Some(NsType::User));
//! # Ok::<(), linuxns_rel::Error>(())
//! ```

#![warn(missing_docs)]

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;

pub mod discover;
pub mod features;
mod handle;
mod ids;
mod mntns;
mod pidfd;
mod procfs;
mod sys;

pub use discover::{discover, DiscoverOptions, Discovery};
pub use features::{kernel_features, Feature, KernelFeatures};
pub use handle::{is_ns_file_handle, ns_file_handle, open_ns_file_handle};
pub use ids::{
    get_ns_id, ns_stat, pid_from_pidns, pid_in_pidns, tgid_from_pidns, tgid_in_pidns, NsStat,
};
pub use mntns::{get_mntns_id, list_mount_namespaces, mntns_info, mount_namespaces, MntNsInfo};
pub use pidfd::{open_process_namespace, pidfd_open};
pub use sys::handle::FD_NSFS_ROOT;

/// The eight kinds of Linux namespace, each with its `CLONE_NEW*` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NsType {
    /// `CLONE_NEWCGROUP`: the cgroup root directory.
    Cgroup,
    /// `CLONE_NEWIPC`: System V IPC and POSIX message queues.
    Ipc,
    /// `CLONE_NEWNS`: mount points.
    Mnt,
    /// `CLONE_NEWNET`: network devices, stacks, ports.
    Net,
    /// `CLONE_NEWPID`: process ids.
    Pid,
    /// `CLONE_NEWTIME`: the boot and monotonic clocks (Linux 5.6).
    Time,
    /// `CLONE_NEWUSER`: user and group ids, and capabilities.
    User,
    /// `CLONE_NEWUTS`: host and NIS domain name.
    Uts,
}

impl NsType {
    /// Every type, in the order of their names.
    pub const ALL: [NsType; 8] = [
        NsType::Cgroup,
        NsType::Ipc,
        NsType::Mnt,
        NsType::Net,
        NsType::Pid,
        NsType::Time,
        NsType::User,
        NsType::Uts,
    ];

    /// The `CLONE_NEW*` value that `NS_GET_NSTYPE` returns for this type.
    pub const fn flag(self) -> i32 {
        match self {
            NsType::Cgroup => libc::CLONE_NEWCGROUP,
            NsType::Ipc => libc::CLONE_NEWIPC,
            NsType::Mnt => libc::CLONE_NEWNS,
            NsType::Net => libc::CLONE_NEWNET,
            NsType::Pid => libc::CLONE_NEWPID,
            // libc only has CLONE_NEWTIME on some targets; the value is fixed by the kernel ABI.
            NsType::Time => 0x80,
            NsType::User => libc::CLONE_NEWUSER,
            NsType::Uts => libc::CLONE_NEWUTS,
        }
    }

    /// The type of a `CLONE_NEW*` value, or `None` where it names no single type.
    pub fn from_flag(flag: i32) -> Option<NsType> {
        NsType::ALL.into_iter().find(|t| t.flag() == flag)
    }

    /// The name the kernel uses in `/proc/PID/ns/` and in `type:[inode]` links.
    pub const fn name(self) -> &'static str {
        match self {
            NsType::Cgroup => "cgroup",
            NsType::Ipc => "ipc",
            NsType::Mnt => "mnt",
            NsType::Net => "net",
            NsType::Pid => "pid",
            NsType::Time => "time",
            NsType::User => "user",
            NsType::Uts => "uts",
        }
    }
}

impl fmt::Display for NsType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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
pub fn open_ns(path: impl AsRef<Path>) -> Result<OwnedFd> {
    let path = path.as_ref();
    open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).map_err(|errno| Error {
        errno,
        syscall: Syscall::Open,
        path: Some(path.to_owned()),
    })
}

/// A failed ioctl, for [`with_fd`].
pub(crate) fn ioctl(errno: Errno) -> (Errno, Syscall) {
    (errno, Syscall::Ioctl)
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
            let fd = open_ns(path)?;
            f(fd.as_raw_fd()).map_err(|(errno, syscall)| Error {
                errno,
                syscall,
                path: Some(path.to_owned()),
            })
        }
    }
}

/// The `CLONE_NEW*` value of the namespace's type (`NS_GET_NSTYPE`); see
/// [`NsType::from_flag`].
pub fn get_nstype<'a>(ns: impl Into<NsRef<'a>>) -> Result<i32> {
    with_fd(ns.into(), |fd| sys::nsfs::get_nstype(fd).map_err(ioctl))
}

/// The user namespace that owns the namespace (`NS_GET_USERNS`); for a user
/// namespace, its parent. `EPERM` where the owner lies outside the caller's view.
pub fn get_userns<'a>(ns: impl Into<NsRef<'a>>) -> Result<OwnedFd> {
    with_fd(ns.into(), |fd| sys::nsfs::get_userns(fd).map_err(ioctl))
}

/// The parent of a user or PID namespace (`NS_GET_PARENT`). `EPERM` at the
/// top of the hierarchy as the caller sees it; `EINVAL` for the flat types.
pub fn get_parentns<'a>(ns: impl Into<NsRef<'a>>) -> Result<OwnedFd> {
    with_fd(ns.into(), |fd| sys::nsfs::get_parent(fd).map_err(ioctl))
}

/// The uid that owns a user namespace (`NS_GET_OWNER_UID`), as seen from the
/// caller's user namespace (65534 where unmapped). `EINVAL` for other types.
pub fn get_owner_uid<'a>(ns: impl Into<NsRef<'a>>) -> Result<u32> {
    with_fd(ns.into(), |fd| sys::nsfs::get_owner_uid(fd).map_err(ioctl))
}
