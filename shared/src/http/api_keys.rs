//! `/api/email/api-keys[/{id}]`: the email API keys, in the
//! `{success, data, message}` envelope.

use crate::domain::timestamp::Timestamp;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::extract::{IdPath, JsonBody, ManageApiKeys};
use super::page::PageQuery;
use super::rate_limit::{CreateLimit, Limited, LimitedBeside, ManageLimit};
use super::request::keys::{CreateApiKeyRequest, UpdateApiKeyRequest};
use super::routes::Function;
use crate::app::AppState;
use crate::domain::ids::KeyId;
use crate::domain::key::{KeyFace, KeyPatch, NewKey};
use crate::domain::secret::{expose, SecretString};
use crate::service::keys::page_cursor;
use crate::store::keys::KeyRecord;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Envelope<T> {
    pub success: bool,
    pub data: T,
    #[schema(value_type = String)]
    pub message: &'static str,
}

fn ok<T>(data: T, message: &'static str) -> Json<Envelope<T>> {
    Json(Envelope { success: true, data, message })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub id: KeyId,
    pub name: String,
    pub prefix: String,
    #[schema(value_type = Vec<String>)]
    pub permissions: Vec<&'static str>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
}

impl From<KeyRecord> for ApiKeyView {
    fn from(k: KeyRecord) -> Self {
        ApiKeyView {
            id: k.key_id,
            name: k.name,
            prefix: k.prefix,
            permissions: k.permissions.names(),
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            expires_at: k.expires_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyList {
    pub keys: Vec<ApiKeyView>,
    /// The `cursor` of the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The one answer that holds the key itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    pub id: KeyId,
    pub name: String,
    /// Shown once, here.
    #[serde(serialize_with = "expose")]
    #[schema(value_type = String)]
    pub key: SecretString,
    pub prefix: String,
    #[schema(value_type = Vec<String>)]
    pub permissions: Vec<&'static str>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevokedApiKey {
    pub id: KeyId,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdatedApiKey {
    pub id: KeyId,
    pub name: String,
    #[schema(value_type = Vec<String>)]
    pub permissions: Vec<&'static str>,
    pub updated_at: Timestamp,
}

#[utoipa::path(
    get,
    path = Function::ApiKeysList.path(),
    operation_id = Function::ApiKeysList.name(),
    tag = "api-keys",
    params(PageQuery),
    responses((status = 200, description = "A page of the account's active email API keys, oldest first", body = Envelope<ApiKeyList>), (status = 400, description = "Invalid limit or cursor", body = ErrorBody), (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody)),
)]
pub async fn list(
    State(app): State<AppState>,
    limited: LimitedBeside<ManageApiKeys, ManageLimit>,
    query: PageQuery,
) -> Result<Json<Envelope<ApiKeyList>>, ApiError> {
    let (limit, after) = (query.limit()?, page_cursor(query.cursor.as_deref())?);
    let (_, page) = limited
        .beside(|auth| async move { app.keys.list(auth.account_id(), KeyFace::Email, limit, after.as_ref()).await })
        .await?;
    let keys = page.items.into_iter().map(Into::into).collect();
    Ok(ok(ApiKeyList { keys, next_cursor: page.next_cursor }, "API keys retrieved successfully"))
}

#[utoipa::path(
    post,
    path = Function::ApiKeysCreate.path(),
    operation_id = Function::ApiKeysCreate.name(),
    tag = "api-keys",
    request_body = CreateApiKeyRequest,
    responses((status = 201, description = "Created; the key is shown once", body = Envelope<CreatedApiKey>), (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody)),
)]
pub async fn create(
    State(app): State<AppState>,
    limited: Limited<ManageApiKeys, CreateLimit>,
    JsonBody(request): JsonBody<CreateApiKeyRequest>,
) -> Result<(StatusCode, Json<Envelope<CreatedApiKey>>), ApiError> {
    let auth = &limited.auth;
    let created =
        app.keys.create(&auth.actor(), &auth.caller.permissions, KeyFace::Email, NewKey::try_from(&request)?).await?;
    let record = created.record;
    let data = CreatedApiKey {
        id: record.key_id,
        name: record.name,
        key: created.key.plaintext,
        prefix: record.prefix,
        permissions: record.permissions.names(),
        created_at: record.created_at,
        expires_at: record.expires_at,
    };
    Ok((StatusCode::CREATED, ok(data, "API key created successfully")))
}

#[utoipa::path(
    delete,
    path = Function::ApiKeysRevoke.path(),
    operation_id = Function::ApiKeysRevoke.name(),
    tag = "api-keys",
    params(("id" = String, Path, description = "The key's id")),
    responses((status = 200, description = "Revoked", body = Envelope<RevokedApiKey>), (status = 404, description = "No such key in this account", body = ErrorBody), (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody)),
)]
pub async fn revoke(
    State(app): State<AppState>,
    limited: Limited<ManageApiKeys, ManageLimit>,
    IdPath(id): IdPath<KeyId>,
) -> Result<Json<Envelope<RevokedApiKey>>, ApiError> {
    let revoked = app.keys.revoke(&limited.auth.actor(), &limited.auth.caller.permissions, KeyFace::Email, &id).await?;
    Ok(ok(RevokedApiKey { id: revoked.key_id, revoked_at: revoked.revoked_at }, "API key revoked successfully"))
}

#[utoipa::path(
    patch,
    path = Function::ApiKeysUpdate.path(),
    operation_id = Function::ApiKeysUpdate.name(),
    tag = "api-keys",
    params(("id" = String, Path, description = "The key's id")),
    request_body = UpdateApiKeyRequest,
    responses((status = 200, description = "Updated", body = Envelope<UpdatedApiKey>), (status = 404, description = "No such key in this account", body = ErrorBody), (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody)),
)]
pub async fn update(
    State(app): State<AppState>,
    limited: Limited<ManageApiKeys, ManageLimit>,
    IdPath(id): IdPath<KeyId>,
    JsonBody(request): JsonBody<UpdateApiKeyRequest>,
) -> Result<Json<Envelope<UpdatedApiKey>>, ApiError> {
    let auth = &limited.auth;
    let updated = app.keys.update(&auth.actor(), &auth.caller.permissions, &id, KeyPatch::try_from(&request)?).await?;
    let data = UpdatedApiKey {
        id: updated.key_id,
        name: updated.name,
        permissions: updated.permissions.names(),
        updated_at: updated.updated_at,
    };
    Ok(ok(data, "API key updated successfully"))
}
