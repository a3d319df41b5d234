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
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;

pub mod containers;
pub mod discover;
pub mod features;
mod handle;
mod ids;
mod mntns;
mod pidfd;
mod procfs;

pub use containers::{
    chain_from_cgroup, Container, ContainerOptions, ContainerRef, Engine, Engines,
};
pub use discover::{discover, DiscoverOptions, Discovery};
pub use features::{kernel_features, Feature, KernelFeatures};
pub use handle::{ns_file_handle, open_ns_file_handle, FD_NSFS_ROOT};
pub use ids::{
    get_ns_id, ns_stat, pid_from_pidns, pid_in_pidns, tgid_from_pidns, tgid_in_pidns, NsStat,
};
pub use mntns::{get_mntns_id, list_mount_namespaces, mntns_info, mount_namespaces, MntNsInfo};
pub use pidfd::{open_process_namespace, pidfd_open};

/// The nsfs ioctls, as declared in the kernel's `include/uapi/linux/nsfs.h`.
mod nsfs {
    const NSIO: u8 = 0xb7;

    nix::ioctl_none!(
        /// `NS_GET_USERNS`: a new fd of the user namespace that owns the namespace.
        ns_get_userns,
        super::nsfs::NSIO,
        1
    );
    nix::ioctl_none!(
        /// `NS_GET_PARENT`: a new fd of the parent of a user or PID namespace.
        ns_get_parent,
        super::nsfs::NSIO,
        2
    );
    nix::ioctl_none!(
        /// `NS_GET_NSTYPE`: the namespace's `CLONE_NEW*` value.
        ns_get_nstype,
        super::nsfs::NSIO,
        3
    );
    nix::ioctl_read_bad!(
        /// `NS_GET_OWNER_UID`: declared `_IO(0xb7, 4)` but writes a `uid_t`
        /// through its argument.
        ns_get_owner_uid,
        nix::request_code_none!(super::nsfs::NSIO, 4),
        libc::uid_t
    );
    nix::ioctl_read!(
        /// `NS_GET_MNTNS_ID` (Linux 6.11): the 64-bit id of a mount namespace.
        ns_get_mntns_id,
        super::nsfs::NSIO,
        5,
        u64
    );
    nix::ioctl_write_int_bad!(
        /// `NS_GET_PID_FROM_PIDNS` (Linux 6.11): declared `_IOR(0xb7, 6, int)`,
        /// but takes the pid inside the PID namespace as the argument's value;
        /// returns the caller's number for it.
        ns_get_pid_from_pidns,
        nix::request_code_read!(super::nsfs::NSIO, 6, std::mem::size_of::<libc::c_int>())
    );
    nix::ioctl_write_int_bad!(
        /// `NS_GET_TGID_FROM_PIDNS` (Linux 6.11): as `NS_GET_PID_FROM_PIDNS`, for thread-group ids.
        ns_get_tgid_from_pidns,
        nix::request_code_read!(super::nsfs::NSIO, 7, std::mem::size_of::<libc::c_int>())
    );
    nix::ioctl_write_int_bad!(
        /// `NS_GET_PID_IN_PIDNS` (Linux 6.11): takes the caller's pid as the
        /// argument's value; returns its number inside the PID namespace.
        ns_get_pid_in_pidns,
        nix::request_code_read!(super::nsfs::NSIO, 8, std::mem::size_of::<libc::c_int>())
    );
    nix::ioctl_write_int_bad!(
        /// `NS_GET_TGID_IN_PIDNS` (Linux 6.11): as `NS_GET_PID_IN_PIDNS`, for thread-group ids.
        ns_get_tgid_in_pidns,
        nix::request_code_read!(super::nsfs::NSIO, 9, std::mem::size_of::<libc::c_int>())
    );

    /// `struct mnt_ns_info` of `include/uapi/linux/nsfs.h` (`MNT_NS_INFO_SIZE_VER0`).
    #[repr(C)]
    #[derive(Debug, Default, Clone, Copy)]
    pub struct MntNsInfo {
        pub size: u32,
        pub nr_mounts: u32,
        pub mnt_ns_id: u64,
    }

