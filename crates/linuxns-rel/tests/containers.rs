//! Containers: the chain of containers told from cgroup texts (this
//! machine's, and lines that other systems printed, recorded in public
//! sources), the engines' state files recorded from this machine, and the
//! real engines: Docker, containerd (through `ctr`, as the CRI plugin makes
//! pods) and podman, started by `.ci/docker-testbed.sh`. What the code gives
//! is checked against `docker inspect` / `podman inspect` and against the
//! `/proc/PID/ns` links of each container's init.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use linuxns_rel::containers::{
    chain_from_cgroup, namespaces_of_pid, Container, ContainerOptions, ContainerRef, Engine,
    Engines, StorageRoots,
};
use linuxns_rel::NsType;

use common::{ino, is_root};

fn skip(why: &str) {
    println!("skipped: {why}");
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/containers")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures().join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A container of a chain as (engine, id, pod uid), for comparing.
type Triple<'a> = (Engine, &'a str, Option<&'a str>);

/// The chain as triples.
fn triples(chain: &[ContainerRef]) -> Vec<Triple<'_>> {
    chain
        .iter()
        .map(|r| (r.engine, r.id.as_str(), r.pod_uid.as_deref()))
        .collect()
}

// ---- cgroup texts -------------------------------------------------------

const WEB_1: &str = "a2d6b0f6354494a90ebeb370344d068ff9b978a66a0a9dbcbec834f1199b5e97";
const SHARES_NET: &str = "93f0bbe142815890294b8b54b5ba2374fec909722b43afa69404258922d8c22f";
const PM1: &str = "d6ccd73a79ccde13fb753476816af8b957500397ebbb8b31b1a2e6cb86020e24";
const SANDBOX: &str = "054f9f883b8b7318f7f500cdb34233c493025f2d41961f2fde4f75959471b23b";
const API: &str = "7fadc89b60dfdf47563bdae945369753dc5c3e83a2232da32d76959e5dde7619";
const POD_UID: &str = "4f06823c-4b21-47e0-8d25-3669745abaf5";

#[test]
fn cgroup_texts_of_this_machine() {
    // cgroup v1 (hybrid, with a 0:: line), Docker's cgroupfs driver.
    let chain = chain_from_cgroup(&fixture("cgroup/docker-v1-cgroupfs-web-1.txt"));
    assert_eq!(triples(&chain), [(Engine::Docker, WEB_1, None)]);
    // podman's cgroupfs manager: /libpod_parent/libpod-<id>.
    let chain = chain_from_cgroup(&fixture("cgroup/podman-v1-cgroupfs.txt"));
    assert_eq!(triples(&chain), [(Engine::Podman, PM1, None)]);
    // A container that ctr ran in the cgroup the CRI plugin's cgroupfs
    // driver gives: /kubepods/besteffort/pod<uid>/<id>.
    let chain = chain_from_cgroup(&fixture("cgroup/containerd-v1-cgroupfs-kubepods.txt"));
    assert_eq!(triples(&chain), [(Engine::Containerd, API, Some(POD_UID))]);
}

