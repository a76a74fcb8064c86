//! The HTTP client of the sinks: hyper's pooled client over rustls (system roots plus an optional
//! CA file), with the sink's headers, connect and request timeouts.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::error::{invalid, BuildError};
use crate::settings::HttpSettings;

/// Largest answer read (a `_bulk` answer of 5000 items is about 1 MiB).
const MAX_RESPONSE: usize = 64 << 20;

/// An answer: status, `Retry-After` and body.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// `Retry-After` in seconds, when the destination sent one.
    pub retry_after: Option<Duration>,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// The first 512 characters of the body, on one line.
    pub fn excerpt(&self) -> String {
        excerpt(&self.body)
    }
}

/// The first 512 characters of `body`, on one line.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(512).collect();
    if text.chars().nth(512).is_some() {
        out.push('…');
    }
    out.replace(['\n', '\r'], " ").trim().to_owned()
}

/// A request that got no answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// Connecting, sending or reading failed (retryable).
    #[error("{0}")]
    Transport(String),
    /// No answer within the request timeout (retryable).
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

type Inner = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A pooled HTTP(S) client bound to one base URL.
#[derive(Clone)]
pub struct HttpClient {
    inner: Inner,
    base: Arc<str>,
    headers: Arc<Vec<(HeaderName, HeaderValue)>>,
    timeout: Duration,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client for `settings.url`, sending its auth and extra headers.
    pub fn new(settings: &HttpSettings) -> Result<Self, BuildError> {
        let uri: Uri = settings
            .url
            .parse()
            .map_err(|e| invalid("url", format!("{:?}: {e}", settings.url)))?;
        match uri.scheme_str() {
            Some("http") | Some("https") => {}
            _ => {
                return Err(invalid(
                    "url",
                    format!("{:?}: use http:// or https://", settings.url),
                ))
            }
        }
        if uri.host().is_none() {
            return Err(invalid("url", format!("{:?} has no host", settings.url)));
        }
        let mut headers = Vec::new();
        for (name, value) in settings.auth.header().iter().chain(&settings.headers) {
            let n = HeaderName::try_from(name.as_str())
                .map_err(|e| invalid("headers", format!("{name:?}: {e}")))?;
            let mut v = HeaderValue::try_from(value.as_str())
                .map_err(|e| invalid("headers", format!("{name}: {e}")))?;
            v.set_sensitive(n == http::header::AUTHORIZATION);
            headers.push((n, v));
        }
        let tls = tls_config(settings)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(settings.connect_timeout));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let inner = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(HttpClient {
            inner,
            base: Arc::from(settings.url.trim_end_matches('/')),
            headers: Arc::new(headers),
            timeout: settings.request_timeout,
        })
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends `method BASE+path` with `body` and the extra `headers`; reads the whole answer.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Response, SendError> {
        let url = format!("{}{path}", self.base);
        let mut req = Request::builder().method(method).uri(&url);
        for (n, v) in self.headers.iter() {
            req = req.header(n, v);
        }
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        let req = req
            .body(Full::new(body))
            .map_err(|e| SendError::Transport(format!("{url}: {e}")))?;
        let call = async {
            let resp = self
                .inner
                .request(req)
                .await
                .map_err(|e| SendError::Transport(format!("{url}: {}", chain(&e))))?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = Limited::new(resp.into_body(), MAX_RESPONSE)
                .collect()
                .await
                .map_err(|e| SendError::Transport(format!("{url}: reading the answer: {e}")))?
                .to_bytes();
            Ok(Response {
                status,
                retry_after,
                body,
            })
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .unwrap_or(Err(SendError::Timeout(self.timeout)))
    }
}

/// An error with its sources, on one line (hyper's own message is only "client error").
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// rustls with the system's roots plus the CA file's certificates.
fn tls_config(settings: &HttpSettings) -> Result<rustls::ClientConfig, BuildError> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let _ = roots.add_parsable_certificates(native.certs);
    if let Some(path) = &settings.ca_file {
        let ca_err = |reason: String| BuildError::CaFile {
            path: path.display().to_string(),
            reason,
        };
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| ca_err(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ca_err(e.to_string()))?;
        if certs.is_empty() {
            return Err(ca_err("holds no PEM certificate".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| ca_err(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("url", format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}
