//! What the discovery scan reads of `/proc`: pure parsers of what it reads
//! (namespace links, `stat`, `cmdline`, `mountinfo`, directory records),
//! and the readers, which reuse one thread's buffers ([`Reader`]) so that a
//! scan of many thousand processes allocates next to nothing per link.

use std::ffi::{CStr, OsStr};
use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use nix::errno::Errno;
use nix::fcntl::{openat, AtFlags, OFlag};
use nix::sys::stat::{fstatat, FileStat, Mode};

use crate::nstype::NsType;
use crate::sys::dir::{getdents64, readlinkat};

/// A reusable buffer for building NUL-terminated paths.
struct CPath(Vec<u8>);

impl CPath {
    fn new() -> Self {
        CPath(Vec::with_capacity(64))
    }

    /// The formatted path, valid until the next call.
    fn set(&mut self, args: std::fmt::Arguments<'_>) -> Result<&CStr, Errno> {
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
fn list_numbers(
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
pub(crate) fn dirent_numbers(mut dents: &[u8]) -> impl Iterator<Item = i32> + '_ {
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

/// Reads the start of a small file (a `/proc/PID/stat`) with a single
/// `read`: enough for the fields wanted here.
fn read_head<'b>(dir: BorrowedFd<'_>, path: &CStr, buf: &'b mut [u8]) -> Result<&'b [u8], Errno> {
    let fd = openat(dir, path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())?;
    let n = nix::unistd::read(&fd, buf)?;
    buf.get(..n).ok_or(Errno::EINVAL)
}

/// The kernel's bound on one argument (`MAX_ARG_STRLEN`): argv\[0\] is never longer.
const MAX_ARG: usize = 32 * 4096;

/// Reads a `/proc/PID/cmdline` into `buf` up to the end of argv\[0\]: one
/// `read` for the usual short name, more for one of up to [`MAX_ARG`] bytes.
fn read_argv0<'b>(
    dir: BorrowedFd<'_>,
    path: &CStr,
    buf: &'b mut Vec<u8>,
) -> Result<&'b [u8], Errno> {
    let fd = openat(dir, path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())?;
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = nix::unistd::read(&fd, buf.get_mut(len..).ok_or(Errno::EINVAL)?)?;
        let read = buf.get(len..len + n).ok_or(Errno::EINVAL)?;
        len += n;
        if n == 0 || read.contains(&0) || len > MAX_ARG {
            return buf.get(..len).ok_or(Errno::EINVAL);
        }
    }
}

