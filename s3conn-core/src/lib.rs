//! s3conn-core: the traits, decoding, notification parsing and pipeline of s3conn.
//!
//! A queue ([`queue::Queue`]) delivers notifications; each names objects in a store
//! ([`store::ObjectStore`]); a [`decode::Decoder`] turns an object's bytes into JSON events; a
//! [`source::LogSource`] normalizes each event into a [`record::Record`]; a [`sink::Sink`] takes
//! batches of records, and only then is the message acknowledged. See `DESIGN.md`.

// The retries of s3conn-aws (`retry.rs`) share the pipeline's backoff.
#[doc(hidden)]
pub mod backoff;
pub mod budget;
pub mod concurrency;
pub mod decode;
pub mod error;
pub mod filter;
pub mod health;
pub mod json;
pub mod local;
pub mod memory;
pub mod notification;
pub mod pipeline;
pub mod process;
pub mod queue;
pub mod record;
pub mod replay;
pub mod route;
pub mod sink;
pub mod source;
pub mod stats;
pub mod store;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod time;

pub use budget::ByteBudget;
pub use error::{Classify, ErrorClass};
pub use health::{ConnectorHealth, Health, HealthReport, HealthRules, Readiness};
pub use pipeline::{
    KeepReason, KeptMessages, Pipeline, PipelineConfig, PipelineError, RunReport, RunStatus,
};
pub use queue::{AckHandle, Message, Queue, QueueError};
pub use record::{CompactString, Normalized, ObjectContext, Outcome, Record, SourceInfo};
pub use replay::{Replay, ReplayError, ReplayOutcome};
pub use route::{KeyPattern, Route, Router, Unmatched};
pub use sink::{DeadLetter, DeadLetterSink, Rejection, Sink, SinkError};
pub use source::{Event, KeyVerdict, LogSource, SourceRegistry};
pub use stats::{Stats, StatsSnapshot};
pub use store::{GetResult, ObjectMeta, ObjectRef, ObjectStore, ObjectStoreExt, StoreError};
