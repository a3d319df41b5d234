//! Adds the `pid_for_children` and `time_for_children` namespaces no process is in yet.
//!
//! Such a namespace is left by `unshare --pid` or `--time` without a fork.

use nix::sys::stat::fstat;

use super::model::Source;
use super::state::{record, Entry, State};
use crate::pidfd::open_namespace_of;

/// The pending namespaces the scan noted that no other source showed with a
/// process in it, opened through a pidfd where the kernel has it (an empty
/// `pid_for_children` link cannot be opened through /proc), else through
/// /proc.
pub(super) fn pending(state: &mut State) {
    for (pid, t, ino) in std::mem::take(&mut state.pending) {
        if ino.is_some_and(|ino| state.found.get(&ino).is_some_and(Entry::has_process)) {
            continue;
        }
        let Ok(fd) = open_namespace_of(pid, t, true) else {
            continue;
        };
        let Ok(st) = fstat(&fd) else { continue };
        if ino.is_some_and(|ino| ino != st.st_ino)
            || state.found.get(&st.st_ino).is_some_and(Entry::has_process)
        {
            continue;
        }
        if let Some(entry) = state.found.get(&st.st_ino) {
            // Found through a descriptor or mount already: that is how.
            if entry.ns_type == t {
                continue;
            }
        }
        if record(&mut state.found, st.st_ino, t, Source::Pending).is_some() {
            state.held.entry(st.st_ino).or_insert(fd);
        }
    }
}
