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

use std::sync::Arc;

use s3conn_core::{Event, LogSource, Normalized, Outcome, SourceInfo};
use serde::Deserialize;

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

/// The CrowdStrike (JSON) source.
#[derive(Debug, Clone)]
pub struct CrowdStrike {
    info: Arc<SourceInfo>,
}

impl Default for CrowdStrike {
    fn default() -> Self {
        Self::new()
    }
}

impl CrowdStrike {
    /// The source with its standard envelope.
    pub fn new() -> Self {
        CrowdStrike {
            info: Arc::new(SourceInfo::new(
                ID,
                "CrowdStrike (JSON)",
                "Syslog",
                "generic_s3_crowdstrike_log",
                "crowdstrike",
            )),
        }
    }
}

/// The FDR family named by a path segment of the key (`data` or an inventory prefix).
pub fn family_from_key(key: &str) -> Option<&'static str> {
    key.split('/').find_map(|seg| {
        if seg == "data" {
            return Some("data");
        }
        INVENTORY_PREFIXES.iter().copied().find(|p| *p == seg)
    })
}

#[allow(non_snake_case)]
#[derive(Deserialize, Default)]
struct Cs<'a> {
    #[serde(borrow, default)]
    metadata: Obj<Meta<'a>>,
    #[serde(borrow, default)]
    event: Obj<StreamEvent<'a>>,
    #[serde(borrow, default)]
    event_simpleName: Text<'a>,
    #[serde(borrow, default)]
    EventType: Text<'a>,
    #[serde(borrow, default)]
    ExternalApiType: Text<'a>,
    #[serde(borrow, default)]
    timestamp: TimeVal<'a>,
    #[serde(borrow, default)]
    Time: TimeVal<'a>,
    #[serde(borrow, default, rename = "_time")]
    time_: TimeVal<'a>,
    #[serde(borrow, default)]
    UTCTimestamp: TimeVal<'a>,
    #[serde(borrow, default)]
    ContextTimeStamp: TimeVal<'a>,
    #[serde(borrow, default)]
    ProcessStartTime: TimeVal<'a>,
    #[serde(borrow, default)]
    AgentLocalTime: TimeVal<'a>,
    #[serde(borrow, default)]
    FirstSeen: TimeVal<'a>,
    #[serde(borrow, default)]
    UserName: Text<'a>,
    #[serde(borrow, default)]
    UserSid: Text<'a>,
    #[serde(borrow, default)]
    aip: Text<'a>,
    #[serde(borrow, default)]
    aid: Text<'a>,
    #[serde(borrow, default)]
    AgentIdString: Text<'a>,
    #[serde(borrow, default)]
    ComputerName: Text<'a>,
    #[serde(borrow, default)]
    AgentLoadFlags: Text<'a>,
}

#[allow(non_snake_case)]
#[derive(Deserialize, Default)]
struct Meta<'a> {
    #[serde(borrow, default)]
    eventType: Text<'a>,
    #[serde(borrow, default)]
    eventCreationTime: TimeVal<'a>,
}

#[allow(non_snake_case)]
#[derive(Deserialize, Default)]
struct StreamEvent<'a> {
    #[serde(borrow, default)]
    UTCTimestamp: TimeVal<'a>,
    #[serde(borrow, default)]
    Timestamp: TimeVal<'a>,
    #[serde(borrow, default)]
    ContextTimeStamp: TimeVal<'a>,
    #[serde(borrow, default)]
    StartTime: TimeVal<'a>,
    #[serde(borrow, default)]
    UserName: Text<'a>,
    #[serde(borrow, default)]
    UserId: Text<'a>,
    #[serde(borrow, default)]
    SourceAccountName: Text<'a>,
    #[serde(borrow, default)]
    SourceAccountUpn: Text<'a>,
    #[serde(borrow, default)]
    UserIp: Text<'a>,
    #[serde(borrow, default)]
    LocalIP: Text<'a>,
    #[serde(borrow, default)]
    SourceEndpointIpAddress: Text<'a>,
    #[serde(borrow, default)]
    ComputerName: Text<'a>,
    #[serde(borrow, default)]
    HostName: Text<'a>,
    #[serde(borrow, default)]
    HostnameField: Text<'a>,
    #[serde(borrow, default)]
    SourceEndpointHostName: Text<'a>,
    #[serde(default)]
    Success: Flag,
}

fn first_time(candidates: &[&TimeVal<'_>]) -> Option<i64> {
    candidates.iter().find_map(|t| t.to_ms_filetime_aware())
}

impl LogSource for CrowdStrike {
    fn info(&self) -> &Arc<SourceInfo> {
        &self.info
    }

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        let Some(cs) = normalize::parse_event::<Cs<'_>>(event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        let meta = cs.metadata.get();
        let ev = cs.event.get();
        let default_ev = StreamEvent::default();
        let e = ev.unwrap_or(&default_ev);
        let is_stream = meta.is_some_and(|m| m.eventType.get().is_some()) || ev.is_some();

        let (event_type, event_name) = if is_stream {
            (
                Some("stream".to_owned()),
                meta.and_then(|m| m.eventType.owned()),
            )
        } else if cs.EventType.get() == Some("Event_ExternalApiEvent")
            || cs.ExternalApiType.get().is_some()
        {
            (
                Some("external_api".to_owned()),
                cs.ExternalApiType.owned().or_else(|| cs.EventType.owned()),
            )
        } else if let Some(name) = cs.event_simpleName.get() {
            (Some("data".to_owned()), Some(name.to_owned()))
        } else {
            let key = &event.context().object.key;
            let fam = family_from_key(key).filter(|f| *f != "data").or_else(|| {
                (cs.AgentLoadFlags.get().is_some()
                    || (cs.ComputerName.get().is_some() && cs.FirstSeen.is_some()))
                .then_some("aidmaster")
            });
            (fam.map(str::to_owned), None)
        };

        let meta_time = meta.map(|m| &m.eventCreationTime);
        // ExternalApiEvent has `timestamp` in whole seconds and `UTCTimestamp` in ms: prefer ms.
        let external = event_type.as_deref() == Some("external_api");
        let none = TimeVal::None;
        let (first, second) = if external {
            (&cs.UTCTimestamp, &cs.timestamp)
        } else {
            (&cs.timestamp, &none)
        };
        let timestamp_ms = first_time(&[
            first,
            second,
            meta_time.unwrap_or(&none),
            &cs.Time,
            &cs.time_,
            &cs.UTCTimestamp,
            &cs.ContextTimeStamp,
            &e.UTCTimestamp,
            &e.Timestamp,
            &e.ContextTimeStamp,
            &e.StartTime,
            &cs.ProcessStartTime,
            &cs.AgentLocalTime,
            &cs.FirstSeen,
        ]);

        let user = [
            &cs.UserName,
            &e.UserName,
            &e.UserId,
            &e.SourceAccountName,
            &e.SourceAccountUpn,
            &cs.UserSid,
        ]
        .into_iter()
        .find_map(Text::owned);
        let src_ip = [&e.UserIp, &e.LocalIP, &e.SourceEndpointIpAddress, &cs.aip]
            .into_iter()
            .find_map(|t| t.get().and_then(ip_literal))
            .map(str::to_owned);
        let host = [
            &cs.ComputerName,
            &e.ComputerName,
            &e.HostName,
            &e.HostnameField,
            &e.SourceEndpointHostName,
            &cs.aid,
            &cs.AgentIdString,
        ]
        .into_iter()
        .find_map(Text::owned);
        let outcome = e.Success.0.map(|ok| {
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
