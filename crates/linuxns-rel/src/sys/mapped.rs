//! A whole file in memory: mapped where the kernel allows it, read otherwise.

use std::io::Read;
use std::num::NonZeroUsize;
use std::ops::Deref;
use std::path::Path;
use std::ptr::NonNull;

use nix::errno::Errno;
use nix::sys::mman::{mmap, munmap, MapFlags, ProtFlags};

/// A file's bytes, mapped or read.
pub(crate) enum FileBytes {
    Mapped(NonNull<libc::c_void>, usize),
    Read(Vec<u8>),
}

impl Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            // SAFETY: the mapping is `len` readable bytes, private, and lives
            // until drop; the only files mapped are the kernel's, which no
            // one writes (see `read_kernel_file`).
            FileBytes::Mapped(at, len) => unsafe {
                std::slice::from_raw_parts(at.as_ptr().cast::<u8>(), *len)
            },
            FileBytes::Read(bytes) => bytes,
        }
    }
}

impl Drop for FileBytes {
    fn drop(&mut self) {
        if let FileBytes::Mapped(at, len) = *self {
            // SAFETY: a mapping of ours, unmapped once; no slice of it
            // outlives `self`.
            let _ = unsafe { munmap(at, len) };
        }
    }
}

/// The whole of a file that the kernel serves and never changes while it
/// runs (`/sys/kernel/btf/vmlinux`): mapped, which costs no copy, where the
/// kernel allows it (BTF since Linux 6.16), and read otherwise.
pub(crate) fn read_kernel_file(path: &Path) -> nix::Result<FileBytes> {
    let errno = |e: std::io::Error| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO));
    let mut file = std::fs::File::open(path).map_err(errno)?;
    let size = usize::try_from(file.metadata().map_err(errno)?.len()).map_err(|_| Errno::EFBIG)?;
    if let Some(len) = NonZeroUsize::new(size) {
        // SAFETY: a new private, read-only mapping that nothing else uses.
        let mapped = unsafe {
            mmap(
                None,
                len,
                ProtFlags::PROT_READ,
                MapFlags::MAP_PRIVATE,
                &file,
                0,
            )
        };
        if let Ok(at) = mapped {
            return Ok(FileBytes::Mapped(at, size));
        }
    }
    let mut bytes = Vec::with_capacity(size);
    file.read_to_end(&mut bytes).map_err(errno)?;
    Ok(FileBytes::Read(bytes))
}
