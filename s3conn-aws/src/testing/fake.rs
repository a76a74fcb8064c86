//! A scripted HTTP/1.1 server on 127.0.0.1: each request gets the next scripted reply, so real SDK
//! clients can be shown real throttling, server errors, dropped connections and truncated bodies.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One scripted reply.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response.
    Full {
        /// HTTP status.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// The body (its length is sent as `Content-Length`).
        body: Vec<u8>,
    },
    /// Headers announcing `content_length` bytes, then only `body`, then the connection closes.
    Truncated {
        /// The announced length.
        content_length: usize,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// The bytes actually sent.
        body: Vec<u8>,
    },
    /// The connection is closed without any response.
    Drop,
}

impl Reply {
    /// An S3-style XML error.
    pub fn s3_error(status: u16, code: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>scripted {code}</Message></Error>"
            )
            .into_bytes(),
        }
    }

    /// An SQS JSON-protocol error.
    pub fn sqs_error(status: u16, code: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![
                ("Content-Type".into(), "application/x-amz-json-1.0".into()),
                ("x-amzn-query-error".into(), format!("{code};Sender")),
            ],
            body: format!(
                "{{\"__type\":\"com.amazonaws.sqs#{code}\",\"message\":\"scripted {code}\"}}"
            )
            .into_bytes(),
        }
    }

    /// An SQS JSON-protocol success.
    pub fn sqs_ok(json: &str) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![("Content-Type".into(), "application/x-amz-json-1.0".into())],
            body: json.as_bytes().to_vec(),
        }
    }

    /// An S3 object.
    pub fn object(body: &[u8]) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "text/plain".into()),
                ("ETag".into(), "\"0123456789abcdef0123456789abcdef\"".into()),
                (
                    "Last-Modified".into(),
                    "Wed, 12 Oct 2025 17:50:00 GMT".into(),
                ),
            ],
            body: body.to_vec(),
        }
    }
}

/// A recorded request: its request line, headers and body.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request line, e.g. `GET /bucket/key HTTP/1.1`.
    pub line: String,
    /// The request line and headers, as received.
    pub head: String,
    /// The request body, lossily decoded as UTF-8.
    pub body: String,
}

/// The running server; it stops when dropped.
pub struct FakeServer {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The port.
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    /// Starts a server that answers with `replies` in order (then 500s).
    pub async fn start(replies: Vec<Reply>) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("fake server");
        let port = listener.local_addr().expect("fake server").port();
        let script = Arc::new(Mutex::new(VecDeque::from(replies)));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s2, seen2) = (script.clone(), seen.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    return;
                };
                let (s3, seen3) = (s2.clone(), seen2.clone());
                tokio::spawn(async move {
                    let _ = serve(conn, s3, seen3).await;
                });
            }
        });
        FakeServer {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            seen,
            task,
        }
    }

    /// Requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("fake server").clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut conn: TcpStream,
    script: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        // Read one request: headers, then Content-Length bytes of body.
        let header_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
        let len = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        while buf.len() < header_end + len {
            let mut chunk = [0u8; 4096];
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = String::from_utf8_lossy(&buf[header_end..header_end + len]).to_string();
        buf.drain(..header_end + len);
        seen.lock().expect("fake server").push(Seen {
            line: head.lines().next().unwrap_or_default().to_string(),
            head: head.clone(),
            body,
        });
        let reply = script
            .lock()
            .expect("fake server")
            .pop_front()
            .unwrap_or(Reply::s3_error(500, "ScriptExhausted"));
        match reply {
            Reply::Full {
                status,
                headers,
                body,
            } => {
                let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                conn.write_all(out.as_bytes()).await?;
                conn.write_all(&body).await?;
            }
            Reply::Truncated {
                content_length,
                headers,
                body,
            } => {
                let mut out = format!("HTTP/1.1 200 OK\r\nContent-Length: {content_length}\r\n");
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                conn.write_all(out.as_bytes()).await?;
                conn.write_all(&body).await?;
                conn.flush().await?;
                return Ok(());
            }
            Reply::Drop => return Ok(()),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
