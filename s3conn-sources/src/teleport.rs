//! Teleport audit events (NDJSON or single JSON).
//!
//! - time: `time` (RFC 3339, any fraction up to nanoseconds);
//! - `event_name`: `event`; `event_type`: `code` (`T2000I`, …);
//! - `user`: `user` (a string, or `user.user` when it is an object), then `updated_by`, then
//!   `identity.user`;
//! - `src_ip`: `addr.remote` (a key containing a dot) without its port, then
//!   `identity.client_ip`;
//! - `host`: `server_hostname`, then `cluster_name`;
//! - `outcome`: `success` when present; otherwise a code ending in `E` (error) or `W` (warning:
//!   Teleport's failure codes) or a non-empty `error` means failure, a code ending in `I` success.

use s3conn_core::{CompactString, Event, LogSource, Normalized, Outcome};
use serde::Deserialize;

use crate::builtin_source::{builtin_source, builtin_source_accessors};
use crate::lenient::{Flag, Obj, Text, TimeVal};
use crate::network::strip_port;
use crate::normalize;

/// Registry id of the Teleport source.
pub const ID: &str = "teleport";

builtin_source!(
    /// The Teleport (JSON) source.
    Teleport,
    [ID, "Teleport (JSON)", "Syslog", "generic_s3_teleport_log", "teleport"]
);

/// The fields of a Teleport audit event the source reads (its keys are snake_case).
#[derive(Deserialize, Default)]
struct TeleportView<'a> {
    #[serde(borrow, default)]
    time: TimeVal<'a>,
    #[serde(borrow, default)]
    event: Text<'a>,
    #[serde(borrow, default)]
    code: Text<'a>,
    #[serde(borrow, default)]
    user: UserField<'a>,
    #[serde(borrow, default)]
    updated_by: Text<'a>,
    #[serde(borrow, default)]
    identity: Obj<Identity<'a>>,
    #[serde(borrow, default, rename = "addr.remote")]
    addr_remote: Text<'a>,
    #[serde(borrow, default)]
    server_hostname: Text<'a>,
    #[serde(borrow, default)]
    cluster_name: Text<'a>,
    #[serde(default)]
    success: Flag,
    #[serde(borrow, default)]
    error: Text<'a>,
}

#[derive(Deserialize, Default)]
struct Identity<'a> {
    #[serde(borrow, default)]
    user: Text<'a>,
    #[serde(borrow, default)]
    client_ip: Text<'a>,
}

/// `user` is a string in nearly every event, but an object `{"user":"…"}` in some device events.
#[derive(Default)]
struct UserField<'a>(Text<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for UserField<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Inner<'a> {
            #[serde(borrow, default)]
            user: Text<'a>,
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = UserField<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let inner = Inner::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(UserField(inner.user))
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(UserField(Text::deserialize(
                    serde::de::value::BorrowedStrDeserializer::new(v),
                )?))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(UserField(Text::deserialize(
                    serde::de::value::StringDeserializer::new(v.to_owned()),
                )?))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(UserField(Text::deserialize(
                    serde::de::value::StringDeserializer::new(v),
                )?))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(UserField(Text(Some(v.to_string().into()))))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(UserField(Text(Some(v.to_string().into()))))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(UserField(Text(
                    serde_json::Number::from_f64(v).map(|n| n.to_string().into()),
                )))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(UserField::default())
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(UserField::default())
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(UserField::default())
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                Ok(UserField(Text::deserialize(
                    serde::de::value::SeqAccessDeserializer::new(seq),
                )?))
            }
        }
        d.deserialize_any(V).map(|u| UserField(u.0))
    }
}

/// The outcome a Teleport event reports.
fn outcome(success: Flag, code: Option<&str>, error: Option<&str>) -> Option<Outcome> {
    if let Some(ok) = success.0 {
        return Some(if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        });
    }
    let last = code
        .and_then(|c| c.chars().last())
        .map(|c| c.to_ascii_uppercase());
    if matches!(last, Some('E' | 'W')) || error.is_some() {
        return Some(Outcome::Failure);
    }
    if last == Some('I') {
        return Some(Outcome::Success);
    }
    None
}

impl LogSource for Teleport {
    builtin_source_accessors!();

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        let Some(t) = normalize::parse_event::<TeleportView<'_>>(event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        let identity = t.identity.get();
        let user = t
            .user
            .0
            .owned()
            .or_else(|| t.updated_by.owned())
            .or_else(|| identity.and_then(|i| i.user.owned()));
        let src_ip = [
            t.addr_remote.get(),
            identity.and_then(|i| i.client_ip.get()),
        ]
        .into_iter()
        .flatten()
        .map(strip_port)
        .find(|s| !s.is_empty())
        .map(CompactString::from);
        normalize::finish(Normalized {
            timestamp_ms: t.time.to_ms(),
            fallback_reason: None,
            event_name: t.event.owned(),
            event_type: t.code.owned(),
            user,
            src_ip,
            host: t.server_hostname.owned().or_else(|| t.cluster_name.owned()),
            outcome: outcome(t.success, t.code.get(), t.error.get()),
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
        let raw = r#"{"event":"user.login","user":"bob \"the builder\" \\"}"#;
        let view: TeleportView<'_> = Event::new(raw, &ctx, None)
            .parse()
            .expect("an escaped string does not fail the typed view");
        assert!(matches!(view.event.0, Some(Cow::Borrowed("user.login"))));
        assert!(matches!(&view.user.0 .0, Some(Cow::Owned(u)) if u == r#"bob "the builder" \"#));
        let raw = r#"{"user":{"user":"a\\b"}}"#;
        let view: TeleportView<'_> = Event::new(raw, &ctx, None)
            .parse()
            .expect("an escaped user object does not fail the typed view");
        assert_eq!(view.user.0.get(), Some(r"a\b"));
        let raw = r#"{"user":"plain"}"#;
        let view: TeleportView<'_> = Event::new(raw, &ctx, None).parse().expect("plain");
        assert!(matches!(view.user.0 .0, Some(Cow::Borrowed("plain"))));
    }
}
