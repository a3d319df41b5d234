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
mod storage;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

pub use cgroup::chain_from_cgroup;
pub use storage::StorageRoots;

use crate::procfs::parse_ns_link;
use crate::NsType;

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
    /// Docker's API socket, asked only where the files cannot be read;
    /// `None` never asks.
    pub docker_socket: Option<PathBuf>,
    /// containerd's `io.containerd.runtime.v2.task` folders.
    pub containerd_task_dirs: Vec<PathBuf>,
    /// containers/storage's roots, of podman and CRI-O.
    pub storage_roots: Vec<StorageRoots>,
    /// machined's folder of running machines.
    pub machines_dir: PathBuf,
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
        ContainerOptions {
            docker_roots,
            docker_socket: Some(PathBuf::from("/var/run/docker.sock")),
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

/// What the Docker API answered, asked at most once per run.
enum Api {
    NotAsked,
    Answered(Vec<(String, Details)>),
    Failed,
}

/// The engines' state, read as it is needed and kept for the run: each
/// container's details are read once, each distinct cgroup text parsed once,
/// the Docker API asked at most once.
pub struct Engines {
    options: ContainerOptions,
    details: HashMap<(Engine, String), Container>,
    chains: HashMap<Vec<u8>, Vec<ContainerRef>>,
    api: Api,
    notes: BTreeMap<Engine, String>,
}

impl Engines {
    /// Nothing is read until asked.
    pub fn new(options: ContainerOptions) -> Engines {
        Engines {
            options,
            details: HashMap::new(),
            chains: HashMap::new(),
            api: Api::NotAsked,
            notes: BTreeMap::new(),
        }
    }

    /// One line per engine that left containers unnamed or unlisted, saying
    /// why (`docker: /var/lib/docker/containers: Permission denied …`).
    pub fn notes(&self) -> Vec<String> {
        self.notes
            .iter()
            .map(|(engine, why)| format!("{engine}: {why}"))
            .collect()
    }

    fn note(&mut self, engine: Engine, why: String) {
        self.notes.entry(engine).or_insert(why);
    }

    /// The containers process `pid` runs in, outermost first, named from
    /// the engines' state; empty outside containers, and for a process that
    /// is gone or whose cgroup file cannot be read.
    ///
    /// Reading every process's cgroup file costs about as much as the
    /// readlink of its namespaces (60 ms for 10,000 processes here). Every
    /// engine gives its containers a mount namespace of their own, so a scan
    /// that knows each process's mount namespace need ask only for the
    /// processes outside the host's (6 ms for 10,000 processes and 50
    /// containers).
    pub fn containers_of_pid(&mut self, pid: i32) -> Vec<Container> {
        match std::fs::read(format!("/proc/{pid}/cgroup")) {
            Ok(text) => self.containers_of_cgroup(text),
            Err(_) => Vec::new(),
        }
    }

    /// The containers of a `/proc/PID/cgroup` text, outermost first; a
    /// text seen before is not parsed again.
    pub fn containers_of_cgroup(&mut self, text: Vec<u8>) -> Vec<Container> {
        let chain = self
            .chains
            .entry(text)
            .or_insert_with_key(|text| chain_from_cgroup(text))
            .clone();
        chain.iter().map(|r| self.resolve(r)).collect()
    }

    /// A container with the details its engine's state gives; read once.
    pub fn resolve(&mut self, r: &ContainerRef) -> Container {
        let key = (r.engine, r.id.clone());
        if let Some(known) = self.details.get(&key) {
            let mut known = known.clone();
            if r.pod_uid.is_some() {
                known.pod_uid.clone_from(&r.pod_uid);
            }
            return known;
        }
        let (engine, details) = self.lookup(r.engine, &r.id);
        let container = Container::new(engine, r.id.clone(), r.pod_uid.clone(), details);
        self.details.insert(key, container.clone());
        container
    }

    fn lookup(&mut self, engine: Engine, id: &str) -> (Engine, Details) {
        match engine {
            Engine::Docker => (Engine::Docker, self.docker(id)),
            Engine::Containerd => {
                match containerd::find(&self.options.containerd_task_dirs, id) {
                    Ok(Some(details)) => return (engine, containerd_named(id, details)),
                    Ok(None) => {}
                    Err(why) => self.note(engine, why),
                }
                // The CRI's cgroupfs form is also what Kubernetes' Docker
                // shim made: Docker's state may know the id.
                match self.docker_files(id) {
                    Ok(Some(details)) => (Engine::Docker, details),
                    _ => (engine, Details::default()),
                }
            }
            Engine::CriO | Engine::Podman => match storage::find(&self.options.storage_roots, id) {
                Ok(Some(stored)) => (engine, stored.details),
                Ok(None) => (engine, Details::default()),
                Err(why) => {
                    self.note(engine, why);
                    (engine, Details::default())
                }
            },
            Engine::Lxc | Engine::Nspawn => (engine, Details::default()),
        }
    }

    /// Docker's details of `id`: from its files, else from the API.
    fn docker(&mut self, id: &str) -> Details {
        let why = match self.docker_files(id) {
            Ok(Some(details)) => return details,
            Ok(None) => None,
            Err(why) => Some(why),
        };
        if let Some(listed) = self.api_list() {
            if let Some((_, details)) = listed.iter().find(|(i, _)| i == id) {
                return details.clone();
            }
        }
        if let Some(why) = why {
            self.note(Engine::Docker, why);
        }
        Details::default()
    }

    fn docker_files(&self, id: &str) -> Result<Option<Details>, String> {
        let mut problem = None;
        for dir in docker::container_dirs(&self.options.docker_roots) {
            match docker::read_config(&dir, id) {
                Ok(Some(details)) => return Ok(Some(details)),
                Ok(None) => {
                    // A folder we may not enter says NotFound for every id.
                    if let Err(e) = std::fs::read_dir(&dir) {
                        if e.kind() != std::io::ErrorKind::NotFound {
                            problem = Some(format!("{}: {e}", dir.display()));
                        }
                    }
                }
                Err(why) => problem = Some(why),
            }
        }
        problem.map_or(Ok(None), Err)
    }

    /// Every container the API lists (running or not), asked once.
    fn api_list(&mut self) -> Option<&[(String, Details)]> {
        // No socket to ask: the files were all there is.
        self.options.docker_socket.as_ref()?;
        if let Api::NotAsked = self.api {
            self.api = match self.ask_api(|conn| {
                conn.get_json("/containers/json?all=1")
                    .map(|v| docker::api_list(&v))
            }) {
                Ok(listed) => Api::Answered(listed),
                Err(why) => {
                    self.note(Engine::Docker, why);
                    Api::Failed
                }
            };
        }
        match &self.api {
            Api::Answered(listed) => Some(listed),
            _ => None,
        }
    }

    fn ask_api<T>(
        &self,
        ask: impl FnOnce(&mut docker_api::Connection) -> Result<T, String>,
    ) -> Result<T, String> {
        let socket = self
            .options
            .docker_socket
            .as_deref()
            .ok_or_else(|| "the API is not to be asked".to_owned())?;
        let deadline = Instant::now() + self.options.api_timeout;
        let mut conn = docker_api::Connection::open(socket, deadline)?;
        ask(&mut conn)
    }

    /// The running containers of every engine, each with the pid of its
    /// init, from the engines' state alone: no scan of the processes.
    /// Sorted by engine, then name, then id.
    pub fn running(&mut self) -> Vec<Container> {
        let mut found: Vec<Container> = Vec::new();
        self.running_docker(&mut found);
        let (tasks, problem) = containerd::tasks(&self.options.containerd_task_dirs);
        if let Some(why) = problem {
            self.note(Engine::Containerd, why);
        }
        for (id, details) in tasks {
            if details.pid.is_some_and(alive) {
                let details = containerd_named(&id, details);
                found.push(Container::new(Engine::Containerd, id, None, details));
            }
        }
        let (stored, problem) = storage::containers(&self.options.storage_roots);
        if let Some(why) = problem {
            self.note(Engine::Podman, why);
        }
        for s in stored {
            if s.details.pid.is_some_and(alive) {
                found.push(Container::new(s.engine, s.id, None, s.details));
            }
        }
        found.extend(machines(&self.options.machines_dir));
        // A container that two engines' state shows (Docker's in its
        // containerd) is listed once, as the first engine's.
        found.sort_by(|a, b| (a.engine, &a.name, &a.id).cmp(&(b.engine, &b.name, &b.id)));
        let mut seen = std::collections::HashSet::new();
        found.retain(|c| seen.insert(c.id.clone()));
        for c in &found {
            self.details.insert((c.engine, c.id.clone()), c.clone());
        }
        found
    }

    fn running_docker(&mut self, found: &mut Vec<Container>) {
        let mut unreadable = None;
        let mut read_any = false;
        for dir in docker::container_dirs(&self.options.docker_roots) {
            let ids = match docker::ids(&dir) {
                Ok(ids) => ids,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    unreadable = Some(format!("{}: {e}", dir.display()));
                    continue;
                }
            };
            read_any = true;
            for id in ids {
                match docker::read_config(&dir, &id) {
                    Ok(Some(details)) => {
                        if details.running && details.pid.is_some_and(alive) {
                            found.push(Container::new(Engine::Docker, id, None, details));
                        }
                    }
                    Ok(None) => {}
                    Err(why) => {
                        // Being written, or gone: the API may know it.
                        self.note(Engine::Docker, why);
                    }
                }
            }
        }
        if read_any {
            return;
        }
        let Some(why) = unreadable else {
            return;
        };
        match self.ask_api(|conn| {
            let listed = docker::api_list(&conn.get_json("/containers/json")?);
            // The list has no pids: one inspect each, on the same connection,
            // until the time allowed is spent.
            let mut with_pids = Vec::new();
            for (id, details) in listed {
                let pid = conn
                    .get_json(&format!("/containers/{id}/json"))
                    .ok()
                    .and_then(|v| docker::details(&v).pid);
                with_pids.push((id, Details { pid, ..details }));
            }
            Ok(with_pids)
        }) {
            Ok(listed) => {
                self.api = Api::Answered(listed.clone());
                for (id, details) in listed {
                    found.push(Container::new(Engine::Docker, id, None, details));
                }
            }
            Err(api_why) => {
                self.api = Api::Failed;
                self.note(Engine::Docker, format!("{why}; {api_why}"));
            }
        }
    }
}

