//! An AWS call that failed, as every driver reports it: the operation, AWS's
//! error code (what errors are classified by, never the message text), the
//! message, and what kind of failure it was. Transport failures keep their
//! chain of causes, so the CLI can print each one on its own `caused by:`
//! line instead of one flattened sentence.

use std::error::Error;
use std::fmt;

use aws_sdk_ecs::config::http::HttpResponse;
use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};

/// What kind of failure an AWS call met; the CLI's hints depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// AWS answered with an error (`code` says which).
    Service,
    /// The request never got an answer: connection, DNS, timeout.
    Network,
    /// The request could not be built (no region, bad endpoint).
    Construction,
    /// AWS answered, but not in a way the SDK or ristretto could read.
    Answer,
}

/// An AWS call that failed.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed: {message}")]
pub struct AwsError {
    /// `UpdateService`, `CreateDeployment`, …
    pub operation: &'static str,
    /// The AWS error code (`ClusterNotFoundException`, …), when AWS gave one.
    pub code: Option<String>,
    /// AWS's message, or what went wrong on the way.
    pub message: String,
    /// What kind of failure it was.
    pub failure: Failure,
    /// The HTTP status of AWS's answer, when there was one.
    pub status: Option<u16>,
    /// Where a transport failure came from, outermost first.
    #[source]
    pub cause: Option<Cause>,
}

impl AwsError {
    /// Wraps an SDK error of `operation`.
    pub fn from_sdk<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + Error + 'static,
    {
        let code = error.code().map(str::to_owned);
        let status = error.raw_response().map(|r| r.status().as_u16());
        let failure = match &error {
            SdkError::ServiceError(_) => Failure::Service,
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => Failure::Network,
            SdkError::ConstructionFailure(_) => Failure::Construction,
            _ => Failure::Answer,
        };
        match error.message() {
            // AWS's own words say it all.
            Some(message) => Self {
                operation,
                code,
                message: message.to_owned(),
                failure,
                status,
                cause: None,
            },
            None => Self {
                operation,
                code,
                message: error.to_string(),
                failure,
                status,
                cause: error
                    .source()
                    .and_then(|s| Cause::chain(s, &error.to_string())),
            },
        }
    }

    /// AWS answered without something its API always returns (a deployment
    /// without an ID, …): an error, never a silent default.
    #[must_use]
    pub fn unexpected(operation: &'static str, message: impl Into<String>) -> Self {
        Self {
            operation,
            code: None,
            message: message.into(),
            failure: Failure::Answer,
            status: None,
            cause: None,
        }
    }

    /// Whether the same call may well succeed if made again a little later:
    /// no answer at all (connection, DNS, timeout), throttling, or a server
    /// error (HTTP 5xx). Classified by error code and status, never by message.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        self.failure == Failure::Network
            || self
                .status
                .is_some_and(|s| s == 429 || (500..600).contains(&s))
            || self
                .code
                .as_deref()
                .is_some_and(|c| TRANSIENT_CODES.contains(&c))
    }
}

/// Error codes AWS services use for throttling and for their own passing
/// failures (the AWS SDKs' retry behaviour reference lists the throttling
/// codes; `ServerException` is ECS's and CodeDeploy's 5xx). A code here is
/// transient whatever the HTTP status.
const TRANSIENT_CODES: [&str; 14] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "ServerException",
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
];

/// One cause of a transport failure, and the cause behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    text: String,
    next: Option<Box<Cause>>,
}

impl Cause {
    /// The causes from `error` inward, each said once: a cause whose text an
    /// outer one (or `said`) already holds is skipped.
    fn chain(error: &(dyn Error + 'static), said: &str) -> Option<Cause> {
        let mut texts: Vec<String> = Vec::new();
        let mut next = Some(error);
        while let Some(e) = next {
            let text = e.to_string();
            if !said.contains(&text) && !texts.iter().any(|t| t.contains(&text)) {
                texts.push(text);
            }
            next = e.source();
        }
        texts.into_iter().rev().fold(None, |inner, text| {
            Some(Cause {
                text,
                next: inner.map(Box::new),
            })
        })
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.next.as_deref().map(|c| c as &(dyn Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);
    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|l| l as &(dyn Error + 'static))
        }
    }

    #[test]
    fn causes_keep_their_order_and_are_said_once() {
        let error = Layer(
            "io error",
            Some(Box::new(Layer(
                "client error (Connect): tcp connect error",
                Some(Box::new(Layer("tcp connect error", None))),
            ))),
        );
        let cause = Cause::chain(&error, "dispatch failure").expect("causes");
        let mut texts = Vec::new();
        let mut next: Option<&(dyn Error + 'static)> = Some(&cause);
        while let Some(e) = next {
            texts.push(e.to_string());
            next = e.source();
        }
        assert_eq!(
            texts,
            vec!["io error", "client error (Connect): tcp connect error"]
        );
        assert_eq!(
            Cause::chain(&Layer("dispatch failure", None), "dispatch failure"),
            None
        );
    }

    #[test]
    fn an_unexpected_answer_names_the_operation() {
        let e = AwsError::unexpected("CreateDeployment", "the answer names no deployment ID");
        assert_eq!(
            e.to_string(),
            "CreateDeployment failed: the answer names no deployment ID"
        );
        assert_eq!(e.failure, Failure::Answer);
        assert!(!e.is_transient(), "a malformed answer is not retried");
    }

    fn failed(failure: Failure, status: Option<u16>, code: Option<&str>) -> AwsError {
        AwsError {
            operation: "DescribeServices",
            code: code.map(str::to_owned),
            message: "m".to_owned(),
            failure,
            status,
            cause: None,
        }
    }

    #[test]
    fn network_throttling_and_server_errors_are_transient_other_refusals_are_not() {
        assert!(failed(Failure::Network, None, None).is_transient());
        assert!(
            failed(
                Failure::Service,
                Some(503),
                Some("ServiceUnavailableException")
            )
            .is_transient()
        );
        assert!(failed(Failure::Service, Some(500), None).is_transient());
        assert!(failed(Failure::Answer, Some(502), None).is_transient());
        assert!(failed(Failure::Service, Some(400), Some("ThrottlingException")).is_transient());
        assert!(failed(Failure::Service, Some(429), None).is_transient());
        assert!(
            !failed(
                Failure::Service,
                Some(400),
                Some("ClusterNotFoundException")
            )
            .is_transient()
        );
        assert!(!failed(Failure::Service, Some(400), Some("AccessDeniedException")).is_transient());
        assert!(!failed(Failure::Construction, None, None).is_transient());
    }
}
