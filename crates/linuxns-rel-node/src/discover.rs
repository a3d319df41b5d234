//! `discover()` and `discoverAsync()`: the options in, the model out, as
//! JSON text.

use std::fmt::Write;
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::*;
use napi::JsValue;
use napi_derive::napi;

use linuxns_rel::bpf_scan::Unavailable;
use linuxns_rel::discover::Scan;

use crate::errors::{no_bpf_error, sys_error, throw_no_bpf, throw_sys_error};
use crate::names::{ScanChoice, TypeNames};
use crate::text::json_text;

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
    /// Which scan reads the processes' namespaces. Default: 'auto'.
    #[napi(ts_type = "'auto' | 'bpf' | 'procfs'")]
    pub scan: Option<ScanChoice>,
    pub owners: Option<bool>,
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
    if let Some(ScanChoice(scan)) = options.scan {
        core.scan = scan;
    }
    core.owners = options.owners.unwrap_or(core.owners);
    core
}

/// The model as JSON text, in the shape of `Discovery` in `lib/model.ts`:
/// `JSON.parse` makes its many small objects several times faster than
/// Node-API calls would, one property at a time.
fn model_json(found: linuxns_rel::discover::Discovery) -> String {
    let mut out = String::with_capacity(256 * found.namespaces.len() + 64);
    out.push_str("{\"namespaces\":[");
    for (i, ns) in found.namespaces.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        namespace_json(&mut out, ns);
    }
    out.push_str("],\"notes\":");
    list(&mut out, &found.notes, |out, note| {
        json_text(out, note.as_bytes())
    });
    let _ = write!(out, ",\"scan\":\"{}\"}}", found.scan.name());
    out
}

fn namespace_json(out: &mut String, ns: &linuxns_rel::discover::Namespace) {
    let _ = write!(
        out,
        "{{\"type\":\"{}\",\"ino\":{},\"dev\":{},\"id\":",
        ns.ns_type.name(),
        ns.ino,
        ns.dev
    );
    // A decimal string: it may exceed 2^53.
    or_null(out, ns.id, |out, id| {
        let _ = write!(out, "\"{id}\"");
    });
    out.push_str(",\"parent\":");
    or_null(out, ns.parent, number);
    out.push_str(",\"children\":");
    list(out, &ns.children, |out, &c| number(out, c));
    out.push_str(",\"owner\":");
    or_null(out, ns.owner, number);
    out.push_str(",\"ownerUid\":");
    or_null(out, ns.owner_uid, number);
    out.push_str(",\"ownerName\":");
    or_null(out, ns.owner_name.as_ref(), |out, n| {
        json_text(out, n.as_bytes())
    });
    out.push_str(",\"pid\":");
    or_null(out, ns.representative.as_ref().map(|p| p.pid), number);
    out.push_str(",\"process\":");
    or_null(out, ns.representative.as_ref(), |out, p| {
        json_text(out, p.name.as_bytes())
    });
    let _ = write!(out, ",\"processes\":{},\"pids\":", ns.pids.len());
    list(out, &ns.pids, |out, &pid| number(out, pid));
    out.push_str(",\"via\":");
    list(out, &ns.via, |out, via| {
        let _ = write!(out, "\"{}\"", via.name());
    });
    out.push_str(",\"fdHolders\":");
    list(out, &ns.fd_holders, |out, h| {
        let _ = write!(out, "{{\"pid\":{},\"fd\":{}}}", h.pid, h.fd);
    });
    out.push_str(",\"bindMounts\":");
    list(out, &ns.bind_mounts, |out, path| {
        json_text(out, path.as_os_str().as_bytes())
    });
    let _ = write!(out, ",\"host\":{},\"containers\":", ns.host);
    list(out, &ns.containers, |out, c| {
        let _ = write!(out, "{{\"engine\":\"{}\",\"id\":", c.engine.name());
        json_text(out, c.id.as_bytes());
        for (key, value) in [
            ("name", &c.name),
            ("image", &c.image),
            ("pod", &c.pod),
            ("podNamespace", &c.pod_namespace),
        ] {
            let _ = write!(out, ",\"{key}\":");
            or_null(out, value.as_ref(), |out, v| json_text(out, v.as_bytes()));
        }
        out.push('}');
    });
    out.push('}');
}

fn number(out: &mut String, n: impl std::fmt::Display) {
    let _ = write!(out, "{n}");
}

fn or_null<T>(out: &mut String, value: Option<T>, write: impl FnOnce(&mut String, T)) {
    match value {
        Some(v) => write(out, v),
        None => out.push_str("null"),
    }
}

fn list<T>(out: &mut String, items: &[T], mut write: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(out, item);
    }
    out.push(']');
}

/// Why a discovery failed: a system call, or no BPF scan where one was asked for.
enum Failure {
    Sys(linuxns_rel::Error),
    NoBpf(Unavailable),
}

impl Failure {
    fn throw(self, env: &Env) -> Error {
        match self {
            Failure::Sys(e) => throw_sys_error(env, e),
            Failure::NoBpf(why) => throw_no_bpf(env, &why),
        }
    }
}

fn run_discovery(options: &linuxns_rel::DiscoverOptions) -> std::result::Result<String, Failure> {
    // Asked first so that the error can name the reason.
    if options.scan == Scan::Bpf {
        linuxns_rel::bpf_scan::available().map_err(Failure::NoBpf)?;
    }
    let found = linuxns_rel::discover(options).map_err(Failure::Sys)?;
    Ok(model_json(found))
}

/// Every namespace of the requested types, found by a BPF scan where it can
/// run, else by scanning /proc: the model as JSON text, which `index.ts`
/// parses.
#[napi(catch_unwind)]
pub fn discover(env: Env, options: Option<DiscoverOptions>) -> Result<String> {
    run_discovery(&core_options(options)).map_err(|e| e.throw(&env))
}

pub struct Discovery {
    options: linuxns_rel::DiscoverOptions,
    /// Kept from `compute` so that `reject` can build the Node-style error on the JS thread.
    failure: Option<Failure>,
}

#[napi]
impl Task for Discovery {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| run_discovery(&self.options)))
            .map_err(panic_to_error)?
        {
            Ok(found) => Ok(found),
            Err(e) => {
                let message = match &e {
                    Failure::Sys(e) => e.to_string(),
                    Failure::NoBpf(why) => why.to_string(),
                };
                self.failure = Some(e);
                Err(Error::new(Status::GenericFailure, message))
            }
        }
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Self::JsValue> {
        match self.failure.take() {
            Some(Failure::Sys(e)) => Err(Error::from(sys_error(&env, e)?.to_unknown())),
            Some(Failure::NoBpf(why)) => Err(Error::from(no_bpf_error(&env, &why)?.to_unknown())),
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
