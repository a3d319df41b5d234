//! Mount namespace ids (`NS_GET_MNTNS_ID`, Linux 6.11) and the list of every
//! mount namespace on the system (`NS_MNT_GET_INFO` / `NEXT` / `PREV`,
//! Linux 6.12), also the ones no process is in.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use nix::errno::Errno;

use crate::error::{Error, Result, Syscall};
use crate::features::Feature;
use crate::nsref::{ioctl, with_fd, NsRef};
use crate::relations::open_ns;
use crate::sys::fd::fstat;
use crate::sys::nsfs::{self, RawMntNsInfo};

/// The 64-bit id of a mount namespace (`NS_GET_MNTNS_ID`), as `statmount`
/// and `listmount` know it. `EINVAL` for other types; `EOPNOTSUPP` before 6.11.
pub fn get_mntns_id<'a>(ns: impl Into<NsRef<'a>>) -> Result<u64> {
    Feature::MntnsId.require()?;
    with_fd(ns.into(), |fd| nsfs::get_mntns_id(fd).map_err(ioctl))
}

/// One mount namespace of [`list_mount_namespaces`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MntNsInfo {
    /// Its mount namespace id (as [`get_mntns_id`] gives it).
    pub id: u64,
    /// Its nsfs inode.
    pub ino: u64,
    /// How many mounts it has.
    pub mounts: u32,
}

fn info_of(fd: RawFd, info: &RawMntNsInfo) -> std::result::Result<MntNsInfo, (Errno, Syscall)> {
    let st = fstat(fd).map_err(|e| (e, Syscall::Fstat))?;
    Ok(MntNsInfo {
        id: info.mnt_ns_id,
        ino: st.st_ino,
        mounts: info.nr_mounts,
    })
}

/// A mount namespace's id, inode and number of mounts (`NS_MNT_GET_INFO`).
pub fn mntns_info<'a>(ns: impl Into<NsRef<'a>>) -> Result<MntNsInfo> {
    Feature::MntnsList.require()?;
    with_fd(ns.into(), |fd| {
        let info = nsfs::mnt_get_info(fd).map_err(ioctl)?;
        info_of(fd, &info)
    })
}

/// Every mount namespace the caller may list, with a descriptor of each, in
/// id order: the caller's own, then `NS_MNT_GET_PREV` and `NS_MNT_GET_NEXT`
/// from it to either end (`ENOENT`). The walk stops in a direction at a
/// namespace the kernel will not hand out (`EPERM` without `CAP_SYS_ADMIN`).
pub fn mount_namespaces() -> Result<Vec<(MntNsInfo, OwnedFd)>> {
    Feature::MntnsList.require()?;
    let own = open_ns("/proc/self/ns/mnt")?;
    let err = |errno| Error {
        errno,
        syscall: Syscall::Ioctl,
        path: None,
    };
    let first = mntns_info(&own)?;
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (previous, out) in [(true, &mut before), (false, &mut after)] {
        let step = if previous {
            nsfs::mnt_get_prev
        } else {
            nsfs::mnt_get_next
        };
        let mut last: Option<(MntNsInfo, OwnedFd)> = None;
        loop {
            let at = last.as_ref().map_or(own.as_fd(), |(_, fd)| fd.as_fd());
            let (fd, info) = match step(at) {
                Ok(next) => next,
                Err(Errno::ENOENT | Errno::EPERM) => break,
                Err(errno) => return Err(err(errno)),
            };
            let found = info_of(fd.as_raw_fd(), &info).map_err(|(errno, syscall)| Error {
                errno,
                syscall,
                path: None,
            })?;
            out.extend(last.replace((found, fd)));
        }
        out.extend(last);
    }
    before.reverse();
    before.push((first, own));
    before.extend(after);
    Ok(before)
}

/// Every mount namespace the caller may list, in id order, also those no
/// process is in (kept by a bind mount or an open descriptor); see
/// [`mount_namespaces`].
pub fn list_mount_namespaces() -> Result<Vec<MntNsInfo>> {
    Ok(mount_namespaces()?
        .into_iter()
        .map(|(info, _)| info)
        .collect())
}
