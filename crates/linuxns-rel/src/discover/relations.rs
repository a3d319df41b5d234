//! Adds each namespace's parent, owner, owner uid and id, and the hidden ancestors they lead to.
//!
//! Hidden: ancestors and owners that no process is in, which only the nsfs
//! ioctls reveal.

use std::collections::HashSet;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Mutex;

use nix::sys::stat::fstat;

use super::model::Source;
use super::pool::par_map;
use super::state::{Entry, State};
use crate::error::Result;
use crate::nstype::NsType;
use crate::pidfd::{pidfd_open, socket_namespace};
use crate::procfs::Reader;
use crate::relations::{get_owner_uid, get_parentns, get_userns, open_ns};
use crate::sys::nsfs;

/// The relations of one namespace, found by a thread of the walk.
struct Related {
    ino: u64,
    ns_type: NsType,
    dev: u64,
    id: Option<u64>,
    parent: Option<u64>,
    owner: Option<u64>,
    owner_uid: Option<u32>,
}

/// A namespace to ask about: inode, type, device, and a descriptor of it.
type Open = (u64, NsType, u64, OwnedFd);

/// Opens each namespace found once and asks the kernel for its relations,
/// adding the ancestors and owners no process revealed. The namespaces are
/// shared out among threads; the walk's claims make sure each is opened
/// and asked about by one thread only.
pub(super) fn relations(state: &mut State) {
    let inos: Vec<u64> = state.found.keys().copied().collect();
    relations_from(state, inos, HashSet::new());
}

/// [`relations`] from the namespaces `inos` only, where those in `known`
/// have theirs already: they are neither opened nor asked about.
pub(super) fn relations_from(state: &mut State, inos: Vec<u64>, known: HashSet<u64>) {
    let walk = Walk {
        state,
        claimed: Mutex::new(known),
    };
    let mut related = par_map(&inos, Reader::new, |r, &ino| walk.relations_of(r, ino));
    // Few, and usually none: one thread will do.
    for path in state.owned_only.values() {
        let Ok(fd) = open_ns(path) else { continue };
        let mut pending = Vec::new();
        walk.follow(get_userns(&fd), NsType::User, &mut pending);
        related.push(walk.walk(pending));
    }
    let hidden = |ns_type| {
        let mut entry = Entry::new(ns_type);
        entry.via = Source::Hierarchy.bit();
        entry
    };
    for rel in related.into_iter().flatten() {
        let entry = state
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

/// The walk up from the namespaces found, shared by the threads.
struct Walk<'a> {
    state: &'a State,
    /// The inodes some thread has taken on.
    claimed: Mutex<HashSet<u64>>,
}

impl Walk<'_> {
    fn is_claimed(&self, ino: u64) -> bool {
        self.claimed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(&ino)
    }

    /// Claims a namespace for the calling thread; false if another had it.
    fn claim(&self, ino: u64) -> bool {
        self.claimed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(ino)
    }

    /// The relations of a namespace seen in the scan and of the ancestors
    /// and owners it leads to that no other thread has claimed yet.
    fn relations_of(&self, r: &mut Reader, ino: u64) -> Vec<Related> {
        let found = self.state.found.get(&ino);
        let Some(entry) = found.filter(|_| !self.is_claimed(ino)) else {
            return Vec::new();
        };
        let Some((fd, dev)) = self.open_found(r, ino, entry) else {
            return Vec::new();
        };
        if !self.claim(ino) {
            return Vec::new();
        }
        self.walk(vec![(ino, entry.ns_type, dev, fd)])
    }

    /// The relations of the namespaces in `pending` and of the ancestors and
    /// owners they lead to, depth-first, so that at most a chain's worth of
    /// descriptors is open at once.
    fn walk(&self, mut pending: Vec<Open>) -> Vec<Related> {
        let mut out = Vec::new();
        while let Some((ino, t, dev, fd)) = pending.pop() {
            // EPERM at the top of what the caller may see is the normal end of the walk.
            let parent = match t {
                NsType::User | NsType::Pid => self.follow(get_parentns(&fd), t, &mut pending),
                _ => None,
            };
            let owner = match t {
                NsType::User => parent,
                _ => self.follow(get_userns(&fd), NsType::User, &mut pending),
            };
            let owner_uid = match t {
                NsType::User => get_owner_uid(&fd).ok(),
                _ => None,
            };
            let id = if self.state.ids {
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
        let proc = self.state.proc.as_fd();
        // A pid or fd number may have been reused by now: check the inode.
        let check = |fd: OwnedFd| {
            let st = fstat(&fd).ok()?;
            (st.st_ino == ino).then_some((fd, st.st_dev))
        };
        self.state
            .held
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
            .or_else(|| {
                let sockets = entry.via & Source::Socket.bit() != 0;
                entry.fd_holders.iter().filter(|_| sockets).find_map(|h| {
                    let pidfd = pidfd_open(h.pid).ok()?;
                    check(socket_namespace(pidfd.as_fd(), h.fd)?)
                })
            })
    }

    /// The inode of a parent or owner; queues it for its own relations if it
    /// is of a wanted type and nobody has claimed it yet.
    fn follow(&self, related: Result<OwnedFd>, t: NsType, pending: &mut Vec<Open>) -> Option<u64> {
        let fd = related.ok()?;
        let st = fstat(&fd).ok()?;
        let ino = st.st_ino;
        if self.state.wants(t) && self.claim(ino) {
            pending.push((ino, t, st.st_dev, fd));
        }
        Some(ino)
    }
}
