//! The descriptor a `NamespaceFile` owns, as a native object. V8 is told
//! what each one holds, as external memory, so that a program that drops
//! them unclosed makes the collector run before the descriptors pile up;
//! the object's finalizer closes what was never closed.

use std::os::fd::RawFd;

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// What V8 is told one open descriptor costs: about five hundred dropped
/// ones add up to the external memory at which V8 collects (64 MiB), and
/// their finalizers run on a later turn of the event loop.
const EXTERNAL: i64 = 128 * 1024;

/// One open descriptor, closed by `close()` or, at the latest, when collected.
#[napi(custom_finalize)]
pub struct OwnedDescriptor {
    fd: Option<RawFd>,
}

#[napi]
impl OwnedDescriptor {
    /// Takes ownership of `fd`, a descriptor number from 0 to 2^31-1.
    #[napi(constructor)]
    pub fn new(env: Env, fd: i32) -> Result<Self> {
        if fd < 0 {
            return Err(Error::new(
                Status::InvalidArg,
                format!("not a descriptor: {fd}"),
            ));
        }
        env.adjust_external_memory(EXTERNAL)?;
        Ok(OwnedDescriptor { fd: Some(fd) })
    }

    /// The descriptor; -1 once closed.
    #[napi(getter)]
    pub fn fd(&self) -> i32 {
        self.fd.unwrap_or(-1)
    }

    /// Closes the descriptor; closing again does nothing.
    #[napi]
    pub fn close(&mut self, env: Env) -> Result<()> {
        self.release(&env)
    }
}

impl OwnedDescriptor {
    fn release(&mut self, env: &Env) -> Result<()> {
        if let Some(fd) = self.fd.take() {
            // An error here (EBADF: someone closed it already) leaves nothing to do.
            // SAFETY: close takes any number; this object owned `fd`.
            unsafe { libc::close(fd) };
            env.adjust_external_memory(-EXTERNAL)?;
        }
        Ok(())
    }
}

impl ObjectFinalize for OwnedDescriptor {
    fn finalize(mut self, env: Env) -> Result<()> {
        self.release(&env)
    }
}
