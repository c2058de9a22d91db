//! The live service as the read-only commands see it: read through the ECS
//! driver, with a warning for a DRAINING service and the not-found error
//! that says what to do.

use aws_sdk_ecs::types::Service;

use crate::aws::Clients;
use crate::exit::Exit;
use crate::printer::Printer;
use crate::report::CliError;

/// The error for a service that does not exist (or was deleted).
pub fn service_not_found(service: &str, cluster: &str, why: &str) -> CliError {
    CliError {
        exit: Exit::Failure,
        error: anyhow::anyhow!("service `{service}` {why} in cluster `{cluster}`"),
        hint: Some(
            "create it with `ristretto create` (or `ristretto deploy`), or check `service` and `cluster` in the config"
                .to_owned(),
        ),
    }
}

/// The live service with its tags; `None` when it does not exist or is
/// INACTIVE (deleted). A DRAINING service is returned with a warning.
///
/// # Errors
/// AWS errors.
pub async fn describe_service(
    clients: &Clients,
    printer: &Printer,
    cluster: &str,
    service: &str,
) -> Result<Option<Service>, CliError> {
    let found = ristretto_ecs::service::describe_service(&clients.ecs, cluster, service).await?;
    if found.as_ref().and_then(Service::status) == Some("DRAINING") {
        printer.warn(&format!("service `{service}` is DRAINING"));
    }
    Ok(found)
}

/// The service, or the not-found error.
///
/// # Errors
/// AWS errors, or the service does not exist.
pub async fn require_service(
    clients: &Clients,
    printer: &Printer,
    cluster: &str,
    service: &str,
) -> Result<Service, CliError> {
    describe_service(clients, printer, cluster, service)
        .await?
        .ok_or_else(|| service_not_found(service, cluster, "is not found"))
}
