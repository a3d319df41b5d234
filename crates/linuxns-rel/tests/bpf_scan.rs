//! The BPF scan against ground truth read independently: `/proc/PID/ns/*`
//! links and `/proc/PID/status` of processes in real namespaces, the nsfs
//! ioctls for relations, and namespaces held only by a descriptor or a
//! socket. As root only; other callers check the reason given.

use std::collections::HashMap;
use std::fs;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Mutex;

use linuxns_rel::bpf_scan::{self, Snapshot, Unavailable};
use linuxns_rel::discover::{DiscoverOptions, FdHolder, Namespace, Scan, Source};
use linuxns_rel::{get_ns_id, get_owner_uid, get_parentns, get_userns, NsType, Syscall};
use nix::sched::{unshare, CloneFlags};

mod common;
use common::no_bpf::deny_bpf;
use common::{
    crowd, discover_alone, ino, is_root, run_ignored_alone, sleeper, spawn, Kid, ALL_TYPES_SLEEPER,
    PID_TWO_DEEP_SLEEPER,
};

/// One test at a time that scans or starts a process (whose pipes are
/// descriptors of ours too): some count the descriptors a scan leaves.
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
    Some(bpf_scan::scan(&[]).unwrap_or_else(|why| panic!("BPF scan as root: {why}")))
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
fn falls_back_for_non_root() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        return as_non_root();
    }
    let setpriv = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
    ];
    run_ignored_alone("as_non_root", &setpriv, &[]);
}

#[test]
#[ignore = "runs as a non-root user, started by falls_back_for_non_root"]
fn as_non_root() {
    assert_eq!(bpf_scan::available(), Err(Unavailable::NotPermitted));
    let Err(why) = bpf_scan::scan(&[]) else {
        panic!("a BPF scan as non-root")
    };
    assert!(why.to_string().contains("CAP_BPF"), "{why}");
    let options = |scan| DiscoverOptions {
        scan,
        ..DiscoverOptions::default()
    };
    let auto = discover_alone(&options(Scan::Auto)).unwrap_or_else(|e| panic!("auto: {e}"));
    assert_eq!(auto.scan, Scan::Procfs);
    let Err(err) = discover_alone(&options(Scan::Bpf)) else {
        panic!("a BPF scan as non-root")
    };
    assert_eq!(
        (err.errno, err.syscall),
        (nix::errno::Errno::EPERM, Syscall::Bpf)
    );
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
            assert_eq!(info.id, get_ns_id(&fd).ok(), "id of {t}:[{want}]");
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

/// A process whose argv\[0\] is `name`, alone in a user namespace of its
/// own, once it runs as such.
fn named_sleeper(name: &str) -> (Kid, i32) {
    let kid = Kid(spawn(&[
        "unshare",
        "-Ur",
        "bash",
        "-c",
        "exec -a \"$0\" sleep infinity",
        name,
    ]));
    let pid = kid.0.id() as i32;
    let start = std::time::Instant::now();
    let cmdline = [name.as_bytes(), b"\0"].concat();
    while !fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(&cmdline)) {
        assert!(start.elapsed().as_secs() < 10, "{name} did not start");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    (kid, pid)
}

/// The task iterator names the first process it meets (the lowest pid) in
/// each namespace of the types asked for, with its argv\[0\] as
/// /proc/PID/cmdline gives it; one longer than it reads is left to /proc;
/// no type asked for, no name.
#[test]
fn names_the_first_process_of_each_namespace_asked_for() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let short = "/opt/bin/-short name";
    let long = "l".repeat(300);
    let (_short, short_pid) = named_sleeper(short);
    let (_long, long_pid) = named_sleeper(&long);
    let Some(unnamed) = scan() else { return };
    assert!(unnamed.argv0.is_empty(), "names no type asked for");
    let snap = bpf_scan::scan(&[NsType::User]).unwrap_or_else(|why| panic!("BPF scan: {why}"));
    assert_eq!(snap.argv0.get(&short_pid), Some(&short.as_bytes().to_vec()));
    assert_eq!(
        snap.argv0.get(&long_pid),
        None,
        "a long argv[0] is left to /proc"
    );
    let mut lowest: HashMap<u64, i32> = HashMap::new();
    for t in snap.tasks.iter().filter(|t| t.pid == t.tgid) {
        if let Some(user) = t.ns(NsType::User) {
            let least = lowest.entry(user).or_insert(t.pid);
            *least = (*least).min(t.pid);
        }
    }
    for pid in snap.argv0.keys() {
        assert!(
            lowest.values().any(|p| p == pid),
            "pid {pid} is no namespace's lowest"
        );
    }
    // Each namespace's lowest pid is named, where /proc shows an argv[0]
    // that ends, NUL and all, within the 127 bytes the iterator reads.
    for (user, pid) in &lowest {
        let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let short = cmdline.is_empty()
            || matches!(cmdline.iter().position(|&b| b == 0), Some(end) if end < 127);
        assert!(
            !short || snap.argv0.contains_key(pid),
            "user:[{user}]'s lowest pid {pid} not named"
        );
    }
}

