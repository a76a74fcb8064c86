//! Elastic Load Balancing logs (text): Application Load Balancer access and connection logs,
//! Classic Load Balancer access logs and Network Load Balancer (TLS) access logs. All four are
//! space-separated with quoted fields and `-` for no value; the text decoder hands each line over
//! as a JSON object keyed by the column names below ([`ALB_COLUMNS`], [`CONNECTION_COLUMNS`],
//! [`CLASSIC_COLUMNS`], [`NLB_COLUMNS`]). Which log a line is comes from its fields.
//!
//! - time: ALB access logs `request_creation_time` (when the request arrived), then `time`; the
//!   others `time`;
//! - `event_name`: the method of `request` (`GET`, …);
//! - `event_type`: the log: `alb`, `alb_connection`, `classic_elb` or `nlb`;
//! - `src_ip`: `client:port` without the port (IPv4, `[IPv6]:port`, or IPv6 with the port glued
//!   on without brackets), or `client_ip` (connection logs);
//! - `host`: `domain_name` (the TLS SNI name), then the host of the `request` URL, then `elb`;
//! - `outcome`: `elb_status_code` below 400 success, from 400 failure (ALB, classic); a connection
//!   log's `tls_verify_status` (`Success` or `Failed:…`); an NLB line failed when it carries an
//!   `incoming_tls_alert`. Load balancer logs name no user.
//!
//! A line of none of the four lists is dead-lettered with its line and offset; a line that fits
//! the classic list without being one (an ALB `type` this source does not know yet) has no
//! readable time and keeps the object's time with a `timestamp_fallback` reason. Keys ending in
//! `ELBAccessLogTestFile` (the object written when logging is turned on) are skipped.

use std::sync::OnceLock;

use s3conn_core::decode::text::{ExtraFields, Field, TextFormat, Variant};
use s3conn_core::{Event, KeyVerdict, LogSource, Normalized, Outcome};
use serde::Deserialize;

use super::fields::{
    address_of_client_port, http_outcome, ip, present, request_host, request_method,
};
use crate::builtin_source::{builtin_source, builtin_source_accessors};
use crate::lenient::{Text, TimeVal};
use crate::normalize::{self, owned};

/// Registry id of the load balancer source.
pub const ID: &str = "aws-alb";
/// Skip reason for the test object Elastic Load Balancing writes when logging is enabled.
pub const TEST_FILE_SKIP: &str = "elb access log test file";

/// Whether an object key is the `ELBAccessLogTestFile` written to check the bucket (its text is
/// a sentence, not a log line).
pub fn is_test_file_key(key: &str) -> bool {
    key.rsplit('/').next() == Some("ELBAccessLogTestFile")
}

/// Application Load Balancer access log fields, in order.
pub const ALB_COLUMNS: [&str; 33] = [
    "type",
    "time",
    "elb",
    "client:port",
    "target:port",
    "request_processing_time",
    "target_processing_time",
    "response_processing_time",
    "elb_status_code",
    "target_status_code",
    "received_bytes",
    "sent_bytes",
    "request",
    "user_agent",
    "ssl_cipher",
    "ssl_protocol",
    "target_group_arn",
    "trace_id",
    "domain_name",
    "chosen_cert_arn",
    "matched_rule_priority",
    "request_creation_time",
    "actions_executed",
    "redirect_url",
    "error_reason",
    "target:port_list",
    "target_status_code_list",
    "classification",
    "classification_reason",
    "conn_trace_id",
    "transformed_host",
    "transformed_uri",
    "request_transform_status",
];

/// Application Load Balancer connection log fields, in order.
pub const CONNECTION_COLUMNS: [&str; 12] = [
    "time",
    "client_ip",
    "client_port",
    "listener_port",
    "tls_protocol",
    "tls_cipher",
    "tls_handshake_latency",
    "leaf_client_cert_subject",
    "leaf_client_cert_validity",
    "leaf_client_cert_serial_number",
    "tls_verify_status",
    "conn_trace_id",
];

