//! What each running container has of its own: its init's namespaces,
//! against the host's initial namespaces and the other containers'.

use crate::procfs::parse_ns_link;
use crate::NsType;

/// The namespaces of a process (a container's init), by type and inode,
/// read from its `/proc/PID/ns` links; the types it may not read are left
/// out.
pub fn namespaces_of_pid(pid: i32) -> Vec<(NsType, u64)> {
    NsType::ALL
        .into_iter()
        .filter_map(|t| {
            let link = std::fs::read_link(format!("/proc/{pid}/ns/{}", t.name())).ok()?;
            parse_ns_link(link.as_os_str().as_encoded_bytes())
        })
        .collect()
}

/// The host's initial namespaces: those of the kernel threads (PID 2,
/// kthreadd), or of PID 1 where PID 2 is no kthreadd (inside a PID
/// namespace, where PID 1 is the nearest thing to a host). Empty where
/// neither may be read (another user's processes, for a caller who is not
/// root).
pub fn host_namespaces() -> Vec<(NsType, u64)> {
    let kthreadd = std::fs::read("/proc/2/comm").is_ok_and(|comm| comm == b"kthreadd\n");
    namespaces_of_pid(if kthreadd { 2 } else { 1 })
}
