//! Adds what the BPF scan saw in the kernel in place of the /proc scan's
//! links, and the relations with it, with no ioctl and no open.
//!
//! The steps here stand in for `scan::processes`, `pending::pending` and
//! `relations::relations`, and fill in the model as those do, so that both
//! scans give the same model; what BPF did not see (namespaces only a bind
//! mount or the kernel's mount namespace list holds) goes through the
//! ioctls as before.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::model::{FdHolder, Source};
use super::state::{record, Entry, State};
use crate::bpf_scan::{self, Snapshot, Task};
use crate::error::Result;
use crate::nstype::NsType;

/// Which scan finds the processes' namespaces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Scan {
    /// The BPF scan where it can run ([`bpf_scan::available`]), else /proc.
    #[default]
    Auto,
    /// The BPF scan; an error where it cannot run.
    Bpf,
    /// The /proc scan.
    Procfs,
}

impl Scan {
    /// Every choice, in their order.
    pub const ALL: [Scan; 3] = [Scan::Auto, Scan::Bpf, Scan::Procfs];

    /// Its name, as the tools' `--scan` and the Node.js package give it.
    pub const fn name(self) -> &'static str {
        match self {
            Scan::Auto => "auto",
            Scan::Bpf => "bpf",
            Scan::Procfs => "procfs",
        }
    }
}

impl fmt::Display for Scan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scan {
    type Err = String;

    /// The choice of a name as [`Scan::name`] gives it.
    fn from_str(name: &str) -> std::result::Result<Self, Self::Err> {
        Scan::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| format!("unknown scan '{name}'"))
    }
}

/// The BPF scan's snapshot where `scan` asks for it and it can run, naming
/// the first process of each namespace of the types `names`; `None` for the
/// /proc scan. `Scan::Bpf` where it cannot run fails with the
/// reason's errno and `bpf` as the call (`bpf_scan::available` names the
/// reason); `Scan::Auto` falls back, and says why on stderr where
/// `LINUXNS_REL_DEBUG=1`.
pub(super) fn snapshot(scan: Scan, names: &[NsType]) -> Result<Option<Snapshot>> {
    match scan {
        Scan::Procfs => Ok(None),
        Scan::Bpf => Ok(Some(bpf_scan::scan(names)?)),
        Scan::Auto => match bpf_scan::scan(names) {
            Ok(snapshot) => Ok(Some(snapshot)),
            Err(why) => {
                if std::env::var_os("LINUXNS_REL_DEBUG").is_some_and(|v| v == "1") {
                    eprintln!("linuxns-rel: scanning /proc: no BPF scan: {why}");
                }
                Ok(None)
            }
        },
    }
}

/// The processes' namespaces, their threads' and their descriptors', as
/// `scan::processes` adds them; and the names the snapshot read.
pub(super) fn processes(state: &mut State, snap: &mut Snapshot) {
    state.argv0 = std::mem::take(&mut snap.argv0);
    state.parents = snap
        .tasks
        .iter_mut()
        .map(|t| (t.pid, (t.ppid, std::mem::take(&mut t.comm))))
        .collect();
    for task in snap.tasks.iter().filter(|t| t.pid == t.tgid) {
        for i in 0..state.types.len() {
            let t = state.types[i];
            let entry = task
                .ns(t)
                .and_then(|ino| record(&mut state.found, ino, t, Source::Process));
            if let Some(entry) = entry {
                entry.pids.push(task.pid);
            }
        }
        if let Some(mnt) = task.ns(NsType::Mnt).filter(|_| state.options.containers) {
            state.process_mnt.push((task.pid, mnt));
        }
        if let Some(mnt) = task.ns(NsType::Mnt).filter(|_| state.options.bind_mounts) {
            let members = state.mnt_members.entry(mnt).or_default();
            if members.len() < 3 {
                members.push(task.pid);
            }
        }
    }
    if state.options.owners && state.wants(NsType::User) {
        let others: Vec<NsType> = NsType::ALL
            .into_iter()
            .filter(|&t| !state.wants(t))
            .collect();
        // Most processes are in the namespaces of the process before.
        let mut before: Vec<Option<u64>> = vec![None; others.len()];
        for task in snap.tasks.iter().filter(|t| t.pid == t.tgid) {
            for (&t, before) in others.iter().zip(before.iter_mut()) {
                let Some(ino) = task.ns(t).filter(|&ino| Some(ino) != *before) else {
                    continue;
                };
                *before = Some(ino);
                let path = || PathBuf::from(format!("/proc/{}/ns/{t}", task.pid));
                state.owned_only.entry(ino).or_insert_with(path);
            }
        }
    }
    if state.options.tasks {
        let leaders: HashMap<i32, &Task> = snap
            .tasks
            .iter()
            .filter(|t| t.pid == t.tgid)
            .map(|t| (t.pid, t))
            .collect();
        for task in snap.tasks.iter().filter(|t| t.pid != t.tgid) {
            let leader = leaders.get(&task.tgid);
            for i in 0..state.types.len() {
                let t = state.types[i];
                let Some(ino) = task.ns(t) else { continue };
                if leader.and_then(|l| l.ns(t)) == Some(ino) {
                    continue;
                }
                if let Some(entry) = record(&mut state.found, ino, t, Source::Task) {
                    entry.pids.push(task.pid);
                }
            }
        }
    }
    if state.options.fds {
        for f in snap.files.iter().filter(|f| !f.socket) {
            let (t, ino) = (f.ns_type, f.ino);
            if !state.wants(t) {
                if state.wants(NsType::User) {
                    let path = || PathBuf::from(format!("/proc/{}/fd/{}", f.pid, f.fd));
                    state.owned_only.entry(ino).or_insert_with(path);
                }
            } else if let Some(entry) = record(&mut state.found, ino, t, Source::Fd) {
                entry.fd_holders.push(FdHolder {
                    pid: f.pid,
                    fd: f.fd,
                });
            }
        }
        if state.wants(NsType::Net) {
            let sockets = snap.files.iter().filter(|f| f.socket);
            let sockets = sockets.map(|f| {
                (
                    FdHolder {
                        pid: f.pid,
                        fd: f.fd,
                    },
                    f.ino,
                )
            });
            super::scan::socket_holders(state, sockets.collect());
        }
    }
}

