//! Node-API glue over the `linuxns-rel` crate: argument, model and error
//! conversion only, and the tools' quick exit (`exit`). The names and
//! values JavaScript sees come from the core, and the TypeScript types
//! napi-rs generates from this crate are exact, so that `index.ts` needs no
//! casts. Every export catches panics so
//! that a bug surfaces as a JavaScript error instead of aborting the process.

pub mod containers;
pub mod discover;
mod errors;
pub mod exit;
pub mod names;
pub mod nsfs;
pub mod owned;
pub mod relations;
pub mod text;
