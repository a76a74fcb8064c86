//! Error codes read from a response body the SDK could not decode in its protocol.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::codes::normalize_code;

/// The error code of a response the SDK could not decode in its protocol, read from the raw body.
///
/// Some endpoints answer in another protocol than the one requested: moto, for example, rejects
/// credentials of an SQS JSON request with an XML `<ErrorResponse>`. Without this, such an error
/// would be classified by its HTTP status alone (403: permission) instead of its code
/// (`InvalidClientTokenId`: credentials rejected).
pub fn code_from_body(raw: &HttpResponse) -> Option<String> {
    let bytes = raw.body().bytes()?;
    let text = std::str::from_utf8(&bytes[..bytes.len().min(64 * 1024)]).ok()?;
    let code = if let Some(start) = text.find("<Code>") {
        let rest = &text[start + "<Code>".len()..];
        &rest[..rest.find("</Code>")?]
    } else {
        let start = text.find("\"__type\"")?;
        let rest = &text[start + "\"__type\"".len()..];
        let rest = rest
            .trim_start()
            .strip_prefix(':')?
            .trim_start()
            .strip_prefix('"')?;
        &rest[..rest.find('"')?]
    };
    let code = code.trim();
    (!code.is_empty() && code.len() <= 128).then(|| normalize_code(code))
}
