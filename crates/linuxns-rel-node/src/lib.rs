//! Node-API glue over the `linuxns-rel` crate: argument and error conversion
//! only. Every export catches panics so that a bug surfaces as a JavaScript
//! error instead of aborting the process.

use std::os::fd::{IntoRawFd, OwnedFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use linuxns_rel::NsRef;
use napi::bindgen_prelude::*;
use napi::{sys, Callback, JsError, JsValue};
use napi_derive::napi;

/// A system error shaped like Node's own fs errors (`code`, `errno`,
/// `syscall`, `path`, and a message `CODE: description, syscall 'path'`).
fn sys_error<'env>(env: &'env Env, e: linuxns_rel::Error) -> Result<Object<'env>> {
    let code = format!("{:?}", e.errno);
    // The C library's wording, lower-cased as libuv words it for Node's own errors.
    let desc = std::io::Error::from_raw_os_error(e.errno as i32).to_string();
    let desc = desc
        .split(" (os error")
        .next()
        .unwrap_or_default()
        .to_lowercase();
    let path = e.path.as_deref().map(|p| p.to_string_lossy().into_owned());
    let message = match &path {
        Some(p) => format!("{code}: {desc}, {} '{p}'", e.syscall.name()),
        None => format!("{code}: {desc}, {}", e.syscall.name()),
    };
    let mut obj = env.create_error(Error::new(Status::GenericFailure, message))?;
    obj.set_named_property("code", code)?;
    // Node's fs errors carry the negated errno, as libuv reports it.
    obj.set_named_property("errno", -(e.errno as i32))?;
    obj.set_named_property("syscall", e.syscall.name())?;
    if let Some(p) = path {
        obj.set_named_property("path", p)?;
    }
    Ok(obj)
}

/// Throws [`sys_error`]; the returned error tells napi-rs that an exception is pending.
fn throw_sys_error(env: &Env, e: linuxns_rel::Error) -> Error {
    match sys_error(env, e).and_then(|obj| env.throw(obj)) {
        Ok(()) => Error::from_status(Status::PendingException),
        Err(err) => err,
    }
}

fn raw_fd(fd: OwnedFd) -> i32 {
    fd.into_raw_fd()
}

// Calls by path.

/// The namespace's `CLONE_NEW*` type value (`NS_GET_NSTYPE`).
#[napi(catch_unwind)]
pub fn get_nstype(env: Env, path: String) -> Result<i32> {
    linuxns_rel::get_nstype(path.as_str()).map_err(|e| throw_sys_error(&env, e))
}

/// The uid that owns a user namespace (`NS_GET_OWNER_UID`).
#[napi(catch_unwind)]
pub fn get_owner_uid(env: Env, path: String) -> Result<u32> {
    linuxns_rel::get_owner_uid(path.as_str()).map_err(|e| throw_sys_error(&env, e))
}

/// A new descriptor, owned by the caller, of the owning user namespace (`NS_GET_USERNS`).
#[napi(catch_unwind)]
pub fn get_userns(env: Env, path: String) -> Result<i32> {
    linuxns_rel::get_userns(path.as_str())
        .map(raw_fd)
        .map_err(|e| throw_sys_error(&env, e))
}

/// A new descriptor, owned by the caller, of the parent namespace (`NS_GET_PARENT`).
#[napi(catch_unwind)]
pub fn get_parentns(env: Env, path: String) -> Result<i32> {
    linuxns_rel::get_parentns(path.as_str())
        .map(raw_fd)
        .map_err(|e| throw_sys_error(&env, e))
}

/// A new read-only, close-on-exec descriptor of the namespace at `path`, owned by the caller.
#[napi(catch_unwind)]
pub fn open_ns(env: Env, path: String) -> Result<i32> {
    linuxns_rel::open_ns(&path)
        .map(raw_fd)
        .map_err(|e| throw_sys_error(&env, e))
}

// Calls by file descriptor. These are the ones made in tight loops, and the
// wrapper that `#[napi]` generates costs about a third of the ioctl itself
// (`npm run bench`), so they are bare Node-API functions: one int32 in, one
// number out, with the same panic guard and errors.

/// A call that takes a namespace descriptor and gives a number.
trait FdCall {
    fn call(fd: RawFd) -> linuxns_rel::Result<f64>;
}

