//! Amazon Route 53 Resolver (VPC Resolver) query logs: one JSON object per query.
//!
//! - time: `query_timestamp`;
//! - `event_name`: `query_name` (the name asked for); `event_type`: `query_type` (`A`, `PTR`, …);
//! - `src_ip`: `srcaddr`;
//! - `host`: `srcids.instance`, then `srcids.resolver_endpoint`;
//! - `outcome`: failure when DNS Firewall blocked the query (`firewall_rule_action` `BLOCK`) or
//!   the answer code is an error (`NXDOMAIN`, `SERVFAIL`, `REFUSED`, …); success for `NOERROR`.
//!   Resolver logs name no user.

use s3conn_core::{Event, LogSource, Normalized, Outcome};
use serde::Deserialize;

use super::fields::ip;
use crate::builtin_source::{builtin_source, builtin_source_accessors};
use crate::lenient::{Obj, Text, TimeVal};
use crate::normalize::{self, owned};

/// Registry id of the Route 53 Resolver source.
pub const ID: &str = "aws-route53-resolver";

builtin_source!(
    /// The Amazon Route 53 Resolver query log (JSON) source.
    Route53Resolver,
    [ID, "AWS Route 53 Resolver (JSON)", "Syslog", "generic_s3_aws_route53_resolver", "aws"]
);

/// The fields of a query log record the source reads (its keys are snake_case).
#[derive(Deserialize, Default)]
struct QueryView<'a> {
    #[serde(borrow, default)]
    query_timestamp: TimeVal<'a>,
    #[serde(borrow, default)]
    query_name: Text<'a>,
    #[serde(borrow, default)]
    query_type: Text<'a>,
    #[serde(borrow, default)]
    rcode: Text<'a>,
    #[serde(borrow, default)]
    srcaddr: Text<'a>,
    #[serde(borrow, default)]
    srcids: Obj<SrcIds<'a>>,
    #[serde(borrow, default)]
    firewall_rule_action: Text<'a>,
}

/// `srcids`: what the query came from or through.
#[derive(Deserialize, Default)]
struct SrcIds<'a> {
    #[serde(borrow, default)]
    instance: Text<'a>,
    #[serde(borrow, default, alias = "resolver-endpoint")]
    resolver_endpoint: Text<'a>,
}

/// The outcome of a query: blocked or an error code fails it.
fn outcome(rcode: Option<&str>, firewall_action: Option<&str>) -> Option<Outcome> {
    if firewall_action.is_some_and(|a| a.eq_ignore_ascii_case("BLOCK")) {
        return Some(Outcome::Failure);
    }
    match rcode? {
        c if c.eq_ignore_ascii_case("NOERROR") => Some(Outcome::Success),
        _ => Some(Outcome::Failure),
    }
}

impl LogSource for Route53Resolver {
    builtin_source_accessors!();

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        let Some(q) = normalize::parse_event::<QueryView<'_>>(event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        let ids = q.srcids.get();
        normalize::finish(Normalized {
            timestamp_ms: q.query_timestamp.to_ms(),
            event_name: q.query_name.owned(),
            event_type: q.query_type.owned(),
            src_ip: owned(ip(q.srcaddr.get())),
            host: ids.and_then(|i| i.instance.owned().or_else(|| i.resolver_endpoint.owned())),
            outcome: outcome(q.rcode.get(), q.firewall_rule_action.get()),
            ..Normalized::default()
        })
    }
}
