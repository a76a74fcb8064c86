//! Proofpoint: TAP SIEM API documents and Proofpoint on Demand (PoD) log events.
//!
//! `event_type`:
//! - TAP: the list the element came from (`messagesDelivered`, `messagesBlocked`,
//!   `clicksPermitted`, `clicksBlocked`); for a TAP event saved alone (NDJSON), the list named in
//!   the object key (`…messages_blocked…`, `…clicksPermitted…`) or else `message` / `click`;
//! - PoD: `pod_message`, `pod_maillog` or `pod_audit`, by the fields present.
//!
//! Time: `messageTime`, `clickTime`, `ts` (PoD, microseconds with `-0700` or `-07:00`), then
//! `threatTime`. Outcome: blocked lists are failures, delivered/permitted lists successes.

use s3conn_core::{Event, LogSource, Normalized, Outcome};
use serde::Deserialize;

use crate::builtin_source::{builtin_source, builtin_source_accessors};
use crate::lenient::{Obj, Text, TimeVal};
use crate::network::{ip_literal, relay_ip};
use crate::normalize::{self, owned};

/// Registry id of the Proofpoint source.
pub const ID: &str = "proofpoint";

/// The TAP SIEM API lists, each element one event.
pub const TAP_LISTS: [&str; 4] = [
    "messagesDelivered",
    "messagesBlocked",
    "clicksPermitted",
    "clicksBlocked",
];

builtin_source!(
    /// The Proofpoint (JSON) source.
    Proofpoint,
    [ID, "Proofpoint (JSON)", "Syslog", "generic_s3_proofpoint_log", "proofpoint"],
    TAP_LISTS.iter().map(|s| (*s).to_owned()).collect()
);

/// The TAP list named in an object key, ignoring case, `_` and `-` (`messages_blocked`,
/// `message-delivered`, `clicksPermitted`, …).
pub fn tap_list_from_key(key: &str) -> Option<&'static str> {
    let squashed: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    let table = [
        ("messagesdelivered", "messagesDelivered"),
        ("messagedelivered", "messagesDelivered"),
        ("messagesblocked", "messagesBlocked"),
        ("messageblocked", "messagesBlocked"),
        ("clickspermitted", "clicksPermitted"),
        ("clickpermitted", "clicksPermitted"),
        ("clicksblocked", "clicksBlocked"),
        ("clickblocked", "clicksBlocked"),
    ];
    table
        .iter()
        .find(|(pat, _)| squashed.contains(pat))
        .map(|(_, list)| *list)
}

/// The fields of a Proofpoint TAP or PoD event the source reads.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ProofpointView<'a> {
    // TAP
    #[serde(borrow, default)]
    message_time: TimeVal<'a>,
    #[serde(borrow, default)]
    click_time: TimeVal<'a>,
    #[serde(borrow, default)]
    threat_time: TimeVal<'a>,
    #[serde(borrow, default)]
    recipient: Text<'a>,
    #[serde(borrow, default)]
    to_addresses: Text<'a>,
    #[serde(borrow, default, rename = "senderIP")]
    sender_ip: Text<'a>,
    #[serde(borrow, default, rename = "clickIP")]
    click_ip: Text<'a>,
    #[serde(borrow, default)]
    cluster: Text<'a>,
    #[serde(borrow, default)]
    classification: Text<'a>,
    // PoD
    #[serde(borrow, default)]
    ts: TimeVal<'a>,
    #[serde(borrow, default)]
    connection: Obj<Connection<'a>>,
    #[serde(borrow, default)]
    envelope: Obj<Envelope<'a>>,
    #[serde(borrow, default)]
    filter: Obj<Filter<'a>>,
    #[serde(default)]
    msg: Obj<serde::de::IgnoredAny>,
    #[serde(borrow, default)]
    sm: Obj<Sendmail<'a>>,
    #[serde(borrow, default)]
    pps: Obj<Pps<'a>>,
    #[serde(borrow, default)]
    audit: Obj<Audit<'a>>,
    #[serde(borrow, default)]
    metadata: Obj<PodMeta<'a>>,
}

#[derive(Deserialize, Default)]
struct Connection<'a> {
    #[serde(borrow, default)]
    ip: Text<'a>,
    #[serde(borrow, default)]
    host: Text<'a>,
}

#[derive(Deserialize, Default)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    from: Text<'a>,
    #[serde(borrow, default)]
    rcpts: Text<'a>,
}

#[derive(Deserialize, Default)]
struct Filter<'a> {
    #[serde(borrow, default)]
    disposition: Text<'a>,
}

/// `sm`: the sendmail log line of a PoD maillog event.
#[derive(Deserialize, Default)]
struct Sendmail<'a> {
    #[serde(borrow, default)]
    to: Text<'a>,
    #[serde(borrow, default)]
    from: Text<'a>,
    #[serde(borrow, default)]
    relay: Text<'a>,
    #[serde(borrow, default)]
    stat: Text<'a>,
}

#[derive(Deserialize, Default)]
struct Pps<'a> {
    #[serde(borrow, default)]
    agent: Text<'a>,
}

