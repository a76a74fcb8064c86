//! Routing by key: which log source (and which decoding) an object gets, chosen by its key
//! before it is fetched, first match wins; and what happens to a key no route takes.
//!
//! A pipeline always works through a [`Router`]: a single-source pipeline has one route that
//! takes every key ([`Router::single`]), so routed and unrouted connectors share one code path.
//!
//! ```
//! use std::sync::Arc;
//!
//! use s3conn_core::decode::Framing;
//! use s3conn_core::route::{DecodeOverride, KeyPattern, Route, Router, Unmatched};
//! use s3conn_core::{Event, LogSource, Normalized, SourceInfo};
//!
//! #[derive(Debug)]
//! struct Named(Arc<SourceInfo>);
//! impl LogSource for Named {
//!     fn info(&self) -> &Arc<SourceInfo> {
//!         &self.0
//!     }
//!     fn normalize(&self, _: &Event<'_>) -> Normalized {
//!         Normalized::default()
//!     }
//! }
//! let source = |id: &str| -> Arc<dyn LogSource> {
//!     Arc::new(Named(Arc::new(SourceInfo::new(id, id, "Other", id, "me"))))
//! };
//!
//! let router = Router::new(
//!     vec![
//!         Route::new(KeyPattern::glob("AWSLogs/*/CloudTrail/**")?, source("trail")),
//!         Route::new(KeyPattern::regex("^crowdstrike/")?, source("fdr")).decode(DecodeOverride {
//!             framing: Some(Framing::Lines),
//!             ..DecodeOverride::default()
//!         }),
//!     ],
//!     Unmatched::Ack,
//! );
//! let (index, route) = router.route("AWSLogs/1/CloudTrail/us-east-1/2024/01/01/a.json.gz").unwrap();
//! assert_eq!((index, route.source().info().id.as_str()), (0, "trail"));
//! // `*` stays within one path segment; `**` crosses any number of them.
//! assert!(router.route("AWSLogs/1/x/CloudTrail/a.json").is_none());
//! assert_eq!(router.route("crowdstrike/data/part-0.gz").unwrap().0, 1);
//! assert!(router.route("unknown/key").is_none());
//! # Ok::<(), s3conn_core::route::PatternError>(())
//! ```

use std::fmt;
use std::sync::Arc;

use globset::{GlobBuilder, GlobMatcher};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::decode::{Decoder, DecoderConfig, FileType, Framing, JsonDecoder};
use crate::source::LogSource;

/// A key pattern that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {pattern:?} does not compile: {reason}")]
pub struct PatternError {
    /// `key_glob` or `key_regex`.
    pub kind: &'static str,
    /// The pattern as written.
    pub pattern: String,
    /// Why it does not compile.
    pub reason: String,
}

/// Which keys a route takes: a glob, a regular expression, or every key.
#[derive(Clone)]
pub enum KeyPattern {
    /// A glob over the whole key: `*`, `?` and `[...]` stay within one `/`-separated segment,
    /// `**` spans any number of segments, `{a,b}` is either.
    Glob {
        /// The glob as written.
        pattern: String,
        /// The compiled glob.
        matcher: GlobMatcher,
    },
    /// A regular expression (`regex` crate syntax) searched anywhere in the key; anchor it with
    /// `^`/`$` to match a prefix or the whole key.
    Regex(Regex),
    /// Every key (the one route of a single-source pipeline).
    Any,
}

