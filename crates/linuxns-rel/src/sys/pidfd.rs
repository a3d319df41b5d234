//! pidfds: `pidfd_open(2)`, `pidfd_send_signal(2)`, and the ioctls that hand
//! out a process's namespaces (`PIDFD_GET_<TYPE>_NAMESPACE`, Linux 6.11, in
//! the kernel's `include/uapi/linux/pidfd.h`).

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;

use super::fd::{owned, owned_from};
use crate::nstype::NsType;

/// The requests, each declared once. Each is `_IO(0xFF, n)`, but the kernel
/// answers `EINVAL` unless the argument is 0: declared as taking a pointer,
/// always given a null one.
mod request {
    const PIDFS_IOCTL_MAGIC: u8 = 0xFF;

    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_CGROUP_NAMESPACE`.
        pidfd_get_cgroup_namespace,
        nix::request_code_none!(PIDFS_IOCTL_MAGIC, 1),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_IPC_NAMESPACE`.
        pidfd_get_ipc_namespace,
        nix::request_code_none!(PIDFS_IOCTL_MAGIC, 2),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_MNT_NAMESPACE`.
        pidfd_get_mnt_namespace,
        nix::request_code_none!(PIDFS_IOCTL_MAGIC, 3),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_NET_NAMESPACE`.
        pidfd_get_net_namespace,
        nix::request_code_none!(PIDFS_IOCTL_MAGIC, 4),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_PID_NAMESPACE`.
        pidfd_get_pid_namespace,
        nix::request_code_none!(PIDFS_IOCTL_MAGIC, 5),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_PID_FOR_CHILDREN_NAMESPACE`.
        pidfd_get_pid_for_children_namespace,
        nix::request_code_none!(PIDFS_IOCTL_MAGIC, 6),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_TIME_NAMESPACE`.
        pidfd_get_time_namespace,
        nix::request_code_none!(PIDFS_IOCTL_MAGIC, 7),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_TIME_FOR_CHILDREN_NAMESPACE`.
        pidfd_get_time_for_children_namespace,
        nix::request_code_none!(PIDFS_IOCTL_MAGIC, 8),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_USER_NAMESPACE`.
        pidfd_get_user_namespace,
        nix::request_code_none!(PIDFS_IOCTL_MAGIC, 9),
        u8
    );
    nix::ioctl_write_ptr_bad!(
        /// `PIDFD_GET_UTS_NAMESPACE`.
        pidfd_get_uts_namespace,
        nix::request_code_none!(PIDFS_IOCTL_MAGIC, 10),
        u8
    );
}

/// `pidfd_open(pid, 0)`: a close-on-exec descriptor of the process.
pub(crate) fn pidfd_open(pid: i32) -> nix::Result<OwnedFd> {
    // SAFETY: pidfd_open takes two integers and returns a new descriptor or -1.
    unsafe { owned_from(libc::syscall(libc::SYS_pidfd_open, pid, 0)) }
}

/// `pidfd_getfd(pidfd, fd, 0)`: a close-on-exec duplicate of descriptor
/// `fd` of the process (Linux 5.6; the caller must be allowed to trace it).
pub(crate) fn pidfd_getfd(pidfd: BorrowedFd<'_>, fd: i32) -> nix::Result<OwnedFd> {
    // SAFETY: pidfd_getfd takes three integers and returns a new descriptor or -1.
    unsafe {
        owned_from(libc::syscall(
            libc::SYS_pidfd_getfd,
            pidfd.as_raw_fd(),
            fd,
            0,
        ))
    }
}

/// `SIOCGSKNS`: a new descriptor of the network namespace of a socket.
pub(crate) fn socket_netns(socket: BorrowedFd<'_>) -> nix::Result<OwnedFd> {
    const SIOCGSKNS: libc::c_ulong = 0x894C;
    // SAFETY: the request passes no data and returns a new descriptor or -1.
    unsafe { owned_from(libc::ioctl(socket.as_raw_fd(), SIOCGSKNS as _).into()) }
}

/// `pidfd_send_signal(pidfd, signal, NULL, 0)`; signal 0 only checks that
/// the process is still there.
pub(crate) fn pidfd_send_signal(pidfd: BorrowedFd<'_>, signal: i32) -> nix::Result<()> {
    // SAFETY: the null siginfo is allowed; the call passes no other memory.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signal,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    Errno::result(r).map(drop)
}

/// `ioctl(pidfd, PIDFD_GET_<TYPE>_NAMESPACE)`, or with `for_children` the
/// `pid_for_children` / `time_for_children` request: a new descriptor of
/// the process's namespace. `EINVAL` for the types that have no such request.
pub(crate) fn get_namespace(
    pidfd: BorrowedFd<'_>,
    t: NsType,
    for_children: bool,
) -> nix::Result<OwnedFd> {
    let request = match (t, for_children) {
        (NsType::Cgroup, false) => request::pidfd_get_cgroup_namespace,
        (NsType::Ipc, false) => request::pidfd_get_ipc_namespace,
        (NsType::Mnt, false) => request::pidfd_get_mnt_namespace,
        (NsType::Net, false) => request::pidfd_get_net_namespace,
        (NsType::Pid, false) => request::pidfd_get_pid_namespace,
        (NsType::Pid, true) => request::pidfd_get_pid_for_children_namespace,
        (NsType::Time, false) => request::pidfd_get_time_namespace,
        (NsType::Time, true) => request::pidfd_get_time_for_children_namespace,
        (NsType::User, false) => request::pidfd_get_user_namespace,
        (NsType::Uts, false) => request::pidfd_get_uts_namespace,
        _ => return Err(Errno::EINVAL),
    };
    // SAFETY: the request takes a null argument and returns a new descriptor
    // that nothing else owns.
    unsafe { request(pidfd.as_raw_fd(), std::ptr::null()).map(|fd| owned(fd)) }
}
