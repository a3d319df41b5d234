//! Containers: which containers a process runs in, and which containers run
//! on the machine, with their names, images, pods and init pids.
//!
//! The chain of containers of a process comes from its `/proc/PID/cgroup`
//! alone ([`chain_from_cgroup`]). Names and details come read-only from each
//! engine's own state on disk, with no engine API needed (as root):
//!
//! | engine | state read |
//! | --- | --- |
//! | Docker | `/var/lib/docker/containers/<id>/config.v2.json` (and under `<uid>.<gid>/` with `--userns-remap`) |
//! | containerd | `/run/containerd/io.containerd.runtime.v2.task/<namespace>/<id>/{config.json,init.pid}` (and Docker's own containerd's, under `/run/docker/containerd/daemon/`) |
//! | podman, CRI-O | `/var/lib/containers/storage/overlay-containers/{containers.json,<id>/userdata/config.json}`, `/run/containers/storage/overlay-containers/<id>/userdata/pidfile` |
//! | LXC, systemd-nspawn | the name in the cgroup path; nspawn's init pid from machined's `/run/systemd/machines/<name>` |
//!
//! Where Docker's files cannot be read but its socket can be used (a user in
//! the `docker` group), the Engine API answers instead, within one second
//! for the whole run. A file that is missing, unreadable, half-written or not
//! JSON leaves its container with an id and no name, never an error; the
//! reason, one line per engine, is in [`Engines::notes`].
//!
//! ```no_run
//! use linuxns_rel::containers::{ContainerOptions, Engines};
//!
//! let mut engines = Engines::new(ContainerOptions::default());
//! for c in engines.running() {
//!     println!("{} {} {:?} pid {:?}", c.engine, c.id, c.name, c.pid);
//! }
//! for c in engines.containers_of_pid(std::process::id() as i32) {
//!     println!("this process runs in {} {}", c.engine, c.id);
//! }
//! for note in engines.notes() {
//!     eprintln!("{note}");
//! }
//! ```

mod cgroup;
mod containerd;
mod docker;
mod docker_api;
mod engines;
mod isolation;
mod kubernetes;
mod running;
mod storage;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

pub use cgroup::chain_from_cgroup;
pub use engines::Engines;
pub use isolation::{
    host_namespaces, list_containers, namespaces_of_pid, Isolated, Isolation, Listing, NsState,
};
pub use storage::StorageRoots;

use engines::containerd_named;
use kubernetes::{kubernetes_names, string_map};

/// The engines whose containers are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Engine {
    /// Docker (moby).
    Docker,
    /// containerd, through its CRI plugin (Kubernetes) or its own clients.
    Containerd,
    /// CRI-O.
    CriO,
    /// podman.
    Podman,
    /// LXC (and LXD, which runs LXC).
    Lxc,
    /// systemd-nspawn, and other machines that systemd-machined registers.
    Nspawn,
}

impl Engine {
    /// Every engine.
    pub const ALL: [Engine; 6] = [
        Engine::Docker,
        Engine::Containerd,
        Engine::CriO,
        Engine::Podman,
        Engine::Lxc,
        Engine::Nspawn,
    ];

    /// The engine's name in the model: `docker`, `containerd`, `cri-o`,
    /// `podman`, `lxc` or `nspawn`.
    pub const fn name(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Containerd => "containerd",
            Engine::CriO => "cri-o",
            Engine::Podman => "podman",
            Engine::Lxc => "lxc",
            Engine::Nspawn => "nspawn",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A container as a cgroup path names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerRef {
    /// Whose container it is.
    pub engine: Engine,
    /// Its id: 64 hex digits, or the name for LXC and nspawn.
    pub id: String,
    /// The uid of the Kubernetes pod (or the id of the podman pod) whose
    /// cgroup holds the container's.
    pub pod_uid: Option<String>,
}

/// What an engine's state says of one container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Details {
    name: Option<String>,
    image: Option<String>,
    pod: Option<String>,
    pod_namespace: Option<String>,
    pod_uid: Option<String>,
    labels: BTreeMap<String, String>,
    pid: Option<i32>,
    running: bool,
}

/// A container with what its engine's state says of it; `None` where the
/// state does not say or could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// Whose container it is.
    pub engine: Engine,
    /// Its full id (for LXC and nspawn, its name).
    pub id: String,
    /// Its name: Docker's and podman's without the leading `/`, the
    /// Kubernetes container name, LXC's and nspawn's from the cgroup path,
    /// the id of a containerd container that no CRI plugin made.
    pub name: Option<String>,
    /// The image as it was asked for (`Config.Image` for Docker).
    pub image: Option<String>,
    /// The Kubernetes pod's name.
    pub pod: Option<String>,
    /// The Kubernetes pod's namespace.
    pub pod_namespace: Option<String>,
    /// The pod's uid (from the cgroup path or the annotations).
    pub pod_uid: Option<String>,
    /// Docker's labels, or the OCI annotations of containerd, CRI-O and podman.
    pub labels: BTreeMap<String, String>,
    /// The pid of its init, where the state says (listing); `None` from the
    /// per-process resolution, which starts from a process anyway.
    pub pid: Option<i32>,
}

