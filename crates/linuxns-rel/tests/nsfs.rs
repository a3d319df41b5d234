//! Namespace ids, pid translation, the mount namespace list, file handles
//! and pidfd opening, against real namespaces made with unshare(1) and
//! ground truth read independently from /proc.

use std::fs;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use linuxns_rel::discover::{DiscoverOptions, Source};
use linuxns_rel::{
    get_mntns_id, get_ns_id, kernel_features, list_mount_namespaces, mount_namespaces,
    ns_file_handle, ns_stat, open_ns, open_ns_file_handle, open_process_namespace, pid_from_pidns,
    pid_in_pidns, tgid_from_pidns, tgid_in_pidns, Feature, NsType,
};
use nix::errno::Errno;

mod common;
use common::{
    bind, discover_alone, ino, is_root, sleeper, Mounted, ALL_TYPES_SLEEPER, PID_TWO_DEEP_SLEEPER,
};

/// Whether the kernel has `f`; prints why a test skips where not.
fn has(f: Feature) -> bool {
    let ok = f.available();
    if !ok {
        println!(
            "skipped: {} needs Linux {}; this is {}",
            f.interface(),
            f.since(),
            kernel_features().release
        );
    }
    ok
}

#[test]
fn ids_agree_across_two_paths_and_differ_between_namespaces() {
    if !has(Feature::NsId) {
        return;
    }
    let tid = std::process::id();
    let mut ids = Vec::new();
    for t in NsType::ALL {
        let by_process = get_ns_id(format!("/proc/self/ns/{t}").as_str());
        let by_task = get_ns_id(format!("/proc/self/task/{tid}/ns/{t}").as_str());
        let by_process = by_process.unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(Ok(by_process), by_task, "{t}");
        // And by descriptor, through ns_stat.
        let fd = open_ns(format!("/proc/self/ns/{t}")).unwrap_or_else(|e| panic!("{t}: {e}"));
        let st = ns_stat(&fd).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(st.id, Some(by_process), "{t}");
        assert_eq!(st.ns_type, t);
        assert_eq!(st.ino, ino(&format!("/proc/self/ns/{t}")), "{t}");
        ids.push(by_process);
    }
    let (_kid, chain) = sleeper(&["unshare", "-Ur", "--net", "--uts", "sleep", "infinity"]);
    let pid = chain[chain.len() - 1];
    for t in ["user", "net", "uts"] {
        let id = get_ns_id(format!("/proc/{pid}/ns/{t}").as_str())
            .unwrap_or_else(|e| panic!("{t}: {e}"));
        ids.push(id);
    }
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "every namespace has its own id");
    assert_eq!(
        get_ns_id("/dev/null").map_err(|e| e.errno),
        Err(Errno::ENOTTY)
    );
}

/// The `NSpid:` line of /proc/PID/status: the pid in each namespace, outermost first.
fn nspid(pid: i32) -> Vec<i32> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn pid_translation_matches_nspid_two_levels_deep() {
    if !has(Feature::PidTranslation) {
        return;
    }
    let (_kid, chain) = sleeper(PID_TWO_DEEP_SLEEPER);
    let (level1, level2) = (chain[1], chain[2]);
    let numbers = nspid(level2);
    assert_eq!(numbers.len(), 3, "NSpid of the sleep: {numbers:?}");
    assert_eq!(numbers[0], level2);
    for (depth, ns) in [
        (1, format!("/proc/{level1}/ns/pid")),
        (2, format!("/proc/{level2}/ns/pid")),
    ] {
        let inside = numbers[depth];
        let ns = ns.as_str();
        assert_eq!(pid_in_pidns(ns, level2), Ok(inside), "depth {depth}");
        assert_eq!(tgid_in_pidns(ns, level2), Ok(inside), "depth {depth}");
        assert_eq!(pid_from_pidns(ns, inside), Ok(level2), "depth {depth}");
        assert_eq!(tgid_from_pidns(ns, inside), Ok(level2), "depth {depth}");
    }
    // We are not in the inner namespaces, and no pid that large is in use there.
    let inner = format!("/proc/{level2}/ns/pid");
    let esrch = |r: linuxns_rel::Result<i32>| r.map_err(|e| e.errno);
    assert_eq!(
        esrch(pid_in_pidns(inner.as_str(), std::process::id() as i32)),
        Err(Errno::ESRCH)
    );
    assert_eq!(
        esrch(pid_from_pidns(inner.as_str(), 4_000_000)),
        Err(Errno::ESRCH)
    );
    assert_eq!(
        esrch(pid_in_pidns("/proc/self/ns/net", 1)),
        Err(Errno::EINVAL)
    );
}

