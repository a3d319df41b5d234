//! The few `bpf(2)` calls of a light skeleton's loader (as libbpf's
//! `bpf_load_and_run()` makes them), and those that run a BPF iterator.
//!
//! The loader is a program of type `BPF_PROG_TYPE_SYSCALL` that bpftool
//! generates: run once, it loads the real programs and their maps inside the
//! kernel, which relocates them against its own BTF, and leaves their
//! descriptors in the context it is run with.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::errno::Errno;

use super::fd::owned_from;

const BPF_MAP_CREATE: libc::c_int = 0;
const BPF_MAP_UPDATE_ELEM: libc::c_int = 2;
const BPF_PROG_LOAD: libc::c_int = 5;
const BPF_PROG_RUN: libc::c_int = 10;
const BPF_LINK_CREATE: libc::c_int = 28;
const BPF_ITER_CREATE: libc::c_int = 33;

const BPF_MAP_TYPE_ARRAY: u32 = 2;
const BPF_PROG_TYPE_SYSCALL: u32 = 31;
const BPF_TRACE_ITER: u32 = 28;
const BPF_F_SLEEPABLE: u32 = 1 << 4;

/// `union bpf_attr` for `BPF_MAP_CREATE`, up to `map_extra`.
#[repr(C)]
#[derive(Default)]
struct MapCreate {
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    inner_map_fd: u32,
    numa_node: u32,
    map_name: [u8; 16],
    map_ifindex: u32,
    btf_fd: u32,
    btf_key_type_id: u32,
    btf_value_type_id: u32,
    btf_vmlinux_value_type_id: u32,
    map_extra: u64,
}

/// `union bpf_attr` for `BPF_MAP_UPDATE_ELEM`.
#[repr(C)]
#[derive(Default)]
struct MapElem {
    map_fd: u32,
    _pad: u32,
    key: u64,
    value: u64,
    flags: u64,
}

/// `union bpf_attr` for `BPF_PROG_LOAD`, up to `fd_array`.
#[repr(C)]
#[derive(Default)]
struct ProgLoad {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
    prog_btf_fd: u32,
    func_info_rec_size: u32,
    func_info: u64,
    func_info_cnt: u32,
    line_info_rec_size: u32,
    line_info: u64,
    line_info_cnt: u32,
    attach_btf_id: u32,
    attach_prog_fd: u32,
    core_relo_cnt: u32,
    fd_array: u64,
}

/// `union bpf_attr` for `BPF_PROG_RUN`, up to `batch_size`.
#[repr(C)]
#[derive(Default)]
struct ProgRun {
    prog_fd: u32,
    retval: u32,
    data_size_in: u32,
    data_size_out: u32,
    data_in: u64,
    data_out: u64,
    repeat: u32,
    duration: u32,
    ctx_size_in: u32,
    ctx_size_out: u32,
    ctx_in: u64,
    ctx_out: u64,
    flags: u32,
    cpu: u32,
    batch_size: u32,
    _pad: u32,
}

/// `union bpf_attr` for `BPF_LINK_CREATE` of an iterator.
#[repr(C)]
#[derive(Default)]
struct LinkCreate {
    prog_fd: u32,
    target_fd: u32,
    attach_type: u32,
    flags: u32,
    iter_info: u64,
    iter_info_len: u32,
    _pad: u32,
}

/// `union bpf_attr` for `BPF_ITER_CREATE`.
#[repr(C)]
#[derive(Default)]
struct IterCreate {
    link_fd: u32,
    flags: u32,
}

/// `bpf(cmd, attr)`.
fn sys_bpf<T>(cmd: libc::c_int, attr: &mut T) -> libc::c_long {
    let size = std::mem::size_of::<T>() as libc::c_uint;
    // SAFETY: `attr` is a `union bpf_attr` prefix of `size` bytes for `cmd`;
    // every pointer in it points to memory that outlives the call.
    unsafe { libc::syscall(libc::SYS_bpf, cmd, std::ptr::from_mut(attr), size) }
}

/// `bpf(cmd, attr)` for a command that returns a new descriptor.
fn sys_bpf_fd<T>(cmd: libc::c_int, attr: &mut T) -> nix::Result<OwnedFd> {
    let ret = sys_bpf(cmd, attr);
    // SAFETY: these commands return a descriptor the caller now owns.
    unsafe { owned_from(ret) }
}

