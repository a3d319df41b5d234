//! Which of the newer namespace interfaces the running kernel has, probed
//! once (on first use) against the caller's own namespaces and cached.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::OnceLock;

use crate::{nsfs, open_ns, pidfd, Error, Syscall};

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
    pub(crate) fn require(self) -> crate::Result<()> {
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
    let raw = |fd: &Option<OwnedFd>| fd.as_ref().map(|fd| fd.as_raw_fd());
    let mut id = 0u64;
    let mut info = nsfs::MntNsInfo::default();
    // SAFETY (all four): each request writes at most the one value its pointer points at, or none.
    let ns_id = raw(&user).is_some_and(|fd| unsafe { nsfs::ns_get_id(fd, &mut id) }.is_ok());
    let pid_translation = raw(&pid).is_some_and(|fd| {
        unsafe { nsfs::ns_get_pid_in_pidns(fd, std::process::id() as i32) }.is_ok()
    });
    let mntns_id =
        raw(&mnt).is_some_and(|fd| unsafe { nsfs::ns_get_mntns_id(fd, &mut id) }.is_ok());
    let mntns_list =
        raw(&mnt).is_some_and(|fd| unsafe { nsfs::ns_mnt_get_info(fd, &mut info) }.is_ok());
    let ns_file_handle = user
        .as_ref()
        .is_some_and(|fd| crate::handle::name_to_handle(fd.as_raw_fd()).is_ok());
    let pidfd_namespace = pidfd::pidfd_open(std::process::id() as i32)
        .is_ok_and(|pidfd| pidfd::ioctl_namespace(&pidfd, crate::NsType::User, false).is_ok());
    KernelFeatures {
        ns_id,
        pid_translation,
        mntns_id,
        mntns_list,
        ns_file_handle,
        pidfd_namespace,
        release: release(),
    }
}

/// The kernel release from `uname(2)`.
fn release() -> String {
    // SAFETY: utsname is plain data; uname fills it in.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `uts` is a valid utsname to write to.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return String::new();
    }
    let bytes: Vec<u8> = uts
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}
