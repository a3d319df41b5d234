//! Entry points for the fuzz targets in `fuzz/` (built with `--cfg fuzzing`)
//! and for the test that replays their committed corpus. Each one feeds one
//! parser of text from the system with any bytes, and asserts what must hold
//! of its answer; a panic is a finding. Not part of the API.
//!
//! Where a parser reads files (the engines' state), the bytes are written to
//! a folder of their own (in `/dev/shm`), made and removed within the call.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::bpf_scan::layout::{btf_bytes, layout, LAYOUT_SIZE};
use crate::containers::chain_from_cgroup;
use crate::nstype::NsType;
use crate::procfs::{argv0_name, dirent_numbers, nsfs_mounts, parse_ns_link, parse_stat};
use crate::sys::handle::MAX_HANDLE_SZ;
use crate::Engine;

pub use crate::containers::fuzzing::{
    containerd_bundle, docker_api, docker_config, machines, storage,
};

/// A target: any bytes in, a panic where a check fails.
pub type Target = fn(&[u8]);

/// Every target, by the name of its file in `fuzz/fuzz_targets/` and of its
/// folder in `fuzz/corpus/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("mountinfo", mountinfo),
    ("proc_stat", proc_stat),
    ("proc_cmdline", proc_cmdline),
    ("ns_link", ns_link),
    ("dirents", dirents),
    ("cgroup", cgroup),
    ("ns_file_handle", ns_file_handle),
    ("docker_config", docker_config),
    ("docker_api", docker_api),
    ("containerd_bundle", containerd_bundle),
    ("storage", storage),
    ("machines", machines),
    ("btf_layout", btf_layout),
];

/// `/proc/PID/mountinfo`: every nsfs mount found names its namespace as a
/// link would; and a mount point of any bytes, escaped as the kernel escapes
/// it (`\ooo` for space, tab, newline and backslash), is read back whole.
pub fn mountinfo(data: &[u8]) {
    for (t, ino, _) in nsfs_mounts(data) {
        let link = format!("{t}:[{ino}]");
        assert_eq!(parse_ns_link(link.as_bytes()), Some((t, ino)));
    }
    // A mount point is absolute, and never holds a NUL.
    let path: Vec<u8> = [b'/']
        .into_iter()
        .chain(data.iter().copied().filter(|&b| b != 0))
        .collect();
    let mut line = b"90 24 0:4 net:[4026532300] ".to_vec();
    for &b in &path {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\\') {
            line.extend_from_slice(format!("\\{b:03o}").as_bytes());
        } else {
            line.push(b);
        }
    }
    line.extend_from_slice(b" rw shared:5 - nsfs nsfs rw\n");
    let found: Vec<_> = nsfs_mounts(&line).collect();
    let want = (
        NsType::Net,
        4026532300,
        PathBuf::from(std::ffi::OsStr::from_bytes(&path)),
    );
    assert_eq!(found, [want]);
}

/// `/proc/PID/stat`: the name found lies between the first `(` and the last
/// `)`; and a name of any bytes (the kernel's holds anything but NUL, `)`
/// and spaces too) comes back whole with the parent pid.
pub fn proc_stat(data: &[u8]) {
    if let Some((_, comm)) = parse_stat(data) {
        let start = comm.as_ptr() as usize - data.as_ptr() as usize;
        let end = start + comm.len();
        assert_eq!(data.get(start.wrapping_sub(1)), Some(&b'('));
        assert!(!data.get(..start - 1).unwrap_or_default().contains(&b'('));
        assert_eq!(data.get(end), Some(&b')'));
        assert!(!data.get(end + 1..).unwrap_or_default().contains(&b')'));
    }
    let ppid = i32::try_from(data.len()).unwrap_or(i32::MAX);
    let mut line = b"4242 (".to_vec();
    line.extend_from_slice(data);
    line.extend_from_slice(format!(") S {ppid} 4242 4242 0 -1 4194560 115 0 0 0\n").as_bytes());
    assert_eq!(parse_stat(&line), Some((ppid, data)));
}

