//! Amazon VPC Flow Logs (text, versions 2 to 8): the object's first line names the fields (the
//! default format or any custom order), each further line is one flow record. The text decoder
//! hands each record over as a JSON object keyed by those names (`-` fields absent).
//!
//! - time: `end` (epoch seconds; the end of the capture window, as other collectors use), then
//!   `start`; records without either (custom formats such as a NAT gateway's
//!   `instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr`) keep the object's time
//!   with a `timestamp_fallback` reason;
//! - `event_name`: `action` (`ACCEPT`, `REJECT`);
//! - `event_type`: `log-status` (`OK`, `NODATA`, `SKIPDATA`);
//! - `src_ip`: `srcaddr`;
//! - `host`: `instance-id`, then `interface-id`;
//! - `outcome`: `ACCEPT` success, `REJECT` failure. Flow logs name no user.
//!
//! Field names are read as AWS writes them (`log-status`) or with `_` (`log_status`).

use std::borrow::Cow;
use std::sync::OnceLock;

use s3conn_core::decode::text::{Field, TextFormat};
use s3conn_core::json::NotedField;
use s3conn_core::{Event, LogSource, Normalized, Outcome};
use serde::Deserialize;

use super::fields::{ip, present};
use crate::builtin_source::{builtin_source, builtin_source_accessors};
use crate::lenient::{Text, TimeVal};
use crate::normalize::{self, owned};

/// Registry id of the VPC Flow Logs source.
pub const ID: &str = "aws-vpcflow";

builtin_source!(
    /// The Amazon VPC Flow Logs (text) source.
    VpcFlow,
    [ID, "AWS VPC Flow Logs (text)", "Syslog", "generic_s3_aws_vpcflow", "aws"]
);

/// Fields of which a VPC Flow Logs header names at least one.
const KNOWN_FIELDS: [&str; 12] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "action",
    "log-status",
    "instance-id",
    "vpc-id",
    "pkt-srcaddr",
];

/// The integer fields of versions 2 to 8 (the rest are strings; `account-id` keeps its leading
/// zeros).
const INTEGER_FIELDS: [&str; 11] = [
    "version",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "tcp-flags",
    "traffic-path",
    "ecs-container-instance-count",
];

/// The VPC Flow Logs text format: a header line naming the fields, space-separated records.
pub fn text_format() -> &'static TextFormat {
    static FORMAT: OnceLock<TextFormat> = OnceLock::new();
    FORMAT.get_or_init(|| {
        TextFormat::header_line("VPC Flow Logs", b' ', "VPC Flow Logs header line")
            .expect_any(&KNOWN_FIELDS)
            .with_types(INTEGER_FIELDS.iter().map(|f| Field::integer(*f)).collect())
    })
}

/// Fallback reason for records of a format without `start` and `end` (or with both `-`).
pub const NO_FLOW_TIME: &str = "flow record has no start or end time (custom format without them)";

/// The fields of a flow record the source reads, through `serde` (the noted fields are read
/// without it: [`Flow::from_noted`]).
#[derive(Deserialize)]
struct FlowView<'a> {
    #[serde(borrow, default)]
    end: TimeVal<'a>,
    #[serde(borrow, default)]
    start: TimeVal<'a>,
    #[serde(borrow, default)]
    action: Text<'a>,
    #[serde(borrow, default, rename = "log-status", alias = "log_status")]
    log_status: Text<'a>,
    #[serde(borrow, default)]
    srcaddr: Text<'a>,
    #[serde(borrow, default, rename = "instance-id", alias = "instance_id")]
    instance_id: Text<'a>,
    #[serde(borrow, default, rename = "interface-id", alias = "interface_id")]
    interface_id: Text<'a>,
}

/// What normalizing reads of a flow record, however it was read: the time (`end`, else
/// `start`) and the texts, borrowed.
#[derive(Default)]
struct Flow<'a> {
    time_ms: Option<i64>,
    action: Option<&'a str>,
    log_status: Option<&'a str>,
    srcaddr: Option<&'a str>,
    instance_id: Option<&'a str>,
    interface_id: Option<&'a str>,
}

impl<'a> Flow<'a> {
    /// The flow read straight from the fields the text decoder noted (no JSON parser); `None`
    /// when a field it reads is not a plain string or integer (then [`Event::parse`] reads it).
    /// Keys are matched by their bytes, and `start` is read only when `end` gives no time.
    fn from_noted(fields: impl Iterator<Item = NotedField<'a>>) -> Option<Self> {
        let mut flow = Flow::default();
        let (mut end, mut start) = (None, None);
        for field in fields {
            let slot = match key_of(field.key_bytes()?) {
                Key::End => {
                    end = Some(field);
                    continue;
                }
                Key::Start => {
                    start = Some(field);
                    continue;
                }
                Key::Action => &mut flow.action,
                Key::LogStatus => &mut flow.log_status,
                Key::SrcAddr => &mut flow.srcaddr,
                Key::InstanceId => &mut flow.instance_id,
                Key::InterfaceId => &mut flow.interface_id,
                Key::Other => continue,
            };
            *slot = Some(text_of(&field)?);
        }
        flow.time_ms = match end {
            Some(end) => time_of(&end)?.to_ms(),
            None => None,
        };
        if flow.time_ms.is_none() {
            if let Some(start) = start {
                flow.time_ms = time_of(&start)?.to_ms();
            }
        }
        Some(flow)
    }

