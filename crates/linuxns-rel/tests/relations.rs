//! The relations ioctls against real namespaces, checked against the inodes
//! that stat(2) gives for /proc/PID/ns links.

use std::fs;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use linuxns_rel::{
    get_nstype, get_owner_uid, get_parentns, get_userns, open_ns, Error, NsRef, NsType, Syscall,
};
use nix::errno::Errno;
use nix::sys::stat::fstat;

mod common;
use common::{ino, is_root, sleeper, Kid, ALL_TYPES_SLEEPER, PID_TWO_DEEP_SLEEPER};

/// A process in new namespaces: the `sleep` at the end of a command, which
/// ends with the test.
struct Sleeper {
    _kid: Kid,
    /// The pids from the started process down to the sleep.
    chain: Vec<i32>,
    pid: i32,
}

impl Sleeper {
    fn start(argv: &[&str]) -> Sleeper {
        let (kid, chain) = sleeper(argv);
        let pid = chain[chain.len() - 1];
        Sleeper {
            _kid: kid,
            chain,
            pid,
        }
    }

    fn ns(&self, kind: &str) -> String {
        format!("/proc/{}/ns/{kind}", self.pid)
    }
}

fn fd_ino(fd: &OwnedFd) -> u64 {
    fstat(fd.as_fd())
        .map(|st| st.st_ino)
        .unwrap_or_else(|e| panic!("fstat: {e}"))
}

#[test]
fn nstype_of_every_own_namespace_matches_its_name() {
    for t in NsType::ALL {
        let path = format!("/proc/self/ns/{}", t.name());
        assert_eq!(get_nstype(path.as_str()), Ok(t.flag()), "{path}");
        let file = fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(get_nstype(&file).map(NsType::from_flag), Ok(Some(t)));
    }
    assert_eq!(NsType::from_flag(0), None);
}

#[test]
fn owner_of_every_type_in_a_new_user_namespace() {
    let s = Sleeper::start(ALL_TYPES_SLEEPER);
    let user = ino(&s.ns("user"));
    for t in NsType::ALL {
        let owner = get_userns(s.ns(t.name()).as_str()).unwrap_or_else(|e| panic!("{t}: {e}"));
        let expected = if t == NsType::User {
            ino("/proc/self/ns/user")
        } else {
            user
        };
        assert_eq!(fd_ino(&owner), expected, "{t}");
    }
}

#[test]
fn parents_of_three_nested_user_namespaces() {
    let top = Sleeper::start(&["unshare", "-Ur", "sleep", "infinity"]);
    let pid = top.pid.to_string();
    let enter = ["nsenter", "--preserve-credentials", "-U", "-t"];
    let middle = Sleeper::start(
        &[
            &enter[..],
            &[pid.as_str(), "unshare", "-Ur", "sleep", "infinity"],
        ]
        .concat(),
    );
    let pid = middle.pid.to_string();
    let bottom = Sleeper::start(
        &[
            &enter[..],
            &[pid.as_str(), "unshare", "-Ur", "sleep", "infinity"],
        ]
        .concat(),
    );

    let mut ns = open_ns(bottom.ns("user")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fd_ino(&ns), ino(&bottom.ns("user")));
    for expected in [
        ino(&middle.ns("user")),
        ino(&top.ns("user")),
        ino("/proc/self/ns/user"),
    ] {
        ns = get_parentns(&ns).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fd_ino(&ns), expected);
    }
    // Above the caller's own user namespace nothing is visible.
    assert_eq!(
        get_parentns(&ns).map(|_| ()).map_err(|e| e.errno),
        Err(Errno::EPERM)
    );
}

#[test]
fn parents_of_a_pid_namespace_two_levels_deep() {
    let s = Sleeper::start(PID_TWO_DEEP_SLEEPER);
    let level1 = s.chain[1];
    let parent = get_parentns(s.ns("pid").as_str()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fd_ino(&parent), ino(&format!("/proc/{level1}/ns/pid")));
    assert_ne!(fd_ino(&parent), ino(&s.ns("pid")));
    let grandparent = get_parentns(&parent).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fd_ino(&grandparent), ino("/proc/self/ns/pid"));
}

#[test]
fn owner_uid_is_the_creator() {
    let own = Sleeper::start(&["unshare", "-U", "sleep", "infinity"]);
    assert_eq!(
        get_owner_uid(own.ns("user").as_str()),
        Ok(nix::unistd::geteuid().as_raw())
    );
    if !is_root() {
        eprintln!("skipped: a namespace created by uid 1000 needs root to start");
        return;
    }
    let other = Sleeper::start(&[
        "setpriv",
        "--reuid=1000",
        "--regid=1000",
        "--clear-groups",
        "unshare",
        "-U",
        "sleep",
        "infinity",
    ]);
    assert_eq!(get_owner_uid(other.ns("user").as_str()), Ok(1000));
}

#[test]
fn errors_keep_errno_syscall_and_path() {
    let err = |errno, syscall, path: Option<&str>| Error {
        errno,
        syscall,
        path: path.map(Into::into),
    };
    let user = "/proc/self/ns/user";
    assert_eq!(
        get_parentns(user).err(),
        Some(err(Errno::EPERM, Syscall::Ioctl, Some(user)))
    );
    let net = "/proc/self/ns/net";
    assert_eq!(
        get_parentns(net).err(),
        Some(err(Errno::EINVAL, Syscall::Ioctl, Some(net)))
    );
    assert_eq!(
        get_owner_uid(net).err(),
        Some(err(Errno::EINVAL, Syscall::Ioctl, Some(net)))
    );
    assert_eq!(
        get_nstype("/dev/null").err(),
        Some(err(Errno::ENOTTY, Syscall::Ioctl, Some("/dev/null")))
    );
    let missing = "/proc/self/ns/none";
    assert_eq!(
        get_nstype(missing).err(),
        Some(err(Errno::ENOENT, Syscall::Open, Some(missing)))
    );
    assert_eq!(
        get_nstype(NsRef::Fd(-1)).err(),
        Some(err(Errno::EBADF, Syscall::Ioctl, None))
    );
    let devnull = fs::File::open("/dev/null").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        get_userns(&devnull).err(),
        Some(err(Errno::ENOTTY, Syscall::Ioctl, None))
    );
}

#[test]
fn returned_namespaces_are_close_on_exec() {
    let ns = get_userns("/proc/self/ns/net").unwrap_or_else(|e| panic!("{e}"));
    let flags = nix::fcntl::fcntl(ns.as_fd(), nix::fcntl::FcntlArg::F_GETFD);
    assert_eq!(flags, Ok(libc::FD_CLOEXEC), "fd {}", ns.as_raw_fd());
}
