//! `collect --metrics-addr`: the Prometheus recorder and the `/metrics`, `/healthz`, `/readyz`
//! server of the process (see `s3conn::metrics_server`), and `--queue-depth-metrics`.

use s3conn::metrics_server::{install_prometheus_recorder, MetricsServer};
use s3conn::{CancellationToken, ConnectorJob, Health, Pipeline};

/// The recorder, installed when `--metrics-addr` is given: before any pipeline is built.
pub struct Metrics {
    addr: String,
    prometheus: s3conn::metrics_server::PrometheusHandle,
}

/// Installs the recorder if `addr` is set.
pub fn recorder(addr: Option<&str>) -> Result<Option<Metrics>, String> {
    let Some(addr) = addr else { return Ok(None) };
    let prometheus = install_prometheus_recorder().map_err(|e| e.to_string())?;
    Ok(Some(Metrics {
        addr: addr.to_string(),
        prometheus,
    }))
}

impl Metrics {
    /// Serves the endpoints for `pipeline` (and polls the queue depth when asked) until `stop`.
    pub async fn serve(
        self,
        job: &ConnectorJob,
        pipeline: &Pipeline,
        queue_depth: bool,
        stop: CancellationToken,
    ) -> Result<(), String> {
        let health = Health::new();
        health.register(pipeline.health());
        let server = MetricsServer::bind(&self.addr, self.prometheus, health, stop.clone())
            .await
            .map_err(|e| format!("--metrics-addr {}: {e}", self.addr))?;
        eprintln!(
            "s3conn collect: serving /metrics, /healthz and /readyz on http://{}",
            server.local_addr()
        );
        let connector = job.connector();
        if queue_depth || connector.config().queue_depth_metrics {
            s3conn::tokio::spawn(s3conn::aws::queue_depth::watch_queue_depth(
                connector.queue().as_ref().clone(),
                connector.config().name.clone(),
                s3conn::aws::queue_depth::QUEUE_DEPTH_INTERVAL,
                stop,
            ));
        }
        Ok(())
    }
}
