//! A process's namespaces opened race-free through a pidfd
//! (`PIDFD_GET_<TYPE>_NAMESPACE`, Linux 6.11), with `/proc/PID/ns/<type>`
//! as the fallback where the kernel lacks the request.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;

use nix::errno::Errno;

use crate::error::{Error, Result, Syscall};
use crate::features::Feature;
use crate::nstype::NsType;
use crate::relations::open_ns;
use crate::sys;

/// `pidfd_open(pid, 0)`: a close-on-exec descriptor of the process.
pub fn pidfd_open(pid: i32) -> Result<OwnedFd> {
    sys::pidfd::pidfd_open(pid).map_err(|errno| Error {
        errno,
        syscall: Syscall::PidfdOpen,
        path: None,
    })
}

/// Whether the process behind `pidfd` is still alive (`pidfd_send_signal`
/// with signal 0); `ESRCH` once it has exited.
fn still_alive(pidfd: &OwnedFd) -> Result<()> {
    match sys::pidfd::pidfd_send_signal(pidfd.as_fd(), 0) {
        // EPERM: alive, only not ours to signal.
        Ok(()) | Err(Errno::EPERM) => Ok(()),
        Err(errno) => Err(Error {
            errno,
            syscall: Syscall::PidfdSendSignal,
            path: None,
        }),
    }
}

/// The namespace of type `t` of process `pid`, as a new read-only,
/// close-on-exec descriptor. Through a pidfd where the kernel has the
/// requests, so that the process cannot be swapped for another with the same
/// pid meanwhile; else (and where the kernel answers a request with
/// `EINVAL`) through `/proc/PID/ns/<type>`, checked against a pidfd where the kernel has
/// `pidfd_open` (5.3).
pub fn open_process_namespace(pid: i32, t: NsType) -> Result<OwnedFd> {
    open_namespace_of(pid, t, false)
}

/// As [`open_process_namespace`], for `pid_for_children` (t = Pid) or
/// `time_for_children` (t = Time) with `for_children`.
pub(crate) fn open_namespace_of(pid: i32, t: NsType, for_children: bool) -> Result<OwnedFd> {
    let pidfd = match pidfd_open(pid) {
        Ok(fd) => Some(fd),
        Err(e) if e.errno == Errno::ENOSYS => None,
        Err(e) => return Err(e),
    };
    if let Some(pidfd) = pidfd
        .as_ref()
        .filter(|_| Feature::PidfdNamespace.available())
    {
        match sys::pidfd::get_namespace(pidfd.as_fd(), t, for_children) {
            Err(Errno::EINVAL) => {}
            done => {
                return done.map_err(|errno| Error {
                    errno,
                    syscall: Syscall::Ioctl,
                    path: None,
                })
            }
        }
    }
    let suffix = if for_children { "_for_children" } else { "" };
    let path = PathBuf::from(format!("/proc/{pid}/ns/{t}{suffix}"));
    let ns = open_ns(&path)?;
    if let Some(pidfd) = &pidfd {
        // The pid named the process we hold a pidfd of all along, if it is still there.
        still_alive(pidfd).map_err(|e| Error {
            path: Some(path),
            ..e
        })?;
    }
    Ok(ns)
}

/// The network namespace of socket `fd` of a process that `pidfd` refers
/// to, as lsns finds it: a duplicate of the socket (`pidfd_getfd`, Linux
/// 5.6), then `SIOCGSKNS`. `None` where the socket or the process is gone,
/// or the caller may not trace the process.
pub(crate) fn socket_namespace(pidfd: BorrowedFd<'_>, fd: i32) -> Option<OwnedFd> {
    let socket = sys::pidfd::pidfd_getfd(pidfd, fd).ok()?;
    sys::pidfd::socket_netns(socket.as_fd()).ok()
}
