//! `POST /api/internal/verify-key`: the mail servers ask whether a key may
//! use a protocol.

use std::net::IpAddr;

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, PendingInternalCaller, SourceIp};
use super::request::keys::VerifyKeyRequest;
use super::routes::Function;
use crate::app::AppState;
use crate::domain::ids::{AccountId, KeyId};
use crate::domain::secret::ExposeSecret;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyKeyResponse {
    pub valid: bool,
    pub account_id: Option<AccountId>,
    pub key_id: Option<KeyId>,
    #[schema(value_type = Vec<String>)]
    pub scopes: Vec<&'static str>,
}

/// The client a check is for: `sourceIp` from the mail server when given,
/// else the address API Gateway saw.
fn source(request: &VerifyKeyRequest, seen: SourceIp) -> Result<String, ApiError> {
    match &request.source_ip {
        Some(ip) => ip
            .parse::<IpAddr>()
            .map(|ip| ip.to_string())
            .map_err(|_| ApiError::bad_field("sourceIp", "sourceIp must be an IP address")),
        None => Ok(seen.0.unwrap_or_else(|| "unknown".to_string())),
    }
}

#[utoipa::path(
    post,
    path = Function::VerifyKey.path(),
    operation_id = Function::VerifyKey.name(),
    tag = "internal",
    request_body = VerifyKeyRequest,
    responses(
        (status = 200, description = "Whether the key may use the protocol", body = VerifyKeyResponse),
        (status = 429, description = "Too many failed checks from this source; see Retry-After", body = ErrorBody),
    ),
)]
pub async fn verify(
    State(app): State<AppState>,
    pending: PendingInternalCaller,
    seen: SourceIp,
    JsonBody(request): JsonBody<VerifyKeyRequest>,
) -> Result<Json<VerifyKeyResponse>, ApiError> {
    let source = source(&request, seen)?;
    // The caller's key and the presented one are looked up at once: one
    // round trip. A caller that fails is answered at once, whatever it
    // presented (the lookup is dropped, nothing is written for that key).
    let look_up = async { Ok::<_, ApiError>(app.keys.look_up(request.api_key.expose_secret()).await) };
    let (internal, found) = tokio::try_join!(pending.check(), look_up)?;
    // A valid key is never refused here: keys are 256 random bits, so a
    // throttle protects none by refusing it, and it must not let one caller
    // lock others out. Failures are counted per caller and source; past the
    // allowance the answer becomes 429, so the mail server can drop a client
    // that keeps guessing.
    match app.keys.verified(&internal.scope, found?, request.protocol) {
        Some(caller) => Ok(Json(VerifyKeyResponse {
            valid: true,
            account_id: Some(caller.account_id),
            key_id: Some(caller.key_id),
            scopes: caller.permissions.names(),
        })),
        None => match app.rate_limiter.record_verify_failure(&internal.scope.counter_name(), &source).await? {
            Some(seconds) => Err(ApiError::rate_limited(
                format!("Too many failed key checks from this source; retry in {seconds} seconds"),
                seconds,
            )),
            None => Ok(Json(VerifyKeyResponse { valid: false, account_id: None, key_id: None, scopes: Vec::new() })),
        },
    }
}
