//! Every task's namespaces and every namespace-holding file, read inside the
//! kernel in one pass of two BPF iterators (`bpf/ns_tasks.bpf.c` and
//! `bpf/ns_files.bpf.c`), where the /proc scan reads a link per process and
//! type; and the argv\[0\] of the first process of each namespace of the
//! types asked for, where discovery would read its `/proc/PID/cmdline`.
//!
//! Each program comes as the light skeleton bpftool generates from its
//! object (`bpf/regenerate.sh`): a loader program and its data, which the
//! kernel runs to load it, relocating it against its own BTF. Where the
//! fields of a few kernel types lie, the scan reads from that BTF itself
//! (`layout.rs`) and gives the programs before they run. Each [`scan`] loads
//! both at once, each on a thread of its own, runs each iterator once as
//! soon as it is loaded, and closes every descriptor, so nothing stays
//! loaded or pinned.
//!
//! ```no_run
//! match linuxns_rel::bpf_scan::scan(&[]) {
//!     Ok(snapshot) => println!("{} tasks", snapshot.tasks.len()),
//!     Err(why) => println!("no BPF scan: {why}"),
//! }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::OnceLock;

use nix::errno::Errno;
use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow};
use nix::sys::stat::stat;

use crate::error::{Error, Syscall};
use crate::nstype::NsType;
use crate::sys::{bpf, mapped, uname};

pub(crate) mod layout;
mod records;

mod tasks_layout {
    include!("../../bpf/ns_tasks_layout.rs");
}

mod files_layout {
    include!("../../bpf/ns_files_layout.rs");
}

/// One object's light skeleton: the loader program's instructions, the data
/// it loads the object from, and where in its context it leaves the
/// descriptors.
struct Skeleton {
    loader: &'static [u8],
    data: &'static [u8],
    ctx_size: usize,
    map_fds: &'static [usize],
    prog_fd: usize,
    /// The map that user space writes before the run (`struct setup`).
    setup_fd: usize,
}

/// The skeleton of `bpf/NAME.bpf.c`, from the files regenerate.sh wrote.
macro_rules! skeleton {
    ($name:literal, $layout:ident) => {
        Skeleton {
            loader: include_bytes!(concat!("../../bpf/", $name, ".loader.bin")),
            data: include_bytes!(concat!("../../bpf/", $name, ".data.bin")),
            ctx_size: $layout::CTX_SIZE,
            map_fds: $layout::MAP_FDS,
            prog_fd: $layout::PROG_FD,
            setup_fd: $layout::SETUP_FD,
        }
    };
}

static TASKS: Skeleton = skeleton!("ns_tasks", tasks_layout);
static FILES: Skeleton = skeleton!("ns_files", files_layout);

/// The kernel's BTF.
const BTF: &str = "/sys/kernel/btf/vmlinux";

/// The inodes of the initial user and PID namespaces, fixed by the kernel.
const INIT_USER_INO: u64 = 0xEFFF_FFFD;
const INIT_PID_INO: u64 = 0xEFFF_FFFC;

/// One task (a process or a thread) as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Its process's id (the thread group's).
    pub tgid: i32,
    /// Its own id; equal to `tgid` for a process's main thread.
    pub pid: i32,
    /// Its parent process; 0 for those the kernel started.
    pub ppid: i32,
    /// Its real uid.
    pub uid: u32,
    /// Its `comm`, up to 15 bytes.
    pub comm: Vec<u8>,
    /// Its namespace of each type, in the order of [`NsType::ALL`]; `None`
    /// where it has none (an exiting task keeps only its user and PID ones).
    pub namespaces: [Option<u64>; NsType::ALL.len()],
    /// The PID namespace its next children will be in.
    pub pid_for_children: Option<u64>,
    /// The time namespace its next children will be in.
    pub time_for_children: Option<u64>,
}

impl Task {
    /// Its namespace of type `t`.
    pub fn ns(&self, t: NsType) -> Option<u64> {
        let i = NsType::ALL.iter().position(|&x| x == t)?;
        self.namespaces.get(i).copied().flatten()
    }
}

/// A namespace met in the scan, with what the kernel holds of its relations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsInfo {
    /// Its type.
    pub ns_type: NsType,
    /// Its parent (user and PID namespaces); `None` for the initial ones.
    pub parent: Option<u64>,
    /// The user namespace that owns it (a user namespace's parent).
    pub owner: Option<u64>,
    /// The uid that owns a user namespace, as the initial one sees it.
    pub owner_uid: Option<u32>,
    /// Its id, as `NS_GET_ID` gives it (Linux 6.18); `None` before.
    pub id: Option<u64>,
}

