//! `[[routes]]` and `unmatched`: many log types behind one queue, routed by object key.
//!
//! ```toml
//! unmatched = "dead_letter"              # dead_letter (default) | ack | keep
//!
//! [[routes]]
//! key_glob = "AWSLogs/*/CloudTrail/**"   # or key_regex = "^crowdstrike/"
//! log_source = "aws-cloudtrail"          # a registered id or a spec path (relative to the file)
//! # file_type = "gzip"                   # optional, per route; unset: the connector's
//! # framing = "lines"                    # optional, per route; unset: the connector's
//! # multiple_logs_per_file = true        # optional, per route (framing = "lines")
//! ```
//!
//! Routes are tried in order; the first whose pattern takes the key decides the object's source
//! and decoding. A connector has either a top-level `log_source` or `[[routes]]`.

use s3conn_core::decode::{FileType, Framing};
use s3conn_core::route::{DecodeOverride, KeyPattern, Unmatched};
use serde::Deserialize;

use super::error::{invalid, ConfigError};

/// One `[[routes]]` table as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    key_glob: Option<String>,
    key_regex: Option<String>,
    log_source: Option<String>,
    file_type: Option<FileType>,
    multiple_logs_per_file: Option<bool>,
    framing: Option<Framing>,
}

/// One validated route: the keys it takes, the source it names (resolved by the caller, like
/// `log_source`), and its own decoding settings.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RouteConfig {
    /// The compiled `key_glob` or `key_regex`.
    pub pattern: KeyPattern,
    /// A registered source id or a path to a declarative spec.
    pub log_source: String,
    /// The route's compression and framing; what it leaves unset is the connector's.
    pub decode: DecodeOverride,
}

impl RouteConfig {
    /// How errors and logs name the route: `route 2 (key_glob = "AWSLogs/**")` (1-based).
    pub fn describe(&self, index: usize) -> String {
        format!("route {} ({})", index + 1, self.pattern)
    }
}

/// A [`ConfigError::Route`] for the route at `index` (0-based), written as `pattern`.
fn route_error(index: usize, pattern: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Route {
        index: index + 1,
        pattern: pattern.to_owned(),
        reason: reason.into(),
    }
}

/// How a raw route names itself before it is compiled.
fn written(raw: &RawRoute) -> String {
    match (&raw.key_glob, &raw.key_regex) {
        (Some(g), None) => format!("key_glob = {g:?}"),
        (None, Some(r)) => format!("key_regex = {r:?}"),
        (Some(g), Some(r)) => format!("key_glob = {g:?}, key_regex = {r:?}"),
        (None, None) => "no pattern".to_owned(),
    }
}

/// The routes and the policy for unmatched keys, checked against the top-level `log_source`:
/// exactly one of the two must be given.
pub(super) fn check_routes(
    log_source: Option<String>,
    routes: Option<Vec<RawRoute>>,
    unmatched: Option<Unmatched>,
) -> Result<(String, Vec<RouteConfig>, Unmatched), ConfigError> {
    let routes = routes.unwrap_or_default();
    match (log_source, routes.is_empty()) {
        (Some(_), false) => Err(invalid(
            "routes",
            "a connector has either a top-level `log_source` (one source for every key) or \
             `[[routes]]` (a source per key pattern), not both: remove one",
        )),
        (None, true) => Err(invalid(
            "log_source",
            "is required (or give `[[routes]]`, a source per key pattern)",
        )),
        (Some(source), true) => {
            if unmatched.is_some() {
                return Err(invalid(
                    "unmatched",
                    "applies only with `[[routes]]`: with a top-level `log_source` every key is taken",
                ));
            }
            Ok((source, Vec::new(), Unmatched::default()))
        }
        (None, false) => {
            let routes = routes
                .into_iter()
                .enumerate()
                .map(|(i, raw)| check_route(i, raw))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((String::new(), routes, unmatched.unwrap_or_default()))
        }
    }
}

/// One route: exactly one pattern that compiles, a source, decoding that does not contradict
/// itself.
fn check_route(index: usize, raw: RawRoute) -> Result<RouteConfig, ConfigError> {
    let name = written(&raw);
    let err = |reason: String| route_error(index, &name, reason);
    let pattern = match (&raw.key_glob, &raw.key_regex) {
        (Some(_), Some(_)) => return Err(err("give key_glob or key_regex, not both".to_owned())),
        (None, None) => return Err(err("needs key_glob or key_regex".to_owned())),
        (Some(g), None) if g.is_empty() => return Err(err("key_glob is empty".to_owned())),
        (None, Some(r)) if r.is_empty() => return Err(err("key_regex is empty".to_owned())),
        (Some(g), None) => KeyPattern::glob(g),
        (None, Some(r)) => KeyPattern::regex(r),
    }
    .map_err(|e| err(e.reason))?;
    let log_source = raw
        .log_source
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| err("log_source is required".to_owned()))?;
    let framing = match (raw.multiple_logs_per_file, raw.framing) {
        (Some(true), Some(f)) if f != Framing::Lines => {
            return Err(err(
                "framing contradicts multiple_logs_per_file = true (one event per line)".to_owned(),
            ))
        }
        (Some(true), _) => Some(Framing::Lines),
        (_, f) => f,
    };
    Ok(RouteConfig {
        pattern,
        log_source,
        decode: DecodeOverride {
            file_type: raw.file_type,
            framing,
        },
    })
}

#[cfg(test)]
#[path = "routes_tests.rs"]
mod tests;
