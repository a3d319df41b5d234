//! containerd's state on disk: the OCI bundle of each task, at
//! `<state>/io.containerd.runtime.v2.task/<namespace>/<id>/`, holds the
//! runtime spec (`config.json`, whose annotations the CRI plugin fills with
//! the Kubernetes names) and the pid of the task's init (`init.pid`).
//! Docker's own tasks (namespace `moby`) are left to Docker's state.

use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{kubernetes_names, string_map, Details};

/// The containerd namespace Docker runs its containers in.
const DOCKER_NAMESPACE: &str = "moby";

/// The namespace folders of a task folder (Docker's left out).
pub(super) fn namespaces(task_dir: &Path) -> io::Result<Vec<PathBuf>> {
    Ok(std::fs::read_dir(task_dir)?
        .flatten()
        .filter(|e| e.file_name() != DOCKER_NAMESPACE)
        .map(|e| e.path())
        .collect())
}

/// The bundle of task `id` in any namespace of any of the task folders.
pub(super) fn find(task_dirs: &[PathBuf], id: &str) -> Result<Option<Details>, String> {
    let mut problem = None;
    for task_dir in task_dirs {
        let namespaces = match namespaces(task_dir) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                problem = Some(format!("{}: {e}", task_dir.display()));
                continue;
            }
        };
        for ns in namespaces {
            let bundle = ns.join(id);
            if bundle.is_dir() {
                return read_bundle(&bundle).map(Some);
            }
        }
    }
    problem.map_or(Ok(None), Err)
}

/// Every task of every namespace, with the reason for any folder that
/// could not be read.
pub(super) fn tasks(task_dirs: &[PathBuf]) -> (Vec<(String, Details)>, Option<String>) {
    let mut found = Vec::new();
    let mut problem = None;
    for task_dir in task_dirs {
        let namespaces = match namespaces(task_dir) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                problem = Some(format!("{}: {e}", task_dir.display()));
                continue;
            }
        };
        for ns in namespaces {
            let Ok(entries) = std::fs::read_dir(&ns) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(id) = entry.file_name().into_string() else {
                    continue;
                };
                match read_bundle(&entry.path()) {
                    Ok(details) => found.push((id, details)),
                    Err(e) => {
                        problem.get_or_insert(e);
                        found.push((id, Details::default()));
                    }
                }
            }
        }
    }
    (found, problem)
}

/// A bundle's annotations and init pid. A task being set up may not have
/// its `init.pid` yet: then it has no pid.
pub(super) fn read_bundle(bundle: &Path) -> Result<Details, String> {
    let pid = std::fs::read_to_string(bundle.join("init.pid"))
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
        .filter(|&p| p > 0);
    let path = bundle.join("config.json");
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not JSON ({e})", path.display()))?;
    let mut details = spec_details(&spec);
    details.pid = pid;
    details.running = pid.is_some();
    Ok(details)
}

/// The names an OCI runtime spec's annotations give (those of the CRI
/// plugin or of CRI-O).
pub(super) fn spec_details(spec: &Value) -> Details {
    let labels = string_map(spec.get("annotations"));
    let k8s = kubernetes_names(&labels);
    Details {
        name: k8s.name,
        image: k8s.image,
        pod: k8s.pod,
        pod_namespace: k8s.pod_namespace,
        pod_uid: k8s.pod_uid,
        labels,
        pid: None,
        running: false,
    }
}
