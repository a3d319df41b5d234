//! Finds the namespaces on the system by scanning `/proc`, including those
//! that no process sits in: ones kept alive only by an open descriptor or a
//! bind mount, and ancestors that only the nsfs ioctls reveal.
//!
//! The scan reads one link per process and type and merges what it sees by
//! inode; the ioctls then run once per distinct namespace, so the cost grows
//! with the number of processes only through cheap `readlink` calls.
//!
//! ```no_run
//! use linuxns_rel::discover::{discover, DiscoverOptions};
//!
//! for ns in discover(&DiscoverOptions::default())?.namespaces {
//!     println!("{}:[{}] parent {:?} pids {:?}", ns.ns_type, ns.ino, ns.parent, ns.pids);
//! }
//! # Ok::<(), linuxns_rel::Error>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::ffi::CStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use nix::fcntl::{open, openat, AtFlags, OFlag};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::stat::{fstat, fstatat, stat, Mode};
use nix::unistd::{Uid, User};

use crate::error::{Error, Result, Syscall};
use crate::features::Feature;
use crate::mntns::{mount_namespaces, MntNsInfo};
use crate::nstype::NsType;
use crate::pidfd::open_namespace_of;
use crate::procfs::{
    argv0_name, list_numbers, nsfs_mounts, parse_ns_link, parse_stat, read_head, CPath,
};
use crate::relations::{get_nstype, get_owner_uid, get_parentns, get_userns, open_ns};
use crate::sys::dir::readlinkat;
use crate::sys::nsfs;

/// What to look for and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverOptions {
    /// The namespace types to report; user and PID by default.
    pub types: Vec<NsType>,
    /// Also read every thread's links, for threads that sit in another
    /// namespace than their process. Off by default: it costs a directory
    /// read per process and a link per thread.
    pub tasks: bool,
    /// Look for namespaces held only by an open file descriptor. On by default.
    pub fds: bool,
    /// Look for nsfs bind mounts (as `ip netns add` makes) in every mount
    /// namespace seen. On by default.
    pub bind_mounts: bool,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            types: vec![NsType::User, NsType::Pid],
            tasks: false,
            fds: true,
            bind_mounts: true,
        }
    }
}

/// How a namespace was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A process's `/proc/PID/ns/<type>` link.
    Process,
    /// A thread's `/proc/PID/task/TID/ns/<type>` link.
    Task,
    /// An open file descriptor of some process.
    Fd,
    /// An nsfs bind mount.
    BindMount,
    /// Only as the parent or owner of another namespace.
    Hierarchy,
    /// Only as a process's `pid_for_children` or `time_for_children`: a
    /// namespace its next children will be in, with no process in it yet
    /// (`unshare --pid` or `--time` without a fork). Given only where no
    /// process, thread, descriptor or bind mount showed it.
    Pending,
    /// Only in the kernel's list of mount namespaces (`NS_MNT_GET_NEXT`,
    /// Linux 6.12): no process is in it and no source above showed it.
    MountList,
}

impl Source {
    const ALL: [Source; 7] = [
        Source::Process,
        Source::Task,
        Source::Fd,
        Source::BindMount,
        Source::Hierarchy,
        Source::Pending,
        Source::MountList,
    ];

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A process standing for a namespace, with the name lsuserns would show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// Its pid, as the caller's PID namespace numbers it.
    pub pid: i32,
    /// The base name of argv\[0\] without a leading `-`, or `[comm]` for a
    /// kernel thread.
    pub name: String,
}

/// An open file descriptor that refers to a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FdHolder {
    /// The process that has it open.
    pub pid: i32,
    /// The descriptor's number in that process.
    pub fd: i32,
}

