//! Where the fields of the kernel types that the scan's programs do not
//! relocate through CO-RE lie (`struct layout` in `bpf/ns_scan.bpf.h`), read
//! from the kernel's BTF in one pass over its types.
//!
//! The kernel relocates the programs' CO-RE accesses as it loads them,
//! searching its BTF for each type's name; it keeps what it found in a cache
//! of 31 slots by a hash of the name, which holds one name a slot. The
//! types here each share a slot with a type the programs relocate through
//! CO-RE, so that each load searched again, about 0.7 ms each time, under a
//! lock that the two loads take in turns.

use nix::errno::Errno;

/// `struct layout`'s fields, in order: a type and its member, or `None` for
/// the type's size.
const FIELDS: [(&str, Option<&str>); 13] = [
    ("pid", Some("level")),
    ("pid", Some("numbers")),
    ("upid", None),
    ("upid", Some("ns")),
    ("ipc_namespace", Some("ns")),
    ("ipc_namespace", Some("user_ns")),
    ("cgroup_namespace", Some("ns")),
    ("cgroup_namespace", Some("user_ns")),
    ("super_block", Some("s_magic")),
    ("inode", Some("i_sb")),
    ("inode", Some("i_private")),
    ("file", Some("f_inode")),
    ("file", Some("private_data")),
];

/// Bytes of `struct layout`.
pub(crate) const LAYOUT_SIZE: usize = FIELDS.len() * 4;

const MAGIC: u16 = 0xEB9F;
const HEADER_SIZE: usize = 24;
const TYPE_SIZE: usize = 12;
const KIND_STRUCT: u32 = 4;
const KIND_UNION: u32 = 5;
/// Kinds that only name or qualify another type: typedef, volatile, const,
/// restrict, type tag.
const KINDS_OF_ANOTHER: [u32; 5] = [8, 9, 10, 11, 18];
/// Anonymous structs and unions nest this deep at most here.
const MAX_NESTING: usize = 8;
/// Members one search looks at, at most. In the kernel's BTF a struct's
/// anonymous members nest as a tree of a few dozen members; BTF whose
/// anonymous members name their own struct, or one struct from many
/// places, would have the search walk every path through them, without end
/// in practice.
const MAX_MEMBERS_SEARCHED: usize = 4096;

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..at.checked_add(4)?)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_ne_bytes)
}

/// A type's fixed part.
#[derive(Clone, Copy)]
struct Type {
    name: u32,
    kind: u32,
    vlen: usize,
    kind_flag: bool,
    /// Its size, or the type it names or points to.
    size_or_type: u32,
    /// Where what follows the fixed part starts.
    rest: usize,
}

/// Bytes that follow a type's fixed part, by its kind; `None` for a kind
/// this reader does not know, whose size it cannot tell.
fn rest_size(kind: u32, vlen: usize) -> Option<usize> {
    match kind {
        0 | 2 | 7..=12 | 16 | 18 => Some(0),
        1 | 14 | 17 => Some(4),
        3 => Some(12),
        4 | 5 | 15 | 19 => vlen.checked_mul(12),
        6 | 13 => vlen.checked_mul(8),
        _ => None,
    }
}

struct Btf<'a> {
    types: &'a [u8],
    strings: &'a [u8],
    /// Where each type starts in `types`, by id from 1.
    starts: Vec<u32>,
}