/// The programs write a namespace once, through the first task that leads
/// to it, and let a task that shares the last task's namespaces skip them;
/// the kernel hands their output over in reads of a few pages, and runs a
/// task again whose output did not fit. Over many reads, with runs of tasks
/// that share namespaces and tasks that share none, every namespace of every
/// task is still written, and each task's are those /proc shows.
#[test]
fn every_task_is_whole_over_many_reads() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    const CROWD: usize = 600;
    let (_crowd, crowd_pids) = crowd(CROWD);
    let mut apart = Vec::new();
    for _ in 0..20 {
        apart.push(sleeper(ALL_TYPES_SLEEPER));
    }
    let ours: Vec<i32> = crowd_pids
        .into_iter()
        .chain(apart.iter().flat_map(|(_, pids)| pids.iter().copied()))
        .collect();
    for _ in 0..10 {
        let Some(snap) = scan() else { return };
        assert!(snap.tasks.len() > CROWD, "{} tasks", snap.tasks.len());
        for task in &snap.tasks {
            let inodes = task.namespaces.iter().flatten();
            let children = [task.pid_for_children, task.time_for_children];
            for ino in inodes.chain(children.iter().flatten()) {
                assert!(
                    snap.namespaces.contains_key(ino),
                    "[{ino}] of task {} not written",
                    task.pid
                );
            }
        }
        let by_pid: HashMap<i32, _> = snap.tasks.iter().map(|t| (t.pid, t)).collect();
        for pid in &ours {
            let task = by_pid
                .get(pid)
                .unwrap_or_else(|| panic!("pid {pid} missing"));
            for t in NsType::ALL {
                let want = ino(&format!("/proc/{pid}/ns/{t}"));
                assert_eq!(task.ns(t), Some(want), "pid {pid} {t}");
            }
            let children = ino(&format!("/proc/{pid}/ns/pid_for_children"));
            assert_eq!(task.pid_for_children, Some(children), "pid {pid}");
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
        eprintln!("skipped: the BPF scan needs root");
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

/// What a namespace's relations are, apart from who is in it and holds it.
type Relations = (
    NsType,
    u64,
    Option<u64>,
    Option<u64>,
    Option<u64>,
    Option<u32>,
);

fn relations_of(ns: &Namespace) -> Relations {
    (ns.ns_type, ns.dev, ns.id, ns.parent, ns.owner, ns.owner_uid)
}

/// What differs between a namespace of the /proc scan and the BPF scan's.
fn differences(procfs: &Namespace, bpf: Option<&Namespace>) -> String {
    let Some(bpf) = bpf else {
        return format!("{}:[{}] not in the BPF scan", procfs.ns_type, procfs.ino);
    };
    let only = |a: &[i32], b: &[i32]| -> Vec<i32> {
        a.iter().filter(|p| !b.contains(p)).copied().collect()
    };
    let mut out = format!("{}:[{}]", procfs.ns_type, procfs.ino);
    let (mut a, mut b) = (procfs.clone(), bpf.clone());
    if a.pids != b.pids {
        let (pa, pb) = (only(&a.pids, &b.pids), only(&b.pids, &a.pids));
        out += &format!(" pids only /proc {pa:?}, only BPF {pb:?};");
        a.pids.clear();
        b.pids.clear();
    }
    if a != b {
        out += &format!(" /proc {a:?} BPF {b:?}");
    }
    out
}

/// Both scans give the same model: every namespace that two /proc scans
/// around a BPF one agree on (the system's other processes come and go) is
/// in the BPF one as it is in them, and the other way round.
#[test]
fn both_scans_give_the_same_model() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        eprintln!("skipped: the BPF scan needs root");
        return;
    }
    let (_all, all) = sleeper(ALL_TYPES_SLEEPER);
    let (_deep, deep) = sleeper(PID_TWO_DEEP_SLEEPER);
    let ours = [vec![std::process::id() as i32], all, deep].concat();
    let (_ns_fd, _) = held_netns(|| {
        fs::File::open("/proc/thread-self/ns/net")
            .unwrap_or_else(|e| panic!("open: {e}"))
            .into()
    });
    for tasks in [false, true] {
        let options = |scan| DiscoverOptions {
            types: NsType::ALL.to_vec(),
            tasks,
            scan,
            ..DiscoverOptions::default()
        };
        let run = |scan| discover_alone(&options(scan)).unwrap_or_else(|e| panic!("{scan}: {e}"));
        let before = run(Scan::Procfs);
        let bpf = run(Scan::Bpf);
        let after = run(Scan::Procfs);
        assert_eq!((before.scan, bpf.scan), (Scan::Procfs, Scan::Bpf));
        // The test's own namespaces and those they lead to: the system's
        // other processes, containers and mounts come and go meanwhile.
        let mut related: Vec<u64> = before
            .namespaces
            .iter()
            .filter(|ns| {
                ns.pids.iter().any(|p| ours.contains(p))
                    || ns.fd_holders.iter().any(|h| ours.contains(&h.pid))
            })
            .map(|ns| ns.ino)
            .collect();
        let mut i = 0;
        while let Some(ns) = related.get(i).and_then(|&ino| before.get(ino)) {
            for up in [ns.parent, ns.owner].into_iter().flatten() {
                if !related.contains(&up) {
                    related.push(up);
                }
            }
            i += 1;
        }
        let mut compared = 0;
        for ns in &before.namespaces {
            if !related.contains(&ns.ino) || after.get(ns.ino) != Some(ns) {
                continue;
            }
            // One shared with the system's other processes (ours, the
            // initial ones) may have gained and lost a process, a holder or
            // a child between the scans: its relations must agree.
            let got = bpf.get(ns.ino);
            let same = match ns.pids.iter().all(|p| ours.contains(p)) {
                true => got == Some(ns),
                false => got.map(relations_of) == Some(relations_of(ns)),
            };
            assert!(same, "tasks: {tasks}: {}", differences(ns, got));
            compared += 1;
        }
        // One that neither /proc scan found belongs to a process that came
        // and went meanwhile, none of ours.
        for ns in &bpf.namespaces {
            if before.get(ns.ino).is_none() && after.get(ns.ino).is_none() {
                let ours = ns.pids.iter().any(|p| ours.contains(p));
                assert!(
                    !ours,
                    "{}:[{}] only in the BPF scan: {ns:?}",
                    ns.ns_type, ns.ino
                );
            }
        }
        assert!(compared >= 12, "only {compared} namespaces compared");
    }
}

