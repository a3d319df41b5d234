//! Node-API glue over the `linuxns-rel` crate: argument and error conversion
//! only. Every export catches panics so that a bug surfaces as a JavaScript
//! error instead of aborting the process.

use std::os::fd::IntoRawFd;
use std::path::Path;

use linuxns_rel::NsRef;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A namespace as the JavaScript side passes it: a file descriptor or a path.
fn ns_ref(ns: &Either<i32, String>) -> NsRef<'_> {
    match ns {
        Either::A(fd) => NsRef::Fd(*fd),
        Either::B(path) => NsRef::Path(Path::new(path)),
    }
}

/// Throws a system error shaped like Node's own fs errors (`code`, `errno`,
/// `syscall`, `path`, and a message `CODE: description, syscall 'path'`).
fn throw_sys_error(env: &Env, e: linuxns_rel::Error) -> Error {
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
    let thrown = env
        .create_error(Error::new(Status::GenericFailure, message))
        .and_then(|mut obj| {
            obj.set_named_property("code", code)?;
            // Node's fs errors carry the negated errno, as libuv reports it.
            obj.set_named_property("errno", -(e.errno as i32))?;
            obj.set_named_property("syscall", e.syscall.name())?;
            if let Some(p) = path {
                obj.set_named_property("path", p)?;
            }
            env.throw(obj)
        });
    match thrown {
        Ok(()) => Error::from_status(Status::PendingException),
        Err(err) => err,
    }
}

/// The namespace's `CLONE_NEW*` type value (`NS_GET_NSTYPE`).
#[napi(catch_unwind)]
pub fn get_nstype(env: Env, ns: Either<i32, String>) -> Result<i32> {
    linuxns_rel::get_nstype(ns_ref(&ns)).map_err(|e| throw_sys_error(&env, e))
}

/// The uid that owns a user namespace (`NS_GET_OWNER_UID`).
#[napi(catch_unwind)]
pub fn get_owner_uid(env: Env, ns: Either<i32, String>) -> Result<u32> {
    linuxns_rel::get_owner_uid(ns_ref(&ns)).map_err(|e| throw_sys_error(&env, e))
}

/// A new descriptor, owned by the caller, of the owning user namespace (`NS_GET_USERNS`).
#[napi(catch_unwind)]
pub fn get_userns(env: Env, ns: Either<i32, String>) -> Result<i32> {
    linuxns_rel::get_userns(ns_ref(&ns))
        .map(IntoRawFd::into_raw_fd)
        .map_err(|e| throw_sys_error(&env, e))
}

/// A new descriptor, owned by the caller, of the parent namespace (`NS_GET_PARENT`).
#[napi(catch_unwind)]
pub fn get_parentns(env: Env, ns: Either<i32, String>) -> Result<i32> {
    linuxns_rel::get_parentns(ns_ref(&ns))
        .map(IntoRawFd::into_raw_fd)
        .map_err(|e| throw_sys_error(&env, e))
}

/// A new read-only, close-on-exec descriptor of the namespace at `path`, owned by the caller.
#[napi(catch_unwind)]
pub fn open_ns(env: Env, path: String) -> Result<i32> {
    linuxns_rel::open_ns(&path)
        .map(IntoRawFd::into_raw_fd)
        .map_err(|e| throw_sys_error(&env, e))
}
