//! Reading an event time in one of a spec's [`TimeFormat`]s.

use s3conn_core::time::{filetime_to_ms, parse_rfc3339};
use serde_json::Value;

use crate::lenient::{value_time, TimeVal};

use super::spec::TimeFormat;

/// Reads a time value in one format.
pub(super) fn read_time(v: &Value, format: TimeFormat) -> Option<i64> {
    let t = value_time(v);
    let numeric = |t: &TimeVal<'_>| -> Option<f64> {
        match t {
            TimeVal::U64(u) => Some(*u as f64),
            TimeVal::F64(f) => Some(*f),
            TimeVal::Str(s) => {
                let s = s.trim();
                if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
                    s.parse().ok()
                } else {
                    None
                }
            }
            TimeVal::None => None,
        }
    };
    let scaled = |div: f64| -> Option<i64> {
        let n = numeric(&t)? / div;
        (n.is_finite() && n > 0.0 && n < 253_402_300_800_000.0).then(|| n.round() as i64)
    };
    match format {
        TimeFormat::Auto => t.to_ms(),
        TimeFormat::Rfc3339 => match &t {
            TimeVal::Str(s) => parse_rfc3339(s),
            _ => None,
        },
        TimeFormat::Epoch => match &t {
            TimeVal::Str(_) => numeric(&t).and(t.to_ms()),
            _ => t.to_ms(),
        },
        TimeFormat::EpochS => scaled(0.001),
        TimeFormat::EpochMs => scaled(1.0),
        TimeFormat::EpochUs => scaled(1_000.0),
        TimeFormat::EpochNs => scaled(1_000_000.0),
        TimeFormat::Filetime => match &t {
            TimeVal::U64(u) => filetime_to_ms(*u),
            TimeVal::Str(s) => s.trim().parse::<u64>().ok().and_then(filetime_to_ms),
            _ => None,
        },
    }
}
