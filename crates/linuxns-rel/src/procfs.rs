//! Small readers of `/proc` for the discovery scan. The hot path (one
//! readlink per process and type) reuses caller buffers, so a scan of many
//! thousand processes allocates next to nothing per link.

use std::ffi::{CStr, OsStr};
use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use nix::errno::Errno;
use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;

use crate::nstype::NsType;
use crate::sys::dir::getdents64;

/// A reusable buffer for building NUL-terminated paths.
pub(crate) struct CPath(Vec<u8>);

impl CPath {
    pub(crate) fn new() -> Self {
        CPath(Vec::with_capacity(64))
    }

    /// The formatted path, valid until the next call.
    pub(crate) fn set(&mut self, args: std::fmt::Arguments<'_>) -> Result<&CStr, Errno> {
        self.0.clear();
        self.0.write_fmt(args).map_err(|_| Errno::EINVAL)?;
        self.0.push(0);
        CStr::from_bytes_with_nul(&self.0).map_err(|_| Errno::EINVAL)
    }
}

/// Opens the directory `name` below `dir` and lists its numeric entries
/// (pids, tids, fds) into `out`, through `getdents64(2)` into `dents`;
/// returns the open directory. Spares the `fstat`, `fcntl` and `lseek`
/// calls that `opendir(3)` and its iterator add to every listing.
pub(crate) fn list_numbers(
    dir: BorrowedFd<'_>,
    name: &CStr,
    dents: &mut [u8],
    out: &mut Vec<i32>,
) -> Result<OwnedFd, Errno> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let listing = openat(dir, name, flags, Mode::empty())?;
    out.clear();
    loop {
        let records = getdents64(listing.as_fd(), dents)?;
        if records.is_empty() {
            return Ok(listing);
        }
        out.extend(dirent_numbers(records));
    }
}

/// The numeric names among the `struct linux_dirent64` records in `dents`:
/// `u64` inode, `i64` offset, `u16` record length, `u8` type, then the
/// NUL-terminated name.
fn dirent_numbers(mut dents: &[u8]) -> impl Iterator<Item = i32> + '_ {
    std::iter::from_fn(move || loop {
        let reclen = dents.get(16..18)?;
        let reclen = usize::from(u16::from_ne_bytes([*reclen.first()?, *reclen.get(1)?]));
        let record = dents.get(..reclen).filter(|_| reclen > 19)?;
        dents = dents.get(reclen..)?;
        let name = record.get(19..)?;
        let name = name.split(|&b| b == 0).next()?;
        if let Some(number) = parse_number(name) {
            return Some(number);
        }
    })
}

/// A non-negative decimal number that fits an `i32`, and nothing else.
fn parse_number(digits: &[u8]) -> Option<i32> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0i32, |n, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(i32::from(digit))
    })
}

/// Reads the start of a small file (a `/proc/PID/stat` or `cmdline`) with a
/// single `read`: enough for the fields wanted here.
pub(crate) fn read_head<'b>(
    dir: BorrowedFd<'_>,
    path: &CStr,
    buf: &'b mut [u8],
) -> Result<&'b [u8], Errno> {
    let fd = openat(dir, path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())?;
    let n = nix::unistd::read(&fd, buf)?;
    buf.get(..n).ok_or(Errno::EINVAL)
}

/// The type and inode of a `type:[inode]` namespace link; `None` for any
/// other link (`socket:[..]`, a path, ...).
pub(crate) fn parse_ns_link(link: &[u8]) -> Option<(NsType, u64)> {
    let colon = link.iter().position(|&b| b == b':')?;
    let (name, rest) = link.split_at(colon);
    let ns_type = std::str::from_utf8(name).ok()?.parse().ok()?;
    let digits = rest.strip_prefix(b":[")?.strip_suffix(b"]")?;
    Some((ns_type, std::str::from_utf8(digits).ok()?.parse().ok()?))
}

/// The parent pid and the command name from `/proc/PID/stat`. The name may
/// itself hold `)` and spaces, hence the split at the last `)`.
pub(crate) fn parse_stat(stat: &[u8]) -> Option<(i32, &[u8])> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let comm = stat.get(open + 1..close)?;
    let mut fields = stat
        .get(close + 1..)?
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty());
    let _state = fields.next()?;
    let ppid = std::str::from_utf8(fields.next()?).ok()?.parse().ok()?;
    Some((ppid, comm))
}

