//! Adds representatives, owner names and children, once all is found; drops what vanished.
//!
//! Then sorts, and makes the [`Discovery`] of it.

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStringExt;

use super::model::{Discovery, Namespace, Process, Source};
use super::pool::par_map;
use super::state::State;
use crate::nstype::NsType;
use crate::procfs::{argv0_name, Reader};
use crate::sys::passwd::user_name;

/// The model of what the steps found, sorted by type name and inode;
/// namespaces that could not be opened have vanished and are left out.
pub(super) fn finish(state: State) -> Discovery {
    let mut namespaces: Vec<Namespace> = state
        .found
        .into_iter()
        .filter(|(_, e)| e.opened)
        .map(|(ino, mut e)| {
            e.pids.sort_unstable();
            e.pids.dedup();
            e.fd_holders.sort_unstable();
            e.fd_holders.dedup();
            e.bind_mounts.sort();
            e.bind_mounts.dedup();
            Namespace {
                ns_type: e.ns_type,
                ino,
                dev: e.dev,
                id: e.id,
                parent: e.parent,
                children: Vec::new(),
                owner: e.owner,
                owner_uid: e.owner_uid,
                owner_name: None,
                representative: None,
                pids: e.pids,
                via: Source::ALL
                    .into_iter()
                    .filter(|s| e.via & s.bit() != 0)
                    .collect(),
                fd_holders: e.fd_holders,
                bind_mounts: e.bind_mounts,
                host: e.host,
                containers: e.containers,
            }
        })
        .collect();
    namespaces.sort_by_key(|ns| (ns.ns_type.name(), ns.ino));
    let proc = state.proc.as_fd();
    let parents = &state.parents;
    let argv0 = &state.argv0;
    let representatives = par_map(&namespaces, Reader::new, |r, ns| {
        representative(r, proc, parents, argv0, &ns.pids)
    });
    for (ns, representative) in namespaces.iter_mut().zip(representatives) {
        ns.representative = representative;
    }
    name_owners(&mut namespaces);
    add_children(&mut namespaces);
    Discovery {
        namespaces,
        scan: super::Scan::Procfs,
        notes: state.notes,
    }
}

/// The lowest pid, then up its parents while they stay among `pids`
/// (sorted), as linuxns_rel's lsuserns picks the process it shows. Parents
/// and `comm` come from `parents`, and argv\[0\] from `argv0`, where the
/// BPF scan gave them, else from /proc.
fn representative(
    r: &mut Reader,
    proc: BorrowedFd<'_>,
    parents: &HashMap<i32, (i32, Vec<u8>)>,
    argv0: &HashMap<i32, Vec<u8>>,
    pids: &[i32],
) -> Option<Process> {
    let stat = |r: &mut Reader, pid| match parents.is_empty() {
        true => r.stat(proc, pid),
        false => parents.get(&pid).cloned(),
    };
    let mut pid = *pids.first()?;
    // A lone member has no parent to climb to: spare its stat. The bound
    // guards against a ppid loop while processes come and go.
    for _ in 1..pids.len().min(1024) {
        match stat(r, pid) {
            Some((ppid, _)) if ppid > 0 && ppid != pid && pids.binary_search(&ppid).is_ok() => {
                pid = ppid
            }
            _ => break,
        }
    }
    let name = match argv0.get(&pid) {
        Some(argv0) => argv0_name(argv0).map(<[u8]>::to_vec),
        None => r.argv0(proc, pid),
    }
    .or_else(|| stat(r, pid).map(|(_, comm)| [&b"["[..], &comm, b"]"].concat()))
    .unwrap_or_default();
    Some(Process {
        pid,
        name: OsString::from_vec(name),
    })
}

/// Fills in the user names of the owners of user namespaces, asking the
/// user database once per distinct uid.
fn name_owners(namespaces: &mut [Namespace]) {
    let mut names: HashMap<u32, Option<OsString>> = HashMap::new();
    for ns in namespaces
        .iter_mut()
        .filter(|ns| ns.ns_type == NsType::User)
    {
        if let Some(uid) = ns.owner_uid {
            ns.owner_name = names
                .entry(uid)
                .or_insert_with(|| user_name(uid).map(OsString::from_vec))
                .clone();
        }
    }
}

/// Lists each namespace under its parent's children, where the parent was
/// found too; `namespaces` is sorted, so they come in inode order.
fn add_children(namespaces: &mut [Namespace]) {
    let index: HashMap<u64, usize> = namespaces
        .iter()
        .enumerate()
        .map(|(i, ns)| (ns.ino, i))
        .collect();
    for i in 0..namespaces.len() {
        let Some(ns) = namespaces.get(i) else { break };
        let (child, ns_type) = (ns.ino, ns.ns_type);
        let parent = ns
            .parent
            .and_then(|p| index.get(&p))
            .and_then(|&p| namespaces.get_mut(p));
        if let Some(parent) = parent.filter(|p| p.ns_type == ns_type) {
            parent.children.push(child);
        }
    }
}