    /// The flow of a view read through `serde`.
    fn from_view(view: &'a FlowView<'_>) -> Self {
        Flow {
            time_ms: view.end.to_ms().or_else(|| view.start.to_ms()),
            action: view.action.get(),
            log_status: view.log_status.get(),
            srcaddr: view.srcaddr.get(),
            instance_id: view.instance_id.get(),
            interface_id: view.interface_id.get(),
        }
    }

    /// The record's common fields.
    fn normalized(&self) -> Normalized {
        let action = present(self.action);
        let outcome = match action {
            Some(a) if a.eq_ignore_ascii_case("ACCEPT") => Some(Outcome::Success),
            Some(a) if a.eq_ignore_ascii_case("REJECT") => Some(Outcome::Failure),
            _ => None,
        };
        normalize::finish(Normalized {
            fallback_reason: self.time_ms.is_none().then(|| NO_FLOW_TIME.into()),
            timestamp_ms: self.time_ms,
            event_name: owned(action),
            event_type: owned(present(self.log_status)),
            src_ip: owned(ip(self.srcaddr)),
            host: owned(present(self.instance_id).or(present(self.interface_id))),
            outcome,
            ..Normalized::default()
        })
    }
}

/// The keys [`FlowView`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    End,
    Start,
    Action,
    LogStatus,
    SrcAddr,
    InstanceId,
    InterfaceId,
    Other,
}

/// Which key `k` is, told by its length and first byte before its bytes are compared (a flow
/// record has 14 or more keys, most of them read by nothing here).
#[inline]
fn key_of(k: &[u8]) -> Key {
    let either = |a: &[u8], b: &[u8], key| if k == a || k == b { key } else { Key::Other };
    let one = |a: &[u8], key| if k == a { key } else { Key::Other };
    match (k.len(), k.first()) {
        (3, Some(b'e')) => one(b"end", Key::End),
        (5, Some(b's')) => one(b"start", Key::Start),
        (6, Some(b'a')) => one(b"action", Key::Action),
        (7, Some(b's')) => one(b"srcaddr", Key::SrcAddr),
        (10, Some(b'l')) => either(b"log-status", b"log_status", Key::LogStatus),
        (11, Some(b'i')) => either(b"instance-id", b"instance_id", Key::InstanceId),
        (12, Some(b'i')) => either(b"interface-id", b"interface_id", Key::InterfaceId),
        _ => Key::Other,
    }
}

/// A noted field's text as [`Text`] reads it (a number as its JSON text); `None` when not
/// known.
fn text_of<'a>(field: &NotedField<'a>) -> Option<&'a str> {
    field.plain_str().or_else(|| field.integer_text())
}

/// A noted field as [`TimeVal`] reads it; `None` when not known.
fn time_of<'a>(field: &NotedField<'a>) -> Option<TimeVal<'a>> {
    if let Some(text) = field.plain_str() {
        return Some(TimeVal::Str(Cow::Borrowed(text)));
    }
    match field.u64() {
        Some(n) => Some(TimeVal::U64(n)),
        None => Some(TimeVal::F64(
            field.integer_text()?.parse::<i64>().ok()? as f64
        )),
    }
}

impl LogSource for VpcFlow {
    builtin_source_accessors!();

    fn text_format(&self) -> Option<&TextFormat> {
        Some(text_format())
    }

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        if let Some(flow) = event.noted_fields().and_then(Flow::from_noted) {
            return flow.normalized();
        }
        match normalize::parse_event::<FlowView<'_>>(event) {
            Some(view) => Flow::from_view(&view).normalized(),
            None => normalize::fallback(normalize::NOT_OBJECT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_told_apart_by_their_whole_bytes() {
        for (name, key) in [
            ("end", Key::End),
            ("start", Key::Start),
            ("action", Key::Action),
            ("srcaddr", Key::SrcAddr),
            ("log-status", Key::LogStatus),
            ("log_status", Key::LogStatus),
            ("instance-id", Key::InstanceId),
            ("instance_id", Key::InstanceId),
            ("interface-id", Key::InterfaceId),
            ("interface_id", Key::InterfaceId),
        ] {
            assert_eq!(key_of(name.as_bytes()), key, "{name}");
        }
        // Same length and first byte, other bytes; other lengths; empty.
        for name in [
            "eNd",
            "stArt",
            "accept",
            "srcport",
            "log.status",
            "instance-ID",
            "interface-ip",
            "",
            "version",
            "ends",
            "dstaddr",
            "e",
        ] {
            assert_eq!(key_of(name.as_bytes()), Key::Other, "{name}");
        }
    }
}
