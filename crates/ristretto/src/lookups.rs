//! The AWS reads of template functions (`ssm`, `secretsmanager_arn`,
//! `cfn_output`, `cfn_export`, `tfstate` from `s3://`), done with the SDK.
//!
//! Templates render synchronously; each lookup blocks the current worker
//! thread on the async call (the runtime is multi-threaded, so other tasks
//! keep running). The clients are built on the first lookup, so a template
//! that looks nothing up never loads AWS configuration.

use aws_sdk_ssm::types::ParameterType;
use ristretto_template::{AwsLookups, LookupError, SsmParameter, SsmParameterType};

use crate::aws::{Clients, Target};
use crate::settings::Settings;

/// [`AwsLookups`] over the SDK clients.
pub struct SdkLookups {
    settings: Settings,
    region: Option<String>,
    target: Target,
    clients: std::sync::OnceLock<Clients>,
    runtime: tokio::runtime::Handle,
    /// Where SecureString values go, so no output shows them.
    secrets: ristretto_core::secrets::Secrets,
}

impl SdkLookups {
    /// Lookups for a config whose region is `region`, run on the current
    /// tokio runtime. Every SecureString value read is added to `secrets`
    /// (the set every output is masked with).
    pub fn new(
        settings: Settings,
        region: Option<String>,
        target: Target,
        secrets: ristretto_core::secrets::Secrets,
    ) -> Self {
        Self {
            settings,
            region,
            target,
            clients: std::sync::OnceLock::new(),
            runtime: tokio::runtime::Handle::current(),
            secrets,
        }
    }

    fn clients(&self) -> &Clients {
        self.clients.get_or_init(|| {
            self.block(Clients::new(
                &self.settings,
                self.region.as_deref(),
                &self.target,
            ))
        })
    }

    fn block<F: std::future::Future>(&self, future: F) -> F::Output {
        tokio::task::block_in_place(|| self.runtime.block_on(future))
    }
}

fn failed<E: std::error::Error + 'static>(what: &str, error: E) -> LookupError {
    LookupError::new(format!(
        "{what} failed: {}",
        ristretto_ecs::error::chain(&error)
    ))
}

impl AwsLookups for SdkLookups {
    fn ssm_parameter(&self, name: &str) -> Result<SsmParameter, LookupError> {
        let out = self
            .block(
                self.clients()
                    .ssm
                    .get_parameter()
                    .name(name)
                    .with_decryption(true)
                    .send(),
            )
            .map_err(|e| failed("ssm:GetParameter", e))?;
        let parameter = out
            .parameter
            .ok_or_else(|| LookupError::new(format!("parameter {name} not found")))?;
        let kind = match parameter.r#type {
            Some(ParameterType::StringList) => SsmParameterType::StringList,
            Some(ParameterType::SecureString) => SsmParameterType::SecureString,
            _ => SsmParameterType::String,
        };
        let value = parameter.value.unwrap_or_default();
        if kind == SsmParameterType::SecureString {
            self.secrets.add([&value]);
        }
        Ok(SsmParameter { kind, value })
    }

    fn secret_arn(&self, secret_id: &str) -> Result<String, LookupError> {
        let out = self
            .block(
                self.clients()
                    .secrets
                    .describe_secret()
                    .secret_id(secret_id)
                    .send(),
            )
            .map_err(|e| failed("secretsmanager:DescribeSecret", e))?;
        out.arn
            .ok_or_else(|| LookupError::new(format!("secret {secret_id} has no ARN")))
    }

    fn cfn_output(&self, stack: &str, key: &str) -> Result<String, LookupError> {
        self.block(cfn_output(&self.clients().cloudformation, stack, key))
    }

    fn cfn_export(&self, name: &str) -> Result<String, LookupError> {
        self.block(cfn_export(&self.clients().cloudformation, name))
    }

    fn s3_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, LookupError> {
        let out = self
            .block(
                self.clients()
                    .s3
                    .get_object()
                    .bucket(bucket)
                    .key(key)
                    .send(),
            )
            .map_err(|e| failed("s3:GetObject", e))?;
        let body = self
            .block(out.body.collect())
            .map_err(|e| failed("reading the S3 object", e))?;
        Ok(body.into_bytes().to_vec())
    }
}

/// A CloudFormation stack's output value.
async fn cfn_output(
    cfn: &aws_sdk_cloudformation::Client,
    stack: &str,
    key: &str,
) -> Result<String, LookupError> {
    let out = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| failed("cloudformation:DescribeStacks", e))?;
    out.stacks()
        .iter()
        .flat_map(|s| s.outputs())
        .find(|o| o.output_key() == Some(key))
        .and_then(|o| o.output_value().map(str::to_owned))
        .ok_or_else(|| LookupError::new(format!("stack {stack} has no output {key}")))
}

/// A CloudFormation export's value, paging through `ListExports`.
async fn cfn_export(
    cfn: &aws_sdk_cloudformation::Client,
    name: &str,
) -> Result<String, LookupError> {
    let mut pages = cfn.list_exports().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| failed("cloudformation:ListExports", e))?;
        if let Some(value) = page
            .exports()
            .iter()
            .find(|e| e.name() == Some(name))
            .and_then(|e| e.value())
        {
            return Ok(value.to_owned());
        }
    }
    Err(LookupError::new(format!(
        "no CloudFormation export named {name}"
    )))
}

#[cfg(test)]
mod tests {
    //! CloudFormation cannot be expressed by the simulator, so these use the
    //! SDK's own mocking interceptors.

    use aws_sdk_cloudformation::Client;
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
    use aws_sdk_cloudformation::operation::list_exports::ListExportsOutput;
    use aws_sdk_cloudformation::types::{Export, Output, Stack};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::{cfn_export, cfn_output};

    fn network_stack() -> aws_smithy_mocks::Rule {
        mock!(Client::describe_stacks)
            .match_requests(|r| r.stack_name() == Some("network"))
            .then_output(|| {
                DescribeStacksOutput::builder()
                    .stacks(
                        Stack::builder()
                            .stack_name("network")
                            .outputs(
                                Output::builder()
                                    .output_key("VpcId")
                                    .output_value("vpc-123")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            })
    }

    #[tokio::test]
    async fn cfn_output_finds_the_key_of_the_named_stack() {
        let rule = network_stack();
        let cfn = mock_client!(aws_sdk_cloudformation, [&rule]);
        assert_eq!(
            cfn_output(&cfn, "network", "VpcId").await.expect("found"),
            "vpc-123"
        );
        let rule = network_stack();
        let cfn = mock_client!(aws_sdk_cloudformation, [&rule]);
        let missing = cfn_output(&cfn, "network", "SubnetId")
            .await
            .expect_err("no such output");
        assert!(
            missing.message.contains("has no output SubnetId"),
            "{}",
            missing.message
        );
    }

    #[tokio::test]
    async fn cfn_export_pages_through_list_exports() {
        let first = mock!(Client::list_exports)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| {
                ListExportsOutput::builder()
                    .exports(Export::builder().name("other").value("x").build())
                    .next_token("page-2")
                    .build()
            });
        let second = mock!(Client::list_exports)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(|| {
                ListExportsOutput::builder()
                    .exports(Export::builder().name("app-sg").value("sg-9").build())
                    .build()
            });
        let cfn = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&first, &second]
        );
        assert_eq!(cfn_export(&cfn, "app-sg").await.expect("found"), "sg-9");
        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    }
}
