//! The running containers of every engine, each with the pid of its init,
//! from the engines' state alone: no scan of the processes.

use std::path::Path;

use super::engines::Api;
use super::{containerd, docker, storage};
use super::{containerd_named, Container, Details, Engine, Engines};

impl Engines {
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
        // A daemon that DOCKER_HOST names may keep its state in a data
        // root of its own: its API lists what the files did not show.
        if read_any && !self.options.list_from_api {
            return;
        }
        let why = match unreadable {
            Some(why) => why,
            None if self.options.list_from_api => String::new(),
            None => return,
        };
        let known: std::collections::HashSet<String> = found.iter().map(|c| c.id.clone()).collect();
        match self.ask_api(|conn| {
            let listed = docker::api_list(&conn.get_json("/containers/json")?);
            // The list has no pids: one inspect each, on the same connection,
            // until the time allowed is spent.
            let mut with_pids = Vec::new();
            for (id, details) in listed.into_iter().filter(|(id, _)| !known.contains(id)) {
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
                let why = if why.is_empty() {
                    api_why
                } else {
                    format!("{why}; {api_why}")
                };
                self.note(Engine::Docker, why);
            }
        }
    }
}

/// Whether a process of that pid exists (the state may outlive its init).
fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
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
