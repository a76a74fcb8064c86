//! Any JSON: time from the first usable of a configurable list of fields (top-level keys, or JSON
//! pointers for nested ones).
//!
//! Times may be RFC 3339 with any offset or fraction, or epoch seconds / milliseconds /
//! microseconds / nanoseconds as numbers or numeric strings (told apart by magnitude). When none of
//! the listed fields holds a usable time and [`GenericOptions::guess_time_fields`] is on, any
//! top-level field whose name ends in `timestamp`, `time` or `date` (any case) is tried, in
//! document order, and only a time from the year 2000 on counts. Objects with a `Records`, `records` or `Events` array are split into their
//! elements by default (S3 event notifications, Azure-style `records`, CloudTrail look-ups).

use std::sync::Arc;

use s3conn_core::{Event, LogSource, Normalized, SourceInfo};

use crate::lenient::{value_time, KeyScan, TimeVal};
use crate::normalize;

/// Registry id of the generic source.
pub const ID: &str = "generic";

/// The default time fields, in order of preference.
pub const DEFAULT_TIME_FIELDS: [&str; 6] =
    ["@timestamp", "timestamp", "time", "eventTime", "ts", "date"];

/// The default list fields split into events.
pub const DEFAULT_EXPAND_FIELDS: [&str; 3] = ["Records", "records", "Events"];

/// Settings of the generic source (deserializable from a config file; missing keys take the
/// defaults).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenericOptions {
    /// Fields holding the event time, in order of preference: a top-level key (taken literally,
    /// dots included), or a JSON pointer starting with `/` for a nested field
    /// (`/properties/log/requestReceivedTimestamp`).
    pub time_fields: Vec<String>,
    /// Object fields whose arrays hold the events.
    pub expand_fields: Vec<String>,
    /// Whether to try other `*time`/`*timestamp`/`*date` fields when the listed ones fail.
    pub guess_time_fields: bool,
}

impl Default for GenericOptions {
    fn default() -> Self {
        GenericOptions {
            time_fields: DEFAULT_TIME_FIELDS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            expand_fields: DEFAULT_EXPAND_FIELDS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            guess_time_fields: true,
        }
    }
}

/// The Generic (JSON) source.
#[derive(Debug, Clone)]
pub struct GenericJson {
    info: Arc<SourceInfo>,
    options: GenericOptions,
}

impl Default for GenericJson {
    fn default() -> Self {
        Self::new()
    }
}

impl GenericJson {
    /// The source with the default options.
    pub fn new() -> Self {
        Self::with_options(GenericOptions::default())
    }

    /// The source with these options.
    pub fn with_options(options: GenericOptions) -> Self {
        GenericJson {
            info: Arc::new(SourceInfo::new(
                ID,
                "Generic (JSON)",
                "Syslog",
                "generic_s3_log",
                "aws",
            )),
            options,
        }
    }

    /// The source with these time fields (and the default list fields).
    pub fn with_time_fields<I, S>(fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::with_options(GenericOptions {
            time_fields: fields.into_iter().map(Into::into).collect(),
            ..GenericOptions::default()
        })
    }

    /// The options in force.
    pub fn options(&self) -> &GenericOptions {
        &self.options
    }
}

/// 2000-01-01T00:00:00Z: guessed time fields must read as this or later.
const GUESS_MIN_MS: i64 = 946_684_800_000;

/// Whether a field name looks like it holds a time.
fn looks_like_time(key: &str) -> bool {
    let k = key.as_bytes();
    let ends = |suffix: &str| {
        k.len() >= suffix.len()
            && k[k.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    ends("timestamp") || ends("time") || ends("date")
}

impl LogSource for GenericJson {
    fn info(&self) -> &Arc<SourceInfo> {
        &self.info
    }

    fn expand_fields(&self) -> &[String] {
        &self.options.expand_fields
    }

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        if !normalize::is_object(event) {
            return normalize::fallback(normalize::NOT_OBJECT);
        }
        let fields = &self.options.time_fields;
        let n = fields.len();
        // Slots 0..n: the configured top-level keys (pointers are read afterwards, only when
        // needed); slots n..n+GUESSES: guessed fields in document order.
        const GUESSES: usize = 4;
        let guess = self.options.guess_time_fields;
        let next_guess = std::cell::Cell::new(n);
        let want = |key: &str| -> Option<usize> {
            if let Some(i) = fields.iter().position(|f| f == key && !f.starts_with('/')) {
                return Some(i);
            }
            if guess && looks_like_time(key) && next_guess.get() < n + GUESSES {
                let i = next_guess.get();
                next_guess.set(i + 1);
                return Some(i);
            }
            None
        };
        let scan = KeyScan {
            want: &want,
            slots: n + GUESSES,
        };
        let found: Vec<TimeVal<'_>> = match event.parse_seed(scan) {
            Ok(v) => v,
            Err(_) => return normalize::fallback(normalize::NOT_OBJECT),
        };
        let configured = fields.iter().enumerate().find_map(|(i, f)| {
            if f.starts_with('/') {
                event
                    .value()
                    .pointer(f)
                    .map(value_time)
                    .and_then(|t| t.to_ms())
            } else {
                found.get(i).and_then(TimeVal::to_ms)
            }
        });
        // A guessed field only counts when it reads as a date from 2000 on.
        let guessed = || {
            found
                .iter()
                .skip(n)
                .find_map(|t| t.to_ms().filter(|&ms| ms >= GUESS_MIN_MS))
        };
        normalize::finish(Normalized {
            timestamp_ms: configured.or_else(guessed),
            ..Normalized::default()
        })
    }
}
