//! Relations between Linux namespaces, asked of the kernel through the nsfs
//! ioctls: the user namespace that owns a namespace, the parent of a user or
//! PID namespace, the uid that owns a user namespace, and a namespace's type.
//!
//! A namespace is named by a [`NsRef`]: a path such as `/proc/self/ns/net`
//! (opened read-only and closed again inside the call) or a file descriptor
//! that the caller owns (never closed here). Namespaces handed back
//! ([`get_userns`], [`get_parentns`]) come as [`OwnedFd`](std::os::fd::OwnedFd)s, read-only and
//! close-on-exec, which are themselves namespace references.
//!
//! ```no_run
//! use linuxns_rel::{get_nstype, get_userns, get_owner_uid, NsType};
//! use std::os::fd::AsRawFd;
//!
//! let owner = get_userns("/proc/self/ns/net")?;
//! println!("owner uid {}", get_owner_uid(&owner)?);
//! assert_eq!(NsType::from_flag(get_nstype(&owner)?), Some(NsType::User));
//! # Ok::<(), linuxns_rel::Error>(())
//! ```

#![warn(missing_docs)]

mod error;
mod handle;
mod ids;
mod mntns;
mod nsref;
mod nstype;
mod pidfd;
mod procfs;
mod relations;
mod sys;

pub mod bpf_scan;
pub mod containers;
pub mod discover;
pub mod features;
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzzing;

pub use containers::{
    chain_from_cgroup, Container, ContainerOptions, ContainerRef, Engine, Engines,
};
pub use discover::{discover, DiscoverOptions, Discovery};
pub use error::{Error, Result, Syscall};
pub use features::{kernel_features, Feature, KernelFeatures};
pub use handle::{is_ns_file_handle, ns_file_handle, open_ns_file_handle};
pub use ids::{
    get_ns_id, ns_stat, pid_from_pidns, pid_in_pidns, tgid_from_pidns, tgid_in_pidns, NsStat,
};
pub use mntns::{get_mntns_id, list_mount_namespaces, mntns_info, mount_namespaces, MntNsInfo};
pub use nsref::NsRef;
pub use nstype::{NsType, UnknownNsType};
pub use pidfd::{open_process_namespace, pidfd_open};
pub use relations::{get_nstype, get_owner_uid, get_parentns, get_userns, open_ns};
pub use sys::handle::FD_NSFS_ROOT;
