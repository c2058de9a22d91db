//! Errors: [`SimError`] for the embedding program (start, load, save), and [`ApiError`] for
//! what a simulated AWS API answers on the wire.
//!
//! `ApiError` carries the AWS exception name (`ServiceNotFoundException`, `ThrottlingException`,
//! ...) exactly as AWS spells it, because clients classify errors by that code, never by the
//! message text.

use std::borrow::Cow;
use std::path::PathBuf;

/// An error of the simulator itself (not of a simulated API call).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The world file could not be read.
    #[error("cannot read world file `{path}`")]
    ReadWorld {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The world file is not valid YAML for the world format.
    #[error("invalid world file `{path}`: {message}")]
    ParseWorld { path: PathBuf, message: String },
    /// A value in the world file is not acceptable (for example a bad glob or an unknown key).
    #[error("invalid world: {0}")]
    InvalidWorld(String),
    /// The state file exists but cannot be read or decoded.
    #[error("cannot load state file `{path}`: {message}")]
    LoadState { path: PathBuf, message: String },
    /// The state file cannot be written.
    #[error("cannot save state file `{path}`")]
    SaveState {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The request log file cannot be opened.
    #[error("cannot open request log `{path}`")]
    RequestLog {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The server task ended abnormally.
    #[error("simulator server failed: {0}")]
    Server(String),
}

/// An error answer of a simulated AWS API: HTTP status, AWS error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: Cow<'static, str>,
    pub message: String,
}

impl ApiError {
    /// A client error (HTTP 400) with the given AWS error code.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: Cow::Borrowed(code),
            message: message.into(),
        }
    }

    /// An error with an explicit HTTP status (5xx faults, S3's 404).
    pub fn with_status(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn client(message: impl Into<String>) -> Self {
        Self::new("ClientException", message)
    }

    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterException", message)
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", message)
    }

    /// The JSON body AWS sends for an awsJson 1.1 error.
    pub fn json_body(&self) -> Vec<u8> {
        self.json_body_for("")
    }

    /// The JSON body of an awsJson 1.1 error of `service`, its message under the member name
    /// that service's exception shapes declare (service models: `Message` in Application Auto
    /// Scaling and Secrets Manager, `message` in ECS and SSM; CodeDeploy's declare none and
    /// clients read `message`).
    pub fn json_body_for(&self, service: &str) -> Vec<u8> {
        let member = match service {
            "application-autoscaling" | "secretsmanager" => "Message",
            _ => "message",
        };
        let mut body = serde_json::Map::new();
        body.insert("__type".to_owned(), self.code.as_ref().into());
        body.insert(member.to_owned(), self.message.clone().into());
        serde_json::Value::Object(body).to_string().into_bytes()
    }
}

/// The result of a simulated API call: the encoded JSON body, or an AWS error.
pub type ApiResult = Result<Vec<u8>, ApiError>;

#[cfg(test)]
mod tests {
    use super::ApiError;

    // Service models (botocore `service-2.json`): ValidationException of
    // application-autoscaling and ResourceNotFoundException of secretsmanager have the member
    // `Message`; ECS's ClientException has `message`.
    #[test]
    fn the_message_member_is_spelled_as_each_service_model_does() {
        let err = ApiError::new("ValidationException", "bad");
        let body = |service| -> serde_json::Value {
            serde_json::from_slice(&err.json_body_for(service)).expect("JSON")
        };
        assert_eq!(
            body("application-autoscaling"),
            serde_json::json!({"__type": "ValidationException", "Message": "bad"})
        );
        assert_eq!(body("secretsmanager")["Message"], "bad");
        assert_eq!(body("ecs")["message"], "bad");
        assert_eq!(body("ssm")["message"], "bad");
        assert_eq!(body("codedeploy")["message"], "bad");
    }
}
