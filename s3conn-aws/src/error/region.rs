//! Where S3 says a bucket is: the `x-amz-bucket-region` header of a redirect (301
//! `PermanentRedirect`, also sent on `HeadBucket`), else the `<Region>` of an
//! `AuthorizationHeaderMalformed` body, else the regional `<Endpoint>` of a redirect body.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::config::is_region;

/// The region a response says the bucket is in, when it says one.
pub fn region_hint(raw: &HttpResponse) -> Option<String> {
    if let Some(r) = raw.headers().get("x-amz-bucket-region") {
        return valid(r);
    }
    let bytes = raw.body().bytes()?;
    let text = std::str::from_utf8(&bytes[..bytes.len().min(64 * 1024)]).ok()?;
    if let Some(r) = element(text, "Region") {
        return valid(r);
    }
    // `bucket.s3.eu-west-1.amazonaws.com`, `s3-eu-west-1.amazonaws.com`, `s3.dualstack.…`.
    let endpoint = element(text, "Endpoint")?;
    endpoint
        .split('.')
        .map(|label| label.strip_prefix("s3-").unwrap_or(label))
        .find(|label| is_region(label))
        .map(str::to_string)
}

/// Whether an error says the request went to the wrong region for its bucket.
pub fn is_wrong_region(status: Option<u16>, code: Option<&str>) -> bool {
    matches!(status, Some(301) | Some(307))
        || matches!(
            code,
            Some(
                "PermanentRedirect"
                    | "TemporaryRedirect"
                    | "AuthorizationHeaderMalformed"
                    | "IllegalLocationConstraintException"
            )
        )
}

fn valid(region: &str) -> Option<String> {
    let r = region.trim();
    is_region(r).then(|| r.to_string())
}

/// The text of the first `<tag>` element.
fn element<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let len = text[start..].find(&format!("</{tag}>"))?;
    Some(&text[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn response(status: u16, header: Option<&str>, body: &str) -> HttpResponse {
        let mut r = HttpResponse::new(
            StatusCode::try_from(status).expect("status"),
            SdkBody::from(body.to_string()),
        );
        if let Some(h) = header {
            r.headers_mut().insert("x-amz-bucket-region", h.to_string());
        }
        r
    }

    #[test]
    fn the_header_wins_then_the_region_then_the_endpoint() {
        let redirect = "<Error><Code>PermanentRedirect</Code><Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint></Error>";
        assert_eq!(
            region_hint(&response(301, Some("ap-south-1"), redirect)).as_deref(),
            Some("ap-south-1")
        );
        assert_eq!(
            region_hint(&response(301, None, redirect)).as_deref(),
            Some("eu-west-1")
        );
        let malformed =
            "<Error><Code>AuthorizationHeaderMalformed</Code><Region>us-west-2</Region></Error>";
        assert_eq!(
            region_hint(&response(400, None, malformed)).as_deref(),
            Some("us-west-2")
        );
        let legacy = "<Error><Endpoint>b.s3-eu-central-1.amazonaws.com</Endpoint></Error>";
        assert_eq!(
            region_hint(&response(301, None, legacy)).as_deref(),
            Some("eu-central-1")
        );
        assert_eq!(region_hint(&response(301, Some("not a region"), "")), None);
        assert_eq!(region_hint(&response(403, None, "<Error/>")), None);
    }
}
