//! Adds the namespaces of every process, thread and open descriptor in `/proc`.
//!
//! It also notes the mount namespaces and pending namespaces that later
//! steps look into.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::PathBuf;

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::fstatat;

use super::model::{FdHolder, Source};
use super::pool::par_map;
use super::state::{proc_error, record, State};
use crate::error::{Error, Syscall};
use crate::nstype::NsType;
use crate::procfs::{parse_ns_link, Reader};
use crate::relations::get_nstype;

/// What one process showed, gathered by a scan thread.
struct Seen {
    pid: i32,
    /// Its namespace of each of `State::types`, in the same order.
    links: [Option<u64>; NsType::ALL.len()],
    /// Its mount namespace, when bind mounts or containers are wanted.
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

/// Lists `/proc`, reads every process on the available cores, and merges
/// what they showed. Fails only if `/proc` cannot be listed, or if it does
/// not show the calling process (`ESRCH` on `/proc/PID`): then it is no proc
/// file system of the caller's PID namespace, and would show nothing true.
pub(super) fn processes(state: &mut State) -> crate::Result<()> {
    let mut reader = Reader::new();
    reader.list(state.proc.as_fd(), c".").map_err(proc_error)?;
    let pids = std::mem::take(&mut reader.numbers);
    let own = nix::unistd::getpid().as_raw();
    if !pids.contains(&own) {
        return Err(Error {
            errno: Errno::ESRCH,
            syscall: Syscall::Open,
            path: Some(PathBuf::from(format!("/proc/{own}"))),
        });
    }
    let seen = par_map(&pids, Reader::new, |r, &pid| process(state, r, pid));
    for process in seen.into_iter().flatten() {
        add(state, process);
    }
    Ok(())
}

/// Reads one process's links (in a scan thread).
fn process(state: &State, r: &mut Reader, pid: i32) -> Option<Seen> {
    // Links are read relative to /proc/PID: each path component under
    // /proc costs a revalidation, and this is the hot loop.
    let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let dir = r.open_with(state.proc.as_fd(), format_args!("{pid}"), flags)?;
    let mut seen = Seen {
        pid,
        links: [None; NsType::ALL.len()],
        mnt: None,
        tasks: Vec::new(),
        fds: Vec::new(),
        pending: Vec::new(),
    };
    for (&t, slot) in state.types.iter().zip(&mut seen.links) {
        *slot = r.ns_link(dir.as_fd(), format_args!("ns/{t}"), t);
        if matches!(t, NsType::Pid | NsType::Time) && slot.is_some() {
            let own = *slot;
            match r.for_children(dir.as_fd(), t) {
                Ok(ino) if ino != own => seen.pending.push((t, ino)),
                _ => {}
            }
        }
    }
    if state.options.bind_mounts || state.options.containers {
        seen.mnt = match state.types.iter().position(|t| *t == NsType::Mnt) {
            Some(i) => seen.links.get(i).copied().flatten(),
            None => r.ns_link(dir.as_fd(), format_args!("ns/mnt"), NsType::Mnt),
        };
    }
    if state.options.tasks {
        tasks(state, r, dir.as_fd(), &mut seen);
    }
    if state.options.fds {
        fds(state, r, dir.as_fd(), &mut seen);
    }
    Some(seen)
}

/// Threads of the process that sit in another namespace than it does.
fn tasks(state: &State, r: &mut Reader, dir: BorrowedFd<'_>, seen: &mut Seen) {
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
        for (&t, own) in state.types.iter().zip(seen.links) {
            let ino = r.ns_link(task.as_fd(), format_args!("{tid}/ns/{t}"), t);
            if let Some(ino) = ino.filter(|&ino| Some(ino) != own) {
                seen.tasks.push((tid, t, ino));
            }
        }
    }
    r.numbers = tids;
}

/// Open descriptors of the process that refer to a namespace.
fn fds(state: &State, r: &mut Reader, dir: BorrowedFd<'_>, seen: &mut Seen) {
    let Ok(fd_dir) = r.list(dir, c"fd") else {
        return;
    };
    let fds = std::mem::take(&mut r.numbers);
    for &fd in &fds {
        let Ok(link) = r.link(fd_dir.as_fd(), format_args!("{fd}")) else {
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
                nsfs_fd(state, r, fd_dir.as_fd(), fd)
            }
            None => None,
        };
        let wanted = |t: &NsType| state.wants(*t) || state.wants(NsType::User);
        if let Some((t, ino)) = ns.filter(|(t, _)| wanted(t)) {
            let holder = FdHolder { pid: seen.pid, fd };
            seen.fds.push((holder, t, ino));
        }
    }
    // Hand the buffer back, to spare an allocation per process.
    r.numbers = fds;
}

/// The namespace behind an fd whose link is a path, if it is one.
fn nsfs_fd(
    state: &State,
    r: &mut Reader,
    fd_dir: BorrowedFd<'_>,
    fd: i32,
) -> Option<(NsType, u64)> {
    let st = r.stat_at(fd_dir, format_args!("{fd}"))?;
    if Some(st.st_dev) != state.nsfs_dev {
        return None;
    }
    let flag = get_nstype(&r.open(fd_dir, format_args!("{fd}"))?).ok()?;
    Some((NsType::from_flag(flag)?, st.st_ino))
}

/// Merges what a scan thread saw of one process.
fn add(state: &mut State, seen: Seen) {
    let pid = seen.pid;
    for (&t, ino) in state.types.iter().zip(seen.links) {
        if let Some(entry) = ino.and_then(|ino| record(&mut state.found, ino, t, Source::Process)) {
            entry.pids.push(pid);
        }
    }
    if let Some(mnt) = seen.mnt.filter(|_| state.options.containers) {
        state.process_mnt.push((pid, mnt));
    }
    if let Some(mnt) = seen.mnt.filter(|_| state.options.bind_mounts) {
        let members = state.mnt_members.entry(mnt).or_default();
        if members.len() < 3 {
            members.push(pid);
        }
    }
    for (t, ino) in seen.pending {
        state.pending.push((pid, t, ino));
    }
    for (tid, t, ino) in seen.tasks {
        if let Some(entry) = record(&mut state.found, ino, t, Source::Task) {
            entry.pids.push(tid);
        }
    }
    for (holder, t, ino) in seen.fds {
        if !state.wants(t) {
            let path = || PathBuf::from(format!("/proc/{}/fd/{}", holder.pid, holder.fd));
            state.owned_only.entry(ino).or_insert_with(path);
        } else if let Some(entry) = record(&mut state.found, ino, t, Source::Fd) {
            entry.fd_holders.push(holder);
        }
    }
}
