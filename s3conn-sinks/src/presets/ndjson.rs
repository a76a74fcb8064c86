//! `http-ndjson`: each batch POSTed as NDJSON (one record per line) to the URL as given, for the
//! HTTP inputs of Vector, Logstash, Fluent Bit or Cribl. A 2xx accepts the whole batch.

use async_trait::async_trait;
use http::Method;
use s3conn_core::Record;

use crate::client::HttpClient;
use crate::encoder::Encoder;
use crate::probe::Check;

/// The NDJSON encoder.
#[derive(Debug, Clone, Default)]
pub struct Ndjson;

#[async_trait]
impl Encoder for Ndjson {
    fn name(&self) -> &'static str {
        "http-ndjson"
    }

    fn path(&self) -> &str {
        ""
    }

    fn content_type(&self) -> &'static str {
        "application/x-ndjson"
    }

    fn encode(&self, record: &Record, out: &mut Vec<u8>) {
        record.write_ndjson(out);
    }

    async fn probe(&self, client: &HttpClient) -> Vec<Check> {
        // An empty batch: a receiver accepts it without storing anything.
        let r = client
            .send(
                Method::POST,
                "",
                &[("content-type", "application/x-ndjson")],
                Default::default(),
            )
            .await;
        vec![Check::from_outcome("accepts an empty batch", client, &r)]
    }
}