    nix::ioctl_read!(
        /// `NS_MNT_GET_INFO` (Linux 6.12): a mount namespace's id and number of mounts.
        ns_mnt_get_info,
        super::nsfs::NSIO,
        10,
        MntNsInfo
    );
    nix::ioctl_read!(
        /// `NS_MNT_GET_NEXT` (Linux 6.12): a new fd of the next mount namespace
        /// in id order, and its info.
        ns_mnt_get_next,
        super::nsfs::NSIO,
        11,
        MntNsInfo
    );
    nix::ioctl_read!(
        /// `NS_MNT_GET_PREV` (Linux 6.12): a new fd of the previous mount
        /// namespace in id order, and its info.
        ns_mnt_get_prev,
        super::nsfs::NSIO,
        12,
        MntNsInfo
    );
    nix::ioctl_read!(
        /// `NS_GET_ID` (Linux 6.18): the namespace's unique 64-bit id.
        ns_get_id,
        super::nsfs::NSIO,
        13,
        u64
    );
}

/// The pidfd ioctls that hand out a process's namespaces (Linux 6.11), as
/// declared in the kernel's `include/uapi/linux/pidfd.h`.
mod pidfs {
    const PIDFS_IOCTL_MAGIC: u8 = 0xFF;

    // Each is `_IO(0xFF, n)`, but the kernel answers EINVAL unless the
    // argument is 0: declared as taking a pointer, always given a null one.

    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_CGROUP_NAMESPACE`.
        pidfd_get_cgroup_namespace,
        nix::request_code_none!(super::pidfs::PIDFS_IOCTL_MAGIC, 1),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_IPC_NAMESPACE`.
        pidfd_get_ipc_namespace,
        nix::request_code_none!(super::pidfs::PIDFS_IOCTL_MAGIC, 2),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_MNT_NAMESPACE`.
        pidfd_get_mnt_namespace,
        nix::request_code_none!(super::pidfs::PIDFS_IOCTL_MAGIC, 3),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_NET_NAMESPACE`.
        pidfd_get_net_namespace,
        nix::request_code_none!(super::pidfs::PIDFS_IOCTL_MAGIC, 4),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_PID_NAMESPACE`.
        pidfd_get_pid_namespace,
        nix::request_code_none!(super::pidfs::PIDFS_IOCTL_MAGIC, 5),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_PID_FOR_CHILDREN_NAMESPACE`.
        pidfd_get_pid_for_children_namespace,
        nix::request_code_none!(super::pidfs::PIDFS_IOCTL_MAGIC, 6),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_TIME_NAMESPACE`.
        pidfd_get_time_namespace,
        nix::request_code_none!(super::pidfs::PIDFS_IOCTL_MAGIC, 7),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_TIME_FOR_CHILDREN_NAMESPACE`.
        pidfd_get_time_for_children_namespace,
        nix::request_code_none!(super::pidfs::PIDFS_IOCTL_MAGIC, 8),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_USER_NAMESPACE`.
        pidfd_get_user_namespace,
        nix::request_code_none!(super::pidfs::PIDFS_IOCTL_MAGIC, 9),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_UTS_NAMESPACE`.
        pidfd_get_uts_namespace,
        nix::request_code_none!(super::pidfs::PIDFS_IOCTL_MAGIC, 10),
        u8
    );

    /// The request for a process's namespace of type `t`, or with
    /// `for_children`, its `pid_for_children` / `time_for_children`
    /// (`None` for the types that have none).
    pub(crate) fn get_namespace(
        t: crate::NsType,
        for_children: bool,
    ) -> Option<unsafe fn(libc::c_int, *const u8) -> nix::Result<libc::c_int>> {
        use crate::NsType;
        Some(match (t, for_children) {
            (NsType::Cgroup, false) => pidfd_get_cgroup_namespace,
            (NsType::Ipc, false) => pidfd_get_ipc_namespace,
            (NsType::Mnt, false) => pidfd_get_mnt_namespace,
            (NsType::Net, false) => pidfd_get_net_namespace,
            (NsType::Pid, false) => pidfd_get_pid_namespace,
            (NsType::Pid, true) => pidfd_get_pid_for_children_namespace,
            (NsType::Time, false) => pidfd_get_time_namespace,
            (NsType::Time, true) => pidfd_get_time_for_children_namespace,
            (NsType::User, false) => pidfd_get_user_namespace,
            (NsType::Uts, false) => pidfd_get_uts_namespace,
            _ => return None,
        })
    }
}

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

