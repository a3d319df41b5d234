//! `discover()` and `discoverAsync()`: the options in, the model out, as
//! plain data.

use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::*;
use napi::JsValue;
use napi_derive::napi;

use crate::containers::{js_container, NamespaceContainer};
use crate::errors::{sys_error, throw_sys_error};
use crate::names::{NamespaceSource, NstypeName, TypeNames};
use crate::text::js_text;

/// What `discover()` looks for; see `DiscoverOptions` in the core crate.
#[napi(object, object_to_js = false)]
pub struct DiscoverOptions {
    /// The types to report. Default: user and pid.
    #[napi(ts_type = "ReadonlyArray<NstypeName>")]
    pub types: Option<TypeNames>,
    pub tasks: Option<bool>,
    pub fds: Option<bool>,
    pub bind_mounts: Option<bool>,
    pub containers: Option<bool>,
}

/// An open descriptor, in some process, that refers to a namespace.
#[napi(object)]
pub struct FdHolder {
    pub pid: i32,
    pub fd: i32,
}

/// One discovered namespace, as plain data.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct Namespace {
    #[napi(js_name = "type")]
    pub ns_type: NstypeName,
    pub ino: f64,
    pub dev: f64,
    /// The `NS_GET_ID` id as a decimal string (it may exceed 2^53); null before Linux 6.18.
    pub id: Option<String>,
    pub parent: Option<f64>,
    pub children: Vec<f64>,
    pub owner: Option<f64>,
    pub owner_uid: Option<u32>,
    #[napi(ts_type = "string | null")]
    pub owner_name: Option<Utf16String>,
    pub pid: Option<i32>,
    #[napi(ts_type = "string | null")]
    pub process: Option<Utf16String>,
    pub processes: u32,
    pub pids: Vec<i32>,
    pub via: Vec<NamespaceSource>,
    pub fd_holders: Vec<FdHolder>,
    #[napi(ts_type = "Array<string>")]
    pub bind_mounts: Vec<Utf16String>,
    /// One of the host's initial namespaces (those of PID 2, kthreadd).
    pub host: bool,
    /// The containers with a process in it; empty for the host's namespaces.
    pub containers: Vec<NamespaceContainer>,
}

/// What `discover()` found, and what it could not tell of the containers.
#[napi(object, object_from_js = false)]
pub struct Model {
    pub namespaces: Vec<Namespace>,
    pub notes: Vec<String>,
}

fn core_options(options: Option<DiscoverOptions>) -> linuxns_rel::DiscoverOptions {
    let mut core = linuxns_rel::DiscoverOptions::default();
    let Some(options) = options else {
        return core;
    };
    if let Some(TypeNames(types)) = options.types {
        core.types = types;
    }
    core.tasks = options.tasks.unwrap_or(core.tasks);
    core.fds = options.fds.unwrap_or(core.fds);
    core.bind_mounts = options.bind_mounts.unwrap_or(core.bind_mounts);
    core.containers = options.containers.unwrap_or(core.containers);
    core
}

fn js_namespace(ns: linuxns_rel::discover::Namespace) -> Namespace {
    // Inode and device numbers stay far below 2^53, so a JS number holds them exactly.
    let num = |n: u64| n as f64;
    Namespace {
        ns_type: ns.ns_type.into(),
        ino: num(ns.ino),
        dev: num(ns.dev),
        id: ns.id.map(|id| id.to_string()),
        parent: ns.parent.map(num),
        children: ns.children.into_iter().map(num).collect(),
        owner: ns.owner.map(num),
        owner_uid: ns.owner_uid,
        owner_name: ns.owner_name.map(|n| js_text(n.as_bytes())),
        pid: ns.representative.as_ref().map(|p| p.pid),
        process: ns.representative.map(|p| js_text(p.name.as_bytes())),
        processes: u32::try_from(ns.pids.len()).unwrap_or(u32::MAX),
        pids: ns.pids,
        via: ns.via.into_iter().map(NamespaceSource::from).collect(),
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
            .map(|p| js_text(p.as_os_str().as_bytes()))
            .collect(),
        host: ns.host,
        containers: ns.containers.into_iter().map(js_container).collect(),
    }
}

fn run_discovery(options: &linuxns_rel::DiscoverOptions) -> linuxns_rel::Result<Model> {
    let found = linuxns_rel::discover(options)?;
    Ok(Model {
        namespaces: found.namespaces.into_iter().map(js_namespace).collect(),
        notes: found.notes,
    })
}

/// Every namespace of the requested types, found by scanning /proc.
#[napi(catch_unwind)]
pub fn discover(env: Env, options: Option<DiscoverOptions>) -> Result<Model> {
    run_discovery(&core_options(options)).map_err(|e| throw_sys_error(&env, e))
}

pub struct Discovery {
    options: linuxns_rel::DiscoverOptions,
    /// Kept from `compute` so that `reject` can build the Node-style error on the JS thread.
    failure: Option<linuxns_rel::Error>,
}

#[napi]
impl Task for Discovery {
    type Output = Model;
    type JsValue = Model;

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
pub fn discover_async(options: Option<DiscoverOptions>) -> AsyncTask<Discovery> {
    AsyncTask::new(Discovery {
        options: core_options(options),
        failure: None,
    })
}
