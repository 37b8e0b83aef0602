//! `/api/accounts/{account_id}/provider-credentials[...]` and
//! `/api/provider-credentials/{id}[...]`.

use crate::domain::timestamp::Timestamp;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::extract::{Authorized, IdPath, JsonBody, ReadProviderCredentials, Requirement, WriteProviderCredentials};
use super::page::PageQuery;
use super::request::provider_credentials::{
    CreateProviderCredentialRequest, RotateProviderCredentialRequest, SearchProviderCredentialsRequest,
    UpdateProviderCredentialRequest,
};
use super::routes::Function;
use crate::app::AppState;
use crate::domain::connectivity::TestOutcome;
use crate::domain::ids::{AccountId, ProviderCredentialId};
use crate::domain::provider_credential::{
    AuthKind, CredentialSearch, EndpointPatch, NewCredentialInput, ProviderKind, Rotation, SecurityMode,
};
use crate::service::provider_credentials::{page_cursor, CredentialPage, ACCOUNT_NOT_FOUND};
use crate::store::provider_credentials::ProviderCredentialRecord;

/// The public record: metadata and the masked username, never a secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderCredentialResponse {
    pub id: ProviderCredentialId,
    pub account_id: AccountId,
    pub provider_kind: ProviderKind,
    pub host: String,
    pub port: u16,
    pub security_mode: SecurityMode,
    pub auth_kind: AuthKind,
    pub username_masked: String,
    pub last_test: Option<TestOutcome>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<ProviderCredentialRecord> for ProviderCredentialResponse {
    fn from(r: ProviderCredentialRecord) -> Self {
        ProviderCredentialResponse {
            id: r.id,
            account_id: r.account_id,
            provider_kind: r.endpoint.provider_kind,
            host: r.endpoint.host.to_string(),
            port: r.endpoint.port,
            security_mode: r.endpoint.security_mode,
            auth_kind: r.endpoint.auth_kind,
            username_masked: r.username_masked,
            last_test: r.last_test,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CredentialList {
    pub items: Vec<ProviderCredentialResponse>,
    pub next_cursor: Option<String>,
}

impl From<CredentialPage> for CredentialList {
    fn from(page: CredentialPage) -> Self {
        CredentialList { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }
    }
}

/// The account in the path must be the caller's own; any other is "not found".
fn own_account<R: Requirement>(auth: &Authorized<R>, account_id: &AccountId) -> Result<(), ApiError> {
    if auth.account_id() == account_id {
        Ok(())
    } else {
        Err(ApiError::not_found(ACCOUNT_NOT_FOUND))
    }
}

#[utoipa::path(
    post,
    path = Function::ProviderCredentialsCreate.path(),
    operation_id = Function::ProviderCredentialsCreate.name(),
    tag = "provider-credentials",
    params(("account_id" = String, Path, description = "The caller's own account")),
    request_body = CreateProviderCredentialRequest,
    responses((status = 201, description = "Created", body = ProviderCredentialResponse), (status = 404, description = "Not the caller's account", body = ErrorBody)),
)]
pub async fn create(
    State(app): State<AppState>,
    auth: Authorized<WriteProviderCredentials>,
    IdPath(account_id): IdPath<AccountId>,
    JsonBody(request): JsonBody<CreateProviderCredentialRequest>,
) -> Result<(StatusCode, Json<ProviderCredentialResponse>), ApiError> {
    own_account(&auth, &account_id)?;
    let record = app.provider_credentials.create(&auth.actor(), &NewCredentialInput::from(&request)).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

#[utoipa::path(
    get,
    path = Function::ProviderCredentialsList.path(),
    operation_id = Function::ProviderCredentialsList.name(),
    tag = "provider-credentials",
    params(("account_id" = String, Path, description = "The caller's own account"), PageQuery),
    responses(
        (status = 200, description = "One page of the account's credentials", body = CredentialList),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
        (status = 404, description = "Not the caller's account", body = ErrorBody),
    ),
)]
pub async fn list(
    State(app): State<AppState>,
    auth: Authorized<ReadProviderCredentials>,
    IdPath(account_id): IdPath<AccountId>,
    query: PageQuery,
) -> Result<Json<CredentialList>, ApiError> {
    own_account(&auth, &account_id)?;
    let limit = query.limit()?;
    let cursor = page_cursor(query.cursor.as_deref())?;
    let page = app.provider_credentials.list(auth.account_id(), limit, cursor.as_ref()).await?;
    Ok(Json(page.into()))
}

