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