#[derive(Deserialize, Default)]
struct Audit<'a> {
    #[serde(borrow, default)]
    action: Text<'a>,
    #[serde(borrow, default)]
    user: Obj<AuditUser<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AuditUser<'a> {
    #[serde(borrow, default)]
    email: Text<'a>,
    #[serde(borrow, default)]
    id: Text<'a>,
    #[serde(borrow, default)]
    ip_address: Text<'a>,
}

#[derive(Deserialize, Default)]
struct PodMeta<'a> {
    #[serde(borrow, default)]
    origin: Obj<Origin<'a>>,
}

#[derive(Deserialize, Default)]
struct Origin<'a> {
    #[serde(borrow, default)]
    data: Obj<OriginData<'a>>,
}

#[derive(Deserialize, Default)]
struct OriginData<'a> {
    #[serde(borrow, default)]
    agent: Text<'a>,
}

/// Strips `<…>` around an e-mail address.
fn bare_address(s: &str) -> &str {
    let t = s.trim();
    t.strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(t)
}

impl LogSource for Proofpoint {
    builtin_source_accessors!();

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        let Some(p) = normalize::parse_event::<ProofpointView<'_>>(event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        let agent = p
            .metadata
            .get()
            .and_then(|m| m.origin.get())
            .and_then(|o| o.data.get())
            .and_then(|d| d.agent.get());
        let timestamp_ms = [&p.message_time, &p.click_time, &p.ts, &p.threat_time]
            .into_iter()
            .find_map(TimeVal::to_ms);
        let mut n = Normalized {
            timestamp_ms,
            ..Normalized::default()
        };

        let tap = p.message_time.is_some() || p.click_time.is_some();
        if tap {
            let list = event
                .list_name()
                .and_then(|l| TAP_LISTS.iter().copied().find(|t| *t == l))
                .or_else(|| tap_list_from_key(&event.context().object.key));
            let is_click = p.click_time.is_some();
            n.event_type = Some(match list {
                Some(l) => l.into(),
                None if is_click => "click".into(),
                None => "message".into(),
            });
            n.event_name = p.classification.owned();
            n.user = p.recipient.owned().or_else(|| p.to_addresses.owned());
            let ip = if is_click { &p.click_ip } else { &p.sender_ip };
            n.src_ip = owned(ip.get().and_then(ip_literal));
            n.host = p.cluster.owned();
            n.outcome = match list {
                Some("messagesBlocked" | "clicksBlocked") => Some(Outcome::Failure),
                Some(_) => Some(Outcome::Success),
                None => None,
            };
        } else if let Some(a) = p.audit.get() {
            n.event_type = Some("pod_audit".into());
            n.event_name = a.action.owned();
            let user = a.user.get();
            n.user = user.and_then(|u| u.email.owned().or_else(|| u.id.owned()));
            n.src_ip = owned(user.and_then(|u| u.ip_address.get()).and_then(ip_literal));
            n.host = owned(agent);
        } else if let Some(sm) = p.sm.get() {
            n.event_type = Some("pod_maillog".into());
            n.event_name = sm.stat.owned();
            n.user = sm
                .to
                .get()
                .or_else(|| sm.from.get())
                .map(|s| bare_address(s).into());
            n.src_ip = owned(sm.relay.get().and_then(relay_ip));
            n.host = owned(p.pps.get().and_then(|x| x.agent.get()).or(agent));
        } else if p.envelope.get().is_some()
            || p.connection.get().is_some()
            || p.filter.get().is_some()
            || p.msg.get().is_some()
        {
            n.event_type = Some("pod_message".into());
            n.event_name = p.filter.get().and_then(|f| f.disposition.owned());
            let env = p.envelope.get();
            n.user = env
                .and_then(|e| e.rcpts.get().or_else(|| e.from.get()))
                .map(|s| bare_address(s).into());
            let conn = p.connection.get();
            n.src_ip = owned(conn.and_then(|c| c.ip.get()).and_then(ip_literal));
            n.host = owned(conn.and_then(|c| c.host.get()).or(agent));
        }
        normalize::finish(n)
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use s3conn_core::{ObjectContext, ObjectRef};

    use super::*;

    #[test]
    fn the_view_borrows_plain_strings_and_owns_escaped_ones() {
        let ctx = ObjectContext::new(ObjectRef::new("b", "k"), None, None, None);
        let raw = r#"{"classification":"spam","recipient":["\"Bob\" <b@x>"],"audit":{"user":{"email":"c\\d"}}}"#;
        let view: ProofpointView<'_> = Event::new(raw, &ctx, None)
            .parse()
            .expect("an escaped string does not fail the typed view");
        assert!(matches!(view.classification.0, Some(Cow::Borrowed("spam"))));
        assert!(matches!(&view.recipient.0, Some(Cow::Owned(r)) if r == r#""Bob" <b@x>"#));
        let email = view
            .audit
            .get()
            .and_then(|a| a.user.get())
            .and_then(|u| u.email.get());
        assert_eq!(email, Some(r"c\d"));
    }
}