#[utoipa::path(
    post,
    path = Function::ProviderCredentialsSearch.path(),
    operation_id = Function::ProviderCredentialsSearch.name(),
    tag = "provider-credentials",
    params(("account_id" = String, Path, description = "The caller's own account")),
    request_body = SearchProviderCredentialsRequest,
    responses((status = 200, description = "One page of matching credentials", body = CredentialList), (status = 404, description = "Not the caller's account", body = ErrorBody)),
)]
pub async fn search(
    State(app): State<AppState>,
    auth: Authorized<ReadProviderCredentials>,
    IdPath(account_id): IdPath<AccountId>,
    JsonBody(filter): JsonBody<SearchProviderCredentialsRequest>,
) -> Result<Json<CredentialList>, ApiError> {
    own_account(&auth, &account_id)?;
    Ok(Json(app.provider_credentials.search(auth.account_id(), &CredentialSearch::from(filter)).await?.into()))
}

#[utoipa::path(
    get,
    path = Function::ProviderCredentialsGet.path(),
    operation_id = Function::ProviderCredentialsGet.name(),
    tag = "provider-credentials",
    params(("id" = String, Path, description = "The credential's id")),
    responses((status = 200, description = "The credential", body = ProviderCredentialResponse), (status = 404, description = "No such credential in this account", body = ErrorBody)),
)]
pub async fn get(
    State(app): State<AppState>,
    auth: Authorized<ReadProviderCredentials>,
    IdPath(id): IdPath<ProviderCredentialId>,
) -> Result<Json<ProviderCredentialResponse>, ApiError> {
    Ok(Json(app.provider_credentials.get(auth.account_id(), &id).await?.into()))
}

#[utoipa::path(
    patch,
    path = Function::ProviderCredentialsUpdate.path(),
    operation_id = Function::ProviderCredentialsUpdate.name(),
    tag = "provider-credentials",
    params(("id" = String, Path, description = "The credential's id")),
    request_body = UpdateProviderCredentialRequest,
    responses((status = 200, description = "Updated", body = ProviderCredentialResponse), (status = 404, description = "No such credential in this account", body = ErrorBody), (status = 409, description = "Changed concurrently; retry", body = ErrorBody)),
)]
pub async fn update(
    State(app): State<AppState>,
    auth: Authorized<WriteProviderCredentials>,
    IdPath(id): IdPath<ProviderCredentialId>,
    JsonBody(request): JsonBody<UpdateProviderCredentialRequest>,
) -> Result<Json<ProviderCredentialResponse>, ApiError> {
    Ok(Json(app.provider_credentials.update(&auth.actor(), &id, &EndpointPatch::from(request)).await?.into()))
}

#[utoipa::path(
    post,
    path = Function::ProviderCredentialsRotate.path(),
    operation_id = Function::ProviderCredentialsRotate.name(),
    tag = "provider-credentials",
    params(("id" = String, Path, description = "The credential's id")),
    request_body = RotateProviderCredentialRequest,
    responses((status = 200, description = "Re-sealed with the new secret", body = ProviderCredentialResponse), (status = 404, description = "No such credential in this account", body = ErrorBody), (status = 409, description = "Changed concurrently; retry", body = ErrorBody)),
)]
pub async fn rotate(
    State(app): State<AppState>,
    auth: Authorized<WriteProviderCredentials>,
    IdPath(id): IdPath<ProviderCredentialId>,
    JsonBody(request): JsonBody<RotateProviderCredentialRequest>,
) -> Result<Json<ProviderCredentialResponse>, ApiError> {
    Ok(Json(app.provider_credentials.rotate(&auth.actor(), &id, &Rotation::from(request)).await?.into()))
}

#[utoipa::path(
    delete,
    path = Function::ProviderCredentialsDelete.path(),
    operation_id = Function::ProviderCredentialsDelete.name(),
    tag = "provider-credentials",
    params(("id" = String, Path, description = "The credential's id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such credential in this account", body = ErrorBody)),
)]
pub async fn delete(
    State(app): State<AppState>,
    auth: Authorized<WriteProviderCredentials>,
    IdPath(id): IdPath<ProviderCredentialId>,
) -> Result<StatusCode, ApiError> {
    app.provider_credentials.delete(&auth.actor(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = Function::ProviderCredentialsTest.path(),
    operation_id = Function::ProviderCredentialsTest.name(),
    tag = "provider-credentials",
    params(("id" = String, Path, description = "The credential's id")),
    responses((status = 200, description = "The outcome, also stored as `last_test`", body = TestOutcome), (status = 404, description = "No such credential in this account", body = ErrorBody)),
)]
pub async fn test(
    State(app): State<AppState>,
    auth: Authorized<WriteProviderCredentials>,
    IdPath(id): IdPath<ProviderCredentialId>,
) -> Result<Json<TestOutcome>, ApiError> {
    Ok(Json(app.provider_credentials.test(&auth.actor(), &id).await?))
}