impl KeyPattern {
    /// A glob (`AWSLogs/*/CloudTrail/**`), matched against the whole key.
    pub fn glob(pattern: &str) -> Result<Self, PatternError> {
        let matcher = GlobBuilder::new(pattern)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| PatternError {
                kind: "key_glob",
                pattern: pattern.to_owned(),
                reason: e.kind().to_string(),
            })?
            .compile_matcher();
        Ok(KeyPattern::Glob {
            pattern: pattern.to_owned(),
            matcher,
        })
    }

    /// A regular expression (`^crowdstrike/`), searched in the key.
    pub fn regex(pattern: &str) -> Result<Self, PatternError> {
        Regex::new(pattern)
            .map(KeyPattern::Regex)
            .map_err(|e| PatternError {
                kind: "key_regex",
                pattern: pattern.to_owned(),
                reason: one_line(&e.to_string()),
            })
    }

    /// Whether the pattern takes this key.
    pub fn matches(&self, key: &str) -> bool {
        match self {
            KeyPattern::Glob { matcher, .. } => matcher.is_match(key),
            KeyPattern::Regex(re) => re.is_match(key),
            KeyPattern::Any => true,
        }
    }
}

/// The last line of a multi-line parser message (the regex crate draws a caret under the pattern,
/// then says what is wrong), without its `error: ` label: one line for a configuration error.
fn one_line(message: &str) -> String {
    let last = message
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message);
    last.trim().trim_start_matches("error: ").to_owned()
}

impl fmt::Display for KeyPattern {
    /// As it is written in a configuration: `key_glob = "…"`, `key_regex = "…"`, or `any key`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyPattern::Glob { pattern, .. } => write!(f, "key_glob = {pattern:?}"),
            KeyPattern::Regex(re) => write!(f, "key_regex = {:?}", re.as_str()),
            KeyPattern::Any => f.write_str("any key"),
        }
    }
}

impl fmt::Debug for KeyPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq for KeyPattern {
    /// Two patterns are equal when they are of one kind and written alike.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (KeyPattern::Glob { pattern: a, .. }, KeyPattern::Glob { pattern: b, .. }) => a == b,
            (KeyPattern::Regex(a), KeyPattern::Regex(b)) => a.as_str() == b.as_str(),
            (KeyPattern::Any, KeyPattern::Any) => true,
            _ => false,
        }
    }
}

/// What happens to an object whose key no route matches (`unmatched` in a connector).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unmatched {
    /// Write the object to the dead-letter destination (kind `object`, the reason naming the key
    /// and "no route matches"), then acknowledge. Nothing is lost, and the dead letters show which
    /// keys need a route. The default.
    #[default]
    DeadLetter,
    /// Acknowledge without reading it; counted in `objects_unmatched_skipped`.
    Ack,
    /// Do not acknowledge the message: it becomes visible again after `visibility_timeout`, for
    /// this or another consumer of the queue (counted in `objects_unmatched_kept`). Each receive
    /// counts toward the queue's redrive `maxReceiveCount`.
    Keep,
}

impl fmt::Display for Unmatched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unmatched::DeadLetter => "dead_letter",
            Unmatched::Ack => "ack",
            Unmatched::Keep => "keep",
        })
    }
}

/// A route's own decoding settings; what it leaves unset comes from the pipeline's decoder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeOverride {
    /// Expected compression of this route's objects.
    pub file_type: Option<FileType>,
    /// How this route's events are delimited.
    pub framing: Option<Framing>,
}

impl DecodeOverride {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.file_type.is_none() && self.framing.is_none()
    }

    /// `base` with these settings applied (limits always come from `base`).
    pub fn apply(&self, base: &DecoderConfig) -> DecoderConfig {
        DecoderConfig {
            file_type: self.file_type.unwrap_or(base.file_type),
            framing: self.framing.unwrap_or(base.framing),
            limits: base.limits.clone(),
        }
    }
}

/// One route: the keys it takes, the source that normalizes their events, its decoding.
#[derive(Debug, Clone)]
pub struct Route {
    pattern: KeyPattern,
    source: Arc<dyn LogSource>,
    decode: DecodeOverride,
}

impl Route {
    /// A route sending the keys `pattern` takes to `source`, decoded as the pipeline decodes.
    pub fn new(pattern: KeyPattern, source: Arc<dyn LogSource>) -> Self {
        Route {
            pattern,
            source,
            decode: DecodeOverride::default(),
        }
    }

