//! Every system call this crate makes that `nix` does not wrap safely, as a
//! safe function: the only place with `unsafe`. Errors are bare errnos; the
//! callers say which call failed and on what.

pub(crate) mod bpf;
pub(crate) mod dir;
pub(crate) mod fd;
pub(crate) mod handle;
pub(crate) mod mapped;
pub(crate) mod nsfs;
pub(crate) mod passwd;
pub(crate) mod pidfd;
pub(crate) mod uname;
