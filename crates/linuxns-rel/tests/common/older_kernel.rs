//! Makes the calling process, its threads and what it runs from now on
//! meet the namespace interfaces of a kernel older than Linux 6.11, through
//! a seccomp filter that answers as such a kernel does: `ENOTTY` for the
//! nsfs requests after `NS_GET_OWNER_UID` and for every pidfd request, and
//! `EOPNOTSUPP` for `name_to_handle_at` (nsfs had no file handles). The
//! relations of Linux 4.9 to 4.11 stay. Shared by the tests and by
//! `examples/older_kernel.rs`.

use libc::{sock_filter, sock_fprog};

/// The nsfs ioctl type (`NSIO`), and the first request number that kernels
/// before 6.11 do not know.
const NSIO: u32 = 0xb7;
const FIRST_NEWER_NSFS_REQUEST: u32 = 5;
/// The pidfd ioctl type; pidfds had no requests before 6.11.
const PIDFS_IOCTL_MAGIC: u32 = 0xff;

/// `seccomp_data` offsets: the syscall number, and the low 32 bits of the
/// second argument (the ioctl request).
const NR: u32 = 0;
#[cfg(target_endian = "little")]
const REQUEST: u32 = 24;
#[cfg(target_endian = "big")]
const REQUEST: u32 = 28;

fn stmt(code: u32, k: u32) -> sock_filter {
    jump(code, k, 0, 0)
}

fn jump(code: u32, k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

/// The filter. Jumps count the instructions they skip. Only the calling
/// architecture's own system call numbers are looked at: the tests and the
/// tools they run make no calls through another ABI.
fn program() -> Vec<sock_filter> {
    use libc::{
        BPF_ABS, BPF_ALU, BPF_AND, BPF_JEQ, BPF_JGE, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W,
        SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO,
    };
    let load = |offset| stmt(BPF_LD | BPF_W | BPF_ABS, offset);
    let and = |mask| stmt(BPF_ALU | BPF_AND | BPF_K, mask);
    let ret = |action| stmt(BPF_RET | BPF_K, action);
    let errno = |e: i32| SECCOMP_RET_ERRNO | e as u32;
    vec![
        /* 0 */ load(NR),
        /* 1 */
        jump(
            BPF_JMP | BPF_JEQ | BPF_K,
            libc::SYS_name_to_handle_at as u32,
            12,
            0,
        ),
        /* 2 */ jump(BPF_JMP | BPF_JEQ | BPF_K, libc::SYS_ioctl as u32, 0, 9),
        /* 3 */ load(REQUEST),
        /* 4 */ and(0xff00),
        /* 5 */ jump(BPF_JMP | BPF_JEQ | BPF_K, NSIO << 8, 0, 3),
        /* 6 */ load(REQUEST),
        /* 7 */ and(0xff),
        /* 8 */ jump(BPF_JMP | BPF_JGE | BPF_K, FIRST_NEWER_NSFS_REQUEST, 4, 3),
        // pidfd requests are _IO(0xff, n): no size, no direction bits.
        /* 9 */
        load(REQUEST),
        /* 10 */ and(0xffff_ff00),
        /* 11 */ jump(BPF_JMP | BPF_JEQ | BPF_K, PIDFS_IOCTL_MAGIC << 8, 1, 0),
        /* 12 */ ret(SECCOMP_RET_ALLOW),
        /* 13 */ ret(errno(libc::ENOTTY)),
        /* 14 */ ret(errno(libc::EOPNOTSUPP)),
    ]
}

/// Installs the filter for every thread of the process; it stays across
/// `exec`. Irreversible, so only for a process started for the purpose.
pub fn pretend_older_kernel() -> std::io::Result<()> {
    install_filter(&program())
}

/// Installs a seccomp filter for every thread of the process, to stay
/// across `exec` (`no_bpf.rs` installs its own through this too).
pub fn install_filter(filter: &[sock_filter]) -> std::io::Result<()> {
    let prog = sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: prctl with integer arguments only.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `prog` points at `filter`, which outlives the call; the kernel copies it.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_TSYNC,
            &prog as *const sock_fprog,
        )
    };
    match r {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}