#[test]
fn cgroup_lines_of_other_systems() {
    let cases: &[(&str, &str, &[Triple])] = &[
        (
            // neuvector/neuvector share/system/cgroup_test.go, TestDockerIDCentOS:
            // cgroup v1, Docker's systemd driver.
            "neuvector CentOS",
            "10:devices:/system.slice/docker-9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d.scope\n\
             1:name=systemd:/system.slice/docker-9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d.scope\n",
            &[(Engine::Docker, "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d", None)],
        ),
        (
            // neuvector, TestDockerIDRancherOS: Docker in Docker.
            "neuvector RancherOS",
            "9:name=systemd:/docker/a9a5ad238e59234193ee7ec3fcff5e735b3708ea1068826952255b69e3cfa413/docker/ec08435e04266c5ba381fccbb829f626d11d8ddf5f8f547263c7a2d79ab4787a\n",
            &[
                (Engine::Docker, "a9a5ad238e59234193ee7ec3fcff5e735b3708ea1068826952255b69e3cfa413", None),
                (Engine::Docker, "ec08435e04266c5ba381fccbb829f626d11d8ddf5f8f547263c7a2d79ab4787a", None),
            ],
        ),
        (
            // neuvector, TestDockerIDKubepods3: the kubelet's cgroupfs
            // driver, a bare id under the pod; rdma left at the root.
            "neuvector kubepods cgroupfs",
            "8:pids:/kubepods/besteffort/pod1fe19bf5-e8ef-11e8-900c-52daee5a874d/da31e536c8d61304a6d5998d163d12400a7a9a1003e1d86369e8fadb022fc17d\n\
             3:rdma:/\n",
            &[(Engine::Containerd, "da31e536c8d61304a6d5998d163d12400a7a9a1003e1d86369e8fadb022fc17d", Some("1fe19bf5-e8ef-11e8-900c-52daee5a874d"))],
        ),
        (
            // neuvector, TestDockerIDKubepods2: kubelet and Docker on the
            // systemd driver.
            "neuvector kubepods systemd docker",
            "11:cpuset:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod045b1e35_7f13_11e7_ac42_0050568ffca0.slice/docker-b5b6f2da8008be266864f896f93789762b2ce50792114a5c5f2cc3315af0bc70.scope\n",
            &[(Engine::Docker, "b5b6f2da8008be266864f896f93789762b2ce50792114a5c5f2cc3315af0bc70", Some("045b1e35-7f13-11e7-ac42-0050568ffca0"))],
        ),
        (
            // neuvector, TestK8sBottleRocket: containerd's CRI plugin, systemd driver.
            "neuvector Bottlerocket",
            "11:cpuset:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-poddd1bf9d1_241d_47f5_8e25_12de83135812.slice/cri-containerd-f45298cd514d1930c4fe3afc4412e59547f7e3148fddd22ca33cefce046eb830.scope\n",
            &[(Engine::Containerd, "f45298cd514d1930c4fe3afc4412e59547f7e3148fddd22ca33cefce046eb830", Some("dd1bf9d1-241d-47f5-8e25-12de83135812"))],
        ),
        (
            // neuvector, TestK8sProxyProcess: a cgroup of its own inside the container's.
            "neuvector kube-proxy",
            "11:freezer:/kubepods/besteffort/podf8a694f2-7c08-11e9-98da-000c29077430/c04e0a88a1de067f25bece337d4dbb897396e0b623c2a65330850fc9823f1903/kube-proxy\n",
            &[(Engine::Containerd, "c04e0a88a1de067f25bece337d4dbb897396e0b623c2a65330850fc9823f1903", Some("f8a694f2-7c08-11e9-98da-000c29077430"))],
        ),
        (
            // netdata/netdata#4868 (systemd-cgls of a node): a static pod,
            // whose uid is 32 hex digits.
            "netdata static pod",
            "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod187bff14cccb94f179e943eacce55bb3.slice/cri-containerd-c203a2647ef1ad78e990157c50331f3b6ef0b03336cf08535d6bf7faa5421415.scope\n",
            &[(Engine::Containerd, "c203a2647ef1ad78e990157c50331f3b6ef0b03336cf08535d6bf7faa5421415", Some("187bff14cccb94f179e943eacce55bb3"))],
        ),
        (
            // containerd/containerd#4857 and the cgroupfs/systemd mismatch it
            // is about: runc given the systemd form, used as a path.
            "containerd colon form",
            "12:cpu,cpuacct:/system.slice/containerd.service/kubepods-besteffort-podb41662f7_b03a_4c65_8ef9_6e4e55c3cf27.slice:cri-containerd:1753b7cbbf62734d812936961224d5bc0cf8f45214e0d5cdd1a781a053e7c48f\n",
            &[(Engine::Containerd, "1753b7cbbf62734d812936961224d5bc0cf8f45214e0d5cdd1a781a053e7c48f", Some("b41662f7-b03a-4c65-8ef9-6e4e55c3cf27"))],
        ),
        (
            // opencontainers/runc#4620: CRI-O, systemd driver, cgroup v1.
            "runc#4620 CRI-O",
            "13:freezer:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda5c1f8d5_1919_434d_add7_4afaafdaef89.slice/crio-5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c.scope\n\
             11:files:/\n",
            &[(Engine::CriO, "5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c", Some("a5c1f8d5-1919-434d-add7-4afaafdaef89"))],
        ),
        (
            // kubernetes/minikube#11280 (systemd-cgls of a node, the path
            // put together): CRI-O pods inside minikube's Docker container.
            "minikube CRI-O in Docker",
            "0::/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2ca4a155_3599_498d_bb9d_4446693fa3ea.slice/crio-0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8bed0.scope\n",
            &[
                (Engine::Docker, "d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22", None),
                (Engine::CriO, "0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8bed0", Some("2ca4a155-3599-498d-bb9d-4446693fa3ea")),
            ],
        ),
        (
            // podman-container-tools/podman#20423: cgroup v2, systemd,
            // crun's inner `container` cgroup.
            "podman#20423",
            "0::/user.slice/user-0.slice/user@0.service/machine.slice/libpod-cf21d19260ace8544fe8b769fc2638bf2c0873dfbfff0b6253f0569b26a1d5eb.scope/container\n",
            &[(Engine::Podman, "cf21d19260ace8544fe8b769fc2638bf2c0873dfbfff0b6253f0569b26a1d5eb", None)],
        ),
        (
            // htop-dev/htop#217: LXC 4 on cgroup v1 and v2 (hybrid).
            "htop#217 LXC",
            "11:cpuset:/lxc.payload/example\n\
             2:memory:/lxc.payload/example/init.scope\n\
             0::/lxc.payload/example/init.scope\n",
            &[(Engine::Lxc, "example", None)],
        ),
        (
            // liske/needrestart#238: LXD on cgroup v2.
            "needrestart#238 LXD",
            "0::/lxc.payload.focal/system.slice/avahi-daemon.service\n",
            &[(Engine::Lxc, "focal", None)],
        ),
        (
            // rkt/rkt's documentation: a pod that machined registered.
            "rkt machined",
            "9:cpu,cpuacct:/machine.slice/machine-rkt\\x2d97910fdc\\x2d13ec\\x2d4025\\x2d8f93\\x2d5ddea0089eff.scope/system.slice/busybox.service\n",
            &[(Engine::Nspawn, "rkt-97910fdc-13ec-4025-8f93-5ddea0089eff", None)],
        ),
    ];
    for (source, text, want) in cases {
        let chain = chain_from_cgroup(text.as_bytes());
        assert_eq!(triples(&chain), *want, "{source}");
    }
}

