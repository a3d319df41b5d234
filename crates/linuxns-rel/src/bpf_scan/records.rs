//! The records the scan's programs write (`struct task_rec`, `ns_rec`,
//! `file_rec` and `argv_rec` in `bpf/ns_scan.bpf.h`), read into a
//! [`Snapshot`].

use super::{NsFile, NsInfo, Snapshot, Task};
use crate::nstype::NsType;

const REC_TASK: u32 = 1;
const REC_NS: u32 = 2;
const REC_FILE: u32 = 3;
const REC_ARGV: u32 = 4;
const TASK_SIZE: usize = 80;
const NS_SIZE: usize = 32;
const FILE_SIZE: usize = 24;
/// Four words, then `ARGV_READ` bytes.
const ARGV_SIZE: usize = 16 + 128;

/// The programs' order of a task's namespaces (`enum` in ns_scan.bpf.h):
/// user, pid, uts, ipc, mnt, pid_for_children, net, time,
/// time_for_children, cgroup.
const TASK_ORDER: [Option<NsType>; 10] = [
    Some(NsType::User),
    Some(NsType::Pid),
    Some(NsType::Uts),
    Some(NsType::Ipc),
    Some(NsType::Mnt),
    None,
    Some(NsType::Net),
    Some(NsType::Time),
    None,
    Some(NsType::Cgroup),
];

/// The task record's slots of the namespaces of `types`, as bits: bit i for
/// slot i.
pub(super) fn task_slots(types: &[NsType]) -> u32 {
    TASK_ORDER
        .iter()
        .enumerate()
        .filter(|(_, t)| t.is_some_and(|t| types.contains(&t)))
        .fold(0, |bits, (i, _)| bits | 1 << i)
}

/// The `u32` at word `i` of a record.
fn word(rec: &[u8], i: usize) -> u32 {
    rec.get(i * 4..i * 4 + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_ne_bytes)
}

fn ino(word: u32) -> Option<u64> {
    (word != 0).then_some(u64::from(word))
}

/// The records the programs wrote, one after another; a record of unknown
/// kind or cut short ends the parse.
pub(super) fn parse(mut bytes: &[u8]) -> Snapshot {
    let mut snap = Snapshot::default();
    while let Some(kind) = bytes.get(..4).map(|_| word(bytes, 0)) {
        let size = match kind {
            REC_TASK => TASK_SIZE,
            REC_NS => NS_SIZE,
            REC_FILE => FILE_SIZE,
            REC_ARGV => ARGV_SIZE,
            _ => break,
        };
        let Some(rec) = bytes.get(..size) else { break };
        bytes = &bytes[size..];
        match kind {
            REC_TASK => snap.tasks.push(task(rec)),
            REC_ARGV => {
                if let Some(argv0) = argv0(rec) {
                    snap.argv0.insert(word(rec, 1) as i32, argv0);
                }
            }
            REC_NS => {
                let Some(ns_type) = NsType::from_flag(word(rec, 2) as i32) else {
                    continue;
                };
                let info = NsInfo {
                    ns_type,
                    parent: ino(word(rec, 3)),
                    owner: ino(word(rec, 4)),
                    owner_uid: (ns_type == NsType::User).then(|| word(rec, 5)),
                    id: rec
                        .get(24..32)
                        .and_then(|b| b.try_into().ok())
                        .map(u64::from_ne_bytes)
                        .filter(|&id| id != 0),
                };
                snap.namespaces.insert(u64::from(word(rec, 1)), info);
            }
            _ => {
                if let Some(ns_type) = NsType::from_flag(word(rec, 4) as i32) {
                    snap.files.push(NsFile {
                        pid: word(rec, 1) as i32,
                        fd: word(rec, 2) as i32,
                        ino: u64::from(word(rec, 3)),
                        ns_type,
                        socket: word(rec, 5) != 0,
                    });
                }
            }
        }
    }
    snap
}

/// The argv\[0\] of an argv record (kind, pid, length, error, bytes): the
/// bytes up to the first NUL within the arguments' length, empty where
/// there are none; `None` where the read failed or found no NUL, and /proc
/// is to be asked.
fn argv0(rec: &[u8]) -> Option<Vec<u8>> {
    let len = word(rec, 2) as usize;
    if len == 0 {
        return Some(Vec::new());
    }
    if word(rec, 3) != 0 {
        return None;
    }
    let args = rec.get(16..16 + len)?;
    let end = args.iter().position(|&b| b == 0)?;
    args.get(..end).map(<[u8]>::to_vec)
}

/// A task record: kind, tgid, pid, ppid, uid, ten inodes, comm\[16\].
fn task(rec: &[u8]) -> Task {
    let mut t = Task {
        tgid: word(rec, 1) as i32,
        pid: word(rec, 2) as i32,
        ppid: word(rec, 3) as i32,
        uid: word(rec, 4),
        comm: Vec::new(),
        namespaces: [None; NsType::ALL.len()],
        pid_for_children: ino(word(rec, 10)),
        time_for_children: ino(word(rec, 13)),
    };
    for (i, ns_type) in TASK_ORDER.iter().enumerate() {
        let slot = ns_type.and_then(|nt| NsType::ALL.iter().position(|&x| x == nt));
        if let Some(slot) = slot.and_then(|s| t.namespaces.get_mut(s)) {
            *slot = ino(word(rec, 5 + i));
        }
    }
    let comm = rec.get(60..76).unwrap_or_default();
    t.comm = comm.split(|&b| b == 0).next().unwrap_or_default().to_vec();
    t
}
