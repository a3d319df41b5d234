//! The newer nsfs interfaces (Linux 6.11 to 6.18): namespace ids, pid
//! translation, mount namespaces, file handles and pidfds. Each throws
//! `ENOTSUP` where the kernel lacks what it uses. 64-bit ids cross as
//! decimal strings (index.ts makes bigints of them), so that the addon needs
//! no Node-API BigInt support.

use linuxns_rel::{Feature, NsRef, Syscall};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::errors::{gate, gate_as, invalid_arg_value, throw_sys_error};
use crate::names::NstypeName;
use crate::relations::raw_fd;

/// Calls `f` with the namespace a JS fd or path names.
fn by_ref<T>(
    env: &Env,
    ns: &Either<i32, String>,
    f: impl FnOnce(NsRef<'_>) -> linuxns_rel::Result<T>,
) -> Result<T> {
    let r = match ns {
        Either::A(fd) => f(NsRef::Fd(*fd)),
        Either::B(path) => f(NsRef::from(path.as_str())),
    };
    r.map_err(|e| throw_sys_error(env, e))
}

/// The namespace's unique id (`NS_GET_ID`), as a decimal string.
#[napi(catch_unwind)]
pub fn get_ns_id(env: Env, ns: Either<i32, String>) -> Result<String> {
    gate(&env, Feature::NsId, "getNsId")?;
    by_ref(&env, &ns, |r| linuxns_rel::get_ns_id(r)).map(|id| id.to_string())
}

/// What `nsStat()` gives, with the id as a decimal string.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct NsStat {
    #[napi(js_name = "type")]
    pub ns_type: NstypeName,
    pub ino: f64,
    pub dev: f64,
    pub id: Option<String>,
}

/// Type, inode, device and id of a namespace.
#[napi(catch_unwind)]
pub fn ns_stat(env: Env, ns: Either<i32, String>) -> Result<NsStat> {
    let st = by_ref(&env, &ns, |r| linuxns_rel::ns_stat(r))?;
    Ok(NsStat {
        ns_type: st.ns_type.into(),
        ino: st.ino as f64,
        dev: st.dev as f64,
        id: st.id.map(|id| id.to_string()),
    })
}

/// The caller's number for the process that is `pid` inside the PID
/// namespace (`NS_GET_PID_FROM_PIDNS`).
#[napi(catch_unwind)]
pub fn pid_from_pidns(env: Env, pidns: Either<i32, String>, pid: i32) -> Result<i32> {
    gate(&env, Feature::PidTranslation, "pidFromPidns")?;
    by_ref(&env, &pidns, |r| linuxns_rel::pid_from_pidns(r, pid))
}

/// As `pidFromPidns`, for the thread group (`NS_GET_TGID_FROM_PIDNS`).
#[napi(catch_unwind)]
pub fn tgid_from_pidns(env: Env, pidns: Either<i32, String>, pid: i32) -> Result<i32> {
    gate(&env, Feature::PidTranslation, "tgidFromPidns")?;
    by_ref(&env, &pidns, |r| linuxns_rel::tgid_from_pidns(r, pid))
}

/// The number inside the PID namespace of the caller's `pid` (`NS_GET_PID_IN_PIDNS`).
#[napi(catch_unwind)]
pub fn pid_in_pidns(env: Env, pidns: Either<i32, String>, pid: i32) -> Result<i32> {
    gate(&env, Feature::PidTranslation, "pidInPidns")?;
    by_ref(&env, &pidns, |r| linuxns_rel::pid_in_pidns(r, pid))
}

/// As `pidInPidns`, for the thread group (`NS_GET_TGID_IN_PIDNS`).
#[napi(catch_unwind)]
pub fn tgid_in_pidns(env: Env, pidns: Either<i32, String>, pid: i32) -> Result<i32> {
    gate(&env, Feature::PidTranslation, "tgidInPidns")?;
    by_ref(&env, &pidns, |r| linuxns_rel::tgid_in_pidns(r, pid))
}

/// A mount namespace's id (`NS_GET_MNTNS_ID`), as a decimal string.
#[napi(catch_unwind)]
pub fn get_mntns_id(env: Env, ns: Either<i32, String>) -> Result<String> {
    gate(&env, Feature::MntnsId, "getMntnsId")?;
    by_ref(&env, &ns, |r| linuxns_rel::get_mntns_id(r)).map(|id| id.to_string())
}

