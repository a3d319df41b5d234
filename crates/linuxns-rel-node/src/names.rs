//! The names and values JavaScript shares with the core: namespace types
//! and how a namespace was found. The strings are the core's
//! (`NsType::name`, `Source::name`, read back with `FromStr`); the enums
//! here give TypeScript their exact unions, and a test holds the two equal.

use linuxns_rel::containers::{Engine, NsState};
use linuxns_rel::discover::{Scan, Source};
use linuxns_rel::NsType;
use napi::bindgen_prelude::*;
use napi::{JsValue, ValueType};
use napi_derive::napi;

use crate::errors::{describe, invalid_arg_value, js_string, out_of_range};

/// The name of a namespace type, as in `/proc/PID/ns/NAME` and `NAME:[inode]`.
#[napi(
    string_enum = "lowercase",
    object_from_js = false,
    object_to_js = false
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NstypeName {
    Cgroup,
    Ipc,
    Mnt,
    Net,
    Pid,
    Time,
    User,
    Uts,
}

impl NstypeName {
    const fn of(t: NsType) -> Self {
        match t {
            NsType::Cgroup => NstypeName::Cgroup,
            NsType::Ipc => NstypeName::Ipc,
            NsType::Mnt => NstypeName::Mnt,
            NsType::Net => NstypeName::Net,
            NsType::Pid => NstypeName::Pid,
            NsType::Time => NstypeName::Time,
            NsType::User => NstypeName::User,
            NsType::Uts => NstypeName::Uts,
        }
    }

    /// The core's type.
    pub(crate) const fn ns_type(self) -> NsType {
        match self {
            NstypeName::Cgroup => NsType::Cgroup,
            NstypeName::Ipc => NsType::Ipc,
            NstypeName::Mnt => NsType::Mnt,
            NstypeName::Net => NsType::Net,
            NstypeName::Pid => NsType::Pid,
            NstypeName::Time => NsType::Time,
            NstypeName::User => NsType::User,
            NstypeName::Uts => NsType::Uts,
        }
    }
}

impl From<NsType> for NstypeName {
    fn from(t: NsType) -> Self {
        NstypeName::of(t)
    }
}

impl ToNapiValue for NstypeName {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        // SAFETY: `env` is the one napi-rs gave this conversion.
        unsafe { <&str>::to_napi_value(env, val.ns_type().name()) }
    }
}

/// Reads a type name with `NsType::from_str`; anything else throws a
/// `TypeError` with code `ERR_INVALID_ARG_VALUE`.
impl FromNapiValue for NstypeName {
    unsafe fn from_napi_value(env: sys::napi_env, napi_val: sys::napi_value) -> Result<Self> {
        let env = Env::from_raw(env);
        // SAFETY: `env` and `napi_val` are the ones napi-rs gave this conversion.
        let value = unsafe { Unknown::from_raw_unchecked(env.raw(), napi_val) };
        match type_name(value) {
            Some(t) => Ok(t.into()),
            None => {
                let message = format!(
                    "The type must be one of {}. Received {}",
                    names_list(),
                    describe(&env, value)?
                );
                Err(invalid_arg_value(&env, &message))
            }
        }
    }
}

/// The type `value` names, if it is a type name.
fn type_name(value: Unknown<'_>) -> Option<NsType> {
    if value.get_type().ok()? != ValueType::String {
        return None;
    }
    String::from_unknown(value).ok()?.parse().ok()
}

/// The eight names, for messages.
fn names_list() -> String {
    NsType::ALL.map(NsType::name).join(", ")
}

/// `DiscoverOptions.types`: an array of type names; anything else throws a
/// `TypeError` with code `ERR_INVALID_ARG_VALUE`.
pub struct TypeNames(pub Vec<NsType>);

