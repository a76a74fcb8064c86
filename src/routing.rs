//! The source side of a connector configuration as one [`Router`]: its top-level `log_source`
//! (one route for every key), or its `[[routes]]`, each `log_source` resolved like the top-level
//! one (a registered id, its `_` alias, or a spec path relative to the configuration file).
//! `collect`, `backfill` and `replay --config` all take their sources from here.

use std::path::Path;

use s3conn_aws::ConnectorConfig;
use s3conn_core::route::{Route, Router};
use s3conn_sources::resolve as resolve_source;

use crate::connector_job::ConnectorJobError;

/// The router a connector configuration describes; an unknown source of a route is an error
/// naming the route (its index and pattern).
///
/// ```
/// use std::path::Path;
///
/// let config = s3conn::ConnectorConfig::from_toml_str(
///     r#"
/// name = "archive"
/// sqs_queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/archive"
/// unmatched = "ack"
/// [[routes]]
/// key_glob = "AWSLogs/*/CloudTrail/**"
/// log_source = "aws-cloudtrail"
/// [[routes]]
/// key_regex = "^crowdstrike/"
/// log_source = "no-such-source"
/// "#,
/// )?;
/// let err = s3conn::resolve_router(&config, Path::new(".")).unwrap_err().to_string();
/// assert!(err.starts_with("route 2 (key_regex = \"^crowdstrike/\"): unknown log source 'no-such-source'"), "{err}");
/// # Ok::<(), s3conn::ConfigError>(())
/// ```
pub fn resolve_router(
    config: &ConnectorConfig,
    base_dir: &Path,
) -> Result<Router, ConnectorJobError> {
    if config.routes.is_empty() {
        return Ok(Router::single(resolve_source(
            &config.log_source,
            base_dir,
        )?));
    }
    let routes = config
        .routes
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let source = resolve_source(&r.log_source, base_dir).map_err(|source| {
                ConnectorJobError::Route {
                    route: r.describe(i),
                    source,
                }
            })?;
            Ok(Route::new(r.pattern.clone(), source).decode(r.decode))
        })
        .collect::<Result<Vec<_>, ConnectorJobError>>()?;
    Ok(Router::new(routes, config.unmatched))
}