/// The kernel's BTF, read for where the fields of the types the BPF scan
/// does not relocate through CO-RE lie: any bytes give a layout or EINVAL;
/// and offsets of any value, written into a BTF (one of them inside an
/// anonymous struct), come back.
pub fn btf_layout(data: &[u8]) {
    let read = layout(data);
    assert!(
        matches!(read, Ok(_) | Err(nix::errno::Errno::EINVAL)),
        "{read:?}"
    );
    // Byte offsets whose bit offsets fit the 32 bits BTF gives them.
    let mut offsets = [0u32; LAYOUT_SIZE / 4];
    for (offset, bytes) in offsets.iter_mut().zip(data.chunks(4)) {
        let mut word = [0u8; 4];
        word.get_mut(..bytes.len())
            .unwrap_or_default()
            .copy_from_slice(bytes);
        *offset = u32::from_le_bytes(word) >> 4;
    }
    let want: Vec<u8> = offsets.iter().flat_map(|o| o.to_ne_bytes()).collect();
    assert_eq!(layout(&btf_of(&offsets)).map(|l| l.to_vec()), Ok(want));
}

/// A BTF of `struct layout`'s types with their fields at `at` (in its
/// order; `at[2]` the size of `struct upid`), `f_inode` inside an anonymous
/// struct of `struct file`.
fn btf_of(at: &[u32; LAYOUT_SIZE / 4]) -> Vec<u8> {
    const INT: u32 = 1;
    let mut strings = b"\0".to_vec();
    let mut name = |s: &str| {
        let offset = strings.len() as u32;
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
        offset
    };
    let mut types: Vec<u32> = vec![name("int"), 1 << 24, 4, 32];
    let mut next_id = 2;
    let mut add = |types: &mut Vec<u32>, name: u32, size: u32, members: &[(u32, u32, u32)]| {
        types.extend([name, 4 << 24 | members.len() as u32, size]);
        for &(member, ty, bytes) in members {
            types.extend([member, ty, bytes * 8]);
        }
        next_id += 1;
        next_id - 1
    };
    let (half, rest) = (at[11] / 2, at[11] - at[11] / 2);
    let inner = add(&mut types, 0, 8, &[(name("f_inode"), INT, rest)]);
    let structs = [
        (
            "pid",
            0,
            vec![("level", INT, at[0]), ("numbers", INT, at[1])],
        ),
        ("upid", at[2], vec![("ns", INT, at[3])]),
        (
            "ipc_namespace",
            0,
            vec![("ns", INT, at[4]), ("user_ns", INT, at[5])],
        ),
        (
            "cgroup_namespace",
            0,
            vec![("ns", INT, at[6]), ("user_ns", INT, at[7])],
        ),
        ("super_block", 0, vec![("s_magic", INT, at[8])]),
        (
            "inode",
            0,
            vec![("i_sb", INT, at[9]), ("i_private", INT, at[10])],
        ),
        (
            "file",
            0,
            vec![("", inner, half), ("private_data", INT, at[12])],
        ),
    ];
    for (ty, size, members) in structs {
        let members: Vec<(u32, u32, u32)> = members
            .into_iter()
            .map(|(m, t, o)| (if m.is_empty() { 0 } else { name(m) }, t, o))
            .collect();
        let ty = name(ty);
        add(&mut types, ty, size, &members);
    }
    btf_bytes(&types, &strings)
}

/// `/proc/PID/cmdline`: the name is a base name (no `/`, no NUL) taken from
/// argv\[0\]; a name under a folder comes back as it was.
pub fn proc_cmdline(data: &[u8]) {
    if let Some(name) = argv0_name(data) {
        assert!(!name.contains(&b'/') && !name.contains(&0));
        assert!(name.len() <= data.len());
    }
    let name: Vec<u8> = data
        .iter()
        .copied()
        .filter(|&b| b != b'/' && b != 0)
        .collect();
    if name.first().is_some_and(|&b| b != b'-') {
        let cmdline = [b"/usr/bin/".as_slice(), &name, b"\0--flag\0arg\0"].concat();
        assert_eq!(argv0_name(&cmdline), Some(name.as_slice()));
        assert_eq!(
            argv0_name(&[b"-", name.as_slice()].concat()),
            Some(name.as_slice())
        );
    }
}

/// A namespace link, `type:[inode]`: what is found is what it says, and
/// any type and inode written so are found.
pub fn ns_link(data: &[u8]) {
    if let Some((t, ino)) = parse_ns_link(data) {
        assert!(data.starts_with(t.name().as_bytes()));
        assert_eq!(
            parse_ns_link(format!("{t}:[{ino}]").as_bytes()),
            Some((t, ino))
        );
    }
    let t = NsType::ALL[usize::from(data.first().copied().unwrap_or(0)) % NsType::ALL.len()];
    let mut inode = [0u8; 8];
    for (slot, b) in inode.iter_mut().zip(data.iter().skip(1)) {
        *slot = *b;
    }
    let ino = u64::from_ne_bytes(inode);
    assert_eq!(
        parse_ns_link(format!("{}:[{ino}]", t.name()).as_bytes()),
        Some((t, ino))
    );
}

