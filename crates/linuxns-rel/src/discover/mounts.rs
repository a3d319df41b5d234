//! Adds the namespaces that nsfs bind mounts keep, and the mount namespaces only the kernel lists.
//!
//! Bind mounts are read in every mount namespace seen: ours, those of
//! processes, and those no process is in (Linux 6.12, from the kernel's list).

use std::collections::HashSet;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use nix::sched::{setns, unshare, CloneFlags};

use super::model::Source;
use super::state::{record, State};
use crate::features::Feature;
use crate::mntns::{mount_namespaces, MntNsInfo};
use crate::nstype::NsType;
use crate::procfs::{nsfs_mounts, parse_ns_link};
use crate::relations::open_ns;

/// The kernel's list of mount namespaces (Linux 6.12, `CAP_SYS_ADMIN`),
/// read once per scan where bind mounts or mount namespaces are wanted: for
/// those no process is in, and for the bind mounts inside them.
pub(super) fn list_mount_namespaces(state: &State) -> Vec<(MntNsInfo, OwnedFd)> {
    let wanted = state.options.bind_mounts || state.wants(NsType::Mnt);
    match wanted && Feature::MntnsList.available() {
        true => mount_namespaces().unwrap_or_default(),
        false => Vec::new(),
    }
}

/// Where bind mounts are wanted: the nsfs bind mounts in our own mount
/// namespace, in every other one that a process is in, and in those of
/// `listed` that none is in.
pub(super) fn bind_mounts(state: &mut State, listed: &[(MntNsInfo, OwnedFd)]) {
    if !state.options.bind_mounts {
        return;
    }
    if let Ok(text) = std::fs::read("/proc/self/mountinfo") {
        for (t, ino, path) in nsfs_mounts(&text) {
            mount(state, t, ino, path);
        }
    }
    let own = std::fs::read_link("/proc/self/ns/mnt")
        .ok()
        .and_then(|link| parse_ns_link(link.as_os_str().as_bytes()))
        .map(|(_, ino)| ino);
    let mut entered: HashSet<u64> = state.mnt_members.keys().copied().chain(own).collect();
    for (mnt, pids) in std::mem::take(&mut state.mnt_members) {
        if Some(mnt) == own {
            continue;
        }
        for pid in pids {
            let Ok(text) = std::fs::read(format!("/proc/{pid}/mountinfo")) else {
                continue;
            };
            let root = PathBuf::from(format!("/proc/{pid}/root"));
            for (t, ino, path) in nsfs_mounts(&text) {
                mount(
                    state,
                    t,
                    ino,
                    root.join(path.strip_prefix("/").unwrap_or(&path)),
                );
            }
            break;
        }
    }
    for (info, mntns) in listed {
        if !entered.insert(info.ino) {
            continue;
        }
        for (t, ino, path, fd) in mounts_inside(mntns.as_fd()) {
            if let Some(fd) = fd.filter(|_| state.wants(t)) {
                state.held.entry(ino).or_insert(fd);
            }
            let shown = format!("mnt:[{}]:{}", info.ino, path.display());
            mount(state, t, ino, PathBuf::from(shown));
        }
    }
}

/// The mount namespaces in the kernel's list that nothing else showed.
pub(super) fn mount_list(state: &mut State, listed: Vec<(MntNsInfo, OwnedFd)>) {
    if !state.wants(NsType::Mnt) {
        return;
    }
    for (info, fd) in listed {
        if state.found.contains_key(&info.ino) {
            continue;
        }
        if record(&mut state.found, info.ino, NsType::Mnt, Source::MountList).is_some() {
            state.held.insert(info.ino, fd);
        }
    }
}

/// One bind mount of namespace `ino`, seen at `path`.
fn mount(state: &mut State, t: NsType, ino: u64, path: PathBuf) {
    if !state.wants(t) {
        if state.wants(NsType::User) {
            state.owned_only.entry(ino).or_insert(path);
        }
    } else if let Some(entry) = record(&mut state.found, ino, t, Source::BindMount) {
        entry.bind_mounts.push(path);
    }
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
    // Where no thread can be started, the mounts inside stay unseen.
    std::thread::scope(|s| {
        let thread = std::thread::Builder::new().spawn_scoped(s, inside).ok();
        thread
            .and_then(|t| t.join().ok().flatten())
            .unwrap_or_default()
    })
}