/// One namespace and what the scan learnt about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Its type.
    pub ns_type: NsType,
    /// The nsfs inode number, as in `type:[inode]`.
    pub ino: u64,
    /// The nsfs device (`st_dev`).
    pub dev: u64,
    /// The namespace's unique id (`NS_GET_ID`); `None` before Linux 6.18.
    pub id: Option<u64>,
    /// The parent namespace (user and PID namespaces only); `None` at the
    /// top of the hierarchy as the caller sees it.
    pub parent: Option<u64>,
    /// The namespaces in the result whose parent this is, sorted.
    pub children: Vec<u64>,
    /// The owning user namespace (for a user namespace, its parent); `None`
    /// where it lies outside the caller's view.
    pub owner: Option<u64>,
    /// The uid that owns a user namespace, as seen from the caller's.
    pub owner_uid: Option<u32>,
    /// The user name of `owner_uid` in the system's user database; `None`
    /// for a uid without an entry, and for the other types.
    pub owner_name: Option<String>,
    /// The processes in it, sorted; with [`DiscoverOptions::tasks`], also
    /// the ids of threads that sit in it apart from their process.
    pub pids: Vec<i32>,
    /// A process standing for the namespace: the lowest pid in it, then up
    /// its parents as long as they stay in the namespace.
    pub representative: Option<Process>,
    /// How it was found, sorted.
    pub via: Vec<Source>,
    /// The open descriptors that refer to it, sorted.
    pub fd_holders: Vec<FdHolder>,
    /// The nsfs bind mounts of it, sorted. Mounts in another mount namespace
    /// are given as `/proc/PID/root/<mount point>`.
    pub bind_mounts: Vec<PathBuf>,
}

/// The result of a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// Sorted by type name, then inode.
    pub namespaces: Vec<Namespace>,
}

impl Discovery {
    /// The namespace with this inode, if found.
    pub fn get(&self, ino: u64) -> Option<&Namespace> {
        self.namespaces.iter().find(|ns| ns.ino == ino)
    }
}

