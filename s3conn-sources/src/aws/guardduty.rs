//! Amazon GuardDuty findings as exported to S3 (one finding per JSON line, camelCase keys), as
//! the API and CLI write them (`{"Findings":[…]}` or `{"findings":[…]}`, PascalCase or camelCase
//! keys), or wrapped in an EventBridge event (`{"detail-type":"GuardDuty Finding","detail":{…}}`).
//!
//! - time: `updatedAt`, then `createdAt`;
//! - `event_name`: `type` (`Recon:EC2/PortProbeUnprotectedPort`, …);
//! - `event_type`: `service.action.actionType` (`AWS_API_CALL`, `NETWORK_CONNECTION`,
//!   `PORT_PROBE`, `DNS_REQUEST`, `KUBERNETES_API_CALL`, `RDS_LOGIN_ATTEMPT`);
//! - `user`: `resource.accessKeyDetails.userName`, then its `principalId`;
//! - `src_ip`: the remote address of the action (`remoteIpDetails.ipAddressV4` or
//!   `ipAddressV6` of the API call, connection, first port probe, Kubernetes call or RDS login);
//! - `host`: `resource.instanceDetails.instanceId`, then the EKS cluster name, then the first S3
//!   bucket's name;
//! - no `outcome`: a finding is neither.

use s3conn_core::{Event, LogSource, Normalized};
use serde::Deserialize;

use super::fields::ip;
use crate::builtin_source::{builtin_source, builtin_source_accessors};
use crate::lenient::{List, Obj, Text, TimeVal};
use crate::normalize::{self, owned};

/// Registry id of the GuardDuty source.
pub const ID: &str = "aws-guardduty";

builtin_source!(
    /// The Amazon GuardDuty (JSON) source.
    GuardDuty,
    [ID, "AWS GuardDuty (JSON)", "Syslog", "generic_s3_aws_guardduty", "aws"],
    vec!["findings".to_owned(), "Findings".to_owned()]
);

/// The fields of a finding the source reads.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct FindingView<'a> {
    #[serde(borrow, default, alias = "UpdatedAt")]
    updated_at: TimeVal<'a>,
    #[serde(borrow, default, alias = "CreatedAt")]
    created_at: TimeVal<'a>,
    #[serde(borrow, default, rename = "type", alias = "Type")]
    kind: Text<'a>,
    #[serde(borrow, default, alias = "Resource")]
    resource: Obj<Resource<'a>>,
    #[serde(borrow, default, alias = "Service")]
    service: Obj<Service<'a>>,
    /// The finding of an EventBridge event.
    #[serde(borrow, default)]
    detail: Obj<Box<FindingView<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Resource<'a> {
    #[serde(borrow, default, alias = "AccessKeyDetails")]
    access_key_details: Obj<AccessKeyDetails<'a>>,
    #[serde(borrow, default, alias = "InstanceDetails")]
    instance_details: Obj<InstanceDetails<'a>>,
    #[serde(borrow, default, alias = "EksClusterDetails")]
    eks_cluster_details: Obj<Named<'a>>,
    #[serde(borrow, default, alias = "S3BucketDetails")]
    s3_bucket_details: List<Obj<Named<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AccessKeyDetails<'a> {
    #[serde(borrow, default, alias = "UserName")]
    user_name: Text<'a>,
    #[serde(borrow, default, alias = "PrincipalId")]
    principal_id: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct InstanceDetails<'a> {
    #[serde(borrow, default, alias = "InstanceId")]
    instance_id: Text<'a>,
}

/// Anything with a `name`.
#[derive(Deserialize, Default)]
struct Named<'a> {
    #[serde(borrow, default, alias = "Name")]
    name: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Service<'a> {
    #[serde(borrow, default, alias = "Action")]
    action: Obj<Action<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Action<'a> {
    #[serde(borrow, default, alias = "ActionType")]
    action_type: Text<'a>,
    #[serde(borrow, default, alias = "AwsApiCallAction")]
    aws_api_call_action: Obj<Remote<'a>>,
    #[serde(borrow, default, alias = "NetworkConnectionAction")]
    network_connection_action: Obj<Remote<'a>>,
    #[serde(borrow, default, alias = "KubernetesApiCallAction")]
    kubernetes_api_call_action: Obj<Remote<'a>>,
    #[serde(borrow, default, alias = "RdsLoginAttemptAction")]
    rds_login_attempt_action: Obj<Remote<'a>>,
    #[serde(borrow, default, alias = "PortProbeAction")]
    port_probe_action: Obj<PortProbe<'a>>,
}

/// An action with `remoteIpDetails`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Remote<'a> {
    #[serde(borrow, default, alias = "RemoteIpDetails")]
    remote_ip_details: Obj<RemoteIpDetails<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RemoteIpDetails<'a> {
    #[serde(borrow, default, alias = "IpAddressV4")]
    ip_address_v4: Text<'a>,
    #[serde(borrow, default, alias = "IpAddressV6")]
    ip_address_v6: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PortProbe<'a> {
    #[serde(borrow, default, alias = "PortProbeDetails")]
    port_probe_details: List<Obj<Remote<'a>>>,
}

impl Remote<'_> {
    fn ip(&self) -> Option<&str> {
        let r = self.remote_ip_details.get()?;
        ip(r.ip_address_v4.get()).or_else(|| ip(r.ip_address_v6.get()))
    }
}

impl Action<'_> {
    /// The remote address of whichever action the finding describes.
    fn remote_ip(&self) -> Option<&str> {
        [
            &self.aws_api_call_action,
            &self.network_connection_action,
            &self.kubernetes_api_call_action,
            &self.rds_login_attempt_action,
        ]
        .into_iter()
        .find_map(|a| a.get().and_then(Remote::ip))
        .or_else(|| {
            self.port_probe_action.get().and_then(|p| {
                p.port_probe_details
                    .items()
                    .iter()
                    .find_map(|d| d.get().and_then(Remote::ip))
            })
        })
    }
}

impl Resource<'_> {
    fn user(&self) -> Option<&str> {
        let k = self.access_key_details.get()?;
        k.user_name.get().or_else(|| k.principal_id.get())
    }

    fn host(&self) -> Option<&str> {
        self.instance_details
            .get()
            .and_then(|i| i.instance_id.get())
            .or_else(|| self.eks_cluster_details.get().and_then(|c| c.name.get()))
            .or_else(|| {
                self.s3_bucket_details
                    .items()
                    .iter()
                    .find_map(|b| b.get().and_then(|b| b.name.get()))
            })
    }
}

impl FindingView<'_> {
    fn normalized(&self) -> Normalized {
        let resource = self.resource.get();
        let action = self.service.get().and_then(|s| s.action.get());
        normalize::finish(Normalized {
            timestamp_ms: self.updated_at.to_ms().or_else(|| self.created_at.to_ms()),
            event_name: self.kind.owned(),
            event_type: action.and_then(|a| a.action_type.owned()),
            user: owned(resource.and_then(Resource::user)),
            src_ip: owned(action.and_then(Action::remote_ip)),
            host: owned(resource.and_then(Resource::host)),
            ..Normalized::default()
        })
    }
}

impl LogSource for GuardDuty {
    builtin_source_accessors!();

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        let Some(f) = normalize::parse_event::<FindingView<'_>>(event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        match f.detail.get() {
            Some(detail) if f.kind.get().is_none() && !f.updated_at.is_some() => {
                detail.normalized()
            }
            _ => f.normalized(),
        }
    }
}
