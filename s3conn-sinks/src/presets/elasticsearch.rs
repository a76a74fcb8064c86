//! `elasticsearch` / `opensearch`: the `_bulk` API. One `index` action per record with
//! `_index` from a template and `_id` = the record's id, so a redelivered object overwrites its
//! own documents instead of duplicating them. The per-item answer decides: 2xx (and 409, the
//! document exists) accepted; 429 and 5xx sent again alone; anything else dead-lettered with
//! the item's error.

use async_trait::async_trait;
use http::Method;
use s3conn_core::json::write_str;
use s3conn_core::Record;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::client::{HttpClient, Response};
use crate::encoder::{answer_by_status, retryable_status, Answer, Encoder, Verdict};
use crate::index_template::IndexTemplate;
use crate::probe::Check;

/// Which `_bulk` flavour (only the name differs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Elasticsearch.
    Elasticsearch,
    /// OpenSearch.
    OpenSearch,
}

/// The `_bulk` encoder.
#[derive(Debug, Clone)]
pub struct Bulk {
    flavor: Flavor,
    index: IndexTemplate,
    path: String,
}

impl Bulk {
    /// A `_bulk` encoder naming indices with `index`.
    pub fn new(flavor: Flavor, index: IndexTemplate) -> Self {
        Bulk {
            flavor,
            index,
            path: "/_bulk".to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct BulkAnswer<'a> {
    #[serde(default)]
    errors: bool,
    #[serde(borrow, default)]
    items: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ItemResult {
    status: u16,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

/// The verdict on one `_bulk` item (`{"index": {"status": …, "error": {…}}}`).
fn item_verdict(item: &std::collections::HashMap<String, ItemResult>) -> Verdict {
    let Some(result) = item.values().next() else {
        return Verdict::Retry("an empty item in the _bulk answer".into());
    };
    let status = result.status;
    let why = || {
        let error = match &result.error {
            Some(serde_json::Value::Object(e)) => {
                let kind = e.get("type").and_then(|t| t.as_str()).unwrap_or("error");
                let reason = e.get("reason").and_then(|t| t.as_str()).unwrap_or("");
                format!("{kind}: {reason}")
            }
            Some(other) => other.to_string(),
            None => String::new(),
        };
        format!("item status {status}: {error}")
    };
    match status {
        200..=299 | 409 => Verdict::Accepted,
        s if retryable_status(s) => Verdict::Retry(why()),
        _ => Verdict::Rejected(why()),
    }
}

#[async_trait]
impl Encoder for Bulk {
    fn name(&self) -> &'static str {
        match self.flavor {
            Flavor::Elasticsearch => "elasticsearch",
            Flavor::OpenSearch => "opensearch",
        }
    }

    fn path(&self) -> &str {
        &self.path
    }

    fn content_type(&self) -> &'static str {
        "application/x-ndjson"
    }

    fn encode(&self, record: &Record, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"index\":{\"_index\":");
        write_str(out, &self.index.render(record));
        out.extend_from_slice(b",\"_id\":");
        write_str(out, &record.id());
        out.extend_from_slice(b"}}\n");
        record.write_ndjson(out);
    }

    fn answer(&self, response: &Response, items: usize) -> Answer {
        if !(200..300).contains(&response.status) {
            return answer_by_status(response);
        }
        let parsed: BulkAnswer<'_> = match serde_json::from_slice(&response.body) {
            Ok(a) => a,
            Err(e) => {
                return Answer::All(Verdict::Retry(format!(
                    "unreadable _bulk answer ({e}): {}",
                    response.excerpt()
                )))
            }
        };
        if !parsed.errors {
            return Answer::All(Verdict::Accepted);
        }
        let list: Vec<std::collections::HashMap<String, ItemResult>> =
            match parsed.items.map(|i| serde_json::from_str(i.get())) {
                Some(Ok(l)) => l,
                _ => {
                    return Answer::All(Verdict::Retry(format!(
                        "a _bulk answer with errors and no readable items for {items} items"
                    )))
                }
            };
        Answer::Items(list.iter().map(item_verdict).collect())
    }

    async fn probe(&self, client: &HttpClient) -> Vec<Check> {
        let root = client.send(Method::GET, "/", &[], Default::default()).await;
        let reachable = match &root {
            Ok(r) => Check::pass(
                "reachable",
                format!("{} answers HTTP {}", client.base(), r.status),
            ),
            Err(_) => Check::from_outcome("reachable", client, &root),
        };
        let mut checks = vec![reachable];
        if root.is_ok() {
            checks.push(Check::from_outcome("credentials", client, &root));
            // An empty `_bulk` is refused with 400 by the server once authorized; 401/403 say the
            // credentials may not write.
            let bulk = client
                .send(
                    Method::POST,
                    "/_bulk",
                    &[("content-type", "application/x-ndjson")],
                    bytes::Bytes::from_static(b"\n"),
                )
                .await;
            checks.push(match &bulk {
                Ok(r) if r.status == 400 || (200..300).contains(&r.status) => Check::pass(
                    "writable",
                    format!("POST /_bulk accepted for authorization (HTTP {})", r.status),
                ),
                _ => Check::from_outcome("writable", client, &bulk),
            });
        }
        checks
    }
}
