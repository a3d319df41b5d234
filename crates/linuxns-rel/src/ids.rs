//! Namespace ids (`NS_GET_ID`, Linux 6.18), what `fstat` and the kernel say
//! about a namespace in one call, and pid translation between PID
//! namespaces (`NS_GET_{PID,TGID}_{FROM,IN}_PIDNS`, Linux 6.11).

use std::os::fd::RawFd;

use nix::errno::Errno;

use crate::error::{Result, Syscall};
use crate::features::Feature;
use crate::nsref::{ioctl, with_fd, NsRef};
use crate::nstype::NsType;
use crate::sys::{fd::fstat, nsfs};

/// The namespace's unique 64-bit id (`NS_GET_ID`), never reused while the
/// system runs. `EOPNOTSUPP` before Linux 6.18.
pub fn get_ns_id<'a>(ns: impl Into<NsRef<'a>>) -> Result<u64> {
    Feature::NsId.require()?;
    with_fd(ns.into(), |fd| nsfs::get_id(fd).map_err(ioctl))
}

/// A namespace's type, inode, device and id, from [`ns_stat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NsStat {
    /// Its type (`NS_GET_NSTYPE`).
    pub ns_type: NsType,
    /// The nsfs inode number, as in `type:[inode]`.
    pub ino: u64,
    /// The nsfs device (`st_dev`).
    pub dev: u64,
    /// The `NS_GET_ID` id; `None` before Linux 6.18.
    pub id: Option<u64>,
}

/// What the namespace is: `fstat`, `NS_GET_NSTYPE` and (where the kernel
/// has it) `NS_GET_ID` on one descriptor.
pub fn ns_stat<'a>(ns: impl Into<NsRef<'a>>) -> Result<NsStat> {
    let ids = Feature::NsId.available();
    with_fd(ns.into(), |fd| {
        let flag = nsfs::get_nstype(fd).map_err(ioctl)?;
        let ns_type = NsType::from_flag(flag).ok_or((Errno::EINVAL, Syscall::Ioctl))?;
        let st = fstat(fd).map_err(|e| (e, Syscall::Fstat))?;
        let id = if ids {
            Some(nsfs::get_id(fd).map_err(ioctl)?)
        } else {
            None
        };
        Ok(NsStat {
            ns_type,
            ino: st.st_ino,
            dev: st.st_dev,
            id,
        })
    })
}

fn translate(ns: NsRef<'_>, request: fn(RawFd, i32) -> nix::Result<i32>, pid: i32) -> Result<i32> {
    Feature::PidTranslation.require()?;
    with_fd(ns, |fd| request(fd, pid).map_err(ioctl))
}

/// The caller's number for the process that is `pid` inside the PID
/// namespace (`NS_GET_PID_FROM_PIDNS`). `ESRCH` where there is none the
/// caller can see; `EINVAL` for other namespace types.
pub fn pid_from_pidns<'a>(pidns: impl Into<NsRef<'a>>, pid: i32) -> Result<i32> {
    translate(pidns.into(), nsfs::get_pid_from_pidns, pid)
}

/// As [`pid_from_pidns`], for the thread group (`NS_GET_TGID_FROM_PIDNS`).
pub fn tgid_from_pidns<'a>(pidns: impl Into<NsRef<'a>>, pid: i32) -> Result<i32> {
    translate(pidns.into(), nsfs::get_tgid_from_pidns, pid)
}

/// The number inside the PID namespace of the process that is `pid` to the
/// caller (`NS_GET_PID_IN_PIDNS`). `ESRCH` where it is not in that namespace.
pub fn pid_in_pidns<'a>(pidns: impl Into<NsRef<'a>>, pid: i32) -> Result<i32> {
    translate(pidns.into(), nsfs::get_pid_in_pidns, pid)
}

/// As [`pid_in_pidns`], for the thread group (`NS_GET_TGID_IN_PIDNS`).
pub fn tgid_in_pidns<'a>(pidns: impl Into<NsRef<'a>>, pid: i32) -> Result<i32> {
    translate(pidns.into(), nsfs::get_tgid_in_pidns, pid)
}
