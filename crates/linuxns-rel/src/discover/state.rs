//! The model in progress: one entry per namespace found so far, by inode, for every step to add to.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use nix::fcntl::{open, OFlag};
use nix::sys::stat::{stat, Mode};

use super::model::{FdHolder, Source};
use super::DiscoverOptions;
use crate::containers::Container;
use crate::error::{Error, Result, Syscall};
use crate::features::Feature;
use crate::nstype::NsType;

/// What is known about one namespace while the scan runs.
pub(super) struct Entry {
    pub ns_type: NsType,
    pub dev: u64,
    pub id: Option<u64>,
    pub parent: Option<u64>,
    pub owner: Option<u64>,
    pub owner_uid: Option<u32>,
    pub pids: Vec<i32>,
    /// The bits of the [`Source`]s it was found through.
    pub via: u8,
    pub fd_holders: Vec<FdHolder>,
    pub bind_mounts: Vec<PathBuf>,
    /// Set once a descriptor of it was opened; the rest have vanished.
    pub opened: bool,
    pub host: bool,
    pub containers: Vec<Container>,
}

impl Entry {
    pub(super) fn new(ns_type: NsType) -> Self {
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
            host: false,
            containers: Vec::new(),
        }
    }

    /// Whether a process or thread was seen in it.
    pub(super) fn has_process(&self) -> bool {
        self.via & (Source::Process.bit() | Source::Task.bit()) != 0
    }
}

/// The entry for a namespace seen through `source`; `None` if the inode is
/// already known with another type (freed and reused mid-scan).
pub(super) fn record(
    found: &mut HashMap<u64, Entry>,
    ino: u64,
    t: NsType,
    source: Source,
) -> Option<&mut Entry> {
    let entry = found.entry(ino).or_insert_with(|| Entry::new(t));
    if entry.ns_type != t {
        return None;
    }
    entry.via |= source.bit();
    Some(entry)
}

/// Everything the steps share.
pub(super) struct State {
    pub options: DiscoverOptions,
    /// `options.types` without repeats, at most one of each.
    pub types: Vec<NsType>,
    /// To tell an fd opened through a bind-mount path from an ordinary file.
    pub nsfs_dev: Option<u64>,
    pub proc: OwnedFd,
    /// Whether the kernel has `NS_GET_ID`.
    pub ids: bool,
    /// Keyed by inode alone: nsfs inodes are unique across types.
    pub found: HashMap<u64, Entry>,
    /// A few processes of each mount namespace, to read its mountinfo.
    pub mnt_members: HashMap<u64, Vec<i32>>,
    /// Namespaces of types not asked for that only an fd or a bind mount
    /// keeps, by inode, with a path to open them: the user namespaces that
    /// own them may have nothing else that keeps them.
    pub owned_only: HashMap<u64, PathBuf>,
    /// Processes whose `pid_for_children` or `time_for_children` may be a
    /// namespace no process is in: pid, type, inode if the link showed one.
    pub pending: Vec<(i32, NsType, Option<u64>)>,
    /// Descriptors of the namespaces found through a pidfd or the mount
    /// namespace list, which may have no path to open them by.
    pub held: HashMap<u64, OwnedFd>,
    /// Each task's parent process and `comm`, where the BPF scan gave them:
    /// the representatives need no `stat` in /proc then.
    pub parents: HashMap<i32, (i32, Vec<u8>)>,
    /// The argv\[0\] of the processes the BPF scan named: a representative
    /// among them needs no read of its `cmdline` in /proc.
    pub argv0: HashMap<i32, Vec<u8>>,
    /// Each process's mount namespace, where containers are wanted.
    pub process_mnt: Vec<(i32, u64)>,
    /// What could not be told of the containers.
    pub notes: Vec<String>,
}

impl State {
    /// An empty model, and `/proc` opened for the scan.
    pub(super) fn new(options: &DiscoverOptions) -> Result<State> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let proc = open("/proc", flags, Mode::empty()).map_err(proc_error)?;
        Ok(State {
            options: options.clone(),
            types: NsType::ALL
                .into_iter()
                .filter(|t| options.types.contains(t))
                .collect(),
            nsfs_dev: stat("/proc/self/ns/user").ok().map(|st| st.st_dev),
            proc,
            ids: Feature::NsId.available(),
            found: HashMap::new(),
            mnt_members: HashMap::new(),
            owned_only: HashMap::new(),
            pending: Vec::new(),
            held: HashMap::new(),
            parents: HashMap::new(),
            argv0: HashMap::new(),
            process_mnt: Vec::new(),
            notes: Vec::new(),
        })
    }

    /// Whether namespaces of type `t` are to be reported.
    pub(super) fn wants(&self, t: NsType) -> bool {
        self.types.contains(&t)
    }
}

/// `/proc` could not be opened or listed: the one failure of a scan.
pub(super) fn proc_error(errno: nix::errno::Errno) -> Error {
    Error {
        errno,
        syscall: Syscall::Open,
        path: Some(PathBuf::from("/proc")),
    }
}