/// The `pid_for_children` and `time_for_children` namespaces no process,
/// thread, descriptor or mount showed, as `pending::pending` adds them.
pub(super) fn pending(state: &mut State, snap: &Snapshot) {
    for task in snap.tasks.iter().filter(|t| t.pid == t.tgid) {
        for (t, child) in [
            (NsType::Pid, task.pid_for_children),
            (NsType::Time, task.time_for_children),
        ] {
            let Some(child) = child.filter(|_| state.wants(t)) else {
                continue;
            };
            if task.ns(t).is_none_or(|own| own == child) || state.found.contains_key(&child) {
                continue;
            }
            record(&mut state.found, child, t, Source::Pending);
        }
    }
}

/// Each namespace's parent, owner, owner uid and id from the snapshot, and
/// the hidden ancestors and owners they lead to, as `relations::relations`
/// adds them; those the snapshot has not go through the ioctls.
pub(super) fn relations(state: &mut State, snap: &Snapshot) {
    let dev = state.nsfs_dev.unwrap_or(0);
    let mut queue: Vec<u64> = state.found.keys().copied().collect();
    let mut done = HashSet::new();
    let mut rest = Vec::new();
    let mut owned_rest = HashMap::new();
    for (&ino, path) in &state.owned_only {
        match snap.namespaces.get(&ino) {
            Some(info) if state.wants(NsType::User) => queue.extend(info.owner),
            Some(_) => {}
            None => {
                owned_rest.insert(ino, path.clone());
            }
        }
    }
    while let Some(ino) = queue.pop() {
        if !done.insert(ino) {
            continue;
        }
        let Some(info) = snap.namespaces.get(&ino) else {
            rest.push(ino);
            continue;
        };
        let t = info.ns_type;
        // Of two namespaces of one inode, one died during the pass and the
        // kernel gave its inode again: the ioctls tell which is alive.
        if state.found.get(&ino).is_some_and(|e| e.ns_type != t) {
            rest.push(ino);
            continue;
        }
        let entry = state.found.entry(ino).or_insert_with(|| hidden(t));
        let hierarchy = matches!(t, NsType::User | NsType::Pid);
        entry.dev = dev;
        entry.id = info.id.filter(|_| state.ids);
        entry.parent = info.parent.filter(|_| hierarchy);
        entry.owner = info.owner;
        entry.owner_uid = info.owner_uid;
        entry.opened = true;
        if hierarchy && state.wants(t) {
            queue.extend(info.parent);
        }
        if state.wants(NsType::User) {
            queue.extend(info.owner);
        }
    }
    // A pass over every task is no single instant: a namespace whose parent
    // or owner is now of another type died during it. The ioctls check it
    // again, and leave it out where it cannot be opened.
    let stale: Vec<u64> = state
        .found
        .iter()
        .filter(|(_, e)| {
            let wrong = |up: Option<u64>, want: NsType| {
                up.and_then(|up| state.found.get(&up))
                    .is_some_and(|up| up.ns_type != want)
            };
            e.opened && (wrong(e.owner, NsType::User) || wrong(e.parent, e.ns_type))
        })
        .map(|(&ino, _)| ino)
        .collect();
    for ino in stale {
        if let Some(entry) = state.found.get_mut(&ino) {
            entry.opened = false;
            entry.parent = None;
            entry.owner = None;
            entry.owner_uid = None;
        }
        rest.push(ino);
    }
    done.retain(|ino| !rest.contains(ino));
    state.owned_only = owned_rest;
    super::relations::relations_from(state, rest, done);
}

/// An entry for a namespace found only as a parent or an owner.
fn hidden(ns_type: NsType) -> Entry {
    let mut entry = Entry::new(ns_type);
    entry.via = Source::Hierarchy.bit();
    entry
}
