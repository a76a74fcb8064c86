//! Contract suites for every backend, and small helpers for tests (feature `testing`).
//!
//! Each trait with a `# Contract` has one suite that checks it, and every backend of s3conn runs
//! the same suite: [`queue_conformance`] for [`Queue`](crate::queue::Queue) (`MemoryQueue`, and
//! `SqsQueue` on moto), [`store_conformance`] for [`ObjectStore`](crate::store::ObjectStore)
//! (`MemoryObjectStore`, `LocalObjectStore`, and `S3ObjectStore` on moto), [`sink_conformance`]
//! for [`Sink`](crate::sink::Sink) (`MemorySink`, `NdjsonSink`) and [`dead_letter_conformance`]
//! for [`DeadLetterSink`](crate::sink::DeadLetterSink) (`MemoryDeadLetterSink`,
//! `DirectoryDeadLetterSink`). The contract is written down once, here, so the backends cannot drift
//! apart.
//!
//! **Your own backend can call the same functions.** Implement the fixture trait of the suite (how
//! to make an empty queue and put messages on it, how to write an object, how to read back what a
//! sink stored) and call the suite from a test; it panics, naming the broken promise, when the
//! backend breaks the contract. The suites only sleep with `tokio::time`, so they run in an
//! instant on tokio's paused clock (in-memory backends) and in a few seconds on real time against
//! a real service (their options default to short leases and waits).
//!
//! ```
//! use async_trait::async_trait;
//! use s3conn_core::memory::MemoryQueue;
//! use s3conn_core::testing::{queue_conformance, QueueConformance, QueueFixture};
//!
//! /// Makes the queues the suite runs on: replace `MemoryQueue` with your backend.
//! struct MyQueues;
//!
//! #[async_trait]
//! impl QueueFixture for MyQueues {
//!     type Queue = MemoryQueue;
//!
//!     async fn empty_queue(&self) -> MemoryQueue {
//!         MemoryQueue::new()
//!     }
//!
//!     async fn send(&self, queue: &MemoryQueue, bodies: &[String]) {
//!         for body in bodies {
//!             queue.send(body.clone());
//!         }
//!     }
//! }
//!
//! // In your crate: `#[tokio::test(start_paused = true)]` (or a real-time test against the
//! // service, with the default options).
//! #[tokio::main(flavor = "current_thread", start_paused = true)]
//! async fn main() {
//!     queue_conformance(&MyQueues, &QueueConformance::default()).await;
//! }
//! ```
//!
//! The helpers ([`gzip`], [`gzip_level`], [`files_under`]) are what the test suites of the
//! workspace used to copy into each file.

mod files;
mod gzip;
mod queue;
mod sink;
mod store;
mod trickle;

pub use files::files_under;
pub use gzip::{gzip, gzip_level};
pub use queue::{queue_conformance, QueueConformance, QueueFixture};
pub use sink::{
    dead_letter_conformance, sample_dead_letters, sample_records, sink_conformance,
    DeadLetterFixture, SinkFixture,
};
pub use store::{store_conformance, StoreConformance, StoreFixture};
pub use trickle::Trickle;
