//! The BPF scan against ground truth read independently: `/proc/PID/ns/*`
//! links and `/proc/PID/status` of processes in real namespaces, the nsfs
//! ioctls for relations, and namespaces held only by a descriptor or a
//! socket. As root only; other callers check the reason given.

use std::collections::HashMap;
use std::fs;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Mutex;

use linuxns_rel::bpf_scan::{self, Snapshot, Unavailable};
use linuxns_rel::{get_owner_uid, get_parentns, get_userns, NsType};
use nix::sched::{unshare, CloneFlags};

mod common;
use common::{ino, is_root, sleeper, ALL_TYPES_SLEEPER, PID_TWO_DEEP_SLEEPER};

/// One scan at a time: each test counts its own descriptors.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The scan, or `None` with the reason printed where it cannot run here.
fn scan() -> Option<Snapshot> {
    if !is_root() {
        let why = match bpf_scan::available() {
            Err(why) => why,
            Ok(()) => panic!("available to a non-root caller"),
        };
        eprintln!("skipped: not root ({why})");
        return None;
    }
    Some(bpf_scan::scan().unwrap_or_else(|why| panic!("BPF scan as root: {why}")))
}

/// The processes /proc lists now.
fn pids() -> Vec<i32> {
    fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether /proc lets us read a process's namespace links (it is still there).
fn readable(pid: i32) -> bool {
    fs::read_link(format!("/proc/{pid}/ns/user")).is_ok()
}

fn open_fds() -> usize {
    fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// The `Field:` line of /proc/PID/status, its first value.
fn status(pid: i32, field: &str) -> String {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .unwrap_or_default();
    line.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn inode_of(fd: &OwnedFd) -> u64 {
    nix::sys::stat::fstat(fd).map_or(0, |st| st.st_ino)
}

#[test]
fn non_root_is_told_why() {
    if is_root() {
        return;
    }
    assert_eq!(bpf_scan::available(), Err(Unavailable::NotPermitted));
    let Err(err) = bpf_scan::scan() else {
        panic!("a scan as non-root")
    };
    assert!(err.to_string().contains("CAP_BPF"), "{err}");
}

#[test]
fn tasks_and_relations_match_proc() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (_all, all) = sleeper(ALL_TYPES_SLEEPER);
    let (_deep, deep) = sleeper(PID_TWO_DEEP_SLEEPER);
    let fds_before = open_fds();
    let listed_before: Vec<i32> = pids().into_iter().filter(|&p| readable(p)).collect();
    let Some(snap) = scan() else { return };
    assert_eq!(open_fds(), fds_before, "descriptors left open by the scan");

    let processes: HashMap<i32, _> = snap
        .tasks
        .iter()
        .filter(|t| t.pid == t.tgid)
        .map(|t| (t.pid, t))
        .collect();
    let own = std::process::id() as i32;
    for &pid in [own].iter().chain(&all).chain(&deep) {
        let task = processes
            .get(&pid)
            .unwrap_or_else(|| panic!("pid {pid} not in the scan"));
        for t in NsType::ALL {
            let want = ino(&format!("/proc/{pid}/ns/{t}"));
            assert_eq!(task.ns(t), Some(want), "pid {pid} {t}");
            let info = snap
                .namespaces
                .get(&want)
                .unwrap_or_else(|| panic!("{t}:[{want}]"));
            assert_eq!(info.ns_type, t);
            let fd = fs::File::open(format!("/proc/{pid}/ns/{t}"))
                .unwrap_or_else(|e| panic!("open ns: {e:?}"));
            let owner = get_userns(&fd).map(|o| inode_of(&o)).ok();
            assert_eq!(info.owner, owner, "owner of {t}:[{want}]");
            if matches!(t, NsType::User | NsType::Pid) {
                let parent = get_parentns(&fd).map(|p| inode_of(&p)).ok();
                assert_eq!(info.parent, parent, "parent of {t}:[{want}]");
            }
            if t == NsType::User {
                assert_eq!(
                    info.owner_uid,
                    get_owner_uid(&fd).ok(),
                    "owner uid of [{want}]"
                );
            }
        }
        let children = ino(&format!("/proc/{pid}/ns/pid_for_children"));
        assert_eq!(task.pid_for_children, Some(children), "pid {pid}");
        let children = ino(&format!("/proc/{pid}/ns/time_for_children"));
        assert_eq!(task.time_for_children, Some(children), "pid {pid}");
        assert_eq!(task.ppid.to_string(), status(pid, "PPid:"), "pid {pid}");
        assert_eq!(task.uid.to_string(), status(pid, "Uid:"), "pid {pid}");
        let comm = fs::read(format!("/proc/{pid}/comm")).unwrap_or_else(|e| panic!("comm: {e:?}"));
        assert_eq!(task.comm, comm.trim_ascii_end(), "pid {pid}");
    }
    // Every process whose links /proc shows, and that is there before and
    // after the scan, is in it. (/proc may hide some: a process it does not
    // let even root read is not shown to BPF iterators either.)
    for pid in listed_before.iter().filter(|p| readable(**p)) {
        assert!(processes.contains_key(pid), "pid {pid} missing");
    }
    // Every ancestor and owner is there too: the chains are whole.
    for (ino, info) in &snap.namespaces {
        for up in [info.parent, info.owner].into_iter().flatten() {
            assert!(
                snap.namespaces.contains_key(&up),
                "{ino} leads to {up}, missing"
            );
        }
    }
}

/// A thread that unshares a network namespace, leaves behind a socket or a
/// descriptor of it, and ends; returns that and the namespace's inode.
fn held_netns(keep: impl FnOnce() -> OwnedFd + Send + 'static) -> (OwnedFd, u64) {
    std::thread::spawn(move || {
        unshare(CloneFlags::CLONE_NEWNET)
            .unwrap_or_else(|e| panic!("unshare(CLONE_NEWNET): {e:?}"));
        (keep(), ino("/proc/thread-self/ns/net"))
    })
    .join()
    .unwrap_or_else(|e| panic!("thread: {e:?}"))
}

#[test]
fn finds_namespaces_held_by_a_descriptor_or_a_socket() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        return;
    }
    let (ns_fd, by_fd) = held_netns(|| {
        fs::File::open("/proc/thread-self/ns/net")
            .unwrap_or_else(|e| panic!("open: {e:?}"))
            .into()
    });
    let (sock, by_socket) = held_netns(|| {
        std::os::unix::net::UnixDatagram::unbound()
            .unwrap_or_else(|e| panic!("socket: {e:?}"))
            .into()
    });
    let Some(snap) = scan() else { return };
    let own = std::process::id() as i32;
    let held: Vec<_> = snap.files.iter().filter(|f| f.pid == own).collect();
    let find = |fd: &OwnedFd| held.iter().find(|f| f.fd == fd.as_raw_fd()).copied();
    let by_ns_fd = find(&ns_fd).unwrap_or_else(|| panic!("the nsfs descriptor"));
    assert_eq!(
        (by_ns_fd.ns_type, by_ns_fd.ino, by_ns_fd.socket),
        (NsType::Net, by_fd, false)
    );
    let by_sock = find(&sock).unwrap_or_else(|| panic!("the socket"));
    assert_eq!(
        (by_sock.ns_type, by_sock.ino, by_sock.socket),
        (NsType::Net, by_socket, true)
    );
    for ino in [by_fd, by_socket] {
        let info = snap
            .namespaces
            .get(&ino)
            .unwrap_or_else(|| panic!("the held namespace"));
        assert_eq!(info.ns_type, NsType::Net);
        assert_eq!(info.owner, Some(ino_of_self("user")));
    }
    // No process is in either.
    assert!(snap.tasks.iter().all(|t| t.ns(NsType::Net) != Some(by_fd)));
    assert!(snap
        .tasks
        .iter()
        .all(|t| t.ns(NsType::Net) != Some(by_socket)));
}

fn ino_of_self(t: &str) -> u64 {
    ino(&format!("/proc/self/ns/{t}"))
}
