//! `s3conn collect --metrics-addr` against moto: `/readyz` through the queue unreachable
//! (a proxy's outage) and reachable again and through an output failing then recovering; `promtool check metrics` on the
//! exposition; a real Prometheus scraping the records counter. `promtool` and `prometheus` must be
//! installed (Debian package `prometheus`): these tests fail, never skip, without them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{collect_base_command, World};
use s3conn::aws::testing::FaultProxy;

/// A `collect` process serving its endpoints, killed when dropped.
struct Served {
    child: Child,
    /// `127.0.0.1:PORT` of the endpoints.
    addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `collect` (not draining) on `config` with `--metrics-addr 127.0.0.1:0` and `extra`
/// arguments and environment; returns once it printed the address it serves.
fn serve(world: &World, config: &Path, extra: &[&str], env: &[(&str, &Path)]) -> Served {
    let out = world.dir.path().join("out");
    let mut cmd = collect_base_command(config, &out);
    cmd.args(["--metrics-addr", "127.0.0.1:0", "--dead-letter"])
        .arg(world.dir.path().join("dead"))
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.split("on http://").nth(1) {
                let _ = tx.send(addr.trim().to_string());
            }
            eprintln!("[collect] {line}");
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("collect prints the address it serves");
    Served { child, addr }
}

/// `GET path` on `addr` over HTTP/1.0 (no chunked answers): the status and the body (`None` when
/// nothing answers).
fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// Polls `GET path` until `want` holds for the answer (up to `limit`); returns that answer.
async fn wait_for(
    addr: &str,
    path: &str,
    limit: Duration,
    want: impl Fn(u16, &str) -> bool,
) -> (u16, String) {
    let deadline = Instant::now() + limit;
    let mut last = None;
    while Instant::now() < deadline {
        if let Some((status, body)) = get(addr, path) {
            if want(status, &body) {
                return (status, body);
            }
            last = Some((status, body));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("GET {path} on {addr}: not as wanted within {limit:?}; last answer {last:?}");
}

/// The sum of every series `name{…connector="NAME"…}` in a Prometheus text exposition.
fn sample_sum(text: &str, name: &str, connector: &str) -> f64 {
    let label = format!("connector=\"{connector}\"");
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) && l.contains(&label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn gzip_lines(n: usize) -> Vec<u8> {
    let text: String = (0..n)
        .map(|i| format!("{{\"i\":{i},\"time\":\"2026-11-26T08:00:00Z\"}}\n"))
        .collect();
    common::gzip(text.as_bytes())
}

/// The queue unreachable, then reachable again: `collect` talks to moto through a proxy whose
/// outage resets every connection (as a stopped service would; moto itself keeps its queue).
#[tokio::test(flavor = "multi_thread")]
async fn readiness_follows_the_queue_unreachable_then_reachable_again() {
    let world = World::new().await;
    let proxy = FaultProxy::scripted(world.moto.port, Vec::new()).await;
    let config = world.config("ready-moto", &proxy.endpoint, "");
    let served = serve(&world, &config, &[], &[]);
    let addr = served.addr.clone();
    assert_eq!(get(&addr, "/healthz").map(|a| a.0), Some(200));
    let (_, body) = wait_for(&addr, "/readyz", Duration::from_secs(30), |s, _| s == 200).await;
    assert_eq!(body, "ready-moto: ready\n");
    world
        .moto
        .put(
            &world.clients,
            &world.bucket,
            "logs/a.ndjson.gz",
            gzip_lines(5),
        )
        .await;
    wait_for(&addr, "/metrics", Duration::from_secs(30), |_, m| {
        sample_sum(m, "s3conn_records_delivered_total", "ready-moto") == 5.0
    })
    .await;

    // The queue unreachable: receiving fails; not ready only once that lasted three poll waits
    // (3 s).
    proxy.set_down(true);
    let down = Instant::now();
    let (status, body) = wait_for(&addr, "/readyz", Duration::from_secs(60), |s, _| s == 503).await;
    assert!(
        down.elapsed() >= Duration::from_secs(3),
        "degraded after sustained failure only, not on the first failed receive"
    );
    assert!(
        body.starts_with("ready-moto: degraded: no successful receive for "),
        "{status} {body}"
    );
    assert_eq!(
        get(&addr, "/healthz").map(|a| a.0),
        Some(200),
        "still alive"
    );
    let (_, metrics) = get(&addr, "/metrics").unwrap();
    assert!(
        sample_sum(&metrics, "s3conn_failures_total", "ready-moto") > 0.0,
        "{metrics}"
    );
    assert!(metrics.contains("s3conn_ready{connector=\"ready-moto\"} 0"));

    // Reachable again: ready again, and what arrived meanwhile is delivered.
    world
        .moto
        .put(
            &world.clients,
            &world.bucket,
            "logs/b.ndjson.gz",
            gzip_lines(3),
        )
        .await;
    proxy.set_down(false);
    let (_, body) = wait_for(&addr, "/readyz", Duration::from_secs(60), |s, _| s == 200).await;
    assert_eq!(body, "ready-moto: ready\n");
    let (_, metrics) = wait_for(&addr, "/metrics", Duration::from_secs(60), |_, m| {
        sample_sum(m, "s3conn_records_delivered_total", "ready-moto") == 8.0
    })
    .await;
    assert!(metrics.contains("s3conn_ready{connector=\"ready-moto\"} 1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_follows_an_output_failing_then_recovering() {
    let world = World::new().await;
    let config = world.config(
        "ready-sink",
        &world.moto.endpoint.clone(),
        "visibility_timeout = \"5s\"",
    );
    let down = world.dir.path().join("sink-down");
    std::fs::write(&down, "").unwrap();
    let served = serve(
        &world,
        &config,
        &["--delivery-failing-for", "2"],
        &[("S3CONN_TEST_SINK_DOWN_WHILE", &down)],
    );
    let addr = served.addr.clone();
    wait_for(&addr, "/readyz", Duration::from_secs(30), |s, _| s == 200).await;
    world.put_object(0, 7).await;
    // Every delivery fails: degraded once that lasted 2 s, never before the first failure.
    let (_, body) = wait_for(&addr, "/readyz", Duration::from_secs(60), |s, _| s == 503).await;
    assert!(
        body.starts_with("ready-sink: degraded: every delivery failed for "),
        "{body}"
    );
    let (_, metrics) = get(&addr, "/metrics").unwrap();
    assert!(
        metrics.contains(
            "s3conn_failures_total{connector=\"ready-sink\",stage=\"sink\",class=\"retryable\"}"
        ),
        "{metrics}"
    );
    assert_eq!(
        sample_sum(&metrics, "s3conn_records_delivered_total", "ready-sink"),
        0.0
    );
    // The output recovers: the next attempt delivers, and the connector is ready at once.
    std::fs::remove_file(&down).unwrap();
    wait_for(&addr, "/metrics", Duration::from_secs(60), |_, m| {
        sample_sum(m, "s3conn_records_delivered_total", "ready-sink") == 7.0
    })
    .await;
    let (status, body) = get(&addr, "/readyz").unwrap();
    assert_eq!((status, body.as_str()), (200, "ready-sink: ready\n"));
}

/// A free port on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Prometheus server scraping `target` every second, killed when dropped.
struct Prometheus {
    child: Child,
    addr: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_prometheus(dir: &Path, target: &str) -> Prometheus {
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: s3conn\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let storage = dir.join("prometheus-data");
    let addr = format!("127.0.0.1:{}", free_port());
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", storage.display()))
        .arg(format!("--web.listen-address={addr}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus must be installed (apt-get install -y prometheus)");
    Prometheus { child, addr }
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_reads_the_records_counter_and_promtool_accepts_the_exposition() {
    let world = World::new().await;
    let config = world.config("prom-trail", &world.moto.endpoint.clone(), "");
    let served = serve(&world, &config, &["--queue-depth-metrics"], &[]);
    let addr = served.addr.clone();
    world.put_objects(0..3, 40).await;
    // A bad line: a dead-letter series too.
    world
        .moto
        .put(
            &world.clients,
            &world.bucket,
            "logs/bad.ndjson",
            b"{\"ok\":1}\nnot json\n".to_vec(),
        )
        .await;
    let (_, exposition) = wait_for(&addr, "/metrics", Duration::from_secs(60), |_, m| {
        sample_sum(m, "s3conn_records_delivered_total", "prom-trail") == 121.0
            // Four notifications and moto's s3:TestEvent.
            && sample_sum(m, "s3conn_messages_acknowledged_total", "prom-trail") == 5.0
    })
    .await;
    for series in [
        "s3conn_dead_letters_total{connector=\"prom-trail\",kind=\"record\",reason=\"invalid_json\"} 1",
        "s3conn_objects_total{connector=\"prom-trail\",outcome=\"processed\"} 4",
        "s3conn_aws_requests_total{connector=\"prom-trail\",api=\"s3:GetObject\",outcome=\"ok\"} 4",
        "s3conn_object_lag_seconds_count{connector=\"prom-trail\"} 4",
        "s3conn_message_lag_seconds_count{connector=\"prom-trail\"} 5",
        "s3conn_notifications_ignored_total{connector=\"prom-trail\",reason=\"test_event\"} 1",
        "# TYPE s3conn_object_lag_seconds histogram",
    ] {
        assert!(exposition.contains(series), "{series} in\n{exposition}");
    }
    for name in [
        "s3conn_messages_in_flight",
        "s3conn_last_delivery_timestamp_seconds",
        "s3conn_lease_renewals_total",
    ] {
        assert!(exposition.contains(name), "{name} in\n{exposition}");
    }
    wait_for(&addr, "/metrics", Duration::from_secs(60), |_, m| {
        m.contains("s3conn_queue_messages{connector=\"prom-trail\",state=\"visible\"}")
    })
    .await;

    // promtool: the exposition is valid and follows the naming conventions.
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool must be installed (apt-get install -y prometheus)");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success() && checked.stdout.is_empty() && checked.stderr.is_empty(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    // A real Prometheus scrapes it; its query API answers with the records delivered.
    let prometheus = start_prometheus(world.dir.path(), &addr);
    let query =
        "/api/v1/query?query=s3conn_records_delivered_total%7Bconnector%3D%22prom-trail%22%7D";
    let (_, answer) = wait_for(&prometheus.addr, query, Duration::from_secs(90), |s, b| {
        s == 200 && b.contains("\"value\"")
    })
    .await;
    let v: serde_json::Value =
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"));
    let results = v["data"]["result"].as_array().unwrap();
    let total: f64 = results
        .iter()
        .map(|r| r["value"][1].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(total, 121.0, "{answer}");
    assert_eq!(results[0]["metric"]["source"], "generic");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_server_for_several_connectors_shows_the_failing_one_not_ready() {
    let world = World::new().await;
    let good = world.config("multi-good", &world.moto.endpoint.clone(), "");
    // A second connector whose queue does not exist: it fails and is restarted, the first goes on.
    let broken = world.dir.path().join("multi-broken.toml");
    let text = std::fs::read_to_string(&good)
        .unwrap()
        .replace("name = \"multi-good\"", "name = \"multi-broken\"")
        .replace(&world.queue_url, &format!("{}-gone", world.queue_url));
    std::fs::write(&broken, text).unwrap();
    let served = serve(&world, &good, &["--config", broken.to_str().unwrap()], &[]);
    let addr = served.addr.clone();
    world
        .moto
        .put(
            &world.clients,
            &world.bucket,
            "logs/m.ndjson.gz",
            gzip_lines(7),
        )
        .await;
    wait_for(&addr, "/metrics", Duration::from_secs(60), |_, m| {
        sample_sum(m, "s3conn_records_delivered_total", "multi-good") == 7.0
    })
    .await;
    let (status, body) = wait_for(&addr, "/readyz", Duration::from_secs(60), |_, b| {
        b.contains("multi-good: ready")
            && b.contains("multi-broken: ")
            && !b.contains("multi-broken: ready")
    })
    .await;
    assert_eq!(
        status, 503,
        "one connector not ready makes the process not ready: {body}"
    );
    let (_, metrics) = get(&addr, "/metrics").unwrap();
    assert!(
        metrics.contains("s3conn_ready{connector=\"multi-good\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("s3conn_ready{connector=\"multi-broken\"} 0"),
        "{metrics}"
    );
}