/// Set in the copy of the binary that runs with bpf(2) denied.
const UNDER_FILTER: &str = "LINUXNS_REL_TEST_NO_BPF";

#[test]
fn falls_back_where_seccomp_denies_bpf() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let stderr = run_ignored_alone(
        "with_bpf_denied",
        &[],
        &[(UNDER_FILTER, "1"), ("LINUXNS_REL_DEBUG", "1")],
    );
    if is_root() {
        let said = "linuxns-rel: scanning /proc: no BPF scan: bpf(2) denied";
        assert!(stderr.contains(said), "{stderr}");
    }
}

#[test]
#[ignore = "runs only in its own process, started by falls_back_where_seccomp_denies_bpf"]
fn with_bpf_denied() {
    assert!(
        std::env::var_os(UNDER_FILTER).is_some(),
        "the filter is for a process of its own: run falls_back_where_seccomp_denies_bpf"
    );
    deny_bpf().unwrap_or_else(|e| panic!("seccomp: {e}"));
    let options = |scan| DiscoverOptions {
        scan,
        ..DiscoverOptions::default()
    };
    let auto = discover_alone(&options(Scan::Auto)).unwrap_or_else(|e| panic!("auto: {e}"));
    assert_eq!(auto.scan, Scan::Procfs);
    assert!(auto.get(ino_of_self("user")).is_some());
    let Err(err) = discover_alone(&options(Scan::Bpf)) else {
        panic!("a BPF scan with bpf(2) denied")
    };
    assert_eq!(
        (err.errno, err.syscall),
        (nix::errno::Errno::EPERM, Syscall::Bpf)
    );
    if is_root() {
        let why = bpf_scan::available();
        assert_eq!(why, Err(Unavailable::Denied(nix::errno::Errno::EPERM)));
    }
}

