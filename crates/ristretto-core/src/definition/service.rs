//! Service definitions: a `Service` as `describe-services` prints it, loaded as
//! the input of `CreateService` (which has every field a service can be
//! created with, including some that the `Service` shape lacks, such as
//! `serviceConnectConfiguration` and `volumeConfigurations`).

use std::path::Path;

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::types::Service;

use super::reader::ReadContext;
use super::{parse_json, read_document, read_only_members};
use crate::error::LoadError;
use crate::path::JsonPath;

/// Loads a service definition from JSON text (already rendered).
///
/// Read-only fields of `describe-services` output (`status`, `deployments`,
/// `events`, `runningCount`, …) are ignored; `null` values are dropped; empty
/// arrays are kept, because `"loadBalancers": []` means "none". The
/// `serviceName` is always `service_name`, the config's `service`.
///
/// # Errors
/// Invalid JSON, an unknown field or a wrong type, each with file, line and
/// JSON path.
pub fn parse_service_definition(
    text: &str,
    file: &Path,
    service_name: &str,
) -> Result<CreateServiceInput, LoadError> {
    let document = parse_json(text, file)?;
    let ctx = ReadContext {
        drop_empty_arrays: false,
        ignored_root_members: read_only_members(Service::SCHEMA, CreateServiceInput::SCHEMA),
        root: JsonPath::root(),
        problems: Vec::new(),
    };
    let mut input = read_document(text, file, "service definition", &document, ctx, |reader| {
        CreateServiceInput::deserialize(reader)
    })?;
    input.service_name = Some(service_name.to_owned());
    Ok(input)
}

/// [`parse_service_definition`], then the rules AWS applies
/// ([`crate::validate::service_definition`]), so a definition AWS would
/// refuse stops before any call.
///
/// # Errors
/// As [`parse_service_definition`], and every broken rule with its line and
/// JSON path.
pub fn load_service_definition(
    text: &str,
    file: &Path,
    service_name: &str,
) -> Result<CreateServiceInput, LoadError> {
    match check_service_definition(text, file, service_name)? {
        (_, Some(broken)) => Err(broken),
        (input, None) => Ok(input),
    }
}

/// [`parse_service_definition`], and separately the rules AWS applies that
/// the loaded value breaks (see `check_task_definition`).
///
/// # Errors
/// As [`parse_service_definition`].
pub fn check_service_definition(
    text: &str,
    file: &Path,
    service_name: &str,
) -> Result<(CreateServiceInput, Option<LoadError>), LoadError> {
    let input = parse_service_definition(text, file, service_name)?;
    let problems = crate::validate::service_definition(&input);
    let broken = super::fail_on(text, file, "service definition", problems).err();
    Ok((input, broken))
}