#[test]
fn the_mount_namespace_list_holds_ours_and_one_kept_only_by_a_bind_mount() {
    if !has(Feature::MntnsList) || !has(Feature::MntnsId) {
        return;
    }
    let own = get_mntns_id("/proc/self/ns/mnt").unwrap_or_else(|e| panic!("{e}"));
    let list = list_mount_namespaces().unwrap_or_else(|e| panic!("{e}"));
    let ours = list.iter().find(|m| m.id == own);
    assert_eq!(ours.map(|m| m.ino), Some(ino("/proc/self/ns/mnt")));
    assert!(
        list.windows(2).all(|w| w[0].id < w[1].id),
        "in id order: {list:?}"
    );
    for (info, fd) in mount_namespaces().unwrap_or_else(|e| panic!("{e}")) {
        assert_eq!(get_mntns_id(&fd), Ok(info.id));
    }
    if !is_root() {
        println!("skipped: the bind-mount part needs root");
        return;
    }
    let target = scratch_file("mntns");
    let (mounted, ino) = mntns_kept_by_bind_mount(&target);
    // A second path to the namespace: the bind mount.
    let by_mount = get_mntns_id(&target).unwrap_or_else(|e| panic!("{e}"));
    let listed = list_mount_namespaces().unwrap_or_else(|e| panic!("{e}"));
    drop(mounted);
    let _ = fs::remove_file(&target);
    let kept = listed.iter().find(|m| m.id == by_mount);
    assert_eq!(
        kept.map(|m| m.ino),
        Some(ino),
        "the mount namespace no process is in is listed: {listed:?}"
    );
}

/// A file in the temporary directory to mount on, named for this test run.
fn scratch_file(tag: &str) -> PathBuf {
    let target = std::env::temp_dir().join(format!("linuxns-rel-{tag}-{}", std::process::id()));
    fs::write(&target, "").unwrap_or_else(|e| panic!("{}: {e}", target.display()));
    target
}

/// Bind-mounts the mount namespace of a new process on `target`, then ends
/// the process: the namespace is kept only by the mount. Gives the mount and
/// the namespace's inode, read from /proc while the process lived.
fn mntns_kept_by_bind_mount(target: &Path) -> (Mounted, u64) {
    let (kid, chain) = sleeper(&["unshare", "-m", "sleep", "infinity"]);
    let pid = chain[chain.len() - 1];
    let mounted = bind(&format!("/proc/{pid}/ns/mnt"), target);
    let ino = ino(&format!("/proc/{pid}/ns/mnt"));
    drop(kid);
    (mounted, ino)
}

#[test]
fn a_file_handle_reopens_the_namespace_and_goes_stale_with_it() {
    if !has(Feature::NsFileHandle) {
        return;
    }
    let handle = ns_file_handle("/proc/self/ns/net").unwrap_or_else(|e| panic!("{e}"));
    let fd = open_ns_file_handle(&handle).unwrap_or_else(|e| panic!("{e}"));
    let st = ns_stat(&fd).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(st.ino, ino("/proc/self/ns/net"));
    assert_eq!(st.ns_type, NsType::Net);

    let (kid, chain) = sleeper(&["unshare", "-Ur", "--uts", "sleep", "infinity"]);
    let pid = chain[chain.len() - 1];
    let path = format!("/proc/{pid}/ns/uts");
    let handle = ns_file_handle(path.as_str()).unwrap_or_else(|e| panic!("{e}"));
    let reopened = open_ns_file_handle(&handle).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ns_stat(&reopened).map(|s| s.ino), Ok(ino(&path)));
    drop(reopened);
    drop(kid);
    let start = Instant::now();
    let stale = loop {
        match open_ns_file_handle(&handle) {
            Err(e) => break e.errno,
            Ok(_) if start.elapsed() < Duration::from_secs(5) => sleep(Duration::from_millis(20)),
            Ok(_) => panic!("the handle still opens after the namespace is gone"),
        }
    };
    assert_eq!(stale, Errno::ESTALE);
    assert_eq!(
        open_ns_file_handle(&[1, 2, 3]).map_err(|e| e.errno).err(),
        Some(Errno::EINVAL)
    );
}