/// The type and inode of a `type:[inode]` namespace link; `None` for any
/// other link (`socket:[..]`, a path, ...).
pub(crate) fn parse_ns_link(link: &[u8]) -> Option<(NsType, u64)> {
    let colon = link.iter().position(|&b| b == b':')?;
    let (name, rest) = link.split_at(colon);
    let ns_type = NsType::from_name(std::str::from_utf8(name).ok()?)?;
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
/// without a login shell's leading `-`, as its bytes; `None` for an empty
/// command line (a kernel thread, or a zombie).
pub(crate) fn argv0_name(cmdline: &[u8]) -> Option<&[u8]> {
    let argv0 = cmdline
        .split(|&b| b == 0)
        .next()
        .filter(|a| !a.is_empty())?;
    let base = argv0.rsplit(|&b| b == b'/').next().unwrap_or(argv0);
    Some(base.strip_prefix(b"-").unwrap_or(base))
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

/// One thread's buffers for reading `/proc`, and the reads the scan makes
/// through them. Paths are given as format arguments, relative to an open
/// directory.
pub(crate) struct Reader {
    path: CPath,
    buf: Vec<u8>,
    /// Directory listings (pids, tids, fds), reused.
    pub(crate) numbers: Vec<i32>,
    /// Raw `getdents64` records.
    dents: Vec<u8>,
}

impl Reader {
    pub(crate) fn new() -> Self {
        Reader {
            path: CPath::new(),
            buf: vec![0; 4096],
            numbers: Vec::new(),
            dents: vec![0; 32 * 1024],
        }
    }

    /// Lists the numeric entries of directory `name` below `dir` into
    /// `self.numbers`, and returns the directory.
    pub(crate) fn list(&mut self, dir: BorrowedFd<'_>, name: &CStr) -> nix::Result<OwnedFd> {
        list_numbers(dir, name, &mut self.dents, &mut self.numbers)
    }

    /// The target of a link below `dir`, valid until the next read.
    pub(crate) fn link(
        &mut self,
        dir: BorrowedFd<'_>,
        args: std::fmt::Arguments<'_>,
    ) -> nix::Result<&[u8]> {
        let path = self.path.set(args)?;
        readlinkat(dir, path, &mut self.buf)
    }

    /// The namespace a link below `dir` names, if it is one of type `t`.
    pub(crate) fn ns_link(
        &mut self,
        dir: BorrowedFd<'_>,
        args: std::fmt::Arguments<'_>,
        t: NsType,
    ) -> Option<u64> {
        let link = self.link(dir, args).ok()?;
        parse_ns_link(link)
            .filter(|(lt, _)| *lt == t)
            .map(|(_, ino)| ino)
    }

    /// The inode of `ns/<type>_for_children` below `dir`; `Ok(None)` where
    /// the link reads empty (or is gone: a PID namespace that has no
    /// process yet, as after `unshare --pid` without a fork).
    pub(crate) fn for_children(
        &mut self,
        dir: BorrowedFd<'_>,
        t: NsType,
    ) -> nix::Result<Option<u64>> {
        match self.link(dir, format_args!("ns/{t}_for_children")) {
            Ok(link) if !link.is_empty() => Ok(parse_ns_link(link)
                .filter(|(lt, _)| *lt == t)
                .map(|(_, ino)| ino)),
            Ok(_) | Err(Errno::ENOENT) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Opens a path below `dir` read-only, as nsfs wants it.
    pub(crate) fn open(
        &mut self,
        dir: BorrowedFd<'_>,
        args: std::fmt::Arguments<'_>,
    ) -> Option<OwnedFd> {
        self.open_with(dir, args, OFlag::O_RDONLY | OFlag::O_CLOEXEC)
    }

    /// Opens a path below `dir` with `flags`.
    pub(crate) fn open_with(
        &mut self,
        dir: BorrowedFd<'_>,
        args: std::fmt::Arguments<'_>,
        flags: OFlag,
    ) -> Option<OwnedFd> {
        let path = self.path.set(args).ok()?;
        openat(dir, path, flags, Mode::empty()).ok()
    }

    /// `stat(2)` of a path below `dir`, following links.
    pub(crate) fn stat_at(
        &mut self,
        dir: BorrowedFd<'_>,
        args: std::fmt::Arguments<'_>,
    ) -> Option<FileStat> {
        let path = self.path.set(args).ok()?;
        fstatat(dir, path, AtFlags::empty()).ok()
    }

    /// The parent pid and command name of a process, from `/proc/PID/stat`.
    pub(crate) fn stat(&mut self, proc: BorrowedFd<'_>, pid: i32) -> Option<(i32, Vec<u8>)> {
        let path = self.path.set(format_args!("{pid}/stat")).ok()?;
        let stat = read_head(proc, path, &mut self.buf).ok()?;
        parse_stat(stat).map(|(ppid, comm)| (ppid, comm.to_vec()))
    }

    /// The name of a process's argv\[0\], from `/proc/PID/cmdline` (see [`argv0_name`]).
    pub(crate) fn argv0(&mut self, proc: BorrowedFd<'_>, pid: i32) -> Option<Vec<u8>> {
        let path = self.path.set(format_args!("{pid}/cmdline")).ok()?;
        argv0_name(read_argv0(proc, path, &mut self.buf).ok()?).map(<[u8]>::to_vec)
    }
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
            argv0_name(b"/usr/bin/sleep\0infinity\0"),
            Some(&b"sleep"[..])
        );
        assert_eq!(argv0_name(b"-bash\0"), Some(&b"bash"[..]));
        assert_eq!(argv0_name(b"sshd: root@pts/0\0"), Some(&b"0"[..]));
        assert_eq!(argv0_name(b"bad\xff\xfe\0"), Some(&b"bad\xff\xfe"[..]));
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
