//! A fault-injecting HTTP/1.1 proxy on 127.0.0.1 in front of an S3/SQS endpoint (moto).
//!
//! Every connection carries one request: the proxy reads it, decides (from a script, or at random
//! from a seeded generator) whether to inject a fault, and otherwise forwards it upstream with
//! `Connection: close` and relays the response, also with `Connection: close`, so the client never
//! reuses a connection. It counts every request it saw and every fault it injected.
//!
//! Faults, each applied only to requests it makes sense for:
//! - [`Fault::ServerError`]: 500 `InternalError` (S3 XML) / `InternalFailure` (SQS JSON), not forwarded;
//! - [`Fault::SlowDown`]: 503 `SlowDown` with an S3 XML error body (S3 requests), not forwarded;
//! - [`Fault::Throttle`]: 400 `RequestThrottled` in SQS's JSON protocol (`x-amzn-query-error`
//!   header and `__type` body, as the SDK's query-compatible JSON client reads it), not forwarded;
//! - [`Fault::Reset`]: the connection is reset (`SO_LINGER` 0) after the request was read, not forwarded;
//! - [`Fault::Stall`]: the request is held for a while, then forwarded normally;
//! - [`Fault::Truncate`]: forwarded, but the response body is cut in half and the connection
//!   closed (S3 `GET` of an object only: a truncated download);
//! - [`Fault::LoseResponse`]: forwarded (the service acts on it), then the connection is reset
//!   instead of relaying the response.
//!
//! Requests are told apart by the `X-Amz-Target: AmazonSQS.<Operation>` header the SQS JSON
//! protocol sends; everything else is S3.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::fake::Reply;

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// HTTP 500 (S3 `InternalError`, SQS `InternalFailure`).
    ServerError,
    /// HTTP 503 `SlowDown` (S3 only).
    SlowDown,
    /// HTTP 400 `RequestThrottled` (SQS only).
    Throttle,
    /// Connection reset after the request was read.
    Reset,
    /// Hold the request this long, then forward it.
    Stall(Duration),
    /// Forward, then send only half the response body and close (S3 `GET` only).
    Truncate,
    /// Forward (the service acts on the request), then reset the connection instead of relaying
    /// the response: a deletion that happened though the client saw it fail, a received message
    /// the client never saw (it reappears after its visibility timeout).
    LoseResponse,
}

impl Fault {
    /// A short name for counters.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::ServerError => "server_error",
            Fault::SlowDown => "slow_down",
            Fault::Throttle => "throttle",
            Fault::Reset => "reset",
            Fault::Stall(_) => "stall",
            Fault::Truncate => "truncate",
            Fault::LoseResponse => "lose_response",
        }
    }

    /// Whether the fault makes the request fail (everything but a stall).
    pub fn fails(&self) -> bool {
        !matches!(self, Fault::Stall(_))
    }

    fn applies_to(&self, req: &RequestInfo) -> bool {
        match self {
            Fault::SlowDown => !req.is_sqs(),
            Fault::Throttle => req.is_sqs(),
            Fault::Truncate => !req.is_sqs() && req.method == "GET",
            _ => true,
        }
    }
}

/// How faults are chosen.
#[derive(Debug)]
enum Plan {
    /// The n-th request gets the n-th entry (`None`: forward untouched); then everything is forwarded.
    Script(VecDeque<Option<Fault>>),
    /// Each request gets a fault with probability `rate`, chosen among the `kinds` that apply to
    /// it, the least injected so far first (ties at random); stalls last from `stall.0` to `stall.1`.
    Random {
        rng: fastrand::Rng,
        rate: f64,
        kinds: Vec<Fault>,
        stall: (Duration, Duration),
    },
}

/// What the proxy saw and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Requests read from clients (faulted or not).
    pub requests: u64,
    /// Requests per operation: `s3:GET`, `sqs:ReceiveMessage`, ...
    pub by_operation: BTreeMap<String, u64>,
    /// Faults injected, by [`Fault::name`].
    pub injected: BTreeMap<&'static str, u64>,
    /// Faults injected, by operation and fault name (`sqs:ReceiveMessage/reset`).
    pub injected_by_operation: BTreeMap<String, u64>,
}

impl ProxyStats {
    /// Faults that made a request fail (stalls excluded).
    pub fn failures(&self) -> u64 {
        self.injected
            .iter()
            .filter(|(k, _)| **k != "stall")
            .map(|(_, v)| v)
            .sum()
    }