/// Classic Load Balancer access log fields, in order.
pub const CLASSIC_COLUMNS: [&str; 15] = [
    "time",
    "elb",
    "client:port",
    "backend:port",
    "request_processing_time",
    "backend_processing_time",
    "response_processing_time",
    "elb_status_code",
    "backend_status_code",
    "received_bytes",
    "sent_bytes",
    "request",
    "user_agent",
    "ssl_cipher",
    "ssl_protocol",
];

/// Network Load Balancer (TLS listener) access log fields, in order.
pub const NLB_COLUMNS: [&str; 22] = [
    "type",
    "version",
    "time",
    "elb",
    "listener",
    "client:port",
    "destination:port",
    "connection_time",
    "tls_handshake_time",
    "received_bytes",
    "sent_bytes",
    "incoming_tls_alert",
    "chosen_cert_arn",
    "chosen_cert_serial",
    "tls_cipher",
    "tls_protocol_version",
    "tls_named_group",
    "domain_name",
    "alpn_fe_protocol",
    "alpn_be_protocol",
    "alpn_client_preference_list",
    "tls_connection_creation_time",
];

/// The `type` values that start an ALB access log line.
pub const ALB_TYPES: [&str; 6] = ["http", "https", "h2", "grpcs", "ws", "wss"];

/// Integer fields (any of the four logs).
const INTEGER_COLUMNS: [&str; 10] = [
    "elb_status_code",
    "target_status_code",
    "backend_status_code",
    "received_bytes",
    "sent_bytes",
    "matched_rule_priority",
    "client_port",
    "listener_port",
    "connection_time",
    "tls_handshake_time",
];

/// Number fields (durations in seconds; `-1` when the load balancer could not measure them).
const NUMBER_COLUMNS: [&str; 7] = [
    "request_processing_time",
    "target_processing_time",
    "response_processing_time",
    "backend_processing_time",
    "tls_handshake_latency",
    "connection_time",
    "tls_handshake_time",
];

fn fields(columns: &[&str]) -> Vec<Field> {
    columns
        .iter()
        .map(|c| {
            if NUMBER_COLUMNS.contains(c) && !INTEGER_COLUMNS.contains(c) {
                Field::number(*c)
            } else if INTEGER_COLUMNS.contains(c) {
                Field::integer(*c)
            } else {
                Field::text(*c)
            }
        })
        .collect()
}

/// The load balancer log format: quoted, space-separated, four field lists. ALB lines start with
/// their `type` (`http`, `https`, `h2`, `grpcs`, `ws`, `wss`), NLB lines with `tls`; classic ELB
/// lines (15 fields) and ALB connection log lines (11 or 12 fields) start with their time. Fields
/// AWS adds at the end later are dropped rather than failing the line; lines of older ALB logs
/// may stop after `trace_id`, of older NLB logs after `domain_name`.
pub fn text_format() -> &'static TextFormat {
    static FORMAT: OnceLock<TextFormat> = OnceLock::new();
    FORMAT.get_or_init(|| {
        let variants = vec![
            Variant::new(fields(&ALB_COLUMNS))
                .when_first(&ALB_TYPES)
                .min_fields(18),
            Variant::new(fields(&NLB_COLUMNS))
                .when_first(&["tls"])
                .min_fields(18),
            Variant::new(fields(&CLASSIC_COLUMNS)),
            Variant::new(fields(&CONNECTION_COLUMNS)).min_fields(11),
        ];
        TextFormat::quoted_variants("Elastic Load Balancing log", variants)
            .with_extra(ExtraFields::Ignore)
    })
}

builtin_source!(
    /// The Elastic Load Balancing (ALB, classic ELB, NLB) log source.
    Alb,
    [ID, "AWS ELB/ALB/NLB (text)", "Syslog", "generic_s3_aws_alb", "aws"]
);

