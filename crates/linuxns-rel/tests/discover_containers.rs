//! The containers step of discovery: the host's initial namespaces, and
//! each namespace's containers, against ground truth read independently:
//! `/proc/PID/ns` links by stat(2), every process's `/proc/PID/cgroup`
//! (with no shortcut), and `docker inspect`.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use linuxns_rel::containers::{ContainerOptions, Engine, Engines};
use linuxns_rel::{DiscoverOptions, Discovery, NsType};

use common::{discover_alone, ino, is_root, sleeper};

fn skip(why: &str) {
    println!("skipped: {why}");
}

fn all_types() -> DiscoverOptions {
    DiscoverOptions {
        types: NsType::ALL.to_vec(),
        ..DiscoverOptions::default()
    }
}

fn discovered(options: &DiscoverOptions) -> Discovery {
    discover_alone(options).unwrap_or_else(|e| panic!("discover: {e}"))
}

#[test]
fn the_host_namespaces_are_those_of_kthreadd() {
    if !is_root() {
        return skip("the namespaces of PID 2 are root's to read");
    }
    let (_kid, pids) = sleeper(&["unshare", "--net", "--uts", "sleep", "infinity"]);
    let pid = *pids.last().unwrap_or(&0);
    let found = discovered(&all_types());
    let host: BTreeSet<u64> = NsType::ALL
        .iter()
        .map(|t| ino(&format!("/proc/2/ns/{}", t.name())))
        .collect();
    let flagged: BTreeSet<u64> = found
        .namespaces
        .iter()
        .filter(|ns| ns.host)
        .map(|ns| ns.ino)
        .collect();
    assert_eq!(flagged, host);
    for ns in found.namespaces.iter().filter(|ns| ns.host) {
        assert!(ns.containers.is_empty(), "{ns:?}");
    }
    // The sleeper's own net and uts namespaces are no host's; its others are.
    for t in NsType::ALL {
        let own = ino(&format!("/proc/{pid}/ns/{}", t.name()));
        let ns = found.get(own).unwrap_or_else(|| panic!("{t} of {pid}"));
        assert_eq!(ns.host, !matches!(t, NsType::Net | NsType::Uts), "{t}");
        assert!(ns.containers.is_empty(), "{ns:?}");
    }
    // Off, the host is told all the same, and no containers.
    let off = discovered(&DiscoverOptions {
        containers: false,
        ..all_types()
    });
    let flagged_off: BTreeSet<u64> = off
        .namespaces
        .iter()
        .filter(|ns| ns.host)
        .map(|ns| ns.ino)
        .collect();
    assert_eq!(flagged_off, host);
}

#[test]
fn a_mount_namespace_of_its_own_is_no_container() {
    let (_kid, pids) = sleeper(&[
        "unshare",
        "--user",
        "--map-root-user",
        "--mount",
        "--net",
        "sleep",
        "infinity",
    ]);
    let pid = *pids.last().unwrap_or(&0);
    let found = discovered(&all_types());
    for t in NsType::ALL {
        let own = ino(&format!("/proc/{pid}/ns/{}", t.name()));
        if let Some(ns) = found.get(own) {
            assert!(ns.containers.is_empty(), "{t}: {ns:?}");
        }
    }
}

/// Runs a command; its stdout, or why it failed.
fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn testbed() -> Result<(), String> {
    if !is_root() {
        return Err("the engines need root".into());
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/docker-testbed.sh");
    run("bash", &[script.to_str().unwrap_or_default(), "up"]).map(|_| ())
}

struct Removed(Vec<String>);

impl Drop for Removed {
    fn drop(&mut self) {
        let mut args = vec!["rm", "-f"];
        args.extend(self.0.iter().map(String::as_str));
        let _ = run("/usr/bin/docker", &args);
    }
}

#[test]
fn docker_containers_are_named_in_the_namespaces_they_have_processes_in() {
    if let Err(why) = testbed() {
        return skip(&why);
    }
    let tag = format!("lnsrel-disc-{}", std::process::id());
    let docker = |args: &[&str]| run("/usr/bin/docker", args).unwrap_or_else(|e| panic!("{e}"));
    let image = "linuxns-rel-busybox:test";
    let web = docker(&[
        "run",
        "-d",
        "--name",
        &format!("{tag}-web"),
        image,
        "sleep",
        "3600",
    ]);
    let mut removed = Removed(vec![web.clone()]);
    let joiner = docker(&[
        "run",
        "-d",
        "--name",
        &format!("{tag}-joiner"),
        "--network",
        &format!("container:{web}"),
        image,
        "sleep",
        "3600",
    ]);
    removed.0.push(joiner.clone());
    let pid = |id: &str| -> i32 {
        docker(&["inspect", "-f", "{{.State.Pid}}", id])
            .parse()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let (web_pid, joiner_pid) = (pid(&web), pid(&joiner));
    let found = discovered(&all_types());
    let names = |ino: u64| -> Vec<String> {
        let ns = found.get(ino).unwrap_or_else(|| panic!("{ino} not found"));
        ns.containers
            .iter()
            .map(|c| format!("{}:{}", c.engine, c.name.clone().unwrap_or_default()))
            .collect()
    };
    let ns_of = |pid: i32, t: &str| ino(&format!("/proc/{pid}/ns/{t}"));
    assert_eq!(
        names(ns_of(web_pid, "net")),
        [format!("docker:{tag}-joiner"), format!("docker:{tag}-web")]
    );
    assert_eq!(names(ns_of(web_pid, "uts")), [format!("docker:{tag}-web")]);
    assert_eq!(
        names(ns_of(joiner_pid, "mnt")),
        [format!("docker:{tag}-joiner")]
    );
    let web_net = found
        .get(ns_of(web_pid, "net"))
        .map(|ns| ns.containers[0].clone());
    assert_eq!(
        web_net.map(|c| (c.engine, c.id)),
        Some((Engine::Docker, joiner))
    );
    assert!(found.notes.is_empty(), "{:?}", found.notes);

    // Every namespace against every process's own cgroup file, read with
    // no shortcut: the step's reading only the processes outside the host's
    // mount namespace loses nothing here.
    let mut engines = Engines::new(ContainerOptions::default());
    let mut truth: HashMap<i32, (Engine, String)> = HashMap::new();
    for ns in &found.namespaces {
        for &p in &ns.pids {
            if let Some(c) = engines.containers_of_pid(p).pop() {
                truth.insert(p, (c.engine, c.id));
            }
        }
    }
    for ns in found.namespaces.iter().filter(|ns| !ns.host) {
        let expected: BTreeSet<(Engine, String)> = ns
            .pids
            .iter()
            .filter_map(|p| truth.get(p).cloned())
            .collect();
        let got: BTreeSet<(Engine, String)> = ns
            .containers
            .iter()
            .map(|c| (c.engine, c.id.clone()))
            .collect();
        assert_eq!(got, expected, "{}:[{}]", ns.ns_type, ns.ino);
    }
    let hosts = found.namespaces.iter().filter(|ns| ns.host).count();
    assert_eq!(hosts, 8);
}
