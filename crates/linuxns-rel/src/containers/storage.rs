//! The state of podman and CRI-O, which both keep their containers in
//! containers/storage: `<graph root>/<driver>-containers/containers.json`
//! lists them (id, names, image), each container's OCI bundle is
//! `<graph root>/<driver>-containers/<id>/userdata/config.json`, and the
//! pid of its init is in `<run root>/<driver>-containers/<id>/userdata/pidfile`
//! while it runs. The bundle's annotations tell the engines apart: podman
//! writes `io.container.manager: libpod`, CRI-O its `io.kubernetes.cri-o.*`
//! keys with the Kubernetes names (podman writes two of those too).

use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::containerd::spec_details;
use super::{Details, Engine};

/// A graph root and the run root that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageRoots {
    /// Where the containers' lists and bundles are, as
    /// `/var/lib/containers/storage`.
    pub graph: PathBuf,
    /// Where their pid files are, as `/run/containers/storage`.
    pub run: PathBuf,
}

/// One container of containers/storage.
pub(super) struct Stored {
    pub(super) engine: Engine,
    pub(super) id: String,
    pub(super) details: Details,
}

/// The `<driver>-containers` folders of a graph root.
fn driver_dirs(graph: &Path) -> io::Result<Vec<String>> {
    Ok(std::fs::read_dir(graph)?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with("-containers"))
        .collect())
}

/// Every container that the lists name, with the reason for a list that
/// could not be read.
pub(super) fn containers(roots: &[StorageRoots]) -> (Vec<Stored>, Option<String>) {
    let mut found = Vec::new();
    let mut problem = None;
    for root in roots {
        let drivers = match driver_dirs(&root.graph) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                problem = Some(format!("{}: {e}", root.graph.display()));
                continue;
            }
        };
        for driver in drivers {
            let list = root.graph.join(&driver).join("containers.json");
            let entries = match read_list(&list) {
                Ok(entries) => entries,
                Err(e) => {
                    problem.get_or_insert(e);
                    continue;
                }
            };
            for (id, mut details) in entries {
                let engine = complete(root, &driver, &id, &mut details);
                found.push(Stored {
                    engine,
                    id,
                    details,
                });
            }
        }
    }
    (found, problem)
}

/// The container `id`, if a list names it.
pub(super) fn find(roots: &[StorageRoots], id: &str) -> Result<Option<Stored>, String> {
    let (found, problem) = containers(roots);
    match found.into_iter().find(|s| s.id == id) {
        Some(stored) => Ok(Some(stored)),
        None => problem.map_or(Ok(None), Err),
    }
}

/// The ids of a `containers.json`, with the name and image it records.
fn read_list(path: &Path) -> Result<Vec<(String, Details)>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let list: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not JSON ({e})", path.display()))?;
    let Some(list) = list.as_array() else {
        return Err(format!("{}: not a list", path.display()));
    };
    Ok(list
        .iter()
        .filter_map(|c| {
            let id = c.get("id")?.as_str()?.to_owned();
            let name = c
                .get("names")
                .and_then(Value::as_array)
                .and_then(|n| n.first())
                .and_then(Value::as_str)
                .map(str::to_owned);
            // podman records the image's name in the metadata, a JSON text.
            let image = c
                .get("metadata")
                .and_then(Value::as_str)
                .and_then(|m| serde_json::from_str::<Value>(m).ok())
                .and_then(|m| m.get("image-name")?.as_str().map(str::to_owned));
            let details = Details {
                name,
                image,
                ..Details::default()
            };
            Some((id, details))
        })
        .collect())
}

/// Adds what the bundle and the pid file say, and tells whose it is.
fn complete(root: &StorageRoots, driver: &str, id: &str, details: &mut Details) -> Engine {
    let userdata = |base: &Path| base.join(driver).join(id).join("userdata");
    let spec = std::fs::read(userdata(&root.graph).join("config.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    let engine = match &spec {
        Some(spec) => {
            let annotations = spec.get("annotations");
            let key = |k: &str| annotations.and_then(|a| a.get(k)).and_then(Value::as_str);
            if key("io.container.manager") != Some("libpod")
                && key("io.kubernetes.cri-o.SandboxID").is_some()
            {
                Engine::CriO
            } else {
                Engine::Podman
            }
        }
        None => Engine::Podman,
    };
    if let Some(spec) = &spec {
        let from_spec = spec_details(spec);
        if engine == Engine::CriO {
            details.name = from_spec.name.or(details.name.take());
            details.image = from_spec.image.or(details.image.take());
        }
        details.pod = from_spec.pod;
        details.pod_namespace = from_spec.pod_namespace;
        details.pod_uid = from_spec.pod_uid;
        details.labels = from_spec.labels;
    }
    details.pid = std::fs::read_to_string(userdata(&root.run).join("pidfile"))
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
        .filter(|&p| p > 0);
    details.running = details.pid.is_some();
    engine
}
