//! Which containers a process runs in, told from its `/proc/PID/cgroup`
//! text alone: the engines name the cgroups they make after the container,
//! in a handful of forms that differ by engine, cgroup version and driver.
//!
//! Ids are taken only in the form the engine gives them (64 hex digits for
//! Docker, containerd's CRI plugin, CRI-O and podman), so a cgroup that
//! merely looks alike (`docker-containerd.service`, `crio-conmon-<id>.scope`,
//! `libpod-conmon-<id>.scope`, `lxc.monitor.<name>`) is not a container.

use super::{ContainerRef, Engine};

/// The chain of containers a process runs in, outermost first, from the text
/// of its `/proc/PID/cgroup`; empty for a process outside any container.
///
/// Every line is read (cgroup v1 has one per hierarchy, v2 one `0::` line,
/// hybrid systems both); the longest chain wins, so a hierarchy that an
/// engine left alone (`rdma:/`, or a v2 line of `/` under the v1 cgroupfs
/// driver) does not hide the container. The forms understood:
///
/// | engine | cgroupfs driver | systemd driver |
/// | --- | --- | --- |
/// | Docker | `/docker/<id>` | `docker-<id>.scope` |
/// | containerd (CRI) | `/kubepods/<qos>/pod<uid>/<id>` | `cri-containerd-<id>.scope`, `…pod<uid>.slice:cri-containerd:<id>` |
/// | CRI-O | `crio-<id>` | `crio-<id>.scope` |
/// | podman | `libpod-<id>` | `libpod-<id>.scope`, `libpod-<id>.scope/container` |
/// | LXC | `/lxc/<name>`, `lxc.payload/<name>` | `lxc.payload.<name>` |
/// | systemd-nspawn, machined | | `machine-<name>.scope`, `systemd-nspawn@<name>.service` |
///
/// A Kubernetes pod (`pod<uid>` or `kubepods…-pod<uid>.slice`) and a podman
/// pod (`machine-libpod_pod_<id>.slice`) give their uid to the container
/// below them. A bare 64-hex id right under a Kubernetes pod is taken as
/// containerd's (the CRI plugin's cgroupfs form); the engines' state on disk
/// may show it is another engine's.
pub fn chain_from_cgroup(text: &[u8]) -> Vec<ContainerRef> {
    text.split(|&b| b == b'\n')
        .filter_map(|line| {
            let mut fields = line.splitn(3, |&b| b == b':');
            let _hierarchy = fields.next()?;
            let _controllers = fields.next()?;
            Some(chain_from_path(fields.next()?))
        })
        .fold(Vec::new(), |best, chain| {
            if chain.len() > best.len() {
                chain
            } else {
                best
            }
        })
}

/// The containers named along one cgroup path, outermost first.
fn chain_from_path(path: &[u8]) -> Vec<ContainerRef> {
    let segments: Vec<&[u8]> = path
        .split(|&b| b == b'/')
        .filter(|s| !s.is_empty())
        .collect();
    let mut chain = Vec::new();
    // The pod whose cgroup the walk is in, until a container below takes it.
    let mut pod: Option<String> = None;
    // Whether the segment just before was that pod's own.
    let mut after_pod = false;
    let mut i = 0;
    while let Some(&segment) = segments.get(i) {
        let next = segments.get(i + 1).copied();
        let mut found = None;
        let mut skip = 1;
        let mut is_pod = false;
        if let Some(uid) = kubernetes_pod(segment) {
            pod = Some(uid);
            is_pod = true;
        } else if let Some(id) = podman_pod(segment) {
            pod = Some(id);
            is_pod = true;
        } else if let Some((engine, id)) = container_segment(segment) {
            found = Some((engine, id));
        } else if let Some((prefix, engine, id)) = colon_form(segment) {
            if let Some(uid) = kubernetes_pod(prefix) {
                pod = Some(uid);
            }
            found = Some((engine, id));
        } else if after_pod && is_hex_id(segment) {
            found = Some((Engine::Containerd, text(segment)));
        } else if let Some(name) = next.filter(|n| is_name(n)) {
            let engine = match segment {
                b"docker" if is_hex_id(name) => Some(Engine::Docker),
                b"lxc" | b"lxc.payload" => Some(Engine::Lxc),
                _ => None,
            };
            if let Some(engine) = engine {
                found = Some((engine, text(name)));
                skip = 2;
            }
        }
        if let Some((engine, id)) = found {
            chain.push(ContainerRef {
                engine,
                id,
                pod_uid: pod.take(),
            });
        }
        after_pod = is_pod;
        i += skip;
    }
    chain
}

