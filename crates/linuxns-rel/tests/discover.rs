//! Discovery against real namespaces made with unshare(1) and nsenter(1),
//! checked against inodes read independently from /proc/PID/ns links.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::sleep;
use std::time::{Duration, Instant};

use linuxns_rel::discover::{DiscoverOptions, Discovery, FdHolder, Namespace, Scan, Source};
use linuxns_rel::NsType;

mod common;
use common::{bind, crowd, discover_alone, is_root, is_sleeping, run_ignored_alone, spawn};

/// Processes a test started: killed and reaped when the test ends, pass or fail.
#[derive(Default)]
struct Kids(Vec<Child>);

impl Kids {
    /// Starts `argv` and returns its pid.
    fn spawn(&mut self, argv: &[&str]) -> i32 {
        let child = spawn(argv);
        let pid = child.id() as i32;
        self.0.push(child);
        pid
    }

    /// Kills and reaps one of them now.
    fn kill(&mut self, pid: i32) {
        if let Some(i) = self.0.iter().position(|c| c.id() as i32 == pid) {
            let mut child = self.0.remove(i);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Kids {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn skip(why: &str) {
    println!("skipped: {why}");
}

/// The namespace inode of a process, through stat(2) of its link.
fn ns_ino(pid: &str, t: NsType) -> u64 {
    fs::metadata(format!("/proc/{pid}/ns/{t}"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/ns/{t}: {e}"))
        .ino()
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        sleep(Duration::from_millis(10));
    }
}

/// Waits until `pid` has left our namespace of type `t` (unshare execs after a moment).
fn wait_moved(pid: i32, t: NsType) -> u64 {
    let ours = ns_ino("self", t);
    let mut ino = ours;
    wait_for(&format!("pid {pid} to leave our {t} namespace"), || {
        ino = fs::metadata(format!("/proc/{pid}/ns/{t}")).map_or(ours, |m| m.ino());
        ino != ours
    });
    ino
}

fn first_child(pid: i32) -> Option<i32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn run(types: &[NsType]) -> Discovery {
    let options = DiscoverOptions {
        types: types.to_vec(),
        ..DiscoverOptions::default()
    };
    match discover_alone(&options) {
        Ok(found) => found,
        Err(e) => panic!("discover: {e}"),
    }
}

fn get(found: &Discovery, ino: u64) -> &Namespace {
    found
        .get(ino)
        .unwrap_or_else(|| panic!("namespace {ino} not found"))
}

/// Properties every result must have.
fn check_consistent(found: &Discovery, types: &[NsType]) {
    let keys: Vec<_> = found
        .namespaces
        .iter()
        .map(|ns| (ns.ns_type.name(), ns.ino))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "sorted by type and inode, without repeats");
    for ns in &found.namespaces {
        assert!(types.contains(&ns.ns_type));
        assert!(!ns.via.is_empty());
        assert!(ns.pids.windows(2).all(|w| w[0] < w[1]));
        if matches!(ns.ns_type, NsType::User | NsType::Pid) {
            if let Some(parent) = ns.parent.and_then(|p| found.get(p)) {
                assert!(
                    parent.children.contains(&ns.ino),
                    "{} missing from its parent's children",
                    ns.ino
                );
            }
        } else {
            assert_eq!(ns.parent, None);
        }
        for child in &ns.children {
            assert_eq!(get(found, *child).parent, Some(ns.ino));
        }
        if ns.ns_type == NsType::User {
            assert_eq!(
                ns.owner, ns.parent,
                "a user namespace's owner is its parent"
            );
            assert!(ns.owner_uid.is_some());
        }
        if types.contains(&NsType::User) {
            if let Some(owner) = ns.owner {
                assert_eq!(get(found, owner).ns_type, NsType::User);
            }
        }
        if ns.via == [Source::Hierarchy] {
            assert!(ns.pids.is_empty() && ns.representative.is_none());
        }
    }
}

#[test]
fn own_namespaces() {
    let types = [NsType::User, NsType::Pid];
    let found = run(&types);
    check_consistent(&found, &types);
    let me = std::process::id() as i32;
    for t in types {
        let ns = get(&found, ns_ino("self", t));
        assert_eq!(ns.ns_type, t);
        assert!(ns.pids.contains(&me));
        assert!(ns.via.contains(&Source::Process));
        assert_eq!(
            ns.dev,
            fs::metadata(format!("/proc/self/ns/{t}")).map_or(0, |m| m.dev())
        );
        assert!(ns.representative.is_some());
    }
    // Every process we can read is where its link says.
    for ns in &found.namespaces {
        for pid in ns.pids.iter().take(50) {
            if let Ok(meta) = fs::metadata(format!("/proc/{pid}/ns/{}", ns.ns_type)) {
                assert_eq!(meta.ino(), ns.ino, "pid {pid}");
            }
        }
    }
}

#[test]
fn all_types_and_tasks() {
    let options = DiscoverOptions {
        types: NsType::ALL.to_vec(),
        tasks: true,
        ..DiscoverOptions::default()
    };
    let found = discover_alone(&options).unwrap_or_else(|e| panic!("discover: {e}"));
    check_consistent(&found, &NsType::ALL);
    for t in NsType::ALL {
        assert!(
            found
                .get(ns_ino("self", t))
                .is_some_and(|ns| ns.ns_type == t),
            "own {t}"
        );
    }
}

#[test]
fn user_chain_with_hidden_middle() {
    let mut kids = Kids::default();
    // The first unshare execs the second, so the middle namespace keeps no process.
    let pid = kids.spawn(&["unshare", "-Ur", "unshare", "-Ur", "sleep", "infinity"]);
    let ours = ns_ino("self", NsType::User);
    wait_moved(pid, NsType::User);
    wait_for("the second unshare", || is_sleeping(pid));
    let inner = ns_ino(&pid.to_string(), NsType::User);
    let found = run(&[NsType::User, NsType::Pid]);
    check_consistent(&found, &[NsType::User, NsType::Pid]);

    let ns = get(&found, inner);
    assert_eq!(ns.pids, [pid]);
    assert_eq!(ns.via, [Source::Process]);
    assert_eq!(ns.owner_uid, Some(nix::unistd::geteuid().as_raw()));
    assert_eq!(
        ns.representative
            .as_ref()
            .map(|p| (p.pid, p.name.as_os_str())),
        Some((pid, OsStr::new("sleep")))
    );
    let middle = get(&found, ns.parent.unwrap_or_else(|| panic!("no parent")));
    assert_ne!(middle.ino, ours);
    assert_eq!(middle.via, [Source::Hierarchy]);
    assert_eq!(middle.ns_type, NsType::User);
    assert!(middle.pids.is_empty());
    assert_eq!(middle.children, [inner]);
    assert_eq!(middle.parent, Some(ours));
    assert!(get(&found, ours).children.contains(&middle.ino));
    // The pid namespace of the sleep is ours, owned by our user namespace.
    assert!(get(&found, ns_ino("self", NsType::Pid)).pids.contains(&pid));
}

#[test]
fn user_chain_through_nsenter() {
    if !is_root() {
        return skip("nsenter into another user namespace needs root");
    }
    let mut kids = Kids::default();
    let outer_pid = kids.spawn(&["unshare", "-Ur", "sleep", "infinity"]);
    let outer = wait_moved(outer_pid, NsType::User);
    // unshare writes the uid map after it moves; nsenter must wait for that.
    wait_for("the outer unshare", || is_sleeping(outer_pid));
    let target = outer_pid.to_string();
    let inner_pid = kids.spawn(&[
        "nsenter",
        "-t",
        &target,
        "-U",
        "--preserve-credentials",
        "unshare",
        "-Ur",
        "sleep",
        "infinity",
    ]);
    wait_for("the nested unshare", || is_sleeping(inner_pid));
    let inner = ns_ino(&inner_pid.to_string(), NsType::User);
    assert_ne!(inner, outer);

    let found = run(&[NsType::User]);
    check_consistent(&found, &[NsType::User]);
    let (o, i) = (get(&found, outer), get(&found, inner));
    assert_eq!(i.parent, Some(outer));
    assert_eq!(o.parent, Some(ns_ino("self", NsType::User)));
    assert_eq!(o.children, [inner]);
    assert_eq!(o.pids, [outer_pid]);
    assert_eq!(i.pids, [inner_pid]);
    assert_eq!(o.owner_uid, Some(0));
}

#[test]
fn pid_namespaces_two_deep() {
    if !is_root() {
        return skip("unshare --pid needs root");
    }
    let mut kids = Kids::default();
    let top = kids.spawn(&[
        "unshare",
        "-pf",
        "--kill-child",
        "unshare",
        "-pf",
        "--kill-child",
        "sleep",
        "infinity",
    ]);
    let mut middle_pid = 0;
    let mut inner_pid = 0;
    wait_for("both pid namespaces", || {
        middle_pid = first_child(top).unwrap_or(0);
        inner_pid = first_child(middle_pid).unwrap_or(0);
        inner_pid != 0 && is_sleeping(inner_pid)
    });
    let ours = ns_ino("self", NsType::Pid);
    let middle = ns_ino(&middle_pid.to_string(), NsType::Pid);
    let inner = ns_ino(&inner_pid.to_string(), NsType::Pid);
    assert!(ours != middle && middle != inner);

    let found = run(&[NsType::User, NsType::Pid]);
    check_consistent(&found, &[NsType::User, NsType::Pid]);
    let (m, i) = (get(&found, middle), get(&found, inner));
    assert_eq!((m.parent, i.parent), (Some(ours), Some(middle)));
    assert_eq!(m.children, [inner]);
    assert_eq!(
        (m.pids.as_slice(), i.pids.as_slice()),
        ([middle_pid].as_slice(), [inner_pid].as_slice())
    );
    assert_eq!(m.owner, Some(ns_ino("self", NsType::User)));
    assert_eq!(
        m.representative
            .as_ref()
            .map(|p| (p.pid, p.name.as_os_str())),
        Some((middle_pid, OsStr::new("unshare")))
    );
    assert!(get(&found, ours).children.contains(&middle));
}

#[test]
fn namespace_held_only_by_fd() {
    let mut kids = Kids::default();
    let holder_of = kids.spawn(&["unshare", "-Ur", "sleep", "infinity"]);
    let ino = wait_moved(holder_of, NsType::User);
    let script = format!("exec 3</proc/{holder_of}/ns/user; exec sleep infinity");
    let holder = kids.spawn(&["sh", "-c", &script]);
    wait_for("fd 3 of the holder", || {
        fs::metadata(format!("/proc/{holder}/fd/3")).is_ok_and(|m| m.ino() == ino)
    });
    kids.kill(holder_of);

    let found = run(&[NsType::User, NsType::Pid]);
    check_consistent(&found, &[NsType::User, NsType::Pid]);
    let ns = get(&found, ino);
    assert_eq!(ns.via, [Source::Fd]);
    assert!(ns.pids.is_empty() && ns.representative.is_none());
    assert_eq!(ns.fd_holders, [FdHolder { pid: holder, fd: 3 }]);
    assert_eq!(ns.parent, Some(ns_ino("self", NsType::User)));

    let without = discover_alone(&DiscoverOptions {
        fds: false,
        ..DiscoverOptions::default()
    })
    .unwrap_or_else(|e| panic!("discover: {e}"));
    assert!(without.get(ino).is_none());
}

/// A scratch file under the temp dir, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!("linuxns-rel-{}-{name}", std::process::id()));
        fs::write(&path, b"").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

#[test]
fn bind_mounted_namespace_and_fd_through_it() {
    if !is_root() {
        return skip("bind mounts need root");
    }
    let mut kids = Kids::default();
    let netns_pid = kids.spawn(&["unshare", "-n", "sleep", "infinity"]);
    let ino = wait_moved(netns_pid, NsType::Net);
    let file = Scratch::new("net");
    let mounted = bind(&format!("/proc/{netns_pid}/ns/net"), &file.0);
    // This fd's link reads as the file's path, not net:[...].
    let script = format!("exec 3<{}; exec sleep infinity", file.0.display());
    let holder = kids.spawn(&["sh", "-c", &script]);
    wait_for("fd 3 of the holder", || {
        fs::metadata(format!("/proc/{holder}/fd/3")).is_ok_and(|m| m.ino() == ino)
    });
    kids.kill(netns_pid);

    let found = run(&[NsType::Net]);
    check_consistent(&found, &[NsType::Net]);
    let ns = get(&found, ino);
    assert_eq!(ns.via, [Source::Fd, Source::BindMount]);
    // Tests run in parallel: a mount namespace another test unshares now
    // copies our mount, and shows it as /proc/PID/root/<our path>.
    let (ours, copies): (Vec<_>, Vec<_>) = ns
        .bind_mounts
        .iter()
        .partition(|path| !path.starts_with("/proc"));
    assert_eq!(ours, [&file.0]);
    let relative = file.0.strip_prefix("/").unwrap_or(&file.0);
    for copy in copies {
        let pid = copy.components().nth(2).map(|c| c.as_os_str().to_owned());
        let pid = pid.and_then(|p| p.into_string().ok()).unwrap_or_default();
        assert_eq!(
            copy,
            &Path::new("/proc").join(&pid).join("root").join(relative)
        );
        assert_ne!(
            fs::metadata(format!("/proc/{pid}/ns/mnt"))
                .map(|m| m.ino())
                .ok(),
            Some(ns_ino("self", NsType::Mnt)),
            "{copy:?} is in another mount namespace"
        );
    }
    assert_eq!(ns.fd_holders, [FdHolder { pid: holder, fd: 3 }]);
    assert!(ns.pids.is_empty());
    assert_eq!(ns.owner, Some(ns_ino("self", NsType::User)));

    // Once unmounted, the fd keeps it. (A mount namespace that another test
    // made meanwhile may hold a copy of the mount, so look at our path only.)
    drop(mounted);
    let found = run(&[NsType::Net]);
    let ns = get(&found, ino);
    assert!(ns.via.contains(&Source::Fd));
    assert!(!ns.bind_mounts.contains(&file.0));
}

#[test]
fn bind_mount_in_another_mount_namespace() {
    if !is_root() {
        return skip("mount namespaces need root");
    }
    let mut kids = Kids::default();
    let uts_pid = kids.spawn(&["unshare", "-u", "sleep", "infinity"]);
    let ino = wait_moved(uts_pid, NsType::Uts);
    let file = Scratch::new("uts");
    let script = format!(
        "mount --bind /proc/{uts_pid}/ns/uts {} && exec sleep infinity",
        file.0.display()
    );
    let mounter = kids.spawn(&[
        "unshare",
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        &script,
    ]);
    wait_for("the mount in the new mount namespace", || {
        fs::read_to_string(format!("/proc/{mounter}/mountinfo"))
            .is_ok_and(|m| m.contains(" - nsfs "))
            && is_sleeping(mounter)
    });
    kids.kill(uts_pid);

    let found = run(&[NsType::Uts]);
    let ns = get(&found, ino);
    assert_eq!(ns.via, [Source::BindMount]);
    let relative = file.0.strip_prefix("/").unwrap_or(&file.0);
    assert_eq!(
        ns.bind_mounts,
        [Path::new(&format!("/proc/{mounter}/root")).join(relative)]
    );
    assert!(ns.pids.is_empty());
}

#[test]
fn thread_in_another_namespace() {
    if !is_root() {
        return skip("unshare(CLONE_NEWUTS) needs root");
    }
    let (tx, rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        // SAFETY: unshare takes no pointers; CLONE_NEWUTS affects this thread only.
        let rc = unsafe { libc::unshare(libc::CLONE_NEWUTS) };
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        let _ = tx.send((rc, tid));
        let _ = done_rx.recv();
    });
    let (rc, tid) = rx.recv().unwrap_or((-1, 0));
    let pid = std::process::id();
    let ino = fs::metadata(format!("/proc/{pid}/task/{tid}/ns/uts")).map_or(0, |m| m.ino());
    let result = std::panic::catch_unwind(|| {
        assert_eq!(rc, 0, "unshare in a thread");
        assert_ne!(ino, ns_ino("self", NsType::Uts));
        let options = DiscoverOptions {
            types: vec![NsType::Uts],
            tasks: true,
            ..DiscoverOptions::default()
        };
        let found = discover_alone(&options).unwrap_or_else(|e| panic!("discover: {e}"));
        let ns = get(&found, ino);
        assert_eq!(ns.via, [Source::Task]);
        assert_eq!(ns.pids, [tid]);
        assert!(run(&[NsType::Uts]).get(ino).is_none(), "seen without tasks");
    });
    let _ = done_tx.send(());
    let _ = thread.join();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn churn() {
    let stop = Arc::new(AtomicBool::new(false));
    let churner = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut kids = Kids::default();
                for argv in [
                    &["true"][..],
                    &["unshare", "-U", "true"],
                    &["sh", "-c", "exec 3</proc/self/ns/user; true"],
                    &["unshare", "-Urpf", "--net", "true"],
                ] {
                    kids.spawn(argv);
                }
            }
        })
    };
    let options = DiscoverOptions {
        types: NsType::ALL.to_vec(),
        tasks: true,
        ..DiscoverOptions::default()
    };
    let results: Vec<_> = (0..20).map(|_| discover_alone(&options)).collect();
    stop.store(true, Ordering::Relaxed);
    let _ = churner.join();
    for r in results {
        match r {
            // Inodes of namespaces that end mid-scan come back at once, as
            // other namespaces, perhaps of another type: still consistent.
            Ok(found) => check_consistent(&found, &NsType::ALL),
            Err(e) => panic!("discover: {e}"),
        }
    }
}