impl<'a> Btf<'a> {
    /// The BTF in `bytes`, and the first struct of each of `names`, found
    /// in the same pass over its types.
    fn parse(bytes: &'a [u8], names: &[&str]) -> Option<(Btf<'a>, Vec<Option<Type>>)> {
        let magic = u16::from_ne_bytes(bytes.get(..2)?.try_into().ok()?);
        let header = usize::try_from(u32_at(bytes, 4)?).ok()?;
        if magic != MAGIC || header < HEADER_SIZE {
            return None;
        }
        let section = |at: usize| -> Option<&'a [u8]> {
            let off = header.checked_add(usize::try_from(u32_at(bytes, at)?).ok()?)?;
            let len = usize::try_from(u32_at(bytes, at + 4)?).ok()?;
            bytes.get(off..off.checked_add(len)?)
        };
        let types = section(8)?;
        let mut btf = Btf {
            types,
            strings: section(16)?,
            // A type takes 12 bytes at least; most take no more.
            starts: Vec::with_capacity(types.len() / 24),
        };
        let mut found = vec![None; names.len()];
        let mut at = 0;
        while at < btf.types.len() {
            btf.starts.push(u32::try_from(at).ok()?);
            let t = btf.type_at(at)?;
            if t.kind == KIND_STRUCT {
                for (name, found) in names.iter().zip(found.iter_mut()) {
                    if found.is_none() && btf.is_named(t, name) {
                        *found = Some(t);
                    }
                }
            }
            at = t.rest.checked_add(rest_size(t.kind, t.vlen)?)?;
        }
        Some((btf, found))
    }

    fn type_at(&self, at: usize) -> Option<Type> {
        let info = u32_at(self.types, at + 4)?;
        Some(Type {
            name: u32_at(self.types, at)?,
            kind: (info >> 24) & 0x1f,
            vlen: (info & 0xffff) as usize,
            kind_flag: info >> 31 != 0,
            size_or_type: u32_at(self.types, at + 8)?,
            rest: at + TYPE_SIZE,
        })
    }

    fn by_id(&self, id: u32) -> Option<Type> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.type_at(usize::try_from(*self.starts.get(index)?).ok()?)
    }

    /// Whether `t` is named `name`.
    fn is_named(&self, t: Type, name: &str) -> bool {
        let Ok(at) = usize::try_from(t.name) else {
            return false;
        };
        let name = name.as_bytes();
        self.strings
            .get(at..)
            .is_some_and(|tail| tail.starts_with(name) && tail.get(name.len()) == Some(&0))
    }

    /// Where `member` lies in the struct or union `t`, in bytes, looking
    /// into its anonymous structs and unions; `None` once the search has
    /// looked at `budget` members.
    fn offset_of(&self, t: Type, member: &str, depth: usize, budget: &mut usize) -> Option<u32> {
        if depth > MAX_NESTING || (t.kind != KIND_STRUCT && t.kind != KIND_UNION) {
            return None;
        }
        for i in 0..t.vlen {
            *budget = budget.checked_sub(1)?;
            let at = t.rest + i * 12;
            let (Some(name), Some(bits)) = (u32_at(self.types, at), u32_at(self.types, at + 8))
            else {
                continue;
            };
            // With kind_flag, the high byte is a bitfield's width.
            let bits = if t.kind_flag { bits & 0xff_ffff } else { bits };
            if bits % 8 != 0 {
                continue;
            }
            if name != 0 {
                if self.is_named(Type { name, ..t }, member) {
                    return Some(bits / 8);
                }
                continue;
            }
            let inner = u32_at(self.types, at + 4)
                .and_then(|id| self.by_id(id))
                .and_then(|t| self.strip(t));
            if let Some(offset) =
                inner.and_then(|inner| self.offset_of(inner, member, depth + 1, budget))
            {
                return (bits / 8).checked_add(offset);
            }
        }
        None
    }

    /// The type that a typedef or a qualifier stands for.
    fn strip(&self, mut t: Type) -> Option<Type> {
        for _ in 0..MAX_NESTING {
            if !KINDS_OF_ANOTHER.contains(&t.kind) {
                return Some(t);
            }
            t = self.by_id(t.size_or_type)?;
        }
        None
    }
}

/// `struct layout` for the kernel whose BTF is `btf`, as the programs read
/// it; EINVAL where the BTF cannot be read or lacks a type or member.
pub(crate) fn layout(btf: &[u8]) -> Result<[u8; LAYOUT_SIZE], Errno> {
    let names: Vec<&str> = FIELDS.iter().map(|&(ty, _)| ty).collect();
    let (btf, structs) = Btf::parse(btf, &names).ok_or(Errno::EINVAL)?;
    let mut out = [0u8; LAYOUT_SIZE];
    for (((_, member), t), word) in FIELDS.iter().zip(structs).zip(out.chunks_exact_mut(4)) {
        let t = t.ok_or(Errno::EINVAL)?;
        let mut budget = MAX_MEMBERS_SEARCHED;
        let value = match member {
            Some(member) => btf.offset_of(t, member, 0, &mut budget),
            None => Some(t.size_or_type),
        };
        word.copy_from_slice(&value.ok_or(Errno::EINVAL)?.to_ne_bytes());
    }
    Ok(out)
}

