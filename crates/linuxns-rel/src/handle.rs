//! Namespace file handles (Linux 6.18): `name_to_handle_at` on a namespace
//! descriptor gives a handle that `open_by_handle_at` turns back into the
//! namespace later, without any path, for as long as the namespace lives.

use std::os::fd::OwnedFd;

use nix::errno::Errno;

use crate::error::{Error, Result, Syscall};
use crate::features::Feature;
use crate::nsref::{with_fd, NsRef};
use crate::sys::handle::{self as sys, FileHandle, MAX_HANDLE_SZ};

/// A handle as the bytes of a `struct file_handle`: native-endian `u32`
/// size, `i32` type, then the handle.
fn encode(handle: &FileHandle) -> Option<Vec<u8>> {
    let bytes = handle.bytes()?;
    let mut out = Vec::with_capacity(8 + bytes.len());
    out.extend_from_slice(&handle.handle_bytes.to_ne_bytes());
    out.extend_from_slice(&handle.handle_type.to_ne_bytes());
    out.extend_from_slice(bytes);
    Some(out)
}

/// The handle in bytes that [`encode`] made; `None` for any others: fewer
/// than 8, a size that is not the number of bytes after the first 8, or
/// more than the kernel's largest handle.
fn decode(bytes: &[u8]) -> Option<FileHandle> {
    let (size, rest) = bytes.split_first_chunk::<4>()?;
    let (kind, data) = rest.split_first_chunk::<4>()?;
    let handle_bytes = u32::from_ne_bytes(*size);
    if usize::try_from(handle_bytes).ok() != Some(data.len()) || data.len() > MAX_HANDLE_SZ {
        return None;
    }
    let mut handle = FileHandle::empty();
    handle.handle_bytes = handle_bytes;
    handle.handle_type = i32::from_ne_bytes(*kind);
    handle.f_handle.get_mut(..data.len())?.copy_from_slice(data);
    Some(handle)
}

/// Whether `bytes` have the shape of a handle that [`ns_file_handle`] gives;
/// [`open_ns_file_handle`] answers `EINVAL` for any others without asking
/// the kernel.
pub fn is_ns_file_handle(bytes: &[u8]) -> bool {
    decode(bytes).is_some()
}

/// A file handle of the namespace: bytes to keep (in memory or elsewhere)
/// and give to [`open_ns_file_handle`] later. `ENOTTY` (from `ioctl`) for a
/// file that is no namespace; `EOPNOTSUPP` before Linux 6.18.
pub fn ns_file_handle<'a>(ns: impl Into<NsRef<'a>>) -> Result<Vec<u8>> {
    Feature::NsFileHandle.require()?;
    with_fd(ns.into(), |fd| {
        // Any file has a handle: make sure this one is a namespace first.
        crate::sys::nsfs::get_nstype(fd).map_err(|e| (e, Syscall::Ioctl))?;
        let handle = sys::name_to_handle_at(fd).map_err(|e| (e, Syscall::NameToHandleAt))?;
        encode(&handle).ok_or((Errno::EOVERFLOW, Syscall::NameToHandleAt))
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
    let handle = decode(bytes).ok_or(err(Errno::EINVAL))?;
    sys::open_by_handle_at(&handle).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_bytes() {
        let mut handle = FileHandle::empty();
        handle.handle_bytes = 3;
        handle.handle_type = 0xf1;
        handle.f_handle[..3].copy_from_slice(b"abc");
        let bytes = encode(&handle).unwrap_or_default();
        assert_eq!(bytes.len(), 11);
        assert!(is_ns_file_handle(&bytes));
        let back = decode(&bytes).map(|h| (h.handle_type, encode(&h)));
        assert_eq!(back, Some((0xf1, Some(bytes.clone()))));
        assert!(
            !is_ns_file_handle(&bytes[..10]),
            "size larger than the rest"
        );
        assert!(
            !is_ns_file_handle(&[bytes.as_slice(), b"d"].concat()),
            "size smaller"
        );
        assert!(!is_ns_file_handle(&[1, 2, 3]));
        assert!(!is_ns_file_handle(&[]));
        let mut big = vec![0; 8 + MAX_HANDLE_SZ + 1];
        big[..4].copy_from_slice(&(MAX_HANDLE_SZ as u32 + 1).to_ne_bytes());
        assert!(!is_ns_file_handle(&big), "larger than the kernel's largest");
    }
}
