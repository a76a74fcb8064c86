//! A moto server on a free loopback port, killed when dropped, and SDK clients for it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::{AwsClients, ConnectorConfig, ConnectorConfigBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The account id moto uses.
pub const ACCOUNT: &str = "123456789012";
/// The region of every test.
pub const REGION: &str = "us-east-1";

/// A moto server, its clients, and a queue fed by the object-created notifications of a bucket.
pub struct MotoWorld {
    /// The server (stopped when dropped: keep it bound while the test runs).
    pub moto: Moto,
    /// SDK clients for it.
    pub clients: AwsClients,
    /// The queue's name.
    pub queue_name: String,
    /// The queue's URL.
    pub queue_url: String,
    /// The bucket's name.
    pub bucket: String,
}

impl MotoWorld {
    /// Starts moto, creates a queue named `queue_prefix-…` and a bucket `logs-…` whose
    /// object-created notifications go to it.
    pub async fn start(queue_prefix: &str) -> MotoWorld {
        let moto = Moto::start();
        let clients = moto.clients().await;
        let queue_name = unique(queue_prefix);
        let queue_url = moto.create_queue(&clients, &queue_name).await;
        let bucket = unique("logs");
        moto.create_bucket(&clients, &bucket).await;
        moto.notify(&clients, &bucket, &queue_name).await;
        MotoWorld {
            moto,
            clients,
            queue_name,
            queue_url,
            bucket,
        }
    }

    /// A connector configuration builder for the queue, reading the bucket.
    pub fn config(&self) -> ConnectorConfigBuilder {
        self.moto
            .config(&self.queue_url)
            .buckets([self.bucket.clone()])
    }

    /// Uploads an object into the bucket; returns its eTag and version id, if any.
    pub async fn put(&self, key: &str, body: Vec<u8>) -> (String, Option<String>) {
        self.moto.put(&self.clients, &self.bucket, key, body).await
    }
}

/// A running `moto_server`, stopped (killed and reaped) on drop when this process started it.
pub struct Moto {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Moto {
    /// Starts moto on a free port and waits until it accepts connections.
    pub fn start() -> Moto {
        Self::start_with_env(&[])
    }

