//! CrowdStrike Falcon: Falcon Data Replicator (FDR) files and streaming / SIEM-connector events.
//!
//! Families and their `event_type`:
//! - `stream`: Falcon streaming API / SIEM connector, `{"metadata":{…},"event":{…}}`; name from
//!   `metadata.eventType`, time from `metadata.eventCreationTime` (epoch ms);
//! - `external_api`: FDR `EventType: Event_ExternalApiEvent`; name from `ExternalApiType`;
//! - `aidmaster`, `managedassets`, `notmanaged`, `appinfo`, `userinfo`: FDR inventory files, told
//!   apart by the object key's prefix (`…/aidmaster/…`) or, for aidmaster, by its fields;
//! - `data`: FDR sensor telemetry; name from `event_simpleName`.
//!
//! Time is the first usable of `timestamp` (epoch-ms string or ISO), `metadata.eventCreationTime`,
//! `Time`, `_time`, `UTCTimestamp`, `ContextTimeStamp`, `event.UTCTimestamp`, `event.Timestamp`,
//! `event.ContextTimeStamp`, `event.StartTime`, `ProcessStartTime`, `AgentLocalTime`,
//! `FirstSeen`. 18-digit numbers from 1.16e17 are read as Windows FILETIME.

use s3conn_core::{CompactString, Event, LogSource, Normalized, Outcome};
use serde::Deserialize;

use crate::builtin_source::{builtin_source, builtin_source_accessors};
use crate::lenient::{Flag, Obj, Text, TimeVal};
use crate::network::ip_literal;
use crate::normalize;

/// Registry id of the CrowdStrike source.
pub const ID: &str = "crowdstrike";

/// FDR inventory prefixes recognised in object keys (each is also the record's `event_type`).
pub const INVENTORY_PREFIXES: [&str; 5] = [
    "aidmaster",
    "managedassets",
    "notmanaged",
    "appinfo",
    "userinfo",
];

builtin_source!(
    /// The CrowdStrike (JSON) source.
    CrowdStrike,
    [ID, "CrowdStrike (JSON)", "Syslog", "generic_s3_crowdstrike_log", "crowdstrike"]
);

/// The FDR family named by a path segment of the key (`data` or an inventory prefix).
pub fn family_from_key(key: &str) -> Option<&'static str> {
    key.split('/').find_map(|seg| {
        if seg == "data" {
            return Some("data");
        }
        INVENTORY_PREFIXES.iter().copied().find(|p| *p == seg)
    })
}

/// The fields of a CrowdStrike event the source reads (FDR keys are PascalCase).
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct CrowdStrikeView<'a> {
    #[serde(borrow, default, rename = "metadata")]
    metadata: Obj<StreamMetadata<'a>>,
    #[serde(borrow, default, rename = "event")]
    event: Obj<StreamEvent<'a>>,
    #[serde(borrow, default, rename = "event_simpleName")]
    event_simple_name: Text<'a>,
    #[serde(borrow, default)]
    event_type: Text<'a>,
    #[serde(borrow, default)]
    external_api_type: Text<'a>,
    #[serde(borrow, default, rename = "timestamp")]
    timestamp: TimeVal<'a>,
    #[serde(borrow, default)]
    time: TimeVal<'a>,
    #[serde(borrow, default, rename = "_time")]
    underscore_time: TimeVal<'a>,
    #[serde(borrow, default, rename = "UTCTimestamp")]
    utc_timestamp: TimeVal<'a>,
    #[serde(borrow, default)]
    context_time_stamp: TimeVal<'a>,
    #[serde(borrow, default)]
    process_start_time: TimeVal<'a>,
    #[serde(borrow, default)]
    agent_local_time: TimeVal<'a>,
    #[serde(borrow, default)]
    first_seen: TimeVal<'a>,
    #[serde(borrow, default)]
    user_name: Text<'a>,
    #[serde(borrow, default)]
    user_sid: Text<'a>,
    #[serde(borrow, default, rename = "aip")]
    aip: Text<'a>,
    #[serde(borrow, default, rename = "aid")]
    aid: Text<'a>,
    #[serde(borrow, default)]
    agent_id_string: Text<'a>,
    #[serde(borrow, default)]
    computer_name: Text<'a>,
    #[serde(borrow, default)]
    agent_load_flags: Text<'a>,
}

/// `metadata` of a streaming-API event.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct StreamMetadata<'a> {
    #[serde(borrow, default)]
    event_type: Text<'a>,
    #[serde(borrow, default)]
    event_creation_time: TimeVal<'a>,
}

