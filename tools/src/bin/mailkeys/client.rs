//! The API over HTTP: the base URL, the key, and errors that say what to do.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use zeroize::Zeroizing;

/// Why a command failed, and the exit status that says so.
#[derive(Debug)]
pub enum CliError {
    /// The API answered an error: its code and message.
    Api { status: StatusCode, code: String, message: String, request_id: Option<String> },
    /// The command line was wrong, or something it needs is missing.
    Usage(String),
    /// The server cannot be reached.
    Unreachable(String),
    /// Anything else (a config file that cannot be written, say).
    Other(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Api { .. } | CliError::Other(_) => 1,
            CliError::Usage(_) => 2,
            CliError::Unreachable(_) => 3,
        }
    }

    pub fn describe(&self, verbose: bool) -> String {
        match self {
            CliError::Api { status, code, message, request_id } => {
                let mut text = format!("{code}: {message}");
                if *status == StatusCode::UNAUTHORIZED {
                    text.push_str("\n(check the key: MAILKEYS_API_KEY, --api-key-file, or mailkeys login)");
                }
                if let (true, Some(id)) = (verbose, request_id) {
                    text.push_str(&format!("\nrequest id: {id}"));
                }
                text
            }
            CliError::Usage(text) | CliError::Unreachable(text) | CliError::Other(text) => text.clone(),
        }
    }
}

/// An answer of the API: its JSON body (null when empty), and the text
/// as it came, which --json prints unchanged.
pub struct Answer {
    pub body: Value,
    pub raw: String,
    /// The cursor of the next page named by a `Link: <...>; rel="next"`
    /// header (lists answered as a bare array).
    pub next_cursor: Option<String>,
}

/// The `cursor` query parameter of a `rel="next"` link.
fn next_cursor(link: &str) -> Option<String> {
    link.split(',')
        .find(|part| part.contains("rel=\"next\""))
        .and_then(|part| part.split_once("cursor="))
        .map(|(_, rest)| rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect())
}

pub struct Client {
    http: reqwest::Client,
    pub base_url: String,
    key: SecretString,
}

impl Client {
    pub fn new(base_url: &str, key: SecretString) -> Result<Client, CliError> {
        // One rustls crypto provider for the process (aws-lc-rs, as elsewhere in Mailkeys).
        let _ = tokio_rustls::rustls::crypto::aws_lc_rs::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            // Above the service's own bound for a connectivity test.
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("mailkeys-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::Other(format!("cannot set up HTTP: {e}")))?;
        let base_url = base_url.trim_end_matches('/').to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(CliError::Usage(format!("the URL must start with http:// or https:// (got \"{base_url}\")")));
        }
        Ok(Client { http, base_url, key })
    }

    /// One request; a body is sent as JSON.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Answer, CliError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(self.key.expose_secret())
            .header("accept", "application/json");
        if let Some(body) = body {
            // The body may hold a secret. The HTTP client sends from this
            // buffer, which is wiped when the client is done with it; what
            // is not wiped: the JSON value the command built, and the TLS
            // layer's own copy as it encrypts (an https URL).
            let bytes = Zeroizing::new(serde_json::to_vec(body).expect("JSON serializes"));
            let body = reqwest::Body::from(bytes::Bytes::from_owner(bytes));
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.map_err(|e| self.unreachable(e))?;
        let status = response.status();
        let request_id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
        let next_cursor = response.headers().get("link").and_then(|v| v.to_str().ok()).and_then(next_cursor);
        let text = response.text().await.map_err(|e| self.unreachable(e))?;
        let body: Value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
        if status.is_success() {
            return Ok(Answer { body, raw: text, next_cursor });
        }
        let error = &body["error"];
        Err(CliError::Api {
            status,
            code: error["code"].as_str().map(str::to_string).unwrap_or_else(|| format!("HTTP {}", status.as_u16())),
            message: error["message"].as_str().map(str::to_string).unwrap_or_else(|| {
                format!("the server answered {status} without an error body: is {} a Mailkeys service?", self.base_url)
            }),
            request_id,
        })
    }

    fn unreachable(&self, error: reqwest::Error) -> CliError {
        let why = if error.is_timeout() { "it did not answer in time" } else { "the connection failed" };
        CliError::Unreachable(format!(
            "cannot reach Mailkeys at {} ({why}); is it running (make dev), and is --url or MAILKEYS_URL right?",
            self.base_url
        ))
    }
}
