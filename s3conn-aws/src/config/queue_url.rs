//! SQS queue URLs: every form AWS issues, and endpoint overrides (moto, LocalStack, ElasticMQ).

use serde::Serialize;

use super::error::ConfigError;

/// Which of the forms AWS (or an emulator) issues a queue URL is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueUrlForm {
    /// `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` (also `sqs-fips.`, `.com.cn`, `.api.aws`).
    Standard,
    /// `https://REGION.queue.amazonaws.com/ACCOUNT/NAME` or `https://queue.amazonaws.com/...`.
    Legacy,
    /// `https://REGION.amazonaws.com/ACCOUNT/NAME`: a regional host without the `sqs.` label.
    Regional,
    /// Any other host: an endpoint override (moto, LocalStack, ElasticMQ), e.g. `http://127.0.0.1:5000/ACCOUNT/NAME`.
    Custom,
}

/// A validated SQS queue URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueUrl {
    /// The URL as configured (trimmed, without a trailing slash).
    pub url: String,
    /// `http` or `https`.
    pub scheme: String,
    /// Host name, lowercase.
    pub host: String,
    /// Explicit port, when given.
    pub port: Option<u16>,
    /// Account id (12 digits on AWS).
    pub account: String,
    /// Queue name.
    pub name: String,
    /// Region the host names, for AWS forms.
    pub region: Option<String>,
    /// Which form the URL is in.
    pub form: QueueUrlForm,
}

impl QueueUrl {
    /// Parses and validates a queue URL in any form AWS issues, or an endpoint-override form.
    pub fn parse(input: &str) -> Result<Self, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            field: "sqs_queue_url",
            reason,
        };
        let url = input.trim().trim_end_matches('/').to_string();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| invalid(format!("{url:?} is not a URL (no scheme)")))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(invalid(format!("scheme {scheme:?} is not http or https")));
        }
        if rest.contains(['?', '#', '@']) || rest.chars().any(|c| c.is_whitespace()) {
            return Err(invalid(
                "a queue URL has no query, fragment, user info or spaces".into(),
            ));
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = split_host_port(authority).map_err(invalid)?;
        let segments: Vec<&str> = path.split('/').collect();
        let [account, name] = segments.as_slice() else {
            return Err(invalid(format!(
                "expected .../ACCOUNT/QUEUE_NAME, got path {path:?}"
            )));
        };
        validate_queue_name(name).map_err(invalid)?;

        let (form, region) = aws_host_form(&host).map_err(invalid)?;
        if form == QueueUrlForm::Custom {
            if account.is_empty()
                || !account
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(format!("account segment {account:?} is not valid")));
            }
        } else if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid(format!("account id {account:?} is not 12 digits")));
        }
        Ok(QueueUrl {
            scheme,
            host,
            port,
            account: account.to_string(),
            name: name.to_string(),
            region,
            form,
            url,
        })
    }

    /// The URL to send in API calls: the canonical `https://sqs.REGION...` form for AWS hosts.
    pub fn api_url(&self) -> String {
        match (&self.form, &self.region) {
            (QueueUrlForm::Custom, _) | (_, None) => self.url.clone(),
            (_, Some(region)) => format!(
                "https://sqs.{region}.{}/{}/{}",
                aws_domain(region),
                self.account,
                self.name
            ),
        }
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{p}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// The queue's ARN in `region` (for bucket notification configurations).
    pub fn arn(&self, region: &str) -> String {
        let partition = if region.starts_with("cn-") {
            "aws-cn"
        } else if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        format!(
            "arn:{partition}:sqs:{region}:{}:{}",
            self.account, self.name
        )
    }
}

fn aws_domain(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// Splits `host[:port]` (or `[IPv6]:port`) and validates both parts.
pub(super) fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    if authority.is_empty() {
        return Err("the URL has no host".into());
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        // [IPv6]:port
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| "unterminated IPv6 address".to_string())?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("unexpected {after:?} after the host")),
        };
        (format!("[{h}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|&n| n != 0)
                .ok_or_else(|| format!("port {p:?} is not a number from 1 to 65535"))?,
        ),
        None => None,
    };
    let host = host.to_ascii_lowercase();
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
    {
        return Err(format!("host {host:?} is not valid"));
    }
    Ok((host, port))
}

fn validate_queue_name(name: &str) -> Result<(), String> {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    let ok = !base.is_empty()
        && name.len() <= 80
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "queue name {name:?} must be 1-80 letters, digits, '-' or '_' (optionally ending in .fifo)"
        ))
    }
}

/// Whether `s` looks like an AWS region name (`us-east-1`, `us-gov-west-1`, `cn-north-1`, ...).
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit()))
}

