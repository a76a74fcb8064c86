//! One HTTP client (connection pool, TLS configuration) for every SDK client of a process.
//!
//! Each `aws_sdk_*::Client` built from a default `SdkConfig` makes its own HTTP client, so a
//! process running several connectors would hold one connection pool per connector and service.
//! [`shared_http_client`] makes one, and [`Connector::on_http_client`](crate::Connector::on_http_client)
//! builds a connector's clients on it; the per-request settings (timeouts) still come from each
//! connector's configuration.

pub use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// A new HTTPS client (hyper 1, rustls with aws-lc, the SDK's default stack) to share.
pub fn shared_http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https()
}
