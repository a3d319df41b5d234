//! The relations the first nsfs ioctls tell (Linux 4.9 and 4.11): a
//! namespace's type, its owning user namespace, the parent of a user or PID
//! namespace, and the uid that owns a user namespace.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

use crate::error::{Error, Result, Syscall};
use crate::nsref::{ioctl, open_path, with_fd, NsRef};
use crate::sys;

/// Opens a namespace read-only and close-on-exec, as nsfs requires. A file
/// that is no namespace gives `ENOTTY` from `ioctl` (`NS_GET_NSTYPE`), as the
/// relations calls do.
pub fn open_ns(path: impl AsRef<Path>) -> Result<OwnedFd> {
    let path = path.as_ref();
    let fd = open_path(path)?;
    sys::nsfs::get_nstype(fd.as_raw_fd()).map_err(|errno| Error {
        errno,
        syscall: Syscall::Ioctl,
        path: Some(path.to_owned()),
    })?;
    Ok(fd)
}

/// The `CLONE_NEW*` value of the namespace's type (`NS_GET_NSTYPE`); see
/// [`NsType::from_flag`](crate::NsType::from_flag).
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