/// systemd escapes a byte of a unit name as `\x` and two hex digits, and
/// only so: `\x+f` and `\xZZ` are the name's own characters.
#[test]
fn machine_names_keep_what_is_no_escape() {
    let text = "0::/machine.slice/machine-a\\x+fb\\xZZ\\x2dc.scope\n";
    let chain = chain_from_cgroup(text.as_bytes());
    assert_eq!(triples(&chain), [(Engine::Nspawn, "a\\x+fb\\xZZ-c", None)]);
}

#[test]
fn cgroup_look_alikes_are_no_containers() {
    let id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let texts = [
        // The daemons themselves, and the monitors next to the containers.
        "0::/system.slice/docker.service\n".to_owned(),
        "0::/system.slice/containerd.service\n".to_owned(),
        format!("0::/machine.slice/libpod-conmon-{id}.scope\n"),
        format!("0::/kubepods.slice/crio-conmon-{id}.scope\n"),
        "0::/lxc.monitor.c1\n".to_owned(),
        "11:cpuset:/lxc.monitor/example\n".to_owned(),
        // Ids of the wrong form: short, upper case, 63 digits, not hex.
        "12:pids:/docker/4f797c539e6c\n".to_owned(),
        format!("0::/system.slice/docker-{}.scope\n", id.to_uppercase()),
        format!("0::/docker/{}\n", &id[1..]),
        format!("0::/docker/{}g\n", &id[1..]),
        // A bare id outside a pod, and a pod directory with a bad uid.
        format!("0::/{id}\n"),
        format!("0::/kubepods/besteffort/podnot-a-uid/{id}x\n"),
        // A user's session, the host, nothing at all.
        "13:name=systemd:/user/1000.user/c2.session\n".to_owned(),
        "0::/user.slice/user-1000.slice/session-3.scope\n".to_owned(),
        "0::/\n".to_owned(),
        String::new(),
        "garbage without colons\n".to_owned(),
    ];
    for text in &texts {
        assert_eq!(chain_from_cgroup(text.as_bytes()), [], "{text:?}");
    }
}

#[test]
fn cgroup_bytes_of_any_kind_never_panic() {
    // Every prefix and a few byte flips of a real text: the parser is a pure
    // function over bytes, and must take any of them.
    let text = fixture("cgroup/containerd-v1-cgroupfs-kubepods.txt");
    for end in 0..text.len() {
        let _ = chain_from_cgroup(&text[..end]);
    }
    for (i, flip) in [
        (3usize, b':'),
        (20, b'/'),
        (40, b'\n'),
        (60, 0xff),
        (90, b'.'),
    ] {
        let mut bent = text.clone();
        if let Some(b) = bent.get_mut(i) {
            *b = flip;
        }
        let _ = chain_from_cgroup(&bent);
    }
}

// ---- recorded state files ----------------------------------------------

/// Options that read only the recorded state under `fixtures/containers`.
fn fixture_options() -> ContainerOptions {
    let f = fixtures();
    ContainerOptions {
        docker_roots: vec![f.join("docker")],
        docker_socket: None,
        containerd_task_dirs: vec![f.join("containerd-task")],
        storage_roots: vec![StorageRoots {
            graph: f.join("storage/graph"),
            run: f.join("storage/run"),
        }],
        machines_dir: f.join("no-machines"),
        list_from_api: false,
        api_timeout: Duration::from_secs(1),
    }
}

fn reference(engine: Engine, id: &str) -> ContainerRef {
    ContainerRef {
        engine,
        id: id.to_owned(),
        pod_uid: None,
    }
}

#[test]
fn docker_config_files_recorded_here() {
    let mut engines = Engines::new(fixture_options());
    let web = engines.resolve(&reference(Engine::Docker, WEB_1));
    assert_eq!(web.name.as_deref(), Some("web-1"));
    assert_eq!(web.image.as_deref(), Some("linuxns-rel-busybox:test"));
    assert_eq!(
        web.labels
            .get("com.docker.compose.project")
            .map(String::as_str),
        Some("demo")
    );
    assert_eq!(
        web.labels
            .get("com.docker.compose.service")
            .map(String::as_str),
        Some("web")
    );
    let shares = engines.resolve(&reference(Engine::Docker, SHARES_NET));
    assert_eq!(shares.name.as_deref(), Some("shares-net"));
    assert!(shares.labels.is_empty());
    assert!(engines.notes().is_empty(), "{:?}", engines.notes());

    // A file cut short, as one being written is: an id, no name, one note.
    let half = "b".repeat(64);
    let c = engines.resolve(&reference(Engine::Docker, &half));
    assert_eq!((c.id.as_str(), c.name.as_deref()), (half.as_str(), None));
    let notes = engines.notes();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("docker: ") && notes[0].contains("not JSON"),
        "{notes:?}"
    );

    // A container whose files are not there at all: no name, nothing to say.
    let gone = engines.resolve(&reference(Engine::Docker, &"c".repeat(64)));
    assert_eq!(gone.name, None);
    assert_eq!(engines.notes().len(), 1);
}

