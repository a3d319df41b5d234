//! The nsfs ioctls of the kernel's `include/uapi/linux/nsfs.h`, as safe
//! functions. Those that a caller's [`NsRef::Fd`](crate::NsRef::Fd) reaches
//! take a `RawFd`, so that any number gets to the kernel and a bad one gives
//! `EBADF`, as `NsRef::Fd` promises; the rest take a `BorrowedFd`.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use super::fd::owned;

/// The requests, each declared once.
mod request {
    const NSIO: u8 = 0xb7;

    nix::ioctl_none!(
        /// `NS_GET_USERNS`.
        ns_get_userns,
        NSIO,
        1
    );
    nix::ioctl_none!(
        /// `NS_GET_PARENT`.
        ns_get_parent,
        NSIO,
        2
    );
    nix::ioctl_none!(
        /// `NS_GET_NSTYPE`.
        ns_get_nstype,
        NSIO,
        3
    );
    nix::ioctl_read_bad!(
        /// `NS_GET_OWNER_UID`: declared `_IO(0xb7, 4)` but writes a `uid_t`
        /// through its argument.
        ns_get_owner_uid,
        nix::request_code_none!(NSIO, 4),
        libc::uid_t
    );
    nix::ioctl_read!(
        /// `NS_GET_MNTNS_ID` (Linux 6.11).
        ns_get_mntns_id,
        NSIO,
        5,
        u64
    );
    nix::ioctl_write_int_bad!(
        /// `NS_GET_PID_FROM_PIDNS` (Linux 6.11): declared `_IOR(0xb7, 6, int)`,
        /// but takes the pid as the argument's value.
        ns_get_pid_from_pidns,
        nix::request_code_read!(NSIO, 6, std::mem::size_of::<libc::c_int>())
    );
    nix::ioctl_write_int_bad!(
        /// `NS_GET_TGID_FROM_PIDNS` (Linux 6.11), declared as `NS_GET_PID_FROM_PIDNS`.
        ns_get_tgid_from_pidns,
        nix::request_code_read!(NSIO, 7, std::mem::size_of::<libc::c_int>())
    );
    nix::ioctl_write_int_bad!(
        /// `NS_GET_PID_IN_PIDNS` (Linux 6.11), declared as `NS_GET_PID_FROM_PIDNS`.
        ns_get_pid_in_pidns,
        nix::request_code_read!(NSIO, 8, std::mem::size_of::<libc::c_int>())
    );
    nix::ioctl_write_int_bad!(
        /// `NS_GET_TGID_IN_PIDNS` (Linux 6.11), declared as `NS_GET_PID_FROM_PIDNS`.
        ns_get_tgid_in_pidns,
        nix::request_code_read!(NSIO, 9, std::mem::size_of::<libc::c_int>())
    );
    nix::ioctl_read!(
        /// `NS_MNT_GET_INFO` (Linux 6.12).
        ns_mnt_get_info,
        NSIO,
        10,
        super::RawMntNsInfo
    );
    nix::ioctl_read!(
        /// `NS_MNT_GET_NEXT` (Linux 6.12).
        ns_mnt_get_next,
        NSIO,
        11,
        super::RawMntNsInfo
    );
    nix::ioctl_read!(
        /// `NS_MNT_GET_PREV` (Linux 6.12).
        ns_mnt_get_prev,
        NSIO,
        12,
        super::RawMntNsInfo
    );
    nix::ioctl_read!(
        /// `NS_GET_ID` (Linux 6.18).
        ns_get_id,
        NSIO,
        13,
        u64
    );
}

/// `struct mnt_ns_info` of `include/uapi/linux/nsfs.h` (`MNT_NS_INFO_SIZE_VER0`),
/// as the kernel fills it in.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawMntNsInfo {
    pub size: u32,
    pub nr_mounts: u32,
    pub mnt_ns_id: u64,
}

impl RawMntNsInfo {
    /// An empty one whose `size` tells the kernel which version the caller knows.
    fn new() -> Self {
        RawMntNsInfo {
            size: std::mem::size_of::<RawMntNsInfo>() as u32,
            nr_mounts: 0,
            mnt_ns_id: 0,
        }
    }
}

/// `NS_GET_USERNS`: a new descriptor of the user namespace that owns the namespace.
pub(crate) fn get_userns(fd: RawFd) -> nix::Result<OwnedFd> {
    // SAFETY: the request passes no data and returns a new descriptor that nothing else owns.
    unsafe { request::ns_get_userns(fd).map(|fd| owned(fd)) }
}

/// `NS_GET_PARENT`: a new descriptor of the parent of a user or PID namespace.
pub(crate) fn get_parent(fd: RawFd) -> nix::Result<OwnedFd> {
    // SAFETY: the request passes no data and returns a new descriptor that nothing else owns.
    unsafe { request::ns_get_parent(fd).map(|fd| owned(fd)) }
}

