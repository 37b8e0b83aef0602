//! JSON bodies: parse errors name the field and the expected type, never
//! the submitted value.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use super::super::error::ApiError;

/// A JSON body. Parse errors name the field and the expected type, never the
/// submitted value, which may be a secret.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !declares_json(&req) {
            return Err(ApiError::unsupported_media_type());
        }
        parse_json(&read_body(req, state).await?).map(JsonBody)
    }
}

/// Whether the request says its body is JSON: `application/json`, with or
/// without parameters such as `charset=utf-8`.
fn declares_json(req: &Request) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    value.split(';').next().is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// The body, within the size limit (413 beyond it).
async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large()
        } else {
            ApiError::bad_request("Request body could not be read")
        }
    })
}

/// A JSON body that may be absent: no bytes at all is `None`; anything
/// else, whitespace included, must be a JSON object.
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = declares_json(&req);
        let bytes = read_body(req, state).await?;
        if bytes.is_empty() {
            return Ok(OptionalJsonBody(None));
        }
        if !json {
            return Err(ApiError::unsupported_media_type());
        }
        parse_json(&bytes).map(|v| OptionalJsonBody(Some(v)))
    }
}

/// Parses a request body, which must be one JSON object.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
        return Err(ApiError::bad_request(if is_json {
            "Request body must be a JSON object"
        } else {
            "Request body is not valid JSON"
        }));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        match describe_json_error(&path, err.inner()) {
            (message, Some(field)) => ApiError::bad_field(field, message),
            (message, None) => ApiError::bad_request(message),
        }
    })?;
    deserializer.end().map_err(|_| ApiError::bad_request("Request body must be a single JSON value"))?;
    Ok(value)
}

/// Rebuilds serde's message from the parts that come from our own types (the
/// field path, the expected type, field names), dropping any quoted input;
/// and the field it is about, when there is one.
fn describe_json_error(path: &str, err: &serde_json::Error) -> (String, Option<String>) {
    use serde_json::error::Category;
    if matches!(err.classify(), Category::Syntax | Category::Eof | Category::Io) {
        return ("Request body is not valid JSON".to_string(), None);
    }
    let message = err.to_string();
    let expected =
        message.rsplit_once(", expected ").map(|(_, e)| plain_expected(e.split(" at line ").next().unwrap_or(e)));
    let field = if path == "." { None } else { Some(truncate(path, 64)) };
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let missing = match &field {
            Some(parent) => format!("{parent}.{name}"),
            None => name.to_string(),
        };
        return (format!("Missing field `{missing}`"), Some(missing));
    }
    if message.starts_with("unknown field") {
        return match field {
            Some(field) => (format!("Unknown field `{field}`"), Some(field)),
            None => ("Unknown field".to_string(), None),
        };
    }
    let Some(field) = field else { return ("Request body must be a JSON object".to_string(), None) };
    let what = format!("Invalid value for `{field}`");
    match expected {
        Some(expected) => (format!("{what}: expected {expected}"), Some(field)),
        None => (what, Some(field)),
    }
}

/// serde's name for what it expected, in words for people: no Rust type
/// names (`i64`, `struct X`, `a sequence`) reach a caller.
fn plain_expected(expected: &str) -> String {
    const INTEGERS: [&str; 10] = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize"];
    let words = match expected {
        e if INTEGERS.contains(&e) || e.starts_with("u64") || e.starts_with("i64") => "an integer",
        "f32" | "f64" => "a number",
        "a sequence" => "a list",
        "a map" => "an object",
        e if e.starts_with("struct ") || e.starts_with("a map") => "an object",
        e if e.starts_with("a borrowed string") || e == "a string" => "a string",
        other => return other.to_string(),
    };
    words.to_string()
}

fn truncate(value: &str, max_chars: usize) -> String {
    value.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request::email_providers::{CreateEmailProviderRequest, UpdateEmailProviderRequest};

    fn create_err(body: &str) -> String {
        parse_json::<CreateEmailProviderRequest>(body.as_bytes()).err().expect("an error").message
    }

    fn update_err(body: &str) -> String {
        parse_json::<UpdateEmailProviderRequest>(body.as_bytes()).err().expect("an error").message
    }

    #[test]
    fn messages_name_fields_not_values() {
        assert_eq!(
            update_err(r#"{"smtp_credentials": {"password": 12345678}}"#),
            "Invalid value for `smtp_credentials.password`: expected a string"
        );
        assert_eq!(update_err(r#"{"nmae": "x"}"#), "Unknown field `nmae`");
        assert_eq!(
            update_err(r#"{"ses_credentials": {"secret": "hunter2"}}"#),
            "Unknown field `ses_credentials.secret`"
        );
        assert_eq!(update_err(r#"{"is_active": "yes-secret"}"#), "Invalid value for `is_active`: expected a boolean");
        assert_eq!(
            update_err(r#"{"smtp_credentials": {"host": "h", "port": "587"}}"#),
            "Invalid value for `smtp_credentials.port`: expected an integer"
        );
        assert_eq!(
            update_err(r#"{"smtp_credentials": 5}"#),
            "Invalid value for `smtp_credentials`: expected an object"
        );
        assert_eq!(update_err(r#"{"name": "x""#), "Request body is not valid JSON");
        assert_eq!(update_err(""), "Request body is not valid JSON");
        assert_eq!(update_err("[1]"), "Request body must be a JSON object");
        assert_eq!(update_err(r#"{} {}"#), "Request body must be a single JSON value");
        assert_eq!(create_err(r#"{"name": "x"}"#), "Missing field `provider_type`");
        let unknown_type = create_err(r#"{"name": "x", "provider_type": "sendgrid-secret", "region": "r"}"#);
        assert!(unknown_type.starts_with("Invalid value for `provider_type`: expected one of"), "{unknown_type}");
        for msg in [unknown_type, update_err(r#"{"ses_credentials": {"secret_access_key": ["hunter2"]}}"#)] {
            assert!(!msg.contains("hunter2") && !msg.contains("sendgrid-secret"), "{msg}");
        }
    }
}
