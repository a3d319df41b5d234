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
//!
//! Where the caller may load BPF programs, [`Scan::Auto`] (the default) reads
//! the processes' namespaces and their relations inside the kernel instead
//! ([`crate::bpf_scan`], step `bpf`); both scans give the same model, and
//! [`Discovery::scan`] says which ran.
//!
//! Each step of the scan is a module of its own that adds to one shared
//! state, the model in progress, in the order [`discover`] runs them: a new
//! way to find namespaces is a new step.

mod bpf;
mod containers;
mod finish;
mod model;
mod mounts;
mod pending;
mod pool;
mod relations;
mod scan;
mod state;

pub use bpf::Scan;
pub use model::{Discovery, FdHolder, Namespace, Process, Source, UnknownSource};

use crate::containers::ContainerOptions;
use crate::error::Result;
use crate::nstype::NsType;

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
    /// Which scan reads the processes' namespaces: BPF where it can run, by
    /// default.
    pub scan: Scan,
    /// Where user namespaces are wanted, also those that no process is in
    /// but that own a namespace of another type that a process is in. Off
    /// by default: the /proc scan then reads every type's link of every
    /// process, and asks each of those namespaces for its owner (the BPF
    /// scan has them anyway).
    pub owners: bool,
    /// Tell each namespace's containers ([`Namespace::containers`]). On by
    /// default. It costs a readlink of each process's mount namespace (the
    /// scan reads it anyway for bind mounts), a read of `/proc/PID/cgroup`
    /// for each process outside the host's mount namespace (every engine
    /// gives its containers one of their own), and each container's state
    /// file once; where Docker's files cannot be read, Docker's API is asked
    /// once, for at most [`ContainerOptions::api_timeout`]. The host's
    /// namespaces ([`Namespace::host`]) are told either way.
    pub containers: bool,
    /// Where the engines keep their state, for [`DiscoverOptions::containers`].
    pub engines: ContainerOptions,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            types: vec![NsType::User, NsType::Pid],
            tasks: false,
            fds: true,
            bind_mounts: true,
            scan: Scan::Auto,
            owners: false,
            containers: true,
            engines: ContainerOptions::default(),
        }
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
    let mut state = state::State::new(options)?;
    let mut snapshot = bpf::snapshot(options.scan, &state.types)?;
    match &mut snapshot {
        Some(snap) => bpf::processes(&mut state, snap),
        None => scan::processes(&mut state)?,
    }
    let listed = mounts::list_mount_namespaces(&state);
    mounts::bind_mounts(&mut state, &listed);
    match &snapshot {
        Some(snap) => bpf::pending(&mut state, snap),
        None => pending::pending(&mut state),
    }
    mounts::mount_list(&mut state, listed);
    match &snapshot {
        Some(snap) => bpf::relations(&mut state, snap),
        None => relations::relations(&mut state),
    }
    containers::containers(&mut state);
    let mut found = finish::finish(state);
    found.scan = if snapshot.is_some() {
        Scan::Bpf
    } else {
        Scan::Procfs
    };
    Ok(found)
}
