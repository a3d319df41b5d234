//! Fuzz entry points for the engines' state (see [`crate::fuzzing`]): the
//! bytes become the file the engine would have written, in a folder of
//! their own, and the same reader as in a run reads them.

use std::io::{ErrorKind, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{containerd, docker, docker_api, docker_data_root, storage, Details, Engine};
use crate::fuzzing::Scratch;

const ID: &str = "93f0bbe142815890294b8b54b5ba2374fec909722b43afa69404258922d8c22f";

/// The Kubernetes names come from the labels (annotations), never from elsewhere.
fn names_from_labels(d: &Details) {
    for name in [&d.pod, &d.pod_namespace, &d.pod_uid].into_iter().flatten() {
        assert!(d.labels.values().any(|v| v == name), "{d:?}");
    }
    assert!(d.pid.is_none_or(|p| p > 0), "{d:?}");
}

fn json(bytes: &[u8]) -> Option<Value> {
    serde_json::from_slice(bytes).ok()
}

/// The first part of `data` up to a NUL, and the rest after it.
fn split_nul(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|&b| b == 0) {
        Some(at) => (data.get(..at).unwrap_or_default(), data.get(at + 1..)),
        None => (data, None),
    }
}

/// Docker's `config.v2.json` (and its `daemon.json`): read exactly when it
/// is JSON; a pid only for a running container.
pub fn docker_config(data: &[u8]) {
    let scratch = Scratch::new();
    scratch.write(&format!("containers/{ID}/config.v2.json"), data);
    let is_json = json(data).is_some();
    match docker::read_config(&scratch.path().join("containers"), ID) {
        Ok(Some(d)) => {
            assert!(is_json);
            names_from_labels(&d);
            assert!(d.pid.is_none() || d.running, "{d:?}");
            assert!(d.name.as_ref().is_none_or(|n| !n.is_empty()), "{d:?}");
        }
        Ok(None) => panic!("config.v2.json written, not found"),
        Err(why) => assert!(!is_json, "{why}"),
    }
    let daemon = scratch.write("daemon.json", data);
    assert!(docker_data_root(&daemon).is_none() || is_json);
}

/// An answer of the Docker Engine API, as the daemon would send it on the
/// socket (status line, headers, a body by length or in chunks, perhaps
/// more answers after it): as many answers as it holds are taken, each of
/// them JSON, then read as the list and the inspect answers are read.
pub fn docker_api(data: &[u8]) {
    let scratch = Scratch::new();
    let socket = scratch.path().join("docker.sock");
    let listener =
        UnixListener::bind(&socket).unwrap_or_else(|e| panic!("{}: {e}", socket.display()));
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut conn = docker_api::Connection::open(&socket, deadline)
        .unwrap_or_else(|e| panic!("{}: {e}", socket.display()));
    let (mut daemon, _) = listener
        .accept()
        .unwrap_or_else(|e| panic!("{}: {e}", socket.display()));
    // No thread to write the rest: what the socket does not hold is cut.
    daemon
        .set_nonblocking(true)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut rest = data;
    while !rest.is_empty() {
        match daemon.write(rest) {
            Ok(n) => rest = rest.get(n..).unwrap_or_default(),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    daemon
        .shutdown(Shutdown::Write)
        .unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..4 {
        let Ok(value) = conn.get_json("/containers/json") else {
            break;
        };
        let listed = docker::api_list(&value);
        assert!(listed.len() <= value.as_array().map_or(0, Vec::len));
        for (_, d) in &listed {
            names_from_labels(d);
            assert!(d.pid.is_none());
        }
        let d = docker::details(&value);
        names_from_labels(&d);
        assert!(d.pid.is_none() || d.running, "{d:?}");
    }
}

/// containerd's OCI bundle: `config.json`, then after a NUL `init.pid`
/// (none without one). Read exactly when the spec is JSON; it runs exactly
/// when it has a pid, which is the number `init.pid` holds.
pub fn containerd_bundle(data: &[u8]) {
    let scratch = Scratch::new();
    let (config, pid) = split_nul(data);
    let bundle = scratch.write("task/k8s.io/bundle/config.json", config);
    if let Some(pid) = pid {
        scratch.write("task/k8s.io/bundle/init.pid", pid);
    }
    let bundle = bundle.parent().unwrap_or(Path::new("/"));
    match containerd::read_bundle(bundle) {
        Ok(d) => {
            assert!(json(config).is_some());
            names_from_labels(&d);
            assert!(d
                .name
                .as_ref()
                .is_none_or(|n| d.labels.values().any(|v| v == n)));
            assert_eq!(d.running, d.pid.is_some());
            if let Some(p) = d.pid {
                let text = String::from_utf8_lossy(pid.unwrap_or_default());
                assert!(text.contains(&p.to_string()), "{p} from {text:?}");
            }
        }
        Err(why) => assert!(json(config).is_none(), "{why}"),
    }
}

/// containers/storage of podman and CRI-O: `containers.json`, then after a
/// NUL the `config.json` of every container it lists, then after another
/// its `pidfile`. The list is read exactly when it is a JSON list, and
/// yields no more containers than it has entries.
pub fn storage(data: &[u8]) {
    let scratch = Scratch::new();
    let (list, rest) = split_nul(data);
    let (spec, pid) = rest.map_or((None, None), |r| {
        let (spec, pid) = split_nul(r);
        (Some(spec), pid)
    });
    scratch.write("graph/overlay-containers/containers.json", list);
    let entries = json(list)
        .and_then(|v| v.as_array().cloned())
        .map(|a| a.len());
    let ids: Vec<String> = json(list)
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|c| Some(c.get("id")?.as_str()?.to_owned()))
        // Only the ids that can name a folder get one.
        .filter(|id| !id.is_empty() && id.len() <= 255 && !id.contains(['/', '\0']))
        .filter(|id| id != "." && id != "..")
        .collect();
    for id in &ids {
        let userdata = format!("overlay-containers/{id}/userdata");
        if let Some(spec) = spec {
            scratch.write(&format!("graph/{userdata}/config.json"), spec);
        }
        if let Some(pid) = pid {
            scratch.write(&format!("run/{userdata}/pidfile"), pid);
        }
    }
    let roots = storage::StorageRoots {
        graph: scratch.path().join("graph"),
        run: scratch.path().join("run"),
    };
    let (found, problem) = storage::containers(&[roots]);
    assert_eq!(problem.is_none(), entries.is_some(), "{problem:?}");
    assert!(found.len() <= entries.unwrap_or(0));
    for s in &found {
        assert!(matches!(s.engine, Engine::Podman | Engine::CriO));
        names_from_labels(&s.details);
        assert_eq!(s.details.running, s.details.pid.is_some());
    }
}

/// A machine that systemd-machined registered (`KEY=value` lines): one is
/// taken only as a container with a leader.
pub fn machines(data: &[u8]) {
    let scratch = Scratch::new();
    scratch.write("machines/fuzz", data);
    let found = super::running::machines(&scratch.path().join("machines"));
    assert!(found.len() <= 1);
    for c in &found {
        assert_eq!((c.engine, c.id.as_str()), (Engine::Nspawn, "fuzz"));
        assert!(c.pid.is_some_and(|p| p > 0), "{c:?}");
    }
}