struct Nstype;
impl FdCall for Nstype {
    fn call(fd: RawFd) -> linuxns_rel::Result<f64> {
        linuxns_rel::get_nstype(NsRef::Fd(fd)).map(f64::from)
    }
}

struct OwnerUid;
impl FdCall for OwnerUid {
    fn call(fd: RawFd) -> linuxns_rel::Result<f64> {
        linuxns_rel::get_owner_uid(NsRef::Fd(fd)).map(f64::from)
    }
}

struct Userns;
impl FdCall for Userns {
    fn call(fd: RawFd) -> linuxns_rel::Result<f64> {
        linuxns_rel::get_userns(NsRef::Fd(fd)).map(|fd| f64::from(raw_fd(fd)))
    }
}

struct Parentns;
impl FdCall for Parentns {
    fn call(fd: RawFd) -> linuxns_rel::Result<f64> {
        linuxns_rel::get_parentns(NsRef::Fd(fd)).map(|fd| f64::from(raw_fd(fd)))
    }
}

unsafe extern "C" fn by_fd<C: FdCall>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut argc = 1;
        let mut arg = ptr::null_mut();
        let mut fd = -1;
        // SAFETY: env and info come from Node-API for this call; arg has room for argc values.
        unsafe {
            check_status!(sys::napi_get_cb_info(
                env,
                info,
                &mut argc,
                &mut arg,
                ptr::null_mut(),
                ptr::null_mut()
            ))?;
            check_status!(sys::napi_get_value_int32(env, arg, &mut fd))?;
        }
        let value = C::call(fd).map_err(|e| throw_sys_error(&Env::from_raw(env), e))?;
        let mut out = ptr::null_mut();
        // SAFETY: as above.
        check_status!(unsafe { sys::napi_create_double(env, value, &mut out) })?;
        Ok(out)
    }));
    match result.map_err(panic_to_error).and_then(|r| r) {
        Ok(value) => value,
        Err(e) => {
            // SAFETY: env is this call's environment.
            unsafe { JsError::from(e).throw_into(env) };
            ptr::null_mut()
        }
    }
}

/// The calls by file descriptor, as one object of functions.
#[napi(
    catch_unwind,
    ts_return_type = "{ getNstype(fd: number): number; getOwnerUid(fd: number): number; getUserns(fd: number): number; getParentns(fd: number): number }"
)]
pub fn fd_calls(env: &Env) -> Result<Object<'_>> {
    let mut calls = Object::new(env)?;
    let functions: [(&str, Callback); 4] = [
        ("getNstype", by_fd::<Nstype>),
        ("getOwnerUid", by_fd::<OwnerUid>),
        ("getUserns", by_fd::<Userns>),
        ("getParentns", by_fd::<Parentns>),
    ];
    for (name, callback) in functions {
        calls.set_named_property(name, env.create_function::<i32, f64>(name, callback)?)?;
    }
    Ok(calls)
}

// Discovery.

/// What `discover()` looks for; see `DiscoverOptions` in the core crate.
#[napi(object)]
pub struct DiscoverOptions {
    /// Type names, as `nstypeStr()` gives them. Default: user and pid.
    pub types: Option<Vec<String>>,
    pub tasks: Option<bool>,
    pub fds: Option<bool>,
    pub bind_mounts: Option<bool>,
}

/// An open descriptor, in some process, that refers to a namespace.
#[napi(object)]
pub struct FdHolder {
    pub pid: i32,
    pub fd: i32,
}

/// One discovered namespace, as plain data.
#[napi(object, use_nullable = true)]
pub struct Namespace {
    #[napi(js_name = "type")]
    pub ns_type: String,
    pub ino: f64,
    pub dev: f64,
    /// The `NS_GET_ID` id as a decimal string (it may exceed 2^53); null before Linux 6.18.
    pub id: Option<String>,
    pub parent: Option<f64>,
    pub children: Vec<f64>,
    pub owner: Option<f64>,
    pub owner_uid: Option<u32>,
    pub owner_name: Option<String>,
    pub pid: Option<i32>,
    pub process: Option<String>,
    pub processes: u32,
    pub pids: Vec<i32>,
    pub via: Vec<String>,
    pub fd_holders: Vec<FdHolder>,
    pub bind_mounts: Vec<String>,
}