#[test]
fn containerd_bundles_recorded_here() {
    let mut engines = Engines::new(fixture_options());
    let chain = chain_from_cgroup(&fixture("cgroup/containerd-v1-cgroupfs-kubepods.txt"));
    let api = engines.resolve(&chain[0]);
    assert_eq!(api.engine, Engine::Containerd);
    assert_eq!(api.name.as_deref(), Some("api"));
    assert_eq!(api.pod.as_deref(), Some("web-7d9"));
    assert_eq!(api.pod_namespace.as_deref(), Some("default"));
    assert_eq!(api.pod_uid.as_deref(), Some(POD_UID));
    assert_eq!(
        api.image.as_deref(),
        Some("docker.io/library/linuxns-rel-busybox:test")
    );
    // The sandbox is named after its pod.
    let sandbox = engines.resolve(&reference(Engine::Containerd, SANDBOX));
    assert_eq!(sandbox.name.as_deref(), Some("web-7d9"));
    assert_eq!(sandbox.pod.as_deref(), Some("web-7d9"));
    // Docker's tasks (namespace moby) are Docker's: a bare id that only
    // Docker's state knows turns out a Docker container.
    let docker = engines.resolve(&reference(Engine::Containerd, SHARES_NET));
    assert_eq!(docker.engine, Engine::Docker);
    assert_eq!(docker.name.as_deref(), Some("shares-net"));
}

#[test]
fn podman_storage_recorded_here() {
    let mut engines = Engines::new(fixture_options());
    let chain = chain_from_cgroup(&fixture("cgroup/podman-v1-cgroupfs.txt"));
    let c = engines.resolve(&chain[0]);
    // podman's bundle carries two io.kubernetes.cri-o.* keys of its own,
    // and stays podman's.
    assert_eq!(c.engine, Engine::Podman);
    assert_eq!(c.name.as_deref(), Some("pm1"));
    assert_eq!(
        c.image.as_deref(),
        Some("localhost/linuxns-rel-busybox:test")
    );
    assert_eq!(
        c.labels.get("io.container.manager").map(String::as_str),
        Some("libpod")
    );
}

#[test]
fn state_that_cannot_be_read_is_a_note_not_an_error() {
    let dir = tempdir("unreadable");
    // Files where folders should be: every engine's state is unreadable.
    let file = dir.join("a-file");
    fs::write(&file, b"").unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let options = ContainerOptions {
        docker_roots: vec![file.clone()],
        docker_socket: Some(dir.join("no-socket")),
        containerd_task_dirs: vec![file.clone()],
        storage_roots: vec![StorageRoots {
            graph: file.clone(),
            run: file.clone(),
        }],
        machines_dir: file.clone(),
        list_from_api: false,
        api_timeout: Duration::from_millis(300),
    };
    let mut engines = Engines::new(options);
    let c = engines.resolve(&reference(Engine::Docker, WEB_1));
    assert_eq!((c.engine, c.name), (Engine::Docker, None));
    assert!(engines.running().is_empty());
    let notes = engines.notes();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("docker: ") && n.contains("no-socket")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("containerd: ") && n.contains("Not a directory")),
        "{notes:?}"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_docker_socket_that_never_answers_costs_the_timeout_once() {
    let dir = tempdir("silent-socket");
    let path = dir.join("docker.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Accepts and reads, never answers.
    let server = std::thread::spawn(move || {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept() {
            held.push(conn);
            if held.len() > 1 {
                break;
            }
        }
        held.len()
    });
    let options = ContainerOptions {
        docker_roots: vec![dir.join("no-root")],
        docker_socket: Some(path.clone()),
        api_timeout: Duration::from_millis(200),
        ..fixture_options()
    };
    let mut engines = Engines::new(options);
    let first = engines.resolve(&reference(Engine::Docker, WEB_1));
    let second = engines.resolve(&reference(Engine::Docker, SHARES_NET));
    assert_eq!((first.name, second.name), (None, None));
    let notes = engines.notes();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("no answer within the time allowed")),
        "{notes:?}"
    );
    // One connection only: the second container did not ask again. A
    // connection of our own ends the server's loop.
    let _ = std::os::unix::net::UnixStream::connect(&path);
    assert_eq!(server.join().ok(), Some(2));
    let _ = fs::remove_dir_all(&dir);
}

fn tempdir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("linuxns-rel-{what}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

// ---- the real engines ---------------------------------------------------

const IMAGE: &str = "linuxns-rel-busybox:test";

/// The engines' tests run one at a time: they share the daemons.
fn engines_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Brings the test bed up once per test binary; why not, where it cannot.
fn testbed() -> Result<(), String> {
    static UP: OnceLock<Result<(), String>> = OnceLock::new();
    UP.get_or_init(|| {
        if !is_root() {
            return Err("the engines need root".into());
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/docker-testbed.sh");
        run("bash", &[script.to_str().unwrap_or_default(), "up"]).map(|_| ())
    })
    .clone()
}

/// Runs a command; its stdout, or why it failed.
fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {args:?}: {}: {} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn docker(args: &[&str]) -> String {
    run("/usr/bin/docker", args).unwrap_or_else(|e| panic!("{e}"))
}

/// Docker containers made by a test, removed by id when it ends.
struct DockerContainers(Vec<String>);

impl DockerContainers {
    fn run(&mut self, args: &[&str]) -> String {
        let mut all = vec!["run", "-d"];
        all.extend_from_slice(args);
        let id = docker(&all);
        self.0.push(id.clone());
        id
    }
}

impl Drop for DockerContainers {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(self.0.iter().map(String::as_str));
            let _ = run("/usr/bin/docker", &args);
        }
    }
}

