//! `clickhouse`: `INSERT INTO TABLE FORMAT JSONEachRow` over ClickHouse's HTTP interface, into a
//! table created when missing: the envelope columns plus the event as a JSON string, a
//! `ReplacingMergeTree` ordered by `id`, so a redelivered object's rows collapse into one at
//! merge time (`OPTIMIZE TABLE … FINAL`, or `SELECT … FINAL`). The DDL runs on ClickHouse 18.16
//! and later.

use async_trait::async_trait;
use bytes::Bytes;
use http::Method;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use s3conn_core::json::{write_i64, write_single_line, write_str};
use s3conn_core::{Outcome, Record};

use crate::client::{HttpClient, Response};
use crate::encoder::{answer_by_status, Answer, Encoder, Verdict};
use crate::error::{invalid, BuildError};
use crate::probe::Check;

/// The ClickHouse encoder.
#[derive(Debug, Clone)]
pub struct ClickHouse {
    table: String,
    create: bool,
    insert_path: String,
}

/// ClickHouse error codes that mean the user, its rights or the table are wrong: a configuration
/// error.
const AUTH_CODES: [&str; 9] = [
    "Code: 192", // UNKNOWN_USER
    "Code: 193", // WRONG_PASSWORD
    "Code: 194", // REQUIRED_PASSWORD
    "Code: 195", // IP_ADDRESS_NOT_ALLOWED
    "Code: 164", // READONLY
    "Code: 497", // ACCESS_DENIED
    "Code: 516", // AUTHENTICATION_FAILED
    "Code: 60",  // UNKNOWN_TABLE (with `create = false`, or dropped)
    "Code: 81",  // UNKNOWN_DATABASE
];

/// Errors about the data sent (cannot parse the input): that batch is rejected.
const DATA_CODES: [&str; 4] = [
    "Code: 26",  // CANNOT_PARSE_QUOTED_STRING
    "Code: 27",  // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    "Code: 117", // INCORRECT_DATA
    "Code: 131", // TOO_LARGE_STRING_SIZE
];

impl ClickHouse {
    /// An encoder inserting into `table` (`name` or `database.name`), creating it when `create`.
    pub fn new(table: &str, create: bool) -> Result<Self, BuildError> {
        let parts: Vec<&str> = table.split('.').collect();
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !p.starts_with(|c: char| c.is_ascii_digit())
        };
        if parts.len() > 2 || !parts.iter().all(|p| ok(p)) {
            return Err(invalid(
                "table",
                format!("{table:?}: use NAME or DATABASE.NAME (letters, digits, _)"),
            ));
        }
        let quoted = parts
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(".");
        let query = format!("INSERT INTO {quoted} FORMAT JSONEachRow");
        Ok(ClickHouse {
            insert_path: format!("/?query={}", utf8_percent_encode(&query, NON_ALPHANUMERIC)),
            table: quoted,
            create,
        })
    }

    /// The `CREATE TABLE IF NOT EXISTS` statement of the table.
    pub fn ddl(&self) -> String {
        ddl(&self.table)
    }

    /// Runs one statement (in the body).
    async fn query(&self, client: &HttpClient, sql: &str) -> Result<Response, Answer> {
        let r = client
            .send(Method::POST, "/", &[], Bytes::from(sql.to_owned()))
            .await
            .map_err(|e| Answer::All(Verdict::Retry(e.to_string())))?;
        match classify(&r) {
            Answer::All(Verdict::Accepted) => Ok(r),
            other => Err(other),
        }
    }
}

/// The DDL of the table `quoted` (already quoted, e.g. `` `db`.`logs` ``).
pub fn ddl(quoted: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {quoted} (\n\
         \x20 `id` String,\n\
         \x20 `timestamp_ms` Int64,\n\
         \x20 `time` DateTime MATERIALIZED toDateTime(intDiv(timestamp_ms, 1000)),\n\
         \x20 `timestamp_fallback` UInt8,\n\
         \x20 `index` String,\n\
         \x20 `msg_class` String,\n\
         \x20 `origin_source` String,\n\
         \x20 `vendor` String,\n\
         \x20 `category` String,\n\
         \x20 `tenant` String,\n\
         \x20 `connector` String,\n\
         \x20 `bucket` String,\n\
         \x20 `key` String,\n\
         \x20 `etag` String,\n\
         \x20 `version_id` String,\n\
         \x20 `event_name` String,\n\
         \x20 `event_type` String,\n\
         \x20 `user` String,\n\
         \x20 `src_ip` String,\n\
         \x20 `host` String,\n\
         \x20 `outcome` String,\n\
         \x20 `event` String\n\
         ) ENGINE = ReplacingMergeTree\n\
         PARTITION BY toYYYYMM(toDateTime(intDiv(timestamp_ms, 1000)))\n\
         ORDER BY id"
    )
}

/// ClickHouse answers errors with 500 (or 4xx in later versions) and `Code: N` in the body.
fn classify(r: &Response) -> Answer {
    if (200..300).contains(&r.status) {
        return Answer::All(Verdict::Accepted);
    }
    let text = String::from_utf8_lossy(&r.body);
    let why = || format!("HTTP {}: {}", r.status, r.excerpt());
    if AUTH_CODES.iter().any(|c| has_code(&text, c)) {
        return Answer::Configuration(why());
    }
    if DATA_CODES.iter().any(|c| has_code(&text, c)) {
        return Answer::All(Verdict::Rejected(why()));
    }
    answer_by_status(r)
}