fn core_options(options: Option<DiscoverOptions>) -> Result<linuxns_rel::DiscoverOptions> {
    let mut core = linuxns_rel::DiscoverOptions::default();
    let Some(options) = options else {
        return Ok(core);
    };
    if let Some(names) = options.types {
        core.types = names
            .iter()
            .map(|name| {
                linuxns_rel::NsType::ALL
                    .into_iter()
                    .find(|t| t.name() == name)
                    .ok_or_else(|| {
                        Error::new(
                            Status::InvalidArg,
                            format!("unknown namespace type '{name}'"),
                        )
                    })
            })
            .collect::<Result<_>>()?;
    }
    core.tasks = options.tasks.unwrap_or(core.tasks);
    core.fds = options.fds.unwrap_or(core.fds);
    core.bind_mounts = options.bind_mounts.unwrap_or(core.bind_mounts);
    Ok(core)
}

fn source_name(source: linuxns_rel::discover::Source) -> String {
    use linuxns_rel::discover::Source;
    match source {
        Source::Process => "process",
        Source::Task => "task",
        Source::Fd => "fd",
        Source::BindMount => "bind-mount",
        Source::Hierarchy => "hierarchy",
        Source::Pending => "pending",
        Source::MountList => "mount-list",
    }
    .to_owned()
}

fn js_namespace(ns: linuxns_rel::discover::Namespace) -> Namespace {
    // Inode and device numbers stay far below 2^53, so a JS number holds them exactly.
    let num = |n: u64| n as f64;
    Namespace {
        ns_type: ns.ns_type.name().to_owned(),
        ino: num(ns.ino),
        dev: num(ns.dev),
        id: ns.id.map(|id| id.to_string()),
        parent: ns.parent.map(num),
        children: ns.children.into_iter().map(num).collect(),
        owner: ns.owner.map(num),
        owner_uid: ns.owner_uid,
        owner_name: ns.owner_name,
        pid: ns.representative.as_ref().map(|p| p.pid),
        process: ns.representative.map(|p| p.name),
        processes: u32::try_from(ns.pids.len()).unwrap_or(u32::MAX),
        pids: ns.pids,
        via: ns.via.into_iter().map(source_name).collect(),
        fd_holders: ns
            .fd_holders
            .into_iter()
            .map(|h| FdHolder {
                pid: h.pid,
                fd: h.fd,
            })
            .collect(),
        bind_mounts: ns
            .bind_mounts
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
    }
}

fn run_discovery(options: &linuxns_rel::DiscoverOptions) -> linuxns_rel::Result<Vec<Namespace>> {
    let found = linuxns_rel::discover(options)?;
    Ok(found.namespaces.into_iter().map(js_namespace).collect())
}

/// Every namespace of the requested types, found by scanning /proc.
#[napi(catch_unwind)]
pub fn discover(env: Env, options: Option<DiscoverOptions>) -> Result<Vec<Namespace>> {
    run_discovery(&core_options(options)?).map_err(|e| throw_sys_error(&env, e))
}

pub struct Discovery {
    options: linuxns_rel::DiscoverOptions,
    /// Kept from `compute` so that `reject` can build the Node-style error on the JS thread.
    failure: Option<linuxns_rel::Error>,
}

impl Task for Discovery {
    type Output = Vec<Namespace>;
    type JsValue = Vec<Namespace>;

    fn compute(&mut self) -> Result<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| run_discovery(&self.options)))
            .map_err(panic_to_error)?
        {
            Ok(found) => Ok(found),
            Err(e) => {
                let err = Error::new(Status::GenericFailure, e.to_string());
                self.failure = Some(e);
                Err(err)
            }
        }
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Self::JsValue> {
        match self.failure.take() {
            Some(e) => Err(Error::from(sys_error(&env, e)?.to_unknown())),
            None => Err(err),
        }
    }
}

/// `discover()` on libuv's thread pool.
#[napi(catch_unwind)]
pub fn discover_async(options: Option<DiscoverOptions>) -> Result<AsyncTask<Discovery>> {
    Ok(AsyncTask::new(Discovery {
        options: core_options(options)?,
        failure: None,
    }))
}

// Namespace ids, pid translation, mount namespaces, file handles and pidfds.
// 64-bit ids cross as decimal strings (index.ts makes bigints of them), so
// that the addon needs no Node-API BigInt support.

use linuxns_rel::Feature;

/// Throws an `ENOTSUP` error naming the kernel release `feature` needs,
/// unless the running kernel has it.
fn gate(env: &Env, feature: Feature, api: &str) -> Result<()> {
    gate_as(env, feature, api, feature.syscall())
}

