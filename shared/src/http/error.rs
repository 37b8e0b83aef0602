//! The one place where errors become HTTP status codes and the documented
//! error body `{"success": false, "error": {"code", "message"}}` (with
//! `field`, the request field a validation error is about, when it is about
//! one).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::crypto::CryptoError;
use crate::domain::Invalid;
use crate::service::ServiceError;
use crate::store::StoreError;

pub const UNAUTHORIZED_MESSAGE: &str = "Invalid or missing API key";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The request field a 400 is about (`name`, `smtp_credentials.port`).
    pub field: Option<String>,
    /// Sent as `Retry-After` (429 and 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), field: None, retry_after: None }
    }

    pub fn rate_limited(message: impl Into<String>, retry_after: u64) -> Self {
        ApiError { retry_after: Some(retry_after), ..Self::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", message) }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    /// A 400 about the request field `field`.
    pub fn bad_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError { field: Some(field.into()), ..Self::bad_request(message) }
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", UNAUTHORIZED_MESSAGE)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    pub fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "Request body must be at most 64 KiB")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "Method not allowed on this path")
    }

    pub fn uri_too_long(max_bytes: usize) -> Self {
        let message = format!("The request URI must be at most {} KiB", max_bytes / 1024);
        Self::new(StatusCode::URI_TOO_LONG, "URI_TOO_LONG", message)
    }

    pub fn headers_too_large(max_bytes: usize) -> Self {
        let message = format!("The request headers must be at most {} KiB in all", max_bytes / 1024);
        Self::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "HEADERS_TOO_LARGE", message)
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Send the request body as JSON with Content-Type: application/json",
        )
    }

    /// The body of every 5xx: the details go to the log, not to the caller.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "Internal error")
    }

    /// A dependency (DynamoDB, KMS) stalled, throttled or failed on its
    /// side: nothing was changed, and the caller may retry shortly.
    pub fn unavailable() -> Self {
        let seconds = crate::aws::RETRY_AFTER_SECONDS;
        ApiError {
            retry_after: Some(seconds),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                format!("The service is briefly unavailable; retry in {seconds} seconds"),
            )
        }
    }
}

/// The documented error body.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    /// Always `false`.
    success: bool,
    error: ErrorDetail<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail<'a> {
    /// `BAD_REQUEST`, `UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`, `CONFLICT`,
    /// `PAYLOAD_TOO_LARGE`, `UNSUPPORTED_MEDIA_TYPE`, `URI_TOO_LONG`,
    /// `HEADERS_TOO_LARGE`, `RATE_LIMITED`, `INTERNAL_ERROR` or
    /// `SERVICE_UNAVAILABLE`.
    #[schema(value_type = String)]
    code: &'a str,
    #[schema(value_type = String)]
    message: &'a str,
    /// For a validation error about one request field: its name, as sent
    /// (`name`, `smtp_credentials.port`, `permissions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    field: Option<&'a str>,
}

impl ApiError {
    /// The documented error body as JSON text (for a server that answers
    /// outside the router, such as `mailkeys-local` for a head it cannot
    /// parse).
    pub fn body_json(&self) -> String {
        serde_json::to_string(&self.body()).expect("an error body serializes")
    }

    fn body(&self) -> ErrorBody<'_> {
        ErrorBody {
            success: false,
            error: ErrorDetail { code: self.code, message: &self.message, field: self.field.as_deref() },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        match invalid.field_name() {
            Some(field) => ApiError::bad_field(field, invalid.message()),
            None => ApiError::bad_request(invalid.message()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        ServiceError::from(err).into()
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Invalid(invalid) => invalid.into(),
            ServiceError::NotFound(message) => ApiError::not_found(message),
            ServiceError::Forbidden(message) => ApiError::forbidden(message),
            ServiceError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "CONFLICT", message),
            // Neither error type carries secret material.
            ServiceError::Store(StoreError::Unavailable(_)) | ServiceError::Crypto(CryptoError::KmsUnavailable(_)) => {
                tracing::warn!(error = %err, "dependency unavailable");
                ApiError::unavailable()
            }
            ServiceError::Store(_) | ServiceError::Crypto(_) => {
                tracing::error!(error = %err, "request failed");
                ApiError::internal()
            }
        }
    }
}
