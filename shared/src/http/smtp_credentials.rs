//! `/api/smtp-credentials[...]`: keys for the mail protocols, and where the
//! mail servers are.

use crate::domain::timestamp::Timestamp;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use super::api_keys::LastUseView;
use super::error::{ApiError, ErrorBody};
use super::extract::{IdPath, JsonBody, ManageSmtpCredentials, OptionalJsonBody};
use super::page::PageQuery;
use super::rate_limit::{CreateLimit, Limited, LimitedBeside, ManageLimit};
use super::request::keys::{
    CreateMobileKeyRequest, CreateSmtpCredentialRequest, RotateKeyRequest, UpdateSmtpCredentialRequest,
};
use super::routes::Function;
use crate::app::AppState;
use crate::config::ConnectionInfo;
use crate::domain::ids::KeyId;
use crate::domain::key::{KeyFace, KeyPatch, NewKey, Overlap, Platform};
use crate::domain::secret::{expose, SecretString};
use crate::service::keys::{page_cursor, CreatedKey};
use crate::store::keys::KeyRecord;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SmtpKeyView {
    pub id: KeyId,
    pub name: String,
    pub created_at: Timestamp,
    #[serde(flatten)]
    pub last_use: LastUseView,
    pub is_active: bool,
    #[schema(value_type = Vec<String>)]
    pub scopes: Vec<&'static str>,
    /// When the key stops working: `null` for never; for a key rotated
    /// with an overlap, the overlap's end.
    pub expires_at: Option<Timestamp>,
    /// For a key rotated with an overlap: the key that replaces it.
    pub replaced_by: Option<KeyId>,
    /// The networks the key may be used from; `[]` for anywhere.
    pub allowed_cidrs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

impl From<KeyRecord> for SmtpKeyView {
    fn from(k: KeyRecord) -> Self {
        let (platform, device_id) = match k.device {
            Some(d) => (Some(d.platform), Some(d.device_id)),
            None => (None, None),
        };
        SmtpKeyView {
            is_active: k.revoked_at.is_none(),
            id: k.key_id,
            name: k.name,
            created_at: k.created_at,
            last_use: k.last_use.into(),
            scopes: k.permissions.names(),
            expires_at: k.expires_at,
            replaced_by: k.replaced_by,
            allowed_cidrs: k.allowed_cidrs.names(),
            platform,
            device_id,
        }
    }
}

/// A key as created or rotated: the only answer that holds `apiKey`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedSmtpKey {
    #[serde(flatten)]
    pub view: SmtpKeyView,
    /// Shown once, here.
    #[serde(serialize_with = "expose")]
    #[schema(value_type = String)]
    pub api_key: SecretString,
}

/// A rotation's answer: the new key (`apiKey`, shown once) and when the
/// old one stops.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotatedSmtpKey {
    #[serde(flatten)]
    pub key: CreatedSmtpKey,
    /// The rotated key's id.
    pub replaces: KeyId,
    /// When the rotated key stops working: now, or the overlap's end.
    pub old_key_expires_at: Timestamp,
}