/// Recognizes the AWS host forms; any non-AWS host is `Custom`.
fn aws_host_form(host: &str) -> Result<(QueueUrlForm, Option<String>), String> {
    let base = host
        .strip_suffix(".amazonaws.com.cn")
        .or_else(|| host.strip_suffix(".amazonaws.com"));
    if let Some(base) = base {
        let labels: Vec<&str> = base.split('.').collect();
        let (form, region) = match labels.as_slice() {
            ["sqs" | "sqs-fips", region] => (QueueUrlForm::Standard, Some(*region)),
            [region, "queue"] => (QueueUrlForm::Legacy, Some(*region)),
            ["queue"] => (QueueUrlForm::Legacy, Some("us-east-1")),
            [region] => (QueueUrlForm::Regional, Some(*region)),
            _ => return Err(format!("{host:?} is not an SQS host name")),
        };
        return match region {
            Some(r) if is_region(r) => Ok((form, Some(r.to_string()))),
            _ => Err(format!("{host:?} does not name a valid region")),
        };
    }
    if let Some(base) = host.strip_suffix(".api.aws") {
        if let Some(region) = base.strip_prefix("sqs.").filter(|r| is_region(r)) {
            return Ok((QueueUrlForm::Standard, Some(region.to_string())));
        }
        return Err(format!("{host:?} is not an SQS host name"));
    }
    Ok((QueueUrlForm::Custom, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_url_forms() {
        let cases = [
            (
                "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                QueueUrlForm::Standard,
                Some("us-east-1"),
            ),
            (
                "https://sqs-fips.us-gov-west-1.amazonaws.com/123456789012/q",
                QueueUrlForm::Standard,
                Some("us-gov-west-1"),
            ),
            (
                "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q",
                QueueUrlForm::Standard,
                Some("cn-north-1"),
            ),
            (
                "https://sqs.eu-central-1.api.aws/123456789012/q",
                QueueUrlForm::Standard,
                Some("eu-central-1"),
            ),
            (
                "https://ap-southeast-2.queue.amazonaws.com/123456789012/q",
                QueueUrlForm::Legacy,
                Some("ap-southeast-2"),
            ),
            (
                "https://queue.amazonaws.com/123456789012/q",
                QueueUrlForm::Legacy,
                Some("us-east-1"),
            ),
            (
                "https://us-west-2.amazonaws.com/123456789012/q",
                QueueUrlForm::Regional,
                Some("us-west-2"),
            ),
            (
                "http://127.0.0.1:5000/123456789012/q",
                QueueUrlForm::Custom,
                None,
            ),
            (
                "http://localhost:9324/queue/q_1",
                QueueUrlForm::Custom,
                None,
            ),
            (
                "http://[::1]:4566/000000000000/q/",
                QueueUrlForm::Custom,
                None,
            ),
        ];
        for (url, form, region) in cases {
            let u = QueueUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(u.form, form, "{url}");
            assert_eq!(u.region.as_deref(), region, "{url}");
            assert_eq!(u.name, if url.contains("q_1") { "q_1" } else { "q" });
        }
        let cn = QueueUrl::parse("https://cn-north-1.queue.amazonaws.com.cn/123456789012/q")
            .expect("valid");
        assert_eq!(
            cn.api_url(),
            "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q"
        );
        assert_eq!(
            cn.arn("cn-north-1"),
            "arn:aws-cn:sqs:cn-north-1:123456789012:q"
        );
        let moto = QueueUrl::parse("http://127.0.0.1:5000/123456789012/q").expect("valid");
        assert_eq!(moto.origin(), "http://127.0.0.1:5000");
        assert_eq!(moto.api_url(), "http://127.0.0.1:5000/123456789012/q");
    }

    #[test]
    fn bad_queue_urls_are_refused() {
        for url in [
            "sqs.us-east-1.amazonaws.com/123456789012/q",
            "ftp://sqs.us-east-1.amazonaws.com/123456789012/q",
            "https://sqs.us-east-1.amazonaws.com/12345/q",
            "https://sqs.us-east-1.amazonaws.com/123456789012",
            "https://sqs.us-east-1.amazonaws.com/123456789012/q/extra",
            "https://sqs.us-east-1.amazonaws.com/123456789012/bad name",
            "https://sqs.us-east-1.amazonaws.com/123456789012/q?x=1",
            "https://sqs.useast1.amazonaws.com/123456789012/q",
            "https://s3.foo.bar.amazonaws.com/123456789012/q",
            "https://user@sqs.us-east-1.amazonaws.com/123456789012/q",
            "http://127.0.0.1:0/123456789012/q",
            "http://127.0.0.1:99999/123456789012/q",
        ] {
            assert!(QueueUrl::parse(url).is_err(), "{url} should be refused");
        }
    }

    #[test]
    fn regions() {
        for r in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "cn-northwest-1",
            "ap-southeast-5",
        ] {
            assert!(is_region(r), "{r}");
        }
        for r in [
            "useast1",
            "us-east",
            "US-EAST-1",
            "us-east-123",
            "u-east-1",
            "",
        ] {
            assert!(!is_region(r), "{r}");
        }
    }
}