/// A network namespace that only a socket keeps is found by both scans, by
/// way of the socket, with the socket as its holder.
#[test]
fn both_scans_find_a_network_namespace_held_by_a_socket() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        eprintln!("skipped: the BPF scan needs root");
        return;
    }
    let (sock, ino) = held_netns(|| {
        std::os::unix::net::UnixDatagram::unbound()
            .unwrap_or_else(|e| panic!("socket: {e}"))
            .into()
    });
    let holder = FdHolder {
        pid: std::process::id() as i32,
        fd: sock.as_raw_fd(),
    };
    for scan in [Scan::Procfs, Scan::Bpf] {
        let options = DiscoverOptions {
            types: vec![NsType::Net, NsType::User],
            scan,
            ..DiscoverOptions::default()
        };
        let found = discover_alone(&options).unwrap_or_else(|e| panic!("{scan}: {e}"));
        let ns = found
            .get(ino)
            .unwrap_or_else(|| panic!("{scan}: net:[{ino}] not found"));
        assert_eq!(ns.via, [Source::Socket], "{scan}");
        assert_eq!(ns.fd_holders, [holder], "{scan}");
        assert_eq!(ns.owner, Some(ino_of_self("user")), "{scan}");
        assert!(ns.pids.is_empty() && ns.representative.is_none(), "{scan}");
        assert_eq!(ns.id, get_ns_id(&ns_of_socket(&sock)).ok(), "{scan}");
    }
    // Without descriptors, neither scan looks at sockets.
    for scan in [Scan::Procfs, Scan::Bpf] {
        let options = DiscoverOptions {
            types: vec![NsType::Net],
            fds: false,
            scan,
            ..DiscoverOptions::default()
        };
        let found = discover_alone(&options).unwrap_or_else(|e| panic!("{scan}: {e}"));
        assert!(found.get(ino).is_none(), "{scan}");
    }
}

/// The network namespace of a socket of ours, read by SIOCGSKNS as ground truth.
fn ns_of_socket(sock: &OwnedFd) -> OwnedFd {
    // SAFETY: SIOCGSKNS passes no data and returns a new descriptor or -1.
    let fd = unsafe { libc::ioctl(sock.as_raw_fd(), 0x894C as _) };
    assert!(fd >= 0, "SIOCGSKNS: {}", std::io::Error::last_os_error());
    // SAFETY: the kernel has just returned this descriptor to us alone.
    unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) }
}

/// A user namespace that no process is in, kept only because it owns a
/// network namespace that a process is in, is found with `owners` by both
/// scans, and by neither without.
#[test]
fn both_scans_find_the_owner_of_a_namespace_of_another_type() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        eprintln!("skipped: the BPF scan needs root");
        return;
    }
    let (maker, chain) = sleeper(&["unshare", "-Ur", "--net", "sleep", "infinity"]);
    let made = *chain.last().unwrap_or_else(|| panic!("no sleeper"));
    let (user, net) = (
        ino(&format!("/proc/{made}/ns/user")),
        ino(&format!("/proc/{made}/ns/net")),
    );
    let netns = format!("--net=/proc/{made}/ns/net");
    let (_guest, _) = sleeper(&["nsenter", &netns, "sleep", "infinity"]);
    drop(maker);
    for scan in [Scan::Procfs, Scan::Bpf] {
        let options = |owners| DiscoverOptions {
            types: vec![NsType::User],
            scan,
            owners,
            ..DiscoverOptions::default()
        };
        let with = discover_alone(&options(true)).unwrap_or_else(|e| panic!("{scan}: {e}"));
        let ns = with
            .get(user)
            .unwrap_or_else(|| panic!("{scan}: user:[{user}] (owner of net:[{net}]) not found"));
        assert_eq!(ns.via, [Source::Hierarchy], "{scan}");
        assert_eq!(ns.parent, Some(ino_of_self("user")), "{scan}");
        let without = discover_alone(&options(false)).unwrap_or_else(|e| panic!("{scan}: {e}"));
        assert!(without.get(user).is_none(), "{scan}");
    }
}