/// Runs one ioctl on the namespace `ns` names, opening and closing it if it is a path.
fn with_ns<T>(ns: NsRef<'_>, ioctl: impl FnOnce(RawFd) -> nix::Result<T>) -> Result<T> {
    match ns {
        NsRef::Fd(fd) => ioctl(fd).map_err(|errno| Error {
            errno,
            syscall: Syscall::Ioctl,
            path: None,
        }),
        NsRef::Path(path) => {
            let fd = open_ns(path)?;
            ioctl(fd.as_raw_fd()).map_err(|errno| Error {
                errno,
                syscall: Syscall::Ioctl,
                path: Some(path.to_owned()),
            })
        }
    }
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

/// `fstat(2)` of a descriptor the caller holds open for the call.
/// Any number is accepted (not so `BorrowedFd`, for -1): a bad one gives `EBADF`.
pub(crate) fn fstat_raw(fd: RawFd) -> nix::Result<nix::sys::stat::FileStat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: the kernel fills in `st` when it returns 0.
    Errno::result(unsafe { libc::fstat(fd, st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so `st` is initialised.
    Ok(unsafe { st.assume_init() })
}

/// Takes ownership of a descriptor that an nsfs ioctl has just returned.
fn owned(fd: RawFd) -> OwnedFd {
    // SAFETY: NS_GET_USERNS and NS_GET_PARENT return a new descriptor that nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// The `CLONE_NEW*` value of the namespace's type (`NS_GET_NSTYPE`); see
/// [`NsType::from_flag`].
pub fn get_nstype<'a>(ns: impl Into<NsRef<'a>>) -> Result<i32> {
    // SAFETY: the request passes no data.
    with_ns(ns.into(), |fd| unsafe { nsfs::ns_get_nstype(fd) })
}

/// The user namespace that owns the namespace (`NS_GET_USERNS`); for a user
/// namespace, its parent. `EPERM` where the owner lies outside the caller's view.
pub fn get_userns<'a>(ns: impl Into<NsRef<'a>>) -> Result<OwnedFd> {
    // SAFETY: the request passes no data.
    with_ns(ns.into(), |fd| unsafe { nsfs::ns_get_userns(fd) }).map(owned)
}

/// The parent of a user or PID namespace (`NS_GET_PARENT`). `EPERM` at the
/// top of the hierarchy as the caller sees it; `EINVAL` for the flat types.
pub fn get_parentns<'a>(ns: impl Into<NsRef<'a>>) -> Result<OwnedFd> {
    // SAFETY: the request passes no data.
    with_ns(ns.into(), |fd| unsafe { nsfs::ns_get_parent(fd) }).map(owned)
}

/// The uid that owns a user namespace (`NS_GET_OWNER_UID`), as seen from the
/// caller's user namespace (65534 where unmapped). `EINVAL` for other types.
pub fn get_owner_uid<'a>(ns: impl Into<NsRef<'a>>) -> Result<u32> {
    with_ns(ns.into(), |fd| {
        let mut uid: libc::uid_t = 0;
        // SAFETY: the kernel writes one uid_t through the pointer, which points at `uid`.
        unsafe { nsfs::ns_get_owner_uid(fd, &mut uid) }?;
        Ok(uid)
    })
}