impl FromNapiValue for TypeNames {
    unsafe fn from_napi_value(env: sys::napi_env, napi_val: sys::napi_value) -> Result<Self> {
        let env = Env::from_raw(env);
        // SAFETY: `env` and `napi_val` are the ones napi-rs gave this conversion.
        let value = unsafe { Unknown::from_raw_unchecked(env.raw(), napi_val) };
        // The message names the first element that is no type name, or the value itself.
        let mut bad = value;
        if value.is_array()? {
            let array = Array::from_unknown(value)?;
            let mut types = Vec::new();
            for i in 0..array.len() {
                let element = array.get::<Unknown>(i)?;
                match element.and_then(type_name) {
                    Some(t) => types.push(t),
                    None => {
                        bad = element.unwrap_or(value);
                        break;
                    }
                }
            }
            if types.len() == array.len() as usize {
                return Ok(TypeNames(types));
            }
        }
        let message = format!(
            "options.types must be an array of {}. Received {}",
            names_list(),
            describe(&env, bad)?
        );
        Err(invalid_arg_value(&env, &message))
    }
}

/// `DiscoverOptions.scan`: 'auto', 'bpf' or 'procfs'; anything else throws
/// a `TypeError` with code `ERR_INVALID_ARG_VALUE`.
pub struct ScanChoice(pub Scan);

impl FromNapiValue for ScanChoice {
    unsafe fn from_napi_value(env: sys::napi_env, napi_val: sys::napi_value) -> Result<Self> {
        let env = Env::from_raw(env);
        // SAFETY: `env` and `napi_val` are the ones napi-rs gave this conversion.
        let value = unsafe { Unknown::from_raw_unchecked(env.raw(), napi_val) };
        let scan = match value.get_type()? {
            ValueType::String => String::from_unknown(value)?.parse().ok(),
            _ => None,
        };
        scan.map(ScanChoice).ok_or_else(|| {
            let names = Scan::ALL.map(|s| format!("'{}'", s.name())).join(", ");
            let message = format!(
                "options.scan must be one of {names}. Received {}",
                describe(&env, value).unwrap_or_default()
            );
            invalid_arg_value(&env, &message)
        })
    }
}

/// How a namespace was found, as `discover()` says it.
#[napi(
    string_enum = "kebab-case",
    object_from_js = false,
    object_to_js = false
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceSource {
    Process,
    Task,
    Fd,
    Socket,
    BindMount,
    Hierarchy,
    Pending,
    MountList,
}

impl From<Source> for NamespaceSource {
    fn from(source: Source) -> Self {
        match source {
            Source::Process => NamespaceSource::Process,
            Source::Task => NamespaceSource::Task,
            Source::Fd => NamespaceSource::Fd,
            Source::Socket => NamespaceSource::Socket,
            Source::BindMount => NamespaceSource::BindMount,
            Source::Hierarchy => NamespaceSource::Hierarchy,
            Source::Pending => NamespaceSource::Pending,
            Source::MountList => NamespaceSource::MountList,
        }
    }
}

/// The engine whose container it is.
#[napi(
    string_enum = "kebab-case",
    object_from_js = false,
    object_to_js = false
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerEngine {
    Docker,
    Containerd,
    CriO,
    Podman,
    Lxc,
    Nspawn,
}

impl From<Engine> for ContainerEngine {
    fn from(engine: Engine) -> Self {
        match engine {
            Engine::Docker => ContainerEngine::Docker,
            Engine::Containerd => ContainerEngine::Containerd,
            Engine::CriO => ContainerEngine::CriO,
            Engine::Podman => ContainerEngine::Podman,
            Engine::Lxc => ContainerEngine::Lxc,
            Engine::Nspawn => ContainerEngine::Nspawn,
        }
    }
}

impl ContainerEngine {
    const fn engine(self) -> Engine {
        match self {
            ContainerEngine::Docker => Engine::Docker,
            ContainerEngine::Containerd => Engine::Containerd,
            ContainerEngine::CriO => Engine::CriO,
            ContainerEngine::Podman => Engine::Podman,
            ContainerEngine::Lxc => Engine::Lxc,
            ContainerEngine::Nspawn => Engine::Nspawn,
        }
    }
}

impl ToNapiValue for ContainerEngine {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        // SAFETY: `env` is the one napi-rs gave this conversion.
        unsafe { <&str>::to_napi_value(env, val.engine().name()) }
    }
}

/// How a container has one of its namespaces.
#[napi(
    string_enum = "lowercase",
    object_from_js = false,
    object_to_js = false
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceState {
    Own,
    Host,
    Shared,
}