/// [`gate`] for a function whose system call is not the feature's usual one.
fn gate_as(env: &Env, feature: Feature, api: &str, syscall: linuxns_rel::Syscall) -> Result<()> {
    if feature.available() {
        return Ok(());
    }
    let release = &linuxns_rel::kernel_features().release;
    let message = format!(
        "ENOTSUP: {api}() needs Linux {} or later ({}); this kernel is {release}",
        feature.since(),
        feature.interface(),
    );
    let mut obj = env.create_error(Error::new(Status::GenericFailure, message))?;
    obj.set_named_property("code", "ENOTSUP")?;
    obj.set_named_property("errno", -EOPNOTSUPP)?;
    obj.set_named_property("syscall", syscall.name())?;
    env.throw(obj)?;
    Err(Error::from_status(Status::PendingException))
}

/// `EOPNOTSUPP` (= `ENOTSUP`) on Linux, on every architecture the package builds for.
const EOPNOTSUPP: i32 = 95;

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
#[napi(object, use_nullable = true)]
pub struct NsStat {
    #[napi(js_name = "type")]
    pub ns_type: String,
    pub ino: f64,
    pub dev: f64,
    pub id: Option<String>,
}

/// Type, inode, device and id of a namespace.
#[napi(catch_unwind)]
pub fn ns_stat(env: Env, ns: Either<i32, String>) -> Result<NsStat> {
    let st = by_ref(&env, &ns, |r| linuxns_rel::ns_stat(r))?;
    Ok(NsStat {
        ns_type: st.ns_type.name().to_owned(),
        ino: st.ino as f64,
        dev: st.dev as f64,
        id: st.id.map(|id| id.to_string()),
    })
}

/// Pid translation: `which` is 0 pidFromPidns, 1 tgidFromPidns, 2 pidInPidns, 3 tgidInPidns.
#[napi(catch_unwind)]
pub fn translate_pid(env: Env, ns: Either<i32, String>, pid: i32, which: u32) -> Result<i32> {
    type Translate = fn(NsRef<'_>, i32) -> linuxns_rel::Result<i32>;
    let (name, call): (&str, Translate) = match which {
        0 => ("pidFromPidns", |r, pid| linuxns_rel::pid_from_pidns(r, pid)),
        1 => ("tgidFromPidns", |r, pid| {
            linuxns_rel::tgid_from_pidns(r, pid)
        }),
        2 => ("pidInPidns", |r, pid| linuxns_rel::pid_in_pidns(r, pid)),
        3 => ("tgidInPidns", |r, pid| linuxns_rel::tgid_in_pidns(r, pid)),
        _ => return Err(Error::new(Status::InvalidArg, "unknown pid translation")),
    };
    gate(&env, Feature::PidTranslation, name)?;
    by_ref(&env, &ns, |r| call(r, pid))
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

/// A new descriptor, owned by the caller, of the namespace a handle names (`open_by_handle_at`).
#[napi(catch_unwind)]
pub fn open_ns_file_handle(env: Env, handle: Buffer) -> Result<i32> {
    let syscall = linuxns_rel::Syscall::OpenByHandleAt;
    gate_as(&env, Feature::NsFileHandle, "openNsFileHandle", syscall)?;
    linuxns_rel::open_ns_file_handle(&handle)
        .map(raw_fd)
        .map_err(|e| throw_sys_error(&env, e))
}

/// A new descriptor, owned by the caller, of a process's namespace, through a pidfd where possible.
#[napi(catch_unwind)]
pub fn open_process_namespace(env: Env, pid: i32, ns_type: String) -> Result<i32> {
    let t = linuxns_rel::NsType::ALL
        .into_iter()
        .find(|t| t.name() == ns_type)
        .ok_or_else(|| {
            Error::new(
                Status::InvalidArg,
                format!("unknown namespace type '{ns_type}'"),
            )
        })?;
    linuxns_rel::open_process_namespace(pid, t)
        .map(raw_fd)
        .map_err(|e| throw_sys_error(&env, e))
}

/// Which of the newer interfaces the running kernel has.
#[napi(object)]
pub struct KernelFeatures {
    pub ns_id: bool,
    pub pid_translation: bool,
    pub mntns_id: bool,
    pub mntns_list: bool,
    pub ns_file_handle: bool,
    pub pidfd_namespace: bool,
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
