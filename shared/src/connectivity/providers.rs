//! Provider APIs: a read-only SESv2 call with the stored keys in the
//! provider's region, and the Scaleway TEM API with the stored key and
//! project. Each can send one test message.

use aws_config::SdkConfig;
use aws_sdk_sesv2::config::{Credentials, Region};
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use serde_json::json;

use super::{Connectivity, Failure, Progress, TestMessage};
use crate::domain::connectivity::{TestOutcome, TestStage};

const SUBJECT: &str = "Mailkeys connectivity test";
const TEXT: &str = "This message was sent by a Mailkeys connectivity test.";

pub struct SesCheck<'a> {
    pub region: &'a str,
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub message: Option<TestMessage>,
}

pub struct ScalewayCheck<'a> {
    pub region: &'a str,
    pub api_key: &'a str,
    pub project_id: &'a str,
    pub message: Option<TestMessage>,
}

fn ses_failure<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Failure {
    const AUTH_CODES: [&str; 7] = [
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "AccessDeniedException",
        "AccessDenied",
        "ExpiredToken",
        "IncompleteSignature",
    ];
    match err {
        SdkError::ServiceError(service) if service.err().code().is_some_and(|c| AUTH_CODES.contains(&c)) => {
            Failure::new(TestStage::Auth, "AWS refused the access key")
        }
        SdkError::DispatchFailure(_) => Failure::new(TestStage::Connect, "could not reach the SES endpoint"),
        SdkError::TimeoutError(_) => Failure::new(TestStage::Connect, "the SES endpoint did not answer in time"),
        _ => Failure::new(TestStage::Protocol, "SES answered with an error"),
    }
}

fn success(message: &Option<TestMessage>) -> &'static str {
    match message {
        Some(_) => "authenticated and sent the test message",
        None => "authenticated",
    }
}

impl Connectivity {
    /// `ListEmailIdentities` (read-only; answered by AWS and by the local
    /// emulator alike), then `SendEmail` when a message is asked for.
    /// `base` carries the shared HTTP client; the keys and region are the
    /// provider's.
    pub async fn run_ses(&self, base: &SdkConfig, check: SesCheck<'_>) -> TestOutcome {
        let credentials = Credentials::new(check.access_key_id, check.secret_access_key, None, None, "email-provider");
        let mut config = aws_sdk_sesv2::config::Builder::from(base)
            .region(Region::new(check.region.to_string()))
            .credentials_provider(credentials)
            .retry_config(aws_sdk_sesv2::config::retry::RetryConfig::disabled());
        if let Some(endpoint) = &self.ses_endpoint {
            config = config.endpoint_url(endpoint);
        }
        let client = aws_sdk_sesv2::Client::from_conf(config.build());
        self.measure(success(&check.message), |progress: Progress| async move {
            progress.at(TestStage::Auth);
            client.list_email_identities().page_size(1).send().await.map_err(|e| ses_failure(&e))?;
            if let Some(test) = &check.message {
                progress.at(TestStage::Protocol);
                let text = |data: &str| Content::builder().data(data).build().expect("data set");
                let message =
                    Message::builder().subject(text(SUBJECT)).body(Body::builder().text(text(TEXT)).build()).build();
                client
                    .send_email()
                    .from_email_address(test.from.to_string())
                    .destination(Destination::builder().to_addresses(test.to.to_string()).build())
                    .content(EmailContent::builder().simple(message).build())
                    .send()
                    .await
                    .map_err(|e| match ses_failure(&e) {
                        f if f.stage == TestStage::Protocol => {
                            Failure::new(TestStage::Protocol, "SES did not accept the test message")
                        }
                        f => f,
                    })?;
            }
            Ok(())
        })
        .await
    }

    /// Lists one email of the project (read-only), then sends one when a
    /// message is asked for.
    pub async fn run_scaleway(&self, check: ScalewayCheck<'_>) -> TestOutcome {
        let url = format!(
            "{}/transactional-email/v1alpha1/regions/{}/emails",
            self.scaleway_api_url.trim_end_matches('/'),
            check.region
        );
        let http = self.http();
        self.measure(success(&check.message), |progress: Progress| async move {
            progress.at(TestStage::Connect);
            let classify = |err: reqwest::Error| {
                if err.is_connect() {
                    Failure::new(TestStage::Connect, "could not reach the Scaleway API")
                } else if err.is_timeout() {
                    Failure::new(TestStage::Protocol, "the Scaleway API did not answer in time")
                } else {
                    Failure::new(TestStage::Protocol, "the Scaleway API could not be read")
                }
            };
            let answer = http
                .get(&url)
                .header("X-Auth-Token", check.api_key)
                .query(&[("project_id", check.project_id), ("page_size", "1")])
                .send()
                .await
                .map_err(classify)?;
            progress.at(TestStage::Auth);
            match answer.status().as_u16() {
                200..=299 => {}
                401 | 403 => return Err(Failure::new(TestStage::Auth, "Scaleway refused the API key")),
                status => {
                    return Err(Failure::new(TestStage::Protocol, format!("the Scaleway API answered HTTP {status}")))
                }
            }
            if let Some(test) = &check.message {
                progress.at(TestStage::Protocol);
                let body = json!({
                    "from": {"email": test.from.to_string()},
                    "to": [{"email": test.to.to_string()}],
                    "subject": SUBJECT,
                    "text": TEXT,
                    "project_id": check.project_id,
                });
                let sent =
                    http.post(&url).header("X-Auth-Token", check.api_key).json(&body).send().await.map_err(classify)?;
                if !sent.status().is_success() {
                    return Err(Failure::new(TestStage::Protocol, "Scaleway did not accept the test message"));
                }
            }
            Ok(())
        })
        .await
    }
}
