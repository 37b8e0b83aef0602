//! `/api/email/api-keys[/{id}]`: the email API keys, in the
//! `{success, data, message}` envelope.

use crate::domain::timestamp::Timestamp;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::extract::{IdPath, JsonBody, ManageApiKeys, OptionalJsonBody};
use super::page::PageQuery;
use super::rate_limit::{CreateLimit, Limited, LimitedBeside, ManageLimit};
use super::request::keys::{CreateApiKeyRequest, RotateKeyRequest, UpdateApiKeyRequest};
use super::routes::Function;
use crate::app::AppState;
use crate::domain::ids::KeyId;
use crate::domain::key::{KeyFace, KeyPatch, KeyUse, NewKey, Overlap};
use crate::domain::secret::{expose, SecretString};
use crate::service::keys::{page_cursor, CreatedKey};
use crate::store::keys::KeyRecord;

/// A key's last use, as both faces show it: all `null` before the first.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastUseView {
    pub last_used_at: Option<Timestamp>,
    /// The client address of the last recorded use.
    #[schema(value_type = Option<String>, example = "203.0.113.7")]
    pub last_used_from: Option<std::net::IpAddr>,
    /// What it was used for: a route's function name (`whoami`), or a mail
    /// protocol (`imap`, `pop3`, `smtp`).
    #[schema(example = "email-providers-list")]
    pub last_used_for: Option<String>,
}

impl From<Option<KeyUse>> for LastUseView {
    fn from(used: Option<KeyUse>) -> Self {
        match used {
            None => LastUseView::default(),
            Some(u) => LastUseView { last_used_at: Some(u.at), last_used_from: u.from, last_used_for: u.used_for },
        }
    }
}

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
    #[serde(flatten)]
    pub last_use: LastUseView,
    /// When the key stops working (for a key rotated with an overlap: the
    /// overlap's end); `null` for never.
    pub expires_at: Option<Timestamp>,
    /// For a key rotated with an overlap: the key that replaces it.
    pub replaced_by: Option<KeyId>,
    /// The networks the key may be used from; `[]` for anywhere.
    pub allowed_cidrs: Vec<String>,
}

impl From<KeyRecord> for ApiKeyView {
    fn from(k: KeyRecord) -> Self {
        ApiKeyView {
            id: k.key_id,
            name: k.name,
            prefix: k.prefix,
            permissions: k.permissions.names(),
            created_at: k.created_at,
            last_use: k.last_use.into(),
            expires_at: k.expires_at,
            replaced_by: k.replaced_by,
            allowed_cidrs: k.allowed_cidrs.names(),
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
    pub allowed_cidrs: Vec<String>,
}

impl From<CreatedKey> for CreatedApiKey {
    fn from(created: CreatedKey) -> Self {
        let record = created.record;
        CreatedApiKey {
            id: record.key_id,
            name: record.name,
            key: created.key.plaintext,
            prefix: record.prefix,
            permissions: record.permissions.names(),
            created_at: record.created_at,
            expires_at: record.expires_at,
            allowed_cidrs: record.allowed_cidrs.names(),
        }
    }
}

/// A rotation's answer: the new key (shown once) and when the old one
/// stops.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotatedApiKey {
    #[serde(flatten)]
    pub key: CreatedApiKey,
    /// The rotated key's id.
    pub replaces: KeyId,
    /// When the rotated key stops working: now, or the overlap's end.
    pub old_key_expires_at: Timestamp,
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
    pub allowed_cidrs: Vec<String>,
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
    Ok((StatusCode::CREATED, ok(created.into(), "API key created successfully")))
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
    let patch = KeyPatch::try_from(&request)?;
    let updated =
        app.keys.update(&auth.actor(), &auth.caller.permissions, KeyFace::Email, &id, patch, &auth.site).await?;
    let data = UpdatedApiKey {
        id: updated.key_id,
        name: updated.name,
        permissions: updated.permissions.names(),
        allowed_cidrs: updated.allowed_cidrs.names(),
        updated_at: updated.updated_at,
    };
    Ok(ok(data, "API key updated successfully"))
}

#[utoipa::path(
    post,
    path = Function::ApiKeysRotate.path(),
    operation_id = Function::ApiKeysRotate.name(),
    tag = "api-keys",
    params(("id" = String, Path, description = "The key's id")),
    request_body(content = Option<RotateKeyRequest>, description = "Optional: without a body the old key stops at once"),
    responses(
        (status = 201, description = "The replacement key, shown once; the old one stops at once or when the overlap ends", body = Envelope<RotatedApiKey>),
        (status = 400, description = "Invalid keepOldForSeconds", body = ErrorBody),
        (status = 403, description = "The key holds permissions the caller does not", body = ErrorBody),
        (status = 404, description = "No such key in this account", body = ErrorBody),
        (status = 409, description = "Already rotated", body = ErrorBody),
        (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody),
    ),
)]
pub async fn rotate(
    State(app): State<AppState>,
    limited: LimitedBeside<ManageApiKeys, ManageLimit>,
    IdPath(key_id): IdPath<KeyId>,
    OptionalJsonBody(request): OptionalJsonBody<RotateKeyRequest>,
) -> Result<(StatusCode, Json<Envelope<RotatedApiKey>>), ApiError> {
    let overlap = Overlap::try_from(&request.unwrap_or_default())?;
    let keys = &app.keys;
    let (auth, old) = limited
        .beside(|auth| async move { keys.rotation_source(auth.account_id(), KeyFace::Email, &key_id).await })
        .await?;
    let replaces = old.key_id.clone();
    let rotated = app.keys.rotate(&auth.actor(), &auth.caller.permissions, KeyFace::Email, old, overlap).await?;
    let old_key_expires_at = rotated.old_until.unwrap_or(rotated.created.record.created_at);
    let data = RotatedApiKey { key: rotated.created.into(), replaces, old_key_expires_at };
    Ok((StatusCode::CREATED, ok(data, "API key rotated successfully")))
}
