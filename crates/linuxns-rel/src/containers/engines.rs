//! The engines' state, read as it is needed and kept for one run: which
//! containers a process runs in, with their names, from its cgroup and each
//! engine's files, or Docker's API where those cannot be read.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use super::cgroup::chain_from_cgroup;
use super::{containerd, docker, docker_api, storage};
use super::{Container, ContainerOptions, ContainerRef, Details, Engine};

/// What the Docker API answered, asked at most once per run.
pub(super) enum Api {
    NotAsked,
    Answered(Vec<(String, Details)>),
    Failed,
}

/// The engines' state, read as it is needed and kept for the run: each
/// container's details are read once, each distinct cgroup text parsed once,
/// the Docker API asked at most once.
pub struct Engines {
    pub(super) options: ContainerOptions,
    pub(super) details: HashMap<(Engine, String), Container>,
    chains: HashMap<Vec<u8>, Vec<ContainerRef>>,
    pub(super) api: Api,
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

    pub(super) fn note(&mut self, engine: Engine, why: String) {
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

    pub(super) fn ask_api<T>(
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
}

/// A containerd container that no CRI plugin made is known by its id.
pub(super) fn containerd_named(id: &str, mut details: Details) -> Details {
    if details.name.is_none() && details.pod.is_none() {
        details.name = Some(id.to_owned());
    }
    details
}