/// The user name `getent passwd` gives for `uid`; `None` where it has none.
fn getent_name(uid: u32) -> Option<OsString> {
    let out = Command::new("getent")
        .args(["passwd", &uid.to_string()])
        .output()
        .unwrap_or_else(|e| panic!("getent: {e}"));
    // Exit status 2: no such entry.
    if !out.status.success() {
        return None;
    }
    let name = out.stdout.split(|&b| b == b':').next()?;
    Some(OsString::from_vec(name.to_vec()))
}

#[test]
fn owner_names() {
    if Command::new("getent").arg("--version").output().is_err() {
        return skip("no getent to check against");
    }
    let mut kids = Kids::default();
    let mut owners = vec![(
        wait_moved(
            kids.spawn(&["unshare", "-U", "sleep", "infinity"]),
            NsType::User,
        ),
        nix::unistd::geteuid().as_raw(),
    )];
    if is_root() {
        // One uid with an entry (daemon, or whatever 1 is) and one without.
        let missing = (40000..41000)
            .find(|&uid| getent_name(uid).is_none())
            .unwrap_or(40000);
        for uid in [1, missing] {
            let id = uid.to_string();
            let pid = kids.spawn(&[
                "setpriv",
                "--reuid",
                &id,
                "--regid",
                &id,
                "--clear-groups",
                "unshare",
                "-U",
                "sleep",
                "infinity",
            ]);
            owners.push((wait_moved(pid, NsType::User), uid));
        }
    }
    let found = run(&[NsType::User, NsType::Pid]);
    check_consistent(&found, &[NsType::User, NsType::Pid]);
    for (ino, uid) in owners {
        let ns = get(&found, ino);
        assert_eq!(ns.owner_uid, Some(uid));
        assert_eq!(ns.owner_name, getent_name(uid), "uid {uid}");
    }
    if is_root() {
        assert!(found
            .namespaces
            .iter()
            .any(|ns| ns.owner_uid.is_some() && ns.owner_name.is_none()));
    }
    // Every owner, checked against the user database.
    let mut names = std::collections::HashMap::new();
    for ns in &found.namespaces {
        match ns.owner_uid {
            Some(uid) => {
                let name = names.entry(uid).or_insert_with(|| getent_name(uid));
                assert_eq!(&ns.owner_name, name, "uid {uid}");
            }
            None => assert_eq!(ns.owner_name, None, "{}:[{}]", ns.ns_type, ns.ino),
        }
    }
}

/// Where no thread can be started (a user at its limit of processes), the
/// work that discovery shares out over threads is all done on the calling
/// one.
#[test]
fn discovers_where_no_thread_can_be_started() {
    if !is_root() {
        return skip("needs root: runs as another user under a limit of processes");
    }
    // Enough processes for the scan to share them out.
    let (_crowd, _) = crowd(300);
    let limited = [
        "prlimit",
        "--nproc=1",
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
    ];
    run_ignored_alone("without_threads", &limited, &[]);
}

#[test]
#[ignore = "runs under a limit of processes, started by discovers_where_no_thread_can_be_started"]
fn without_threads() {
    let spawned = std::thread::Builder::new().spawn(|| ());
    assert!(spawned.is_err(), "a thread could be started");
    let options = DiscoverOptions {
        types: NsType::ALL.to_vec(),
        scan: Scan::Procfs,
        ..DiscoverOptions::default()
    };
    let found = discover_alone(&options).unwrap_or_else(|e| panic!("discover: {e}"));
    let own = std::process::id() as i32;
    for t in NsType::ALL {
        let ns = get(&found, ns_ino("self", t));
        assert!(ns.pids.contains(&own), "{t}: {:?}", ns.pids);
    }
}