/// Which load balancer log a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// Application Load Balancer access log.
    Alb,
    /// Application Load Balancer connection log.
    Connection,
    /// Classic Load Balancer access log.
    Classic,
    /// Network Load Balancer (TLS) access log.
    Nlb,
}

impl LogKind {
    /// The `event_type` given to the log's records.
    pub fn event_type(self) -> &'static str {
        match self {
            LogKind::Alb => "alb",
            LogKind::Connection => "alb_connection",
            LogKind::Classic => "classic_elb",
            LogKind::Nlb => "nlb",
        }
    }
}

/// The fields of a load balancer log line the source reads.
#[derive(Deserialize, Default)]
struct LbView<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Text<'a>,
    #[serde(borrow, default)]
    time: TimeVal<'a>,
    #[serde(borrow, default)]
    request_creation_time: TimeVal<'a>,
    #[serde(borrow, default)]
    elb: Text<'a>,
    #[serde(borrow, default, rename = "client:port")]
    client_port: Text<'a>,
    #[serde(borrow, default)]
    client_ip: Text<'a>,
    #[serde(borrow, default)]
    elb_status_code: Text<'a>,
    #[serde(borrow, default)]
    request: Text<'a>,
    #[serde(borrow, default)]
    domain_name: Text<'a>,
    #[serde(borrow, default)]
    incoming_tls_alert: Text<'a>,
    #[serde(borrow, default)]
    tls_verify_status: Text<'a>,
    #[serde(borrow, default)]
    listener_port: Text<'a>,
}

impl LbView<'_> {
    fn log_kind(&self) -> LogKind {
        if self.tls_verify_status.get().is_some()
            || (self.client_ip.get().is_some() && self.listener_port.get().is_some())
        {
            LogKind::Connection
        } else {
            match self.kind.get() {
                Some(t) if t.eq_ignore_ascii_case("tls") => LogKind::Nlb,
                Some(_) => LogKind::Alb,
                None => LogKind::Classic,
            }
        }
    }

    fn outcome(&self, kind: LogKind) -> Option<Outcome> {
        match kind {
            LogKind::Alb | LogKind::Classic => http_outcome(self.elb_status_code.get()),
            LogKind::Connection => match present(self.tls_verify_status.get())? {
                s if s.eq_ignore_ascii_case("Success") => Some(Outcome::Success),
                _ => Some(Outcome::Failure),
            },
            LogKind::Nlb => Some(if present(self.incoming_tls_alert.get()).is_some() {
                Outcome::Failure
            } else {
                Outcome::Success
            }),
        }
    }
}

impl LogSource for Alb {
    builtin_source_accessors!();

    fn accept_key(&self, key: &str) -> KeyVerdict {
        if is_test_file_key(key) {
            KeyVerdict::Skip(TEST_FILE_SKIP)
        } else {
            KeyVerdict::Accept
        }
    }

    fn text_format(&self) -> Option<&TextFormat> {
        Some(text_format())
    }

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        let Some(l) = normalize::parse_event::<LbView<'_>>(event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        let kind = l.log_kind();
        let request = present(l.request.get());
        let timestamp_ms = match kind {
            LogKind::Alb => l.request_creation_time.to_ms().or_else(|| l.time.to_ms()),
            _ => l.time.to_ms(),
        };
        let src_ip = l
            .client_port
            .get()
            .and_then(address_of_client_port)
            .or_else(|| ip(l.client_ip.get()));
        let host = present(l.domain_name.get())
            .or_else(|| request.and_then(request_host))
            .or(present(l.elb.get()));
        normalize::finish(Normalized {
            timestamp_ms,
            event_name: owned(request.and_then(request_method)),
            event_type: Some(kind.event_type().into()),
            src_ip: owned(src_ip),
            host: owned(host),
            outcome: l.outcome(kind),
            ..Normalized::default()
        })
    }
}