/// One mount namespace of `listMountNamespaces()`, with the id as a decimal string.
#[napi(object)]
pub struct MountNamespace {
    pub id: String,
    pub ino: f64,
    pub mounts: u32,
}

/// Every mount namespace the kernel lists (`NS_MNT_GET_INFO` / `NEXT` / `PREV`), in id order.
#[napi(catch_unwind)]
pub fn list_mount_namespaces(env: Env) -> Result<Vec<MountNamespace>> {
    gate(&env, Feature::MntnsList, "listMountNamespaces")?;
    let list = linuxns_rel::list_mount_namespaces().map_err(|e| throw_sys_error(&env, e))?;
    Ok(list
        .into_iter()
        .map(|m| MountNamespace {
            id: m.id.to_string(),
            ino: m.ino as f64,
            mounts: m.mounts,
        })
        .collect())
}

/// A file handle of the namespace (`name_to_handle_at`), as the bytes of a `struct file_handle`.
#[napi(catch_unwind)]
pub fn ns_file_handle(env: Env, ns: Either<i32, String>) -> Result<Buffer> {
    gate(&env, Feature::NsFileHandle, "nsFileHandle")?;
    by_ref(&env, &ns, |r| linuxns_rel::ns_file_handle(r)).map(Buffer::from)
}

/// A new descriptor, owned by the caller, of the namespace a handle names
/// (`open_by_handle_at`). Bytes that are no handle throw a `TypeError` with
/// code `ERR_INVALID_ARG_VALUE`, before the kernel is asked.
#[napi(catch_unwind)]
pub fn open_ns_file_handle(env: Env, handle: Buffer) -> Result<i32> {
    if !linuxns_rel::is_ns_file_handle(&handle) {
        return Err(invalid_arg_value(
            &env,
            "The handle is not one that nsFileHandle() gave.",
        ));
    }
    let syscall = Syscall::OpenByHandleAt;
    gate_as(&env, Feature::NsFileHandle, "openNsFileHandle", syscall)?;
    linuxns_rel::open_ns_file_handle(&handle)
        .map(raw_fd)
        .map_err(|e| throw_sys_error(&env, e))
}

/// A new descriptor, owned by the caller, of a process's namespace, through a pidfd where possible.
#[napi(catch_unwind)]
pub fn open_process_namespace(env: Env, pid: i32, ns_type: NstypeName) -> Result<i32> {
    linuxns_rel::open_process_namespace(pid, ns_type.ns_type())
        .map(raw_fd)
        .map_err(|e| throw_sys_error(&env, e))
}

/// Which of the newer kernel interfaces the running kernel has.
#[napi(object, object_from_js = false)]
pub struct KernelFeatures {
    /// `NS_GET_ID` (Linux 6.18): `getNsId()`, and the ids in `nsStat()` and `discover()`.
    pub ns_id: bool,
    /// `NS_GET_{PID,TGID}_{FROM,IN}_PIDNS` (6.11): `pidFromPidns()` and the like.
    pub pid_translation: bool,
    /// `NS_GET_MNTNS_ID` (6.11): `getMntnsId()`.
    pub mntns_id: bool,
    /// `NS_MNT_GET_INFO/NEXT/PREV` (6.12): `listMountNamespaces()`, and discover()'s 'mount-list'.
    pub mntns_list: bool,
    /// nsfs file handles (6.18): `nsFileHandle()`, `openNsFileHandle()`.
    pub ns_file_handle: bool,
    /// `PIDFD_GET_<TYPE>_NAMESPACE` (6.11): `openProcessNamespace()` goes through a pidfd (else /proc).
    pub pidfd_namespace: bool,
    /// The kernel release, as `uname -r` gives it.
    pub release: String,
}

/// The running kernel's features, probed once.
#[napi(catch_unwind)]
pub fn kernel_features() -> KernelFeatures {
    let f = linuxns_rel::kernel_features();
    KernelFeatures {
        ns_id: f.ns_id,
        pid_translation: f.pid_translation,
        mntns_id: f.mntns_id,
        mntns_list: f.mntns_list,
        ns_file_handle: f.ns_file_handle,
        pidfd_namespace: f.pidfd_namespace,
        release: f.release.clone(),
    }
}