/// Whether `text` holds exactly `code` (not a longer number starting with it).
fn has_code(text: &str, code: &str) -> bool {
    text.match_indices(code).any(|(i, _)| {
        !text[i + code.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

fn field(out: &mut Vec<u8>, name: &str, value: Option<&str>) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
    write_str(out, value.unwrap_or(""));
}

#[async_trait]
impl Encoder for ClickHouse {
    fn name(&self) -> &'static str {
        "clickhouse"
    }

    fn path(&self) -> &str {
        &self.insert_path
    }

    fn content_type(&self) -> &'static str {
        "application/x-ndjson"
    }

    fn encode(&self, record: &Record, out: &mut Vec<u8>) {
        let info = &*record.source;
        let ctx = &*record.context;
        let f = &record.fields;
        out.extend_from_slice(b"{\"id\":");
        write_str(out, &record.id());
        out.extend_from_slice(b",\"timestamp_ms\":");
        write_i64(out, record.timestamp_ms);
        out.extend_from_slice(b",\"timestamp_fallback\":");
        out.push(if record.timestamp_fallback() {
            b'1'
        } else {
            b'0'
        });
        field(out, "index", Some(&info.index));
        field(out, "msg_class", Some(&info.msg_class));
        field(out, "origin_source", Some(&info.origin_source));
        field(out, "vendor", Some(&info.vendor));
        field(out, "category", Some(&info.category));
        field(out, "tenant", ctx.tenant.as_deref());
        field(out, "connector", ctx.connector.as_deref());
        field(out, "bucket", Some(&ctx.object.bucket));
        field(out, "key", Some(&ctx.object.key));
        field(out, "etag", ctx.object.etag.as_deref());
        field(out, "version_id", ctx.object.version_id.as_deref());
        field(out, "event_name", f.event_name.as_deref());
        field(out, "event_type", f.event_type.as_deref());
        field(out, "user", f.user.as_deref());
        field(out, "src_ip", f.src_ip.as_deref());
        field(out, "host", f.host.as_deref());
        let outcome = f.outcome.map(|o| match o {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        });
        field(out, "outcome", outcome);
        // The event as a JSON string holding its (single-line) JSON text.
        let mut event = Vec::with_capacity(record.event.get().len());
        write_single_line(&mut event, record.event.get());
        field(out, "event", Some(&String::from_utf8_lossy(&event)));
        out.extend_from_slice(b"}\n");
    }

    fn answer(&self, response: &Response, _items: usize) -> Answer {
        classify(response)
    }

    async fn prepare(&self, client: &HttpClient) -> Result<(), Answer> {
        if self.create {
            self.query(client, &self.ddl()).await?;
        }
        Ok(())
    }

    async fn probe(&self, client: &HttpClient) -> Vec<Check> {
        let ping = client.send(Method::GET, "/ping", &[], Bytes::new()).await;
        let mut checks = vec![Check::from_outcome("reachable", client, &ping)];
        if ping.is_err() {
            return checks;
        }
        let select = client
            .send(Method::POST, "/", &[], Bytes::from_static(b"SELECT 1"))
            .await;
        let auth = match &select {
            Ok(r) if matches!(classify(r), Answer::Configuration(_)) => Check::fail(
                "credentials",
                format!("HTTP {}: {}", r.status, r.excerpt()),
                "configuration: ClickHouse refuses the user or password; fix sink.auth",
            ),
            _ => Check::from_outcome("credentials", client, &select),
        };
        let authorized = auth.ok;
        checks.push(auth);
        if authorized {
            let writable = match self.prepare(client).await {
                Err(a) => Err(a),
                // Zero rows: checks the table exists and the user may insert.
                Ok(()) => self
                    .query(
                        client,
                        &format!("INSERT INTO {} FORMAT JSONEachRow", self.table),
                    )
                    .await
                    .map(|_| ()),
            };
            checks.push(match writable {
                Ok(()) => Check::pass("writable", format!("{} exists and accepts inserts", self.table)),
                Err(a) => Check::fail(
                    "writable",
                    format!("{a:?}"),
                    "the user may not create or insert into the table; grant it or create the table (see the DDL)",
                ),
            });
        }
        checks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_checked_and_quoted() {
        let ch = ClickHouse::new("logs.s3conn_logs", true).unwrap_or_else(|e| panic!("{e}"));
        assert!(ch
            .ddl()
            .starts_with("CREATE TABLE IF NOT EXISTS `logs`.`s3conn_logs` ("));
        assert!(ch.path().starts_with("/?query=INSERT%20INTO%20%60logs%60"));
        assert!(ClickHouse::new("a;drop", true).is_err());
        assert!(ClickHouse::new("a.b.c", true).is_err());
    }

    #[test]
    fn codes_match_exactly() {
        assert!(has_code("Code: 192, e.displayText() = ...", "Code: 192"));
        assert!(!has_code("Code: 1920", "Code: 192"));
    }
}
