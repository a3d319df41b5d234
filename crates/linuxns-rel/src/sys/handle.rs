//! `name_to_handle_at(2)` and `open_by_handle_at(2)`, for nsfs file handles.

use std::os::fd::{OwnedFd, RawFd};

use super::fd::owned_from;

/// `MAX_HANDLE_SZ` in the kernel's `include/linux/exportfs.h`.
pub(crate) const MAX_HANDLE_SZ: usize = 128;

/// The `mount_fd` that `open_by_handle_at` takes for nsfs handles.
pub const FD_NSFS_ROOT: RawFd = -10003;

/// `struct file_handle`: `handle_bytes`, `handle_type`, then the handle, in
/// an aligned buffer of the largest size.
#[repr(C)]
pub(crate) struct FileHandle {
    pub handle_bytes: u32,
    pub handle_type: i32,
    pub f_handle: [u8; MAX_HANDLE_SZ],
}

impl FileHandle {
    /// An empty one with room for the largest handle.
    pub(crate) fn empty() -> Self {
        FileHandle {
            handle_bytes: MAX_HANDLE_SZ as u32,
            handle_type: 0,
            f_handle: [0; MAX_HANDLE_SZ],
        }
    }

    /// The handle's bytes, as many as `handle_bytes` says.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        self.f_handle
            .get(..usize::try_from(self.handle_bytes).ok()?)
    }
}

/// `name_to_handle_at(fd, "", .., AT_EMPTY_PATH)`: the handle of the file
/// `fd` is open on. `fd` is a number as [`NsRef::Fd`](crate::NsRef::Fd)
/// gives it: any reaches the kernel, a bad one gives `EBADF`.
pub(crate) fn name_to_handle_at(fd: RawFd) -> nix::Result<FileHandle> {
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
    nix::errno::Errno::result(r)?;
    Ok(handle)
}

/// `open_by_handle_at(FD_NSFS_ROOT, handle, O_RDONLY | O_CLOEXEC)`: a new
/// descriptor of the namespace the handle names.
pub(crate) fn open_by_handle_at(handle: &FileHandle) -> nix::Result<OwnedFd> {
    // SAFETY: the handle is a struct file_handle with room for MAX_HANDLE_SZ
    // bytes, which the kernel only reads; it returns a new descriptor or -1.
    unsafe {
        owned_from(libc::syscall(
            libc::SYS_open_by_handle_at,
            FD_NSFS_ROOT,
            handle as *const FileHandle,
            libc::O_RDONLY | libc::O_CLOEXEC,
        ))
    }
}
