//! Makes the calling process, its threads and what it runs from now on meet
//! `EPERM` from `bpf(2)`, as under a container runtime's default seccomp
//! profile, through a seccomp filter that stays on across `exec`. Shared by
//! the tests and by `examples/no_bpf.rs` (which includes `older_kernel.rs`
//! beside it for the filter's installer).

/// Installs the filter for every thread of the process. Irreversible, so
/// only for a process started for the purpose.
pub fn deny_bpf() -> std::io::Result<()> {
    use libc::{
        sock_filter, BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, SECCOMP_RET_ALLOW,
        SECCOMP_RET_ERRNO,
    };
    let op = |code: u32, k: u32, jt: u8, jf: u8| sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    let filter = [
        op(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0),
        op(BPF_JMP | BPF_JEQ | BPF_K, libc::SYS_bpf as u32, 0, 1),
        op(
            BPF_RET | BPF_K,
            SECCOMP_RET_ERRNO | libc::EPERM as u32,
            0,
            0,
        ),
        op(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0),
    ];
    super::older_kernel::install_filter(&filter)
}
