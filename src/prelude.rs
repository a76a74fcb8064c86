//! `use s3conn::prelude::*;`: the types of the embedding story, and what implementing its traits
//! needs (`async_trait`, `CancellationToken`).

pub use crate::{
    async_trait, CancellationToken, CompactString, DeadLetter, DeadLetterSink,
    DirectoryDeadLetterSink, Event, LogSource, MemoryDeadLetterSink, MemorySink, NdjsonSink,
    Normalized, Pipeline, PipelineConfig, Record, Replay, ReplayOutcome, RunReport, RunStatus,
    Sink, SinkError, SourceInfo, SourceRegistry, StatsSnapshot,
};
#[cfg(feature = "sources")]
pub use crate::{builtin_registry, resolve_source};
#[cfg(all(feature = "aws", feature = "sources"))]
pub use crate::{run_connector, ConnectorJob, DeadLetterDestination};
#[cfg(feature = "aws")]
pub use crate::{Connector, ConnectorConfig};