/// What `docker inspect` says of a container: name, image, pid, labels.
fn inspect(id: &str) -> (String, String, i32, BTreeMap<String, String>) {
    let out = docker(&["inspect", id]);
    let value: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("docker inspect: {e}"));
    let c = &value[0];
    let labels = c["Config"]["Labels"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    (
        c["Name"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_owned(),
        c["Config"]["Image"].as_str().unwrap_or_default().to_owned(),
        c["State"]["Pid"].as_i64().unwrap_or_default() as i32,
        labels,
    )
}

/// The inode of a process's namespace of that type, read by stat(2).
fn ns_ino(pid: impl std::fmt::Display, t: NsType) -> u64 {
    ino(&format!("/proc/{pid}/ns/{}", t.name()))
}

fn find<'a>(list: &'a [Container], id: &str) -> &'a Container {
    list.iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{id} not listed"))
}

#[test]
fn docker_containers_match_docker_inspect_and_proc() {
    let _turn = engines_turn();
    if let Err(why) = testbed() {
        return skip(&why);
    }
    let tag = format!("lnsrel-{}", std::process::id());
    let name = |n: &str| format!("{tag}-{n}");
    let mut made = DockerContainers(Vec::new());
    let plain = made.run(&[
        "--name",
        &name("web"),
        "--label",
        &format!("com.docker.compose.project={tag}"),
        "--label",
        "com.docker.compose.service=web",
        IMAGE,
        "sleep",
        "3600",
    ]);
    let net_of = made.run(&[
        "--name",
        &name("shares-net"),
        "--network",
        &format!("container:{plain}"),
        IMAGE,
        "sleep",
        "3600",
    ]);
    let host_net = made.run(&[
        "--name",
        &name("host-net"),
        "--network",
        "host",
        IMAGE,
        "sleep",
        "3600",
    ]);
    let host_pid = made.run(&[
        "--name",
        &name("host-pid"),
        "--pid",
        "host",
        IMAGE,
        "sleep",
        "3600",
    ]);
    let ipc = made.run(&[
        "--name",
        &name("ipc"),
        "--ipc",
        "shareable",
        IMAGE,
        "sleep",
        "3600",
    ]);
    let ipc_joiner = made.run(&[
        "--name",
        &name("ipc-joiner"),
        "--ipc",
        &format!("container:{ipc}"),
        IMAGE,
        "sleep",
        "3600",
    ]);
    let ours = [&plain, &net_of, &host_net, &host_pid, &ipc, &ipc_joiner];

    let mut engines = Engines::new(ContainerOptions::default());
    let listed = engines.running();
    for id in ours {
        let c = find(&listed, id);
        let (name, image, pid, labels) = inspect(id);
        assert_eq!(c.engine, Engine::Docker);
        assert_eq!(c.name.as_deref(), Some(name.as_str()), "{id}");
        assert_eq!(c.image.as_deref(), Some(image.as_str()), "{id}");
        assert_eq!(c.pid, Some(pid), "{id}");
        assert_eq!(c.labels, labels, "{id}");
        // Its namespaces, against the init's links read by stat(2).
        let namespaces = namespaces_of_pid(pid);
        assert_eq!(namespaces.len(), 8, "{id}: {namespaces:?}");
        for (t, ino) in namespaces {
            assert_eq!(ino, ns_ino(pid, t), "{id} {t}");
        }
        // And the other way round: the process names its container.
        let chain = engines.containers_of_pid(pid);
        assert_eq!(chain.len(), 1, "{id}: {chain:?}");
        assert_eq!((&chain[0].id, &chain[0].name), (&c.id, &c.name));
    }
    let pid_of = |id: &str| find(&listed, id).pid.unwrap_or_default();
    let ns = |id: &str, t| ns_ino(pid_of(id), t);
    assert_eq!(ns(&net_of, NsType::Net), ns(&plain, NsType::Net));
    assert_ne!(ns(&net_of, NsType::Uts), ns(&plain, NsType::Uts));
    assert_eq!(ns(&host_net, NsType::Net), ns_ino("self", NsType::Net));
    assert_ne!(ns(&plain, NsType::Net), ns_ino("self", NsType::Net));
    assert_eq!(ns(&host_pid, NsType::Pid), ns_ino("self", NsType::Pid));
    assert_eq!(ns(&ipc_joiner, NsType::Ipc), ns(&ipc, NsType::Ipc));
    assert_ne!(ns(&ipc_joiner, NsType::Ipc), ns(&plain, NsType::Ipc));
    assert!(engines.notes().is_empty(), "{:?}", engines.notes());
}

