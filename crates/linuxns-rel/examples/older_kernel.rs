//! Runs a command as on a kernel older than Linux 6.11, for trying the
//! fallbacks by hand and for the Node.js tests of them: a seccomp filter
//! answers the nsfs requests that 6.11 to 6.18 added, the pidfd requests
//! and nsfs file handles as an older kernel does (see
//! `tests/common/older_kernel.rs`), and stays on across `exec`.
//!
//! Usage: older_kernel COMMAND [ARG...]
//! For example: `cargo run --example older_kernel -- npx lsallns`

use std::os::unix::process::CommandExt;
use std::process::{exit, Command};

#[path = "../tests/common/older_kernel.rs"]
mod older_kernel;

fn main() {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("usage: older_kernel COMMAND [ARG...]");
        exit(2);
    };
    if let Err(e) = older_kernel::pretend_older_kernel() {
        eprintln!("older_kernel: seccomp: {e}");
        exit(1);
    }
    let e = Command::new(command).args(rest).exec();
    eprintln!("older_kernel: {}: {e}", command.to_string_lossy());
    exit(127);
}
