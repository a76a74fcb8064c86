//! What `s3conn test` learns about a sink: reachable, credentials accepted, writable.

use serde::Serialize;

use crate::client::{HttpClient, Response, SendError};

/// One check of the destination, with advice when it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked, e.g. `reachable`.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What happened.
    pub detail: String,
    /// What to do about a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

impl Check {
    /// A passed check.
    pub fn pass(name: &str, detail: impl Into<String>) -> Self {
        Check {
            name: name.to_owned(),
            ok: true,
            detail: detail.into(),
            advice: None,
        }
    }

    /// A failed check with advice.
    pub fn fail(name: &str, detail: impl Into<String>, advice: impl Into<String>) -> Self {
        Check {
            name: name.to_owned(),
            ok: false,
            detail: detail.into(),
            advice: Some(advice.into()),
        }
    }

    /// The check named `name` for a request's outcome, by status class.
    pub fn from_outcome(name: &str, client: &HttpClient, r: &Result<Response, SendError>) -> Self {
        match r {
            Err(e) => Check::fail(
                name,
                format!("{}: {e}", client.base()),
                "retryable: the destination is unreachable; check the URL, the network path, \
                 that the service runs, and (https) the CA",
            ),
            Ok(resp) if (200..300).contains(&resp.status) => {
                Check::pass(name, format!("HTTP {}", resp.status))
            }
            Ok(resp) => {
                let detail = format!("HTTP {}: {}", resp.status, resp.excerpt());
                let advice = match resp.status {
                    401 | 403 => {
                        "configuration: the destination refuses the credentials or \
                                  permissions; fix sink.auth (a run would stop at once)"
                    }
                    408 | 429 | 500..=599 => {
                        "retryable: the destination is busy or failing; \
                                              a run would retry and hold messages meanwhile"
                    }
                    _ => {
                        "permanent: the destination rejects the request; check sink.url, \
                          the path and the preset"
                    }
                };
                Check::fail(name, detail, advice)
            }
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mark = if self.ok { "ok  " } else { "FAIL" };
        write!(f, "{mark} sink {}: {}", self.name, self.detail)?;
        if let Some(a) = &self.advice {
            write!(f, "\n     -> {a}")?;
        }
        Ok(())
    }
}
