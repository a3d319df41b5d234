//! Which of the newer namespace interfaces the running kernel has, probed
//! once (on first use) against the caller's own namespaces and cached.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;

use crate::error::{Error, Result, Syscall};
use crate::nstype::NsType;
use crate::relations::open_ns;
use crate::sys::{handle, nsfs, pidfd, uname};

/// A kernel interface that older kernels lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// `NS_GET_ID`: unique 64-bit namespace ids (Linux 6.18).
    NsId,
    /// `NS_GET_{PID,TGID}_{FROM,IN}_PIDNS`: pid translation (Linux 6.11).
    PidTranslation,
    /// `NS_GET_MNTNS_ID`: mount namespace ids (Linux 6.11).
    MntnsId,
    /// `NS_MNT_GET_INFO` / `NEXT` / `PREV`: the list of mount namespaces (Linux 6.12).
    MntnsList,
    /// `name_to_handle_at` / `open_by_handle_at` on nsfs (Linux 6.18).
    NsFileHandle,
    /// `PIDFD_GET_<TYPE>_NAMESPACE`: a process's namespaces through a pidfd (Linux 6.11).
    PidfdNamespace,
}

impl Feature {
    /// Every feature.
    pub const ALL: [Feature; 6] = [
        Feature::NsId,
        Feature::PidTranslation,
        Feature::MntnsId,
        Feature::MntnsList,
        Feature::NsFileHandle,
        Feature::PidfdNamespace,
    ];

    /// The first Linux release that has it.
    pub const fn since(self) -> &'static str {
        match self {
            Feature::NsId | Feature::NsFileHandle => "6.18",
            Feature::PidTranslation | Feature::MntnsId | Feature::PidfdNamespace => "6.11",
            Feature::MntnsList => "6.12",
        }
    }

    /// The kernel interface, as its headers name it.
    pub const fn interface(self) -> &'static str {
        match self {
            Feature::NsId => "NS_GET_ID",
            Feature::PidTranslation => "NS_GET_PID_FROM_PIDNS and friends",
            Feature::MntnsId => "NS_GET_MNTNS_ID",
            Feature::MntnsList => "NS_MNT_GET_INFO/NEXT/PREV",
            Feature::NsFileHandle => "nsfs file handles",
            Feature::PidfdNamespace => "PIDFD_GET_<TYPE>_NAMESPACE",
        }
    }

    /// The system call that fails without it.
    pub const fn syscall(self) -> Syscall {
        match self {
            Feature::NsFileHandle => Syscall::NameToHandleAt,
            _ => Syscall::Ioctl,
        }
    }

    /// Whether the running kernel has it (probed once).
    pub fn available(self) -> bool {
        let f = kernel_features();
        match self {
            Feature::NsId => f.ns_id,
            Feature::PidTranslation => f.pid_translation,
            Feature::MntnsId => f.mntns_id,
            Feature::MntnsList => f.mntns_list,
            Feature::NsFileHandle => f.ns_file_handle,
            Feature::PidfdNamespace => f.pidfd_namespace,
        }
    }

    /// `Ok` where the kernel has it; else `EOPNOTSUPP` from [`Feature::syscall`].
    pub(crate) fn require(self) -> Result<()> {
        if self.available() {
            Ok(())
        } else {
            Err(Error {
                errno: nix::errno::Errno::EOPNOTSUPP,
                syscall: self.syscall(),
                path: None,
            })
        }
    }
}

/// What the running kernel has; see [`Feature`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelFeatures {
    /// [`Feature::NsId`].
    pub ns_id: bool,
    /// [`Feature::PidTranslation`].
    pub pid_translation: bool,
    /// [`Feature::MntnsId`].
    pub mntns_id: bool,
    /// [`Feature::MntnsList`].
    pub mntns_list: bool,
    /// [`Feature::NsFileHandle`].
    pub ns_file_handle: bool,
    /// [`Feature::PidfdNamespace`].
    pub pidfd_namespace: bool,
    /// The kernel release, as `uname -r` gives it.
    pub release: String,
}

/// The features of the running kernel, probed on the first call.
pub fn kernel_features() -> &'static KernelFeatures {
    static FEATURES: OnceLock<KernelFeatures> = OnceLock::new();
    FEATURES.get_or_init(probe)
}

fn probe() -> KernelFeatures {
    let own = |t: &str| open_ns(format!("/proc/self/ns/{t}")).ok();
    let (user, pid, mnt) = (own("user"), own("pid"), own("mnt"));
    let me = std::process::id() as i32;
    KernelFeatures {
        ns_id: works(&user, |fd| nsfs::get_id(fd).is_ok()),
        pid_translation: works(&pid, |fd| nsfs::get_pid_in_pidns(fd, me).is_ok()),
        mntns_id: works(&mnt, |fd| nsfs::get_mntns_id(fd).is_ok()),
        mntns_list: works(&mnt, |fd| nsfs::mnt_get_info(fd).is_ok()),
        ns_file_handle: works(&user, |fd| handle::name_to_handle_at(fd).is_ok()),
        pidfd_namespace: pidfd::pidfd_open(me)
            .is_ok_and(|fd| pidfd::get_namespace(fd.as_fd(), NsType::User, false).is_ok()),
        release: uname::release(),
    }
}

/// Whether `request` works on `fd`, where there is one.
fn works(fd: &Option<OwnedFd>, request: impl FnOnce(RawFd) -> bool) -> bool {
    fd.as_ref().is_some_and(|fd| request(fd.as_raw_fd()))
}
