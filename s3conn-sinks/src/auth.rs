//! How requests authenticate: bearer token, basic, Splunk token or a custom header.

use base64::Engine;

/// The credentials sent with every request.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// `Authorization: Bearer TOKEN`.
    Bearer(String),
    /// `Authorization: Basic base64(USER:PASSWORD)`.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// `Authorization: Splunk TOKEN` (HEC).
    Splunk(String),
    /// `Authorization: ApiKey KEY` (Elasticsearch API keys, the base64 of `id:key`).
    ApiKey(String),
    /// Any header, e.g. `X-API-Key: …`.
    Header {
        /// Header name.
        name: String,
        /// Header value.
        value: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Auth::None => "none",
            Auth::Bearer(_) => "bearer ****",
            Auth::Basic { .. } => "basic ****",
            Auth::Splunk(_) => "splunk ****",
            Auth::ApiKey(_) => "api-key ****",
            Auth::Header { .. } => "header ****",
        };
        f.write_str(kind)
    }
}

impl Auth {
    /// The header to send, if any.
    pub fn header(&self) -> Option<(String, String)> {
        let authorization = |v: String| Some(("authorization".to_owned(), v));
        match self {
            Auth::None => None,
            Auth::Bearer(t) => authorization(format!("Bearer {t}")),
            Auth::Basic { user, password } => authorization(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
            Auth::Splunk(t) => authorization(format!("Splunk {t}")),
            Auth::ApiKey(k) => authorization(format!("ApiKey {k}")),
            Auth::Header { name, value } => Some((name.clone(), value.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Auth;

    #[test]
    fn headers_and_no_secret_in_debug() {
        let basic = Auth::Basic {
            user: "default".into(),
            password: "pw".into(),
        };
        assert_eq!(
            basic.header(),
            Some(("authorization".into(), "Basic ZGVmYXVsdDpwdw==".into()))
        );
        assert_eq!(
            Auth::Splunk("t".into()).header().map(|h| h.1),
            Some("Splunk t".into())
        );
        assert!(!format!("{basic:?}").contains("pw"));
        assert_eq!(Auth::None.header(), None);
    }
}
