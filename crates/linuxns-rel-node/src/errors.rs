//! The errors JavaScript sees: system errors shaped like Node's own fs
//! errors, `ENOTSUP` where the kernel is too old, and Node-style argument
//! errors (`TypeError` / `RangeError` with a `code`).

use linuxns_rel::bpf_scan::Unavailable;
use linuxns_rel::{Feature, Syscall};
use napi::bindgen_prelude::*;
use napi::ValueType;

/// A system error shaped like Node's own fs errors (`code`, `errno`,
/// `syscall`, `path`, and a message `CODE: description, syscall 'path'`).
pub(crate) fn sys_error<'env>(env: &'env Env, e: linuxns_rel::Error) -> Result<Object<'env>> {
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
pub(crate) fn throw_sys_error(env: &Env, e: linuxns_rel::Error) -> Error {
    match sys_error(env, e).and_then(|obj| env.throw(obj)) {
        Ok(()) => Error::from_status(Status::PendingException),
        Err(err) => err,
    }
}

/// The error of `discover({ scan: 'bpf' })` where the BPF scan cannot run:
/// shaped as [`sys_error`] for the call `bpf`, its message naming why.
pub(crate) fn no_bpf_error<'env>(env: &'env Env, why: &Unavailable) -> Result<Object<'env>> {
    let code = format!("{:?}", why.errno());
    let message = format!("{code}: the BPF scan cannot run: {why}");
    let mut obj = env.create_error(Error::new(Status::GenericFailure, message))?;
    obj.set_named_property("code", code)?;
    obj.set_named_property("errno", -(why.errno() as i32))?;
    obj.set_named_property("syscall", Syscall::Bpf.name())?;
    Ok(obj)
}

/// Throws [`no_bpf_error`].
pub(crate) fn throw_no_bpf(env: &Env, why: &Unavailable) -> Error {
    match no_bpf_error(env, why).and_then(|obj| env.throw(obj)) {
        Ok(()) => Error::from_status(Status::PendingException),
        Err(err) => err,
    }
}

/// Throws an `ENOTSUP` error naming the kernel release `feature` needs,
/// unless the running kernel has it.
pub(crate) fn gate(env: &Env, feature: Feature, api: &str) -> Result<()> {
    gate_as(env, feature, api, feature.syscall())
}

/// [`gate`] for a function whose system call is not the feature's usual one.
pub(crate) fn gate_as(env: &Env, feature: Feature, api: &str, syscall: Syscall) -> Result<()> {
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

/// Throws a `TypeError` with code `ERR_INVALID_ARG_VALUE`, as Node's own
/// functions do for an argument of the right type but a wrong value.
pub(crate) fn invalid_arg_value(env: &Env, message: &str) -> Error {
    pending(env.throw_type_error(message, Some("ERR_INVALID_ARG_VALUE")))
}

/// Throws a `RangeError` with code `ERR_OUT_OF_RANGE`.
pub(crate) fn out_of_range(env: &Env, message: &str) -> Error {
    pending(env.throw_range_error(message, Some("ERR_OUT_OF_RANGE")))
}

/// The error that tells napi-rs an exception is pending, once it is.
fn pending(thrown: Result<()>) -> Error {
    match thrown {
        Ok(()) => Error::from_status(Status::PendingException),
        Err(err) => err,
    }
}

/// JavaScript's `String(value)`, to show a bad argument as the TypeScript
/// side would.
pub(crate) fn js_string(env: &Env, value: Unknown<'_>) -> Result<String> {
    let string: Function<Unknown, String> = env.get_global()?.get_named_property("String")?;
    string.call(value)
}

/// A bad argument as Node's messages show it: `type string (bogus)`, `null`, `an object`.
pub(crate) fn describe(env: &Env, value: Unknown<'_>) -> Result<String> {
    let typeof_name = match value.get_type()? {
        ValueType::Null => return Ok("null".to_owned()),
        ValueType::Object | ValueType::External => return Ok("an object".to_owned()),
        ValueType::Undefined => "undefined",
        ValueType::Boolean => "boolean",
        ValueType::Number => "number",
        ValueType::String => "string",
        ValueType::Symbol => "symbol",
        ValueType::Function => "function",
        // The one type left; napi-rs names it only with Node-API 6.
        _ => "bigint",
    };
    Ok(format!("type {typeof_name} ({})", js_string(env, value)?))
}
