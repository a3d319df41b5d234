//! The model a scan gives: each namespace found, how, and what keeps it.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::containers::Container;
use crate::nstype::NsType;

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
    /// Every source, in their order.
    pub const ALL: [Source; 7] = [
        Source::Process,
        Source::Task,
        Source::Fd,
        Source::BindMount,
        Source::Hierarchy,
        Source::Pending,
        Source::MountList,
    ];

    /// Its name, as lsuserns's JSON and the Node.js package give it.
    pub const fn name(self) -> &'static str {
        match self {
            Source::Process => "process",
            Source::Task => "task",
            Source::Fd => "fd",
            Source::BindMount => "bind-mount",
            Source::Hierarchy => "hierarchy",
            Source::Pending => "pending",
            Source::MountList => "mount-list",
        }
    }

    /// Its bit in a set of sources.
    pub(super) const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is none of those of [`Source::name`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSource {
    /// The name given.
    pub name: String,
}

impl fmt::Display for UnknownSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown namespace source '{}'", self.name)
    }
}

impl std::error::Error for UnknownSource {}

impl FromStr for Source {
    type Err = UnknownSource;

    /// The source of a name as [`Source::name`] gives it.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Source::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| UnknownSource {
                name: name.to_owned(),
            })
    }
}

/// A process standing for a namespace, with the name lsuserns would show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// Its pid, as the caller's PID namespace numbers it.
    pub pid: i32,
    /// The base name of argv\[0\] without a leading `-`, or `[comm]` for a
    /// kernel thread: the bytes the process gave, which need not be UTF-8.
    pub name: OsString,
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
    /// for a uid without an entry, and for the other types. Its bytes, as
    /// the database holds them.
    pub owner_name: Option<OsString>,
    /// The processes in it, sorted; with
    /// [`DiscoverOptions::tasks`](super::DiscoverOptions::tasks), also the ids
    /// of threads that sit in it apart from their process.
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
    /// Whether it is one of the host's initial namespaces: those of the
    /// kernel threads (PID 2, kthreadd), or of PID 1 where PID 2 is not
    /// one (inside a PID namespace).
    pub host: bool,
    /// The containers that have a process in it, each the innermost
    /// container of that process, sorted by engine, name and id; empty for
    /// the host's namespaces (which every container may share), and where
    /// [`DiscoverOptions::containers`](super::DiscoverOptions::containers)
    /// is off.
    pub containers: Vec<Container>,
}

/// The result of a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// Sorted by type name, then inode.
    pub namespaces: Vec<Namespace>,
    /// What could not be told of the containers, one line per engine
    /// (`docker: /var/lib/docker/containers: Permission denied`): the
    /// containers concerned have an id and no name.
    pub notes: Vec<String>,
}

impl Discovery {
    /// The namespace with this inode, if found.
    pub fn get(&self, ino: u64) -> Option<&Namespace> {
        self.namespaces.iter().find(|ns| ns.ino == ino)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names() {
        for s in Source::ALL {
            assert_eq!(s.name().parse(), Ok(s));
            assert_eq!(s.to_string(), s.name());
        }
        assert_eq!(Source::BindMount.name(), "bind-mount");
        let bad = "BindMount".parse::<Source>().map_err(|e| e.to_string());
        assert_eq!(bad, Err("unknown namespace source 'BindMount'".into()));
        let bits = Source::ALL.map(Source::bit);
        assert_eq!(bits.iter().fold(0, |all, b| all | b).count_ones(), 7);
    }
}
