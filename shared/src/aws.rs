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
/// `AWS_REGION`), and so does `make dev`; a local emulator's endpoints come
/// from `AWS_ENDPOINT_URL[_<SERVICE>]`. Built from the environment alone,
/// without the SDK's loader, so that a function links none of the other
/// credential and region providers (profile files, SSO, STS web identity,
/// container and instance metadata) and starts without them. The HTTP
/// client, sleep and time source are the SDK's defaults.
pub fn function_sdk_config() -> SdkConfig {
    use aws_config::environment::EnvironmentVariableCredentialsProvider;
    use aws_sdk_dynamodb::config::{Region, SharedCredentialsProvider};
    let region = ["AWS_REGION", "AWS_DEFAULT_REGION"].into_iter().find_map(|name| std::env::var(name).ok());
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region.map(Region::new))
        .credentials_provider(SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()))
        .timeout_config(timeout_config())
        .retry_config(retry_config())
        .service_config(EnvEndpoints)
        .build()
}

/// `AWS_ENDPOINT_URL_<SERVICE ID>` (`AWS_ENDPOINT_URL_DYNAMODB`), else
/// `AWS_ENDPOINT_URL`, as the SDK's own loader reads them from the
/// environment.
#[derive(Debug)]
struct EnvEndpoints;

impl aws_types::service_config::LoadServiceConfig for EnvEndpoints {
    fn load_config(&self, key: aws_types::service_config::ServiceConfigKey<'_>) -> Option<String> {
        let service = key.service_id().to_uppercase().replace(' ', "_");
        std::env::var(format!("{}_{service}", key.env())).or_else(|_| std::env::var(key.env())).ok()
    }
}

#[cfg(test)]
mod endpoint_tests {
    use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};

    use super::EnvEndpoints;

    #[test]
    fn a_service_endpoint_wins_over_the_global_one() {
        let key = |service| {
            ServiceConfigKey::builder()
                .service_id(service)
                .profile("endpoint_url")
                .env("MAILKEYS_TEST_ENDPOINT")
                .build()
                .unwrap()
        };
        std::env::set_var("MAILKEYS_TEST_ENDPOINT", "http://global");
        std::env::set_var("MAILKEYS_TEST_ENDPOINT_DYNAMODB_STREAMS", "http://streams");
        assert_eq!(EnvEndpoints.load_config(key("DynamoDB Streams")).as_deref(), Some("http://streams"));
        assert_eq!(EnvEndpoints.load_config(key("KMS")).as_deref(), Some("http://global"));
    }
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