#[test]
fn docker_rename_and_stop_are_seen_on_the_next_read() {
    let _turn = engines_turn();
    if let Err(why) = testbed() {
        return skip(&why);
    }
    let tag = format!("lnsrel-{}", std::process::id());
    let mut made = DockerContainers(Vec::new());
    let renamed = made.run(&["--name", &format!("{tag}-before"), IMAGE, "sleep", "3600"]);
    let stopping = made.run(&["--name", &format!("{tag}-stopping"), IMAGE, "sleep", "3600"]);

    let before = Engines::new(ContainerOptions::default()).running();
    assert_eq!(find(&before, &renamed).name, Some(format!("{tag}-before")));
    docker(&["rename", &renamed, &format!("{tag}-after")]);
    let after = Engines::new(ContainerOptions::default()).running();
    assert_eq!(find(&after, &renamed).name, Some(format!("{tag}-after")));
    assert_eq!(inspect(&renamed).0, format!("{tag}-after"));

    // Scans run while the container stops: each either lists it with its
    // init or leaves it out, and none fails.
    let stopper = {
        let id = stopping.clone();
        std::thread::spawn(move || run("/usr/bin/docker", &["stop", "-t", "0", &id]))
    };
    let mut scans = 0;
    while !stopper.is_finished() || scans == 0 {
        let listed = Engines::new(ContainerOptions::default()).running();
        if let Some(c) = listed.iter().find(|c| c.id == stopping) {
            assert!(c.pid.is_some(), "{c:?}");
        }
        assert!(listed.iter().any(|c| c.id == renamed));
        scans += 1;
    }
    assert!(matches!(stopper.join(), Ok(Ok(_))));
    let stopped = Engines::new(ContainerOptions::default()).running();
    assert!(!stopped.iter().any(|c| c.id == stopping), "{stopped:?}");
    println!("{scans} scans while the container stopped");
}

/// A user in the `docker` group, made if missing (and left, for the next
/// run): `linuxns-rel-docker`.
const DOCKER_USER: &str = "linuxns-rel-docker";

#[test]
fn docker_names_through_the_api_for_a_docker_group_user() {
    let _turn = engines_turn();
    if let Err(why) = testbed() {
        return skip(&why);
    }
    if run("id", &[DOCKER_USER]).is_err() {
        if let Err(why) = run(
            "useradd",
            &["--system", "--no-create-home", "-G", "docker", DOCKER_USER],
        ) {
            return skip(&format!("cannot add a user to the docker group: {why}"));
        }
    }
    let tag = format!("lnsrel-{}", std::process::id());
    let mut made = DockerContainers(Vec::new());
    let id = made.run(&[
        "--name",
        &format!("{tag}-api"),
        "--label",
        "com.docker.compose.service=api",
        IMAGE,
        "sleep",
        "3600",
    ]);
    // This test binary, copied where the user may run it (the clone may be
    // readable by root alone), runs the child test below as that user.
    let dir = tempdir("api-child");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let exe = dir.join("containers-test");
    let this = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
    fs::copy(&this, &exe).unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
    let out_file = dir.join("out");
    fs::write(&out_file, b"").unwrap_or_else(|e| panic!("{}: {e}", out_file.display()));
    fs::set_permissions(&out_file, fs::Permissions::from_mode(0o666))
        .unwrap_or_else(|e| panic!("{}: {e}", out_file.display()));
    let out = run(
        "setpriv",
        &[
            &format!("--reuid={DOCKER_USER}"),
            &format!("--regid={DOCKER_USER}"),
            "--init-groups",
            "env",
            &format!("LINUXNS_REL_API_OUT={}", dir.join("out").display()),
            exe.to_str().unwrap_or_default(),
            "--exact",
            "listed_as_a_docker_group_user",
            "--ignored",
            "--test-threads=1",
        ],
    );
    let listed = fs::read_to_string(dir.join("out"));
    let _ = fs::remove_dir_all(&dir);
    out.unwrap_or_else(|e| panic!("{e}"));
    let listed = listed.unwrap_or_else(|e| panic!("the child's output: {e}"));
    let (name, image, pid, labels) = inspect(&id);
    let line = listed
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{id} not listed through the API:\n{listed}"));
    assert_eq!(
        line,
        format!("{id} {name} {image} {pid} {}", labels.len()),
        "{listed}"
    );
    // The files were out of reach, and the notes said nothing: the API answered.
    assert!(listed.lines().any(|l| l == "notes 0"), "{listed}");
}

/// Run by the test above, as a user in the `docker` group: lists the
/// running containers (through the API, /var/lib/docker being root's) into
/// the file it is told.
#[test]
#[ignore = "run as another user by docker_names_through_the_api_for_a_docker_group_user"]
fn listed_as_a_docker_group_user() {
    let Ok(out) = std::env::var("LINUXNS_REL_API_OUT") else {
        return skip("only run by docker_names_through_the_api_for_a_docker_group_user");
    };
    assert!(!is_root());
    assert!(fs::read_dir("/var/lib/docker/containers").is_err());
    let options = ContainerOptions {
        // The standalone containerd's and podman's state are root's too.
        containerd_task_dirs: Vec::new(),
        storage_roots: Vec::new(),
        ..ContainerOptions::default()
    };
    let mut engines = Engines::new(options);
    let mut text = String::new();
    for c in engines.running() {
        text += &format!(
            "{} {} {} {} {}\n",
            c.id,
            c.name.unwrap_or_default(),
            c.image.unwrap_or_default(),
            c.pid.unwrap_or_default(),
            c.labels.len()
        );
    }
    text += &format!("notes {}\n", engines.notes().len());
    let mut file = fs::File::create(&out).unwrap_or_else(|e| panic!("{out}: {e}"));
    file.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("{out}: {e}"));
}

