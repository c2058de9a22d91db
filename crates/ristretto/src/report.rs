//! Errors as the user sees them: `error:`, details, `caused by:`, `hint:`,
//! and the exit code each kind of failure maps to.

use ristretto_codedeploy::CodeDeployError;
use ristretto_core::LoadError;
use ristretto_core::aws_error::{AwsError, Failure};
use ristretto_core::poll::Signal;
use ristretto_ecs::EcsError;

use crate::exit::Exit;
use crate::printer::Printer;

/// A failed command: what went wrong, and how the process exits.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// The error and its causes.
    pub error: anyhow::Error,
    /// What to do about it.
    pub hint: Option<String>,
}

impl From<LoadError> for CliError {
    fn from(error: LoadError) -> Self {
        let hint = error.hint();
        Self {
            exit: Exit::BadInput,
            error: error.into(),
            hint,
        }
    }
}

impl From<EcsError> for CliError {
    fn from(error: EcsError) -> Self {
        let (exit, hint) = match &error {
            EcsError::Invalid { hint, .. } => (Exit::BadInput, hint.clone()),
            // Nothing changed, but the request was fine: the service is doing something else.
            EcsError::Conflict { hint, .. } => (Exit::Failure, hint.clone()),
            EcsError::ServiceNotFound { .. } => (
                Exit::Failure,
                Some(
                    "create it with `ristretto create` (or `deploy` with a `service_definition`)"
                        .to_owned(),
                ),
            ),
            EcsError::TimedOut { .. } => (
                Exit::TimedOut,
                Some(
                    "the deployment goes on; follow it with `ristretto wait`, or raise `timeout`"
                        .to_owned(),
                ),
            ),
            EcsError::Stalled { .. } => (
                Exit::TimedOut,
                Some(
                    "the deployment goes on; follow it with `ristretto wait`, or raise `--no-progress-timeout`"
                        .to_owned(),
                ),
            ),
            EcsError::DeploymentFailed { .. } => (Exit::Failure, None),
            EcsError::Aws(e) => (aws_exit(e), aws_hint(e)),
        };
        Self {
            exit,
            error: error.into(),
            hint,
        }
    }
}

impl From<CodeDeployError> for CliError {
    fn from(error: CodeDeployError) -> Self {
        let error = match error {
            CodeDeployError::Ecs(ecs) => return ecs.into(),
            other => other,
        };
        let (exit, hint) = match &error {
            CodeDeployError::Invalid { hint, .. } => (Exit::BadInput, hint.clone()),
            CodeDeployError::GroupNotFound { .. } => (
                Exit::Failure,
                Some(
                    "name them in the config: `codedeploy: {application_name: …, deployment_group_name: …}`, or add the service to the group's `ecsServices`"
                        .to_owned(),
                ),
            ),
            CodeDeployError::AppSpec(_) => (
                Exit::Failure,
                Some(
                    "CodeDeploy shifts traffic through a load balancer: set `loadBalancers` with `containerName` and `containerPort` in the service definition"
                        .to_owned(),
                ),
            ),
            CodeDeployError::TimedOut { .. } => (
                Exit::TimedOut,
                Some(
                    "the deployment goes on; follow it with `ristretto wait`, or raise `timeout`"
                        .to_owned(),
                ),
            ),
            CodeDeployError::Stalled { .. } => (
                Exit::TimedOut,
                Some(
                    "the deployment goes on; follow it with `ristretto wait`, or raise `--no-progress-timeout`"
                        .to_owned(),
                ),
            ),
            CodeDeployError::Busy { rollback, .. } => (
                Exit::Failure,
                Some(if *rollback {
                    "CodeDeploy is rolling back a failed or stopped deployment: follow it with `ristretto wait`, then deploy again".to_owned()
                } else {
                    "follow it with `ristretto wait`, or stop it with `ristretto rollback`, then deploy again".to_owned()
                }),
            ),
            CodeDeployError::DeploymentFailed(_) | CodeDeployError::Ecs(_) => {
                (Exit::Failure, None)
            }
            CodeDeployError::Aws(e) => (aws_exit(e), aws_hint(e)),
        };
        Self {
            exit,
            error: error.into(),
            hint,
        }
    }
}

/// The calls that carry the definitions of the config (task definition, service definition).
const DEFINITION_CALLS: [&str; 3] = ["RegisterTaskDefinition", "CreateService", "UpdateService"];

