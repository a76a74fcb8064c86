//! The service endpoints of a process (feature `metrics-server`, on in the CLI):
//! `/metrics` (Prometheus text through `metrics-exporter-prometheus`), `/healthz` (alive: the
//! process answers) and `/readyz` (200 when every connector of the [`Health`] registry is ready,
//! 503 otherwise; the body has one line per connector). Any other path is 404.
//!
//! One server per process, whatever the number of connectors: every series carries its
//! `connector` label and the registry one entry per connector.
//!
//! ```no_run
//! # async fn demo(pipeline: s3conn::Pipeline) -> Result<(), Box<dyn std::error::Error>> {
//! use s3conn::metrics_server::{install_prometheus_recorder, MetricsServer};
//! use s3conn::{CancellationToken, Health};
//!
//! // Install the recorder before building pipelines: their handles resolve when built.
//! let prometheus = install_prometheus_recorder()?;
//! let health = Health::new();
//! health.register(pipeline.health());
//! let stop = CancellationToken::new();
//! let server = MetricsServer::bind("127.0.0.1:9898", prometheus, health, stop.clone()).await?;
//! println!("serving on http://{}", server.local_addr());
//! # Ok(()) }
//! ```
//!
//! Plain hyper (HTTP/1.1) rather than axum: hyper is already in the tree through the AWS SDK's
//! HTTP client, and three fixed GET routes need no router, extractors or tower layers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
pub use metrics_exporter_prometheus::PrometheusHandle;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use s3conn_core::health::Health;
use s3conn_core::telemetry::{self, LAG_BUCKETS};
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio_util::sync::CancellationToken;

/// The content type of the Prometheus text exposition format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Why the Prometheus recorder could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("cannot install the Prometheus recorder: {0}")]
pub struct RecorderError(String);

/// Installs `metrics-exporter-prometheus` as the process's global recorder (lag histograms with
/// [`LAG_BUCKETS`], the help text of every s3conn metric) and returns the handle that renders it.
/// Call it once, before building pipelines.
pub fn install_prometheus_recorder() -> Result<PrometheusHandle, RecorderError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LAG_BUCKETS)
        .map_err(|e| RecorderError(e.to_string()))?
        .install_recorder()
        .map_err(|e| RecorderError(e.to_string()))?;
    telemetry::describe();
    Ok(handle)
}

/// What every connection answers from.
#[derive(Debug, Clone)]
struct Endpoints {
    prometheus: PrometheusHandle,
    health: Health,
}

impl Endpoints {
    fn answer(&self, req: &Request<Incoming>) -> Response<Full<Bytes>> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n".into());
        }
        match req.uri().path() {
            "/metrics" => {
                self.publish_readiness();
                let mut r = text(StatusCode::OK, self.prometheus.render());
                r.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(PROMETHEUS_TEXT));
                r
            }
            "/healthz" => text(StatusCode::OK, "alive\n".into()),
            "/readyz" => {
                let report = self.health.report();
                let status = if report.ready {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                text(status, report.to_string())
            }
            _ => text(
                StatusCode::NOT_FOUND,
                "not found: try /metrics, /healthz or /readyz\n".into(),
            ),
        }
    }

    /// `s3conn_ready{connector}`: the registry's verdicts, as of this scrape.
    fn publish_readiness(&self) {
        for c in self.health.report().connectors {
            let ready = if c.readiness.is_ready() { 1.0 } else { 0.0 };
            metrics::gauge!(telemetry::names::READY, "connector" => c.connector).set(ready);
        }
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// A running server of the three endpoints; it stops when its token is cancelled.
#[derive(Debug)]
pub struct MetricsServer {
    local_addr: SocketAddr,
}

impl MetricsServer {
    /// Binds `addr` (port 0: any free port) and serves until `stop` is cancelled.
    pub async fn bind(
        addr: impl ToSocketAddrs,
        prometheus: PrometheusHandle,
        health: Health,
        stop: CancellationToken,
    ) -> std::io::Result<MetricsServer> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let endpoints = Arc::new(Endpoints { prometheus, health });
        // The exporter's upkeep (histogram buckets, idle series), as its own listener would do.
        let upkeep = endpoints.prometheus.clone();
        let upkeep_stop = stop.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(5)) => upkeep.run_upkeep(),
                    _ = upkeep_stop.cancelled() => return,
                }
            }
        });
        tokio::spawn(accept(listener, endpoints, stop));
        Ok(MetricsServer { local_addr })
    }

    /// The address served (the port chosen when binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}

async fn accept(listener: TcpListener, endpoints: Arc<Endpoints>, stop: CancellationToken) {
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "metrics server: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.cancelled() => return,
        };
        let endpoints = endpoints.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let answer = endpoints.answer(&req);
                async move { Ok::<_, Infallible>(answer) }
            });
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(e) = served {
                tracing::debug!(error = %e, "metrics server: connection ended with an error");
            }
        });
    }
}
