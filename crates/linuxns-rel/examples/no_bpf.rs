//! Runs a command with `bpf(2)` denied (`EPERM`), as a container runtime's
//! default seccomp profile does: for trying the fallback of the BPF scan to
//! /proc by hand and for the Node.js tests of it (see
//! `tests/common/no_bpf.rs`). The filter stays on across `exec`.
//!
//! Usage: no_bpf COMMAND [ARG...]
//! For example: `LINUXNS_REL_DEBUG=1 cargo run --example no_bpf -- npx lsuserns`

use std::os::unix::process::CommandExt;
use std::process::{exit, Command};

#[path = "../tests/common/no_bpf.rs"]
mod no_bpf;
#[allow(dead_code)] // only its installer of seccomp filters
#[path = "../tests/common/older_kernel.rs"]
mod older_kernel;

fn main() {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("usage: no_bpf COMMAND [ARG...]");
        exit(2);
    };
    if let Err(e) = no_bpf::deny_bpf() {
        eprintln!("no_bpf: seccomp: {e}");
        exit(1);
    }
    let e = Command::new(command).args(rest).exec();
    eprintln!("no_bpf: {}: {e}", command.to_string_lossy());
    exit(127);
}