    /// All injected faults, stalls included.
    pub fn total_injected(&self) -> u64 {
        self.injected.values().sum()
    }
}

struct State {
    upstream: SocketAddr,
    /// While set, every request is reset, whatever the plan (see [`FaultProxy::set_down`]).
    down: AtomicBool,
    plan: Mutex<Plan>,
    stats: Mutex<ProxyStats>,
}

/// The running proxy; it stops accepting when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`: point `endpoint_url` here.
    pub endpoint: String,
    /// The port.
    pub port: u16,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// A proxy to `upstream_port` on 127.0.0.1 that injects the scripted faults in request order.
    pub async fn scripted(upstream_port: u16, script: Vec<Option<Fault>>) -> FaultProxy {
        Self::start(upstream_port, Plan::Script(script.into())).await
    }

    /// A proxy that injects a fault into each request with probability `rate`, chosen among
    /// `kinds` (those that apply to the request; the least injected so far first, so every kind
    /// shows up early) by a generator seeded with `seed`. Stalls last a random time within `stall`.
    pub async fn random(
        upstream_port: u16,
        seed: u64,
        rate: f64,
        kinds: Vec<Fault>,
        stall: (Duration, Duration),
    ) -> FaultProxy {
        Self::start(
            upstream_port,
            Plan::Random {
                rng: fastrand::Rng::with_seed(seed),
                rate,
                kinds,
                stall,
            },
        )
        .await
    }

    async fn start(upstream_port: u16, plan: Plan) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy: bind");
        let port = listener.local_addr().expect("proxy: local addr").port();
        let state = Arc::new(State {
            upstream: SocketAddr::from(([127, 0, 0, 1], upstream_port)),
            down: AtomicBool::new(false),
            plan: Mutex::new(plan),
            stats: Mutex::new(ProxyStats::default()),
        });
        let s = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = handle(conn, s).await;
                });
            }
        });
        FaultProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            state,
            task,
        }
    }

    /// An outage: while `down`, every request is reset as if the service were stopped (the
    /// upstream keeps its state, unlike a stopped and restarted moto); `false` ends it.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// What the proxy saw and injected so far.
    pub fn stats(&self) -> ProxyStats {
        self.state.stats.lock().expect("proxy stats").clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct RequestInfo {
    method: String,
    /// `AmazonSQS.ReceiveMessage` -> `ReceiveMessage`.
    sqs_operation: Option<String>,
}

impl RequestInfo {
    fn is_sqs(&self) -> bool {
        self.sqs_operation.is_some()
    }

    fn operation(&self) -> String {
        match &self.sqs_operation {
            Some(op) => format!("sqs:{op}"),
            None => format!("s3:{}", self.method),
        }
    }
}

fn choose(state: &State, req: &RequestInfo) -> Option<Fault> {
    let injected = state.stats.lock().expect("proxy stats").injected.clone();
    let mut plan = state.plan.lock().expect("proxy plan");
    match &mut *plan {
        Plan::Script(s) => s.pop_front().flatten().filter(|f| f.applies_to(req)),
        Plan::Random {
            rng,
            rate,
            kinds,
            stall,
        } => {
            if rng.f64() >= *rate {
                return None;
            }
            let fitting: Vec<Fault> = kinds
                .iter()
                .copied()
                .filter(|f| f.applies_to(req))
                .collect();
            if fitting.is_empty() {
                return None;
            }
            // Balanced: the kind injected least so far among those that fit, so that even a
            // short run sees every kind.
            let count = |f: &Fault| injected.get(f.name()).copied().unwrap_or(0);
            let least = fitting.iter().map(count).min().unwrap_or(0);
            let fewest: Vec<Fault> = fitting.into_iter().filter(|f| count(f) == least).collect();
            let f = fewest[rng.usize(..fewest.len())];
            Some(match f {
                Fault::Stall(_) => {
                    let (lo, hi) = (stall.0.as_millis() as u64, stall.1.as_millis() as u64);
                    Fault::Stall(Duration::from_millis(rng.u64(lo..=hi.max(lo))))
                }
                f => f,
            })
        }
    }
}

async fn handle(mut client: TcpStream, state: Arc<State>) -> std::io::Result<()> {
    let Some((head, body)) = read_request(&mut client).await? else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(&head).to_string();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let info = RequestInfo {
        method: request_line
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_string(),
        sqs_operation: header("x-amz-target").map(|t| {
            t.strip_prefix("AmazonSQS.")
                .map(str::to_string)
                .unwrap_or(t.clone())
        }),
    };
    let fault = if state.down.load(Ordering::SeqCst) {
        Some(Fault::Reset)
    } else {
        choose(&state, &info)
    };
    {
        let mut stats = state.stats.lock().expect("proxy stats");
        stats.requests += 1;
        *stats.by_operation.entry(info.operation()).or_default() += 1;
        if let Some(f) = fault {
            *stats.injected.entry(f.name()).or_default() += 1;
            *stats
                .injected_by_operation
                .entry(format!("{}/{}", info.operation(), f.name()))
                .or_default() += 1;
        }
    }
    let reply = |r: Reply| match r {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {status} Injected\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let mut bytes = out.into_bytes();
            bytes.extend_from_slice(&body);
            bytes
        }
        _ => Vec::new(),
    };
    match fault {
        Some(Fault::ServerError) => {
            let r = if info.is_sqs() {
                Reply::sqs_error(500, "InternalFailure")
            } else {
                Reply::s3_error(500, "InternalError")
            };
            client.write_all(&reply(r)).await?;
            return client.shutdown().await;
        }
        Some(Fault::SlowDown) => {
            client
                .write_all(&reply(Reply::s3_error(503, "SlowDown")))
                .await?;
            return client.shutdown().await;
        }
        Some(Fault::Throttle) => {
            client
                .write_all(&reply(Reply::sqs_error(400, "RequestThrottled")))
                .await?;
            return client.shutdown().await;
        }
        Some(Fault::Reset) => {
            // A reset rather than an orderly close: SO_LINGER 0 makes the close send RST.
            client.set_zero_linger()?;
            drop(client);
            return Ok(());
        }
        Some(Fault::Stall(d)) => tokio::time::sleep(d).await,
        Some(Fault::Truncate | Fault::LoseResponse) | None => {}
    }

    // Forward with `Connection: close`, relay the whole response (upstream closes after it).
    let mut upstream = TcpStream::connect(state.upstream).await?;
    let mut out = format!("{request_line}\r\n");
    for (k, v) in &headers {
        if !k.eq_ignore_ascii_case("connection") && !k.eq_ignore_ascii_case("keep-alive") {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    upstream.write_all(out.as_bytes()).await?;
    upstream.write_all(&body).await?;
    let mut response = Vec::new();
    upstream.read_to_end(&mut response).await?;
    if fault == Some(Fault::LoseResponse) {
        client.set_zero_linger()?;
        drop(client);
        return Ok(());
    }
    let Some(head_end) = find(&response, b"\r\n\r\n").map(|i| i + 4) else {
        client.write_all(&response).await?;
        return client.shutdown().await;
    };
    let head = String::from_utf8_lossy(&response[..head_end]).to_string();
    let mut new_head = String::new();
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        let name = line.split(':').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive") {
            continue;
        }
        new_head.push_str(line);
        new_head.push_str("\r\n");
    }
    new_head.push_str("Connection: close\r\n\r\n");
    let body = &response[head_end..];
    client.write_all(new_head.as_bytes()).await?;
    if fault == Some(Fault::Truncate) && head.starts_with("HTTP/1.1 200") && body.len() > 1 {
        client.write_all(&body[..body.len() / 2]).await?;
        client.flush().await?;
        // Close abruptly in the middle of the body.
        client.set_zero_linger()?;
        drop(client);
        return Ok(());
    }
    client.write_all(body).await?;
    client.shutdown().await
}

/// Reads one request: its head (through the blank line) and its body (`Content-Length` or chunked,
/// passed on as read). `None` when the client closed first.
async fn read_request(conn: &mut TcpStream) -> std::io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if !read_more(conn, &mut buf).await? {
            return Ok(None);
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let header = |name: &str| {
        head.split("\r\n").find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    };
    if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        // Pass chunked bodies on as they are; stop at the last chunk.
        while find(&buf[head_end..], b"0\r\n\r\n").is_none() {
            if !read_more(conn, &mut buf).await? {
                return Ok(None);
            }
        }
    } else {
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            if !read_more(conn, &mut buf).await? {
                return Ok(None);
            }
        }
        buf.truncate(head_end + len);
    }
    let body = buf.split_off(head_end);
    Ok(Some((buf, body)))
}

async fn read_more(conn: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut chunk = [0u8; 16 * 1024];
    let n = conn.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n > 0)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