/// The name lsuserns shows for a process: the base name of argv\[0\]
/// without a login shell's leading `-`; `None` for an empty command line
/// (a kernel thread, or a zombie).
pub(crate) fn argv0_name(cmdline: &[u8]) -> Option<String> {
    let argv0 = cmdline
        .split(|&b| b == 0)
        .next()
        .filter(|a| !a.is_empty())?;
    let base = argv0.rsplit(|&b| b == b'/').next().unwrap_or(argv0);
    let base = base.strip_prefix(b"-").unwrap_or(base);
    Some(String::from_utf8_lossy(base).into_owned())
}

/// The nsfs bind mounts in a `mountinfo` text: type, inode and mount point.
pub(crate) fn nsfs_mounts(mountinfo: &[u8]) -> impl Iterator<Item = (NsType, u64, PathBuf)> + '_ {
    mountinfo.split(|&b| b == b'\n').filter_map(|line| {
        let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let sep = fields.iter().position(|f| *f == b"-")?;
        if *fields.get(sep + 1)? != b"nsfs" {
            return None;
        }
        let (ns_type, ino) = parse_ns_link(fields.get(3)?)?;
        Some((ns_type, ino, unescape(fields.get(4)?)))
    })
}

/// Undoes mountinfo's octal escapes (`\040` for a space, ...).
fn unescape(field: &[u8]) -> PathBuf {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while let Some(&b) = field.get(i) {
        let octal = field
            .get(i + 1..i + 4)
            .filter(|d| b == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)))
            .map(|d| {
                d.iter()
                    .fold(0u8, |acc, c| acc.wrapping_mul(8).wrapping_add(c - b'0'))
            });
        match octal {
            Some(c) => {
                out.push(c);
                i += 4;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    PathBuf::from(OsStr::from_bytes(&out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn ns_links() {
        assert_eq!(
            parse_ns_link(b"user:[4026531837]"),
            Some((NsType::User, 4026531837))
        );
        assert_eq!(parse_ns_link(b"time:[1]"), Some((NsType::Time, 1)));
        assert_eq!(parse_ns_link(b"socket:[12345]"), None);
        assert_eq!(parse_ns_link(b"/run/netns/a:[1]"), None);
        assert_eq!(parse_ns_link(b"user:[12"), None);
        assert_eq!(parse_ns_link(b"anon_inode:[eventfd]"), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number(b"0"), Some(0));
        assert_eq!(parse_number(b"2147483647"), Some(i32::MAX));
        assert_eq!(parse_number(b"2147483648"), None);
        assert_eq!(parse_number(b""), None);
        assert_eq!(parse_number(b"+1"), None);
        assert_eq!(parse_number(b"self"), None);
    }

    #[test]
    fn listing() {
        let proc = nix::fcntl::open(
            "/proc/self",
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        );
        let proc = proc.unwrap_or_else(|e| panic!("/proc/self: {e}"));
        // A small buffer, to go through several getdents64 calls.
        let mut dents = vec![0; 64];
        let mut fds = Vec::new();
        let listing = list_numbers(proc.as_fd(), c"fd", &mut dents, &mut fds);
        let listing = listing.unwrap_or_else(|e| panic!("/proc/self/fd: {e}"));
        // Other tests open and close descriptors meanwhile: look at ours only.
        assert!(fds.contains(&proc.as_raw_fd()));
        assert!(fds.contains(&listing.as_raw_fd()));
        let count = fds.len();
        fds.sort_unstable();
        fds.dedup();
        assert_eq!(fds.len(), count, "no entry twice");
    }

    #[test]
    fn stat_lines() {
        assert_eq!(
            parse_stat(b"42 (a) b) (c) S 7 42 42 0 -1"),
            Some((7, &b"a) b) (c"[..]))
        );
        assert_eq!(parse_stat(b"1 (init"), None);
    }

    #[test]
    fn argv0() {
        assert_eq!(
            argv0_name(b"/usr/bin/sleep\0infinity\0").as_deref(),
            Some("sleep")
        );
        assert_eq!(argv0_name(b"-bash\0").as_deref(), Some("bash"));
        assert_eq!(argv0_name(b"sshd: root@pts/0\0").as_deref(), Some("0"));
        assert_eq!(argv0_name(b""), None);
    }

    #[test]
    fn mountinfo() {
        let text = b"22 1 0:21 / /proc rw - proc proc rw\n\
            90 24 0:4 net:[4026532300] /run/netns/my\\040ns rw shared:5 - nsfs nsfs rw\n";
        let mounts: Vec<_> = nsfs_mounts(text).collect();
        assert_eq!(
            mounts,
            vec![(NsType::Net, 4026532300, PathBuf::from("/run/netns/my ns"))]
        );
    }
}