#[test]
fn open_process_namespace_gives_each_of_the_eight_types() {
    let (_kid, chain) = sleeper(ALL_TYPES_SLEEPER);
    let pid = chain[chain.len() - 1];
    for target in [pid, std::process::id() as i32] {
        for t in NsType::ALL {
            let fd = open_process_namespace(target, t).unwrap_or_else(|e| panic!("{t}: {e}"));
            let st = ns_stat(&fd).unwrap_or_else(|e| panic!("{t}: {e}"));
            let link = fs::read_link(format!("/proc/{target}/ns/{t}"))
                .unwrap_or_else(|e| panic!("{t}: {e}"));
            assert_eq!(
                format!("{t}:[{}]", st.ino),
                link.to_string_lossy(),
                "{t} of {target}"
            );
            assert!(fd.as_raw_fd() >= 0);
        }
    }
    assert_eq!(
        open_process_namespace(i32::MAX, NsType::Net)
            .map_err(|e| e.errno)
            .err(),
        Some(Errno::ESRCH)
    );
}

#[test]
fn kernel_features_are_all_there_from_linux_6_18() {
    let f = kernel_features();
    let mut parts = f.release.split(|c: char| !c.is_ascii_digit());
    let version = (
        parts
            .next()
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0),
        parts
            .next()
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0),
    );
    if version < (6, 18) {
        println!("skipped: Linux {} is older than 6.18", f.release);
        return;
    }
    for feature in Feature::ALL {
        assert!(feature.available(), "{feature:?} on {}", f.release);
    }
}

fn discover_all(bind_mounts: bool) -> linuxns_rel::Discovery {
    let options = DiscoverOptions {
        types: NsType::ALL.to_vec(),
        bind_mounts,
        ..DiscoverOptions::default()
    };
    discover_alone(&options).unwrap_or_else(|e| panic!("discover: {e}"))
}

#[test]
fn discover_gives_each_namespace_its_id() {
    if !has(Feature::NsId) {
        return;
    }
    let found = discover_all(true);
    for t in NsType::ALL {
        let ino = ino(&format!("/proc/self/ns/{t}"));
        let ns = found
            .get(ino)
            .unwrap_or_else(|| panic!("our {t} namespace is missing"));
        assert_eq!(
            ns.id,
            get_ns_id(format!("/proc/self/ns/{t}").as_str()).ok(),
            "{t}"
        );
    }
    let mut ids: Vec<_> = found.namespaces.iter().map(|ns| ns.id).collect();
    assert!(ids.iter().all(Option::is_some));
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count);
}

#[test]
fn discover_finds_a_pending_pid_namespace_with_no_process() {
    if !has(Feature::PidfdNamespace) {
        return;
    }
    let (_kid, chain) = sleeper(&["unshare", "-Ur", "--pid", "sleep", "infinity"]);
    let pid = chain[chain.len() - 1];
    // /proc cannot open it (the link reads empty); a pidfd can.
    assert!(fs::read_link(format!("/proc/{pid}/ns/pid_for_children")).is_err());
    let user = ino(&format!("/proc/{pid}/ns/user"));
    let found = discover_all(true);
    let ns = found
        .namespaces
        .iter()
        .find(|ns| ns.ns_type == NsType::Pid && ns.owner == Some(user))
        .unwrap_or_else(|| panic!("the pending pid namespace was not found"));
    assert_eq!(ns.via, [Source::Pending]);
    assert!(ns.pids.is_empty());
    assert_eq!(ns.parent, Some(ino(&format!("/proc/{pid}/ns/pid"))));
    assert_eq!(ns.owner, Some(ino(&format!("/proc/{pid}/ns/user"))));
}

#[test]
fn discover_finds_a_mount_namespace_kept_only_by_a_bind_mount() {
    if !has(Feature::MntnsList) {
        return;
    }
    if !is_root() {
        println!("skipped: needs root for the bind mount");
        return;
    }
    let target = scratch_file("dmnt");
    let (mounted, ino) = mntns_kept_by_bind_mount(&target);
    let with_mounts = discover_all(true);
    let without = discover_all(false);
    drop(mounted);
    let _ = fs::remove_file(&target);
    let by_mount = with_mounts
        .get(ino)
        .map(|ns| (ns.via.clone(), ns.bind_mounts.clone()));
    assert_eq!(by_mount, Some((vec![Source::BindMount], vec![target])));
    let listed = without.get(ino).map(|ns| (ns.via.clone(), ns.pids.len()));
    assert_eq!(listed, Some((vec![Source::MountList], 0)));
}
