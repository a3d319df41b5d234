//! Adds each namespace's containers, and whether it is one of the host's initial namespaces.
//!
//! A process's container is told from its `/proc/PID/cgroup`, read only for
//! the processes outside the host's mount namespace: every engine gives its
//! containers a mount namespace of their own, and on a machine of ten
//! thousand processes most are in the host's.

use std::collections::{HashMap, HashSet};

use super::pool::par_map;
use super::state::State;
use crate::containers::{host_namespaces, Container, Engines};
use crate::nstype::NsType;

pub(super) fn containers(state: &mut State) {
    let host = host_namespaces();
    let host_inos: HashSet<u64> = host.iter().map(|&(_, ino)| ino).collect();
    for (ino, entry) in state.found.iter_mut() {
        entry.host = host_inos.contains(ino);
    }
    if !state.options.containers {
        return;
    }
    let host_mnt = host
        .iter()
        .find(|(t, _)| *t == NsType::Mnt)
        .map(|&(_, ino)| ino);
    let guests: Vec<i32> = std::mem::take(&mut state.process_mnt)
        .into_iter()
        .filter(|&(_, mnt)| Some(mnt) != host_mnt)
        .map(|(pid, _)| pid)
        .collect();
    let texts = par_map(
        &guests,
        || (),
        |(), &pid| std::fs::read(format!("/proc/{pid}/cgroup")).ok(),
    );
    let mut engines = Engines::new(state.options.engines.clone());
    let mut of_pid: HashMap<i32, Container> = HashMap::new();
    for (&pid, text) in guests.iter().zip(texts) {
        // The innermost container: the one the process was started in.
        let innermost = text.and_then(|text| engines.containers_of_cgroup(text).pop());
        if let Some(container) = innermost {
            of_pid.insert(pid, container);
        }
    }
    state.notes = engines.notes();
    if of_pid.is_empty() {
        return;
    }
    for entry in state.found.values_mut().filter(|e| !e.host) {
        let mut found: Vec<Container> = Vec::new();
        for pid in &entry.pids {
            if let Some(c) = of_pid.get(pid) {
                if !found.iter().any(|f| f.engine == c.engine && f.id == c.id) {
                    found.push(c.clone());
                }
            }
        }
        found.sort_by(|a, b| (a.engine, &a.name, &a.id).cmp(&(b.engine, &b.name, &b.id)));
        entry.containers = found;
    }
}