/// A random 64-hex id, as the CRI plugin makes them.
fn random_id() -> String {
    let bytes = fs::read("/proc/sys/kernel/random/uuid").unwrap_or_default();
    let more = fs::read("/proc/sys/kernel/random/uuid").unwrap_or_default();
    let hex: String = [bytes, more]
        .concat()
        .iter()
        .filter(|b| b.is_ascii_hexdigit())
        .map(|&b| b as char)
        .collect();
    hex.get(..64).unwrap_or_default().to_owned()
}

/// containerd tasks made by a test in namespace k8s.io, removed when it ends.
struct CtrTasks(Vec<String>);

impl Drop for CtrTasks {
    fn drop(&mut self) {
        for id in self.0.iter().rev() {
            let _ = run("ctr", &["-n", "k8s.io", "task", "kill", "-s", "KILL", id]);
        }
        for id in self.0.iter().rev() {
            for _ in 0..50 {
                if run("ctr", &["-n", "k8s.io", "task", "delete", id]).is_ok() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = run("ctr", &["-n", "k8s.io", "container", "delete", id]);
        }
    }
}

#[test]
fn containerd_pod_made_as_the_cri_plugin_makes_it() {
    let _turn = engines_turn();
    if let Err(why) = testbed() {
        return skip(&why);
    }
    let image = format!("docker.io/library/{IMAGE}");
    let pod_uid =
        String::from_utf8_lossy(&fs::read("/proc/sys/kernel/random/uuid").unwrap_or_default())
            .trim()
            .to_owned();
    let pod_name = format!("web-{}", std::process::id());
    let sandbox = random_id();
    let mut made = CtrTasks(Vec::new());
    let annotations = |id: &str, kind: &str| {
        let mut a = vec![
            format!("io.kubernetes.cri.container-type={kind}"),
            format!("io.kubernetes.cri.sandbox-id={sandbox}"),
            format!("io.kubernetes.cri.sandbox-name={pod_name}"),
            "io.kubernetes.cri.sandbox-namespace=default".to_owned(),
            format!("io.kubernetes.cri.sandbox-uid={pod_uid}"),
        ];
        if kind == "container" {
            a.push(format!("io.kubernetes.cri.container-name={id}"));
            a.push(format!("io.kubernetes.cri.image-name={image}"));
        }
        a
    };
    let ctr_run = |made: &mut CtrTasks, id: &str, extra: Vec<String>| {
        let cgroup = format!("/kubepods/besteffort/pod{pod_uid}/{id}");
        let mut args: Vec<String> = [
            "-n",
            "k8s.io",
            "run",
            "-d",
            "--null-io",
            "--cgroup",
            &cgroup,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra);
        args.extend([image.clone(), id.to_owned(), "sleep".into(), "3600".into()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        made.0.push(id.to_owned());
        run("ctr", &refs).unwrap_or_else(|e| panic!("{e}"));
    };
    let with_annotations = |list: Vec<String>| {
        list.into_iter()
            .flat_map(|a| ["--annotation".to_owned(), a])
            .collect::<Vec<_>>()
    };
    ctr_run(
        &mut made,
        &sandbox,
        with_annotations(annotations("", "sandbox")),
    );
    let task_dir = Path::new("/run/containerd/io.containerd.runtime.v2.task/k8s.io");
    let init_pid = |id: &str| -> i32 {
        fs::read_to_string(task_dir.join(id).join("init.pid"))
            .unwrap_or_else(|e| panic!("{id}: {e}"))
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{id}: {e}"))
    };
    let sandbox_pid = init_pid(&sandbox);
    let mut members = Vec::new();
    for _ in 0..2 {
        let id = random_id();
        let mut extra = Vec::new();
        for (flag, t) in [("network", "net"), ("ipc", "ipc"), ("uts", "uts")] {
            extra.push("--with-ns".to_owned());
            extra.push(format!("{flag}:/proc/{sandbox_pid}/ns/{t}"));
        }
        extra.extend(with_annotations(annotations(&id, "container")));
        ctr_run(&mut made, &id, extra);
        members.push(id);
    }

    let mut engines = Engines::new(ContainerOptions::default());
    let listed = engines.running();
    let sb = find(&listed, &sandbox);
    assert_eq!(sb.engine, Engine::Containerd);
    assert_eq!(sb.name.as_deref(), Some(pod_name.as_str()));
    assert_eq!(sb.pid, Some(sandbox_pid));
    for id in &members {
        let c = find(&listed, id);
        let pid = init_pid(id);
        assert_eq!(c.pid, Some(pid));
        assert_eq!(c.name.as_deref(), Some(id.as_str()));
        assert_eq!(c.pod.as_deref(), Some(pod_name.as_str()));
        assert_eq!(c.pod_namespace.as_deref(), Some("default"));
        assert_eq!(c.pod_uid.as_deref(), Some(pod_uid.as_str()));
        assert_eq!(c.image.as_deref(), Some(image.as_str()));
        for t in [NsType::Net, NsType::Ipc, NsType::Uts] {
            assert_eq!(ns_ino(pid, t), ns_ino(sandbox_pid, t), "{id} {t}");
        }
        assert_ne!(ns_ino(pid, NsType::Mnt), ns_ino(sandbox_pid, NsType::Mnt));
        // From the process: its cgroup names the container and the pod.
        let chain = engines.containers_of_pid(pid);
        assert_eq!(chain.len(), 1, "{chain:?}");
        assert_eq!(chain[0].id, *id);
        assert_eq!(chain[0].pod_uid.as_deref(), Some(pod_uid.as_str()));
        assert_eq!(chain[0].pod.as_deref(), Some(pod_name.as_str()));
    }
}

/// podman as Debian installs it fails to start a container here: root lacks
/// CAP_SYS_RESOURCE, and podman asks for the highest open-file and process
/// limits. With limits no higher than the caller's it runs; the same can be
/// set for every container in containers.conf (`default_ulimits`).
const PODMAN_LIMITS: [&str; 4] = [
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=1024:1024",
];

#[test]
fn podman_container_matches_podman_inspect() {
    let _turn = engines_turn();
    if let Err(why) = testbed() {
        return skip(&why);
    }
    let name = format!("lnsrel-{}-podman", std::process::id());
    let mut args = vec!["run", "-d", "--name", &name];
    args.extend(PODMAN_LIMITS);
    let image = format!("localhost/{IMAGE}");
    args.extend([image.as_str(), "sleep", "3600"]);
    let id = match run("podman", &args) {
        Ok(id) => id,
        Err(why) => return skip(&format!("podman cannot run a container here: {why}")),
    };
    struct Removed(String);
    impl Drop for Removed {
        fn drop(&mut self) {
            let _ = run("podman", &["rm", "-f", "-t", "0", &self.0]);
        }
    }
    let _removed = Removed(id.clone());
    let pid: i32 = run("podman", &["inspect", "-f", "{{.State.Pid}}", &id])
        .unwrap_or_else(|e| panic!("{e}"))
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut engines = Engines::new(ContainerOptions::default());
    let listed = engines.running();
    let c = find(&listed, &id);
    assert_eq!(c.engine, Engine::Podman);
    assert_eq!(c.name.as_deref(), Some(name.as_str()));
    assert_eq!(c.image.as_deref(), Some(image.as_str()));
    assert_eq!(c.pid, Some(pid));
    for (t, ino) in namespaces_of_pid(pid) {
        assert_eq!(ino, ns_ino(pid, t));
    }
    let chain = engines.containers_of_pid(pid);
    assert_eq!(chain.len(), 1, "{chain:?}");
    assert_eq!(
        (chain[0].engine, chain[0].name.as_deref()),
        (Engine::Podman, Some(name.as_str()))
    );
}

#[test]
fn docker_userns_remap_keeps_its_state_under_the_remapped_root() {
    let _turn = engines_turn();
    if let Err(why) = testbed() {
        return skip(&why);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/docker-testbed.sh");
    let root = match run("bash", &[script.to_str().unwrap_or_default(), "up-remap"]) {
        Ok(root) => PathBuf::from(root),
        Err(why) => return skip(&format!("dockerd --userns-remap cannot run here: {why}")),
    };
    let socket = root.with_file_name("docker.sock");
    let host = format!("unix://{}", socket.display());
    let remapped = |args: &[&str]| {
        let mut all = vec!["-H", host.as_str()];
        all.extend_from_slice(args);
        run("/usr/bin/docker", &all).unwrap_or_else(|e| panic!("{e}"))
    };
    let name = format!("lnsrel-{}-remapped", std::process::id());
    let id = remapped(&["run", "-d", "--name", &name, IMAGE, "sleep", "3600"]);
    struct Removed<'a>(&'a dyn Fn(&[&str]) -> String, String);
    impl Drop for Removed<'_> {
        fn drop(&mut self) {
            (self.0)(&["rm", "-f", &self.1]);
        }
    }
    let _removed = Removed(&remapped, id.clone());
    let pid: i32 = remapped(&["inspect", "-f", "{{.State.Pid}}", &id])
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));

