//! The relations calls: by path through napi-rs, and by descriptor as bare
//! Node-API functions (`fdCalls()`), the ones made in tight loops.

use std::os::fd::{IntoRawFd, OwnedFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use linuxns_rel::NsRef;
use napi::bindgen_prelude::*;
use napi::{sys, Callback, JsError};
use napi_derive::napi;

use crate::errors::throw_sys_error;

/// A new descriptor, handed to JavaScript, which owns it from then on.
pub(crate) fn raw_fd(fd: OwnedFd) -> i32 {
    fd.into_raw_fd()
}

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