/// `event` of a streaming-API event (its keys are PascalCase).
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct StreamEvent<'a> {
    #[serde(borrow, default, rename = "UTCTimestamp")]
    utc_timestamp: TimeVal<'a>,
    #[serde(borrow, default)]
    timestamp: TimeVal<'a>,
    #[serde(borrow, default)]
    context_time_stamp: TimeVal<'a>,
    #[serde(borrow, default)]
    start_time: TimeVal<'a>,
    #[serde(borrow, default)]
    user_name: Text<'a>,
    #[serde(borrow, default)]
    user_id: Text<'a>,
    #[serde(borrow, default)]
    source_account_name: Text<'a>,
    #[serde(borrow, default)]
    source_account_upn: Text<'a>,
    #[serde(borrow, default)]
    user_ip: Text<'a>,
    #[serde(borrow, default, rename = "LocalIP")]
    local_ip: Text<'a>,
    #[serde(borrow, default)]
    source_endpoint_ip_address: Text<'a>,
    #[serde(borrow, default)]
    computer_name: Text<'a>,
    #[serde(borrow, default)]
    host_name: Text<'a>,
    #[serde(borrow, default)]
    hostname_field: Text<'a>,
    #[serde(borrow, default)]
    source_endpoint_host_name: Text<'a>,
    #[serde(default)]
    success: Flag,
}

fn first_time(candidates: &[&TimeVal<'_>]) -> Option<i64> {
    candidates.iter().find_map(|t| t.to_ms_filetime_aware())
}

impl LogSource for CrowdStrike {
    builtin_source_accessors!();

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        let Some(cs) = normalize::parse_event::<CrowdStrikeView<'_>>(event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        let meta = cs.metadata.get();
        let ev = cs.event.get();
        let default_ev = StreamEvent::default();
        let e = ev.unwrap_or(&default_ev);
        let is_stream = meta.is_some_and(|m| m.event_type.get().is_some()) || ev.is_some();

        let (event_type, event_name) = if is_stream {
            (
                Some("stream".into()),
                meta.and_then(|m| m.event_type.owned()),
            )
        } else if cs.event_type.get() == Some("Event_ExternalApiEvent")
            || cs.external_api_type.get().is_some()
        {
            (
                Some("external_api".into()),
                cs.external_api_type
                    .owned()
                    .or_else(|| cs.event_type.owned()),
            )
        } else if let Some(name) = cs.event_simple_name.get() {
            (Some("data".into()), Some(name.into()))
        } else {
            let key = &event.context().object.key;
            let fam = family_from_key(key).filter(|f| *f != "data").or_else(|| {
                (cs.agent_load_flags.get().is_some()
                    || (cs.computer_name.get().is_some() && cs.first_seen.is_some()))
                .then_some("aidmaster")
            });
            (fam.map(CompactString::from), None)
        };

        let meta_time = meta.map(|m| &m.event_creation_time);
        // ExternalApiEvent has `timestamp` in whole seconds and `UTCTimestamp` in ms: prefer ms.
        let external = event_type.as_deref() == Some("external_api");
        let none = TimeVal::None;
        let (first, second) = if external {
            (&cs.utc_timestamp, &cs.timestamp)
        } else {
            (&cs.timestamp, &none)
        };
        let timestamp_ms = first_time(&[
            first,
            second,
            meta_time.unwrap_or(&none),
            &cs.time,
            &cs.underscore_time,
            &cs.utc_timestamp,
            &cs.context_time_stamp,
            &e.utc_timestamp,
            &e.timestamp,
            &e.context_time_stamp,
            &e.start_time,
            &cs.process_start_time,
            &cs.agent_local_time,
            &cs.first_seen,
        ]);

        let user = [
            &cs.user_name,
            &e.user_name,
            &e.user_id,
            &e.source_account_name,
            &e.source_account_upn,
            &cs.user_sid,
        ]
        .into_iter()
        .find_map(Text::owned);
        let src_ip = [
            &e.user_ip,
            &e.local_ip,
            &e.source_endpoint_ip_address,
            &cs.aip,
        ]
        .into_iter()
        .find_map(|t| t.get().and_then(ip_literal))
        .map(CompactString::from);
        let host = [
            &cs.computer_name,
            &e.computer_name,
            &e.host_name,
            &e.hostname_field,
            &e.source_endpoint_host_name,
            &cs.aid,
            &cs.agent_id_string,
        ]
        .into_iter()
        .find_map(Text::owned);
        let outcome = e.success.0.map(|ok| {
            if ok {
                Outcome::Success
            } else {
                Outcome::Failure
            }
        });
        normalize::finish(Normalized {
            timestamp_ms,
            fallback_reason: None,
            event_name,
            event_type,
            user,
            src_ip,
            host,
            outcome,
        })
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
        let raw = r#"{"event_simpleName":"UserLogon","UserName":"CORP\\bob","event":{"UserName":"a \"b\""}}"#;
        let view: CrowdStrikeView<'_> = Event::new(raw, &ctx, None)
            .parse()
            .expect("an escaped string does not fail the typed view");
        assert!(matches!(
            view.event_simple_name.0,
            Some(Cow::Borrowed("UserLogon"))
        ));
        assert!(matches!(&view.user_name.0, Some(Cow::Owned(u)) if u == r"CORP\bob"));
        let nested = view.event.get().and_then(|e| e.user_name.get());
        assert_eq!(nested, Some(r#"a "b""#));
    }
}