/// The error codes with which AWS refuses a request as invalid (it changed nothing).
const REJECTED: [&str; 2] = ["ClientException", "InvalidParameterException"];

/// The exit code of a failed AWS call: bad input (2) when AWS refused a definition as invalid
/// (classified by error code and operation, never by message), a failure (1) otherwise. The
/// deploy undoes its own registration when the service change is refused
/// (`ristretto_ecs::deploy::execute`), so that "nothing was changed" holds.
fn aws_exit(error: &AwsError) -> Exit {
    let rejected = error.code.as_deref().is_some_and(|c| REJECTED.contains(&c))
        && DEFINITION_CALLS.contains(&error.operation);
    if rejected {
        Exit::BadInput
    } else {
        Exit::Failure
    }
}

/// The one table of hints for failed AWS calls: by AWS error code (ECS,
/// CodeDeploy, credentials), else by what kind of failure it was.
fn aws_hint(error: &AwsError) -> Option<String> {
    let hint = match error.code.as_deref() {
        Some("ClusterNotFoundException") => "check `cluster` in the config, and the region",
        Some("ServiceNotActiveException") => {
            "the service was deleted; create it again with `ristretto create`"
        }
        Some("AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation") => {
            "the AWS identity in use lacks this permission"
        }
        Some("UnrecognizedClientException" | "InvalidClientTokenId" | "ExpiredTokenException") => {
            "check the AWS credentials (profile, environment, --assume-role-arn)"
        }
        Some("ClientException" | "InvalidParameterException")
            if DEFINITION_CALLS.contains(&error.operation) =>
        {
            "AWS refused the definition as it is: correct the task or service definition file (`ristretto render` shows what is sent)"
        }
        Some("DeploymentLimitExceededException") => {
            "a deployment is already in progress: follow it with `ristretto wait`"
        }
        Some("DeploymentConfigDoesNotExistException") => {
            "check `codedeploy.deployment_config_name` in the config"
        }
        Some("ApplicationDoesNotExistException" | "DeploymentGroupDoesNotExistException") => {
            "check `codedeploy.application_name` and `codedeploy.deployment_group_name` in the config"
        }
        _ => match error.failure {
            Failure::Network => {
                "check the network, the region and --endpoint-url; --local runs against the built-in simulator"
            }
            Failure::Construction => {
                "set a region: --region, `region` in the config, or AWS_REGION"
            }
            Failure::Service | Failure::Answer => return None,
        },
    };
    Some(hint.to_owned())
}

impl From<ristretto_core::definition::WireError> for CliError {
    fn from(error: ristretto_core::definition::WireError) -> Self {
        Self {
            exit: Exit::Failure,
            error: error.into(),
            hint: None,
        }
    }
}

/// A signal (Ctrl-C, SIGTERM, SIGHUP) while waiting: exit 128 + its number,
/// and `what` goes on without us (`the deployment goes on in ECS`).
pub fn interrupted(signal: Signal, what: &str, hint: Option<String>) -> CliError {
    CliError {
        exit: Exit::Interrupted(signal),
        error: anyhow::anyhow!("interrupted by {}; {what}", signal.name()),
        hint,
    }
}

/// A signal while following a deployment of `system` (ECS, CodeDeploy).
pub fn deployment_interrupted(signal: Signal, system: &str) -> CliError {
    interrupted(
        signal,
        &format!("the deployment goes on in {system}"),
        Some(
            "follow it with `ristretto wait` (same --config), or see it with `ristretto status`"
                .to_owned(),
        ),
    )
}

/// A bad-input error (exit code 2) with an optional hint.
pub fn bad_input(message: impl Into<String>, hint: Option<&str>) -> CliError {
    CliError {
        exit: Exit::BadInput,
        error: anyhow::anyhow!(message.into()),
        hint: hint.map(str::to_owned),
    }
}

/// A failure (exit code 1) with an optional hint.
pub fn failure(message: impl Into<String>, hint: Option<&str>) -> CliError {
    CliError {
        exit: Exit::Failure,
        error: anyhow::anyhow!(message.into()),
        hint: hint.map(str::to_owned),
    }
}