/// An open file that holds a namespace: a file on nsfs, or a socket, which
/// holds its network namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsFile {
    /// The process that has it open.
    pub pid: i32,
    /// Its descriptor number there.
    pub fd: i32,
    /// The namespace's type.
    pub ns_type: NsType,
    /// The namespace's inode.
    pub ino: u64,
    /// Whether it is a socket rather than a file on nsfs.
    pub socket: bool,
}

/// What one scan saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Every task, threads included, in the kernel's order.
    pub tasks: Vec<Task>,
    /// Every namespace a task, a file or a relation led to, by inode, with
    /// all ancestors and owners.
    pub namespaces: HashMap<u64, NsInfo>,
    /// The nsfs files and sockets open in any process.
    pub files: Vec<NsFile>,
    /// The argv\[0\] of the first process met (the lowest pid) in each
    /// namespace of the types [`scan`] was asked to name, by pid, as
    /// `/proc/PID/cmdline` gives it up to its first NUL: empty for a kernel
    /// thread or a zombie. A process whose argv\[0\] is long, or could not
    /// be read, is not here.
    pub argv0: HashMap<i32, Vec<u8>>,
}

/// Why the BPF scan cannot run here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// The kernel has no BTF at `/sys/kernel/btf/vmlinux`.
    NoBtf,
    /// The caller is not root and lacks CAP_BPF or CAP_PERFMON.
    NotPermitted,
    /// The caller is outside the initial user or PID namespace, whose ids
    /// the scan gives.
    NotInitialNamespaces,
    /// The kernel's lockdown forbids reading kernel memory.
    Lockdown,
    /// `bpf(2)` was refused although the caller may use it: a seccomp
    /// filter or a security module.
    Denied(Errno),
    /// The kernel refused to load the programs, and its release is older
    /// than the Linux 6.1 they need.
    OldKernel {
        /// The kernel's release, as `uname -r` gives it.
        release: String,
        /// What the load failed with.
        errno: Errno,
    },
    /// A call failed otherwise.
    Failed(Error),
}

impl Unavailable {
    /// The errno that stands for the reason.
    pub fn errno(&self) -> Errno {
        match self {
            Unavailable::NoBtf => Errno::ENOENT,
            Unavailable::NotPermitted
            | Unavailable::NotInitialNamespaces
            | Unavailable::Lockdown => Errno::EPERM,
            Unavailable::Denied(errno) | Unavailable::OldKernel { errno, .. } => *errno,
            Unavailable::Failed(e) => e.errno,
        }
    }
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::NoBtf => f.write_str("the kernel has no BTF (/sys/kernel/btf/vmlinux)"),
            Unavailable::NotPermitted => {
                f.write_str("not root, and without CAP_BPF and CAP_PERFMON")
            }
            Unavailable::NotInitialNamespaces => {
                f.write_str("not in the initial user and PID namespaces")
            }
            Unavailable::Lockdown => {
                f.write_str("the kernel's lockdown forbids BPF to read kernel memory")
            }
            Unavailable::Denied(errno) => write!(
                f,
                "bpf(2) denied ({}), by a seccomp filter or a security module",
                errno.desc()
            ),
            Unavailable::OldKernel { release, errno } => write!(
                f,
                "the kernel refused its programs ({}): they need Linux {}.{} or newer, and this is {release}",
                errno.desc(),
                NEEDS.0,
                NEEDS.1
            ),
            Unavailable::Failed(e) => write!(f, "the BPF scan failed: {e}"),
        }
    }
}

impl std::error::Error for Unavailable {}

impl From<Unavailable> for Error {
    fn from(why: Unavailable) -> Error {
        match why {
            Unavailable::Failed(e) => e,
            why => Error {
                errno: why.errno(),
                syscall: Syscall::Bpf,
                path: None,
            },
        }
    }
}

/// The oldest Linux the programs load on: a sleepable task iterator whose
/// hash map allocates as it fills.
const NEEDS: (u32, u32) = (6, 1);

/// Whether the kernel `release` (as `uname -r` gives it) is older than
/// [`NEEDS`]; false where it cannot be read.
fn older_than_needed(release: &str) -> bool {
    let mut numbers = release.split(|c: char| !c.is_ascii_digit());
    let major = numbers.next().and_then(|n| n.parse::<u32>().ok());
    let minor = numbers.next().and_then(|n| n.parse::<u32>().ok());
    matches!((major, minor), (Some(major), Some(minor)) if (major, minor) < NEEDS)
}

/// A load that failed, told as the kernel's age where the kernel is older
/// than the programs need. Not checked before the load: distributions
/// bring BPF features back to kernels with older numbers.
fn load_failure(why: Unavailable, release: &str) -> Unavailable {
    match why {
        Unavailable::Failed(e) if e.syscall == Syscall::Bpf && older_than_needed(release) => {
            Unavailable::OldKernel {
                release: release.to_owned(),
                errno: e.errno,
            }
        }
        why => why,
    }
}

