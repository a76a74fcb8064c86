//! Test support (feature `testing`): a `moto_server` launcher and a scripted HTTP server.
//!
//! Both listen on 127.0.0.1 only and stop when dropped. [`Moto`] needs `moto_server` on `PATH`
//! (`pip install 'moto[server]'`). Setup failures panic: this module is for tests.

pub mod fake;
mod moto;

pub use fake::{FakeServer, Reply, Seen};
pub use moto::{unique, Moto, ACCOUNT, REGION};
