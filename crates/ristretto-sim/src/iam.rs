//! IAM (`iam`, API version 2010-05-08) and STS (`sts`, 2011-06-15), both over awsQuery like
//! ELBv2 ([`crate::elbv2::query`]): the roles of the world file (`roles:`) for `GetRole`, and
//! `AssumeRole` of a role whose trust policy lets an AWS principal assume it.
//!
//! Roles are rules of the world file (read again on every start, never saved): what they
//! trust is set up beside the simulator, not through it.

use aws_smithy_xml::encode::ScopeWriter;

use crate::elbv2::query::{Params, leaf, response_in};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::RoleSeed;

/// IAM's XML namespace (IAM API reference, GetRole examples).
pub const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
/// STS's XML namespace (STS API reference, AssumeRole examples).
pub const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The creation date every simulated role reports: roles exist before the world starts, and
/// AWS's date is not known here.
const CREATED: &str = "2026-01-01T00:00:00Z";

impl RoleSeed {
    /// The trust policy: the one given, else one that lets the listed services assume the
    /// role (by default `ecs-tasks.amazonaws.com`, what task and execution roles trust).
    pub fn trust_policy(&self) -> String {
        if let Some(doc) = &self.assume_role_policy_document {
            return doc.clone();
        }
        let services = if self.trusted_services.is_empty() {
            vec!["ecs-tasks.amazonaws.com".to_owned()]
        } else {
            self.trusted_services.clone()
        };
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": services},
                "Action": "sts:AssumeRole"
            }]
        })
        .to_string()
    }

    fn arn(&self, account: &str) -> String {
        let path = self.path.as_deref().unwrap_or("/");
        format!("arn:aws:iam::{account}:role{path}{}", self.name)
    }

    /// A stable role ID (`AROA` and 17 characters), derived from the name.
    fn id(&self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut id = String::from("AROA");
        for round in 0..17u64 {
            for b in self.name.bytes() {
                h = (h ^ u64::from(b) ^ round).wrapping_mul(0x0100_0000_01b3);
            }
            id.push(char::from(ALPHABET[usize::try_from(h % 32).unwrap_or(0)]));
        }
        id
    }
}

/// Whether a trust policy lets some AWS principal (an account, user or role) assume the role.
fn trusts_an_aws_principal(policy: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy) else {
        return false;
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(list) => list.clone(),
        single @ serde_json::Value::Object(_) => vec![single.clone()],
        _ => Vec::new(),
    };
    statements
        .iter()
        .any(|s| s["Effect"] == "Allow" && !s["Principal"]["AWS"].is_null())
}

/// The role named by `name` (a name, or the ARN of a role).
fn find<'a>(state: &'a State, name: &str) -> Option<&'a RoleSeed> {
    let name = name.rsplit('/').next().unwrap_or(name);
    state.rules.roles.iter().find(|r| r.name == name)
}

/// IAM API reference, GetRole / Common Errors: `NoSuchEntity`, HTTP 404.
fn no_such_role(name: &str) -> ApiError {
    ApiError::with_status(
        404,
        "NoSuchEntity",
        format!("The role with name {name} cannot be found."),
    )
}

/// Handles one IAM action.
pub fn handle_iam(
    state: &State,
    ctx: &Ctx,
    action: &str,
    body: &[u8],
    request_id: &str,
) -> ApiResult {
    let params = Params::parse(body);
    match action {
        "GetRole" => {
            let name = params.get("RoleName").unwrap_or_default();
            let role = find(state, name).ok_or_else(|| no_such_role(name))?;
            Ok(response_in(IAM_NAMESPACE, "GetRole", request_id, |w| {
                write_role(w, role, &ctx.account);
            })
            .into_bytes())
        }
        _ => Err(invalid_action(action)),
    }
}