/// Whether a process of that pid exists (the state may outlive its init).
fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// A containerd container that no CRI plugin made is known by its id.
fn containerd_named(id: &str, mut details: Details) -> Details {
    if details.name.is_none() && details.pod.is_none() {
        details.name = Some(id.to_owned());
    }
    details
}

/// The containers that machined registered: `/run/systemd/machines/<name>`
/// holds `LEADER=<pid>` and `CLASS=container` (VMs are `CLASS=vm`).
fn machines(dir: &Path) -> Vec<Container> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            if name.starts_with("unit:") || name.starts_with("timestamp") {
                return None;
            }
            let text = std::fs::read_to_string(e.path()).ok()?;
            let field = |key: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            };
            if field("CLASS") != Some("container") {
                return None;
            }
            let pid = field("LEADER")?.parse().ok().filter(|&p| alive(p))?;
            let details = Details {
                pid: Some(pid),
                running: true,
                ..Details::default()
            };
            Some(Container::new(Engine::Nspawn, name, None, details))
        })
        .collect()
}

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

/// The Kubernetes names among a container's annotations or labels.
#[derive(Debug, Default)]
struct KubernetesNames {
    name: Option<String>,
    image: Option<String>,
    pod: Option<String>,
    pod_namespace: Option<String>,
    pod_uid: Option<String>,
}