impl Container {
    fn new(engine: Engine, id: String, pod_uid: Option<String>, details: Details) -> Container {
        let name = match engine {
            Engine::Lxc | Engine::Nspawn => Some(id.clone()),
            _ => details.name,
        };
        Container {
            engine,
            id,
            name,
            image: details.image,
            pod: details.pod,
            pod_namespace: details.pod_namespace,
            pod_uid: pod_uid.or(details.pod_uid),
            labels: details.labels,
            pid: details.pid,
        }
    }
}

/// Where to look for the engines' state, and how long the Docker API may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerOptions {
    /// Docker's data roots (`/var/lib/docker`, and `data-root` of
    /// `/etc/docker/daemon.json` where it names another).
    pub docker_roots: Vec<PathBuf>,
    /// Docker's API socket (`/var/run/docker.sock`, or the one that
    /// `DOCKER_HOST=unix://PATH` names), asked only where the files cannot
    /// be read or do not know a container; `None` never asks.
    pub docker_socket: Option<PathBuf>,
    /// containerd's `io.containerd.runtime.v2.task` folders.
    pub containerd_task_dirs: Vec<PathBuf>,
    /// containers/storage's roots, of podman and CRI-O.
    pub storage_roots: Vec<StorageRoots>,
    /// machined's folder of running machines.
    pub machines_dir: PathBuf,
    /// Whether the API is asked for the running containers even where the
    /// files could be read: a daemon that `DOCKER_HOST` names may keep its
    /// state in a data root of its own.
    pub list_from_api: bool,
    /// The most the Docker API may cost in one run.
    pub api_timeout: Duration,
}

impl Default for ContainerOptions {
    fn default() -> Self {
        let mut docker_roots = vec![PathBuf::from("/var/lib/docker")];
        if let Some(root) = docker_data_root(Path::new("/etc/docker/daemon.json")) {
            if !docker_roots.contains(&root) {
                docker_roots.push(root);
            }
        }
        // As the Docker CLI does: DOCKER_HOST names the daemon to ask (only
        // a unix socket is spoken to here).
        let named = std::env::var_os("DOCKER_HOST")
            .and_then(|h| Some(PathBuf::from(h.to_str()?.strip_prefix("unix://")?)));
        let list_from_api = named.is_some();
        let socket = named.unwrap_or_else(|| PathBuf::from("/var/run/docker.sock"));
        ContainerOptions {
            docker_roots,
            docker_socket: Some(socket),
            list_from_api,
            containerd_task_dirs: vec![
                PathBuf::from("/run/containerd/io.containerd.runtime.v2.task"),
                PathBuf::from("/run/docker/containerd/daemon/io.containerd.runtime.v2.task"),
            ],
            storage_roots: vec![StorageRoots {
                graph: PathBuf::from("/var/lib/containers/storage"),
                run: PathBuf::from("/run/containers/storage"),
            }],
            machines_dir: PathBuf::from("/run/systemd/machines"),
            api_timeout: Duration::from_secs(1),
        }
    }
}

/// The `data-root` that Docker's configuration file names, if any.
fn docker_data_root(daemon_json: &Path) -> Option<PathBuf> {
    let bytes = std::fs::read(daemon_json).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    Some(PathBuf::from(value.get("data-root")?.as_str()?))
}