fn write_role(w: &mut ScopeWriter<'_, '_>, role: &RoleSeed, account: &str) {
    let mut el = w.start_el("Role").finish();
    leaf(&mut el, "Path", role.path.as_deref().unwrap_or("/"));
    // IAM returns the trust policy URL-encoded (IAM API reference, Role data type:
    // "AssumeRolePolicyDocument … URL-encoded").
    let encoded: String = form_urlencoded::byte_serialize(role.trust_policy().as_bytes()).collect();
    leaf(
        &mut el,
        "AssumeRolePolicyDocument",
        &encoded.replace('+', "%20"),
    );
    leaf(&mut el, "RoleId", &role.id());
    leaf(&mut el, "RoleName", &role.name);
    leaf(&mut el, "Arn", &role.arn(account));
    leaf(&mut el, "CreateDate", CREATED);
    leaf(&mut el, "MaxSessionDuration", "3600");
    el.finish();
}

/// Handles one STS action.
pub fn handle_sts(
    state: &State,
    ctx: &Ctx,
    action: &str,
    body: &[u8],
    request_id: &str,
) -> ApiResult {
    let params = Params::parse(body);
    match action {
        "AssumeRole" => {
            let arn = params.get("RoleArn").unwrap_or_default();
            let session = params.get("RoleSessionName").unwrap_or("session");
            // STS API reference, AssumeRole / Errors: a caller the trust policy does not name
            // gets AccessDenied (HTTP 403); the simulator's caller is an AWS principal, so a
            // role is assumable when its trust policy allows one.
            let role = find(state, arn)
                .filter(|r| trusts_an_aws_principal(&r.trust_policy()))
                .ok_or_else(|| {
                    ApiError::with_status(
                        403,
                        "AccessDenied",
                        format!(
                            "User: arn:aws:iam::{}:user/local is not authorized to perform: sts:AssumeRole on resource: {arn}",
                            ctx.account
                        ),
                    )
                })?;
            let expires = crate::clock::timestamp(ctx.now + 3600.0)
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap_or_default();
            Ok(response_in(STS_NAMESPACE, "AssumeRole", request_id, |w| {
                let mut creds = w.start_el("Credentials").finish();
                leaf(&mut creds, "AccessKeyId", "ASIASIMULATEDLOCAL00");
                leaf(&mut creds, "SecretAccessKey", "simulated");
                leaf(&mut creds, "SessionToken", "simulated-session-token");
                leaf(&mut creds, "Expiration", &expires);
                creds.finish();
                let mut user = w.start_el("AssumedRoleUser").finish();
                leaf(
                    &mut user,
                    "AssumedRoleId",
                    &format!("{}:{session}", role.id()),
                );
                leaf(
                    &mut user,
                    "Arn",
                    &format!(
                        "arn:aws:sts::{}:assumed-role/{}/{session}",
                        ctx.account, role.name
                    ),
                );
                user.finish();
            })
            .into_bytes())
        }
        _ => Err(invalid_action(action)),
    }
}

/// awsQuery's answer to an action the service does not have (Common Errors: InvalidAction).
fn invalid_action(action: &str) -> ApiError {
    ApiError::new(
        "InvalidAction",
        format!("The action {action} is not valid for this web service."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(yaml: &str) -> RoleSeed {
        yaml_serde::from_str(yaml).expect("role")
    }

    // IAM API reference, Role: AssumeRolePolicyDocument is URL-encoded JSON.
    #[test]
    fn the_default_trust_policy_trusts_ecs_tasks_and_is_url_encoded() {
        let r = role("name: exec");
        assert!(r.trust_policy().contains("ecs-tasks.amazonaws.com"));
        let mut doc = String::new();
        let mut writer = aws_smithy_xml::encode::XmlWriter::new(&mut doc);
        let mut root = writer.start_el("R").finish();
        write_role(&mut root, &r, "123456789012");
        root.finish();
        assert!(doc.contains("%22ecs-tasks.amazonaws.com%22"), "{doc}");
        assert!(
            doc.contains("<Arn>arn:aws:iam::123456789012:role/exec</Arn>"),
            "{doc}"
        );
        assert!(
            r.id().starts_with("AROA") && r.id().len() == 21,
            "{}",
            r.id()
        );
    }

    // STS API reference, AssumeRole: only principals the trust policy names may assume it.
    #[test]
    fn only_a_policy_naming_an_aws_principal_is_assumable() {
        assert!(!trusts_an_aws_principal(&role("name: exec").trust_policy()));
        let doc = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}}"#;
        assert!(trusts_an_aws_principal(doc));
    }
}