    /// This route's own compression and framing.
    pub fn decode(mut self, decode: DecodeOverride) -> Self {
        self.decode = decode;
        self
    }

    /// The keys it takes.
    pub fn pattern(&self) -> &KeyPattern {
        &self.pattern
    }

    /// Its log source.
    pub fn source(&self) -> &Arc<dyn LogSource> {
        &self.source
    }

    /// Its decoding settings.
    pub fn decode_override(&self) -> &DecodeOverride {
        &self.decode
    }
}

/// Routes tried in order (first match wins), and the policy for keys none takes.
#[derive(Debug, Clone)]
pub struct Router {
    routes: Vec<Route>,
    unmatched: Unmatched,
}

impl Router {
    /// Routes tried in order, and what happens to a key none of them takes.
    pub fn new(routes: Vec<Route>, unmatched: Unmatched) -> Self {
        Router { routes, unmatched }
    }

    /// One source for every key (what a connector with a top-level `log_source` has).
    pub fn single(source: Arc<dyn LogSource>) -> Self {
        Router::new(
            vec![Route::new(KeyPattern::Any, source)],
            Unmatched::default(),
        )
    }

    /// The first route taking `key`, with its index, or `None`.
    pub fn route(&self, key: &str) -> Option<(usize, &Route)> {
        self.routes
            .iter()
            .enumerate()
            .find(|(_, r)| r.pattern.matches(key))
    }

    /// The routes, in order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// What happens to keys no route takes.
    pub fn unmatched(&self) -> Unmatched {
        self.unmatched
    }

    /// The source of a single-source router (one route taking every key), else `None`.
    pub fn single_source(&self) -> Option<&Arc<dyn LogSource>> {
        match self.routes.as_slice() {
            [only] if only.pattern == KeyPattern::Any => Some(&only.source),
            _ => None,
        }
    }
}

/// A route ready for the pipeline: its source and its compiled decoder.
#[derive(Debug, Clone)]
pub(crate) struct RouteTarget {
    /// The log source: the one whose hooks the pipeline uses for this object.
    pub source: Arc<dyn LogSource>,
    /// The decoder for this route's objects.
    pub decoder: Arc<dyn Decoder>,
}

/// A [`Router`] with every route's decoder built once.
#[derive(Debug)]
pub(crate) struct RouteTable {
    router: Router,
    targets: Vec<RouteTarget>,
}

impl RouteTable {
    /// Builds each route's decoder from `base` and its override (routes without one share it).
    pub(crate) fn new(router: Router, base: &DecoderConfig) -> Self {
        let shared: Arc<dyn Decoder> = Arc::new(JsonDecoder::new(base));
        let targets = router
            .routes
            .iter()
            .map(|r| RouteTarget {
                source: r.source.clone(),
                decoder: if r.decode.is_empty() {
                    shared.clone()
                } else {
                    Arc::new(JsonDecoder::new(&r.decode.apply(base)))
                },
            })
            .collect();
        RouteTable { router, targets }
    }

    /// The target of the first route taking `key`.
    pub(crate) fn select(&self, key: &str) -> Option<&RouteTarget> {
        let (index, _) = self.router.route(key)?;
        self.targets.get(index)
    }

    /// What happens to keys no route takes.
    pub(crate) fn unmatched(&self) -> Unmatched {
        self.router.unmatched
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Event, SourceInfo};
    use crate::Normalized;

    #[derive(Debug)]
    struct Named(Arc<SourceInfo>);
    impl LogSource for Named {
        fn info(&self) -> &Arc<SourceInfo> {
            &self.0
        }
        fn normalize(&self, _: &Event<'_>) -> Normalized {
            Normalized::default()
        }
    }

    fn source(id: &str) -> Arc<dyn LogSource> {
        Arc::new(Named(Arc::new(SourceInfo::new(id, id, "Other", id, "t"))))
    }