/// The names the CRI plugin of containerd (`io.kubernetes.cri.*`), CRI-O
/// and Kubernetes' Docker shim (`io.kubernetes.{container,pod}.*`) give.
/// A pod's sandbox (its pause container) is named after the pod.
fn kubernetes_names(labels: &BTreeMap<String, String>) -> KubernetesNames {
    let first = |keys: &[&str]| keys.iter().find_map(|k| labels.get(*k).cloned());
    let pod = first(&["io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name"]);
    let sandbox = labels
        .get("io.kubernetes.cri.container-type")
        .is_some_and(|t| t == "sandbox");
    let name = first(&[
        "io.kubernetes.cri.container-name",
        "io.kubernetes.container.name",
    ])
    .or_else(|| pod.clone().filter(|_| sandbox));
    KubernetesNames {
        name,
        image: first(&[
            "io.kubernetes.cri.image-name",
            "io.kubernetes.cri-o.ImageName",
        ]),
        pod,
        pod_namespace: first(&[
            "io.kubernetes.cri.sandbox-namespace",
            "io.kubernetes.pod.namespace",
        ]),
        pod_uid: first(&["io.kubernetes.cri.sandbox-uid", "io.kubernetes.pod.uid"]),
    }
}

/// A JSON object's string values (labels, annotations); others left out.
fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
