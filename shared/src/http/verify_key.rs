//! `POST /api/internal/verify-key`: the mail servers ask whether a key may
//! use a protocol.

use std::net::IpAddr;

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::extract::{ClientAddress, JsonBody, PendingInternalCaller};
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

/// The client the mail server checks a login for (`sourceIp`), if it said.
fn login_client(request: &VerifyKeyRequest) -> Result<Option<IpAddr>, ApiError> {
    request
        .source_ip
        .as_deref()
        .map(|ip| ip.parse::<IpAddr>().map(|ip| ip.to_canonical()))
        .transpose()
        .map_err(|_| ApiError::bad_field("sourceIp", "sourceIp must be an IP address"))
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
    seen: ClientAddress,
    JsonBody(request): JsonBody<VerifyKeyRequest>,
) -> Result<Json<VerifyKeyResponse>, ApiError> {
    let client = login_client(&request)?;
    // Failures are counted per login client; without one, per mail server.
    let source = client.or(seen.0).map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
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
    match app.keys.verified(&internal.scope, found?, request.protocol, client) {
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
