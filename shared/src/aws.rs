//! How long any AWS call may take, and which of its failures mean "try again
//! shortly". Every bound of the service is here, so that the SAM template's
//! function timeouts can be checked against them (a deployment test does).

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// Opening a connection to an AWS endpoint.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// One attempt of one call, from sending to the last byte of the answer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// One call, all its attempts and the waits between them included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(4);
/// Attempts per call: the first and two retries.
pub const MAX_ATTEMPTS: u32 = 3;
/// A request's whole handling, however many calls it makes: past this it
/// answers 503. Connectivity tests get their own test timeout on top.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(8);
/// What a 503 tells the caller to wait before trying again, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// The bounds above, as the SDK takes them.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

pub fn retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS)
}

/// The AWS configuration of the environment (region, credentials, and the
/// endpoint settings `AWS_ENDPOINT_URL*` of a local emulator), bounded, with
/// the SDK's whole default chain: profiles, SSO, web identity, containers,
/// instance metadata. For the operator's tools.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeout_config())
        .retry_config(retry_config())
        .load()
        .await
}

/// The functions' AWS configuration: Lambda puts every function's
/// credentials and region in its environment (`AWS_ACCESS_KEY_ID`, ...,
/// `AWS_REGION`), and so does `make dev`, so only the environment is asked.
/// A function then links none of the other credential providers (STS, SSO,
/// container and instance metadata clients) and starts without them.
pub async fn function_sdk_config() -> SdkConfig {
    use aws_config::environment::{EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider};
    aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(EnvironmentVariableCredentialsProvider::new())
        .region(EnvironmentVariableRegionProvider::new())
        .timeout_config(timeout_config())
        .retry_config(retry_config())
        .load()
        .await
}

/// Error codes that say the service is busy or briefly unwell, not that the
/// request was wrong.
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionInProgressException",
    "InternalServerError",
    "ServiceUnavailable",
    "KMSInternalException",
    "KeyUnavailableException",
    "DependencyTimeoutException",
];

/// Whether a failed call is worth retrying later: it timed out, could not
/// connect, was throttled, or the service failed on its side.
pub fn is_transient<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(ctx) => {
            ctx.err().code().is_some_and(|code| TRANSIENT_CODES.contains(&code))
                || err.raw_response().is_some_and(|r| r.status().is_server_error())
        }
        _ => false,
    }
}

/// What a failed call says about itself, for the log: its code and message,
/// never the request.
pub fn describe<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    err: &SdkError<E, R>,
) -> String {
    match err.as_service_error() {
        Some(service) => {
            format!("{}: {}", service.code().unwrap_or("unknown error"), service.message().unwrap_or_default())
        }
        None => aws_sdk_dynamodb::error::DisplayErrorContext(err).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_kms::error::ErrorMetadata;
    use aws_sdk_kms::operation::generate_data_key::GenerateDataKeyError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use super::*;

    fn service_error(code: &str, status: u16) -> SdkError<GenerateDataKeyError, HttpResponse> {
        let err = GenerateDataKeyError::generic(ErrorMetadata::builder().code(code).build());
        let raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        SdkError::service_error(err, raw)
    }

    #[test]
    fn transient_failures_are_told_from_refusals() {
        assert!(is_transient(&service_error("ThrottlingException", 400)));
        assert!(is_transient(&service_error("KMSInternalException", 500)));
        assert!(is_transient(&service_error("SomethingNew", 503)));
        assert!(is_transient(&SdkError::<GenerateDataKeyError, HttpResponse>::timeout_error("stalled")));
        assert!(!is_transient(&service_error("AccessDeniedException", 400)));
        assert!(!is_transient(&service_error("DisabledException", 400)));
        assert_eq!(describe(&service_error("AccessDeniedException", 400)), "AccessDeniedException: ");
    }
}
