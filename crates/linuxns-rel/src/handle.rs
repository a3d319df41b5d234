//! Namespace file handles (Linux 6.18): `name_to_handle_at` on a namespace
//! descriptor gives a handle that `open_by_handle_at` turns back into the
//! namespace later, without any path, for as long as the namespace lives.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;

use crate::features::Feature;
use crate::{with_fd, Error, NsRef, Result, Syscall};

/// `MAX_HANDLE_SZ` in the kernel's `include/linux/exportfs.h`.
const MAX_HANDLE_SZ: usize = 128;

/// The `mount_fd` that `open_by_handle_at` takes for nsfs handles.
pub const FD_NSFS_ROOT: RawFd = -10003;

/// `struct file_handle`: `handle_bytes`, `handle_type`, then the handle, in
/// an aligned buffer of the largest size.
#[repr(C)]
struct FileHandle {
    handle_bytes: u32,
    handle_type: i32,
    f_handle: [u8; MAX_HANDLE_SZ],
}

impl FileHandle {
    fn empty() -> Self {
        FileHandle {
            handle_bytes: MAX_HANDLE_SZ as u32,
            handle_type: 0,
            f_handle: [0; MAX_HANDLE_SZ],
        }
    }
}

/// `name_to_handle_at(fd, "", .., AT_EMPTY_PATH)`: the handle as the bytes
/// of a `struct file_handle` (native-endian `u32` size, `i32` type, handle).
pub(crate) fn name_to_handle(fd: RawFd) -> std::result::Result<Vec<u8>, Errno> {
    let mut handle = FileHandle::empty();
    let mut mount_id: libc::c_int = 0;
    // SAFETY: the path is an empty C string, the handle has room for
    // MAX_HANDLE_SZ bytes as its handle_bytes says, and mount_id is an int.
    let r = unsafe {
        libc::syscall(
            libc::SYS_name_to_handle_at,
            fd,
            c"".as_ptr(),
            &mut handle as *mut FileHandle,
            &mut mount_id as *mut libc::c_int,
            libc::AT_EMPTY_PATH,
        )
    };
    Errno::result(r)?;
    let len = usize::try_from(handle.handle_bytes).map_err(|_| Errno::EOVERFLOW)?;
    let bytes = handle.f_handle.get(..len).ok_or(Errno::EOVERFLOW)?;
    let mut out = Vec::with_capacity(8 + len);
    out.extend_from_slice(&handle.handle_bytes.to_ne_bytes());
    out.extend_from_slice(&handle.handle_type.to_ne_bytes());
    out.extend_from_slice(bytes);
    Ok(out)
}

/// A file handle of the namespace: bytes to keep (in memory or elsewhere)
/// and give to [`open_ns_file_handle`] later. `EOPNOTSUPP` before Linux 6.18.
pub fn ns_file_handle<'a>(ns: impl Into<NsRef<'a>>) -> Result<Vec<u8>> {
    Feature::NsFileHandle.require()?;
    with_fd(ns.into(), |fd| {
        name_to_handle(fd).map_err(|e| (e, Syscall::NameToHandleAt))
    })
}

/// Reopens a namespace from a handle that [`ns_file_handle`] gave, as a new
/// read-only, close-on-exec descriptor. `ESTALE` once the namespace is gone
/// (or when the caller may not see it); `EINVAL` for bytes that are no handle.
pub fn open_ns_file_handle(bytes: &[u8]) -> Result<OwnedFd> {
    let err = |errno| Error {
        errno,
        syscall: Syscall::OpenByHandleAt,
        path: None,
    };
    Feature::NsFileHandle.require().map_err(|e| err(e.errno))?;
    let (size, rest) = bytes.split_first_chunk::<4>().ok_or(err(Errno::EINVAL))?;
    let (kind, data) = rest.split_first_chunk::<4>().ok_or(err(Errno::EINVAL))?;
    let handle_bytes = u32::from_ne_bytes(*size);
    if usize::try_from(handle_bytes).ok() != Some(data.len()) || data.len() > MAX_HANDLE_SZ {
        return Err(err(Errno::EINVAL));
    }
    let mut handle = FileHandle::empty();
    handle.handle_bytes = handle_bytes;
    handle.handle_type = i32::from_ne_bytes(*kind);
    handle
        .f_handle
        .get_mut(..data.len())
        .ok_or(err(Errno::EINVAL))?
        .copy_from_slice(data);
    // SAFETY: the handle is a valid struct file_handle of handle_bytes bytes.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_open_by_handle_at,
            FD_NSFS_ROOT,
            &mut handle as *mut FileHandle,
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    let fd = Errno::result(fd).map_err(err)?;
    let fd = i32::try_from(fd).map_err(|_| err(Errno::EBADF))?;
    // SAFETY: the kernel has just returned this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
