//! A process's namespaces opened race-free through a pidfd
//! (`PIDFD_GET_<TYPE>_NAMESPACE`, Linux 6.11), with `/proc/PID/ns/<type>`
//! as the fallback where the kernel lacks the request.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;

use nix::errno::Errno;

use crate::features::Feature;
use crate::{open_ns, pidfs, Error, NsType, Result, Syscall};

/// `pidfd_open(pid, 0)`: a close-on-exec descriptor of the process.
pub fn pidfd_open(pid: i32) -> Result<OwnedFd> {
    // SAFETY: pidfd_open takes two integers and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = Errno::result(fd).map_err(|errno| Error {
        errno,
        syscall: Syscall::PidfdOpen,
        path: None,
    })?;
    let fd = i32::try_from(fd).map_err(|_| Error {
        errno: Errno::EBADF,
        syscall: Syscall::PidfdOpen,
        path: None,
    })?;
    // SAFETY: the kernel has just returned this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `ioctl(pidfd, PIDFD_GET_<TYPE>_NAMESPACE)` (or, with `for_children`, the
/// `pid_for_children` / `time_for_children` request).
pub(crate) fn ioctl_namespace(pidfd: &OwnedFd, t: NsType, for_children: bool) -> Result<OwnedFd> {
    let err = |errno| Error {
        errno,
        syscall: Syscall::Ioctl,
        path: None,
    };
    let request = pidfs::get_namespace(t, for_children).ok_or(err(Errno::EINVAL))?;
    // SAFETY: the request takes a null argument and returns a new descriptor.
    let fd = unsafe { request(pidfd.as_raw_fd(), std::ptr::null()) }.map_err(err)?;
    // SAFETY: the kernel has just returned this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Whether the process behind `pidfd` is still alive (`pidfd_send_signal`
/// with signal 0); `ESRCH` once it has exited.
fn still_alive(pidfd: &OwnedFd) -> Result<()> {
    // SAFETY: signal 0 sends nothing; the null siginfo is allowed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            0,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    match Errno::result(r) {
        // EPERM: alive, only not ours to signal.
        Ok(_) | Err(Errno::EPERM) => Ok(()),
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
        match ioctl_namespace(pidfd, t, for_children) {
            Err(e) if e.errno == Errno::EINVAL => {}
            done => return done,
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
