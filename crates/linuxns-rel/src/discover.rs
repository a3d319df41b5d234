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

use std::collections::HashMap;
use std::ffi::CStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use nix::dir::Dir;
use nix::fcntl::{open, openat, AtFlags, OFlag};
use nix::sys::stat::{fstat, fstatat, stat, Mode};

use crate::procfs::{
    argv0_name, nsfs_mounts, parse_ns_link, parse_stat, read_head, readlinkat, CPath,
};
use crate::{
    get_nstype, get_owner_uid, get_parentns, get_userns, open_ns, Error, NsType, Result, Syscall,
};

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
}

impl Source {
    const ALL: [Source; 5] = [
        Source::Process,
        Source::Task,
        Source::Fd,
        Source::BindMount,
        Source::Hierarchy,
    ];

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A process standing for a namespace, with the name lsuserns would show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: i32,
    /// The base name of argv\[0\] without a leading `-`, or `[comm]` for a
    /// kernel thread.
    pub name: String,
}

/// An open file descriptor that refers to a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FdHolder {
    pub pid: i32,
    pub fd: i32,
}

/// One namespace and what the scan learnt about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub ns_type: NsType,
    /// The nsfs inode number, as in `type:[inode]`.
    pub ino: u64,
    /// The nsfs device (`st_dev`).
    pub dev: u64,
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
    let mut pids = Vec::new();
    numbers(proc.as_fd(), c".", &mut pids).map_err(proc_error)?;
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
        path: CPath::new(),
        buf: vec![0; 4096],
        numbers: Vec::new(),
    };
    for pid in pids {
        scan.process(pid);
    }
    if options.bind_mounts {
        scan.mounts();
    }
    scan.resolve();
    Ok(scan.finish())
}

/// Lists the numeric entries (pids, tids, fds) of a directory below `dir`
/// into `out`, and returns the directory.
fn numbers(dir: BorrowedFd<'_>, name: &CStr, out: &mut Vec<i32>) -> nix::Result<Dir> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let mut listing = Dir::from_fd(openat(dir, name, flags, Mode::empty())?)?;
    out.clear();
    out.extend(
        listing
            .iter()
            .filter_map(|e| e.ok()?.file_name().to_str().ok()?.parse::<i32>().ok()),
    );
    Ok(listing)
}

/// What is known about one namespace while the scan runs.
struct Entry {
    ns_type: NsType,
    dev: u64,
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
    path: CPath,
    buf: Vec<u8>,
    /// Reused for directory listings.
    numbers: Vec<i32>,
}

impl Scan {
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

    /// The entry for a namespace seen through `source`; `None` if the inode
    /// is already known with another type (freed and reused mid-scan).
    fn record(&mut self, ino: u64, t: NsType, source: Source) -> Option<&mut Entry> {
        let entry = self
            .found
            .entry(ino)
            .or_insert_with(|| Entry::new(t))
            .filter_type(t)?;
        entry.via |= source.bit();
        Some(entry)
    }

    fn process(&mut self, pid: i32) {
        // Links are read relative to /proc/PID: each path component under
        // /proc costs a revalidation, and this is the hot loop.
        let Ok(path) = self.path.set(format_args!("{pid}")) else {
            return;
        };
        let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let Ok(dir) = openat(self.proc.as_fd(), path, flags, Mode::empty()) else {
            return;
        };
        let mut own = [None; NsType::ALL.len()];
        for i in 0..self.types.len() {
            let Some(&t) = self.types.get(i) else { break };
            if let Some(ino) = self.ns_link(dir.as_fd(), format_args!("ns/{t}"), t) {
                if let (Some(slot), Some(entry)) =
                    (own.get_mut(i), self.record(ino, t, Source::Process))
                {
                    entry.pids.push(pid);
                    *slot = Some(ino);
                }
            }
        }
        if self.options.bind_mounts {
            let mnt = match self.types.iter().position(|t| *t == NsType::Mnt) {
                Some(i) => own.get(i).copied().flatten(),
                None => self.ns_link(dir.as_fd(), format_args!("ns/mnt"), NsType::Mnt),
            };
            if let Some(mnt) = mnt {
                let members = self.mnt_members.entry(mnt).or_default();
                if members.len() < 3 {
                    members.push(pid);
                }
            }
        }
        if self.options.tasks {
            self.tasks(dir.as_fd(), pid, &own);
        }
        if self.options.fds {
            self.fds(dir.as_fd(), pid);
        }
    }

