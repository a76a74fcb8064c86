//! `splunk-hec`: the HTTP Event Collector's `/services/collector/event`. One event object per
//! record (`time` in seconds, `index`, `sourcetype` = `msg_class`, `source` = `bucket/key`,
//! `host`, `event` = the record), batched back to back. HEC's documented codes decide: busy or
//! failing (8, 9, 18, 19) retried; a bad event (6, 12, 13, 15 with `invalid-event-number`)
//! dead-lettered alone and the rest sent again; token, index or channel problems (1-4, 7, 10,
//! 11, 14, 16) a configuration error. With indexer acknowledgement, a batch counts as accepted
//! only once `/services/collector/ack` says it was indexed.

use std::time::Duration;

use async_trait::async_trait;
use http::Method;
use s3conn_core::json::{write_i64, write_str};
use s3conn_core::Record;
use serde::Deserialize;

use crate::client::{HttpClient, Response};
use crate::encoder::{answer_by_status, Answer, Encoder, Verdict};
use crate::index_template::IndexTemplate;
use crate::probe::Check;

/// Settings of the HEC preset.
#[derive(Debug, Clone, PartialEq)]
pub struct HecSettings {
    /// The Splunk index (template); `None` leaves it to the token's default index.
    pub index: Option<IndexTemplate>,
    /// `host` when the record names none.
    pub host: Option<String>,
    /// A channel id (a GUID) to use indexer acknowledgement with; `None`: no acknowledgement.
    pub ack_channel: Option<String>,
    /// How long to wait for an acknowledgement before sending the batch again.
    pub ack_timeout: Duration,
}

impl Default for HecSettings {
    fn default() -> Self {
        HecSettings {
            index: Some(IndexTemplate::default()),
            host: None,
            ack_channel: None,
            ack_timeout: Duration::from_secs(120),
        }
    }
}

/// The HEC encoder.
#[derive(Debug, Clone)]
pub struct Hec {
    settings: HecSettings,
}

impl Hec {
    /// A HEC encoder.
    pub fn new(settings: HecSettings) -> Self {
        Hec { settings }
    }
}

#[derive(Deserialize)]
struct HecAnswer {
    #[serde(default)]
    text: String,
    #[serde(default)]
    code: Option<i64>,
    #[serde(rename = "invalid-event-number", default)]
    invalid_event: Option<usize>,
    #[serde(rename = "ackId", default)]
    ack_id: Option<u64>,
}

#[async_trait]
impl Encoder for Hec {
    fn name(&self) -> &'static str {
        "splunk-hec"
    }

    fn path(&self) -> &str {
        "/services/collector/event"
    }

    fn content_type(&self) -> &'static str {
        "application/json"
    }

    fn headers(&self) -> Vec<(String, String)> {
        self.settings
            .ack_channel
            .iter()
            .map(|c| ("x-splunk-request-channel".to_owned(), c.clone()))
            .collect()
    }

    fn encode(&self, record: &Record, out: &mut Vec<u8>) {
        // `time`: epoch seconds with milliseconds.
        let ms = record.timestamp_ms;
        out.extend_from_slice(b"{\"time\":");
        write_i64(out, ms.div_euclid(1000));
        out.extend_from_slice(format!(".{:03}", ms.rem_euclid(1000)).as_bytes());
        if let Some(index) = &self.settings.index {
            out.extend_from_slice(b",\"index\":");
            write_str(out, &index.render(record));
        }
        out.extend_from_slice(b",\"sourcetype\":");
        write_str(out, &record.source.msg_class);
        let object = &record.context.object;
        out.extend_from_slice(b",\"source\":");
        write_str(out, &format!("{}/{}", object.bucket, object.key));
        if let Some(host) = record
            .fields
            .host
            .as_deref()
            .or(self.settings.host.as_deref())
        {
            out.extend_from_slice(b",\"host\":");
            write_str(out, host);
        }
        out.extend_from_slice(b",\"event\":");
        record.write_json(out);
        out.extend_from_slice(b"}\n");
    }

    fn answer(&self, response: &Response, items: usize) -> Answer {
        let parsed: Option<HecAnswer> = serde_json::from_slice(&response.body).ok();
        let Some(a) = parsed.filter(|a| a.code.is_some()) else {
            return answer_by_status(response);
        };
        let code = a.code.unwrap_or(-1);
        let why = format!("HEC code {code} (HTTP {}): {}", response.status, a.text);
        match code {
            0 if (200..300).contains(&response.status) => Answer::All(Verdict::Accepted),
            1..=4 | 7 | 10 | 11 | 14 | 16 => Answer::Configuration(why),
            8 | 9 | 18 | 19 => Answer::All(Verdict::Retry(why)),
            5 | 6 | 12 | 13 | 15 => match a.invalid_event {
                // That event is bad; the others may not have been indexed: send them again.
                Some(n) if n < items => Answer::Items(
                    (0..items)
                        .map(|i| {
                            if i == n {
                                Verdict::Rejected(why.clone())
                            } else {
                                Verdict::Retry(format!("sent again after event {n} was refused"))
                            }
                        })
                        .collect(),
                ),
                _ => Answer::All(Verdict::Rejected(why)),
            },
            _ => answer_by_status(response),
        }
    }

    async fn confirm(&self, client: &HttpClient, response: &Response) -> Verdict {
        let Some(channel) = &self.settings.ack_channel else {
            return Verdict::Accepted;
        };
        let Some(id) = serde_json::from_slice::<HecAnswer>(&response.body)
            .ok()
            .and_then(|a| a.ack_id)
        else {
            return Verdict::Retry("indexer acknowledgement is on but HEC sent no ackId".into());
        };
        let started = tokio::time::Instant::now();
        let body = bytes::Bytes::from(format!("{{\"acks\":[{id}]}}"));
        while started.elapsed() < self.settings.ack_timeout {
            let r = client
                .send(
                    Method::POST,
                    "/services/collector/ack",
                    &[
                        ("x-splunk-request-channel", channel),
                        ("content-type", "application/json"),
                    ],
                    body.clone(),
                )
                .await;
            if let Ok(r) = r {
                let acked = serde_json::from_slice::<serde_json::Value>(&r.body)
                    .ok()
                    .and_then(|v| v.pointer(&format!("/acks/{id}")).and_then(|b| b.as_bool()));
                if acked == Some(true) {
                    return Verdict::Accepted;
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Verdict::Retry(format!(
            "ackId {id} not acknowledged within {:?}",
            self.settings.ack_timeout
        ))
    }

    async fn probe(&self, client: &HttpClient) -> Vec<Check> {
        let health = client
            .send(
                Method::GET,
                "/services/collector/health",
                &[],
                Default::default(),
            )
            .await;
        let mut checks = vec![Check::from_outcome(
            "reachable (collector health)",
            client,
            &health,
        )];
        // An empty event is refused with code 5 "No data" once the token is accepted.
        let post = client
            .send(
                Method::POST,
                "/services/collector/event",
                &[("content-type", "application/json")],
                Default::default(),
            )
            .await;
        let code = post
            .as_ref()
            .ok()
            .and_then(|r| serde_json::from_slice::<HecAnswer>(&r.body).ok())
            .and_then(|a| a.code);
        checks.push(match code {
            Some(0) | Some(5) => Check::pass("token accepted", "HEC accepts the token"),
            _ => Check::from_outcome("token accepted", client, &post),
        });
        checks
    }
}