/// The failed AWS call behind `error`, if that is what it is.
fn aws_error(error: &anyhow::Error) -> Option<&AwsError> {
    error.chain().find_map(|e| {
        e.downcast_ref::<AwsError>()
            .or_else(|| match e.downcast_ref::<EcsError>() {
                Some(EcsError::Aws(aws)) => Some(aws),
                _ => None,
            })
            .or_else(|| match e.downcast_ref::<CodeDeployError>() {
                Some(CodeDeployError::Aws(aws) | CodeDeployError::Ecs(EcsError::Aws(aws))) => {
                    Some(aws)
                }
                _ => None,
            })
    })
}

/// When `error` is a call that got no answer, the hint names where it was
/// sent (`endpoint`: the `--endpoint-url`, the local simulator, or AWS) and
/// what usually fixes it.
#[must_use]
pub fn with_endpoint(mut error: CliError, endpoint: &Endpoint<'_>) -> CliError {
    if aws_error(&error.error).is_some_and(|aws| aws.failure == Failure::Network) {
        error.hint = Some(match endpoint {
            Endpoint::Given(url) => format!(
                "nothing answered at {url}: check --endpoint-url (or RISTRETTO_ENDPOINT_URL); to use the built-in simulator, use --local instead"
            ),
            Endpoint::Local(url) => {
                format!("the local simulator at {url} stopped answering")
            }
            Endpoint::Aws(region) => format!(
                "AWS did not answer (region {}, or AWS_ENDPOINT_URL if set): check the network and the region; --local runs against the built-in simulator",
                region.unwrap_or("from the environment")
            ),
        });
    }
    error
}

/// Where AWS calls were sent.
#[derive(Debug, Clone, Copy)]
pub enum Endpoint<'a> {
    /// `--endpoint-url`.
    Given(&'a str),
    /// The `--local` simulator.
    Local(&'a str),
    /// AWS itself, in this region when known.
    Aws(Option<&'a str>),
}

/// Prints `error` through `printer`.
pub fn print(printer: &Printer, error: &CliError) {
    print_labeled(printer, None, error);
}

/// Prints `error` of one service (`label` = `service/cluster`) when several run.
pub fn print_labeled(printer: &Printer, label: Option<&str>, error: &CliError) {
    let details = match (
        error.error.downcast_ref::<LoadError>(),
        error.error.downcast_ref::<EcsError>(),
        error.error.downcast_ref::<CodeDeployError>(),
    ) {
        (Some(load), _, _) => load.details(),
        (_, Some(ecs), _) => ecs
            .diagnosis()
            .map(ristretto_core::diagnosis::Diagnosis::lines)
            .unwrap_or_default(),
        (_, _, Some(cd)) => cd.details(),
        _ => Vec::new(),
    };
    let causes: Vec<String> = error
        .error
        .chain()
        .skip(1)
        .map(ToString::to_string)
        .collect();
    let message = match label {
        Some(label) => format!("{label}: {}", error.error),
        None => error.error.to_string(),
    };
    printer.error(&message, &details, &causes, error.hint.as_deref());
}

#[cfg(test)]
mod tests {
    use super::*;
    use ristretto_core::aws_error::Failure;

    fn aws(operation: &'static str, code: &str) -> AwsError {
        AwsError {
            operation,
            code: Some(code.to_owned()),
            message: "Fargate only supports network mode 'awsvpc'.".to_owned(),
            failure: Failure::Service,
            status: Some(400),
            cause: None,
        }
    }

    #[test]
    fn a_definition_aws_refuses_is_bad_input_by_code_and_operation() {
        for op in ["RegisterTaskDefinition", "CreateService", "UpdateService"] {
            for code in ["ClientException", "InvalidParameterException"] {
                assert_eq!(aws_exit(&aws(op, code)), Exit::BadInput, "{op} {code}");
                assert!(aws_hint(&aws(op, code)).is_some());
            }
        }
        assert_eq!(
            aws_exit(&aws("UpdateService", "ThrottlingException")),
            Exit::Failure
        );
        assert_eq!(
            aws_exit(&aws("DescribeServices", "InvalidParameterException")),
            Exit::Failure
        );
        let cli: CliError = EcsError::Aws(aws("RegisterTaskDefinition", "ClientException")).into();
        assert_eq!(cli.exit, Exit::BadInput);
        assert!(
            cli.error
                .to_string()
                .contains("Fargate only supports network mode 'awsvpc'.")
        );
    }
}
