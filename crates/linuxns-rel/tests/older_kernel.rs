//! The fallbacks for kernels older than Linux 6.11, checked on this one: a
//! fresh copy of this test binary runs `in_an_older_kernel` under a seccomp
//! filter that answers the newer requests as such a kernel does
//! (`common::older_kernel`).

use std::os::fd::AsRawFd;

use linuxns_rel::discover::{DiscoverOptions, Source};
use linuxns_rel::{
    get_mntns_id, get_ns_id, get_nstype, get_owner_uid, get_parentns, get_userns, kernel_features,
    list_mount_namespaces, ns_file_handle, ns_stat, open_ns_file_handle, open_process_namespace,
    pid_in_pidns, Error, Feature, NsType,
};
use nix::errno::Errno;

mod common;
use common::older_kernel::pretend_older_kernel;
use common::{discover_alone, ino, run_ignored_alone, sleeper, ALL_TYPES_SLEEPER};

/// Set in the copy of the binary that runs under the filter.
const UNDER_FILTER: &str = "LINUXNS_REL_TEST_OLDER_KERNEL";

#[test]
fn fallbacks_on_an_older_kernel() {
    run_ignored_alone("in_an_older_kernel", &[], &[(UNDER_FILTER, "1")]);
}

fn fd_path(fd: &impl AsRawFd) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

/// What a function that needs a newer kernel gives.
fn not_supported<T>(result: Result<T, Error>) -> Option<(Errno, &'static str)> {
    result.err().map(|e| (e.errno, e.syscall.name()))
}

#[test]
#[ignore = "runs only in its own process, started by fallbacks_on_an_older_kernel"]
fn in_an_older_kernel() {
    assert!(
        std::env::var_os(UNDER_FILTER).is_some(),
        "the filter is for a process of its own: run fallbacks_on_an_older_kernel"
    );
    pretend_older_kernel().unwrap_or_else(|e| panic!("seccomp: {e}"));
    let net = "/proc/self/ns/net";

    let features = kernel_features();
    for feature in Feature::ALL {
        assert!(!feature.available(), "{feature:?}");
    }
    assert!(!features.release.is_empty());

    let unsupported = Some((Errno::EOPNOTSUPP, "ioctl"));
    assert_eq!(not_supported(get_ns_id(net)), unsupported);
    assert_eq!(
        not_supported(get_mntns_id("/proc/self/ns/mnt")),
        unsupported
    );
    assert_eq!(
        not_supported(pid_in_pidns("/proc/self/ns/pid", 1)),
        unsupported
    );
    assert_eq!(not_supported(list_mount_namespaces()), unsupported);
    assert_eq!(
        not_supported(ns_file_handle(net)),
        Some((Errno::EOPNOTSUPP, "name_to_handle_at"))
    );
    assert_eq!(
        not_supported(open_ns_file_handle(&[0; 16])),
        Some((Errno::EOPNOTSUPP, "open_by_handle_at"))
    );

    // What Linux 4.9 to 4.11 brought still works (and get_owner_uid below).
    let stat = ns_stat(net).unwrap_or_else(|e| panic!("ns_stat: {e}"));
    assert_eq!(
        (stat.ns_type, stat.ino, stat.id),
        (NsType::Net, ino(net), None)
    );
    assert_eq!(get_nstype(net), Ok(libc::CLONE_NEWNET));
    let owner = get_userns(net).unwrap_or_else(|e| panic!("get_userns: {e}"));
    assert_eq!(ino(&fd_path(&owner)), ino("/proc/self/ns/user"));
    assert_eq!(
        get_parentns("/proc/self/ns/user").err().map(|e| e.errno),
        Some(Errno::EPERM)
    );

    // A process in new namespaces, made by us; they come through /proc
    // instead of a pidfd.
    let (_kid, chain) = sleeper(ALL_TYPES_SLEEPER);
    let pid = chain[chain.len() - 1];
    let user = format!("/proc/{pid}/ns/user");
    assert_eq!(
        get_owner_uid(user.as_str()),
        Ok(nix::unistd::geteuid().as_raw())
    );
    for t in NsType::ALL {
        let fd = open_process_namespace(pid, t).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(
            ino(&fd_path(&fd)),
            ino(&format!("/proc/{pid}/ns/{t}")),
            "{t}"
        );
    }

    // Discovery finds the same namespaces, without ids and without the
    // kernel's list of mount namespaces.
    let found = discover_alone(&DiscoverOptions {
        types: NsType::ALL.to_vec(),
        ..DiscoverOptions::default()
    })
    .unwrap_or_else(|e| panic!("discover: {e}"));
    assert!(found.namespaces.iter().all(|ns| ns.id.is_none()));
    assert!(found
        .namespaces
        .iter()
        .all(|ns| !ns.via.contains(&Source::MountList)));
    for t in NsType::ALL {
        for who in ["self".to_owned(), pid.to_string()] {
            let ns = found.get(ino(&format!("/proc/{who}/ns/{t}")));
            assert_eq!(ns.map(|ns| ns.ns_type), Some(t), "{who} {t}");
        }
        let ns = found.get(ino(&format!("/proc/{pid}/ns/{t}")));
        assert!(ns.is_some_and(|ns| ns.pids.contains(&pid)), "{t}");
    }
}