/// A container named by one segment in the `<prefix>-<id>[.scope]` forms, or
/// by LXC's `lxc.payload.<name>`, machined's `machine-<name>.scope` and
/// systemd-nspawn's own unit.
fn container_segment(segment: &[u8]) -> Option<(Engine, String)> {
    let scope_or_bare = |prefix: &[u8]| {
        let rest = segment.strip_prefix(prefix)?;
        let id = rest.strip_suffix(b".scope").unwrap_or(rest);
        is_hex_id(id).then(|| text(id))
    };
    if let Some(id) = segment
        .strip_prefix(b"docker-")
        .and_then(|rest| rest.strip_suffix(b".scope"))
        .filter(|id| is_hex_id(id))
    {
        return Some((Engine::Docker, text(id)));
    }
    if let Some(id) = segment
        .strip_prefix(b"cri-containerd-")
        .and_then(|rest| rest.strip_suffix(b".scope"))
        .filter(|id| is_hex_id(id))
    {
        return Some((Engine::Containerd, text(id)));
    }
    if let Some(id) = scope_or_bare(b"crio-") {
        return Some((Engine::CriO, id));
    }
    if let Some(id) = scope_or_bare(b"libpod-") {
        return Some((Engine::Podman, id));
    }
    if let Some(name) = segment.strip_prefix(b"lxc.payload.").filter(|n| is_name(n)) {
        return Some((Engine::Lxc, text(name)));
    }
    let machine = segment
        .strip_prefix(b"machine-")
        .and_then(|rest| rest.strip_suffix(b".scope"))
        .or_else(|| {
            segment
                .strip_prefix(b"systemd-nspawn@")
                .and_then(|rest| rest.strip_suffix(b".service"))
        });
    let name = machine.map(unescape_unit).filter(|n| is_name(n))?;
    Some((Engine::Nspawn, String::from_utf8_lossy(&name).into_owned()))
}

/// `<slice>:<prefix>:<id>`: the systemd form of a cgroup path, which shows
/// up as it is where runc was given it but used its cgroupfs driver.
fn colon_form(segment: &[u8]) -> Option<(&[u8], Engine, String)> {
    let mut parts = segment.splitn(3, |&b| b == b':');
    let slice = parts.next()?;
    let engine = match parts.next()? {
        b"cri-containerd" => Engine::Containerd,
        b"crio" => Engine::CriO,
        b"docker" => Engine::Docker,
        _ => return None,
    };
    let id = parts.next().filter(|id| is_hex_id(id))?;
    Some((slice, engine, text(id)))
}

/// The uid of a Kubernetes pod from its cgroup: `pod<uid>` (cgroupfs
/// driver) or `kubepods[-<qos>]-pod<uid with _ for ->.slice` (systemd
/// driver; under kind also `kubelet-kubepods-…`). A uid is a UUID, or 32 hex
/// digits for a static pod (a hash of its manifest).
fn kubernetes_pod(segment: &[u8]) -> Option<String> {
    let uid = match segment.strip_suffix(b".slice") {
        Some(slice) => {
            let at = find(slice, b"-pod")?;
            if find(slice, b"kubepods").is_none_or(|k| k > at) {
                return None;
            }
            slice.get(at + 4..)?
        }
        None => segment.strip_prefix(b"pod")?,
    };
    let uid: Vec<u8> = uid
        .iter()
        .map(|&b| if b == b'_' { b'-' } else { b })
        .collect();
    (is_uuid(&uid) || (uid.len() == 32 && uid.iter().all(is_lower_hex))).then(|| text(&uid))
}

/// The id of a podman pod from its systemd slice, `machine-libpod_pod_<id>.slice`.
fn podman_pod(segment: &[u8]) -> Option<String> {
    let id = segment
        .strip_prefix(b"machine-libpod_pod_")?
        .strip_suffix(b".slice")?;
    is_hex_id(id).then(|| text(id))
}

/// 64 lowercase hex digits: the ids of Docker, CRI, CRI-O and podman.
fn is_hex_id(s: &[u8]) -> bool {
    s.len() == 64 && s.iter().all(is_lower_hex)
}

fn is_lower_hex(b: &u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(b)
}

/// `8-4-4-4-12` hex digits.
fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => is_lower_hex(b),
        })
}

/// A name an LXC or nspawn container can have: not empty, not a path
/// element of its own, no control characters.
fn is_name(s: &[u8]) -> bool {
    !s.is_empty() && s != b"." && s != b".." && !s.iter().any(|b| b.is_ascii_control())
}

/// Undoes systemd's `\xNN` escapes in a unit name (machined writes a `-`
/// of a machine's name as `\x2d`).
fn unescape_unit(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    let mut i = 0;
    while let Some(&b) = name.get(i) {
        // Two hex digits: from_str_radix alone would take `+f` too.
        let escaped = name
            .get(i..i + 4)
            .filter(|e| e.starts_with(b"\\x") && e[2..].iter().all(u8::is_ascii_hexdigit))
            .and_then(|e| std::str::from_utf8(e.get(2..)?).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(c) => {
                out.push(c);
                i += 4;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