    // Its files are under <root>/<uid>.<gid>/containers, which the daemon's
    // socket is not needed to find.
    let options = ContainerOptions {
        docker_roots: vec![root.clone()],
        docker_socket: None,
        ..ContainerOptions::default()
    };
    let mut engines = Engines::new(options);
    let listed = engines.running();
    let c = find(&listed, &id);
    assert_eq!(c.name.as_deref(), Some(name.as_str()));
    assert_eq!(c.pid, Some(pid));
    // A user namespace of its own, mapping root to the remapped range.
    assert_ne!(ns_ino(pid, NsType::User), ns_ino("self", NsType::User));
    let uid_map = fs::read_to_string(format!("/proc/{pid}/uid_map")).unwrap_or_default();
    let first: Vec<&str> = uid_map.split_whitespace().take(2).collect();
    assert_eq!(first.first(), Some(&"0"), "{uid_map}");
    assert_ne!(first.get(1), Some(&"0"), "{uid_map}");
    let in_root = root.join(format!("{0}.{0}", first.get(1).unwrap_or(&"")));
    assert!(in_root.join("containers").join(&id).is_dir());
    for (t, ino) in namespaces_of_pid(pid) {
        assert_eq!(ino, ns_ino(pid, t), "{t}");
    }
    assert_eq!(
        engines.containers_of_pid(pid)[0].name.as_deref(),
        Some(name.as_str())
    );
}
