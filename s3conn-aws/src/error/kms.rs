//! Recognising an SSE-KMS denial: S3 refused to decrypt an object because the caller may not use
//! its KMS key. S3 reports it as `AccessDenied` whose message names `kms:Decrypt` (or KMS), or
//! with a `KMS.*` / `Kms*` error code.

/// Whether an error code and message say that a KMS key denied access.
pub fn is_kms_denial(code: Option<&str>, message: &str) -> bool {
    let code = code.unwrap_or_default();
    if code.starts_with("KMS.") || code.starts_with("Kms") {
        return !code.contains("Throttl");
    }
    let m = message.to_ascii_lowercase();
    (code.is_empty() || code.contains("AccessDenied"))
        && (m.contains("kms:") || m.contains("kms key") || m.contains(":kms:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kms_denials_are_recognised() {
        let aws = "User: arn:aws:sts::111122223333:assumed-role/reader/s is not authorized to perform: \
                   kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd because \
                   no identity-based policy allows the kms:Decrypt action";
        assert!(is_kms_denial(Some("AccessDenied"), aws));
        assert!(is_kms_denial(Some("KMS.DisabledException"), ""));
        assert!(is_kms_denial(Some("KMS.NotFoundException"), ""));
        assert!(is_kms_denial(Some("KmsAccessDenied"), ""));
        assert!(!is_kms_denial(Some("KMS.ThrottlingException"), ""));
        assert!(!is_kms_denial(Some("AccessDenied"), "Access Denied"));
        assert!(!is_kms_denial(Some("NoSuchKey"), "kms: irrelevant"));
    }
}