    /// Threads of `pid` that sit in another namespace than the process (`own`).
    fn tasks(&mut self, dir: BorrowedFd<'_>, pid: i32, own: &[Option<u64>]) {
        let Ok(task) = numbers(dir, c"task", &mut self.numbers) else {
            return;
        };
        let tids = std::mem::take(&mut self.numbers);
        for &tid in &tids {
            if tid == pid {
                continue;
            }
            for i in 0..self.types.len() {
                let Some(&t) = self.types.get(i) else { break };
                let ino = self.ns_link(task.as_fd(), format_args!("{tid}/ns/{t}"), t);
                if ino.is_some() && ino != own.get(i).copied().flatten() {
                    if let Some(entry) = ino.and_then(|ino| self.record(ino, t, Source::Task)) {
                        entry.pids.push(tid);
                    }
                }
            }
        }
        self.numbers = tids;
    }

    /// Open descriptors of `pid` that refer to a namespace.
    fn fds(&mut self, dir: BorrowedFd<'_>, pid: i32) {
        let Ok(fd_dir) = numbers(dir, c"fd", &mut self.numbers) else {
            return;
        };
        let fds = std::mem::take(&mut self.numbers);
        for &fd in &fds {
            let Ok(path) = self.path.set(format_args!("{fd}")) else {
                continue;
            };
            let Ok(link) = readlinkat(fd_dir.as_fd(), path, &mut self.buf) else {
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
                    self.nsfs_fd(fd_dir.as_fd(), pid, fd)
                }
                None => None,
            };
            if let Some((t, ino)) = ns.filter(|(t, _)| self.types.contains(t)) {
                if let Some(entry) = self.record(ino, t, Source::Fd) {
                    entry.fd_holders.push(FdHolder { pid, fd });
                }
            }
        }
        // Hand the buffer back, to spare an allocation per process.
        self.numbers = fds;
    }

    /// The namespace behind an fd whose link is a path, if it is one.
    fn nsfs_fd(&mut self, fd_dir: BorrowedFd<'_>, pid: i32, fd: i32) -> Option<(NsType, u64)> {
        let path = self.path.set(format_args!("{fd}")).ok()?;
        let st = fstatat(fd_dir, path, AtFlags::empty()).ok()?;
        if Some(st.st_dev) != self.nsfs_dev {
            return None;
        }
        if let Some(entry) = self.found.get(&st.st_ino) {
            return Some((entry.ns_type, st.st_ino));
        }
        let flag = get_nstype(&open_ns(format!("/proc/{pid}/fd/{fd}")).ok()?).ok()?;
        Some((NsType::from_flag(flag)?, st.st_ino))
    }

    /// nsfs bind mounts in our own mount namespace and in every other one seen.
    fn mounts(&mut self) {
        if let Ok(text) = std::fs::read("/proc/self/mountinfo") {
            for (t, ino, path) in nsfs_mounts(&text) {
                self.mount(t, ino, path);
            }
        }
        let own = std::fs::read_link("/proc/self/ns/mnt")
            .ok()
            .and_then(|link| parse_ns_link(link.as_os_str().as_bytes()))
            .map(|(_, ino)| ino);
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
    }

    fn mount(&mut self, t: NsType, ino: u64, path: PathBuf) {
        if self.types.contains(&t) {
            if let Some(entry) = self.record(ino, t, Source::BindMount) {
                entry.bind_mounts.push(path);
            }
        }
    }

    /// Opens each namespace once and asks the kernel for its relations,
    /// adding the ancestors and owners no process revealed.
    fn resolve(&mut self) {
        let inos: Vec<u64> = self.found.keys().copied().collect();
        // Depth-first, so at most a chain's worth of descriptors is open at once.
        let mut pending = Vec::new();
        for ino in inos {
            if let Some(fd) = self.open_found(ino) {
                pending.push((ino, fd));
            }
            while let Some((ino, fd)) = pending.pop() {
                self.relate(ino, &fd, &mut pending);
            }
        }
    }

    /// A descriptor of a namespace seen in the scan, through whichever of
    /// its processes, descriptors and mounts is still there.
    fn open_found(&mut self, ino: u64) -> Option<OwnedFd> {
        let entry = self.found.get(&ino).filter(|e| !e.opened)?;
        let t = entry.ns_type;
        let paths = entry
            .pids
            .iter()
            .map(|pid| PathBuf::from(format!("/proc/{pid}/ns/{t}")))
            .chain(
                entry
                    .fd_holders
                    .iter()
                    .map(|h| PathBuf::from(format!("/proc/{}/fd/{}", h.pid, h.fd))),
            )
            .chain(entry.bind_mounts.iter().cloned());
        // A pid or fd number may have been reused by now: check the inode.
        let (fd, dev) = paths.into_iter().find_map(|path| {
            let fd = open_ns(path).ok()?;
            let st = fstat(&fd).ok()?;
            (st.st_ino == ino).then_some((fd, st.st_dev))
        })?;
        let entry = self.found.get_mut(&ino)?;
        entry.dev = dev;
        entry.opened = true;
        Some(fd)
    }

    fn relate(&mut self, ino: u64, fd: &OwnedFd, pending: &mut Vec<(u64, OwnedFd)>) {
        let Some(t) = self.found.get(&ino).map(|e| e.ns_type) else {
            return;
        };
        // EPERM at the top of what the caller may see is the normal end of the walk.
        let parent = match t {
            NsType::User | NsType::Pid => self.follow(get_parentns(fd), t, pending),
            _ => None,
        };
        let owner = match t {
            NsType::User => parent,
            _ => self.follow(get_userns(fd), NsType::User, pending),
        };
        let owner_uid = match t {
            NsType::User => get_owner_uid(fd).ok(),
            _ => None,
        };
        if let Some(entry) = self.found.get_mut(&ino) {
            entry.parent = parent;
            entry.owner = owner;
            entry.owner_uid = owner_uid;
        }
    }

    /// The inode of a parent or owner; queues it for its own relations if it
    /// is of a wanted type and not yet opened.
    fn follow(
        &mut self,
        related: Result<OwnedFd>,
        t: NsType,
        pending: &mut Vec<(u64, OwnedFd)>,
    ) -> Option<u64> {
        let fd = related.ok()?;
        let st = fstat(&fd).ok()?;
        let ino = st.st_ino;
        if !self.types.contains(&t) {
            return Some(ino);
        }
        let entry = self.found.entry(ino).or_insert_with(|| {
            let mut entry = Entry::new(t);
            entry.via = Source::Hierarchy.bit();
            entry
        });
        if !entry.opened && entry.ns_type == t {
            entry.opened = true;
            entry.dev = st.st_dev;
            pending.push((ino, fd));
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
                    parent: e.parent,
                    children: Vec::new(),
                    owner: e.owner,
                    owner_uid: e.owner_uid,
                    representative: self.representative(&e.pids),
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

    /// The parent pid and command name of a process, from `/proc/PID/stat`.
    fn stat(&mut self, pid: i32) -> Option<(i32, String)> {
        let path = self.path.set(format_args!("{pid}/stat")).ok()?;
        let stat = read_head(self.proc.as_fd(), path, &mut self.buf).ok()?;
        parse_stat(stat).map(|(ppid, comm)| (ppid, String::from_utf8_lossy(comm).into_owned()))
    }

    /// The lowest pid, then up its parents while they stay among `pids`
    /// (sorted), as linuxns_rel's lsuserns picks the process it shows.
    fn representative(&mut self, pids: &[i32]) -> Option<Process> {
        let mut pid = *pids.first()?;
        // A lone member has no parent to climb to: spare its stat. The bound
        // guards against a ppid loop while processes come and go.
        for _ in 1..pids.len().min(1024) {
            match self.stat(pid) {
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
            .and_then(|path| read_head(self.proc.as_fd(), path, &mut self.buf).ok())
            .and_then(argv0_name)
            .or_else(|| self.stat(pid).map(|(_, comm)| format!("[{comm}]")))
            .unwrap_or_default();
        Some(Process { pid, name })
    }
}
