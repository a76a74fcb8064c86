//! Test support (feature `testing`): a `moto_server` launcher, a scripted HTTP server and a
//! fault-injecting proxy.
//!
//! All listen on 127.0.0.1 only and stop when dropped. [`Moto`] needs `moto_server` on `PATH`
//! (`pip install 'moto[server]'`). Setup failures panic: this module is for tests.

pub mod fake;
mod moto;
pub mod proxy;

pub use fake::{FakeServer, Reply, Seen};
pub use moto::{unique, Moto, MotoWorld, ACCOUNT, REGION};
pub use proxy::{Fault, FaultProxy, ProxyStats};
