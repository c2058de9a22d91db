//! The AWS reads that plugin functions need, as a trait the caller implements.
//!
//! This crate does no I/O against AWS: the binary implements [`AwsLookups`] with SDK clients
//! (bridging to async), tests with an in-memory map. Calls are synchronous because templates
//! are rendered synchronously.

use std::fmt;

/// The type of an SSM parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsmParameterType {
    /// `String`.
    String,
    /// `StringList`: comma-separated values.
    StringList,
    /// `SecureString` (returned decrypted).
    SecureString,
}

impl fmt::Display for SsmParameterType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::String => "String",
            Self::StringList => "StringList",
            Self::SecureString => "SecureString",
        })
    }
}

/// An SSM parameter as `GetParameter(WithDecryption=true)` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsmParameter {
    /// Its type.
    pub kind: SsmParameterType,
    /// Its (decrypted) value.
    pub value: String,
}

/// A failed lookup; `message` is shown to the user after the function's own context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LookupError {
    /// What went wrong, e.g. the AWS error code and message.
    pub message: String,
}

impl LookupError {
    /// A lookup error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Synchronous AWS reads for the plugin functions.
pub trait AwsLookups: Send + Sync {
    /// `ssm:GetParameter` with decryption.
    fn ssm_parameter(&self, name: &str) -> Result<SsmParameter, LookupError>;
    /// `secretsmanager:DescribeSecret`, returning the secret's ARN.
    fn secret_arn(&self, secret_id: &str) -> Result<String, LookupError>;
    /// The value of output `key` of CloudFormation stack `stack`.
    fn cfn_output(&self, stack: &str, key: &str) -> Result<String, LookupError>;
    /// The value of the CloudFormation export `name`.
    fn cfn_export(&self, name: &str) -> Result<String, LookupError>;
    /// The bytes of `s3://bucket/key`.
    fn s3_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, LookupError>;
}

/// Lookups for a run that has no AWS access: every call fails with a clear message.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAwsLookups;

impl NoAwsLookups {
    fn unavailable<T>(what: &str) -> Result<T, LookupError> {
        Err(LookupError::new(format!(
            "{what} is not available: no AWS access was configured"
        )))
    }
}

impl AwsLookups for NoAwsLookups {
    fn ssm_parameter(&self, _: &str) -> Result<SsmParameter, LookupError> {
        Self::unavailable("ssm:GetParameter")
    }
    fn secret_arn(&self, _: &str) -> Result<String, LookupError> {
        Self::unavailable("secretsmanager:DescribeSecret")
    }
    fn cfn_output(&self, _: &str, _: &str) -> Result<String, LookupError> {
        Self::unavailable("cloudformation:DescribeStacks")
    }
    fn cfn_export(&self, _: &str) -> Result<String, LookupError> {
        Self::unavailable("cloudformation:ListExports")
    }
    fn s3_object(&self, _: &str, _: &str) -> Result<Vec<u8>, LookupError> {
        Self::unavailable("s3:GetObject")
    }
}
