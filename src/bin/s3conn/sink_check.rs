//! The `[sink]` table in the CLI: the sink `replay --config` delivers to, and the sink checks of
//! `s3conn test` (reachable, credentials, writable, with status-class advice).

use std::path::Path;
use std::sync::Arc;

use s3conn::aws::config::SinkConfig;
use s3conn::http_sinks::Check;
use s3conn::{Connector, NdjsonSink, Sink};

/// The sink of `replay`: the `[sink]` of `config` when given, else stdout; and whether it is
/// stdout.
pub fn replay_sink(config: Option<&Path>) -> Result<(Arc<dyn Sink>, bool), String> {
    let Some(path) = config else {
        return Ok((Arc::new(NdjsonSink::stdout()), true));
    };
    let sink = SinkConfig::from_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let built =
        s3conn::sink_from_config(&sink, None).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((built.sink, built.is_stdout))
}

/// The checks of the connector's sink.
pub async fn check(connector: &Connector) -> Vec<Check> {
    match s3conn::sink_from_config(&connector.config().sink, Some(&connector.clients().s3)) {
        Ok(built) => built.check().await,
        Err(e) => vec![Check::fail(
            "configuration",
            e.to_string(),
            "configuration: fix the [sink] table",
        )],
    }
}