    #[test]
    fn globs_match_whole_keys_with_double_star_across_segments() {
        let g = KeyPattern::glob("AWSLogs/*/CloudTrail/**").unwrap();
        assert!(g.matches("AWSLogs/123/CloudTrail/us-east-1/2024/01/01/x.json.gz"));
        assert!(!g.matches("AWSLogs/123/CloudTrail-Digest/us-east-1/x.json.gz"));
        assert!(!g.matches("AWSLogs/1/2/CloudTrail/x"));
        assert!(!g.matches("prefix/AWSLogs/1/CloudTrail/x"));
        let g = KeyPattern::glob("**/*.json.gz").unwrap();
        assert!(g.matches("a/b/c.json.gz"));
        assert!(g.matches("c.json.gz"));
        assert!(!g.matches("a/b/c.json"));
        let g = KeyPattern::glob("logs/{tap,pod}/*").unwrap();
        assert!(g.matches("logs/tap/1.ndjson") && g.matches("logs/pod/2"));
        assert!(!g.matches("logs/other/2"));
    }

    #[test]
    fn regexes_search_the_key() {
        let r = KeyPattern::regex("^crowdstrike/").unwrap();
        assert!(r.matches("crowdstrike/data/1.gz"));
        assert!(!r.matches("x/crowdstrike/data/1.gz"));
        assert!(KeyPattern::regex("tap").unwrap().matches("x/tap/y"));
    }

    #[test]
    fn bad_patterns_name_themselves() {
        let e = KeyPattern::regex("^(unclosed").unwrap_err();
        assert_eq!(e.kind, "key_regex");
        assert_eq!(
            e.to_string(),
            "key_regex \"^(unclosed\" does not compile: unclosed group"
        );
        let e = KeyPattern::glob("a/[b").unwrap_err();
        assert_eq!(e.kind, "key_glob");
        assert!(e.to_string().contains("\"a/[b\""), "{e}");
    }

    #[test]
    fn first_match_wins_and_single_takes_everything() {
        let router = Router::new(
            vec![
                Route::new(KeyPattern::regex("^a/special").unwrap(), source("one")),
                Route::new(KeyPattern::glob("a/**").unwrap(), source("two")),
            ],
            Unmatched::Keep,
        );
        assert_eq!(router.route("a/special/x").map(|r| r.0), Some(0));
        assert_eq!(router.route("a/other/x").map(|r| r.0), Some(1));
        assert!(router.route("b/x").is_none());
        assert!(router.single_source().is_none());
        let single = Router::single(source("only"));
        assert_eq!(
            single.route("anything/at/all").map(|r| r.0),
            Some(0),
            "one route for every key"
        );
        assert!(single.single_source().is_some());
    }

    #[test]
    fn route_decoding_overrides_only_what_it_sets() {
        let base = DecoderConfig {
            file_type: FileType::Gzip,
            ..DecoderConfig::default()
        };
        let o = DecodeOverride {
            framing: Some(Framing::Lines),
            ..DecodeOverride::default()
        };
        let applied = o.apply(&base);
        assert_eq!(applied.file_type, FileType::Gzip);
        assert_eq!(applied.framing, Framing::Lines);
        assert!(DecodeOverride::default().is_empty());
        assert!(!o.is_empty());
    }

    #[test]
    fn unmatched_reads_as_written() {
        #[derive(Deserialize)]
        struct W {
            unmatched: Unmatched,
        }
        for (text, want) in [
            ("dead_letter", Unmatched::DeadLetter),
            ("ack", Unmatched::Ack),
            ("keep", Unmatched::Keep),
        ] {
            let w: W = serde_json::from_str(&format!("{{\"unmatched\":\"{text}\"}}")).unwrap();
            assert_eq!(w.unmatched, want);
            assert_eq!(want.to_string(), text);
        }
        assert_eq!(Unmatched::default(), Unmatched::DeadLetter);
    }
}
