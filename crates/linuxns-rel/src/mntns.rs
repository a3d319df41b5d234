//! Mount namespace ids (`NS_GET_MNTNS_ID`, Linux 6.11) and the list of every
//! mount namespace on the system (`NS_MNT_GET_INFO` / `NEXT` / `PREV`,
//! Linux 6.12), also the ones no process is in.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;

use crate::features::Feature;
use crate::{nsfs, open_ns, with_fd, Error, NsRef, Result, Syscall};

/// The 64-bit id of a mount namespace (`NS_GET_MNTNS_ID`), as `statmount`
/// and `listmount` know it. `EINVAL` for other types; `EOPNOTSUPP` before 6.11.
pub fn get_mntns_id<'a>(ns: impl Into<NsRef<'a>>) -> Result<u64> {
    Feature::MntnsId.require()?;
    with_fd(ns.into(), |fd| {
        let mut id = 0u64;
        // SAFETY: the kernel writes one u64 through the pointer, which points at `id`.
        unsafe { nsfs::ns_get_mntns_id(fd, &mut id) }.map_err(|e| (e, Syscall::Ioctl))?;
        Ok(id)
    })
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

fn info_size() -> u32 {
    std::mem::size_of::<nsfs::MntNsInfo>() as u32
}

fn info_of(fd: RawFd, info: &nsfs::MntNsInfo) -> std::result::Result<MntNsInfo, (Errno, Syscall)> {
    let st = crate::fstat_raw(fd).map_err(|e| (e, Syscall::Fstat))?;
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
        let mut info = nsfs::MntNsInfo {
            size: info_size(),
            ..Default::default()
        };
        // SAFETY: the kernel writes one struct mnt_ns_info through the pointer.
        unsafe { nsfs::ns_mnt_get_info(fd, &mut info) }.map_err(|e| (e, Syscall::Ioctl))?;
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
        let mut at = own.as_raw_fd();
        loop {
            let mut info = nsfs::MntNsInfo {
                size: info_size(),
                ..Default::default()
            };
            // SAFETY: the kernel writes one struct mnt_ns_info through the
            // pointer and returns a new descriptor.
            let next = unsafe {
                if previous {
                    nsfs::ns_mnt_get_prev(at, &mut info)
                } else {
                    nsfs::ns_mnt_get_next(at, &mut info)
                }
            };
            let fd = match next {
                Ok(fd) => fd,
                Err(Errno::ENOENT | Errno::EPERM) => break,
                Err(errno) => return Err(err(errno)),
            };
            // SAFETY: the kernel has just returned this descriptor; nothing else owns it.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            let found = info_of(fd.as_raw_fd(), &info).map_err(|(errno, syscall)| Error {
                errno,
                syscall,
                path: None,
            })?;
            at = fd.as_raw_fd();
            out.push((found, fd));
        }
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
