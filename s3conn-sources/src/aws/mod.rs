//! AWS's own service logs, one module per source, each behind its cargo feature:
//!
//! | id | reads | time | msg_class |
//! |---|---|---|---|
//! | `aws-vpcflow` | VPC Flow Logs v2–8 (text, header line) | `end` | generic_s3_aws_vpcflow |
//! | `aws-alb` | ALB access + connection, classic ELB, NLB logs (text) | `request_creation_time` / `time` | generic_s3_aws_alb |
//! | `aws-cloudfront` | CloudFront standard logs (W3C text) | `date` + `time` | generic_s3_aws_cloudfront |
//! | `aws-s3-access` | S3 server access logs (text) | `[time]` | generic_s3_aws_s3_access |
//! | `aws-waf` | WAF web ACL logs (JSON, Firehose back to back) | `timestamp` | generic_s3_aws_waf |
//! | `aws-guardduty` | GuardDuty findings (JSON) | `updatedAt` | generic_s3_aws_guardduty |
//! | `aws-route53-resolver` | Route 53 Resolver query logs (JSON) | `query_timestamp` | generic_s3_aws_route53_resolver |
//! | `aws-config` | AWS Config snapshots and history (JSON) | `configurationItemCaptureTime` | generic_s3_aws_config |
//!
//! All of them: index `Syslog`, vendor `aws`, category `paas`.

#[allow(dead_code)]
mod fields;

#[cfg(feature = "alb")]
pub mod alb;
#[cfg(feature = "awsconfig")]
pub mod aws_config;
#[cfg(feature = "cloudfront")]
pub mod cloudfront;
#[cfg(feature = "guardduty")]
pub mod guardduty;
#[cfg(feature = "route53-resolver")]
pub mod route53_resolver;
#[cfg(feature = "s3-access")]
pub mod s3_access;
#[cfg(feature = "vpcflow")]
pub mod vpcflow;
#[cfg(feature = "waf")]
pub mod waf;

#[cfg(feature = "alb")]
pub use alb::Alb;
#[cfg(feature = "awsconfig")]
pub use aws_config::AwsConfig;
#[cfg(feature = "cloudfront")]
pub use cloudfront::CloudFront;
#[cfg(feature = "guardduty")]
pub use guardduty::GuardDuty;
#[cfg(feature = "route53-resolver")]
pub use route53_resolver::Route53Resolver;
#[cfg(feature = "s3-access")]
pub use s3_access::S3Access;
#[cfg(feature = "vpcflow")]
pub use vpcflow::VpcFlow;
#[cfg(feature = "waf")]
pub use waf::Waf;