/// BTF of the type section `types` (in words) and the string section
/// `strings`, for the tests and the fuzz checks to write.
#[cfg(any(fuzzing, test))]
pub(crate) fn btf_bytes(types: &[u32], strings: &[u8]) -> Vec<u8> {
    let types: Vec<u8> = types.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let len = |b: &[u8]| u32::try_from(b.len()).unwrap_or(u32::MAX);
    let mut btf = Vec::new();
    btf.extend_from_slice(&MAGIC.to_ne_bytes());
    btf.extend_from_slice(&[1, 0]); // version, flags
    for word in [
        HEADER_SIZE as u32,
        0,
        len(&types),
        len(&types),
        len(strings),
    ] {
        btf.extend_from_slice(&word.to_ne_bytes());
    }
    btf.extend_from_slice(&types);
    btf.extend_from_slice(strings);
    btf
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;
    use crate::sys::mapped::read_kernel_file;

    /// The member's offset in bytes, as `bpftool btf dump ... format raw`
    /// gives it: `[ID] STRUCT 'name' size=N vlen=M`, then a line
    /// `\t'member' type_id=T bits_offset=B` for each member.
    fn bpftool_offset(raw: &str, ty: &str, member: Option<&str>) -> Option<u32> {
        let head = format!(" STRUCT '{ty}' size=");
        let mut lines = raw.lines().skip_while(|l| !l.contains(&head));
        let first = lines.next()?;
        let Some(member) = member else {
            let size = first.split(" size=").nth(1)?.split(' ').next()?;
            return size.parse().ok();
        };
        let prefix = format!("\t'{member}' ");
        let line = lines
            .take_while(|l| l.starts_with('\t'))
            .find(|l| l.starts_with(&prefix))?;
        let bits: u32 = line
            .split("bits_offset=")
            .nth(1)?
            .split(' ')
            .next()?
            .parse()
            .ok()?;
        Some(bits / 8)
    }

    #[test]
    fn every_offset_is_the_one_bpftool_reads_in_the_kernels_btf() {
        let path = Path::new(crate::bpf_scan::BTF);
        let Ok(out) = Command::new("bpftool")
            .args(["btf", "dump", "file"])
            .arg(path)
            .args(["format", "raw"])
            .output()
        else {
            eprintln!("skipped: needs bpftool (Debian's bpftool), to read the BTF apart");
            return;
        };
        assert!(
            out.status.success(),
            "bpftool: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let raw = String::from_utf8_lossy(&out.stdout);
        let btf = read_kernel_file(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let ours = layout(&btf).unwrap_or_else(|e| panic!("layout: {e}"));
        for ((ty, member), word) in FIELDS.iter().zip(ours.chunks_exact(4)) {
            let expected = bpftool_offset(&raw, ty, *member)
                .unwrap_or_else(|| panic!("bpftool shows no {ty}.{member:?}"));
            let got = u32::from_ne_bytes(word.try_into().unwrap_or_default());
            assert_eq!(got, expected, "{ty}.{member:?}");
        }
    }

    /// BTF of one type, `struct pid` with `members` anonymous members of
    /// its own type.
    fn btf_of_a_struct_within_itself(members: u32) -> Vec<u8> {
        let mut types = vec![1, (KIND_STRUCT << 24) | members, 4];
        for _ in 0..members {
            // No name, type 1 (the struct itself), at bit 0.
            types.extend([0, 1, 0]);
        }
        btf_bytes(&types, b"\0pid\0")
    }

    #[test]
    fn a_struct_whose_anonymous_members_are_itself_is_einval_at_once() {
        // Searched path by path, 64 members nine deep would take 64^9 steps.
        let btf = btf_of_a_struct_within_itself(64);
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(layout(&btf)));
        let read = result.recv_timeout(std::time::Duration::from_secs(10));
        assert_eq!(read, Ok(Err(Errno::EINVAL)));
    }

    #[test]
    fn a_btf_cut_short_or_with_a_bad_header_is_einval() {
        let path = Path::new(crate::bpf_scan::BTF);
        let btf = read_kernel_file(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        assert!(layout(&btf).is_ok());
        // Cut within the header, the types and the strings.
        for len in (0..btf.len())
            .step_by(btf.len() / 97 + 1)
            .chain([0, 1, 23, 24])
        {
            assert_eq!(layout(&btf[..len]), Err(Errno::EINVAL), "cut at {len}");
        }
        for (at, byte) in [(0, 0u8), (4, 0), (8, 0xff), (11, 0xff), (19, 0xff)] {
            let mut bad = btf.to_vec();
            bad[at] = byte;
            assert_eq!(layout(&bad), Err(Errno::EINVAL), "byte {at} set to {byte}");
        }
    }
}