fn fd_u32(fd: BorrowedFd<'_>) -> u32 {
    fd.as_raw_fd() as u32
}

/// A one-element array map of `value_size` bytes: the loader's data.
pub(crate) fn array_map(value_size: u32) -> nix::Result<OwnedFd> {
    let mut attr = MapCreate {
        map_type: BPF_MAP_TYPE_ARRAY,
        key_size: 4,
        value_size,
        max_entries: 1,
        ..Default::default()
    };
    attr.map_name[..12].copy_from_slice(b"__loader.map");
    sys_bpf_fd(BPF_MAP_CREATE, &mut attr)
}

/// Sets element 0 of an array map made by [`array_map`] to `value`.
pub(crate) fn set_first(map: BorrowedFd<'_>, value: &[u8]) -> nix::Result<()> {
    let key = 0u32;
    let mut attr = MapElem {
        map_fd: fd_u32(map),
        key: std::ptr::from_ref(&key) as u64,
        value: value.as_ptr() as u64,
        ..Default::default()
    };
    Errno::result(sys_bpf(BPF_MAP_UPDATE_ELEM, &mut attr)).map(drop)
}

/// Loads a loader program (`insns`, whole `struct bpf_insn`s) that reads
/// its data from `map`.
pub(crate) fn load_loader(insns: &[u8], map: BorrowedFd<'_>) -> nix::Result<OwnedFd> {
    let fd_array = [map.as_raw_fd()];
    let mut attr = ProgLoad {
        prog_type: BPF_PROG_TYPE_SYSCALL,
        insn_cnt: u32::try_from(insns.len() / 8).map_err(|_| Errno::E2BIG)?,
        insns: insns.as_ptr() as u64,
        license: c"Dual BSD/GPL".as_ptr() as u64,
        prog_flags: BPF_F_SLEEPABLE,
        fd_array: fd_array.as_ptr() as u64,
        ..Default::default()
    };
    attr.prog_name[..13].copy_from_slice(b"__loader.prog");
    sys_bpf_fd(BPF_PROG_LOAD, &mut attr)
}

/// Runs a loader program on `ctx`, which it reads and writes; the
/// program's return value, negative for an errno.
pub(crate) fn run_loader(prog: BorrowedFd<'_>, ctx: &mut [u8]) -> nix::Result<i32> {
    let mut attr = ProgRun {
        prog_fd: fd_u32(prog),
        ctx_size_in: u32::try_from(ctx.len()).map_err(|_| Errno::E2BIG)?,
        ctx_in: ctx.as_mut_ptr() as u64,
        ..Default::default()
    };
    Errno::result(sys_bpf(BPF_PROG_RUN, &mut attr))?;
    Ok(attr.retval as i32)
}

/// Takes ownership of the descriptor a successful loader program left at
/// `offset` of its context.
pub(crate) fn take_fd(ctx: &[u8], offset: usize) -> nix::Result<OwnedFd> {
    let bytes = ctx.get(offset..offset + 4).ok_or(Errno::EINVAL)?;
    let fd = RawFd::from_ne_bytes(bytes.try_into().map_err(|_| Errno::EINVAL)?);
    if fd <= 0 {
        return Err(Errno::EBADF);
    }
    // SAFETY: the loader program installed this descriptor in our table for
    // its caller, and each offset is taken once, right after the run.
    Ok(unsafe { super::fd::owned(fd) })
}

/// A link of an iterator program; each [`iter`] of it runs the program anew.
pub(crate) fn iter_link(prog: BorrowedFd<'_>) -> nix::Result<OwnedFd> {
    let mut attr = LinkCreate {
        prog_fd: fd_u32(prog),
        attach_type: BPF_TRACE_ITER,
        ..Default::default()
    };
    sys_bpf_fd(BPF_LINK_CREATE, &mut attr)
}

/// A descriptor whose reads run the iterator of `link` and give what it writes.
pub(crate) fn iter(link: BorrowedFd<'_>) -> nix::Result<OwnedFd> {
    let mut attr = IterCreate {
        link_fd: fd_u32(link),
        flags: 0,
    };
    sys_bpf_fd(BPF_ITER_CREATE, &mut attr)
}