/// Scans while processes in new namespaces come and go and descriptors of
/// namespaces open and close: every scan succeeds, and what it gives holds
/// together (every parent and owner it names is in it, of the right type;
/// the test's own lasting namespaces are there as /proc shows them).
#[test]
fn scans_amid_churn_succeed_and_hold_together() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        eprintln!("skipped: the BPF scan needs root");
        return;
    }
    let (_stay, stay) = sleeper(ALL_TYPES_SLEEPER);
    let lasting = *stay.last().unwrap_or_else(|| panic!("no sleeper"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let child = std::process::Command::new("unshare")
                    .args(["-Ur", "--net", "--pid", "--fork", "sleep", "0.05"])
                    .spawn();
                let held = fs::File::open(format!("/proc/{lasting}/ns/net"));
                std::thread::sleep(std::time::Duration::from_millis(5));
                drop(held);
                if let Ok(mut child) = child {
                    let _ = child.wait();
                }
            }
        })
    };
    for round in 0..20 {
        let scan = if round % 2 == 0 {
            Scan::Bpf
        } else {
            Scan::Procfs
        };
        let options = DiscoverOptions {
            types: NsType::ALL.to_vec(),
            scan,
            ..DiscoverOptions::default()
        };
        let found = discover_alone(&options).unwrap_or_else(|e| panic!("{scan}: {e}"));
        for ns in &found.namespaces {
            if let Some(parent) = ns.parent {
                let up = found.get(parent).map(|p| p.ns_type);
                assert_eq!(
                    up,
                    Some(ns.ns_type),
                    "{scan}: parent of {}:[{}]",
                    ns.ns_type,
                    ns.ino
                );
            }
            if let Some(owner) = ns.owner {
                let up = found.get(owner).map(|o| o.ns_type);
                assert_eq!(
                    up,
                    Some(NsType::User),
                    "{scan}: owner of {}:[{}]",
                    ns.ns_type,
                    ns.ino
                );
            }
        }
        for t in NsType::ALL {
            let want = ino(&format!("/proc/{lasting}/ns/{t}"));
            let ns = found.get(want);
            assert!(
                ns.is_some_and(|ns| ns.pids.contains(&lasting)),
                "{scan}: {t}:[{want}]"
            );
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churn.join().unwrap_or_else(|_| panic!("churn thread"));
}

/// A pids cgroup of its own for a test (v1's controller, or v2's root where
/// it offers pids), removed on drop; `None` where none can be made.
struct PidsCgroup(std::path::PathBuf);

impl PidsCgroup {
    fn new() -> Option<PidsCgroup> {
        let name = format!("linuxns-rel-test-{}", std::process::id());
        ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"]
            .iter()
            .map(|root| std::path::Path::new(root).join(&name))
            .filter(|dir| fs::create_dir(dir).is_ok())
            .map(PidsCgroup)
            // Where it is no pids cgroup, the drop removes it.
            .find(|cgroup| cgroup.0.join("pids.max").exists())
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.0);
    }
}

#[test]
fn scans_where_no_thread_can_be_started() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        eprintln!("skipped: needs root (a pids cgroup to hold the scan to one thread)");
        return;
    }
    let Some(cgroup) = PidsCgroup::new() else {
        eprintln!("skipped: no pids cgroup can be made here");
        return;
    };
    let dir = cgroup.0.to_string_lossy().into_owned();
    run_ignored_alone(
        "in_a_pids_cgroup",
        &[],
        &[("LINUXNS_REL_TEST_CGROUP", &dir)],
    );
}

#[test]
#[ignore = "runs only in its own process, started by scans_where_no_thread_can_be_started"]
fn in_a_pids_cgroup() {
    let dir =
        std::path::PathBuf::from(std::env::var_os("LINUXNS_REL_TEST_CGROUP").unwrap_or_default());
    let own = std::process::id() as i32;
    fs::write(dir.join("cgroup.procs"), own.to_string())
        .unwrap_or_else(|e| panic!("join the cgroup: {e}"));
    // Below the threads this process has: none more can be started.
    fs::write(dir.join("pids.max"), "1").unwrap_or_else(|e| panic!("pids.max: {e}"));
    assert!(
        std::thread::Builder::new().spawn(|| ()).is_err(),
        "a thread could be started"
    );
    // For the file iterator to find: a socket, which holds its network namespace.
    let sock =
        std::os::unix::net::UnixDatagram::unbound().unwrap_or_else(|e| panic!("socket: {e}"));
    let fds_before = open_fds();
    let snap = bpf_scan::scan(&[]).unwrap_or_else(|why| panic!("BPF scan on one thread: {why}"));
    assert_eq!(open_fds(), fds_before, "descriptors left open by the scan");
    let me = snap
        .tasks
        .iter()
        .find(|t| t.pid == own)
        .unwrap_or_else(|| panic!("pid {own} not in the scan"));
    for t in NsType::ALL {
        assert_eq!(me.ns(t), Some(ino(&format!("/proc/self/ns/{t}"))), "{t}");
    }
    assert!(
        snap.files
            .iter()
            .any(|f| f.pid == own && f.fd == sock.as_raw_fd() && f.socket),
        "socket {} of pid {own} not in {:?}",
        sock.as_raw_fd(),
        snap.files
    );
}
