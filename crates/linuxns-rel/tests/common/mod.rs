//! What the integration tests share: processes in real namespaces, ended
//! when the test ends, and ground truth read from /proc.
#![allow(dead_code)] // each test file uses its own part of this

pub mod no_bpf;
pub mod older_kernel;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::thread::sleep;
use std::time::{Duration, Instant};

use linuxns_rel::discover::{discover, DiscoverOptions, Discovery};
use linuxns_rel::Error;

/// A command that ends in a process in new namespaces of all eight types,
/// all owned by a new user namespace.
pub const ALL_TYPES_SLEEPER: &[&str] = &[
    "unshare",
    "-Ur",
    "--net",
    "--uts",
    "--ipc",
    "--mount",
    "--cgroup",
    "--time",
    "--pid",
    "--fork",
    "--kill-child",
    "sleep",
    "infinity",
];

/// A command that ends in a process two PID namespaces below ours (chain:
/// unshare, the first namespace's init, the sleep), in a new user namespace.
pub const PID_TWO_DEEP_SLEEPER: &[&str] = &[
    "unshare",
    "-Urpf",
    "--kill-child",
    "unshare",
    "-pf",
    "--kill-child",
    "sleep",
    "infinity",
];

/// A started process, killed and reaped when dropped, pass or fail.
pub struct Kid(pub Child);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The direct children of a process.
pub fn children(pid: i32) -> Vec<i32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// The inode that stat(2) gives for a path, such as a /proc/PID/ns link.
pub fn ino(path: &str) -> u64 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .ino()
}

/// Starts `argv` with no stdin and stdout; stderr shows in the test's output.
pub fn spawn(argv: &[&str]) -> Child {
    Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {argv:?}: {e}"))
}

/// Starts `argv`, which ends in `sleep infinity` (perhaps in a forked
/// child, as `unshare --fork` makes), waits until that sleep runs, and
/// returns the process with the pids from it down to the sleep.
pub fn sleeper(argv: &[&str]) -> (Kid, Vec<i32>) {
    let child = spawn(argv);
    let top = child.id() as i32;
    let mut kid = Kid(child);
    let start = Instant::now();
    loop {
        let mut chain = vec![top];
        while let Some(next) = chain.last().and_then(|&p| children(p).first().copied()) {
            chain.push(next);
        }
        let last = *chain.last().unwrap_or(&top);
        if is_sleeping(last) {
            return (kid, chain);
        }
        if let Ok(Some(status)) = kid.0.try_wait() {
            panic!("{argv:?} exited with {status} before reaching its sleep");
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{argv:?} did not reach its sleep"
        );
        sleep(Duration::from_millis(10));
    }
}

/// `count` sleeping processes that share their namespaces: the children of
/// the init of a new PID namespace (in a new user namespace), all ended
/// with it. Returns it, with the sleeps' pids once all of them run.
pub fn crowd(count: usize) -> (Kid, Vec<i32>) {
    let script = format!("for i in $(seq {count}); do sleep infinity & done; exec sleep infinity");
    let (kid, chain) = sleeper(&[
        "unshare",
        "-Ur",
        "--pid",
        "--fork",
        "--kill-child",
        "sh",
        "-c",
        &script,
    ]);
    let init = *chain
        .get(1)
        .unwrap_or_else(|| panic!("no init in {chain:?}"));
    let start = Instant::now();
    loop {
        let sleeps: Vec<i32> = children(init)
            .into_iter()
            .filter(|&p| is_sleeping(p))
            .collect();
        if sleeps.len() >= count {
            return (kid, sleeps);
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the crowd did not start"
        );
        sleep(Duration::from_millis(20));
    }
}

/// Whether a process runs `sleep` with its command line in place: comm
/// changes a moment before exec sets up argv, and until then
/// /proc/PID/cmdline reads empty.
pub fn is_sleeping(pid: i32) -> bool {
    fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"sleep\0"))
}

/// A bind mount, unmounted when the test ends; lazily, as an fd opened
/// through it keeps it busy.
pub struct Mounted(pub PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// `mount --bind source target` (root only).
pub fn bind(source: &str, target: &Path) -> Mounted {
    let status = Command::new("mount")
        .arg("--bind")
        .arg(source)
        .arg(target)
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "mount --bind {source} {}",
        target.display()
    );
    Mounted(target.to_owned())
}

/// `discover`, one at a time within a test binary. A discovery holds
/// namespace fds of its own for a moment, and another one running in the
/// same process at that moment would rightly report them.
pub fn discover_alone(options: &DiscoverOptions) -> Result<Discovery, Error> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    discover(options)
}

/// Runs one `#[ignore]`d test of this test binary in a process of its own,
/// started through `wrapper` (such as `setpriv ...`, or none) with `env`
/// set, and panics unless it passed. Gives what it wrote on stderr.
pub fn run_ignored_alone(test: &str, wrapper: &[&str], env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let out = command
        .args(["--ignored", "--exact", test, "--nocapture"])
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {test} in a process of its own: {e}"));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}{stderr}");
    stderr.into_owned()
}