impl From<CreatedKey> for CreatedSmtpKey {
    fn from(created: CreatedKey) -> Self {
        CreatedSmtpKey { api_key: created.key.plaintext, view: created.record.into() }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInfoAndKeys {
    pub connection_info: ConnectionInfo,
    pub keys: Vec<SmtpKeyView>,
    /// The `cursor` of the next page of keys; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = Function::SmtpCredentialsGet.path(),
    operation_id = Function::SmtpCredentialsGet.name(),
    tag = "smtp-credentials",
    params(PageQuery),
    responses((status = 200, description = "Where the mail servers are, and a page of the account's active keys, oldest first", body = ConnectionInfoAndKeys), (status = 400, description = "Invalid limit or cursor", body = ErrorBody), (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody)),
)]
pub async fn get(
    State(app): State<AppState>,
    limited: LimitedBeside<ManageSmtpCredentials, ManageLimit>,
    query: PageQuery,
) -> Result<Json<ConnectionInfoAndKeys>, ApiError> {
    let (limit, after) = (query.limit()?, page_cursor(query.cursor.as_deref())?);
    let service = &app.keys;
    let (_, page) = limited
        .beside(|auth| async move { service.list(auth.account_id(), KeyFace::Smtp, limit, after.as_ref()).await })
        .await?;
    Ok(Json(ConnectionInfoAndKeys {
        connection_info: app.settings.connection_info.clone(),
        keys: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

async fn create_key(
    app: &AppState,
    limited: &Limited<ManageSmtpCredentials, CreateLimit>,
    new: NewKey,
) -> Result<(StatusCode, Json<CreatedSmtpKey>), ApiError> {
    let auth = &limited.auth;
    let created = app.keys.create(&auth.actor(), &auth.caller.permissions, KeyFace::Smtp, new).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(
    post,
    path = Function::SmtpCredentialsCreate.path(),
    operation_id = Function::SmtpCredentialsCreate.name(),
    tag = "smtp-credentials",
    request_body = CreateSmtpCredentialRequest,
    responses((status = 201, description = "Created; `apiKey` is shown once", body = CreatedSmtpKey), (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody)),
)]
pub async fn create(
    State(app): State<AppState>,
    limited: Limited<ManageSmtpCredentials, CreateLimit>,
    JsonBody(request): JsonBody<CreateSmtpCredentialRequest>,
) -> Result<(StatusCode, Json<CreatedSmtpKey>), ApiError> {
    create_key(&app, &limited, NewKey::try_from(&request)?).await
}

#[utoipa::path(
    post,
    path = Function::SmtpCredentialsMobile.path(),
    operation_id = Function::SmtpCredentialsMobile.name(),
    tag = "smtp-credentials",
    request_body = CreateMobileKeyRequest,
    responses((status = 201, description = "Created; `apiKey` is shown once", body = CreatedSmtpKey), (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody)),
)]
pub async fn create_mobile(
    State(app): State<AppState>,
    limited: Limited<ManageSmtpCredentials, CreateLimit>,
    JsonBody(request): JsonBody<CreateMobileKeyRequest>,
) -> Result<(StatusCode, Json<CreatedSmtpKey>), ApiError> {
    create_key(&app, &limited, NewKey::try_from(&request)?).await
}

#[utoipa::path(
    delete,
    path = Function::SmtpCredentialsRevoke.path(),
    operation_id = Function::SmtpCredentialsRevoke.name(),
    tag = "smtp-credentials",
    params(("keyId" = String, Path, description = "The key's id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such key in this account", body = ErrorBody), (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody)),
)]
pub async fn revoke(
    State(app): State<AppState>,
    limited: Limited<ManageSmtpCredentials, ManageLimit>,
    IdPath(key_id): IdPath<KeyId>,
) -> Result<StatusCode, ApiError> {
    app.keys.revoke(&limited.auth.actor(), &limited.auth.caller.permissions, KeyFace::Smtp, &key_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = Function::SmtpCredentialsRotate.path(),
    operation_id = Function::SmtpCredentialsRotate.name(),
    tag = "smtp-credentials",
    params(("keyId" = String, Path, description = "The key's id")),
    request_body(content = Option<RotateKeyRequest>, description = "Optional: without a body the old key stops at once"),
    responses(
        (status = 200, description = "The replacement key; the old one stops at once, or when the overlap ends", body = RotatedSmtpKey),
        (status = 400, description = "Invalid keepOldForSeconds", body = ErrorBody),
        (status = 404, description = "No such key in this account", body = ErrorBody),
        (status = 409, description = "Already rotated or revoked", body = ErrorBody),
        (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody),
    ),
)]
pub async fn rotate(
    State(app): State<AppState>,
    limited: LimitedBeside<ManageSmtpCredentials, ManageLimit>,
    IdPath(key_id): IdPath<KeyId>,
    OptionalJsonBody(request): OptionalJsonBody<RotateKeyRequest>,
) -> Result<Json<RotatedSmtpKey>, ApiError> {
    let overlap = Overlap::try_from(&request.unwrap_or_default())?;
    let keys = &app.keys;
    let (auth, old) = limited
        .beside(|auth| async move { keys.rotation_source(auth.account_id(), KeyFace::Smtp, &key_id).await })
        .await?;
    let replaces = old.key_id.clone();
    let rotated = app.keys.rotate(&auth.actor(), &auth.caller.permissions, KeyFace::Smtp, old, overlap).await?;
    let old_key_expires_at = rotated.old_until.unwrap_or(rotated.created.record.created_at);
    Ok(Json(RotatedSmtpKey { key: rotated.created.into(), replaces, old_key_expires_at }))
}

#[utoipa::path(
    patch,
    path = Function::SmtpCredentialsUpdate.path(),
    operation_id = Function::SmtpCredentialsUpdate.name(),
    tag = "smtp-credentials",
    params(("keyId" = String, Path, description = "The key's id")),
    request_body = UpdateSmtpCredentialRequest,
    responses(
        (status = 200, description = "The key as changed", body = SmtpKeyView),
        (status = 400, description = "Invalid name or allowedCidrs, or an allow-list that would shut out the calling key", body = ErrorBody),
        (status = 403, description = "The key holds scopes the caller does not", body = ErrorBody),
        (status = 404, description = "No such key in this account", body = ErrorBody),
        (status = 409, description = "Changed by another request at the same time", body = ErrorBody),
        (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody),
    ),
)]
pub async fn update(
    State(app): State<AppState>,
    limited: Limited<ManageSmtpCredentials, ManageLimit>,
    IdPath(key_id): IdPath<KeyId>,
    JsonBody(request): JsonBody<UpdateSmtpCredentialRequest>,
) -> Result<Json<SmtpKeyView>, ApiError> {
    let auth = &limited.auth;
    let patch = KeyPatch::try_from(&request)?;
    let updated =
        app.keys.update(&auth.actor(), &auth.caller.permissions, KeyFace::Smtp, &key_id, patch, &auth.site).await?;
    Ok(Json(updated.into()))
}