/// `getdents64` records: never more numbers than records fit, none
/// negative; and records written for any numbers, among `.` and `..`, give
/// those numbers back.
pub fn dirents(data: &[u8]) {
    let found: Vec<i32> = dirent_numbers(data).collect();
    assert!(found.len() <= data.len() / 20);
    assert!(found.iter().all(|&n| n >= 0));
    let numbers: Vec<i32> = data
        .chunks(4)
        .map(|c| {
            c.iter()
                .fold(0i32, |n, &b| (n << 8 | i32::from(b)) & i32::MAX)
        })
        .collect();
    let mut records = Vec::new();
    let mut add = |name: &[u8]| {
        let reclen = (19 + name.len() + 1).next_multiple_of(8);
        let start = records.len();
        records.extend_from_slice(&7u64.to_ne_bytes());
        records.extend_from_slice(&(start as i64).to_ne_bytes());
        records.extend_from_slice(&(reclen as u16).to_ne_bytes());
        records.push(libc::DT_DIR);
        records.extend_from_slice(name);
        records.resize(start + reclen, 0);
    };
    add(b".");
    add(b"..");
    for n in &numbers {
        add(n.to_string().as_bytes());
    }
    add(b"self");
    assert_eq!(dirent_numbers(&records).collect::<Vec<_>>(), numbers);
}

/// `/proc/PID/cgroup`: every container found has an id of the form its
/// engine gives, no more containers than the longest path has segments;
/// and a Docker id put in Docker's systemd form is found.
pub fn cgroup(data: &[u8]) {
    let chain = chain_from_cgroup(data);
    let segments = data
        .split(|&b| b == b'\n')
        .map(|line| line.split(|&b| b == b'/').count())
        .max()
        .unwrap_or(0);
    assert!(chain.len() <= segments);
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    for c in &chain {
        match c.engine {
            Engine::Lxc | Engine::Nspawn => {
                assert!(!c.id.is_empty() && !c.id.chars().any(|ch| ch.is_ascii_control()));
            }
            _ => assert!(hex(&c.id, 64), "{c:?}"),
        }
        if let Some(uid) = &c.pod_uid {
            let uuid = uid.len() == 36 && hex(&uid.replace('-', ""), 32);
            assert!(uuid || hex(uid, 32) || hex(uid, 64), "{c:?}");
        }
    }
    let id: String = data.iter().take(32).map(|b| format!("{b:02x}")).collect();
    if id.len() == 64 {
        let line = format!("0::/system.slice/docker-{id}.scope\n");
        let chain = chain_from_cgroup(line.as_bytes());
        assert_eq!(chain.len(), 1);
        assert!(chain
            .first()
            .is_some_and(|c| c.engine == Engine::Docker && c.id == id));
    }
}

/// Namespace file handle bytes: taken exactly when they have the shape of a
/// `struct file_handle` of the size they say, no larger than the kernel's
/// largest.
pub fn ns_file_handle(data: &[u8]) {
    let shaped = data.len() >= 8
        && data
            .get(..4)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .map(u32::from_ne_bytes)
            == u32::try_from(data.len() - 8).ok()
        && data.len() - 8 <= MAX_HANDLE_SZ;
    assert_eq!(crate::is_ns_file_handle(data), shaped);
}

/// A folder of its own for one call, removed when dropped.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn new() -> Scratch {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        // In memory where there is /dev/shm: twenty times the runs of a disk.
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("linuxns-rel-fuzz-{}-{n}", std::process::id()));
        // Left by a process of the same pid that did not end well.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        Scratch(dir)
    }

    /// Writes `bytes` to `name` inside, making the folders on the way.
    pub(crate) fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
        }
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    /// The committed corpus passes every target's checks: what the fuzz
    /// runs start from stays clean between them.
    #[test]
    fn corpus_replays_clean() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        for (name, target) in super::TARGETS {
            let dir = corpus.join(name);
            let entries =
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            let mut count = 0;
            for entry in entries.flatten() {
                let bytes = std::fs::read(entry.path())
                    .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
                target(&bytes);
                count += 1;
            }
            assert!(count > 0, "{name}: an empty corpus");
        }
    }
}
