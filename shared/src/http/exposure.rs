//! Leaked keys stop working within seconds: GitHub's secret scanning
//! reports (`POST /api/public/secret-scanning/github`) and revocation by
//! anyone who holds a key (`POST /api/public/keys/revoke`). Neither takes an
//! API key: GitHub's signature, or holding the key, is the authority.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::extract::{ClientAddress, JsonBody};
use super::observe::RequestId;
use super::request::exposure::{PublicRevokeRequest, ReportedToken};
use super::routes::Function;
use crate::app::AppState;
use crate::audit::{GITHUB_SCANNING_ACTOR, PUBLIC_REVOCATION_ACTOR};
use crate::service::exposure::{Reported, Reporter};
use crate::service::scanning_keys::SignatureError;

/// A GitHub report may hold at most this many matches, in at most 1 MiB.
pub const MAX_REPORTED: usize = 1000;
pub const MAX_REPORT_BYTES: usize = 1024 * 1024;
const MAX_PUBLIC_REVOKE: usize = 100;
const BAD_REPORT: &str = "A report must be a JSON array of objects, each with a string token";
const BAD_SIGNATURE: &str = "Missing or invalid Github-Public-Key-Signature for the Github-Public-Key-Identifier key";

/// GitHub's feedback on one reported token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenLabel {
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    pub token_type: Option<String>,
    pub label: Label,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// The token is, or was, one of ours (an active one is revoked now).
    TruePositive,
    FalsePositive,
}

/// The one answer of a public revocation, whatever was sent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevokeAccepted {
    #[schema(example = "Any of these credentials that is an active Mailkeys key is revoked now")]
    pub message: &'static str,
}

const ACCEPTED: RevokeAccepted =
    RevokeAccepted { message: "Any of these credentials that is an active Mailkeys key is revoked now" };

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[utoipa::path(
    post,
    path = Function::SecretScanningGithub.path(),
    operation_id = Function::SecretScanningGithub.name(),
    tag = "public",
    security(()),
    params(
        ("Github-Public-Key-Identifier" = String, Header, description = "Which of GitHub's keys signed the report"),
        ("Github-Public-Key-Signature" = String, Header, description = "Base64 DER ECDSA P-256 / SHA-256 signature of the raw body"),
    ),
    request_body(content = Vec<ReportedToken>, description = "Up to 1,000 matches, at most 1 MiB"),
    responses(
        (status = 200, description = "One label per reported token, in order; every active key of ours among them is revoked", body = Vec<TokenLabel>),
        (status = 400, description = "Not a JSON array of objects with a token (checked after the signature); nothing revoked", body = ErrorBody),
        (status = 401, description = "Missing or bad signature, or an unknown key; nothing read", body = ErrorBody),
        (status = 413, description = "Over 1 MiB or over 1,000 matches; nothing read", body = ErrorBody),
        (status = 503, description = "GitHub's keys could not be fetched, or DynamoDB failed; GitHub retries", body = ErrorBody),
    ),
)]
pub async fn github_report(
    State(app): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Vec<TokenLabel>>, ApiError> {
    // Size, then signature, then shape: a report failing any is not read.
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        _ => ApiError::bad_request("Request body could not be read"),
    })?;
    let identifier = header(&headers, "github-public-key-identifier");
    let signature = header(&headers, "github-public-key-signature");
    app.scanning_keys.verify(identifier, signature, &body).await.map_err(|err| match err {
        SignatureError::Refused => ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", BAD_SIGNATURE),
        SignatureError::Unavailable => ApiError::unavailable(),
    })?;
    let entries: Vec<serde_json::Value> =
        serde_json::from_slice(&body).map_err(|_| ApiError::bad_request(BAD_REPORT))?;
    if entries.len() > MAX_REPORTED {
        return Err(too_large());
    }
    // Entry by entry, so that no parser message can quote a token.
    let matches: Vec<ReportedToken> = entries
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::bad_request(BAD_REPORT))?;
    let types: Vec<Option<String>> = matches.iter().map(|m| m.token_type.clone()).collect();
    let reported: Vec<Reported> = matches.into_iter().map(Into::into).collect();
    let by = Reporter { actor: GITHUB_SCANNING_ACTOR, request_id: &request_id };
    let findings = app.exposures.report(&reported, by).await?;
    let labels = findings
        .into_iter()
        .zip(types)
        .map(|(finding, token_type)| TokenLabel {
            token_hash: finding.token_hash,
            token_type,
            label: if finding.ours { Label::TruePositive } else { Label::FalsePositive },
        })
        .collect();
    Ok(Json(labels))
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        format!("A report must be at most 1 MiB and {MAX_REPORTED} matches"),
    )
}

#[utoipa::path(
    post,
    path = Function::KeysRevokePublic.path(),
    operation_id = Function::KeysRevokePublic.name(),
    tag = "public",
    security(()),
    request_body = PublicRevokeRequest,
    responses(
        (status = 202, description = "The same answer whatever was sent: each active key of ours among them is revoked", body = RevokeAccepted),
        (status = 400, description = "Not 1 to 100 credentials", body = ErrorBody),
        (status = 429, description = "More than 10 requests a minute from this address; see Retry-After", body = ErrorBody),
    ),
)]
pub async fn revoke_public(
    State(app): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    ClientAddress(client): ClientAddress,
    JsonBody(request): JsonBody<PublicRevokeRequest>,
) -> Result<(StatusCode, Json<RevokeAccepted>), ApiError> {
    if !(1..=MAX_PUBLIC_REVOKE).contains(&request.credentials.len()) {
        return Err(ApiError::bad_field("credentials", format!("credentials must hold 1 to {MAX_PUBLIC_REVOKE} keys")));
    }
    let source = client.map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    if let Some(seconds) = app.rate_limiter.hit_public_revoke(&source).await? {
        return Err(ApiError::rate_limited(
            format!("Too many revocation requests from this address; retry in {seconds} seconds"),
            seconds,
        ));
    }
    let reported: Vec<Reported> =
        request.credentials.into_iter().map(|token| Reported { token, url: None, source: None }).collect();
    app.exposures.report(&reported, Reporter { actor: PUBLIC_REVOCATION_ACTOR, request_id: &request_id }).await?;
    Ok((StatusCode::ACCEPTED, Json(ACCEPTED)))
}