/// `NS_GET_NSTYPE`: the namespace's `CLONE_NEW*` value.
pub(crate) fn get_nstype(fd: RawFd) -> nix::Result<i32> {
    // SAFETY: the request passes no data.
    unsafe { request::ns_get_nstype(fd) }
}

/// `NS_GET_OWNER_UID`: the uid that owns a user namespace.
pub(crate) fn get_owner_uid(fd: RawFd) -> nix::Result<u32> {
    let mut uid: libc::uid_t = 0;
    // SAFETY: the kernel writes one uid_t through the pointer, which points at `uid`.
    unsafe { request::ns_get_owner_uid(fd, &mut uid) }?;
    Ok(uid)
}

/// `NS_GET_MNTNS_ID` (Linux 6.11): the 64-bit id of a mount namespace.
pub(crate) fn get_mntns_id(fd: RawFd) -> nix::Result<u64> {
    let mut id = 0u64;
    // SAFETY: the kernel writes one u64 through the pointer, which points at `id`.
    unsafe { request::ns_get_mntns_id(fd, &mut id) }?;
    Ok(id)
}

/// `NS_GET_PID_FROM_PIDNS` (Linux 6.11): the caller's number for the
/// process that is `pid` inside the PID namespace.
pub(crate) fn get_pid_from_pidns(fd: RawFd, pid: i32) -> nix::Result<i32> {
    // SAFETY: the request takes the pid as the argument's value and passes no memory.
    unsafe { request::ns_get_pid_from_pidns(fd, pid) }
}

/// `NS_GET_TGID_FROM_PIDNS` (Linux 6.11): as [`get_pid_from_pidns`], for thread groups.
pub(crate) fn get_tgid_from_pidns(fd: RawFd, pid: i32) -> nix::Result<i32> {
    // SAFETY: the request takes the pid as the argument's value and passes no memory.
    unsafe { request::ns_get_tgid_from_pidns(fd, pid) }
}

/// `NS_GET_PID_IN_PIDNS` (Linux 6.11): the number inside the PID namespace
/// of the process that is `pid` to the caller.
pub(crate) fn get_pid_in_pidns(fd: RawFd, pid: i32) -> nix::Result<i32> {
    // SAFETY: the request takes the pid as the argument's value and passes no memory.
    unsafe { request::ns_get_pid_in_pidns(fd, pid) }
}

/// `NS_GET_TGID_IN_PIDNS` (Linux 6.11): as [`get_pid_in_pidns`], for thread groups.
pub(crate) fn get_tgid_in_pidns(fd: RawFd, pid: i32) -> nix::Result<i32> {
    // SAFETY: the request takes the pid as the argument's value and passes no memory.
    unsafe { request::ns_get_tgid_in_pidns(fd, pid) }
}

/// `NS_MNT_GET_INFO` (Linux 6.12): a mount namespace's id and number of mounts.
pub(crate) fn mnt_get_info(fd: RawFd) -> nix::Result<RawMntNsInfo> {
    let mut info = RawMntNsInfo::new();
    // SAFETY: the kernel writes one struct mnt_ns_info through the pointer.
    unsafe { request::ns_mnt_get_info(fd, &mut info) }?;
    Ok(info)
}

/// `NS_MNT_GET_NEXT` (Linux 6.12): a new descriptor of the next mount
/// namespace in id order, and its info; `ENOENT` at the end.
pub(crate) fn mnt_get_next(fd: BorrowedFd<'_>) -> nix::Result<(OwnedFd, RawMntNsInfo)> {
    let mut info = RawMntNsInfo::new();
    let fd = fd.as_raw_fd();
    // SAFETY: the kernel writes one struct mnt_ns_info through the pointer
    // and returns a new descriptor that nothing else owns.
    let next = unsafe { request::ns_mnt_get_next(fd, &mut info).map(|fd| owned(fd)) }?;
    Ok((next, info))
}

/// `NS_MNT_GET_PREV` (Linux 6.12): as [`mnt_get_next`], the previous one.
pub(crate) fn mnt_get_prev(fd: BorrowedFd<'_>) -> nix::Result<(OwnedFd, RawMntNsInfo)> {
    let mut info = RawMntNsInfo::new();
    let fd = fd.as_raw_fd();
    // SAFETY: as in mnt_get_next.
    let prev = unsafe { request::ns_mnt_get_prev(fd, &mut info).map(|fd| owned(fd)) }?;
    Ok((prev, info))
}

/// `NS_GET_ID` (Linux 6.18): the namespace's unique 64-bit id.
pub(crate) fn get_id(fd: RawFd) -> nix::Result<u64> {
    let mut id = 0u64;
    // SAFETY: the kernel writes one u64 through the pointer, which points at `id`.
    unsafe { request::ns_get_id(fd, &mut id) }?;
    Ok(id)
}
