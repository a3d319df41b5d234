//! `getpwuid_r(3)`: a user's name as the bytes the user database holds.

use std::ffi::CStr;

/// The name of `uid` in the user database, as its bytes (not always UTF-8);
/// `None` where it has no entry or cannot be read.
pub(crate) fn user_name(uid: u32) -> Option<Vec<u8>> {
    let mut size = 1024;
    loop {
        let mut buf = vec![0u8; size];
        // SAFETY: passwd is plain data that getpwuid_r fills in.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer points at memory of the size given, alive for the call.
        let r = unsafe {
            libc::getpwuid_r(
                uid,
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            )
        };
        if r == libc::ERANGE && size < 1 << 20 {
            size *= 4;
            continue;
        }
        if r != 0 || found.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: getpwuid_r succeeded: pw_name points at a NUL-terminated string inside `buf`.
        return Some(unsafe { CStr::from_ptr(pwd.pw_name) }.to_bytes().to_vec());
    }
}
