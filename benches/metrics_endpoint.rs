//! How long `/metrics` takes to answer with five connectors' worth of series.
//!
//! Five pipelines (named `connector-1` … `connector-5`) drain in-memory queues with good records,
//! bad lines (dead letters), deleted objects and a failing-then-recovering sink, so every family
//! of series exists for each; then the process's `/metrics` server is asked `REQUESTS` times over
//! a fresh TCP connection each, and the answer times are printed (min, median, p99, max).
//!
//! `cargo bench --bench metrics_endpoint --features metrics-server` (a benchmark, not a test).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use s3conn::memory::{MemoryObjectStore, MemoryQueue};
use s3conn::metrics_server::{install_prometheus_recorder, MetricsServer};
use s3conn::notification::s3_event_body;
use s3conn::{
    async_trait, CancellationToken, Event, Health, LogSource, MemoryDeadLetterSink, MemorySink,
    Normalized, Pipeline, PipelineConfig, Record, Sink, SinkError, SourceInfo,
};

const CONNECTORS: usize = 5;
const REQUESTS: usize = 200;

#[derive(Debug)]
struct AsIs(Arc<SourceInfo>);

impl LogSource for AsIs {
    fn info(&self) -> &Arc<SourceInfo> {
        &self.0
    }
    fn normalize(&self, _event: &Event<'_>) -> Normalized {
        Normalized::default()
    }
}

/// Fails its first two deliveries, then delivers.
#[derive(Debug)]
struct Flaky(MemorySink, AtomicU32);

#[async_trait]
impl Sink for Flaky {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        if self.1.fetch_add(1, Ordering::Relaxed) < 2 {
            return Err(SinkError::Retryable("warming up".into()));
        }
        self.0.deliver(batch).await
    }
}

async fn populate(connector: usize) {
    let queue = Arc::new(MemoryQueue::new());
    let store = Arc::new(MemoryObjectStore::new());
    for o in 0..20 {
        let key = format!("app/{o}.json");
        let meta = store.put("logs", &key, "{\"n\":1}\n{\"n\":2}\nnot json\n");
        queue.send(s3_event_body("logs", &key, meta.size, meta.etag.as_deref()));
    }
    queue.send(s3_event_body("logs", "app/deleted.json", 10, None));
    let source = Arc::new(AsIs(Arc::new(SourceInfo::new(
        &format!("source-{connector}"),
        "As is",
        "Syslog",
        "app",
        "me",
    ))));
    let config = PipelineConfig {
        drain: true,
        connector: Some(format!("connector-{connector}")),
        retry_base: Duration::from_millis(1),
        retry_max: Duration::from_millis(2),
        ..PipelineConfig::default()
    };
    let sink = Flaky(MemorySink::new(), AtomicU32::new(0));
    let pipeline = Pipeline::builder(queue, store, source, Arc::new(sink))
        .dead_letter(Arc::new(MemoryDeadLetterSink::new()))
        .config(config)
        .build();
    let report = pipeline
        .run(CancellationToken::new())
        .await
        .expect("the drain completes");
    assert!(report.is_complete(), "{}", report.status);
}

fn get(addr: &str) -> usize {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("write");
    let mut body = Vec::new();
    s.read_to_end(&mut body).expect("read");
    body.len()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let prometheus = install_prometheus_recorder().expect("recorder");
    let health = Health::new();
    rt.block_on(async {
        for c in 1..=CONNECTORS {
            populate(c).await;
        }
    });
    let server = rt
        .block_on(MetricsServer::bind(
            "127.0.0.1:0",
            prometheus,
            health,
            CancellationToken::new(),
        ))
        .expect("bind");
    let addr = server.local_addr().to_string();
    let size = get(&addr);
    let text = {
        let mut s = TcpStream::connect(&addr).expect("connect");
        write!(s, "GET /metrics HTTP/1.0\r\n\r\n").expect("write");
        let mut t = String::new();
        s.read_to_string(&mut t).expect("read");
        t
    };
    let series = text
        .lines()
        .filter(|l| l.starts_with("s3conn_") && !l.starts_with('#'))
        .count();
    let mut times: Vec<Duration> = (0..REQUESTS)
        .map(|_| {
            let t = Instant::now();
            get(&addr);
            t.elapsed()
        })
        .collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "/metrics with {CONNECTORS} connectors: {series} series, {size} bytes; {REQUESTS} requests: min {:.2} ms, median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(times[0]),
        ms(times[REQUESTS / 2]),
        ms(times[REQUESTS * 99 / 100]),
        ms(times[REQUESTS - 1]),
    );
}