    /// Stops the server (killed and reaped): requests to its port are refused until
    /// [`Moto::restart`]. Its state (queues, buckets, messages) is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a fresh, empty moto on the same port (after [`Moto::stop`]), so URLs naming it
    /// stay valid; waits until it accepts connections.
    pub fn restart(&mut self) {
        self.stop();
        let mut last_err = String::new();
        for _ in 0..20 {
            match spawn_on(self.port, &[]) {
                Ok(child) => {
                    self.child = Some(child);
                    return;
                }
                Err(e) => last_err = e,
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!(
            "could not restart moto_server on port {}: {last_err}",
            self.port
        );
    }

    /// Starts moto with extra environment variables.
    pub fn start_with_env(env: &[(&str, &str)]) -> Moto {
        let mut last_err = String::new();
        for _ in 0..5 {
            let port = free_port();
            match spawn_on(port, env) {
                Ok(child) => {
                    return Moto {
                        child: Some(child),
                        port,
                        endpoint: format!("http://127.0.0.1:{port}"),
                    }
                }
                Err(e) => last_err = e,
            }
        }
        panic!("could not start moto_server: {last_err}");
    }

    /// A moto server started elsewhere, at `http://127.0.0.1:PORT` or any endpoint URL: the same
    /// helpers, and nothing is stopped on drop (set-up programs such as `examples/moto_demo.rs`).
    pub fn attach(endpoint: &str) -> Moto {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        let port = endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(80);
        Moto {
            child: None,
            port,
            endpoint,
        }
    }

    /// A connector configuration builder pointing at this moto, with dummy static credentials.
    pub fn config(&self, queue_url: &str) -> ConnectorConfigBuilder {
        self.config_with_keys(queue_url, "testing", "testing")
    }

    /// Same, with the given keys.
    pub fn config_with_keys(
        &self,
        queue_url: &str,
        key: &str,
        secret: &str,
    ) -> ConnectorConfigBuilder {
        ConnectorConfig::builder()
            .name("moto-test")
            .region(REGION)
            .sqs_queue_url(queue_url)
            .endpoint_url(self.endpoint.clone())
            .allow_http(true)
            .static_credentials(key, secret)
            .log_source("test")
    }

    /// SDK clients for this moto (dummy credentials).
    pub async fn clients(&self) -> AwsClients {
        let url = format!("{}/{ACCOUNT}/unused", self.endpoint);
        self.config(&url)
            .build()
            .expect("test setup")
            .clients()
            .await
    }

    /// Creates a queue; returns its URL.
    pub async fn create_queue(&self, clients: &AwsClients, name: &str) -> String {
        let out = clients
            .sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .expect("create queue");
        out.queue_url().expect("queue url").to_string()
    }

    /// `(visible, in flight)`: the queue's approximate message counts, read from moto directly.
    pub async fn queue_counts(&self, clients: &AwsClients, queue_url: &str) -> (u64, u64) {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let got = clients
            .sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(A::ApproximateNumberOfMessages)
            .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("get queue attributes");
        let attrs = got.attributes().cloned().unwrap_or_default();
        let n = |a: A| {
            attrs
                .get(&a)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        (
            n(A::ApproximateNumberOfMessages),
            n(A::ApproximateNumberOfMessagesNotVisible),
        )
    }

    /// Creates a bucket.
    pub async fn create_bucket(&self, clients: &AwsClients, name: &str) {
        clients
            .s3
            .create_bucket()
            .bucket(name)
            .send()
            .await
            .expect("create bucket");
    }

    /// Deletes an object (its current version).
    pub async fn delete(&self, clients: &AwsClients, bucket: &str, key: &str) {
        clients
            .s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .expect("delete object");
    }

    /// Uploads an object; returns its eTag (without quotes) and version id, if any.
    pub async fn put(
        &self,
        clients: &AwsClients,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> (String, Option<String>) {
        let out = clients
            .s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(aws_sdk_s3::primitives::ByteStream::from(body))
            .send()
            .await
            .expect("put object");
        (
            out.e_tag().unwrap_or_default().trim_matches('"').to_owned(),
            out.version_id().map(str::to_owned),
        )
    }

    /// Sends every object-created notification of `bucket` to the queue `queue_name`.
    pub async fn notify(&self, clients: &AwsClients, bucket: &str, queue_name: &str) {
        use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration};
        let arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}");
        let queue = QueueConfiguration::builder()
            .queue_arn(arn)
            .events(Event::S3ObjectCreated)
            .build()
            .expect("test setup");
        clients
            .s3
            .put_bucket_notification_configuration()
            .bucket(bucket)
            .notification_configuration(
                NotificationConfiguration::builder()
                    .queue_configurations(queue)
                    .build(),
            )
            .send()
            .await
            .expect("bucket notification");
    }

    /// Sends an unsigned-but-routed IAM Query API call (works only while moto does not enforce
    /// authentication); returns the response body.
    pub async fn iam(&self, params: &[(&str, &str)]) -> String {
        let mut form = String::from("Version=2010-05-08");
        for (k, v) in params {
            form.push('&');
            form.push_str(k);
            form.push('=');
            form.push_str(
                &percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            );
        }
        // moto routes a request by the service in the SigV4 credential scope; the signature is not
        // checked before authentication is switched on.
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00\r\n\
             Content-Length: {len}\r\nConnection: close\r\n\r\n{form}",
            port = self.port,
            len = form.len()
        );
        let text = self.send_raw(&request).await;
        assert!(
            text.starts_with("HTTP/1.1 200") || text.starts_with("HTTP/1.0 200"),
            "IAM call {params:?} failed: {text}"
        );
        text
    }

    /// Creates an IAM user with an inline policy and an access key; returns (key id, secret).
    pub async fn create_user_with_key(&self, user: &str, policy: &str) -> (String, String) {
        self.iam(&[("Action", "CreateUser"), ("UserName", user)])
            .await;
        self.iam(&[
            ("Action", "PutUserPolicy"),
            ("UserName", user),
            ("PolicyName", "s3conn"),
            ("PolicyDocument", policy),
        ])
        .await;
        let body = self
            .iam(&[("Action", "CreateAccessKey"), ("UserName", user)])
            .await;
        (
            xml_value(&body, "AccessKeyId"),
            xml_value(&body, "SecretAccessKey"),
        )
    }

    /// Sends one raw HTTP/1.1 request (with `Connection: close`) and returns the whole response.
    async fn send_raw(&self, request: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("test setup");
        s.write_all(request.as_bytes()).await.expect("test setup");
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).await.expect("test setup");
        String::from_utf8_lossy(&resp).into_owned()
    }

    /// Switches authentication on: from now on every request must be signed by a known key.
    pub async fn enforce_auth(&self) {
        let body = "0";
        let request = format!(
            "POST /moto-api/reset-auth HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        let text = self.send_raw(&request).await;
        assert!(text.contains("200"), "reset-auth failed: {text}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `moto_server` on `port` and waits until it accepts connections.
fn spawn_on(port: u16, env: &[(&str, &str)]) -> Result<Child, String> {
    let mut child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server must be on PATH (pip install 'moto[server]')");
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("moto_server exited early: {status}"));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(child);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("moto_server did not listen within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A loopback port nothing listens on, never handed out before in this process: tests start
/// servers in parallel, and the kernel may give a port just released to the next caller before
/// the first server has bound it (the second server's readiness probe would then reach the first
/// server, and its requests fail once that one stops).
fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = l.local_addr().expect("local addr").port();
        drop(l);
        let fresh = HANDED_OUT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(port);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        if fresh && TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            return port;
        }
    }
}

/// The text of the first `<tag>` element.
fn xml_value(body: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = body
        .find(&open)
        .map(|i| i + open.len())
        .unwrap_or_else(|| panic!("no {tag} in {body}"));
    let end = body[start..].find(&close).expect("test setup") + start;
    body[start..end].to_string()
}

/// A unique name for queues and buckets within one moto.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", fastrand::u32(..))
}