impl From<NsState> for NamespaceState {
    fn from(state: NsState) -> Self {
        match state {
            NsState::Own => NamespaceState::Own,
            NsState::Host => NamespaceState::Host,
            NsState::Shared => NamespaceState::Shared,
        }
    }
}

impl NamespaceState {
    const fn state(self) -> NsState {
        match self {
            NamespaceState::Own => NsState::Own,
            NamespaceState::Host => NsState::Host,
            NamespaceState::Shared => NsState::Shared,
        }
    }
}

impl ToNapiValue for NamespaceState {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        // SAFETY: `env` is the one napi-rs gave this conversion.
        unsafe { <&str>::to_napi_value(env, val.state().name()) }
    }
}

/// cgroup namespace type.
#[napi]
pub const CLONE_NEWCGROUP: i32 = NsType::Cgroup.flag();
/// Inter-process communication namespace type.
#[napi]
pub const CLONE_NEWIPC: i32 = NsType::Ipc.flag();
/// Network namespace type.
#[napi]
pub const CLONE_NEWNET: i32 = NsType::Net.flag();
/// Mount namespace type.
#[napi]
pub const CLONE_NEWNS: i32 = NsType::Mnt.flag();
/// PID namespace type.
#[napi]
pub const CLONE_NEWPID: i32 = NsType::Pid.flag();
/// Time namespace type (Linux 5.6).
#[napi]
pub const CLONE_NEWTIME: i32 = NsType::Time.flag();
/// User namespace type.
#[napi]
pub const CLONE_NEWUSER: i32 = NsType::User.flag();
/// UTS (host and domain name) namespace type.
#[napi]
pub const CLONE_NEWUTS: i32 = NsType::Uts.flag();

/// Every namespace type's name, in alphabetical order.
#[napi]
pub const NSTYPE_NAMES: [NstypeName; NsType::ALL.len()] = {
    let mut names = [NstypeName::Cgroup; NsType::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = NstypeName::of(NsType::ALL[i]);
        i += 1;
    }
    names
};

/// The name of a `CLONE_NEW*` value; a `RangeError` with code
/// `ERR_OUT_OF_RANGE` for anything else.
#[napi(catch_unwind)]
pub fn nstype_str(env: Env, #[napi(ts_arg_type = "number")] nstype: Unknown) -> Result<NstypeName> {
    let flag = match nstype.get_type()? {
        ValueType::Number => Some(f64::from_unknown(nstype)?),
        _ => None,
    };
    // Only an exact i32 can be a flag (not 1.5, NaN or 2^40).
    let flag = flag
        .filter(|f| f.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(f));
    match flag.and_then(|f| NsType::from_flag(f as i32)) {
        Some(t) => Ok(t.into()),
        None => {
            let message = format!("Unknown namespace type value: {}", js_string(&env, nstype)?);
            Err(out_of_range(&env, &message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// napi-rs's `kebab-case` of a variant's name.
    fn kebab(name: &str) -> String {
        let mut out = String::new();
        for (i, c) in name.char_indices() {
            if c.is_uppercase() && i > 0 {
                out.push('-');
            }
            out.extend(c.to_lowercase());
        }
        out
    }

    #[test]
    fn typescript_unions_hold_the_core_names() {
        for t in NsType::ALL {
            let js = NstypeName::from(t);
            assert_eq!(format!("{js:?}").to_lowercase(), t.name());
            assert_eq!(js.ns_type(), t);
        }
        assert_eq!(NSTYPE_NAMES.map(NstypeName::ns_type), NsType::ALL);
        for s in Source::ALL {
            let js = NamespaceSource::from(s);
            assert_eq!(kebab(&format!("{js:?}")), s.name());
        }
        for e in Engine::ALL {
            let js = ContainerEngine::from(e);
            assert_eq!(kebab(&format!("{js:?}")), e.name());
            assert_eq!(js.engine(), e);
        }
        for s in [NsState::Own, NsState::Host, NsState::Shared] {
            let js = NamespaceState::from(s);
            assert_eq!(format!("{js:?}").to_lowercase(), s.name());
            assert_eq!(js.state(), s);
        }
    }
}
