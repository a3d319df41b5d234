//! What each running container has of its own: its init's namespaces,
//! against the host's initial namespaces and the other containers'.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::{Container, ContainerOptions, Engines};
use crate::procfs::parse_ns_link;
use crate::NsType;

/// The namespaces of a process (a container's init), by type and inode,
/// read from its `/proc/PID/ns` links; the types it may not read are left
/// out.
pub fn namespaces_of_pid(pid: i32) -> Vec<(NsType, u64)> {
    NsType::ALL
        .into_iter()
        .filter_map(|t| {
            let link = std::fs::read_link(format!("/proc/{pid}/ns/{}", t.name())).ok()?;
            parse_ns_link(link.as_os_str().as_encoded_bytes())
        })
        .collect()
}

/// The host's initial namespaces: those of the kernel threads (PID 2,
/// kthreadd), or of PID 1 where PID 2 is no kthreadd (inside a PID
/// namespace, where PID 1 is the nearest thing to a host). Empty where
/// neither may be read (another user's processes, for a caller who is not
/// root).
pub fn host_namespaces() -> Vec<(NsType, u64)> {
    let kthreadd = std::fs::read("/proc/2/comm").is_ok_and(|comm| comm == b"kthreadd\n");
    namespaces_of_pid(if kthreadd { 2 } else { 1 })
}

/// How a container has one of its namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NsState {
    /// Its own: no other running container is in it, and it is not the host's.
    Own,
    /// The host's initial namespace ([`host_namespaces`]).
    Host,
    /// Not the host's, and another running container is in it too (as
    /// `--network container:x` or a pod's sandbox makes).
    Shared,
}

impl NsState {
    /// `own`, `host` or `shared`, as `lscontainers --json` gives it.
    pub const fn name(self) -> &'static str {
        match self {
            NsState::Own => "own",
            NsState::Host => "host",
            NsState::Shared => "shared",
        }
    }
}

/// One namespace of a running container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Isolation {
    /// Its type.
    pub ns_type: NsType,
    /// Its inode; `None` where the init's link could not be read (another
    /// user's process, for a caller who is not root).
    pub ino: Option<u64>,
    /// How the container has it; `None` where `ino` is.
    pub state: Option<NsState>,
    /// The other running containers in it, by name (by id where they have
    /// none), sorted; empty for the host's namespaces.
    pub with: Vec<String>,
}

/// A running container and its eight namespaces, in [`NsType::ALL`]'s order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Isolated {
    /// The container, with the pid of its init.
    pub container: Container,
    /// Its namespaces.
    pub namespaces: Vec<Isolation>,
}

/// What [`list_containers`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Sorted by engine, name and id.
    pub containers: Vec<Isolated>,
    /// What could not be told, one line per engine.
    pub notes: Vec<String>,
}

/// The running containers of every engine, each with its namespaces and
/// how it has them, from the engines' state and each init's `/proc/PID/ns`
/// links: no scan of the processes. A container whose init ends meanwhile
/// is left out.
pub fn list_containers(options: ContainerOptions) -> Listing {
    let mut engines = Engines::new(options);
    let running = engines.running();
    let host: HashSet<u64> = host_namespaces().into_iter().map(|(_, ino)| ino).collect();
    let mut listed: Vec<(Container, Vec<(NsType, u64)>)> = Vec::new();
    for c in running {
        let Some(pid) = c.pid else { continue };
        let namespaces = namespaces_of_pid(pid);
        // Links that cannot be read of a process that is still there:
        // out of the caller's reach, not gone.
        if namespaces.len() < NsType::ALL.len() && !Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        listed.push((c, namespaces));
    }
    let mut members: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, (_, namespaces)) in listed.iter().enumerate() {
        for &(_, ino) in namespaces {
            members.entry(ino).or_default().push(i);
        }
    }
    let label = |c: &Container| c.name.clone().unwrap_or_else(|| c.id.clone());
    let containers = listed
        .iter()
        .enumerate()
        .map(|(i, (c, namespaces))| {
            let namespaces = NsType::ALL
                .into_iter()
                .map(|t| {
                    let ino = namespaces
                        .iter()
                        .find(|(nt, _)| *nt == t)
                        .map(|&(_, ino)| ino);
                    let others: Vec<String> = match ino {
                        Some(ino) if !host.contains(&ino) => {
                            let mut names: Vec<String> = members
                                .get(&ino)
                                .into_iter()
                                .flatten()
                                .filter(|&&j| j != i)
                                .filter_map(|&j| listed.get(j).map(|(o, _)| label(o)))
                                .collect();
                            names.sort();
                            names
                        }
                        _ => Vec::new(),
                    };
                    let state = ino.map(|ino| {
                        if host.contains(&ino) {
                            NsState::Host
                        } else if others.is_empty() {
                            NsState::Own
                        } else {
                            NsState::Shared
                        }
                    });
                    Isolation {
                        ns_type: t,
                        ino,
                        state,
                        with: others,
                    }
                })
                .collect();
            Isolated {
                container: c.clone(),
                namespaces,
            }
        })
        .collect();
    Listing {
        containers,
        notes: engines.notes(),
    }
}