/// A `bpf(2)` failure: refused, or failed.
fn bpf_error(errno: Errno) -> Unavailable {
    match errno {
        Errno::EPERM | Errno::ENOSYS => Unavailable::Denied(errno),
        errno => Unavailable::Failed(Error {
            errno,
            syscall: Syscall::Bpf,
            path: None,
        }),
    }
}

/// Whether the caller's effective capabilities let it load and run the
/// scan's programs: CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON.
fn capable() -> bool {
    const SYS_ADMIN: u64 = 1 << 21;
    const PERFMON: u64 = 1 << 38;
    const BPF: u64 = 1 << 39;
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let caps = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    caps & SYS_ADMIN != 0 || caps & (BPF | PERFMON) == BPF | PERFMON
}

/// Whether the BPF scan can run, and if not, why. Cheap: it reads a few
/// files and makes one small map, so that it finds a seccomp filter.
pub fn available() -> Result<(), Unavailable> {
    if !Path::new(BTF).exists() {
        return Err(Unavailable::NoBtf);
    }
    if !capable() {
        return Err(Unavailable::NotPermitted);
    }
    let ino = |t: &str| stat(format!("/proc/self/ns/{t}").as_str()).map(|st| st.st_ino);
    if ino("user") != Ok(INIT_USER_INO) || ino("pid") != Ok(INIT_PID_INO) {
        return Err(Unavailable::NotInitialNamespaces);
    }
    let lockdown = std::fs::read_to_string("/sys/kernel/security/lockdown").unwrap_or_default();
    if lockdown.contains("[confidentiality]") {
        return Err(Unavailable::Lockdown);
    }
    bpf::array_map(4).map(drop).map_err(bpf_error)
}

/// `a` here and `b` at the same time on a second thread; one after the
/// other where no thread can be started.
fn both<A, B: Send>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    // Where the thread cannot be started, `b` is still here to run.
    let b = std::sync::Mutex::new(Some(b));
    let take = || b.lock().ok().and_then(|mut b| b.take());
    std::thread::scope(|scope| {
        let started = std::thread::Builder::new().spawn_scoped(scope, || take().map(|b| b()));
        let a = a();
        let b = match started {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => take().map(|b| b()),
        };
        match b {
            Some(b) => (a, b),
            None => unreachable!("the closure runs once, on one thread or the other"),
        }
    })
}

/// One iterator program, loaded, with the maps it holds.
struct Program {
    prog: OwnedFd,
    maps: Vec<OwnedFd>,
    /// Which of `maps` user space writes before the run.
    setup: Option<usize>,
}

impl Program {
    /// Has the kernel run the skeleton's loader program, with this thread's
    /// signals held back meanwhile: the verifier gives up with EAGAIN on a
    /// signal for the thread (a profiler's timer, a child's exit), and the
    /// caller's handlers see them once the load is done.
    fn load(skel: &Skeleton) -> Result<Program, Unavailable> {
        let mut held = SigSet::empty();
        pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&SigSet::all()), Some(&mut held))
            .map_err(bpf_error)?;
        let loaded = Program::load_now(skel);
        pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&held), None).map_err(bpf_error)?;
        loaded.map_err(|why| load_failure(why, &uname::release()))
    }

    fn load_now(skel: &Skeleton) -> Result<Program, Unavailable> {
        let data_size = u32::try_from(skel.data.len()).map_err(|_| bpf_error(Errno::E2BIG))?;
        let map = bpf::array_map(data_size).map_err(bpf_error)?;
        bpf::set_first(map.as_fd(), skel.data).map_err(bpf_error)?;
        let loader = bpf::load_loader(skel.loader, map.as_fd()).map_err(bpf_error)?;
        let mut ctx = vec![0u8; skel.ctx_size];
        ctx[..4].copy_from_slice(&(skel.ctx_size as u32).to_ne_bytes());
        let ret = bpf::run_loader(loader.as_fd(), &mut ctx).map_err(bpf_error)?;
        if ret < 0 {
            return Err(bpf_error(Errno::from_raw(-ret)));
        }
        let take = |offset| bpf::take_fd(&ctx, offset).map_err(bpf_error);
        // Every descriptor the loader left is taken, so that all are closed.
        let maps = skel
            .map_fds
            .iter()
            .map(|&at| take(at))
            .collect::<Result<_, _>>();
        let prog = take(skel.prog_fd);
        Ok(Program {
            maps: maps?,
            prog: prog?,
            setup: skel.map_fds.iter().position(|&m| m == skel.setup_fd),
        })
    }

    /// All that one run of the iterator writes, with `setup` ([`setup`])
    /// written first.
    fn run(&self, setup: &[u8]) -> Result<Vec<u8>, Unavailable> {
        let map = self.setup.and_then(|i| self.maps.get(i));
        let map = map.ok_or_else(|| bpf_error(Errno::EBADF))?;
        bpf::set_first(map.as_fd(), setup).map_err(bpf_error)?;
        let link = bpf::iter_link(self.prog.as_fd()).map_err(bpf_error)?;
        let iter = bpf::iter(link.as_fd()).map_err(bpf_error)?;
        let mut out = Vec::with_capacity(1 << 18);
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match nix::unistd::read(&iter, &mut buf) {
                Ok(0) => return Ok(out),
                Ok(n) => out.extend_from_slice(buf.get(..n).unwrap_or_default()),
                Err(Errno::EINTR) => continue,
                Err(errno) => {
                    return Err(Unavailable::Failed(Error {
                        errno,
                        syscall: Syscall::Read,
                        path: None,
                    }))
                }
            }
        }
    }
}

