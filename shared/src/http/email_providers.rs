//! `/api/email-providers[/{id}]`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use super::error::ApiError;
use super::extract::{Authorized, JsonBody, OptionalJsonBody, ReadEmailProviders, WriteEmailProviders};
use crate::app::AppState;
use crate::domain::connectivity::TestOutcome;
use crate::domain::email_provider::{CreateEmailProviderRequest, ProviderType, UpdateEmailProviderRequest};
use crate::service::email_providers::NOT_FOUND;
use crate::store::email_providers::EmailProviderRecord;

/// The masked `EmailProviderResponse`.
#[derive(Debug, Serialize)]
pub struct EmailProviderResponse {
    pub id: u64,
    pub name: String,
    pub provider_type: ProviderType,
    pub region: String,
    pub is_active: bool,
    pub credentials: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
    /// The outcome of the last connectivity test (`null` before the first).
    pub last_test: Option<TestOutcome>,
}

impl From<EmailProviderRecord> for EmailProviderResponse {
    fn from(r: EmailProviderRecord) -> Self {
        EmailProviderResponse {
            id: r.id,
            name: r.name,
            provider_type: r.provider_type,
            region: r.region,
            is_active: r.is_active,
            credentials: r.credentials_masked,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_test: r.last_test,
        }
    }
}

/// Ids are positive integers; anything else names no provider.
fn provider_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse::<u64>().ok().filter(|id| *id > 0).ok_or_else(|| ApiError::not_found(NOT_FOUND))
}

pub async fn create(
    State(app): State<AppState>,
    auth: Authorized<WriteEmailProviders>,
    JsonBody(request): JsonBody<CreateEmailProviderRequest>,
) -> Result<(StatusCode, Json<EmailProviderResponse>), ApiError> {
    let record = app.email_providers.create(&auth.actor(), &request).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

pub async fn list(
    State(app): State<AppState>,
    auth: Authorized<ReadEmailProviders>,
) -> Result<Json<Vec<EmailProviderResponse>>, ApiError> {
    let records = app.email_providers.list(auth.account_id()).await?;
    Ok(Json(records.into_iter().map(Into::into).collect()))
}

pub async fn get(
    State(app): State<AppState>,
    auth: Authorized<ReadEmailProviders>,
    Path(id): Path<String>,
) -> Result<Json<EmailProviderResponse>, ApiError> {
    let record = app.email_providers.get(auth.account_id(), provider_id(&id)?).await?;
    Ok(Json(record.into()))
}

pub async fn update(
    State(app): State<AppState>,
    auth: Authorized<WriteEmailProviders>,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<UpdateEmailProviderRequest>,
) -> Result<Json<EmailProviderResponse>, ApiError> {
    let record = app.email_providers.update(&auth.actor(), provider_id(&id)?, &request).await?;
    Ok(Json(record.into()))
}

pub async fn delete(
    State(app): State<AppState>,
    auth: Authorized<WriteEmailProviders>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.email_providers.delete(&auth.actor(), provider_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/email-providers/{id}/test`, body optional: `{"to": "address"}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    pub to: Option<String>,
}

pub async fn test(
    State(app): State<AppState>,
    auth: Authorized<WriteEmailProviders>,
    Path(id): Path<String>,
    OptionalJsonBody(request): OptionalJsonBody<TestRequest>,
) -> Result<Json<TestOutcome>, ApiError> {
    let id = provider_id(&id)?;
    let to = match request.and_then(|r| r.to) {
        Some(to) => {
            Some(to.parse::<lettre::Address>().map_err(|_| ApiError::bad_request("to must be an email address"))?)
        }
        None => None,
    };
    Ok(Json(app.email_providers.test(&auth.actor(), id, to).await?))
}
