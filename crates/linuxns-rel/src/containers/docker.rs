//! Docker's state on disk: `<data root>/containers/<id>/config.v2.json`,
//! which the daemon rewrites whole on every change (start, stop, rename),
//! and, with `--userns-remap`, the same under `<data root>/<uid>.<gid>/`.

use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{kubernetes_names, string_map, Details};

/// The folders that hold one folder per container: `containers` in each
/// data root and in each remapped root (`<uid>.<gid>`) inside it.
pub(super) fn container_dirs(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for root in roots {
        dirs.push(root.join("containers"));
        let Ok(entries) = std::fs::read_dir(root) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let remapped = name
                .split_once('.')
                .is_some_and(|(u, g)| is_number(u) && is_number(g));
            if remapped {
                dirs.push(entry.path().join("containers"));
            }
        }
    }
    dirs
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// What a container's `config.v2.json` says; `Ok(None)` where no such file
/// is there (another root, or a container that is gone).
pub(super) fn read_config(dir: &Path, id: &str) -> Result<Option<Details>, String> {
    let path = dir.join(id).join("config.v2.json");
    match std::fs::read(&path) {
        Ok(bytes) => {
            let value: Value = serde_json::from_slice(&bytes)
                .map_err(|e| format!("{}: not JSON ({e})", path.display()))?;
            Ok(Some(details(&value)))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Name, image, labels, pid and whether it runs, from a `config.v2.json`
/// or an Engine API inspect answer (the same fields, by the same names).
pub(super) fn details(value: &Value) -> Details {
    let config = value.get("Config");
    let labels = string_map(config.and_then(|c| c.get("Labels")));
    let state = value.get("State");
    let running = state
        .and_then(|s| s.get("Running"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let pid = state
        .and_then(|s| s.get("Pid"))
        .and_then(Value::as_i64)
        .and_then(|p| i32::try_from(p).ok())
        .filter(|&p| p > 0 && running);
    let k8s = kubernetes_names(&labels);
    Details {
        name: value
            .get("Name")
            .and_then(Value::as_str)
            .map(|n| n.strip_prefix('/').unwrap_or(n).to_owned())
            .filter(|n| !n.is_empty()),
        image: config
            .and_then(|c| c.get("Image"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        pod: k8s.pod,
        pod_namespace: k8s.pod_namespace,
        pod_uid: k8s.pod_uid,
        labels,
        pid,
        running,
    }
}

/// The ids in a `containers` folder.
pub(super) fn ids(dir: &Path) -> io::Result<Vec<String>> {
    Ok(std::fs::read_dir(dir)?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect())
}

/// From `GET /containers/json`: the ids, names, images and labels of the
/// containers (no pids: those take an inspect each).
pub(super) fn api_list(value: &Value) -> Vec<(String, Details)> {
    let Some(list) = value.as_array() else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|c| {
            let id = c.get("Id")?.as_str()?.to_owned();
            let labels = string_map(c.get("Labels"));
            let k8s = kubernetes_names(&labels);
            let name = c
                .get("Names")
                .and_then(Value::as_array)
                .and_then(|names| names.first())
                .and_then(Value::as_str)
                .map(|n| n.strip_prefix('/').unwrap_or(n).to_owned());
            let details = Details {
                name,
                image: c.get("Image").and_then(Value::as_str).map(str::to_owned),
                pod: k8s.pod,
                pod_namespace: k8s.pod_namespace,
                pod_uid: k8s.pod_uid,
                labels,
                pid: None,
                running: c.get("State").and_then(Value::as_str) == Some("running"),
            };
            Some((id, details))
        })
        .collect()
}