/// What the programs read before they run (`struct setup` in
/// `bpf/ns_scan.bpf.h`): where the fields of the types they do not relocate
/// through CO-RE lie in this kernel ([`layout`]), and the task record's
/// slots of the namespaces of `names`, whose first process the task iterator
/// names.
fn setup(names: &[NsType]) -> Result<Vec<u8>, Unavailable> {
    let failed = |errno| {
        Unavailable::Failed(Error {
            errno,
            syscall: Syscall::Read,
            path: Some(BTF.into()),
        })
    };
    let btf = mapped::read_kernel_file(Path::new(BTF)).map_err(failed)?;
    let mut setup = layout::layout(&btf).map_err(failed)?.to_vec();
    setup.extend_from_slice(&records::task_slots(names).to_ne_bytes());
    Ok(setup)
}

/// What both iterators wrote, read into one snapshot.
fn snapshot(tasks: Vec<u8>, files: Vec<u8>) -> Snapshot {
    let mut records = tasks;
    records.extend_from_slice(&files);
    records::parse(&records)
}

/// The scan's programs, loaded; each runs once, in [`Loaded::scan`]. Apart
/// from [`scan`], which runs each as soon as it is loaded, to time the
/// loading and the run apart.
pub struct Loaded {
    tasks: Program,
    files: Program,
}

impl Loaded {
    /// Checks [`available`], then has the kernel load both programs at once.
    pub fn load() -> Result<Loaded, Unavailable> {
        available()?;
        let (tasks, files) = both(|| Program::load(&TASKS), || Program::load(&FILES));
        Ok(Loaded {
            tasks: tasks?,
            files: files?,
        })
    }

    /// Runs both iterators at once, naming the first process of each
    /// namespace of the types `names`, and unloads them.
    pub fn scan(self, names: &[NsType]) -> Result<Snapshot, Unavailable> {
        let setup = setup(names)?;
        let (tasks, files) = both(|| self.tasks.run(&setup), || self.files.run(&setup));
        Ok(snapshot(tasks?, files?))
    }
}

/// Checks [`available`]; then, on two threads at once, loads each program
/// and runs it once; and unloads them. The first process met in each
/// namespace of the types `names` is named ([`Snapshot::argv0`]).
pub fn scan(names: &[NsType]) -> Result<Snapshot, Unavailable> {
    available()?;
    // Made by the thread of the files' iterator before it loads its
    // program, which loads sooner, so that the tasks' iterator, whose load
    // and run take longer, finds it ready; or by whichever thread asks first.
    let made = OnceLock::new();
    let setup = || made.get_or_init(|| setup(names)).clone();
    let (tasks, files) = both(
        || {
            let program = Program::load(&TASKS)?;
            program.run(&setup()?)
        },
        || {
            let setup = setup()?;
            Program::load(&FILES)?.run(&setup)
        },
    );
    Ok(snapshot(tasks?, files?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_refused_by_a_kernel_older_than_6_1_names_the_release() {
        for old in ["5.15.0-91-generic", "6.0.19", "5.17", "4.19.0-26-amd64"] {
            assert!(older_than_needed(old), "{old}");
        }
        for new in ["6.1.0-18-amd64", "6.18.0", "7.0", "10.1.2", "", "unknown"] {
            assert!(!older_than_needed(new), "{new}");
        }
        let refused = || {
            Unavailable::Failed(Error {
                errno: Errno::EINVAL,
                syscall: Syscall::Bpf,
                path: None,
            })
        };
        let told = load_failure(refused(), "5.15.0-91-generic");
        assert_eq!(told.errno(), Errno::EINVAL);
        assert_eq!(
            told.to_string(),
            "the kernel refused its programs (Invalid argument): they need Linux 6.1 or newer, and this is 5.15.0-91-generic"
        );
        assert_eq!(load_failure(refused(), "6.18.0"), refused());
        assert_eq!(
            load_failure(Unavailable::Denied(Errno::EPERM), "5.15.0"),
            Unavailable::Denied(Errno::EPERM)
        );
    }
}