/// Scans `/proc` for the namespaces `options` asks for. Processes that exit
/// or deny access mid-scan are skipped, and namespaces that vanish before
/// they could be opened are left out. Fails only if `/proc` cannot be read.
///
/// The per-process scan, the ioctls and the representatives are spread over
/// the available cores; each thread works on its own share with its own
/// buffers, and the results are merged in one place.
pub fn discover(options: &DiscoverOptions) -> Result<Discovery> {
    let proc_error = |errno| Error {
        errno,
        syscall: Syscall::Open,
        path: Some(PathBuf::from("/proc")),
    };
    let proc = open(
        "/proc",
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(proc_error)?;
    let mut reader = Reader::new();
    reader.list(proc.as_fd(), c".").map_err(proc_error)?;
    let pids = std::mem::take(&mut reader.numbers);
    let mut scan = Scan {
        types: NsType::ALL
            .into_iter()
            .filter(|t| options.types.contains(t))
            .collect(),
        options: options.clone(),
        nsfs_dev: stat("/proc/self/ns/user").ok().map(|st| st.st_dev),
        proc,
        found: HashMap::new(),
        mnt_members: HashMap::new(),
        owned_only: HashMap::new(),
        ids: Feature::NsId.available(),
        pending: Vec::new(),
        held: HashMap::new(),
    };
    let seen = par_map(&pids, Reader::new, |r, &pid| scan.process(r, pid));
    for process in seen.into_iter().flatten() {
        scan.add(process);
    }
    // The kernel's list of mount namespaces (Linux 6.12, CAP_SYS_ADMIN): for
    // those no process is in, and for the bind mounts inside them.
    let listed = match (options.bind_mounts || scan.types.contains(&NsType::Mnt))
        && Feature::MntnsList.available()
    {
        true => mount_namespaces().unwrap_or_default(),
        false => Vec::new(),
    };
    if options.bind_mounts {
        scan.mounts(&listed);
    }
    scan.pending();
    scan.mount_list(listed);
    scan.resolve();
    Ok(scan.finish())
}

/// The nsfs bind mounts inside a mount namespace, each with a descriptor of
/// its namespace where it opens. Read by a thread of its own that enters the
/// mount namespace (setns needs the thread's file-system context unshared
/// from the process's first) and then ends, leaving the process as it was.
fn mounts_inside(mntns: BorrowedFd<'_>) -> Vec<(NsType, u64, PathBuf, Option<OwnedFd>)> {
    let inside = || -> Option<Vec<_>> {
        unshare(CloneFlags::CLONE_FS).ok()?;
        setns(mntns, CloneFlags::CLONE_NEWNS).ok()?;
        let text = std::fs::read("/proc/thread-self/mountinfo").ok()?;
        let mounts = nsfs_mounts(&text).map(|(t, ino, path)| {
            let fd = open_ns(&path).ok();
            (t, ino, path, fd)
        });
        Some(mounts.collect())
    };
    std::thread::scope(|s| s.spawn(inside).join().ok().flatten().unwrap_or_default())
}

/// Items are handed to the threads in blocks of this many; fewer items than
/// twice this per thread are not worth a thread.
const BLOCK: usize = 64;

/// `items.iter().map(..)` over the available cores. Each thread takes the
/// next block of items as it gets through the last, so a thread slowed down
/// by other work on its core holds up no one, and maps them with its own
/// `state()`. The results come back in the order of `items`.
fn par_map<T: Sync, S, R: Send>(
    items: &[T],
    state: impl Fn() -> S + Sync,
    map: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len() / (2 * BLOCK))
        .max(1);
    if threads == 1 {
        let mut s = state();
        return items.iter().map(|item| map(&mut s, item)).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut s = state();
        let mut done = Vec::new();
        loop {
            let block = next.fetch_add(1, Ordering::Relaxed);
            let Some(share) = items.chunks(BLOCK).nth(block) else {
                return done;
            };
            done.push((block, share.iter().map(|item| map(&mut s, item)).collect()));
        }
    };
    let mut blocks: Vec<(usize, Vec<R>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    blocks.sort_unstable_by_key(|(block, _)| *block);
    blocks
        .into_iter()
        .flat_map(|(_, results)| results)
        .collect()
}

/// One thread's buffers for reading `/proc`.
struct Reader {
    path: CPath,
    buf: Vec<u8>,
    /// Directory listings (pids, tids, fds), reused.
    numbers: Vec<i32>,
    /// Raw `getdents64` records.
    dents: Vec<u8>,
}

impl Reader {
    fn new() -> Self {
        Reader {
            path: CPath::new(),
            buf: vec![0; 4096],
            numbers: Vec::new(),
            dents: vec![0; 32 * 1024],
        }
    }

    /// Lists the numeric entries of directory `name` below `dir` into
    /// `self.numbers`, and returns the directory.
    fn list(&mut self, dir: BorrowedFd<'_>, name: &CStr) -> nix::Result<OwnedFd> {
        list_numbers(dir, name, &mut self.dents, &mut self.numbers)
    }

    /// The namespace a link below `dir` names, if it is one of type `t`.
    fn ns_link(
        &mut self,
        dir: BorrowedFd<'_>,
        args: std::fmt::Arguments<'_>,
        t: NsType,
    ) -> Option<u64> {
        let path = self.path.set(args).ok()?;
        let link = readlinkat(dir, path, &mut self.buf).ok()?;
        parse_ns_link(link)
            .filter(|(lt, _)| *lt == t)
            .map(|(_, ino)| ino)
    }

    /// The inode of `ns/<type>_for_children` below `dir`; `Ok(None)` where
    /// the link reads empty (or is gone: a PID namespace that has no
    /// process yet, as after `unshare --pid` without a fork).
    fn for_children(&mut self, dir: BorrowedFd<'_>, t: NsType) -> nix::Result<Option<u64>> {
        let path = self.path.set(format_args!("ns/{t}_for_children"))?;
        match readlinkat(dir, path, &mut self.buf) {
            Ok(link) if !link.is_empty() => Ok(parse_ns_link(link)
                .filter(|(lt, _)| *lt == t)
                .map(|(_, ino)| ino)),
            Ok(_) | Err(nix::errno::Errno::ENOENT) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Opens a path below `dir` read-only, as nsfs wants it.
    fn open(&mut self, dir: BorrowedFd<'_>, args: std::fmt::Arguments<'_>) -> Option<OwnedFd> {
        let path = self.path.set(args).ok()?;
        openat(dir, path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).ok()
    }

    /// The parent pid and command name of a process, from `/proc/PID/stat`.
    fn stat(&mut self, proc: BorrowedFd<'_>, pid: i32) -> Option<(i32, String)> {
        let path = self.path.set(format_args!("{pid}/stat")).ok()?;
        let stat = read_head(proc, path, &mut self.buf).ok()?;
        parse_stat(stat).map(|(ppid, comm)| (ppid, String::from_utf8_lossy(comm).into_owned()))
    }

    /// The lowest pid, then up its parents while they stay among `pids`
    /// (sorted), as linuxns_rel's lsuserns picks the process it shows.
    fn representative(&mut self, proc: BorrowedFd<'_>, pids: &[i32]) -> Option<Process> {
        let mut pid = *pids.first()?;
        // A lone member has no parent to climb to: spare its stat. The bound
        // guards against a ppid loop while processes come and go.
        for _ in 1..pids.len().min(1024) {
            match self.stat(proc, pid) {
                Some((ppid, _)) if ppid > 0 && ppid != pid && pids.binary_search(&ppid).is_ok() => {
                    pid = ppid
                }
                _ => break,
            }
        }
        let name = self
            .path
            .set(format_args!("{pid}/cmdline"))
            .ok()
            .and_then(|path| read_head(proc, path, &mut self.buf).ok())
            .and_then(argv0_name)
            .or_else(|| self.stat(proc, pid).map(|(_, comm)| format!("[{comm}]")))
            .unwrap_or_default();
        Some(Process { pid, name })
    }
}

/// What is known about one namespace while the scan runs.
struct Entry {
    ns_type: NsType,
    dev: u64,
    id: Option<u64>,
    parent: Option<u64>,
    owner: Option<u64>,
    owner_uid: Option<u32>,
    pids: Vec<i32>,
    via: u8,
    fd_holders: Vec<FdHolder>,
    bind_mounts: Vec<PathBuf>,
    /// Set once a descriptor of it was opened; the rest have vanished.
    opened: bool,
}

impl Entry {
    fn new(ns_type: NsType) -> Self {
        Entry {
            ns_type,
            dev: 0,
            id: None,
            parent: None,
            owner: None,
            owner_uid: None,
            pids: Vec::new(),
            via: 0,
            fd_holders: Vec::new(),
            bind_mounts: Vec::new(),
            opened: false,
        }
    }

    fn filter_type(&mut self, t: NsType) -> Option<&mut Self> {
        (self.ns_type == t).then_some(self)
    }
}

/// The entry for a namespace seen through `source`; `None` if the inode is
/// already known with another type (freed and reused mid-scan).
fn record(
    found: &mut HashMap<u64, Entry>,
    ino: u64,
    t: NsType,
    source: Source,
) -> Option<&mut Entry> {
    let entry = found
        .entry(ino)
        .or_insert_with(|| Entry::new(t))
        .filter_type(t)?;
    entry.via |= source.bit();
    Some(entry)
}

/// What one process showed, gathered by a scan thread.
struct Seen {
    pid: i32,
    /// Its namespace of each of `Scan::types`, in the same order.
    links: [Option<u64>; NsType::ALL.len()],
    /// Its mount namespace, when bind mounts are wanted.
    mnt: Option<u64>,
    /// Threads in another namespace than the process: tid, type, inode.
    tasks: Vec<(i32, NsType, u64)>,
    /// Descriptors that refer to a namespace of a wanted type.
    fds: Vec<(FdHolder, NsType, u64)>,
    /// Its `pid_for_children` / `time_for_children` where that differs from
    /// its own; no inode where the link reads empty (a PID namespace with
    /// no process yet).
    pending: Vec<(NsType, Option<u64>)>,
}

/// The relations of one namespace, found by a thread of [`Scan::resolve`].
struct Related {
    ino: u64,
    ns_type: NsType,
    dev: u64,
    id: Option<u64>,
    parent: Option<u64>,
    owner: Option<u64>,
    owner_uid: Option<u32>,
}

struct Scan {
    options: DiscoverOptions,
    /// `options.types` without repeats, at most one of each.
    types: Vec<NsType>,
    /// To tell an fd opened through a bind-mount path from an ordinary file.
    nsfs_dev: Option<u64>,
    proc: OwnedFd,
    /// Keyed by inode alone: nsfs inodes are unique across types.
    found: HashMap<u64, Entry>,
    /// A few processes of each mount namespace, to read its mountinfo.
    mnt_members: HashMap<u64, Vec<i32>>,
    /// Namespaces of types not asked for that only an fd or a bind mount
    /// keeps, by inode, with a path to open them: the user namespaces that
    /// own them may have nothing else that keeps them.
    owned_only: HashMap<u64, PathBuf>,
    /// Whether the kernel has `NS_GET_ID`.
    ids: bool,
    /// Processes whose `pid_for_children` or `time_for_children` may be a
    /// namespace no process is in: pid, type, inode if the link showed one.
    pending: Vec<(i32, NsType, Option<u64>)>,
    /// Descriptors of the namespaces found through a pidfd or the mount
    /// namespace list, which may have no path to open them by.
    held: HashMap<u64, OwnedFd>,
}

impl Scan {
    /// Reads one process's links (in a scan thread).
    fn process(&self, r: &mut Reader, pid: i32) -> Option<Seen> {
        // Links are read relative to /proc/PID: each path component under
        // /proc costs a revalidation, and this is the hot loop.
        let path = r.path.set(format_args!("{pid}")).ok()?;
        let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let dir = openat(self.proc.as_fd(), path, flags, Mode::empty()).ok()?;
        let mut seen = Seen {
            pid,
            links: [None; NsType::ALL.len()],
            mnt: None,
            tasks: Vec::new(),
            fds: Vec::new(),
            pending: Vec::new(),
        };
        for (&t, slot) in self.types.iter().zip(&mut seen.links) {
            *slot = r.ns_link(dir.as_fd(), format_args!("ns/{t}"), t);
            if matches!(t, NsType::Pid | NsType::Time) && slot.is_some() {
                let own = *slot;
                match r.for_children(dir.as_fd(), t) {
                    Ok(ino) if ino != own => seen.pending.push((t, ino)),
                    _ => {}
                }
            }
        }
        if self.options.bind_mounts {
            seen.mnt = match self.types.iter().position(|t| *t == NsType::Mnt) {
                Some(i) => seen.links.get(i).copied().flatten(),
                None => r.ns_link(dir.as_fd(), format_args!("ns/mnt"), NsType::Mnt),
            };
        }
        if self.options.tasks {
            self.tasks(r, dir.as_fd(), &mut seen);
        }
        if self.options.fds {
            self.fds(r, dir.as_fd(), &mut seen);
        }
        Some(seen)
    }

    /// Threads of the process that sit in another namespace than it does.
    fn tasks(&self, r: &mut Reader, dir: BorrowedFd<'_>, seen: &mut Seen) {
        // procfs counts a process's threads in the link count of its task
        // directory (2 + threads): one stat spares listing it for the many
        // processes with a single thread.
        if fstatat(dir, c"task", AtFlags::empty()).map_or(true, |st| st.st_nlink <= 3) {
            return;
        }
        let Ok(task) = r.list(dir, c"task") else {
            return;
        };
        let tids = std::mem::take(&mut r.numbers);
        for &tid in tids.iter().filter(|&&tid| tid != seen.pid) {
            for (&t, own) in self.types.iter().zip(seen.links) {
                let ino = r.ns_link(task.as_fd(), format_args!("{tid}/ns/{t}"), t);
                if let Some(ino) = ino.filter(|&ino| Some(ino) != own) {
                    seen.tasks.push((tid, t, ino));
                }
            }
        }
        r.numbers = tids;
    }

    /// Open descriptors of the process that refer to a namespace.
    fn fds(&self, r: &mut Reader, dir: BorrowedFd<'_>, seen: &mut Seen) {
        let Ok(fd_dir) = r.list(dir, c"fd") else {
            return;
        };
        let fds = std::mem::take(&mut r.numbers);
        for &fd in &fds {
            let Ok(path) = r.path.set(format_args!("{fd}")) else {
                continue;
            };
            let Ok(link) = readlinkat(fd_dir.as_fd(), path, &mut r.buf) else {
                continue;
            };
            // An fd opened through a bind-mount path reads as that path, so a
            // path may be a namespace; sockets, pipes, devices and the like never are.
            let ns = match parse_ns_link(link) {
                Some(ns) => Some(ns),
                None if link.starts_with(b"/")
                    && !link.starts_with(b"/dev/")
                    && !link.starts_with(b"/memfd:") =>
                {
                    self.nsfs_fd(r, fd_dir.as_fd(), fd)
                }
                None => None,
            };
            let wanted = |t: &NsType| self.types.contains(t) || self.types.contains(&NsType::User);
            if let Some((t, ino)) = ns.filter(|(t, _)| wanted(t)) {
                let holder = FdHolder { pid: seen.pid, fd };
                seen.fds.push((holder, t, ino));
            }
        }
        // Hand the buffer back, to spare an allocation per process.
        r.numbers = fds;
    }

    /// The namespace behind an fd whose link is a path, if it is one.
    fn nsfs_fd(&self, r: &mut Reader, fd_dir: BorrowedFd<'_>, fd: i32) -> Option<(NsType, u64)> {
        let path = r.path.set(format_args!("{fd}")).ok()?;
        let st = fstatat(fd_dir, path, AtFlags::empty()).ok()?;
        if Some(st.st_dev) != self.nsfs_dev {
            return None;
        }
        let flag = get_nstype(&r.open(fd_dir, format_args!("{fd}"))?).ok()?;
        Some((NsType::from_flag(flag)?, st.st_ino))
    }

    /// Merges what a scan thread saw of one process.
    fn add(&mut self, seen: Seen) {
        let pid = seen.pid;
        for (&t, ino) in self.types.iter().zip(seen.links) {
            if let Some(entry) =
                ino.and_then(|ino| record(&mut self.found, ino, t, Source::Process))
            {
                entry.pids.push(pid);
            }
        }
        if let Some(mnt) = seen.mnt {
            let members = self.mnt_members.entry(mnt).or_default();
            if members.len() < 3 {
                members.push(pid);
            }
        }
        for (t, ino) in seen.pending {
            self.pending.push((pid, t, ino));
        }
        for (tid, t, ino) in seen.tasks {
            if let Some(entry) = record(&mut self.found, ino, t, Source::Task) {
                entry.pids.push(tid);
            }
        }
        for (holder, t, ino) in seen.fds {
            if !self.types.contains(&t) {
                let path = || PathBuf::from(format!("/proc/{}/fd/{}", holder.pid, holder.fd));
                self.owned_only.entry(ino).or_insert_with(path);
            } else if let Some(entry) = record(&mut self.found, ino, t, Source::Fd) {
                entry.fd_holders.push(holder);
            }
        }
    }

    /// nsfs bind mounts in our own mount namespace, in every other one that
    /// a process is in, and in those of `listed` that none is in.
    fn mounts(&mut self, listed: &[(MntNsInfo, OwnedFd)]) {
        if let Ok(text) = std::fs::read("/proc/self/mountinfo") {
            for (t, ino, path) in nsfs_mounts(&text) {
                self.mount(t, ino, path);
            }
        }
        let own = std::fs::read_link("/proc/self/ns/mnt")
            .ok()
            .and_then(|link| parse_ns_link(link.as_os_str().as_bytes()))
            .map(|(_, ino)| ino);
        let mut entered: HashSet<u64> = self.mnt_members.keys().copied().chain(own).collect();
        for (mnt, pids) in std::mem::take(&mut self.mnt_members) {
            if Some(mnt) == own {
                continue;
            }
            for pid in pids {
                let Ok(text) = std::fs::read(format!("/proc/{pid}/mountinfo")) else {
                    continue;
                };
                let root = PathBuf::from(format!("/proc/{pid}/root"));
                for (t, ino, path) in nsfs_mounts(&text) {
                    self.mount(t, ino, root.join(path.strip_prefix("/").unwrap_or(&path)));
                }
                break;
            }
        }
        for (info, mntns) in listed {
            if !entered.insert(info.ino) {
                continue;
            }
            for (t, ino, path, fd) in mounts_inside(mntns.as_fd()) {
                if let Some(fd) = fd.filter(|_| self.types.contains(&t)) {
                    self.held.entry(ino).or_insert(fd);
                }
                let shown = format!("mnt:[{}]:{}", info.ino, path.display());
                self.mount(t, ino, PathBuf::from(shown));
            }
        }
    }

    /// The `pid_for_children` and `time_for_children` namespaces that no
    /// other source showed with a process in it, opened through a pidfd
    /// where the kernel has it (an empty `pid_for_children` link cannot be
    /// opened through /proc), else through /proc.
    fn pending(&mut self) {
        let has_process = |e: &Entry| e.via & (Source::Process.bit() | Source::Task.bit()) != 0;
        for (pid, t, ino) in std::mem::take(&mut self.pending) {
            if ino.is_some_and(|ino| self.found.get(&ino).is_some_and(has_process)) {
                continue;
            }
            let Ok(fd) = open_namespace_of(pid, t, true) else {
                continue;
            };
            let Ok(st) = fstat(&fd) else { continue };
            if ino.is_some_and(|ino| ino != st.st_ino)
                || self.found.get(&st.st_ino).is_some_and(has_process)
            {
                continue;
            }
            if let Some(entry) = self.found.get(&st.st_ino) {
                // Found through a descriptor or mount already: that is how.
                if entry.ns_type == t {
                    continue;
                }
            }
            if record(&mut self.found, st.st_ino, t, Source::Pending).is_some() {
                self.held.entry(st.st_ino).or_insert(fd);
            }
        }
    }

    /// The mount namespaces in the kernel's list that nothing else showed.
    fn mount_list(&mut self, listed: Vec<(MntNsInfo, OwnedFd)>) {
        if !self.types.contains(&NsType::Mnt) {
            return;
        }
        for (info, fd) in listed {
            if self.found.contains_key(&info.ino) {
                continue;
            }
            if record(&mut self.found, info.ino, NsType::Mnt, Source::MountList).is_some() {
                self.held.insert(info.ino, fd);
            }
        }
    }

    fn mount(&mut self, t: NsType, ino: u64, path: PathBuf) {
        if !self.types.contains(&t) {
            if self.types.contains(&NsType::User) {
                self.owned_only.entry(ino).or_insert(path);
            }
        } else if let Some(entry) = record(&mut self.found, ino, t, Source::BindMount) {
            entry.bind_mounts.push(path);
        }
    }

    /// Opens each namespace once and asks the kernel for its relations,
    /// adding the ancestors and owners no process revealed. The namespaces
    /// are shared out among threads; `claimed` makes sure each is opened
    /// and asked about by one thread only.
    fn resolve(&mut self) {
        let inos: Vec<u64> = self.found.keys().copied().collect();
        let claimed = Mutex::new(HashSet::with_capacity(inos.len()));
        let mut related = par_map(&inos, Reader::new, |r, &ino| {
            self.relations(r, &claimed, ino)
        });
        // Few, and usually none: one thread will do.
        for path in self.owned_only.values() {
            let Ok(fd) = open_ns(path) else { continue };
            let mut pending = Vec::new();
            self.follow(get_userns(&fd), NsType::User, &claimed, &mut pending);
            related.push(self.walk(pending, &claimed));
        }
        let hidden = |ns_type| {
            let mut entry = Entry::new(ns_type);
            entry.via = Source::Hierarchy.bit();
            entry
        };
        for rel in related.into_iter().flatten() {
            let entry = self
                .found
                .entry(rel.ino)
                .or_insert_with(|| hidden(rel.ns_type));
            // A namespace that was open meanwhile is alive with this inode; an
            // entry of another type under it is one that died during the scan
            // and whose inode the kernel gave again.
            if entry.ns_type != rel.ns_type {
                *entry = hidden(rel.ns_type);
            }
            entry.dev = rel.dev;
            entry.id = rel.id;
            entry.parent = rel.parent;
            entry.owner = rel.owner;
            entry.owner_uid = rel.owner_uid;
            entry.opened = true;
        }
    }

    /// The relations of a namespace seen in the scan and of the ancestors
    /// and owners it leads to that no other thread has claimed yet.
    fn relations(&self, r: &mut Reader, claimed: &Mutex<HashSet<u64>>, ino: u64) -> Vec<Related> {
        let Some(entry) = self.found.get(&ino).filter(|_| !is_claimed(claimed, ino)) else {
            return Vec::new();
        };
        let Some((fd, dev)) = self.open_found(r, ino, entry) else {
            return Vec::new();
        };
        if !claim(claimed, ino) {
            return Vec::new();
        }
        self.walk(vec![(ino, entry.ns_type, dev, fd)], claimed)
    }

    /// The relations of the namespaces in `pending` and of the ancestors and
    /// owners they lead to, depth-first, so that at most a chain's worth of
    /// descriptors is open at once.
    fn walk(
        &self,
        mut pending: Vec<(u64, NsType, u64, OwnedFd)>,
        claimed: &Mutex<HashSet<u64>>,
    ) -> Vec<Related> {
        let mut out = Vec::new();
        while let Some((ino, t, dev, fd)) = pending.pop() {
            // EPERM at the top of what the caller may see is the normal end of the walk.
            let parent = match t {
                NsType::User | NsType::Pid => {
                    self.follow(get_parentns(&fd), t, claimed, &mut pending)
                }
                _ => None,
            };
            let owner = match t {
                NsType::User => parent,
                _ => self.follow(get_userns(&fd), NsType::User, claimed, &mut pending),
            };
            let owner_uid = match t {
                NsType::User => get_owner_uid(&fd).ok(),
                _ => None,
            };
            let id = if self.ids {
                nsfs::get_id(fd.as_raw_fd()).ok()
            } else {
                None
            };
            out.push(Related {
                ino,
                ns_type: t,
                dev,
                id,
                parent,
                owner,
                owner_uid,
            });
        }
        out
    }

    /// A descriptor of a namespace seen in the scan, through whichever of
    /// its processes, descriptors and mounts is still there.
    fn open_found(&self, r: &mut Reader, ino: u64, entry: &Entry) -> Option<(OwnedFd, u64)> {
        let t = entry.ns_type;
        let proc = self.proc.as_fd();
        // A pid or fd number may have been reused by now: check the inode.
        let check = |fd: OwnedFd| {
            let st = fstat(&fd).ok()?;
            (st.st_ino == ino).then_some((fd, st.st_dev))
        };
        self.held
            .get(&ino)
            .and_then(|fd| check(fd.try_clone().ok()?))
            .or_else(|| {
                entry
                    .pids
                    .iter()
                    .find_map(|pid| check(r.open(proc, format_args!("{pid}/ns/{t}"))?))
            })
            .or_else(|| {
                entry
                    .fd_holders
                    .iter()
                    .find_map(|h| check(r.open(proc, format_args!("{}/fd/{}", h.pid, h.fd))?))
            })
            .or_else(|| {
                entry
                    .bind_mounts
                    .iter()
                    .find_map(|path| check(open_ns(path).ok()?))
            })
    }

    /// The inode of a parent or owner; queues it for its own relations if it
    /// is of a wanted type and nobody has claimed it yet.
    fn follow(
        &self,
        related: Result<OwnedFd>,
        t: NsType,
        claimed: &Mutex<HashSet<u64>>,
        pending: &mut Vec<(u64, NsType, u64, OwnedFd)>,
    ) -> Option<u64> {
        let fd = related.ok()?;
        let st = fstat(&fd).ok()?;
        let ino = st.st_ino;
        if self.types.contains(&t) && claim(claimed, ino) {
            pending.push((ino, t, st.st_dev, fd));
        }
        Some(ino)
    }

    fn finish(mut self) -> Discovery {
        let found = std::mem::take(&mut self.found);
        let mut namespaces: Vec<Namespace> = found
            .into_iter()
            .filter(|(_, e)| e.opened)
            .map(|(ino, mut e)| {
                e.pids.sort_unstable();
                e.pids.dedup();
                e.fd_holders.sort_unstable();
                e.fd_holders.dedup();
                e.bind_mounts.sort();
                e.bind_mounts.dedup();
                Namespace {
                    ns_type: e.ns_type,
                    ino,
                    dev: e.dev,
                    id: e.id,
                    parent: e.parent,
                    children: Vec::new(),
                    owner: e.owner,
                    owner_uid: e.owner_uid,
                    owner_name: None,
                    representative: None,
                    pids: e.pids,
                    via: Source::ALL
                        .into_iter()
                        .filter(|s| e.via & s.bit() != 0)
                        .collect(),
                    fd_holders: e.fd_holders,
                    bind_mounts: e.bind_mounts,
                }
            })
            .collect();
        namespaces.sort_by_key(|ns| (ns.ns_type.name(), ns.ino));
        let proc = self.proc.as_fd();
        let representatives = par_map(&namespaces, Reader::new, |r, ns| {
            r.representative(proc, &ns.pids)
        });
        for (ns, representative) in namespaces.iter_mut().zip(representatives) {
            ns.representative = representative;
        }
        name_owners(&mut namespaces);
        let index: HashMap<u64, usize> = namespaces
            .iter()
            .enumerate()
            .map(|(i, ns)| (ns.ino, i))
            .collect();
        for i in 0..namespaces.len() {
            let Some(ns) = namespaces.get(i) else { break };
            let (child, ns_type) = (ns.ino, ns.ns_type);
            let parent = ns
                .parent
                .and_then(|p| index.get(&p))
                .and_then(|&p| namespaces.get_mut(p));
            if let Some(parent) = parent.filter(|p| p.ns_type == ns_type) {
                // Sorted already: children are visited in inode order.
                parent.children.push(child);
            }
        }
        Discovery { namespaces }
    }
}

fn is_claimed(claimed: &Mutex<HashSet<u64>>, ino: u64) -> bool {
    claimed
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .contains(&ino)
}

/// Claims a namespace for the calling thread; false if another had it.
fn claim(claimed: &Mutex<HashSet<u64>>, ino: u64) -> bool {
    claimed
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(ino)
}

/// Fills in the user names of the owners of user namespaces, asking the
/// user database once per distinct uid.
fn name_owners(namespaces: &mut [Namespace]) {
    let mut names: HashMap<u32, Option<String>> = HashMap::new();
    for ns in namespaces
        .iter_mut()
        .filter(|ns| ns.ns_type == NsType::User)
    {
        if let Some(uid) = ns.owner_uid {
            ns.owner_name = names
                .entry(uid)
                .or_insert_with(|| {
                    User::from_uid(Uid::from_raw(uid))
                        .ok()
                        .flatten()
                        .map(|u| u.name)
                })
                .clone();
        }
    }
}
